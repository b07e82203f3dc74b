"""The agent's status-update manager (core/status_updates.py): unit facts, a stateful test
against a plain model with a lossy network and agent restarts, and planted bugs it catches."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import attrs
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
from mesotron.core import invariants
from mesotron.core.effects import CancelTimer, Log, Persist, Reject, Send, SetTimer, TimerFired
from mesotron.core.errors import LocalError
from mesotron.core.ids import IdSource
from mesotron.core.messages import StatusUpdate, StatusUpdateMessage
from mesotron.core.status_updates import (
    Acknowledge,
    AckRecord,
    CleanupFramework,
    MasterTaskBook,
    Pause,
    Recover,
    Resume,
    StatusUpdateConfig,
    StreamClosed,
    TaskStatusUpdateManager,
    Update,
    UpdateRecord,
    log_key,
    master_ack_removes_task,
    master_book_update,
    timer_key,
)
from mesotron.core.values import TERMINAL_STATES, TaskState, TaskStatus

S = TaskState


def _su(task: str, state: TaskState, uuid: bytes, fw: str = "fw1") -> StatusUpdate:
    return StatusUpdate(framework_id=fw, status=TaskStatus(task_id=task, state=state, uuid=uuid),
                        uuid=uuid)


# ------------------------------------------------------------------ unit facts
def test_persist_precedes_send_and_executor_ack_can_follow() -> None:
    m = TaskStatusUpdateManager()
    eff = m.step(0.0, Update(update=_su("t1", S.TASK_RUNNING, b"a" * 16)))
    assert [type(e) for e in eff] == [Persist, Send, SetTimer]
    assert eff[0] == Persist(key=("updates", "fw1", "t1"),
                             record=UpdateRecord(update=_su("t1", S.TASK_RUNNING, b"a" * 16)),
                             append=True)
    eff = m.step(1.0, Acknowledge(framework_id="fw1", task_id="t1", uuid=b"a" * 16))
    assert eff[0] == Persist(key=log_key("fw1", "t1"), record=AckRecord(uuid=b"a" * 16),
                             append=True)


def test_configurable_backoff() -> None:
    m = TaskStatusUpdateManager(config=StatusUpdateConfig(retry_min=1.0, retry_max=3.0))
    m.step(0.0, Update(update=_su("t1", S.TASK_RUNNING, b"a" * 16)))
    ats = []
    now = 1.0
    for _ in range(4):
        eff = m.step(now, TimerFired(key=timer_key("fw1", "t1")))
        (timer,) = [e for e in eff if isinstance(e, SetTimer)]
        ats.append(timer.at - now)
        now = timer.at
    assert ats == [2.0, 3.0, 3.0, 3.0]
    with pytest.raises(ValueError):
        StatusUpdateConfig(retry_min=5.0, retry_max=1.0)
    with pytest.raises(ValueError):
        StatusUpdateConfig(retry_min=0.0, retry_max=1.0)
    assert StatusUpdateConfig(retry_min=5.0, retry_max=5.0).retry_max == 5.0  # no backoff


def test_bad_update_rejected_without_state_change() -> None:
    m = TaskStatusUpdateManager()
    before = m.describe()
    eff = m.step(0.0, Update(update=_su("t1", S.TASK_RUNNING, b"")))
    assert len(eff) == 1 and isinstance(eff[0], Reject) and eff[0].status == 400
    mismatch = attrs.evolve(_su("t1", S.TASK_RUNNING, b"a" * 16), uuid=b"b" * 16)
    assert isinstance(m.step(0.0, Update(update=mismatch))[0], Reject)
    assert m.describe() == before


def test_caller_misuse_raises() -> None:
    m = TaskStatusUpdateManager()
    m.step(0.0, Update(update=_su("t1", S.TASK_RUNNING, b"a" * 16), checkpoint=True))
    with pytest.raises(LocalError):
        m.step(0.0, Update(update=_su("t1", S.TASK_RUNNING, b"b" * 16), checkpoint=False))
    with pytest.raises(LocalError):
        m.step(0.0, "nonsense")
    with pytest.raises(LocalError):
        m.step(0.0, Recover(logs={}))  # streams exist already
    with pytest.raises(LocalError):
        m.step(0.0, TimerFired(key=("other",)))


def test_queries() -> None:
    m = TaskStatusUpdateManager()
    m.step(0.0, Update(update=attrs.evolve(
        _su("t1", S.TASK_RUNNING, b"a" * 16),
        status=TaskStatus(task_id="t1", state=S.TASK_RUNNING, uuid=b"a" * 16, executor_id="e1"))))
    m.step(0.0, Update(update=_su("t1", S.TASK_FINISHED, b"b" * 16)))
    m.step(0.0, Update(update=_su("t2", S.TASK_RUNNING, b"c" * 16), executor_id="e2"))
    assert [u.uuid for u in m.pending("fw1", "t1")] == [b"a" * 16, b"b" * 16]
    assert m.latest_state("fw1", "t1") is S.TASK_FINISHED
    assert m.in_flight("fw1", "t1").uuid == b"a" * 16  # type: ignore[union-attr]
    assert len(m.unacknowledged_updates("fw1")) == 3
    assert [u.uuid for u in m.unacknowledged_updates("fw1", "e2")] == [b"c" * 16]
    assert m.unacknowledged_updates("fw9") == ()
    clone = copy.deepcopy(m)
    assert clone.describe() == m.describe()
    m.step(0.0, Pause())
    assert m.in_flight("fw1", "t1") is None


def test_master_bookkeeping_helpers() -> None:
    book = MasterTaskBook(state=S.TASK_STAGING)
    running = _su("t1", S.TASK_RUNNING, b"a" * 16)
    book, terminated = master_book_update(book, attrs.evolve(running, latest_state=S.TASK_FINISHED))
    # the scheduler gets RUNNING; the master books the latest state and releases resources
    assert book.state is S.TASK_FINISHED and terminated
    assert book.status_update_state is S.TASK_RUNNING
    assert not master_ack_removes_task(book, b"a" * 16)  # acked RUNNING: keep the task
    fin = _su("t1", S.TASK_FINISHED, b"b" * 16)
    book, terminated = master_book_update(book, attrs.evolve(fin, latest_state=S.TASK_FINISHED))
    assert not terminated and book.status_update_state is S.TASK_FINISHED
    assert not master_ack_removes_task(book, b"x" * 16)
    assert master_ack_removes_task(book, b"b" * 16)  # MESOS-1389: removed on terminal ack
    # DuplicatedTerminalStatusUpdate: a later different terminal update does not change state
    killed = _su("t1", S.TASK_KILLED, b"c" * 16)
    book2, terminated = master_book_update(book, attrs.evolve(killed, latest_state=S.TASK_KILLED))
    assert book2.state is S.TASK_FINISHED and not terminated


# ------------------------------------------------------------------ stateful
FRAMEWORKS = {"fw1": True, "fw2": False}  # framework -> checkpoint
TASKS = [("fw1", "t1"), ("fw1", "t2"), ("fw2", "t3")]
EXECUTOR_STATES = [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_KILLING, S.TASK_FINISHED,
                   S.TASK_FAILED, S.TASK_KILLED]


@attrs.define
class ModelStream:
    pending: list[tuple[bytes, TaskState]] = attrs.field(factory=list)
    gen: dict[bytes, StatusUpdate] = attrs.field(factory=dict)  # received in this generation
    latest: TaskState | None = None


class StatusUpdateStreamMachine(RuleBasedStateMachine):
    """An agent's manager between executors (updates, duplicates), a lossy network to the
    master, a scheduler that acks what it sees (acks lost, duplicated, bogus), timers,
    pause/resume, framework removal and agent restarts that rebuild from persisted records.
    Checked after every rule against a plain model and the invariant catalog."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = IdSource(seed="stateful-sum")
        self.now = 0.0
        self.sum = TaskStatusUpdateManager()
        self.paused = False
        self.timers: dict[tuple[str, ...], float] = {}
        self.logs: dict[tuple[str, ...], list[Any]] = {}
        self.net: list[StatusUpdate] = []  # agent -> master, in flight
        self.acks: list[Acknowledge] = []  # master -> agent, in flight
        self.sent_acks: list[Acknowledge] = []
        self.model: dict[tuple[str, str], ModelStream] = {}
        self.produced: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.seen: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.acked: set[tuple[str, str, bytes]] = set()
        self.abandoned: set[tuple[str, str]] = set()
        self.removed: set[str] = set()
        self.just_sent: list[StatusUpdate] = []

    # ------------------------------------------------------------ plumbing
    def step(self, inp: Any) -> list[Any]:
        frozen_copy = copy.deepcopy(inp)
        effects = self.sum.step(self.now, inp)
        assert inp == frozen_copy, "input mutated"
        kinds = [type(e) for e in effects]
        if Persist in kinds and Send in kinds:
            last_persist = max(i for i, k in enumerate(kinds) if k is Persist)
            first_send = min(i for i, k in enumerate(kinds) if k is Send)
            assert last_persist < first_send, f"PersistBeforeSend: Send before Persist: {kinds}"
        sends_per_task: dict[tuple[str, str], int] = {}
        for e in effects:
            if isinstance(e, SetTimer):
                self.timers[e.key] = e.at
            elif isinstance(e, CancelTimer):
                self.timers.pop(e.key, None)
            elif isinstance(e, Persist):
                assert e.append and FRAMEWORKS[e.key[1]], f"persist for {e.key}"
                self.logs.setdefault(e.key, []).append(e.record)
            elif isinstance(e, Send):
                assert e.to == "master" and isinstance(e.message, StatusUpdateMessage)
                su = e.message.update
                key = (su.framework_id, su.status.task_id)
                sends_per_task[key] = sends_per_task.get(key, 0) + 1
                self.net.append(su)
        for key, n in sends_per_task.items():
            assert n == 1, f"{n} updates of {key} sent in one step"
        self.just_sent += self.net[len(self.net) - sum(sends_per_task.values()):]
        return effects

    def _check_sent(self) -> None:
        """Every update sent in this rule is its stream's head (after the model caught up),
        carrying the stream's latest state; nothing is sent while paused."""
        for su in self.just_sent:
            key = (su.framework_id, su.status.task_id)
            head = self.model[key].pending[0]
            assert (su.uuid, su.status.state) == head, "sent update is not the stream's head"
            assert su.latest_state is self.model[key].latest, "latest_state not the latest"
            assert not self.paused, "sent while paused"
        self.just_sent = []

    def _keys(self) -> list[tuple[str, str]]:
        return [k for k in TASKS if k[0] not in self.removed]

    # ------------------------------------------------------------ executors
    @precondition(lambda self: bool(self._keys()))
    @rule(data=st.data(), state=st.sampled_from(EXECUTOR_STATES))
    def executor_update(self, data: st.DataObject, state: TaskState) -> None:
        key = data.draw(st.sampled_from(self._keys()))
        uuid = self.ids.next_uuid()
        su = _su(key[1], state, uuid, fw=key[0])
        note(f"update {key} {state.name} {uuid.hex()[:6]}")
        effects = self.step(Update(update=su, checkpoint=FRAMEWORKS[key[0]]))
        ms = self.model.setdefault(key, ModelStream())
        ms.pending.append((uuid, state))
        ms.gen[uuid] = su
        if ms.latest is None or ms.latest not in TERMINAL_STATES:
            ms.latest = state
        self.produced.setdefault(key, []).append((uuid, state))
        assert (Persist in map(type, effects)) == FRAMEWORKS[key[0]]
        assert (Send in map(type, effects)) == (not self.paused and len(ms.pending) == 1)
        self._check_sent()

    @precondition(lambda self: any(ms.gen for ms in self.model.values()))
    @rule(data=st.data())
    def executor_duplicate(self, data: st.DataObject) -> None:
        options = sorted((u, su) for ms in self.model.values() for u, su in ms.gen.items())
        _, su = data.draw(st.sampled_from(options))
        note(f"duplicate {su.status.task_id} {su.uuid.hex()[:6]}")
        effects = self.step(Update(update=su, checkpoint=FRAMEWORKS[su.framework_id]))
        assert [type(e) for e in effects] == [Log], effects

    # ------------------------------------------------------------ network and scheduler
    @precondition(lambda self: bool(self.net))
    @rule(data=st.data())
    def deliver_to_master(self, data: st.DataObject) -> None:
        su = self.net.pop(data.draw(st.integers(0, len(self.net) - 1)))
        key = (su.framework_id, su.status.task_id)
        note(f"master/scheduler got {key} {su.status.state.name} {su.uuid.hex()[:6]}")
        self.seen.setdefault(key, []).append((su.uuid, su.status.state))
        self.acked.add((key[0], key[1], su.uuid))
        ack = Acknowledge(framework_id=key[0], task_id=key[1], uuid=su.uuid)
        self.acks.append(ack)
        self.sent_acks.append(ack)

    @precondition(lambda self: bool(self.net))
    @rule(data=st.data())
    def drop_update(self, data: st.DataObject) -> None:
        self.net.pop(data.draw(st.integers(0, len(self.net) - 1)))

    @precondition(lambda self: bool(self.acks))
    @rule(data=st.data(), lose=st.booleans())
    def deliver_ack(self, data: st.DataObject, lose: bool) -> None:
        ack = self.acks.pop(data.draw(st.integers(0, len(self.acks) - 1)))
        if not lose:
            self._ack(ack)

    @precondition(lambda self: bool(self.sent_acks))
    @rule(data=st.data())
    def duplicate_ack(self, data: st.DataObject) -> None:
        self._ack(data.draw(st.sampled_from(self.sent_acks)))

    @rule(data=st.data())
    def bogus_ack(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(TASKS))
        self._ack(Acknowledge(framework_id=key[0], task_id=key[1], uuid=self.ids.next_uuid()))

    def _ack(self, ack: Acknowledge) -> None:
        key = (ack.framework_id, ack.task_id)
        note(f"ack {key} {ack.uuid.hex()[:6]}")
        effects = self.step(ack)
        ms = self.model.get(key)
        if ms is None or not ms.pending or ms.pending[0][0] != ack.uuid:
            assert [type(e) for e in effects] == [Log], \
                f"StaleAckIgnored: an ack of a non-head uuid changed something: {effects}"
            self._check_sent()
            return
        _uuid, state = ms.pending.pop(0)
        assert (Persist in map(type, effects)) == FRAMEWORKS[key[0]], \
            f"AgreesWithModel: the ack of the head of {key} (the model's) did: {effects}"
        if state in TERMINAL_STATES:
            discarded = [u for u, _ in ms.pending]
            closed = [e for e in effects if isinstance(e, StreamClosed)]
            assert closed and list(closed[0].discarded) == discarded
            if discarded:  # Mesos drops what was queued behind an acked terminal update
                assert [u for u, _ in self.produced[key][-len(discarded):]] == discarded
                del self.produced[key][-len(discarded):]
            del self.model[key]
        self._check_sent()

    # ------------------------------------------------------------ time, master, agent
    @rule(dt=st.sampled_from([1.0, 10.0, 30.0, 300.0, 700.0]))
    def tick(self, dt: float) -> None:
        end = self.now + dt
        while True:
            due = sorted((at, k) for k, at in self.timers.items() if at <= end)
            if not due:
                break
            at, k = due[0]
            self.now = max(self.now, at)
            del self.timers[k]
            self.step(TimerFired(key=k))
        self.now = end
        self._check_sent()

    @precondition(lambda self: not self.paused)
    @rule()
    def master_lost(self) -> None:
        self.step(Pause())
        self.paused = True

    @precondition(lambda self: self.paused)
    @rule()
    def reregistered(self) -> None:
        self.paused = False
        effects = self.step(Resume())
        sent = {(e.message.update.framework_id, e.message.update.status.task_id)
                for e in effects if isinstance(e, Send)}
        want = {k for k, ms in self.model.items() if ms.pending}
        assert sent == want, f"ResendOnResume: resumed streams re-sent {sent}, pending {want}"
        self._check_sent()

    @precondition(lambda self: len(self._keys()) == len(TASKS))
    @rule(fw=st.sampled_from(sorted(FRAMEWORKS)))
    def remove_framework(self, fw: str) -> None:
        self.step(CleanupFramework(framework_id=fw))
        self.removed.add(fw)
        for key in [k for k in self.model if k[0] == fw]:
            del self.model[key]
        self.abandoned |= {k for k in TASKS if k[0] == fw}
        for k in [k for k in self.logs if k[1] == fw]:  # the agent deletes its meta dir
            del self.logs[k]

    @rule()
    def agent_restart(self) -> None:
        note("agent restart")
        self.timers.clear()
        self.sum = TaskStatusUpdateManager(config=self.sum.config)
        self.paused = True  # a recovered manager flushes only after re-registration
        for key in [k for k in self.model if not FRAMEWORKS[k[0]]]:
            # non-checkpointing framework: its streams are gone (not recovered, by design)
            lost = {u for u, _ in self.model.pop(key).pending}
            if lost:
                self.produced[key] = [p for p in self.produced[key] if p[0] not in lost]
                self.seen[key] = [s for s in self.seen.get(key, []) if s[0] not in lost]
                self.net = [m for m in self.net if m.uuid not in lost]
        logs = {k: tuple(v) for k, v in self.logs.items()}
        effects = self.step(Recover(logs=logs))
        assert effects == [], effects  # our logs are consistent

    # ------------------------------------------------------------ invariants
    def snapshot(self) -> invariants.ClusterSnapshot:
        return invariants.ClusterSnapshot(
            produced={k: tuple(v) for k, v in self.produced.items()},
            seen={k: tuple(v) for k, v in self.seen.items()},
            acked=frozenset(self.acked),
            pending={k: tuple(u.uuid for u in self.sum.pending(*k)) for k in TASKS},
            abandoned=frozenset(self.abandoned),
        )

    @invariant()
    def updates_in_order(self) -> None:
        problems = invariants.UpdatesInOrder(self.snapshot())
        assert problems == [], problems

    @invariant()
    def no_lost_acked_work(self) -> None:
        problems = invariants.NoLostAckedWork(self.snapshot())
        assert problems == [], problems

    @invariant()
    def agrees_with_model(self) -> None:
        for key in TASKS:
            ms = self.model.get(key)
            assert self.sum.has_stream(*key) == (ms is not None), f"AgreesWithModel: stream {key}"
            got = [(u.uuid, u.status.state) for u in self.sum.pending(*key)]
            assert got == (ms.pending if ms else []), f"AgreesWithModel: pending of {key}"
            assert self.sum.latest_state(*key) is (ms.latest if ms else None), \
                f"AgreesWithModel: latest of {key}"
        assert self.sum.paused == self.paused, "AgreesWithModel: paused"

    @invariant()
    def one_in_flight_with_its_timer(self) -> None:
        flying = set()
        for key in TASKS:
            head = self.sum.in_flight(*key)
            ms = self.model.get(key)
            if self.paused or ms is None or not ms.pending:
                assert head is None, f"OneInFlight: {key} sends while it has nothing pending"
            else:
                assert head is not None and head.uuid == ms.pending[0][0], \
                    f"OneInFlight: {key} does not have its head in flight"
                flying.add(timer_key(*key))
        assert set(self.timers) == flying, f"OneInFlight: timers {set(self.timers)} != {flying}"

    @invariant()
    def describe_is_stable(self) -> None:
        assert copy.deepcopy(self.sum).describe() == self.sum.describe()

    def teardown(self) -> None:
        """Heal everything and check EventuallyAcked (liveness at quiescence)."""
        if self.paused:
            self.reregistered()
        for _ in range(200):
            while self.net:
                su = self.net.pop(0)
                key = (su.framework_id, su.status.task_id)
                self.seen.setdefault(key, []).append((su.uuid, su.status.state))
                self.acked.add((key[0], key[1], su.uuid))
                self.acks.append(Acknowledge(framework_id=key[0], task_id=key[1], uuid=su.uuid))
            while self.acks:
                self._ack(self.acks.pop(0))
            if not any(ms.pending for ms in self.model.values()) and not self.net:
                break
            if not self.net:
                assert self.timers, "EventuallyAcked: pending updates but nothing in flight nor scheduled"
                self.tick(min(self.timers.values()) - self.now)
        snap = attrs.evolve(self.snapshot(), acking_frameworks=frozenset(FRAMEWORKS))
        assert invariants.EventuallyAcked(snap) == [], invariants.EventuallyAcked(snap)
        assert invariants.UpdatesInOrder(snap) == [], invariants.UpdatesInOrder(snap)


