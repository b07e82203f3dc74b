"""Per-container ResourceStatistics (Mesos `ResourceStatistics`) for /monitor/statistics and
the operator API's GET_CONTAINERS.

With cgroups isolation the numbers are the container cgroup's counters (cpuacct.stat,
cpu.stat and cpu.cfs_quota_us / cpu.shares, memory.usage_in_bytes / limit_in_bytes /
memory.stat, cgroup.procs and tasks; v2: cpu.stat, cpu.max, memory.current / memory.max /
memory.stat): io/containers/cgroups.py. Without cgroups (posix isolation, the default) they
are summed over the executor's process tree with psutil. `disk_used_bytes` (the sandbox's
usage) is added when disk/du watches it.
"""

from __future__ import annotations

from typing import Any


def container_statistics(containers: Any, container_id: str) -> dict[str, Any]:
    """ResourceStatistics of one container of a Containerizer (io/containers/launcher.py)."""
    stats: dict[str, Any] = dict(containers.statistics(container_id))
    iso = getattr(containers, "isolator", None)
    if iso is not None:
        used = iso.disk_used.get(container_id)
        if used is not None:
            stats["disk_used_bytes"] = used
        own = iso.own.get(container_id)
        if own is not None and own.scalar("disk") > 0:
            stats["disk_limit_bytes"] = int(own.scalar("disk") * 1024 * 1024)
    return stats
