"""The simulator with issue 18's workload: a `reserver` framework (dynamic reservations with
operation ids, tasks on reserved resources) and an operator changing weights and quota. Runs
must be clean, and each new property must catch its planted bug (core/sim/bugs.py):
ReservedToRole, QuotaLimitRespected (after every event), OperationsReported (at quiescence)."""

from __future__ import annotations

import pytest
from mesotron.core import invariants as inv
from mesotron.core.sim import bugs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

BUDGET = 6


def config(seed: int, faults: str) -> SimConfig:
    return SimConfig(seed=seed, events=3000, agents=5, frameworks=4, faults=faults, quiesce=700.0,
                     kinds=("batch", "service", "reserver", "adversarial"), operator=True)


@pytest.mark.parametrize("faults", ["none", "all"])
def test_reservations_quota_weights_workload_is_clean(faults: str) -> None:
    for seed in range(1):
        res = simulate(config(seed, faults))
        assert res.failure is None, res.failure
        assert not res.liveness, res.liveness
        reserver = next(s.app for s in res.world.schedulers if s.app.kind == "reserver")
        assert reserver.ops and all(v is not None for v in reserver.ops.values())
        assert reserver.launched > 0 and res.world.operator_calls > 0


CASES = [
    ("quota_limit_ignored", "none", {"QuotaLimitRespected"}),
    ("reserved_offered_to_any_role", "none", {"ReservedToRole"}),
    ("operation_status_never_sent", "none", {"OperationsReported"}),
]


@pytest.mark.parametrize("bug,faults,expected", CASES, ids=[c[0] for c in CASES])
def test_planted_bug_is_caught(bug: str, faults: str, expected: set[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # s13: SettingsAgree (quiescence, checked before liveness) also catches a master that
    # never sends an operation's status (the agent never checkpoints the reservation); muted
    # here so that OperationsReported is shown catching it on its own (tests/test_s13_mops.py
    # shows SettingsAgree catching it)
    monkeypatch.setitem(inv.QUIESCENT, "SettingsAgree", lambda s: [])
    caught = None
    with bugs.BUGS[bug]():
        for seed in range(BUDGET):
            res = simulate(config(seed, faults))
            names = {res.failure_name} if res.failure is not None else {
                v.split(":", 1)[0] for v in res.liveness or []}
            if names & expected:
                caught = (seed, names)
                break
    assert caught is not None, f"{bug} not caught in {BUDGET} seeds"
    clean = simulate(config(caught[0], faults))
    assert clean.failure is None and not clean.liveness


def test_cli_operator_workload() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "sim", "--operator", "--events", "1500",
                        "--faults", "none", "--frameworks", "5", "--quiesce", "300"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reserver1" in r.stdout and "violations: 0" in r.stdout, r.stdout
    assert SimConfig(operator=True).command().endswith("--operator")