StatusUpdateStreamMachine.TestCase.settings = settings(
    max_examples=600, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestStatusUpdateStreamMachine = StatusUpdateStreamMachine.TestCase


# ------------------------------------------------------------------ planted bugs
def _send_before_persist(orig: Callable) -> Callable:
    def handle(self: TaskStatusUpdateManager, now: float, inp: Update) -> list[Any]:
        effects = orig(self, now, inp)
        return [e for e in effects if not isinstance(e, Persist)] + [
            e for e in effects if isinstance(e, Persist)]
    return handle


def _resume_forgets(orig: Callable) -> Callable:
    def resume(self: TaskStatusUpdateManager, now: float) -> list[Any]:
        self.paused = False
        return []
    return resume


def _recover_loses_pending(orig: Callable) -> Callable:
    def recover(self: TaskStatusUpdateManager, rec: Recover) -> list[Any]:
        effects = orig(self, rec)
        for stream in self.streams.values():
            stream.pending.clear()
        return effects
    return recover


def _ack_ignores_uuid(orig: Callable) -> Callable:
    def ack(self: TaskStatusUpdateManager, now: float, a: Acknowledge) -> list[Any]:
        stream = self.streams.get((a.framework_id, a.task_id))
        if stream is not None and stream.pending:
            a = attrs.evolve(a, uuid=stream.pending[0].uuid)
        return orig(self, now, a)
    return ack


@pytest.mark.parametrize("method,bug,names", [
    ("handleUpdate", _send_before_persist, {"PersistBeforeSend"}),
    ("becomeResumed", _resume_forgets, {"ResendOnResume", "EventuallyAcked"}),
    ("handleRecover", _recover_loses_pending,
     {"ResendOnResume", "EventuallyAcked", "NoLostAckedWork"}),
    ("handleAcknowledge", _ack_ignores_uuid,
     {"StaleAckIgnored", "ResendOnResume", "UpdatesInOrder", "NoLostAckedWork", "AgreesWithModel"}),
], ids=["send-before-persist", "resume-forgets-retries", "recover-loses-pending",
        "ack-ignores-uuid"])
def test_planted_bug_is_caught(monkeypatch: pytest.MonkeyPatch, method: str,
                               bug: Callable, names: set[str]) -> None:
    """Each planted bug fails a check in `names`, by name (the machine's properties: the catalog's
    UpdatesInOrder/NoLostAckedWork, and the manager's own PersistBeforeSend, ResendOnResume,
    StaleAckIgnored, OneInFlight, AgreesWithModel)."""
    monkeypatch.setattr(TaskStatusUpdateManager, method,
                        bug(getattr(TaskStatusUpdateManager, method)))
    with pytest.raises(AssertionError, match=rf"^({'|'.join(sorted(names))}): "):
        run_state_machine_as_test(StatusUpdateStreamMachine, settings=settings(
            max_examples=300, stateful_step_count=30, deadline=None, database=None,
            derandomize=True, phases=[Phase.generate], report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
