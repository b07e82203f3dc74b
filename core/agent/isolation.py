"""Resource isolation decisions (Mesos `src/slave/containerizer/mesos/isolators/cgroups{,2}/`).

Pure: which isolators a flag names, which cgroup files a container (or a task's nested
container) gets for its resources, and the text of a limitation. The shell (io/containers/)
writes the files and watches the counters; the agent machine turns a `ContainerLimitation`
into TASK_FAILED (core/agent/executors.py).

Reads: Resources. Writes: nothing (values only).

Decisions where Mesos is silent or different:
- One built-in command executor runs all of a framework's command tasks, so each task gets a
  NESTED cgroup (Mesos's nested containers with `share_cgroups=false`): its own memory limit,
  CPU shares and (with CFS) quota. The executor's container is their parent; its limits are
  the sum of its tasks' limits plus the executor's own overhead (Mesos DEFAULT_EXECUTOR_CPUS
  0.1 and DEFAULT_EXECUTOR_MEM 32 MB), so a task over its own limit is OOM-killed inside its
  nested cgroup and never pushes the parent (and a neighbour) over.
- A custom executor's container gets the executor's + its tasks' resources (Mesos).

Books read: none.
Books written: none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import attrs
from mesotron.core.resources import Resources

MB = 1024 * 1024
# Mesos: MIN_MEMORY (32 MB), MIN_CPU_SHARES 2, CPU_SHARES_PER_CPU 1024, CPU_CFS_PERIOD 100 ms,
# MIN_CPU_CFS_QUOTA 1 ms; cgroups v2: CPU_WEIGHT_PER_CPU 100, MIN_CPU_WEIGHT 1
MIN_MEMORY_BYTES = 32 * MB
CPU_SHARES_PER_CPU = 1024
MIN_CPU_SHARES = 2
CFS_PERIOD_US = 100_000
MIN_CFS_QUOTA_US = 1_000
CPU_WEIGHT_PER_CPU = 100
MIN_CPU_WEIGHT = 1
MAX_CPU_WEIGHT = 10_000
# the command executor's own share of its container (Mesos DEFAULT_EXECUTOR_CPUS/MEM)
EXECUTOR_OVERHEAD_CPUS = 0.1
EXECUTOR_OVERHEAD_MEM_BYTES = 32 * MB

ISOLATORS = ("posix/cpu", "posix/mem", "cgroups/cpu", "cgroups/mem", "cgroups/pids", "disk/du")


class IsolationFlagError(ValueError):
    """A bad --isolation value (the message names the bad part)."""


@attrs.frozen(kw_only=True, slots=True)
class Isolation:
    """What `--isolation` asks for. `cgroups`: any cgroups/* isolator (then a cgroup per
    container and nested cgroup per command task); `cpu`/`mem`/`pids`: which controllers
    limit; `disk`: disk/du (watch sandbox usage); `cfs`: hard CPU cap (CFS quota)."""

    names: tuple[str, ...] = ()
    cfs: bool = False
    enforce_disk: bool = False

    @property
    def cgroups(self) -> bool:
        return any(n.startswith("cgroups/") for n in self.names)

    @property
    def cpu(self) -> bool:
        return "cgroups/cpu" in self.names

    @property
    def mem(self) -> bool:
        return "cgroups/mem" in self.names

    @property
    def pids(self) -> bool:
        return "cgroups/pids" in self.names

    @property
    def disk(self) -> bool:
        return "disk/du" in self.names


def parse_isolation(flag: str, *, cfs: bool = False, enforce_disk: bool = False) -> Isolation:
    """`--isolation=cgroups/cpu,cgroups/mem` -> Isolation; unknown names, duplicates and
    posix/* mixed with cgroups/* for the same resource raise IsolationFlagError."""
    names = [n.strip() for n in (flag or "").split(",") if n.strip()]
    bad = [n for n in names if n not in ISOLATORS]
    if bad:
        raise IsolationFlagError(f"unknown isolator(s) {', '.join(bad)} (known: {', '.join(ISOLATORS)})")
    if len(set(names)) != len(names):
        raise IsolationFlagError(f"isolator listed twice in {flag!r}")
    for res in ("cpu", "mem"):
        if f"posix/{res}" in names and f"cgroups/{res}" in names:
            raise IsolationFlagError(f"posix/{res} and cgroups/{res} both isolate {res}: pick one")
    return Isolation(names=tuple(names), cfs=cfs, enforce_disk=enforce_disk)


# ------------------------------------------------------------------ limits
@attrs.frozen(kw_only=True, slots=True)
class Limits:
    """The limits of one cgroup: CPU (cpus, None: no cpu isolation), memory in bytes."""

    cpus: float
    mem_bytes: int


def task_limits(resources: Resources) -> Limits:
    return Limits(cpus=resources.scalar("cpus"),
                  mem_bytes=max(MIN_MEMORY_BYTES, int(resources.scalar("mem") * MB)))


def container_limits(resources: Resources, nested: Iterable[Resources] = (),
                     *, command_executor: bool = False) -> Limits:
    """The limits of an executor's container. A command executor's: its overhead plus the
    sum of its live tasks' nested limits (each at least the minimum); a custom executor's:
    its resources (executor + tasks)."""
    if not command_executor:
        return task_limits(resources)
    cpus = EXECUTOR_OVERHEAD_CPUS
    mem = EXECUTOR_OVERHEAD_MEM_BYTES
    for r in nested:
        lim = task_limits(r)
        cpus += lim.cpus
        mem += lim.mem_bytes
    return Limits(cpus=round(cpus, 3), mem_bytes=mem)


def v1_files(limits: Limits, iso: Isolation) -> dict[str, dict[str, str]]:
    """cgroups v1: controller -> {file: value}."""
    out: dict[str, dict[str, str]] = {}
    if iso.cpu:
        cpu = {"cpu.shares": str(max(MIN_CPU_SHARES, int(CPU_SHARES_PER_CPU * limits.cpus)))}
        if iso.cfs:
            cpu["cpu.cfs_period_us"] = str(CFS_PERIOD_US)
            cpu["cpu.cfs_quota_us"] = str(max(MIN_CFS_QUOTA_US, int(CFS_PERIOD_US * limits.cpus)))
        out["cpu"] = cpu
    if iso.mem:
        out["memory"] = {"memory.limit_in_bytes": str(limits.mem_bytes)}
    return out


def v2_files(limits: Limits, iso: Isolation) -> dict[str, str]:
    """cgroups v2 (one hierarchy): {file: value}. `memory.max` must only be raised once set
    (see `v2_memory_max`)."""
    out: dict[str, str] = {}
    if iso.cpu:
        weight = min(MAX_CPU_WEIGHT, max(MIN_CPU_WEIGHT, int(CPU_WEIGHT_PER_CPU * limits.cpus)))
        out["cpu.weight"] = str(weight)
        if iso.cfs:
            quota = max(MIN_CFS_QUOTA_US, int(CFS_PERIOD_US * limits.cpus))
            out["cpu.max"] = f"{quota} {CFS_PERIOD_US}"
        else:
            out["cpu.max"] = f"max {CFS_PERIOD_US}"
    if iso.mem:
        out["memory.max"] = str(limits.mem_bytes)
    return out


def v2_memory_max(current: str | None, wanted: int) -> str | None:
    """Mesos's cgroups2 memory controller sets memory.max the first time and afterwards only
    raises it (lowering it under the usage would invoke the OOM killer): the value to write,
    or None to keep. A cgroup the agent has not limited yet reads "max" (the cgroupfs
    default: unlimited) or has no value: set."""
    if current is None or current.strip() in ("", "max"):
        return str(wanted)
    try:
        return str(wanted) if wanted > int(current) else None
    except ValueError:
        return str(wanted)


def may_lower_memory(limit_now: int, wanted: int, usage: int) -> bool:
    """v1: lower memory.limit_in_bytes only when the container's usage fits under the new
    limit (the kernel would otherwise reclaim or fail, and never kill for it: a departed
    task's page cache may keep it up until later)."""
    return wanted >= limit_now or usage <= wanted


# ------------------------------------------------------------------ names
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


MAX_NAME = 200  # longest nested cgroup / task sandbox name we write (NAME_MAX is 255)


def _hashed(task_id: str) -> str:
    return "taskh-" + hashlib.sha256(task_id.encode()).hexdigest()[:40]


def nested_name(task_id: str) -> str:
    """The nested cgroup of a command task: `task-<id>` with anything outside [A-Za-z0-9.-]
    written as _XX (so names are injective and never clash with a control file); an id
    whose encoding is longer than MAX_NAME characters gets `taskh-<sha256 prefix>`, which
    is not decodable: the shell keeps the name -> task id map (it knows the id from the
    UpdateContainer that made the cgroup, and after a restart from the task checkpoints)."""
    enc = "".join(c if c in _SAFE else "".join(f"_{b:02x}" for b in c.encode()) for c in task_id)
    if len(enc) + 5 > MAX_NAME:
        return _hashed(task_id)
    return "task-" + enc


def task_sandbox_name(task_id: str) -> str:
    """The directory of a command task's own sandbox under `<executor sandbox>/tasks/`: the
    task id itself (Mesos's layout), or `taskh-<sha256 prefix>` when the id is too long for
    a file name or is not a plain name ('/', '.', '..', NUL)."""
    if (len(task_id.encode()) > MAX_NAME or "/" in task_id or "\0" in task_id
            or task_id in ("", ".", "..")):
        return _hashed(task_id)
    return task_id


# ------------------------------------------------------------------ limitation text
def format_bytes(n: int) -> str:
    """Mesos's `Bytes` printing: the largest unit that loses no information."""
    for unit, size in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


def memory_limitation_message(requested: int, used: int, stats: Mapping[str, int]) -> str:
    """Mesos's cgroups memory isolator message (`oomed`)."""
    head = (f"Memory limit exceeded: Requested: {format_bytes(requested)} "
            f"Maximum Used: {format_bytes(used)}")
    lines = [head, "", "MEMORY STATISTICS: "]
    lines += [f"{k} {v}" for k, v in stats.items()]
    return "\n".join(lines) + "\n"


def disk_quota_exceeded(disk_mb: float, used: int, *, enforce: bool) -> int | None:
    """disk/du (Mesos `DiskUsageCollector` + `--enforce-container-disk-quota`): the quota in
    bytes that a sandbox using `used` bytes exceeds, None when it fits, has no disk resource,
    or enforcement is off (then usage is only measured). A command task's own sandbox is
    held against the task's disk (Mesos gives each task its own container and sandbox), a
    custom executor's sandbox against its container's disk."""
    if not enforce or disk_mb <= 0:
        return None
    quota = int(disk_mb * MB)
    return quota if used > quota else None


def disk_limitation_message(requested: int, used: int) -> str:
    """Mesos's disk/du isolator message."""
    return f"Disk usage ({format_bytes(used)}) exceeds quota ({format_bytes(requested)})"


def nested_task_id(name: str) -> str | None:
    """The task id of a nested cgroup name (`nested_name`'s inverse), None if it is not one
    (or was hashed: see `nested_name`)."""
    if not name.startswith("task-"):
        return None
    s = name[5:]
    raw = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "_":
            try:
                raw.append(int(s[i + 1:i + 3], 16))
            except ValueError:
                return None
            i += 3
        elif c in _SAFE:
            raw += c.encode()
            i += 1
        else:
            return None
    try:
        out = raw.decode()
    except UnicodeDecodeError:
        return None
    return out if nested_name(out) == name else None
