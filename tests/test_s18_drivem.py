"""s18 drivem (mutation campaign, the master's scheduler API side): the simulated world
drives scheduler API misuse real Mesos users show (SimConfig.sched_misuse, a varied run of
the mutation judge): misaddressed calls at the front door, launches the ACLs deny, and
schedulers that stay away past their failover timeout. Each property is shown failing on a
planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core import invariants as inv
from mesotron.core.authorizer import authorized
from mesotron.core.sim import mutate
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.frameworks import DENIED_USER
from mesotron.core.sim.world import sim_acls

MISUSE = {"operator": True, "fast_alloc": True, "sched_misuse": True}
NAMES = ("MisaddressedCallsRefused", "UnauthorizedLaunchesRefused", "FailoverTimeoutsRemove",
         "IncompatibleExecutorsRefused", "FailedOverStreamsClosed")

# (bug, SimConfig options, the property that must fire by name)
CASES_S18_DRIVEM = [
    # a call with another stream id than its framework's is answered 403, not 400
    ("stream_mismatch_forbidden", MISUSE, "MisaddressedCallsRefused"),
    # a LAUNCH_GROUP the ACLs deny is answered REASON_TASK_GROUP_INVALID
    ("task_groups_unauthorized_as_invalid", MISUSE, "UnauthorizedLaunchesRefused"),
    # a task whose ExecutorInfo differs from its running executor's in the command is taken
    ("executor_command_unchecked", MISUSE, "IncompatibleExecutorsRefused"),
    # a failover onto a new connection closes the old one without the ERROR
    ("failover_error_not_sent", MISUSE, "FailedOverStreamsClosed"),
    # a framework disconnected past its failover timeout is never removed
    ("failover_timeouts_ignored", MISUSE, "FailoverTimeoutsRemove"),
]

test_s18_drivem_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S18_DRIVEM)


def test_the_properties_are_in_the_catalog() -> None:
    for name in NAMES:
        assert inv.SAFETY[name] is getattr(inv, name)
        snap = inv.ClusterSnapshot(s18_drivem=((name, "m1", "did it"),))
        assert inv.CATALOG[name](snap) == [f"{name}: master m1 did it"]
        assert inv.CATALOG[name](inv.ClusterSnapshot()) == []


def test_the_judge_runs_the_misuse_and_its_acls_deny_only_the_denied_user() -> None:
    (entry,) = [v for v in mutate.VARIETY if v.get("sched_misuse")]
    assert entry.get("operator") is True
    acls = sim_acls(SimConfig(operator=True, sched_misuse=True, kinds=mutate.OPERATOR_KINDS))
    assert not authorized(acls, "run_tasks", "adversarial1", DENIED_USER)
    assert authorized(acls, "run_tasks", "adversarial1", "sim")
    plain = sim_acls(SimConfig(operator=True, kinds=mutate.OPERATOR_KINDS))
    assert authorized(plain, "run_tasks", "adversarial1", DENIED_USER)


def test_the_judges_misuse_run_passes_and_drives_each_path() -> None:
    """The varied run on the real code: clean, and each misuse reached (counted by wrapping
    the checks)."""
    from mesotron.core.sim import checks_drivem as cd
    from mesotron.core.sim.run import simulate

    judge = mutate.Judge(seeds=(0, 1, 2), events=3000, quiesce=700.0, operator_runs=1,
                         variety=len(mutate.VARIETY))
    i = next(i for i, v in enumerate(mutate.VARIETY) if v.get("sched_misuse"))
    cfg = judge.configs()[3 + 1 + i]
    assert cfg.sched_misuse and cfg.operator
    seen = {"misaddressed": 0, "denied": 0, "removed": 0}
    orig = (cd.check_misaddressed, cd.check_denied_launches, cd.after_failover)

    def misaddressed(chk, world, node, inp, effects):
        seen["misaddressed"] += 1
        return orig[0](chk, world, node, inp, effects)

    def denied(chk, world, node, inp, effects):
        seen["denied"] += sum(1 for e in effects if getattr(getattr(getattr(
            e, "message", None), "status", None), "reason", None) in cd.UNAUTHORIZED)
        return orig[1](chk, world, node, inp, effects)

    def failover(chk, world, node, inp, effects):
        seen["removed"] += inp.key[1] not in node.machine._frameworks
        return orig[2](chk, world, node, inp, effects)

    cd.check_misaddressed, cd.check_denied_launches, cd.after_failover = \
        misaddressed, denied, failover
    try:
        res = simulate(cfg)
    finally:
        cd.check_misaddressed, cd.check_denied_launches, cd.after_failover = orig
    assert res.failure is None, res.failure
    assert all(n > 0 for n in seen.values()), seen
    # the reserver's operations on resources not dynamically reserved: each refused
    (app,) = [s.app for s in res.world.schedulers if s.app.kind == "reserver"]
    mine = [o for o in app.ops if o.startswith(f"{app.name}.m")]
    assert app.misuse_sent == 3 and len(mine) == 3
    assert all(app.ops[o] == "OPERATION_ERROR" for o in mine), {o: app.ops[o] for o in mine}
