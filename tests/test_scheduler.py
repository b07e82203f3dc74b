"""SchedulerDriver (core/scheduler.py): subscribe, backoff, heartbeat watchdog, acks,
failover with the same framework id, reconcile, leader changes, final refusals; plus a
Hypothesis stateful test that feeds random inputs (before Start too) and checks the driver
properties of the invariant catalog (core/invariants.DRIVER: AckAfterDelivery,
ResubscribeKeepsId, NoCallBeforeSubscribed) on every effect, in order; each is shown failing
on a planted bug that names it."""

from __future__ import annotations

import contextlib
import copy

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from mesotron.core import invariants as inv
from mesotron.core.effects import Close, Disconnected, Received, Send, SetTimer, TimerFired
from mesotron.core.errors import LocalError
from mesotron.core.messages import (
    CallAcknowledge,
    CallDecline,
    CallReconcile,
    CallSubscribe,
    CallTeardown,
    EventError,
    EventHeartbeat,
    EventSubscribed,
    EventUpdate,
)
from mesotron.core.scheduler import (
    HEARTBEAT_TIMER,
    RETRY_TIMER,
    STOPPED,
    SUBSCRIBED,
    TEARDOWN_TIMER,
    TEARING_DOWN,
    CallResponse,
    MasterDetected,
    Notify,
    Perform,
    SchedulerConfig,
    SchedulerDisconnected,
    SchedulerDriver,
    Start,
    Stop,
    Stopped,
)
from mesotron.core.sim import bugs
from mesotron.core.values import FrameworkInfo, TaskState, TaskStatus

INFO = FrameworkInfo(user="u", name="fw")


def calls(effects):
    return [e.message for e in effects if isinstance(e, Send)]


def subscribed(driver: SchedulerDriver, now: float = 0.0, fid: str = "fw-1") -> list:
    out = driver.step(now, Start())
    req = calls(out)[0].request
    driver.step(now, CallResponse(request=req, status=200, stream_id="s1"))
    return driver.step(now, Received(sender="s1", message=EventSubscribed(
        framework_id=fid, heartbeat_interval_seconds=15.0)))


def test_subscribe_then_reconcile_implicitly():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    out = d.step(0.0, Start())
    (c,) = calls(out)
    assert isinstance(c.call, CallSubscribe) and c.stream_id is None
    assert SetTimer(key=RETRY_TIMER, at=10.0) in out
    d.step(0.1, CallResponse(request=c.request, status=200, stream_id="s1"))
    out = d.step(0.2, Received(sender="s1", message=EventSubscribed(
        framework_id="fw-1", heartbeat_interval_seconds=15.0)))
    assert d.state == SUBSCRIBED and d.framework_id == "fw-1"
    assert any(isinstance(m.call, CallReconcile) for m in calls(out))
    assert SetTimer(key=HEARTBEAT_TIMER, at=0.2 + 75.0) in out


def test_refused_subscribe_backs_off_doubling():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    req = calls(d.step(0.0, Start()))[0].request
    out = d.step(1.0, CallResponse(request=req, status=503, message="no leader"))
    assert SetTimer(key=RETRY_TIMER, at=2.0) in out
    out = d.step(2.0, TimerFired(key=RETRY_TIMER))
    req = calls(out)[0].request
    out = d.step(3.0, CallResponse(request=req, status=307))
    assert SetTimer(key=RETRY_TIMER, at=5.0) in out  # 2 s the second time


def test_missed_heartbeats_resubscribe_with_same_id():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    d.step(10.0, Received(sender="s1", message=EventHeartbeat()))
    out = d.step(85.0, TimerFired(key=HEARTBEAT_TIMER))
    assert Close(peer="s1") in out
    assert Notify(event=SchedulerDisconnected(reason="missed heartbeats")) in out
    out = d.step(86.0, TimerFired(key=RETRY_TIMER))
    (c,) = calls(out)
    assert c.framework_id == "fw-1" and c.call.framework_info.id == "fw-1"


def test_events_of_an_old_stream_are_ignored():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    before = d.describe()
    assert d.step(1.0, Received(sender="old", message=EventHeartbeat())) == []
    assert d.describe() == before


def test_auto_ack_and_manual_ack():
    st_ = TaskStatus(task_id="t", state=TaskState.TASK_RUNNING, agent_id="a1", uuid=b"u" * 16)
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    out = d.step(1.0, Received(sender="s1", message=EventUpdate(status=st_)))
    acks = [c.call for c in calls(out) if isinstance(c.call, CallAcknowledge)]
    assert acks == [CallAcknowledge(agent_id="a1", task_id="t", uuid=b"u" * 16)]
    m = SchedulerDriver(name="b", config=SchedulerConfig(framework_info=INFO, auto_ack=False))
    subscribed(m)
    out = m.step(1.0, Received(sender="s1", message=EventUpdate(status=st_)))
    assert not [c for c in calls(out) if isinstance(c.call, CallAcknowledge)]
    assert Notify(event=EventUpdate(status=st_)) in out


