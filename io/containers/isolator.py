"""The agent's isolators in the shell: cgroups (v1/v2), posix (psutil, measure only), disk/du.

Interprets the agent machine's `UpdateContainer` / `DestroyContainer` effects and the
containerizer's launch and kill, and feeds `ContainerLimitation` inputs back:

- launch: `prepare(cid, resources, command_executor)` creates the container's cgroup with its
  limits (core/agent/isolation.py decides the values) and returns the cgroup.procs files the
  executor's process joins between fork and exec (io/containers/launcher.py).
- UpdateContainer: nested cgroups for new command tasks (limits, OOM listener) BEFORE the
  launch reaches the executor, which moves each task's process into its nested cgroup
  (io/daemons/executor.py, env `MESOTRON_CGROUPS`); nested cgroups of finished tasks are
  destroyed; the container's limits follow (memory only lowered when the usage fits).
- OOM: v1 an eventfd on `memory.oom_control` per cgroup; v2 `memory.events` polled. When a
  cgroup's `oom_kill` counter rose: `ContainerLimitation(resource="mem", requested=limit,
  used=max usage, stats=memory.stat)` for the task (nested) or the container.
- disk/du with --enforce-container-disk-quota: every --container-disk-watch-interval the
  sandbox's usage (a command task's own `tasks/<id>` sandbox) is compared with its disk.
- kill/destroy: every process of the cgroup (freezer on v1, cgroup.kill on v2), then rmdir.
- recovery: containers whose cgroups exist are adopted (limits untouched, listeners armed
  again); cgroups of containers the checkpoints do not know are reported as orphans.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import trio
from mesotron.core.agent.isolation import (
    CFS_PERIOD_US,
    CPU_SHARES_PER_CPU,
    CPU_WEIGHT_PER_CPU,
    Isolation,
    Limits,
    container_limits,
    disk_quota_exceeded,
    nested_name,
    nested_task_id,
    task_limits,
    task_sandbox_name,
    v1_files,
    v2_files,
)
from mesotron.core.agent.machine import ContainerLimitation, UpdateContainer
from mesotron.core.resources import Resources
from mesotron.io.containers.cgroups import Backend, CgroupError, CgroupsV1, detect

ENV_CGROUPS = "MESOTRON_CGROUPS"  # os.pathsep-joined container cgroup dirs, for the executor
ENV_CGROUPS_HOME = "MESOTRON_CGROUPS_HOME"  # the executor's own cgroup.procs files
V2_OOM_POLL = 0.1


class Isolator:
    def __init__(self, iso: Isolation, *, root: str = "mesotron",
                 submit: Callable[[Any], None] | None = None, log: Any = None,
                 backend: Backend | None = None, disk_interval: float = 15.0,
                 mounts_text: str | None = None) -> None:
        self.iso = iso
        self.root = root
        self.submit = submit or (lambda _i: None)
        self.log = log
        self.disk_interval = disk_interval
        self.backend: Backend | None = backend
        if iso.cgroups and backend is None:
            need = tuple(c for c, on in (("cpu", iso.cpu), ("memory", iso.mem),
                                         ("pids", iso.pids)) if on)
            self.backend = detect(root, need, mounts_text)
        if isinstance(self.backend, CgroupsV1):
            self.backend.nest_in(tuple(c for c, on in (("cpu", iso.cpu), ("memory", iso.mem),
                                                       ("pids", iso.pids)) if on))
        # cid -> {nested name: Limits}; cid -> command executor?
        self.nested: dict[str, dict[str, Limits]] = {}
        # (cid, nested name) -> task id: hashed names (long ids) are not decodable
        self.task_of: dict[tuple[str, str], str] = {}
        self.command: dict[str, bool] = {}
        self.own: dict[str, Resources] = {}  # a custom executor's container resources
        self.sandboxes: dict[str, str] = {}
        self.task_res: dict[str, dict[str, Resources]] = {}  # cid -> command task -> resources
        self.disk_used: dict[str, int] = {}  # disk/du's last measurement per container
        self.watch_scopes: dict[tuple[str, str | None], trio.CancelScope] = {}
        self.oom_seen: dict[tuple[str, str | None], int] = {}
        self.nursery: trio.Nursery | None = None
        self.errors = 0

    @property
    def cgroups(self) -> bool:
        return self.backend is not None

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            if self.iso.disk:
                nursery.start_soon(self._disk_loop)
            task_status.started()
            await trio.sleep_forever()

    # ------------------------------------------------------------------ files
    def _files(self, limits: Limits) -> Any:
        assert self.backend is not None
        if isinstance(self.backend, CgroupsV1):
            return v1_files(limits, self.iso)
        return v2_files(limits, self.iso)

    def _container_limits(self, cid: str) -> Limits:
        if self.command.get(cid):
            nested = self.nested.get(cid, {})
            return container_limits(Resources(), (), command_executor=True) if not nested else \
                _sum_limits(nested.values())
        return task_limits(self.own.get(cid, Resources()))

    def _warn(self, event: str, **kw: Any) -> None:
        self.errors += 1
        if self.log is not None:
            self.log.warning(event, **kw)

    # ------------------------------------------------------------------ launch
    def prepare(self, cid: str, resources: Resources, command_executor: bool,
                sandbox: str = "") -> list[str]:
        """Create the container's cgroup with its limits; the cgroup.procs files its executor
        joins ([] without cgroups)."""
        self.sandboxes[cid] = sandbox
        if not command_executor:
            self.own[cid] = resources
        if self.backend is None:
            return []
        self.command[cid] = command_executor
        self.nested.setdefault(cid, {})
        b = self.backend
        b.create(cid)
        b.set_limits(cid, None, self._files(self._container_limits(cid)))
        self._watch(cid, None)
        return b.join_files(cid)

    def executor_env(self, cid: str) -> dict[str, str]:
        """For the command executor: the container's cgroup dirs where its tasks' nested
        cgroups are (ENV_CGROUPS), and the cgroup.procs files of its own place
        (ENV_CGROUPS_HOME): it steps into a task's nested cgroups to spawn the task (which
        inherits them; no pre-exec hook, so the spawn can vfork) and back home after."""
        if self.backend is None:
            return {}
        b = self.backend
        dirs = b.container_dirs(cid)
        home = [os.path.join(d, "leaf", "cgroup.procs") if b.version == 2
                else os.path.join(d, "cgroup.procs") for d in dirs]
        return {ENV_CGROUPS: os.pathsep.join(dirs), ENV_CGROUPS_HOME: os.pathsep.join(home)}

    # ------------------------------------------------------------------ effects
    def update(self, e: UpdateContainer) -> None:
        b = self.backend
        cid = e.container_id
        if not e.command_executor and cid in self.sandboxes:
            self.own[cid] = e.resources
        if e.command_executor:
            mine = self.task_res.setdefault(cid, {})
            mine.update(e.nested_add)
            for t in e.nested_remove:
                mine.pop(t, None)
        if b is None:
            return
        if not b.exists(cid):
            return  # not ours (e.g. launched before isolation was on)
        nested = self.nested.setdefault(cid, {})
        if e.command_executor:
            self.command[cid] = True
        else:
            self.own[cid] = e.resources
        try:
            grow = [(nested_name(t), task_limits(r)) for t, r in e.nested_add]
            for (t, _r), (name, lim) in zip(e.nested_add, grow, strict=True):
                nested[name] = lim
                self.task_of[(cid, name)] = t
            # grow the parent before its children, shrink it after them
            b.set_limits(cid, None, self._files(self._container_limits(cid)))
            for name, lim in grow:
                b.create(cid, name)
                b.set_limits(cid, name, self._files(lim))
                self._watch(cid, name)
        except (CgroupError, OSError) as exc:
            self._warn("isolator.update_failed", container=cid, error=str(exc))
        for t in e.nested_remove:
            name = nested_name(t)
            if nested.pop(name, None) is not None or b.exists(cid, name):
                # its OOM listener ends when the cgroup is gone (the removal signals it):
                # closing a still-registered eventfd first makes the kernel block the
                # closing thread for milliseconds
                assert self.nursery is not None
                self.nursery.start_soon(self._remove_nested, cid, name)

    async def _remove_nested(self, cid: str, name: str) -> None:
        assert self.backend is not None
        await self.backend.destroy(cid, name)
        self.task_of.pop((cid, name), None)
        try:
            self.backend.set_limits(cid, None, self._files(self._container_limits(cid)))
        except (CgroupError, OSError):
            pass

    async def kill(self, cid: str) -> None:
        if self.backend is not None:
            await self.backend.kill(cid)

    def pids(self, cid: str) -> set[int]:
        return self.backend.pids(cid) if self.backend is not None else set()

    def destroy_soon(self, cid: str) -> None:
        """DestroyContainer: kill what is left and remove the cgroups, in the background."""
        self.sandboxes.pop(cid, None)
        self.disk_used.pop(cid, None)
        self.own.pop(cid, None)
        self.task_res.pop(cid, None)
        if self.backend is not None and self.nursery is not None:
            self.nursery.start_soon(self.destroy, cid)

    async def destroy(self, cid: str) -> None:
        self.sandboxes.pop(cid, None)
        if self.backend is None:
            return
        self.nested.pop(cid, None)
        self.command.pop(cid, None)
        for key in [k for k in self.task_of if k[0] == cid]:
            del self.task_of[key]
        self.own.pop(cid, None)
        if not await self.backend.destroy(cid):
            self._warn("isolator.destroy_incomplete", container=cid)
        # the OOM listeners end by themselves once their cgroups are gone; cancel what is left
        for key in [k for k in self.watch_scopes if k[0] == cid]:
            self._unwatch(*key)

    # ------------------------------------------------------------------ OOM
    def _watch(self, cid: str, name: str | None) -> None:
        if self.backend is None or not self.iso.mem or self.nursery is None:
            return
        key = (cid, name)
        if key in self.watch_scopes:
            return
        scope = trio.CancelScope()
        self.watch_scopes[key] = scope
        self.oom_seen[key] = self.backend.oom_kills(cid, name)
        self.nursery.start_soon(self._oom_watch, cid, name, scope)

    def _unwatch(self, cid: str, name: str | None) -> None:
        scope = self.watch_scopes.pop((cid, name), None)
        self.oom_seen.pop((cid, name), None)
        if scope is not None:
            scope.cancel()

    async def _oom_watch(self, cid: str, name: str | None, scope: trio.CancelScope) -> None:
        b = self.backend
        assert b is not None
        with scope:
            if isinstance(b, CgroupsV1):
                try:
                    efd = b.oom_eventfd(cid, name)
                except (CgroupError, OSError) as exc:
                    self._warn("isolator.oom_listen_failed", container=cid, error=str(exc))
                    return
                try:
                    while True:
                        await trio.lowlevel.wait_readable(efd)
                        try:
                            os.eventfd_read(efd)
                        except BlockingIOError:
                            pass
                        if not b.exists(cid, name):
                            return  # the cgroup was removed (that also signals the eventfd)
                        await self._check_oom(cid, name)
                        if not b.exists(cid, name):
                            return
                finally:
                    os.close(efd)
            else:
                while b.exists(cid, name):
                    await trio.sleep(V2_OOM_POLL)
                    await self._check_oom(cid, name)
        self.watch_scopes.pop((cid, name), None)
        self.oom_seen.pop((cid, name), None)

    async def _check_oom(self, cid: str, name: str | None) -> None:
        b = self.backend
        assert b is not None
        key = (cid, name)
        # the notification comes as the OOM starts; the kill (and its counter) right after
        mem: dict[str, int] = {}
        with trio.move_on_after(0.5):
            while True:
                mem = b.memory(cid, name)
                if mem.get("oom_kill", 0) > self.oom_seen.get(key, 0):
                    break
                await trio.sleep(0.005)
        if not mem or mem.get("oom_kill", 0) <= self.oom_seen.get(key, 0):
            return
        self.oom_seen[key] = mem["oom_kill"]
        stats = b.memory_stat(cid, name)
        task_id = None
        if name is not None:
            task_id = self.task_of.get((cid, name)) or nested_task_id(name)
            if task_id is None:
                self._warn("isolator.oom_unknown_nested", container=cid, cgroup=name)
                return
        if self.log is not None:
            self.log.warning("isolator.oom", container=cid, task=task_id, limit=mem.get("limit"),
                             max_usage=mem.get("max_usage"))
        self.submit(ContainerLimitation(
            container_id=cid, task_id=task_id, resource="mem", requested=mem.get("limit", 0),
            used=mem.get("max_usage", 0), stats=tuple(sorted(stats.items()))))

    # ------------------------------------------------------------------ disk/du
    async def _disk_loop(self) -> None:
        while True:
            await trio.sleep(self.disk_interval)
            for cid, sandbox in list(self.sandboxes.items()):
                await self._check_disk(cid, sandbox)

    async def _check_disk(self, cid: str, sandbox: str) -> None:
        """disk/du: measure the container's sandbox (statistics); with
        --enforce-container-disk-quota a sandbox over its disk is reported
        (`disk_quota_exceeded` decides): a command task's own sandbox
        `tasks/<task_sandbox_name>` against the task's disk (that task alone fails, as with
        Mesos's one container per command task), a custom executor's whole sandbox against
        its container's disk."""
        if not sandbox:
            return
        used = await trio.to_thread.run_sync(du, sandbox)
        if cid not in self.sandboxes:
            return  # destroyed meanwhile
        self.disk_used[cid] = used
        enforce = self.iso.enforce_disk
        if not enforce:
            return
        res = self.own.get(cid)
        if res is not None:
            quota = disk_quota_exceeded(res.scalar("disk"), used, enforce=enforce)
            if quota is not None:
                self.submit(ContainerLimitation(container_id=cid, resource="disk",
                                                requested=quota, used=used))
            return
        for tid, tres in list(self.task_res.get(cid, {}).items()):
            if tres.scalar("disk") <= 0:
                continue
            path = os.path.join(sandbox, "tasks", task_sandbox_name(tid))
            tused = await trio.to_thread.run_sync(du, path)
            if tid not in self.task_res.get(cid, {}):
                continue  # finished meanwhile
            quota = disk_quota_exceeded(tres.scalar("disk"), tused, enforce=enforce)
            if quota is not None:
                if self.log is not None:
                    self.log.warning("isolator.disk_quota", container=cid, task=tid, used=tused,
                                     quota=quota)
                # reported once: the agent fails the task (or ignores a task already ended)
                self.task_res.get(cid, {}).pop(tid, None)
                self.submit(ContainerLimitation(container_id=cid, task_id=tid, resource="disk",
                                                requested=quota, used=tused))

    # ------------------------------------------------------------------ queries, recovery
    def statistics(self, cid: str) -> dict[str, Any] | None:
        """ResourceStatistics from the container's cgroup (None: no cgroup for it)."""
        b = self.backend
        if b is None or not b.exists(cid):
            return None
        out: dict[str, Any] = {"timestamp": time.time()}
        out.update(b.statistics(cid))
        return out

    def adopt(self, cid: str, sandbox: str, tasks: Mapping[str, Resources] | None) -> None:
        """A live container of the previous run: disk/du watches its sandbox again (a command
        executor's tasks, from their checkpoints, against their own disk)."""
        self.sandboxes[cid] = sandbox
        if tasks:
            self.task_res[cid] = dict(tasks)

    def recover(self, known: set[str],
                tasks: Mapping[str, Mapping[str, Resources]] | None = None) -> list[str]:
        """Adopt the cgroups of `known` containers (limits kept, OOM listeners armed again);
        return the containers with cgroups that are not known (orphans). `tasks`: container
        -> {task id: resources} from the task checkpoints: each nested cgroup's limits (CPU
        and memory) and task id come from its task's resources, exactly as before the
        restart; a nested cgroup without a checkpointed task keeps what its files say."""
        b = self.backend
        if b is None:
            return []
        orphans = []
        for cid in sorted(b.containers()):
            if cid not in known:
                orphans.append(cid)
                continue
            nested = self.nested.setdefault(cid, {})
            by_name = {nested_name(t): (t, r) for t, r in (tasks or {}).get(cid, {}).items()}
            for name in _nested_dirs(b, cid):
                if name in by_name:
                    tid, res = by_name[name]
                    nested[name] = task_limits(res)
                    self.task_of[(cid, name)] = tid
                else:
                    nested[name] = Limits(cpus=_file_cpus(b, cid, name),
                                          mem_bytes=b.memory(cid, name).get("limit", 0))
                self._watch(cid, name)
            self.command[cid] = bool(nested)
            self._watch(cid, None)
        return orphans


