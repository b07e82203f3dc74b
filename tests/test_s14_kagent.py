"""s14 kagent (mutation campaign, agent side): what the simulator sees more of, each shown
failing on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core.agent import isolation
from mesotron.core.sim.cgroups import Cgroups, host_isolation
from mesotron.core.sim.checker import expected_cgroup_files

# (bug, SimConfig options, the property that must fire by name)
CASES_S14_AGENT = [
    # the cgroups v2 memory controller lowers memory.max under the container's use
    ("cgroup_memory_lowered_under_use", {"faults": "none"}, "LimitationsEnforced"),
    # s14 lead: a new cgroup's memory.max ("max") kept: no memory limit on cgroups v2 hosts
    ("cgroup_v2_left_unlimited", {"faults": "none"}, "LimitationsEnforced"),
    # the cgroups v1 files give CPU shares by whole cores
    ("cgroup_cpu_shares_per_core", {"faults": "none"}, "LimitationsEnforced"),
    # the status-update manager resends every 10 s instead of backing off
    ("update_retries_never_back_off", {"faults": "none"}, "UpdateRetriesBackOff"),
    # a task launched on a running command executor gets no nested container
    ("nested_container_skipped", {"faults": "none"}, "LimitationsEnforced"),
    # an executor is removed without its sandbox being scheduled for collection
    ("removed_sandboxes_never_scheduled", {"faults": "none"}, "SandboxesCollected"),
    # the agent keeps its status-update manager running while it has no master
    ("updates_sent_while_disconnected", {"faults": "all"}, "UpdateRetriesBackOff"),
    # a framework the agent removes is not kept under /state's completed_frameworks
    ("completed_frameworks_forgotten", {"faults": "none"}, "AgentViewsAgree"),
    # a subscribing executor gets a queued task group as separate LAUNCHes (pods: --operator)
    ("task_groups_delivered_apart", {"faults": "all", "operator": True}, "ExecutorLaunchesAgree"),
]


test_s14_agent_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S14_AGENT)


def test_simulated_hosts_cover_both_hierarchies_and_flags():
    """The simulated hosts parse their --isolation flags (cgroups v1 and v2, with and
    without CFS, posix/cpu on one) and the reference files differ between them."""
    seen = set()
    cg = Cgroups()
    for i in range(4):
        flag, cfs, version = host_isolation(i)
        cg.agent_started(f"a{i}", i)
        seen.add((version, cfs, cg.iso[f"a{i}"].cpu))
        assert expected_cgroup_files(flag, cfs, version, 0.25, 64 << 20)
    assert {v for v, _, _ in seen} == {1, 2} and {c for _, c, _ in seen} == {True, False}
    assert (1, False, False) in seen  # posix/cpu: no cpu controller files


def test_nested_cgroup_of_a_task_reads_back():
    """The simulated isolator names a task's nested cgroup so that the shell can read the
    task back (isolation.nested_task_id), and the checker's reference agrees with the real
    files of a nested cgroup on each host."""
    from mesotron.core.resources import Resources

    for i in range(4):
        cg = Cgroups()
        cg.agent_started("a", i)
        cg.launched("a", "c1", Resources(), True)
        r = Resources.parse("cpus:0.25;mem:128")
        writes = cg.updated("a", "c1", r, True, {"t/1 é": r}, ("t/1 é",), (), ("t/1 é",))
        name, tid, before, after = writes[0]
        assert tid == "t/1 é" and cg.task_of(name) == tid and before is None
        flag, cfs, version = host_isolation(i)
        assert after == expected_cgroup_files(flag, cfs, version, 0.25, 128 << 20)
        lim = isolation.container_limits(r, [r], command_executor=True)
        assert writes[1][3] == expected_cgroup_files(flag, cfs, version, lim.cpus, lim.mem_bytes)