def test_master_generated_updates_are_not_acked():
    st_ = TaskStatus(task_id="t", state=TaskState.TASK_LOST)
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    out = d.step(1.0, Received(sender="s1", message=EventUpdate(status=st_)))
    assert not [c for c in calls(out) if isinstance(c.call, CallAcknowledge)]


def test_failover_driver_keeps_framework_id():
    info = FrameworkInfo(user="u", name="fw", id="fw-7")
    d = SchedulerDriver(name="a2", config=SchedulerConfig(framework_info=info))
    (c,) = calls(d.step(0.0, Start()))
    assert c.framework_id == "fw-7" and c.call.framework_info.id == "fw-7"


def test_calls_before_subscription_are_dropped_and_teardown():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    d.step(0.0, Start())
    assert calls(d.step(0.0, Perform(call=CallDecline(offer_ids=("o",))))) == []
    d2 = SchedulerDriver(name="b", config=SchedulerConfig(framework_info=INFO))
    subscribed(d2)
    out = d2.step(1.0, Stop())
    (td,) = calls(out)
    assert isinstance(td.call, CallTeardown) and td.stream_id == "s1"
    # the stream stays open until the TEARDOWN is answered: a close that reached the master
    # first would get the TEARDOWN refused ("Framework is not subscribed")
    assert not any(isinstance(e, Close) for e in out) and d2.state == TEARING_DOWN
    assert d2.step(1.5, Received(sender="s1", message=EventHeartbeat())) == []
    assert calls(d2.step(1.5, Perform(call=CallDecline(offer_ids=("o",))))) == []
    out = d2.step(2.0, CallResponse(request=td.request, status=202))
    assert Close(peer="s1") in out and d2.state == STOPPED
    assert Stopped(reason="torn down", status=None) in out
    assert d2.step(2.0, Received(sender="s1", message=EventHeartbeat())) == []


def test_teardown_ends_on_a_refusal_a_closed_stream_a_timeout_or_a_crash():
    def tearing() -> tuple[SchedulerDriver, str]:
        d = SchedulerDriver(name="b", config=SchedulerConfig(framework_info=INFO))
        subscribed(d)
        (td,) = calls(d.step(1.0, Stop()))
        return d, td.request

    d, req = tearing()
    out = d.step(2.0, CallResponse(request=req, status=403, message="Framework is not subscribed"))
    assert Stopped(reason="teardown failed: 403 Framework is not subscribed", status=None) in out
    d, _req = tearing()
    out = d.step(2.0, Disconnected(peer="s1"))  # the master removed us and closed the stream
    assert Stopped(reason="torn down", status=None) in out and d.state == STOPPED
    d, _req = tearing()
    assert d.step(5.0, TimerFired(key=RETRY_TIMER)) == []
    out = d.step(11.0, TimerFired(key=TEARDOWN_TIMER))
    assert Stopped(reason="teardown unanswered", status=None) in out
    d, _req = tearing()
    assert d.step(2.0, MasterDetected(master="m2:5050")) == [] and d.state == TEARING_DOWN
    out = d.step(2.0, Stop(teardown=False))
    assert Stopped(reason="stopped by the application", status=None) in out


def test_stream_disconnect_resubscribes():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    out = d.step(5.0, Disconnected(peer="s1"))
    assert SetTimer(key=RETRY_TIMER, at=6.0) in out
    assert d.stream_id is None


def test_a_refused_subscribe_is_final_a_failed_one_is_retried():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    req = calls(d.step(0.0, Start()))[0].request
    out = d.step(1.0, CallResponse(request=req, status=0, message="connection refused"))
    assert SetTimer(key=RETRY_TIMER, at=2.0) in out and d.failures == 1
    req = calls(d.step(2.0, TimerFired(key=RETRY_TIMER)))[0].request
    out = d.step(2.5, CallResponse(request=req, status=400, message="bad info"))
    assert Stopped(reason="subscribe refused: 400 bad info", status=400) in out
    assert d.state == STOPPED and d.step(3.0, TimerFired(key=RETRY_TIMER)) == []


def test_error_event_stops_the_driver():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    out = d.step(1.0, Received(sender="s1", message=EventError(message="gone")))
    assert out[0] == Notify(event=EventError(message="gone"))
    assert out[-1] == Stopped(reason="error: gone") and Close(peer="s1") in out