def _file_cpus(b: Backend, cid: str, name: str) -> float:
    """The CPU share a nested cgroup's files give (CFS quota when set, else shares/weight)."""
    def read(*parts: str) -> str:
        with open(os.path.join(*parts)) as f:
            return f.read().strip()

    try:
        if isinstance(b, CgroupsV1):
            d = b.path("cpu", cid, name)
            if not d:
                return 0.0
            quota = int(read(d, "cpu.cfs_quota_us"))
            if quota > 0:
                return quota / (int(read(d, "cpu.cfs_period_us")) or CFS_PERIOD_US)
            return int(read(d, "cpu.shares")) / CPU_SHARES_PER_CPU
        d = b.path(cid, name)
        quota_s, _, period = read(d, "cpu.max").partition(" ")
        if quota_s != "max":
            return int(quota_s) / int(period or CFS_PERIOD_US)
        return int(read(d, "cpu.weight")) / CPU_WEIGHT_PER_CPU
    except (OSError, ValueError):
        return 0.0


def _sum_limits(nested: Any) -> Limits:
    from mesotron.core.agent.isolation import EXECUTOR_OVERHEAD_CPUS, EXECUTOR_OVERHEAD_MEM_BYTES

    cpus = EXECUTOR_OVERHEAD_CPUS + sum(lim.cpus for lim in nested)
    mem = EXECUTOR_OVERHEAD_MEM_BYTES + sum(lim.mem_bytes for lim in nested)
    return Limits(cpus=round(cpus, 3), mem_bytes=mem)


def _nested_dirs(b: Backend, cid: str) -> list[str]:
    top = b.path("freezer", cid) if isinstance(b, CgroupsV1) else b.path(cid)
    try:
        return sorted(e.name for e in os.scandir(top or "") if e.is_dir() and e.name.startswith(("task-", "taskh-")))
    except OSError:
        return []


def du(path: str) -> int:
    """Bytes used under `path` (allocated blocks, like `du -s`; hard links once)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            k = (st.st_dev, st.st_ino)
            if k in seen:
                continue
            seen.add(k)
            total += st.st_blocks * 512
    return total
