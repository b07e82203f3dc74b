"""SchedulerDriver (core/scheduler.py): subscribe, backoff, heartbeat watchdog, acks,
failover with the same framework id, reconcile; plus a Hypothesis stateful test that feeds
random inputs and checks the driver's invariants after every rule."""

from __future__ import annotations

import copy

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from mesotron.core.effects import Close, Disconnected, Received, Send, SetTimer, TimerFired
from mesotron.core.messages import (
    CallAcknowledge,
    CallDecline,
    CallReconcile,
    CallSubscribe,
    CallTeardown,
    EventHeartbeat,
    EventSubscribed,
    EventUpdate,
)
from mesotron.core.scheduler import (
    HEARTBEAT_TIMER,
    RETRY_TIMER,
    SUBSCRIBED,
    CallResponse,
    Notify,
    Perform,
    SchedulerConfig,
    SchedulerDisconnected,
    SchedulerDriver,
    Start,
    Stop,
)
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
    assert isinstance(calls(out)[0].call, CallTeardown) and Close(peer="s1") in out
    assert d2.step(2.0, Received(sender="s1", message=EventHeartbeat())) == []


def test_stream_disconnect_resubscribes():
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
    subscribed(d)
    out = d.step(5.0, Disconnected(peer="s1"))
    assert SetTimer(key=RETRY_TIMER, at=6.0) in out
    assert d.stream_id is None


INPUTS = st.one_of(
    st.builds(lambda: Start()),
    st.builds(CallResponse, request=st.sampled_from(["a#1", "a#2", "a#3", "x"]),
              status=st.sampled_from([200, 202, 307, 400, 503]),
              stream_id=st.sampled_from([None, "s1", "s2"])),
    st.builds(Received, sender=st.sampled_from(["s1", "s2", "zzz"]),
              message=st.one_of(st.builds(EventHeartbeat),
                                st.builds(EventSubscribed, framework_id=st.just("fw-1"),
                                          heartbeat_interval_seconds=st.just(15.0)))),
    st.builds(Disconnected, peer=st.sampled_from(["s1", "s2"])),
    st.builds(TimerFired, key=st.sampled_from([RETRY_TIMER, HEARTBEAT_TIMER])),
    st.builds(Perform, call=st.builds(CallDecline, offer_ids=st.just(("o1",)))),
)


class DriverMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=INFO))
        self.now = 0.0
        self.started = False

    @rule(inp=INPUTS, dt=st.floats(0, 100))
    def feed(self, inp, dt):
        if isinstance(inp, Start) == self.started:
            return  # Start exactly once, first (anything else is caller misuse)
        self.started = True
        frozen_inp = copy.deepcopy(inp)
        self.now += dt
        self.d.step(self.now, inp)
        assert inp == frozen_inp  # inputs are never mutated

    @invariant()
    def consistent(self):
        d = self.d
        if d.state == SUBSCRIBED:
            assert d.stream_id is not None and d.framework_id is not None
        assert d.config.backoff_min <= d.backoff <= d.config.backoff_max
        d.describe()


TestDriverMachine = DriverMachine.TestCase
TestDriverMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