def test_master_detected_before_start_and_a_new_leader():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    assert d.step(0.0, MasterDetected(master=None)) == []
    assert d.step(0.0, Start()) == []  # no leader known: wait
    out = d.step(1.0, MasterDetected(master="m1:5050"))
    (c,) = [e for e in out if isinstance(e, Send)]
    assert c.to == "m1:5050" and isinstance(c.message.call, CallSubscribe)
    d.step(1.0, CallResponse(request=c.message.request, status=200, stream_id="s1"))
    d.step(1.0, Received(sender="s1", message=EventSubscribed(
        framework_id="fw-1", heartbeat_interval_seconds=15.0)))
    out = d.step(2.0, MasterDetected(master="m2:5050"))
    assert Close(peer="s1") in out
    assert Notify(event=SchedulerDisconnected(reason="new leading master")) in out
    (c,) = [e for e in out if isinstance(e, Send)]  # at once, not after a backoff
    assert c.to == "m2:5050" and c.message.framework_id == "fw-1"


# ---------------------------------------------------------------- the stateful test
FIDS = st.sampled_from(["fw-1", "fw-1", "fw-2"])
UUIDS = st.sampled_from([b"u" * 16, b"v" * 16, b"w" * 16])
CALLS = st.one_of(st.builds(CallDecline, offer_ids=st.just(("o1",))),
                  st.builds(CallReconcile))
MISC = st.one_of(
    st.builds(CallResponse, request=st.sampled_from(["a#1", "a#2", "a#3", "x"]),
              status=st.sampled_from([0, 200, 202, 307, 400, 503]),
              stream_id=st.sampled_from([None, "s1", "s2"])),
    st.builds(Received, sender=st.sampled_from(["s1", "s2", "zzz"]),
              message=st.one_of(st.builds(EventHeartbeat),
                                st.builds(EventSubscribed, framework_id=FIDS,
                                          heartbeat_interval_seconds=st.just(15.0)))),
    st.builds(Disconnected, peer=st.sampled_from(["s1", "s2"])),
    st.builds(TimerFired, key=st.sampled_from([RETRY_TIMER, HEARTBEAT_TIMER])),
    st.builds(Perform, call=CALLS),
    st.builds(MasterDetected, master=st.sampled_from([None, "m1:5050", "m2:5050"])),
)


