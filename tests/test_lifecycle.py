"""The task lifecycle table (core/lifecycle.py): facts, the generated docs, a stateful test."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from mesotron.core import invariants, lifecycle
from mesotron.core.errors import IllegalTransition
from mesotron.core.lifecycle import StatusObserved, TaskLifecycle
from mesotron.core.values import TERMINAL_STATES, Capability, FrameworkInfo, TaskState

S = TaskState
ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT / "docs" / "gen_lifecycle.py"


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_lifecycle", GEN)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------ table facts
def test_terminal_states_are_absorbing_in_the_table() -> None:
    for producer, rows in lifecycle.TRANSITIONS.items():
        for frm in rows:
            assert frm is None or frm not in TERMINAL_STATES, (producer, frm)
    assert lifecycle.TERMINAL == TERMINAL_STATES


def test_executor_never_produces_staging_or_master_only_states() -> None:
    produced = set().union(*lifecycle.TRANSITIONS["executor"].values())
    assert S.TASK_STAGING not in produced
    assert not produced & {S.TASK_UNREACHABLE, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR,
                           S.TASK_UNKNOWN, S.TASK_DROPPED}
    assert None not in lifecycle.TRANSITIONS["executor"]


def test_partition_states_only_from_master_and_reversible() -> None:
    for producer in ("executor", "agent"):
        produced = set().union(*lifecycle.TRANSITIONS[producer].values())
        assert not produced & {S.TASK_UNREACHABLE, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR,
                               S.TASK_UNKNOWN}
    # the agent re-registers: the master adopts what it reports
    for back in (S.TASK_RUNNING, S.TASK_STAGING, S.TASK_KILLING, S.TASK_FINISHED):
        assert lifecycle.is_legal(S.TASK_UNREACHABLE, back, "master")
    assert lifecycle.is_legal(S.TASK_RUNNING, S.TASK_UNREACHABLE, "master")
    assert lifecycle.is_legal(S.TASK_UNREACHABLE, S.TASK_GONE_BY_OPERATOR, "master")
    assert not lifecycle.is_legal(S.TASK_GONE, S.TASK_RUNNING, "master")


def test_typical_paths() -> None:
    path = [(None, S.TASK_STAGING, "master"), (S.TASK_STAGING, S.TASK_STARTING, "executor"),
            (S.TASK_STARTING, S.TASK_RUNNING, "executor"),
            (S.TASK_RUNNING, S.TASK_KILLING, "executor"),
            (S.TASK_KILLING, S.TASK_KILLED, "executor")]
    for frm, to, p in path:
        lifecycle.check_transition(frm, to, p)
    for to in (S.TASK_ERROR, S.TASK_DROPPED, S.TASK_LOST, S.TASK_UNKNOWN, S.TASK_GONE):
        lifecycle.check_transition(None, to, "master")  # validation / reconciliation answers
    lifecycle.check_transition(S.TASK_RUNNING, S.TASK_FAILED, "agent")  # executor exited


def test_producers_for() -> None:
    assert lifecycle.producers_for(S.TASK_RUNNING, S.TASK_DROPPED) == ("agent", "master")
    assert lifecycle.producers_for(S.TASK_FINISHED, S.TASK_KILLED) == ()
    for f, t, ps in lifecycle.edges():
        assert lifecycle.producers_for(f, t) == ps


def test_check_transition_names_machine_state_and_input() -> None:
    with pytest.raises(IllegalTransition) as ei:
        lifecycle.check_transition(S.TASK_FINISHED, S.TASK_RUNNING, "executor")
    err = ei.value
    assert err.machine == "task-lifecycle" and err.state is S.TASK_FINISHED
    assert "TASK_RUNNING" in str(err) and "executor" in str(err)
    with pytest.raises(IllegalTransition):
        lifecycle.check_transition(S.TASK_RUNNING, S.TASK_STAGING, "executor")
    with pytest.raises(ValueError):
        lifecycle.is_legal(None, S.TASK_STAGING, "scheduler")


def test_apply_update_absorbs_updates_for_terminal_tasks() -> None:
    # Master::updateTask / TaskStatusUpdateManagerTest.DuplicatedTerminalStatusUpdate
    assert lifecycle.apply_update(S.TASK_FINISHED, S.TASK_KILLED, "executor") is S.TASK_FINISHED
    assert lifecycle.apply_update(S.TASK_LOST, S.TASK_RUNNING, "executor") is S.TASK_LOST
    assert lifecycle.apply_update(S.TASK_RUNNING, S.TASK_FINISHED, "executor") is S.TASK_FINISHED
    with pytest.raises(IllegalTransition):
        lifecycle.apply_update(S.TASK_RUNNING, S.TASK_STARTING, "executor")


def test_visible_state() -> None:
    plain = FrameworkInfo(user="u", name="n")
    aware = FrameworkInfo(user="u", name="n", capabilities=frozenset(
        {Capability.PARTITION_AWARE, Capability.TASK_KILLING_STATE}))
    for s in (S.TASK_UNREACHABLE, S.TASK_DROPPED, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR,
              S.TASK_UNKNOWN):
        assert lifecycle.visible_state(s, plain) is S.TASK_LOST
        assert lifecycle.visible_state(s, aware) is s
    assert lifecycle.visible_state(S.TASK_KILLING, plain) is S.TASK_RUNNING
    assert lifecycle.visible_state(S.TASK_KILLING, aware) is S.TASK_KILLING
    for s in (S.TASK_RUNNING, S.TASK_FINISHED, S.TASK_LOST, S.TASK_ERROR):
        assert lifecycle.visible_state(s, plain) is s


# ------------------------------------------------------------------ generated docs
def test_docs_lifecycle_md_matches_the_table() -> None:
    text = (ROOT / "docs" / "lifecycle.md").read_text()
    assert text == _gen_module().render(), "docs/lifecycle.md drifted: run docs/gen_lifecycle.py"
    assert lifecycle.render_mermaid() in text.replace("```mermaid\n", "")
    assert lifecycle.render_table() in text


def test_gen_check_exits_1_on_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = _gen_module()
    target = tmp_path / "lifecycle.md"
    monkeypatch.setattr(mod, "TARGET", target)
    assert mod.main(["--check"]) == 1  # missing
    assert mod.main([]) == 0 and mod.main(["--check"]) == 0
    target.write_text(target.read_text().replace("| master |", "| agent |", 1))
    assert mod.main(["--check"]) == 1


def test_gen_check_command_line() -> None:
    r = subprocess.run([sys.executable, str(GEN), "--check"], cwd=ROOT, capture_output=True,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_render_mentions_every_state() -> None:
    mermaid = lifecycle.render_mermaid()
    for s in TaskState:
        assert s.name.removeprefix("TASK_") in mermaid


# ------------------------------------------------------------------ stateful
STATES = st.sampled_from(list(TaskState))
PRODUCERS = st.sampled_from(lifecycle.PRODUCERS)


class LifecycleMachine(RuleBasedStateMachine):
    """Drive one TaskLifecycle with arbitrary and with legal observations; check it against a
    plain model of the table and the invariant catalog after every rule."""

    def __init__(self) -> None:
        super().__init__()
        self.machine = TaskLifecycle(task_id="t1")
        self.model_state: TaskState | None = None
        self.model_path: list[tuple[TaskState, str]] = []

    def _observe(self, state: TaskState, producer: str) -> None:
        inp = StatusObserved(state=state, producer=producer)
        before_inp = repr(inp)
        before = copy.deepcopy(self.machine)
        note(f"observe {state.name} by {producer} from {self.model_state}")
        if self.model_state is not None and self.model_state in TERMINAL_STATES:
            assert self.machine.step(0.0, inp) == []
            assert self.machine.state is self.model_state, (  # absorbed
                f"LegalTaskTransitions: terminal {self.model_state} left for {state}")
        elif lifecycle.is_legal(self.model_state, state, producer):
            assert self.machine.step(0.0, inp) == []
            self.model_state = state
            self.model_path.append((state, producer))
        else:
            try:
                self.machine.step(0.0, inp)
            except IllegalTransition:
                pass
            else:
                raise AssertionError(f"LegalTaskTransitions: illegal {self.model_state} -> "
                                     f"{state} by {producer} accepted")
            assert self.machine.describe() == before.describe()  # no state change on error
        assert repr(inp) == before_inp  # inputs never mutated

    @rule(state=STATES, producer=PRODUCERS)
    def observe_anything(self, state: TaskState, producer: str) -> None:
        self._observe(state, producer)

    @precondition(lambda self: self.model_state is None
                  or self.model_state not in TERMINAL_STATES)
    @rule(data=st.data())
    def observe_legal(self, data: st.DataObject) -> None:
        options = sorted(
            ((to, p) for p in lifecycle.PRODUCERS
             for to in lifecycle.TRANSITIONS[p].get(self.model_state, frozenset())),
            key=lambda x: (x[0].name, x[1]))
        if options:
            to, p = data.draw(st.sampled_from(options))
            self._observe(to, p)

    @invariant()
    def legal_task_transitions(self) -> None:
        snap = invariants.ClusterSnapshot(transitions={("fw1", "t1"): tuple(self.machine.history)})
        assert invariants.LegalTaskTransitions(snap) == [], invariants.LegalTaskTransitions(snap)
        assert self.machine.history == self.model_path
        assert self.machine.state is self.model_state

    @invariant()
    def terminal_is_last(self) -> None:
        states = [s for s, _ in self.machine.history]
        for i, s in enumerate(states):
            if s in TERMINAL_STATES:
                assert i == len(states) - 1, f"a state follows terminal {s}: {states}"
        assert S.TASK_STAGING not in [s for s, p in self.machine.history if p == "executor"]

    @invariant()
    def non_partition_aware_never_see_partition_states(self) -> None:
        if self.machine.state is not None:
            seen = lifecycle.visible_state(self.machine.state, FrameworkInfo(user="u", name="n"))
            assert seen not in lifecycle.PARTITION_AWARE_ONLY and seen is not S.TASK_KILLING


LifecycleMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestLifecycleMachine = LifecycleMachine.TestCase


def test_planted_bug_accepting_everything_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A TaskLifecycle that ignores the table (and terminal absorption) must fail the checks."""

    def buggy_step(self: TaskLifecycle, now: float, input: StatusObserved) -> list:
        self.state = input.state
        self.history.append((input.state, input.producer))
        return []

    monkeypatch.setattr(TaskLifecycle, "step", buggy_step)
    with pytest.raises(AssertionError, match=r"LegalTaskTransitions: (illegal|terminal|task t1)"):
        run_state_machine_as_test(LifecycleMachine, settings=settings(
            max_examples=100, stateful_step_count=10, deadline=None, database=None,
            derandomize=True, phases=[Phase.generate], report_multiple_bugs=False))
