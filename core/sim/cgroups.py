"""s14 kagent: the simulated hosts' cgroup files (what io/containers/isolator.py writes).

Each simulated agent host runs the agent with an `--isolation` flag (`HOST_ISOLATION`, by
host index) and a cgroups hierarchy (v1 on even hosts, v2 on odd ones); the world parses
the flag at every agent start as io/daemons/agent.py does (`isolation.parse_isolation`) and,
on every container the agent launches or updates, writes what the shell's isolator would
write (`isolation.v1_files` / `v2_files`, memory lowered only as `may_lower_memory` /
`v2_memory_max` allow): the container's cgroup and one nested cgroup per command task,
named `isolation.nested_name` (the shell reads a nested cgroup's task back with
`isolation.nested_task_id` after a restart). The checker (core/sim/checker.py
`check_cgroup_files`, LimitationsEnforced) holds every write against Mesos's figures.

Functions of core/agent/isolation.py are called through the module so that planted bugs
(core/sim/bugs.py) can replace them. Pure bookkeeping: no random draw, no event.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.agent import isolation
from mesotron.core.resources import Resources

# host index % 4 -> (--isolation flag, --cgroups_enable_cfs); hosts of odd index run v2
HOST_ISOLATION: tuple[tuple[str, bool], ...] = (
    ("cgroups/cpu,cgroups/mem", True),
    ("cgroups/mem, cgroups/cpu,cgroups/pids,disk/du", False),
    ("posix/cpu,cgroups/mem,disk/du", False),
    ("cgroups/cpu,cgroups/mem,cgroups/pids", True),
)


def host_isolation(index: int) -> tuple[str, bool, int]:
    """(flag, cfs, cgroups version) of simulated host `index`."""
    flag, cfs = HOST_ISOLATION[index % len(HOST_ISOLATION)]
    return flag, cfs, 1 if index % 2 == 0 else 2


def _flat(files: dict[str, dict[str, str]]) -> dict[str, str]:
    """v1's {controller: {file: value}} as {file: value}."""
    out: dict[str, str] = {}
    for v in files.values():
        out.update(v)
    return out


class Cgroups:
    """The cgroup files of every container of the simulated hosts.

    `files[cid][name]`: the files ({file: value}) of the container's cgroup (name "") and of
    each nested cgroup (name `nested_name(task id)`); `tasks[cid]`: task id -> resources of
    every task ever nested in the container (for the memory usage of its processes)."""

    def __init__(self) -> None:
        self.iso: dict[str, Any] = {}  # agent node name -> Isolation (at its last start)
        self.version: dict[str, int] = {}
        self.files: dict[str, dict[str, dict[str, str]]] = {}
        self.tasks: dict[str, dict[str, Resources]] = {}
        # container -> whether it holds the built-in command executor (the agent's books)
        self.command: dict[str, bool] = {}
        self.last_usage = 0  # the container memory use `updated` last judged by

    def agent_started(self, name: str, index: int) -> None:
        flag, cfs, version = host_isolation(index)
        self.iso[name] = isolation.parse_isolation(flag, cfs=cfs)
        self.version[name] = version

    def _write(self, agent: str, cid: str, name: str, limits: Any,
               usage: int | None) -> tuple[dict[str, str] | None, dict[str, str]]:
        """Write one cgroup's files for `limits`; (the files before, the files after)."""
        iso, v = self.iso[agent], self.version[agent]
        cg = self.files.setdefault(cid, {})
        before = cg.get(name)
        if v == 1:
            new = _flat(isolation.v1_files(limits, iso))
            key = "memory.limit_in_bytes"
            if before is not None and key in before and key in new and usage is not None \
                    and not isolation.may_lower_memory(int(before[key]), limits.mem_bytes, usage):
                new[key] = before[key]
        else:
            new = isolation.v2_files(limits, iso)
            key = "memory.max"
            if key in new:
                # a new cgroup's memory.max reads "max" (cgroupfs's default), as on a host
                keep = before.get(key, "max") if before is not None else "max"
                val = isolation.v2_memory_max(keep, limits.mem_bytes)
                new[key] = val if val is not None else (keep or new[key])
        cg[name] = new
        return before, new

    def launched(self, agent: str, cid: str, resources: Resources,
                 command_executor: bool) -> list[tuple[str, str | None, Any, Any]]:
        """A container is created (LaunchExecutor): its cgroup's files."""
        if agent not in self.iso:
            return []
        self.files.pop(cid, None)
        self.tasks[cid] = {}
        self.command[cid] = command_executor
        lim = isolation.container_limits(resources, (), command_executor=command_executor)
        before, after = self._write(agent, cid, "", lim, None)
        return [("", None, before, after)]

    def updated(self, agent: str, cid: str, resources: Resources, command_executor: bool,
                nested: dict[str, Resources], added: tuple[str, ...], removed: tuple[str, ...],
                running: Any) -> list[tuple[str, str | None, Any, Any]]:
        """UpdateContainer: the nested cgroups of the tasks added (created) and removed
        (gone), then the container's own limits (lowered only when the memory its running
        task processes use fits). Returns (cgroup name, task id or None, files before,
        files after) for every cgroup written."""
        if agent not in self.iso:
            return []
        known = self.tasks.setdefault(cid, {})
        cg = self.files.setdefault(cid, {})
        out: list[tuple[str, str | None, Any, Any]] = []
        for tid in removed:
            cg.pop(isolation.nested_name(tid), None)
        for tid in added:
            r = nested.get(tid)
            if r is None:
                continue
            known[tid] = r
            name = isolation.nested_name(tid)
            before, after = self._write(agent, cid, name, isolation.task_limits(r), None)
            out.append((name, tid, before, after))
        lim = isolation.container_limits(resources, nested.values(),
                                         command_executor=command_executor)
        self.last_usage = self.usage(cid, running)
        before, after = self._write(agent, cid, "", lim, self.last_usage)
        out.append(("", None, before, after))
        return out

    def usage(self, cid: str, running: Any) -> int:
        """The simulated memory use of a command executor's container: its overhead plus
        the limit of each task whose process still runs (a task grows to its limit)."""
        known = self.tasks.get(cid, {})
        return isolation.EXECUTOR_OVERHEAD_MEM_BYTES + sum(
            isolation.task_limits(known[t]).mem_bytes for t in running if t in known)

    def task_of(self, name: str) -> str | None:
        """The task of a nested cgroup, read back from its name (the shell after a restart)."""
        return isolation.nested_task_id(name)
