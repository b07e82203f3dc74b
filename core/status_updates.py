"""The agent's task status-update manager (Mesos `TaskStatusUpdateManager`) as a pure machine.

The agent machine owns one `TaskStatusUpdateManager`, feeds it inputs with
`effects = sum.step(now, input)` and merges the effects into its own list. Semantics follow
`src/slave/task_status_update_manager.cpp` and TaskStatusUpdateManagerTest.*
(../shared/reference/MESOS-V1-API.md §8):

- One stream per (framework_id, task_id). Updates queue FIFO; only the HEAD is in flight
  (sent to "master"); the next one goes out only after the head is acknowledged.
- Retry: an unacknowledged head is re-sent after `retry_min` (10 s), then the interval
  doubles up to `retry_max` (10 min); retries never stop while the stream exists.
- The forwarded update carries `latest_state`: the latest state this stream accepted (a
  terminal state sticks: terminal states are absorbing, see lifecycle.py).
- An update whose uuid was already received or acknowledged in the stream is ignored
  (a `Log`); the agent still acknowledges it to the executor.
- An ack is matched against the head's uuid: an ack for an already-acknowledged uuid
  (duplicate), for another uuid (unexpected), for an empty stream or for an unknown stream
  is ignored with a `Log`.
- When the ACK of a TERMINAL update arrives the stream is closed and removed; updates queued
  behind it are discarded with a warning (SlaveTest/TaskStatusUpdateManagerTest
  DuplicateTerminalUpdateBeforeAck). A later update for the task opens a NEW stream and is
  forwarded (DuplicateTerminalUpdateAfterAck).
- `Pause` (master disconnected): stop sending, cancel retry timers, keep queues. `Resume`
  ((re-)registered): re-send the head of every stream now, retry interval reset to `retry_min`.
- `Recover(logs)`: rebuild streams by replaying persisted records through the same logic
  (no effects). Mesos flushes recovered updates only after the agent (re-)registers, so a
  recovered manager is PAUSED: nothing is sent until `Resume`. Inconsistent records (an ack
  for an unknown/non-head uuid, a record of an unknown type) are skipped with a `Log`.
- `CleanupFramework(fw)`: drop every stream of the framework (retries stop). The persisted
  logs stay; deleting the framework's directory is the agent's business.

EFFECT ORDER (core/effects.py rule 2): for an accepted update with checkpointing the list is
`[Persist(("updates", fw, task), UpdateRecord(...), append=True), Send(master...)?,
SetTimer(...)?]`; for an accepted ack `[Persist(..., AckRecord(uuid), append=True), ...]`.
The Persist always comes first, so the agent APPENDS its executor acknowledgement
(`Send(executor, ExecutorAcknowledged(...))`) after the manager's effects: it then follows
the Persist, as the ordering rule requires. A duplicate returns no Persist: ack at once.

`StreamClosed` is an effect addressed to the AGENT MACHINE (not the shell): the terminal
update of a task was acknowledged (Mesos's `acknowledgement()` returning false), so the
agent can complete the task; the agent must consume it and not pass it on.

Books read: `config`, `paused`, `streams`.
Books written: `paused`, `streams`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from mesotron.core.effects import (
    CancelTimer,
    Log,
    Persist,
    Reject,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.lifecycle import TERMINAL
from mesotron.core.messages import StatusUpdate, StatusUpdateMessage
from mesotron.core.values import FrameworkID, TaskID, TaskState, evolve

RETRY_TIMER = "sum-retry"
LOG_KEY = "updates"
StreamKey = tuple[FrameworkID, TaskID]


# ================================================================== config, records
@attrs.frozen(kw_only=True, slots=True)
class StatusUpdateConfig:
    """Retry backoff (Mesos STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX)."""

    retry_min: float = 10.0
    retry_max: float = 600.0

    def __attrs_post_init__(self) -> None:
        if not 0 < self.retry_min <= self.retry_max:
            raise ValueError(f"need 0 < retry_min <= retry_max, got {self!r}")


@attrs.frozen(kw_only=True, slots=True)
class UpdateRecord:
    """Persisted when an update is accepted (Mesos StatusUpdateRecord UPDATE)."""

    update: StatusUpdate


@attrs.frozen(kw_only=True, slots=True)
class AckRecord:
    """Persisted when the head's acknowledgement is accepted (StatusUpdateRecord ACK)."""

    uuid: bytes


