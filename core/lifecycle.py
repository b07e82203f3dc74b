"""The task lifecycle: ONE table saying which producer may move a task from which state to which.

Producers are the components that originate a task state (`TaskStatus.source` in Mesos):
"executor" (SOURCE_EXECUTOR; the built-in command/default executors included), "agent"
(SOURCE_AGENT) and "master" (SOURCE_MASTER). `None` as a from-state means "the observer does
not know the task yet" (a launch, a validation failure, a reconciliation answer, or a master
learning tasks from a re-registering agent after failover).

Facts the table encodes (../shared/reference/MESOS-V1-API.md §3 and §8):
- Terminal states (`protobuf::isTerminalState`): FINISHED, FAILED, KILLED, LOST, ERROR,
  DROPPED, GONE, GONE_BY_OPERATOR. They are ABSORBING: no row leaves them. Mesos still
  forwards an update that arrives for an already-terminal task (a duplicate terminal update,
  even with a different terminal state: TaskStatusUpdateManagerTest.DuplicatedTerminalStatusUpdate)
  but does not change the task's state (`Master::updateTask`: "If the task has already
  transitioned to a terminal state, do not update its state"). That is `apply_update` /
  `TaskLifecycle.step`: the update is *absorbed*, it is not a transition.
- An executor never sends TASK_STAGING; executors produce STARTING, RUNNING, KILLING and the
  terminal FINISHED/FAILED/KILLED/ERROR/LOST (LOST and ERROR are legacy but accepted by Mesos).
- The agent produces STAGING (RunTask arrives) and terminal states for tasks it fails, kills
  before launch, or answers for (LOST/DROPPED for reconciliations and lost executors).
- The master produces STAGING (launch), the validation outcomes ERROR/LOST/DROPPED/KILLED,
  partition states (UNREACHABLE; GONE; GONE_BY_OPERATOR) and reconciliation answers for
  tasks it does not know (GONE, UNREACHABLE, GONE_BY_OPERATOR, UNKNOWN, LOST).
- UNREACHABLE and UNKNOWN are NOT terminal: when the agent re-registers the master adopts the
  state the agent reports (STAGING/STARTING/RUNNING/KILLING or any terminal state), and late
  updates from the agent/executor may arrive.
- What a framework sees (`visible_state`): without PARTITION_AWARE, DROPPED, UNREACHABLE,
  GONE, GONE_BY_OPERATOR and UNKNOWN are shown as LOST; without TASK_KILLING_STATE, KILLING
  is shown as RUNNING.

The docs page docs/lifecycle.md is generated from `TRANSITIONS` by docs/gen_lifecycle.py
(`render_mermaid`, `render_table`); a test fails when it drifts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
from mesotron.core.errors import IllegalTransition
from mesotron.core.values import TERMINAL_STATES, Capability, FrameworkInfo, TaskState

S = TaskState
PRODUCERS: tuple[str, ...] = ("executor", "agent", "master")

ACTIVE = frozenset({S.TASK_STAGING, S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING})
PARTITIONED = frozenset({S.TASK_UNREACHABLE, S.TASK_UNKNOWN})
NON_TERMINAL = ACTIVE | PARTITIONED
TERMINAL = frozenset(TERMINAL_STATES)

_EXECUTOR_TERMINAL = frozenset(
    {S.TASK_FINISHED, S.TASK_FAILED, S.TASK_KILLED, S.TASK_ERROR, S.TASK_LOST}
)
_AGENT_TERMINAL = frozenset(
    {S.TASK_FAILED, S.TASK_KILLED, S.TASK_LOST, S.TASK_DROPPED, S.TASK_ERROR}
)
# master: states it puts a live task in when its agent is partitioned / removed / marked gone
_MASTER_ON_ACTIVE = frozenset(
    {S.TASK_UNREACHABLE, S.TASK_LOST, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR, S.TASK_DROPPED}
)


def _row(*pairs: tuple[Iterable[TaskState | None], Iterable[TaskState]]) -> dict:
    out: dict[TaskState | None, frozenset[TaskState]] = {}
    for froms, tos in pairs:
        for f in froms:
            out[f] = out.get(f, frozenset()) | frozenset(tos)
    return out


# THE TABLE: producer -> from-state (None: task unknown to the observer) -> allowed to-states.
TRANSITIONS: Mapping[str, Mapping[TaskState | None, frozenset[TaskState]]] = {
    "executor": _row(
        # executors may skip STARTING; an update may also reach the master while it holds the
        # task as UNREACHABLE/UNKNOWN (the agent came back): any executor state then.
        ([S.TASK_STAGING], [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING]),
        ([S.TASK_STARTING], [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING]),
        ([S.TASK_RUNNING], [S.TASK_RUNNING, S.TASK_KILLING]),  # RUNNING->RUNNING: health/check
        ([S.TASK_KILLING], [S.TASK_KILLING]),
        (PARTITIONED, [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING]),
        (NON_TERMINAL, _EXECUTOR_TERMINAL),
    ),
    "agent": _row(
        ([None], [S.TASK_STAGING]),  # RunTask arrived
        # tasks the agent does not know: RunTask refused, reconciliation answers
        ([None], [S.TASK_LOST, S.TASK_DROPPED, S.TASK_KILLED, S.TASK_FAILED, S.TASK_ERROR]),
        (NON_TERMINAL, _AGENT_TERMINAL),
    ),
    "master": _row(
        # launch, validation outcomes, kill of a pending task, reconciliation answers, and
        # (after master failover) any state a re-registering agent reports
        ([None], list(S)),
        ([S.TASK_STAGING], [S.TASK_KILLED]),  # killed before it reached the agent
        (ACTIVE, _MASTER_ON_ACTIVE),
        # the agent re-registers (master adopts what it reports) or the agent is marked gone
        (
            [S.TASK_UNREACHABLE],
            (ACTIVE | TERMINAL),
        ),
        ([S.TASK_UNKNOWN], (ACTIVE | TERMINAL | {S.TASK_UNREACHABLE})),
    ),
}

# A framework without PARTITION_AWARE sees these as TASK_LOST.
PARTITION_AWARE_ONLY = frozenset(
    {S.TASK_DROPPED, S.TASK_UNREACHABLE, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR, S.TASK_UNKNOWN}
)


def is_legal(from_state: TaskState | None, to_state: TaskState, producer: str) -> bool:
    """True iff the table lets `producer` move a task from `from_state` to `to_state`."""
    if producer not in TRANSITIONS:
        raise ValueError(f"unknown producer {producer!r}; expected one of {PRODUCERS}")
    return to_state in TRANSITIONS[producer].get(from_state, frozenset())


def producers_for(from_state: TaskState | None, to_state: TaskState) -> tuple[str, ...]:
    """Every producer that may make this move (e.g. to check a forwarded `latest_state`,
    whose producer the master does not know)."""
    return tuple(p for p in PRODUCERS if to_state in TRANSITIONS[p].get(from_state, frozenset()))


def check_transition(from_state: TaskState | None, to_state: TaskState, producer: str) -> None:
    """Raise IllegalTransition (naming machine, state and input) unless the move is legal."""
    if not is_legal(from_state, to_state, producer):
        raise IllegalTransition(
            "task-lifecycle", from_state, f"{to_state.name} produced by {producer}"
        )


def apply_update(from_state: TaskState | None, to_state: TaskState, producer: str) -> TaskState:
    """The task's state after an update, as Mesos books it (`Master::updateTask`).

    An update for a task already in a terminal state is absorbed: forwarded by the caller,
    state unchanged. Otherwise the move must be legal (IllegalTransition if not)."""
    if from_state is not None and from_state in TERMINAL:
        return from_state
    check_transition(from_state, to_state, producer)
    return to_state


def is_terminal(state: TaskState) -> bool:
    return state in TERMINAL


def visible_state(state: TaskState, framework_info: FrameworkInfo) -> TaskState:
    """The state a framework is shown, given its capabilities."""
    if state in PARTITION_AWARE_ONLY and not framework_info.partition_aware:
        return S.TASK_LOST
    if state is S.TASK_KILLING and not framework_info.task_killing_state:
        return S.TASK_RUNNING
    return state


# ----------------------------------------------------------------- the tiny machine
@attrs.frozen(kw_only=True, slots=True)
class StatusObserved:
    """Input: an update carrying `state`, produced by `producer`, reached the observer."""

    state: TaskState
    producer: str


@attrs.define(slots=True)
class TaskLifecycle:
    """One task's state as one observer books it. `state` None: not known yet.

    Invariant: `history` lists every state change with its producer; every consecutive pair
    is in TRANSITIONS; nothing follows a terminal state.
    """

    task_id: str = "task"
    state: TaskState | None = None
    history: list[tuple[TaskState, str]] = attrs.field(factory=list)
    absorbed: int = 0

    def step(self, now: float, input: StatusObserved) -> list:
        if not isinstance(input, StatusObserved):
            raise TypeError(f"TaskLifecycle.step: unexpected input {input!r}")
        if self.state is not None and self.state in TERMINAL:
            self.absorbed += 1
            return []
        check_transition(self.state, input.state, input.producer)
        self.state = input.state
        self.history.append((input.state, input.producer))
        return []

    def describe(self) -> str:
        path = " -> ".join(f"{s.name}({p})" for s, p in self.history) or "(none)"
        cur = self.state.name if self.state else "None"
        return f"task {self.task_id}: {cur}; path {path}; absorbed {self.absorbed}"


# ----------------------------------------------------------------- docs rendering
_ORDER = [
    S.TASK_STAGING, S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING, S.TASK_UNREACHABLE,
    S.TASK_UNKNOWN, S.TASK_FINISHED, S.TASK_FAILED, S.TASK_KILLED, S.TASK_ERROR, S.TASK_LOST,
    S.TASK_DROPPED, S.TASK_GONE, S.TASK_GONE_BY_OPERATOR,
]


def edges() -> list[tuple[TaskState | None, TaskState, tuple[str, ...]]]:
    """Every (from, to, producers) in a canonical order."""
    keys: list[TaskState | None] = [None, *_ORDER]
    out = []
    for f in keys:
        for t in _ORDER:
            ps = tuple(p for p in PRODUCERS if t in TRANSITIONS[p].get(f, frozenset()))
            if ps:
                out.append((f, t, ps))
    return out


def _short(state: TaskState | None) -> str:
    return "[*]" if state is None else state.name.removeprefix("TASK_")


def render_mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for s in _ORDER:
        if s in TERMINAL:
            lines.append(f"    {_short(s)} --> [*]")
    for f, t, ps in edges():
        lines.append(f"    {_short(f)} --> {_short(t)} : {', '.join(ps)}")
    return "\n".join(lines) + "\n"


def render_table() -> str:
    lines = ["| from | to | producers |", "| --- | --- | --- |"]
    for f, t, ps in edges():
        frm = "(unknown)" if f is None else f.name
        lines.append(f"| {frm} | {t.name} | {', '.join(ps)} |")
    return "\n".join(lines) + "\n"


def render_visibility() -> str:
    pa_only = FrameworkInfo(user="u", name="n", capabilities=frozenset({Capability.PARTITION_AWARE}))
    tk_only = FrameworkInfo(
        user="u", name="n", capabilities=frozenset({Capability.TASK_KILLING_STATE})
    )
    lines = ["| state | without PARTITION_AWARE | without TASK_KILLING_STATE |",
             "| --- | --- | --- |"]
    for s in _ORDER:
        a, b = visible_state(s, tk_only), visible_state(s, pa_only)
        if a is not s or b is not s:
            lines.append(f"| {s.name} | {a.name} | {b.name} |")
    return "\n".join(lines) + "\n"
