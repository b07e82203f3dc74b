"""Executor processes (the posix "containerizer"): launch, watch, signal, recover.

- Each executor runs in its own session/process group (pymesos's executor kills its whole
  group on shutdown), cwd = its sandbox `<work_dir>/slaves/<agent>/frameworks/<fw>/executors/
  <ex>/runs/<container>/` with `stdout`/`stderr` files, and the MESOS_* environment.
- The built-in command executor (`command.value == COMMAND_EXECUTOR_PROGRAM`) is forked
  from a warm zygote process (io/containers/zygote.py: ~1 ms instead of ~0.3 s of interpreter start-up
  and imports); with `use_zygote=False` it runs as `python -m mesotron.io.daemons.executor`.
  One such executor runs all of a framework's command tasks on this agent (each task in its
  own process group inside the executor's session, sandbox `.../runs/<container>/tasks/<task
  id>/`), so the zygote forks once per framework; it is spawned `ZYGOTE_DELAY` after start
  (off the start-up path) or at the first command executor launch, whichever comes first.
- `<work_dir>/meta/containers/<container>.pid` records "pid start_time" so that a restarted
  agent finds executors started by its previous incarnation; those are watched by polling
  (they are not our children) and reported exited with status -1 (unknown) when gone.
- Every container whose process is gone is reported exactly once through `on_exit`.
- With an isolator (io/containers/isolator.py) each executor joins its container's cgroups
  before it runs (the zygote's child writes its pid first thing; a fresh interpreter through
  a pre-exec hook), exits also kill what is left in the cgroup, and `recover(known)` reports
  pid files and cgroups of containers the checkpoints do not know as orphans.
"""

from __future__ import annotations

import math
import os
import signal as sig
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import psutil
import trio
from mesotron.core.executor import COMMAND_EXECUTOR_PROGRAM
from mesotron.core.resources import Resources
from mesotron.io.containers.cgroups import CgroupError

ZYGOTE_DELAY = 2.0  # seconds after start-up the zygote is spawned unless a launch needs it

UNKNOWN_STATUS = -1


class Container:
    __slots__ = ("container_id", "executor_id", "exited", "framework_id", "orphan", "pid",
                 "proc", "sandbox")

    def __init__(self, container_id: str, framework_id: str, executor_id: str, pid: int,
                 proc: Any, sandbox: str) -> None:
        self.container_id = container_id
        self.framework_id = framework_id
        self.executor_id = executor_id
        self.pid = pid
        self.proc = proc
        self.sandbox = sandbox
        self.exited = False
        self.orphan = False