def log_key(framework_id: FrameworkID, task_id: TaskID) -> tuple[str, ...]:
    return (LOG_KEY, framework_id, task_id)


def timer_key(framework_id: FrameworkID, task_id: TaskID) -> tuple[str, ...]:
    return (RETRY_TIMER, framework_id, task_id)


# ================================================================== inputs
@attrs.frozen(kw_only=True, slots=True)
class Update:
    """An update the agent accepted from an executor (or generated itself).

    `checkpoint`: the framework checkpoints (FrameworkInfo.checkpoint); must be the same for
    every update of a stream. `executor_id` defaults to `update.status.executor_id`."""

    update: StatusUpdate
    checkpoint: bool = True
    executor_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class Acknowledge:
    """The scheduler's acknowledgement, relayed by the master (StatusUpdateAcknowledgement)."""

    framework_id: FrameworkID
    task_id: TaskID
    uuid: bytes


@attrs.frozen(kw_only=True, slots=True)
class Pause:
    """The agent lost its master: stop forwarding (queues are kept)."""


@attrs.frozen(kw_only=True, slots=True)
class Resume:
    """The agent (re-)registered: forward the head of every stream now."""


@attrs.frozen(kw_only=True, slots=True)
class Recover:
    """Rebuild from persisted logs: key ("updates", fw, task) -> records in write order."""

    logs: Mapping[tuple[str, ...], Sequence[Any]]


@attrs.frozen(kw_only=True, slots=True)
class CleanupFramework:
    framework_id: FrameworkID


# ================================================================== agent-internal effect
@attrs.frozen(kw_only=True, slots=True)
class StreamClosed:
    """For the agent machine only: the terminal update of the task was acknowledged and the
    stream removed; `discarded` updates queued behind it were dropped (as in Mesos)."""

    framework_id: FrameworkID
    task_id: TaskID
    executor_id: str | None
    discarded: tuple[bytes, ...] = ()


# ================================================================== one stream
@attrs.define(slots=True)
class Stream:
    """Invariants: `pending` holds distinct uuids, none in `acknowledged`; every uuid of
    `pending` is in `received`; `timer_at` is set iff the head is in flight (not paused)."""

    framework_id: FrameworkID
    task_id: TaskID
    executor_id: str | None
    checkpoint: bool
    pending: list[StatusUpdate] = attrs.field(factory=list)
    received: set[bytes] = attrs.field(factory=set)
    acknowledged: set[bytes] = attrs.field(factory=set)
    latest: TaskState | None = None
    interval: float = 0.0
    timer_at: float | None = None

    @property
    def key(self) -> StreamKey:
        return (self.framework_id, self.task_id)

    def accept(self, update: StatusUpdate) -> None:
        self.received.add(update.uuid)
        self.pending.append(update)
        if self.latest is None or self.latest not in TERMINAL:
            self.latest = update.status.state

    def pop_head(self) -> StatusUpdate:
        head = self.pending.pop(0)
        self.acknowledged.add(head.uuid)
        return head


def _hex(uuid: bytes) -> str:
    return uuid.hex()[:8]


