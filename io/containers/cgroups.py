"""cgroups v1 and v2 file protocols: create, limit, join, kill (freezer / cgroup.kill), remove.

No decisions here: the limits come from core/agent/isolation.py as {file: value} maps; this
module writes them, lists processes, reads counters and tears cgroups down.

Layout (`root` = --cgroups-root, `cid` = container id, `name` = isolation.nested_name):
- v1: `<mount of each controller>/<root>/<cid>` holds the executor;
  `<...>/<root>/<cid>/<name>` holds one command task (nested). Controllers used: cpu,
  cpuacct, memory, pids, freezer (those mounted; limits only for the isolators asked for).
- v2: `<mount>/<root>/<cid>/leaf` holds the executor (the kernel's no-internal-process rule),
  `<mount>/<root>/<cid>/<name>` one task; `+cpu +memory (+pids)` go into each parent's
  `cgroup.subtree_control`.

Destroy: v1 freezes the container's freezer cgroup (descendants freeze with it), SIGKILLs
every process listed in it and below, thaws, waits for them to be gone, then removes the
directories leaf-first in every hierarchy. v2 writes `1` to `cgroup.kill` (Linux 5.14+),
waits for `cgroup.procs` to empty, removes leaf-first.

`Cgroups.detect()` reads /proc/self/mounts; both backends take their mount points as
arguments, so the v2 protocol is tested against a temporary tree laid out like cgroupfs
(tests/test_cgroups.py) on this machine, which mounts v1 only.
"""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable, Iterator

import trio

V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "pids", "freezer")


class CgroupError(Exception):
    """cgroups are missing, not writable, or a write was refused (message says which)."""