class Containerizer:
    def __init__(self, work_dir: str, agent_endpoint: str,
                 on_exit: Callable[[Container, int], None],
                 on_start: Callable[[Container], None] | None = None, log: Any = None,
                 use_zygote: bool = True, isolator: Any = None) -> None:
        self.work_dir = os.path.abspath(work_dir)
        self.agent_endpoint = agent_endpoint
        self.on_exit = on_exit
        self.on_start = on_start
        self.log = log
        self.containers: dict[str, Container] = {}
        self.pid_dir = os.path.join(self.work_dir, "meta", "containers")
        os.makedirs(self.pid_dir, exist_ok=True)
        self.nursery: trio.Nursery | None = None
        self.launch_errors = 0
        self.use_zygote = use_zygote
        self.zygote: Any = None
        self._zsend: Any = None
        self._zrecv: Any = None
        self._zygote_wanted = trio.Event()
        self.isolator = isolator  # io/containers/isolator.py (None: process groups only)
        self.pending_kills: dict[str, str] = {}
        self._exits: list[tuple[Container, int]] = []

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            if self.use_zygote:
                # spawn requests queue up until the zygote has finished importing
                self._zsend, self._zrecv = trio.open_memory_channel[bytes](math.inf)
                nursery.start_soon(self._run_zygote)
            task_status.started()
            await trio.sleep_forever()

    # ------------------------------------------------------------------ zygote
    async def _run_zygote(self) -> None:
        import json

        # not on the start-up path: a fresh interpreter importing the executor competes for
        # the CPU with the agent's own start (and `mesotron local` starts several agents);
        # the first command executor launch (queued meanwhile) starts it at once
        with trio.move_on_after(ZYGOTE_DELAY):
            await self._zygote_wanted.wait()
        recv = self._zrecv
        proc = await trio.lowlevel.open_process(
            [sys.executable, "-m", "mesotron.io.containers.zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=None)
        self.zygote = proc
        buf = b""
        try:
            async with trio.open_nursery() as nursery:

                async def writer() -> None:
                    async for data in recv:
                        await proc.stdin.send_all(data)

                nursery.start_soon(writer)
                while True:
                    chunk = await proc.stdout.receive_some(65536)
                    if not chunk:
                        break
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        msg = json.loads(line)
                        op = msg.get("op")
                        if op == "started":
                            self._zygote_started(msg["id"], msg["pid"])
                        elif op == "exited":
                            c = self.containers.get(msg["id"])
                            if c is not None:
                                self._exited(c, msg["status"])
                        elif op == "failed":
                            c = self.containers.get(msg["id"])
                            if c is not None:
                                self.launch_errors += 1
                                self._exited(c, 127)
                nursery.cancel_scope.cancel()
        finally:
            self._zsend = None
            with trio.CancelScope(shield=True):
                try:
                    proc.kill()
                except OSError:
                    pass
                await proc.wait()
        if self.log is not None:
            self.log.warning("zygote.exited")

    def _zygote_started(self, cid: str, pid: int) -> None:
        c = self.containers.get(cid)
        if c is None:
            return
        c.pid = pid
        self._write_pid(c)
        if self.on_start is not None:
            self.on_start(c)
        sig_name = self.pending_kills.pop(cid, None)
        if sig_name is not None:
            self.kill(cid, sig_name)

    def sandbox_path(self, sandbox: tuple[str, ...]) -> str:
        return os.path.join(self.work_dir, *sandbox)

    # ------------------------------------------------------------------ launch
    def argv(self, e: Any) -> tuple[list[str], bool]:
        cmd = e.command
        if cmd.value == COMMAND_EXECUTOR_PROGRAM:
            return [sys.executable, "-m", "mesotron.io.daemons.executor"], False
        if cmd.shell:
            return ["/bin/sh", "-c", cmd.value or ""], False
        args = list(cmd.arguments) or [cmd.value or ""]
        return [cmd.value or args[0], *args[1:]], False

    def launch(self, e: Any) -> None:
        """Start the executor of a `LaunchExecutor` effect (process creation is synchronous:
        fork+exec takes about a millisecond; waiting happens in a watcher task)."""
        sandbox = self.sandbox_path(e.sandbox)
        fid, eid, cid = e.framework_id, e.executor_info.executor_id, e.container_id
        try:
            os.makedirs(sandbox, exist_ok=True)
            latest = os.path.join(os.path.dirname(sandbox), "latest")
            try:
                if os.path.islink(latest):
                    os.unlink(latest)
                os.symlink(cid, latest)
            except OSError:
                pass
            env = dict(os.environ)
            env.update(dict(e.env))
            env.update(dict(e.command.environment))
            env["MESOS_AGENT_ENDPOINT"] = self.agent_endpoint
            env["MESOS_DIRECTORY"] = sandbox
            env["MESOS_SANDBOX"] = sandbox
            env["MESOS_CONTAINER_ID"] = cid
            env.setdefault("LIBPROCESS_PORT", "0")
            join: list[str] = []
            if self.isolator is not None:
                # the container's cgroups (and limits) exist before its first process runs
                join = self.isolator.prepare(cid, e.resources,
                                             e.command.value == COMMAND_EXECUTOR_PROGRAM, sandbox)
                env.update(self.isolator.executor_env(cid))
            if self._zsend is not None and e.command.value == COMMAND_EXECUTOR_PROGRAM:
                import json

                c = Container(cid, fid, eid, 0, None, sandbox)
                self.containers[cid] = c
                req = {"op": "spawn", "id": cid, "env": env, "cwd": sandbox,
                       "stdout": os.path.join(sandbox, "stdout"),
                       "stderr": os.path.join(sandbox, "stderr"), "cgroups": join}
                self._zsend.send_nowait((json.dumps(req) + "\n").encode())
                self._zygote_wanted.set()
                return
            argv, _ = self.argv(e)
            with open(os.path.join(sandbox, "stdout"), "ab") as out, \
                    open(os.path.join(sandbox, "stderr"), "ab") as err:
                proc = subprocess.Popen(argv, cwd=sandbox, env=env, stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=err, start_new_session=True,
                                        close_fds=True,
                                        preexec_fn=_joiner(join) if join else None)  # noqa: PLW1509 - os calls only
        except (OSError, subprocess.SubprocessError, CgroupError) as exc:
            self.launch_errors += 1
            if self.log is not None:
                self.log.warning("container.launch_failed", container=cid, error=str(exc))
            c = Container(cid, fid, eid, -1, None, sandbox)
            self.containers[cid] = c
            self._exited(c, 127)
            return
        c = Container(cid, fid, eid, proc.pid, proc, sandbox)
        self.containers[cid] = c
        self._write_pid(c)
        if self.on_start is not None:
            self.on_start(c)
        assert self.nursery is not None
        self.nursery.start_soon(self._wait_child, c)

    def _write_pid(self, c: Container) -> None:
        try:
            start = psutil.Process(c.pid).create_time()
        except psutil.Error:
            start = 0.0
        path = os.path.join(self.pid_dir, f"{c.container_id}.pid")
        with open(path, "w") as f:
            f.write(f"{c.pid} {start} {c.framework_id} {c.executor_id} {c.sandbox}\n")

    async def _wait_child(self, c: Container) -> None:
        proc = c.proc
        # Popen.wait in a thread would cost a thread per executor: poll via pidfd-less wait
        while True:
            rc = proc.poll()
            if rc is not None:
                break
            await _child_exited()
        self._exited(c, rc)

    def _exited(self, c: Container, status: int) -> None:
        if c.exited:
            return
        c.exited = True
        if self.log is not None:
            self.log.debug("container.exited", container=c.container_id, pid=c.pid, status=status)
        if c.pid > 0 and self.nursery is not None:
            # the container is over: processes its executor left behind go too, before the
            # agent hears of the exit. Finding them scans every pid on the host (~2 ms with
            # 2,000 processes), so exits reported together share one scan (the reaper task).
            self._exits.append((c, status))
            if len(self._exits) == 1:
                self.nursery.start_soon(self._reap)
            return
        if c.pid > 0:
            kill_session(c.pid)
        self._finish_exit(c, status)

    async def _reap(self) -> None:
        await trio.lowlevel.checkpoint()  # let the other exits of this wake-up queue up
        exits, self._exits = self._exits, []
        kill_sessions({c.pid for c, _ in exits})
        if self.isolator is not None and self.isolator.cgroups:
            # what escaped the session (daemonized, setsid) is still in the cgroup
            for c, _ in exits:
                await self.isolator.kill(c.container_id)
        for c, status in exits:
            self._finish_exit(c, status)

    def _finish_exit(self, c: Container, status: int) -> None:
        try:
            os.unlink(os.path.join(self.pid_dir, f"{c.container_id}.pid"))
        except OSError:
            pass
        self.on_exit(c, status)

    # ------------------------------------------------------------------ signals
    def kill(self, container_id: str, signal_name: str = "SIGKILL") -> bool:
        c = self.containers.get(container_id)
        if c is not None and not c.exited and c.pid == 0:  # zygote has not reported the pid yet
            self.pending_kills[container_id] = signal_name
            return True
        if c is None or c.exited or c.pid <= 0:
            return False
        signum = getattr(sig, signal_name, sig.SIGKILL)
        try:
            os.killpg(c.pid, signum)
        except ProcessLookupError:
            return False
        except PermissionError:
            try:
                os.kill(c.pid, signum)
            except OSError:
                return False
        if signum == sig.SIGKILL:  # destroy: everything in the container's session goes
            kill_session(c.pid)
            if self.isolator is not None and self.isolator.cgroups and self.nursery is not None:
                self.nursery.start_soon(self.isolator.kill, container_id)
        return True

    # ------------------------------------------------------------------ recovery
    def recover(self, known: set[str], tasks: Mapping[str, Mapping[str, Resources]] | None = None,
                ) -> tuple[list[tuple[str, str, str, bool]], list[str]]:
        """Containers recorded by a previous incarnation: ([(fw, ex, container, alive)] of the
        `known` ones, [orphans]). Known live ones are adopted and watched (their cgroups
        too). Orphans (a pid file or a cgroup the checkpoints do not know) are registered so
        that a KillExecutor/DestroyContainer reaches them; the agent machine decides (it is
        told with `OrphanContainer`). `tasks`: container -> {task id: resources} from the
        task checkpoints (the isolator restores its nested cgroups' limits and names)."""
        out = []
        orphans: list[str] = []
        for name in os.listdir(self.pid_dir):
            if not name.endswith(".pid"):
                continue
            cid = name[:-4]
            path = os.path.join(self.pid_dir, name)
            if cid not in known:
                self._orphan(cid, path)
                orphans.append(cid)
                continue
            try:
                with open(path) as f:
                    pid_s, start_s, fid, eid, sandbox = f.read().split(" ", 4)
                pid, start = int(pid_s), float(start_s)
            except (OSError, ValueError):
                os.unlink(path)
                continue
            # the pidfd first, then the identity check: a pid reused after the check could
            # not be the one the pidfd watches
            try:
                fd = os.pidfd_open(pid)
            except (AttributeError, OSError):
                fd = -1
            alive = _alive(pid, start)
            if not alive and fd >= 0:
                os.close(fd)
                fd = -1
            c = Container(cid, fid, eid, pid, None, sandbox.strip())
            self.containers[cid] = c
            if alive and self.isolator is not None:
                self.isolator.adopt(cid, sandbox.strip(), (tasks or {}).get(cid))
            out.append((fid, eid, cid, alive))
            if alive:
                assert self.nursery is not None
                self.nursery.start_soon(self._watch_adopted, c, start, fd)
            else:
                c.exited = True
                os.unlink(path)
        if self.isolator is not None:
            for cid in self.isolator.recover(known, tasks):
                if cid not in orphans:
                    orphans.append(cid)
        return out, orphans

    def _orphan(self, cid: str, path: str) -> None:
        """A container of a previous incarnation the checkpoints do not know: registered (not
        watched) so that `kill` reaches its session; its pid file goes."""
        try:
            with open(path) as f:
                pid_s, start_s, fid, eid, sandbox = f.read().split(" ", 4)
            pid, start = int(pid_s), float(start_s)
        except (OSError, ValueError):
            pid, start, fid, eid, sandbox = -1, 0.0, "", "", ""
        try:
            os.unlink(path)
        except OSError:
            pass
        c = Container(cid, fid, eid, pid if pid > 0 and _alive(pid, start) else -1, None,
                      sandbox.strip())
        c.exited = c.pid <= 0
        c.orphan = True
        self.containers[cid] = c

    async def _watch_adopted(self, c: Container, start: float, fd: int = -1) -> None:
        # not our child: its pidfd (opened before the liveness check in `recover`) becomes
        # readable when it exits (Linux >= 5.3); polling is the fallback (one psutil
        # look-up per container every 0.2 s)
        if fd >= 0:
            try:
                await trio.lowlevel.wait_readable(fd)
            finally:
                os.close(fd)
        else:
            while _alive(c.pid, start):
                await trio.sleep(0.2)
        self._exited(c, UNKNOWN_STATUS)

    # ------------------------------------------------------------------ statistics
    def statistics(self, container_id: str) -> dict[str, Any]:
        if self.isolator is not None:
            cg = self.isolator.statistics(container_id)
            if cg is not None:
                return cg
        c = self.containers.get(container_id)
        stats: dict[str, Any] = {"timestamp": _now()}
        if c is None or c.exited or c.pid <= 0:
            return stats
        try:
            root = psutil.Process(c.pid)
            procs = [root] + root.children(recursive=True)
            user = system = 0.0
            rss = 0
            threads = 0
            for p in procs:
                try:
                    t = p.cpu_times()
                    user += t.user + t.children_user
                    system += t.system + t.children_system
                    rss += p.memory_info().rss
                    threads += p.num_threads()
                except psutil.Error:
                    pass
            stats.update({"processes": len(procs), "threads": threads,
                          "cpus_user_time_secs": user, "cpus_system_time_secs": system,
                          "mem_rss_bytes": rss, "mem_total_bytes": rss})
        except psutil.Error:
            pass
        return stats

    def shutdown_all(self) -> None:
        """Kill every executor we started (used by `mesotron local` on exit)."""
        for cid in list(self.containers):
            self.kill(cid, "SIGKILL")
        if self.zygote is not None:
            try:
                self.zygote.kill()
            except OSError:
                pass


def _joiner(files: list[str]) -> Callable[[], None]:
    """A pre-exec hook that moves the new process into its cgroups."""

    def join() -> None:
        pid = str(os.getpid()).encode()
        for f in files:
            fd = os.open(f, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    return join


def kill_session(sid: int) -> int:
    """SIGKILL every process of session `sid` (an executor is its session's leader; its
    tasks run in their own process groups inside that session). Returns how many."""
    return kill_sessions({sid})


def kill_sessions(sids: set[int]) -> int:
    """SIGKILL every process of any session in `sids`: one pass over /proc for all."""
    if not sids:
        return 0
    n = 0
    me = os.getpid()
    getsid = os.getsid
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            if pid != me and getsid(pid) in sids:
                os.kill(pid, sig.SIGKILL)
                n += 1
        except OSError:
            pass
    return n


def _alive(pid: int, start: float) -> bool:
    try:
        p = psutil.Process(pid)
        if start and abs(p.create_time() - start) > 0.01:
            return False
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _now() -> float:
    import time

    return time.time()


_sigchld_event: trio.Event | None = None


async def _child_exited() -> None:
    """Wait for a SIGCHLD (or 0.5 s as a fallback)."""
    global _sigchld_event
    if _sigchld_event is None:
        _sigchld_event = trio.Event()
    ev = _sigchld_event
    with trio.move_on_after(0.5):
        await ev.wait()


async def sigchld_pump(*, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Turn SIGCHLD into a broadcast wake-up for the child watchers."""
    global _sigchld_event
    with trio.open_signal_receiver(sig.SIGCHLD) as signals:
        task_status.started()
        async for _ in signals:
            ev = _sigchld_event
            _sigchld_event = trio.Event()
            if ev is not None:
                ev.set()