# ================================================================== the manager
@attrs.define(slots=True)
class TaskStatusUpdateManager:
    """The agent's status-update streams. Invariant: at most one update per stream is in
    flight (the head); nothing is sent while `paused`."""

    config: StatusUpdateConfig = attrs.field(factory=StatusUpdateConfig)
    paused: bool = False
    streams: dict[StreamKey, Stream] = attrs.field(factory=dict)

    # ------------------------------------------------------------ the one entry
    def step(self, now: float, input: Any) -> list[Any]:
        if isinstance(input, Update):
            return self.handleUpdate(now, input)
        if isinstance(input, Acknowledge):
            return self.handleAcknowledge(now, input)
        if isinstance(input, TimerFired):
            return self.handleTimer(now, input)
        if isinstance(input, Pause):
            return self.becomePaused()
        if isinstance(input, Resume):
            return self.becomeResumed(now)
        if isinstance(input, Recover):
            return self.handleRecover(input)
        if isinstance(input, CleanupFramework):
            return self.handleCleanup(input.framework_id)
        raise LocalError(f"TaskStatusUpdateManager.step: unexpected input {input!r}")

    # ------------------------------------------------------------ updates
    def handleUpdate(self, now: float, input: Update) -> list[Any]:
        su = input.update
        problem = _validate(su)
        if problem:
            return [Reject(sender="executor", status=400, message=problem, input=input)]
        key = (su.framework_id, su.status.task_id)
        stream = self.streams.get(key)
        if stream is not None and stream.checkpoint != input.checkpoint:
            raise LocalError(
                f"mismatched checkpoint value for status update stream of task {key[1]}"
                f" (stream {stream.checkpoint}, update {input.checkpoint})"
            )
        if stream is not None:
            dup = self._duplicate(stream, su)
            if dup:
                return [dup]
        effects: list[Any] = []
        if input.checkpoint:
            effects.append(Persist(key=log_key(*key), record=UpdateRecord(update=su), append=True))
        if stream is None:
            executor_id = input.executor_id or su.status.executor_id
            stream = Stream(framework_id=key[0], task_id=key[1], executor_id=executor_id,
                            checkpoint=input.checkpoint)
            self.streams[key] = stream
        stream.accept(su)
        if not self.paused and len(stream.pending) == 1:
            effects += self._forward(now, stream, self.config.retry_min)
        return effects

    @staticmethod
    def _duplicate(stream: Stream, su: StatusUpdate) -> Log | None:
        fields = (("framework_id", su.framework_id), ("task_id", su.status.task_id),
                  ("uuid", _hex(su.uuid)), ("state", su.status.state.name))
        if su.uuid in stream.acknowledged:
            return Log(level="warning", event="status_update_already_acknowledged", fields=fields)
        if su.uuid in stream.received:
            return Log(level="warning", event="status_update_duplicate", fields=fields)
        return None

    # ------------------------------------------------------------ acknowledgements
    def handleAcknowledge(self, now: float, ack: Acknowledge) -> list[Any]:
        key = (ack.framework_id, ack.task_id)
        fields = (("framework_id", ack.framework_id), ("task_id", ack.task_id),
                  ("uuid", _hex(ack.uuid)))
        stream = self.streams.get(key)
        if stream is None:
            return [Log(level="warning", event="status_update_ack_unknown_stream", fields=fields)]
        if ack.uuid in stream.acknowledged:
            return [Log(level="warning", event="status_update_ack_duplicate", fields=fields)]
        if not stream.pending or stream.pending[0].uuid != ack.uuid:
            expecting = _hex(stream.pending[0].uuid) if stream.pending else "nothing"
            return [Log(level="warning", event="status_update_ack_unexpected",
                        fields=(*fields, ("expecting", expecting)))]
        effects: list[Any] = []
        if stream.checkpoint:
            effects.append(Persist(key=log_key(*key), record=AckRecord(uuid=ack.uuid),
                                   append=True))
        head = stream.pop_head()
        if stream.timer_at is not None:
            effects.append(CancelTimer(key=timer_key(*key)))
            stream.timer_at = None
        if head.status.state in TERMINAL:
            discarded = tuple(u.uuid for u in stream.pending)
            if discarded:
                effects.append(Log(level="warning", event="status_update_discarded_after_terminal",
                                   fields=(*fields, ("discarded", tuple(map(_hex, discarded))))))
            del self.streams[key]
            effects.append(StreamClosed(framework_id=key[0], task_id=key[1],
                                        executor_id=stream.executor_id, discarded=discarded))
        elif stream.pending and not self.paused:
            effects += self._forward(now, stream, self.config.retry_min)
        return effects

    # ------------------------------------------------------------ retries, pause, resume
    def handleTimer(self, now: float, fired: TimerFired) -> list[Any]:
        k = fired.key
        if len(k) != 3 or k[0] != RETRY_TIMER:
            raise LocalError(f"TaskStatusUpdateManager: not my timer {k!r}")
        stream = self.streams.get((k[1], k[2]))
        if (self.paused or stream is None or not stream.pending or stream.timer_at is None
                or now < stream.timer_at):
            return []  # stale or early: nothing in flight for it
        return self._forward(now, stream, min(stream.interval * 2, self.config.retry_max))

    def becomePaused(self) -> list[Any]:
        self.paused = True
        effects: list[Any] = []
        for key in sorted(self.streams):
            stream = self.streams[key]
            if stream.timer_at is not None:
                stream.timer_at = None
                effects.append(CancelTimer(key=timer_key(*key)))
        return effects

    def becomeResumed(self, now: float) -> list[Any]:
        self.paused = False
        effects: list[Any] = []
        for key in sorted(self.streams):
            stream = self.streams[key]
            if stream.pending:
                effects += self._forward(now, stream, self.config.retry_min)
        return effects

    def _forward(self, now: float, stream: Stream, interval: float) -> list[Any]:
        """Send the head (with the stream's latest state) and arm its retry timer."""
        head = evolve(stream.pending[0], latest_state=stream.latest)
        stream.interval = interval
        stream.timer_at = now + interval
        return [Send(to="master", message=StatusUpdateMessage(update=head)),
                SetTimer(key=timer_key(*stream.key), at=stream.timer_at)]

    # ------------------------------------------------------------ cleanup, recovery
    def handleCleanup(self, framework_id: FrameworkID) -> list[Any]:
        effects: list[Any] = []
        for key in sorted(k for k in self.streams if k[0] == framework_id):
            stream = self.streams.pop(key)
            if stream.timer_at is not None:
                effects.append(CancelTimer(key=timer_key(*key)))
        return effects

    def handleRecover(self, rec: Recover) -> list[Any]:
        if self.streams:
            raise LocalError("Recover on a status-update manager that already has streams")
        self.paused = True  # flushed on Resume, after the agent (re-)registers
        effects: list[Any] = []
        for key in sorted(rec.logs):
            if len(key) != 3 or key[0] != LOG_KEY:
                effects.append(Log(level="warning", event="status_update_log_unknown_key",
                                   fields=(("key", key),)))
                continue
            for record in rec.logs[key]:
                problem = self._replay(key[1], key[2], record)
                if problem:
                    effects.append(Log(level="warning", event="status_update_log_inconsistent",
                                       fields=(("key", key), ("problem", problem))))
        return effects

    def _replay(self, framework_id: str, task_id: str, record: Any) -> str | None:
        """Apply one persisted record with the live logic, without effects."""
        skey = (framework_id, task_id)
        stream = self.streams.get(skey)
        if isinstance(record, UpdateRecord):
            su = record.update
            problem = _validate(su)
            if problem or (su.framework_id, su.status.task_id) != skey:
                return f"bad update record: {problem or 'stream mismatch'}"
            if stream is None:
                stream = Stream(framework_id=framework_id, task_id=task_id,
                                executor_id=su.status.executor_id, checkpoint=True)
                self.streams[skey] = stream
            elif self._duplicate(stream, su):
                return f"duplicate update {_hex(su.uuid)}"
            stream.accept(su)
            return None
        if isinstance(record, AckRecord):
            if stream is None or not stream.pending or stream.pending[0].uuid != record.uuid:
                return f"ack for unknown or non-head uuid {_hex(record.uuid)}"
            head = stream.pop_head()
            if head.status.state in TERMINAL:
                del self.streams[skey]
            return None
        return f"unknown record {type(record).__name__}"

    # ------------------------------------------------------------ read-only queries
    def pending(self, framework_id: FrameworkID, task_id: TaskID) -> tuple[StatusUpdate, ...]:
        stream = self.streams.get((framework_id, task_id))
        return tuple(stream.pending) if stream else ()

    def latest_state(self, framework_id: FrameworkID, task_id: TaskID) -> TaskState | None:
        stream = self.streams.get((framework_id, task_id))
        return stream.latest if stream else None

    def in_flight(self, framework_id: FrameworkID, task_id: TaskID) -> StatusUpdate | None:
        """The head if it is currently sent and awaiting its ack (None while paused)."""
        stream = self.streams.get((framework_id, task_id))
        if stream is None or not stream.pending or stream.timer_at is None:
            return None
        return stream.pending[0]

    def has_stream(self, framework_id: FrameworkID, task_id: TaskID) -> bool:
        return (framework_id, task_id) in self.streams

    def unacknowledged_updates(
        self, framework_id: FrameworkID, executor_id: str | None = None
    ) -> tuple[StatusUpdate, ...]:
        """Every pending update of the framework (of one executor if given), by task id."""
        out: list[StatusUpdate] = []
        for key in sorted(self.streams):
            stream = self.streams[key]
            if key[0] == framework_id and (executor_id is None or stream.executor_id == executor_id):
                out.extend(stream.pending)
        return tuple(out)

    def describe(self) -> str:
        lines = [(f"status-update manager: {'paused' if self.paused else 'active'}, "
                 f"{len(self.streams)} stream(s)")]
        for key in sorted(self.streams):
            s = self.streams[key]
            flight = f"in flight until {s.timer_at:g} (interval {s.interval:g})" \
                if s.timer_at is not None else "idle"
            latest = s.latest.name if s.latest else "-"
            pend = ", ".join(f"{u.status.state.name} {_hex(u.uuid)}" for u in s.pending) or "-"
            lines.append(f"  {key[0]}/{key[1]} executor={s.executor_id} "
                         f"checkpoint={s.checkpoint} latest={latest} {flight}")
            lines.append(f"    pending: {pend}; acked {len(s.acknowledged)}")
        return "\n".join(lines)