class DriverMachine(RuleBasedStateMachine):
    """Drives one SchedulerDriver (auto_ack on or off) like a master and an application
    would, observing every effect IN ORDER: what was handed to the application, the
    framework ids of SUBSCRIBE/SUBSCRIBED, the calls and whether their stream had delivered
    SUBSCRIBED. The DRIVER properties are checked as each effect happens (an ack is checked
    against what was delivered before it), so an effect order bug is caught."""

    def __init__(self) -> None:
        super().__init__()
        self.auto = True
        self.d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
        self.now = 0.0
        self.started = False
        self.streams = 0
        self.delivered: set[tuple[str, str, bytes]] = set()
        self.subscribed_streams: set[str] = set()
        self.ids: list[tuple[str, str | None]] = []
        self.app_updates: list[EventUpdate] = []  # what the application may acknowledge
        self.sent_to: list[str] = []

    @rule(auto=st.booleans())
    @precondition(lambda self: not self.started and self.d.requests == 0)
    def configure(self, auto):
        self.auto = auto
        self.d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO,
                                                                   auto_ack=auto))

    # ------------------------------------------------------------ before Start
    @rule(inp=MISC)
    @precondition(lambda self: not self.started)
    def before_start(self, inp):
        before = self.d.describe()
        if isinstance(inp, MasterDetected):  # a driver may learn its master before Start
            assert self.d.step(self.now, inp) == []
            assert self.d.target == inp.master
            return
        with pytest.raises(LocalError, match="before Start"):  # caller misuse, loudly
            self.d.step(self.now, inp)
        assert self.d.describe() == before  # and it changed nothing

    @rule()
    @precondition(lambda self: not self.started)
    def start(self):
        self.started = True
        self.feed(Start())
        with pytest.raises(LocalError, match="Start twice"):
            self.d.step(self.now, Start())

    # ------------------------------------------------------------ after Start
    @rule(inp=MISC, dt=st.floats(0, 100))
    @precondition(lambda self: self.started)
    def misc(self, inp, dt):
        self.now += dt
        self.feed(inp)

    @rule()
    @precondition(lambda self: self.started and self.d.subscribe_request is not None
                  and self.d.stream_id is None)
    def subscribe_answered(self):
        self.streams += 1
        self.feed(CallResponse(request=self.d.subscribe_request, status=200,
                               stream_id=f"s{self.streams}"))

    @rule(fid=FIDS)
    @precondition(lambda self: self.started and self.d.stream_id is not None)
    def subscribed_event(self, fid):
        self.feed(Received(sender=self.d.stream_id, message=EventSubscribed(
            framework_id=self.d.framework_id or fid, heartbeat_interval_seconds=15.0)))

    @rule(task=st.sampled_from(["t1", "t2"]), uuid=UUIDS, state=st.sampled_from(
        [TaskState.TASK_RUNNING, TaskState.TASK_FINISHED]))
    @precondition(lambda self: self.started and self.d.stream_id is not None)
    def update(self, task, uuid, state):
        self.feed(Received(sender=self.d.stream_id, message=EventUpdate(status=TaskStatus(
            task_id=task, state=state, agent_id="a1", uuid=uuid))))

    @rule(data=st.data())
    @precondition(lambda self: self.started and self.app_updates)
    def app_acknowledges(self, data):
        st_ = data.draw(st.sampled_from(self.app_updates)).status
        self.feed(Perform(call=CallAcknowledge(agent_id=st_.agent_id, task_id=st_.task_id,
                                               uuid=st_.uuid)))

    @rule(teardown=st.booleans())
    @precondition(lambda self: self.started)
    def stop(self, teardown):
        self.feed(Stop(teardown=teardown))

    # ------------------------------------------------------------ observation
    def feed(self, inp):
        frozen_inp = copy.deepcopy(inp)
        effects = self.d.step(self.now, inp)
        assert inp == frozen_inp  # inputs are never mutated
        for e in effects:
            self.observe(e)
        if self.d.state == STOPPED:
            assert self.d.step(self.now, TimerFired(key=RETRY_TIMER)) == []

    def check(self, snap):
        for name, prop in inv.DRIVER.items():
            problems = prop(snap)
            assert not problems, f"{name}: {problems}"

    def observe(self, e):
        d = self.d
        if isinstance(e, Send):
            m = e.message
            self.sent_to.append(e.to)
            assert e.to == (d.target or "master")
            if isinstance(m.call, CallSubscribe):
                self.ids.append(("subscribe", m.framework_id))
                self.check(inv.ClusterSnapshot(framework_ids={d.name: tuple(self.ids)}))
                return
            self.check(inv.ClusterSnapshot(calls={d.name: (
                (type(m.call).__name__, m.stream_id in self.subscribed_streams),)}))
            if isinstance(m.call, CallAcknowledge):
                k = (m.framework_id, m.call.task_id, m.call.uuid)
                self.check(inv.ClusterSnapshot(acked=frozenset({k}),
                                               delivered=frozenset({k} & self.delivered)))
        elif isinstance(e, Notify):
            ev = e.event
            if isinstance(ev, EventSubscribed):
                self.subscribed_streams.add(d.stream_id)
                self.ids.append(("subscribed", ev.framework_id))
                self.check(inv.ClusterSnapshot(framework_ids={d.name: tuple(self.ids)}))
            elif isinstance(ev, EventUpdate) and ev.status.uuid is not None:
                self.delivered.add((d.framework_id, ev.status.task_id, ev.status.uuid))
                self.app_updates.append(ev)

    @invariant()
    def consistent(self):
        d = self.d
        if d.state == SUBSCRIBED:
            assert d.stream_id is not None and d.framework_id is not None
            assert d.stream_id in self.subscribed_streams
        assert d.config.backoff_min <= d.backoff <= d.config.backoff_max
        d.describe()


TestDriverMachine = DriverMachine.TestCase
TestDriverMachine.settings = settings(max_examples=80, stateful_step_count=40, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- planted bugs
def _forget_id(orig):
    def subscribe(self, now):
        self.framework_id = None  # a re-subscription as a new framework
        return orig(self, now)
    return subscribe


def _calls_while_subscribing(orig):
    def handlePerform(self, now, call):
        return self.call(call)  # no SUBSCRIBED check
    return handlePerform


@pytest.mark.parametrize("name,plant", [
    ("AckAfterDelivery", lambda mp, stack: stack.enter_context(bugs.ack_before_delivery())),
    ("ResubscribeKeepsId", lambda mp, stack: mp.setattr(
        SchedulerDriver, "subscribe", _forget_id(SchedulerDriver.subscribe))),
    ("NoCallBeforeSubscribed", lambda mp, stack: mp.setattr(
        SchedulerDriver, "handlePerform", _calls_while_subscribing(SchedulerDriver.handlePerform))),
], ids=["ack-before-delivery", "resubscribe-forgets-id", "calls-while-subscribing"])
def test_planted_driver_bug_is_caught_by_name(name, plant) -> None:
    with pytest.MonkeyPatch.context() as mp, contextlib.ExitStack() as stack:
        plant(mp, stack)
        with pytest.raises(AssertionError, match=rf"^{name}: "):
            run_state_machine_as_test(DriverMachine, settings=settings(
                max_examples=1500, stateful_step_count=40, deadline=None, database=None,
                derandomize=True, phases=[Phase.generate], report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck)))