def _write(path: str, value: str) -> None:
    # O_CREAT is harmless on cgroupfs (control files exist; new names are refused) and lets
    # the tests lay out a temporary tree like cgroupfs
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _read_int(path: str, default: int = 0) -> int:
    try:
        return int(_read(path).split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _kv(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        text = _read(path)
    except OSError:
        return out
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        try:
            out[k] = int(v)
        except ValueError:
            pass
    return out


def _pids_in(path: str) -> set[int]:
    try:
        return {int(x) for x in _read(path).split()}
    except (OSError, ValueError):
        return set()


def _walk_dirs(top: str) -> Iterator[str]:
    """Directories under `top` (included), deepest first (one scandir per directory: task
    cgroups rarely have children)."""
    try:
        subdirs = [e.path for e in os.scandir(top) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for d in subdirs:
        yield from _walk_dirs(d)
    yield top


def _rmdir_tree(top: str, rmdir: Callable[[str], None] = os.rmdir) -> bool:
    ok = True
    for d in _walk_dirs(top):
        try:
            rmdir(d)
        except FileNotFoundError:
            pass
        except OSError:
            ok = False
    return ok


def parse_mounts(text: str) -> tuple[dict[str, str], str | None]:
    """(/proc/self/mounts) -> ({v1 controller: mount point}, v2 mount point or None)."""
    v1: dict[str, str] = {}
    v2 = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        _dev, mnt, fstype, opts = parts[:4]
        if fstype == "cgroup2":
            v2 = mnt
        elif fstype == "cgroup":
            for o in opts.split(","):
                if o in V1_CONTROLLERS:
                    v1.setdefault(o, mnt)
    return v1, v2


class CgroupsV1:
    version = 1

    def __init__(self, mounts: dict[str, str], root: str) -> None:
        self.mounts = {c: m for c, m in mounts.items() if c in V1_CONTROLLERS}
        self.root = root
        # one directory tree per distinct mount point (cpu,cpuacct may share one)
        self.hierarchies = sorted(set(self.mounts.values()))
        self.nested_hierarchies = self.hierarchies
        self.rmdir: Callable[[str], None] = os.rmdir  # cgroupfs removes control files itself

    def check(self, need: tuple[str, ...]) -> None:
        missing = [c for c in (*need, "freezer") if c not in self.mounts]
        if missing:
            raise CgroupError(f"cgroups v1: controller(s) {', '.join(missing)} not mounted "
                              f"(mounted: {', '.join(sorted(self.mounts)) or 'none'})")
        for c in (*need, "freezer"):
            top = os.path.join(self.mounts[c], self.root)
            try:
                os.makedirs(top, exist_ok=True)
            except OSError as e:
                raise CgroupError(f"cgroups v1: cannot create {top}: {e.strerror}") from e
            if not os.access(top, os.W_OK):
                raise CgroupError(f"cgroups v1: {top} is not writable (run the agent as root)")

    def _dirs(self, cid: str, name: str | None = None) -> list[str]:
        if name:  # a nested task cgroup: only where it is limited or killed (and counted)
            return [os.path.join(h, self.root, cid, name) for h in self.nested_hierarchies]
        return [os.path.join(h, self.root, cid) for h in self.hierarchies]

    def nest_in(self, controllers: tuple[str, ...]) -> None:
        """Create nested (task) cgroups in these controllers' hierarchies only (freezer
        always: destroy needs it); containers get every mounted one (statistics)."""
        want = {"freezer", *controllers}
        self.nested_hierarchies = sorted({m for c, m in self.mounts.items() if c in want})

    def path(self, controller: str, cid: str, name: str | None = None) -> str | None:
        m = self.mounts.get(controller)
        if m is None:
            return None
        return os.path.join(m, self.root, cid, *([name] if name else []))

    def containers(self) -> set[str]:
        out: set[str] = set()
        for h in self.hierarchies:
            try:
                out.update(e.name for e in os.scandir(os.path.join(h, self.root)) if e.is_dir())
            except OSError:
                pass
        return out

    def create(self, cid: str, name: str | None = None) -> None:
        for d in self._dirs(cid, name):
            os.makedirs(d, exist_ok=True)

    def exists(self, cid: str, name: str | None = None) -> bool:
        p = self.path("freezer", cid, name)
        return p is not None and os.path.isdir(p)

    def set_limits(self, cid: str, name: str | None, files: dict[str, dict[str, str]]) -> None:
        """Write {controller: {file: value}}. memory.limit_in_bytes below the usage is
        refused by the kernel (EBUSY): kept at its value then (never an OOM for a shrink)."""
        for controller, kv in files.items():
            p = self.path(controller, cid, name)
            if p is None:
                continue
            for f, v in kv.items():
                try:
                    _write(os.path.join(p, f), v)
                except OSError as e:
                    if f == "memory.limit_in_bytes" and e.errno == errno.EBUSY:
                        continue
                    raise CgroupError(f"write {v} to {p}/{f}: {e.strerror}") from e

    def join_files(self, cid: str, name: str | None = None) -> list[str]:
        """The cgroup.procs files a new process of the container (or nested task) joins."""
        return [os.path.join(d, "cgroup.procs") for d in self._dirs(cid, name)]

    def container_dirs(self, cid: str) -> list[str]:
        return [os.path.join(h, self.root, cid) for h in self.nested_hierarchies]

    def pids(self, cid: str, name: str | None = None) -> set[int]:
        p = self.path("freezer", cid, name)
        out: set[int] = set()
        if p is None:
            return out
        for d in _walk_dirs(p):
            out |= _pids_in(os.path.join(d, "cgroup.procs"))
        return out

    def threads(self, cid: str) -> int:
        p = self.path("freezer", cid)
        n = 0
        for d in _walk_dirs(p or ""):
            n += len(_pids_in(os.path.join(d, "tasks")))
        return n

    async def kill(self, cid: str, name: str | None = None, *, timeout: float = 5.0) -> bool:
        """Freeze, SIGKILL everything, thaw; True once no process is left."""
        fz = self.path("freezer", cid, name)
        if fz is None or not os.path.isdir(fz) or not self.pids(cid, name):
            return True  # (most tasks are gone by the time their cgroup is removed)
        state = os.path.join(fz, "freezer.state")
        with trio.move_on_after(timeout):
            try:
                _write(state, "FROZEN")
                while _read(state).strip() != "FROZEN":
                    await trio.sleep(0.002)
            except OSError:
                pass
            while True:
                pids = self.pids(cid, name)
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                # thaw every level: a nested cgroup left frozen on its own (an agent killed
                # in the middle of destroying it) keeps its killed processes from dying
                for d in _walk_dirs(fz):
                    try:
                        _write(os.path.join(d, "freezer.state"), "THAWED")
                    except OSError:
                        pass
                if not pids:
                    return True
                await trio.sleep(0.005)
                try:
                    _write(state, "FROZEN")
                except OSError:
                    pass
        return not self.pids(cid, name)

    async def destroy(self, cid: str, name: str | None = None, *, timeout: float = 5.0) -> bool:
        await self.kill(cid, name, timeout=timeout)
        ok = True
        dirs = self._dirs(cid, name)

        def remove() -> bool:
            results = [_rmdir_tree(d, self.rmdir) for d in dirs]  # every hierarchy
            return all(results)

        with trio.move_on_after(timeout):
            # rmdir on cgroupfs sleeps in the kernel (milliseconds): not on the event loop
            while not (ok := await trio.to_thread.run_sync(remove)):
                await trio.sleep(0.005)
        return ok

    # ------------------------------------------------------------------ counters
    def oom_kills(self, cid: str, name: str | None = None) -> int:
        p = self.path("memory", cid, name)
        return _kv(os.path.join(p, "memory.oom_control")).get("oom_kill", 0) if p else 0

    def memory(self, cid: str, name: str | None = None) -> dict[str, int]:
        p = self.path("memory", cid, name)
        if p is None or not os.path.isdir(p):
            return {}
        return {"limit": _read_int(os.path.join(p, "memory.limit_in_bytes")),
                "usage": _read_int(os.path.join(p, "memory.usage_in_bytes")),
                "max_usage": _read_int(os.path.join(p, "memory.max_usage_in_bytes")),
                "oom_kill": _kv(os.path.join(p, "memory.oom_control")).get("oom_kill", 0)}

    def memory_stat(self, cid: str, name: str | None = None) -> dict[str, int]:
        p = self.path("memory", cid, name)
        return _kv(os.path.join(p, "memory.stat")) if p else {}

    def oom_eventfd(self, cid: str, name: str | None = None) -> int:
        """An eventfd that becomes readable on an OOM in the memory cgroup (v1
        cgroup.event_control + memory.oom_control; also when the cgroup is removed)."""
        p = self.path("memory", cid, name)
        if p is None:
            raise CgroupError("memory controller not mounted")
        efd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        ofd = os.open(os.path.join(p, "memory.oom_control"), os.O_RDONLY | os.O_CLOEXEC)
        try:
            _write(os.path.join(p, "cgroup.event_control"), f"{efd} {ofd}")
        except OSError:
            os.close(efd)
            raise
        finally:
            os.close(ofd)
        return efd

    def statistics(self, cid: str) -> dict[str, float]:
        """Mesos ResourceStatistics fields from the container's counters."""
        out: dict[str, float] = {}
        acct = self.path("cpuacct", cid)
        if acct and os.path.isdir(acct):
            st = _kv(os.path.join(acct, "cpuacct.stat"))
            hz = os.sysconf("SC_CLK_TCK")
            out["cpus_user_time_secs"] = st.get("user", 0) / hz
            out["cpus_system_time_secs"] = st.get("system", 0) / hz
        cpu = self.path("cpu", cid)
        if cpu and os.path.isdir(cpu):
            shares = _read_int(os.path.join(cpu, "cpu.shares"))
            quota = _read_int(os.path.join(cpu, "cpu.cfs_quota_us"), -1)
            period = _read_int(os.path.join(cpu, "cpu.cfs_period_us"), 100_000) or 100_000
            out["cpus_limit"] = shares / 1024 if shares else 0.0
            if quota > 0:
                out["cpus_limit"] = quota / period
                st = _kv(os.path.join(cpu, "cpu.stat"))
                out["cpus_nr_periods"] = st.get("nr_periods", 0)
                out["cpus_nr_throttled"] = st.get("nr_throttled", 0)
                out["cpus_throttled_time_secs"] = st.get("throttled_time", 0) / 1e9
        mem = self.memory(cid)
        if mem:
            ms = self.memory_stat(cid)
            out["mem_limit_bytes"] = mem["limit"]
            out["mem_total_bytes"] = mem["usage"]
            out["mem_rss_bytes"] = ms.get("total_rss", ms.get("rss", 0))
            out["mem_cache_bytes"] = ms.get("total_cache", ms.get("cache", 0))
            out["mem_mapped_file_bytes"] = ms.get("total_mapped_file", 0)
        out["processes"] = len(self.pids(cid))
        out["threads"] = self.threads(cid)
        return out


class CgroupsV2:
    version = 2

    def __init__(self, mount: str, root: str) -> None:
        self.mount = mount
        self.root = root
        self.need: list[str] = []
        self.rmdir: Callable[[str], None] = os.rmdir  # cgroupfs removes control files itself

    def _controllers_for(self, need: tuple[str, ...]) -> list[str]:
        m = {"cpu": "cpu", "memory": "memory", "pids": "pids"}
        return [m[c] for c in need if c in m]

    def check(self, need: tuple[str, ...]) -> None:
        try:
            have = set(_read(os.path.join(self.mount, "cgroup.controllers")).split())
        except OSError as e:
            raise CgroupError(f"cgroups v2: cannot read {self.mount}/cgroup.controllers") from e
        missing = [c for c in self._controllers_for(need) if c not in have]
        if missing:
            raise CgroupError(f"cgroups v2: controller(s) {', '.join(missing)} not available at "
                              f"{self.mount} (available: {', '.join(sorted(have)) or 'none'})")
        self.need = self._controllers_for(need)
        top = os.path.join(self.mount, self.root)
        try:
            os.makedirs(top, exist_ok=True)
            self._enable(self.mount)
            self._enable(top)
        except OSError as e:
            raise CgroupError(f"cgroups v2: cannot set up {top}: {e.strerror}") from e

    def _enable(self, d: str) -> None:
        want = " ".join(f"+{c}" for c in self.need)
        if want:
            _write(os.path.join(d, "cgroup.subtree_control"), want)

    def path(self, cid: str, name: str | None = None) -> str:
        return os.path.join(self.mount, self.root, cid, *([name] if name else []))

    def containers(self) -> set[str]:
        try:
            return {e.name for e in os.scandir(os.path.join(self.mount, self.root)) if e.is_dir()}
        except OSError:
            return set()

    def create(self, cid: str, name: str | None = None) -> None:
        top = self.path(cid)
        if name is None:
            os.makedirs(os.path.join(top, "leaf"), exist_ok=True)
            self._enable(top)
        else:
            os.makedirs(self.path(cid, name), exist_ok=True)

    def exists(self, cid: str, name: str | None = None) -> bool:
        return os.path.isdir(self.path(cid, name))

    def set_limits(self, cid: str, name: str | None, files: dict[str, str]) -> None:
        from mesotron.core.agent.isolation import v2_memory_max

        p = self.path(cid, name)
        for f, v in files.items():
            if f == "memory.max":
                try:
                    cur: str | None = _read(os.path.join(p, f))
                except OSError:
                    cur = None
                new = v2_memory_max(cur if cur is not None and cur.strip() else None, int(v))
                if new is None:
                    continue
                v = new
            try:
                _write(os.path.join(p, f), v)
            except OSError as e:
                raise CgroupError(f"write {v} to {p}/{f}: {e.strerror}") from e

    def join_files(self, cid: str, name: str | None = None) -> list[str]:
        d = self.path(cid, name) if name else os.path.join(self.path(cid), "leaf")
        return [os.path.join(d, "cgroup.procs")]

    def container_dirs(self, cid: str) -> list[str]:
        return [self.path(cid)]

    def pids(self, cid: str, name: str | None = None) -> set[int]:
        out: set[int] = set()
        for d in _walk_dirs(self.path(cid, name)):
            out |= _pids_in(os.path.join(d, "cgroup.procs"))
        return out

    async def kill(self, cid: str, name: str | None = None, *, timeout: float = 5.0) -> bool:
        p = self.path(cid, name)
        if not os.path.isdir(p) or not self.pids(cid, name):
            return True
        with trio.move_on_after(timeout):
            try:
                _write(os.path.join(p, "cgroup.kill"), "1")
            except OSError:
                for pid in self.pids(cid, name):  # before Linux 5.14: one by one
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            while self.pids(cid, name):
                await trio.sleep(0.005)
            return True
        return False

    async def destroy(self, cid: str, name: str | None = None, *, timeout: float = 5.0) -> bool:
        await self.kill(cid, name, timeout=timeout)
        top = self.path(cid, name)
        with trio.move_on_after(timeout):
            while not await trio.to_thread.run_sync(_rmdir_tree, top, self.rmdir):
                await trio.sleep(0.005)
            return True
        return False

    def oom_kills(self, cid: str, name: str | None = None) -> int:
        return _kv(os.path.join(self.path(cid, name), "memory.events")).get("oom_kill", 0)

    def memory(self, cid: str, name: str | None = None) -> dict[str, int]:
        p = self.path(cid, name)
        if not os.path.isdir(p):
            return {}
        raw = ""
        try:
            raw = _read(os.path.join(p, "memory.max")).strip()
        except OSError:
            pass
        return {"limit": int(raw) if raw.isdigit() else 0,
                "usage": _read_int(os.path.join(p, "memory.current")),
                "max_usage": _read_int(os.path.join(p, "memory.peak"),
                                       _read_int(os.path.join(p, "memory.current"))),
                "oom_kill": _kv(os.path.join(p, "memory.events")).get("oom_kill", 0)}

    def memory_stat(self, cid: str, name: str | None = None) -> dict[str, int]:
        return _kv(os.path.join(self.path(cid, name), "memory.stat"))

    def statistics(self, cid: str) -> dict[str, float]:
        p = self.path(cid)
        out: dict[str, float] = {}
        st = _kv(os.path.join(p, "cpu.stat"))
        if st:
            out["cpus_user_time_secs"] = st.get("user_usec", 0) / 1e6
            out["cpus_system_time_secs"] = st.get("system_usec", 0) / 1e6
            if "nr_periods" in st:
                out["cpus_nr_periods"] = st["nr_periods"]
                out["cpus_nr_throttled"] = st.get("nr_throttled", 0)
                out["cpus_throttled_time_secs"] = st.get("throttled_usec", 0) / 1e6
        try:
            quota, _, period = _read(os.path.join(p, "cpu.max")).strip().partition(" ")
            if quota != "max":
                out["cpus_limit"] = int(quota) / int(period or 100_000)
            else:
                out["cpus_limit"] = _read_int(os.path.join(p, "cpu.weight")) / 100
        except (OSError, ValueError):
            pass
        mem = self.memory(cid)
        if mem:
            ms = self.memory_stat(cid)
            out["mem_limit_bytes"] = mem["limit"]
            out["mem_total_bytes"] = mem["usage"]
            out["mem_rss_bytes"] = ms.get("anon", 0)
            out["mem_cache_bytes"] = ms.get("file", 0)
            out["mem_mapped_file_bytes"] = ms.get("file_mapped", 0)
        out["processes"] = len(self.pids(cid))
        return out


Backend = CgroupsV1 | CgroupsV2


def detect(root: str, need: tuple[str, ...], mounts_text: str | None = None) -> Backend:
    """The cgroups backend for `need` (v1 controller names: cpu, memory, pids): v1 when its
    controllers are mounted, else v2 when its hierarchy has them; CgroupError otherwise."""
    if mounts_text is None:
        try:
            mounts_text = _read("/proc/self/mounts")
        except OSError as e:
            raise CgroupError("cannot read /proc/self/mounts") from e
    v1, v2 = parse_mounts(mounts_text)
    errors = []
    if v1:
        b1 = CgroupsV1(v1, root)
        try:
            b1.check(need)
            return b1
        except CgroupError as e:
            errors.append(str(e))
    if v2:
        b2 = CgroupsV2(v2, root)
        try:
            b2.check(need)
            return b2
        except CgroupError as e:
            errors.append(str(e))
    raise CgroupError("; ".join(errors) or "no cgroup filesystem mounted")