def _validate(su: StatusUpdate) -> str | None:
    if not isinstance(su, StatusUpdate):
        return f"not a StatusUpdate: {type(su).__name__}"
    if not su.uuid:
        return "status update is missing 'uuid'"
    if su.status.uuid is not None and su.status.uuid != su.uuid:
        return "status update uuid differs from its status's uuid"
    if not su.framework_id:
        return "status update is missing 'framework_id'"
    return None


# ================================================================== master-side bookkeeping
@attrs.frozen(kw_only=True, slots=True)
class MasterTaskBook:
    """What the master keeps per task about its updates (Mesos Task fields).

    `state`: the task's current state (from `latest_state`); `status_update_state` /
    `status_update_uuid`: the update last forwarded to the scheduler, unacknowledged."""

    state: TaskState
    status_update_state: TaskState | None = None
    status_update_uuid: bytes | None = None


def master_book_update(book: MasterTaskBook, update: StatusUpdate) -> tuple[MasterTaskBook, bool]:
    """`Master::updateTask`: book an update the master forwards to the scheduler.

    The task takes `latest_state` (else the update's state) unless it is already terminal
    (terminal states are absorbing); the forwarded status is the (older) queued one. Returns
    the new book and whether the task became terminal now (release its resources then)."""
    new_state = update.latest_state or update.status.state
    terminated = book.state not in TERMINAL and new_state in TERMINAL
    state = book.state if book.state in TERMINAL else new_state
    return (
        MasterTaskBook(state=state, status_update_state=update.status.state,
                       status_update_uuid=update.uuid),
        terminated,
    )


def master_ack_removes_task(book: MasterTaskBook, uuid: bytes) -> bool:
    """MESOS-1389/1410: the master removes a terminal task only when the scheduler acks the
    update whose uuid equals its stored terminal `status_update_uuid`; until then the task is
    kept (listed, and included in implicit reconciliation)."""
    return (book.status_update_uuid == uuid and book.status_update_state is not None
            and book.status_update_state in TERMINAL)
