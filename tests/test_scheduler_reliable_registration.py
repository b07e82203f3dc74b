"""The scheduler driver (core/scheduler.py) retries a subscription whose answer was lost."""

from __future__ import annotations

import attrs
from mesotron.core.effects import Disconnected, Received, Send, SetTimer, TimerFired
from mesotron.core.messages import CallSubscribe, EventSubscribed
from mesotron.core.scheduler import (
    RETRY_TIMER,
    SUBSCRIBED,
    CallResponse,
    Notify,
    SchedulerConfig,
    SchedulerDisconnected,
    SchedulerDriver,
    Start,
)
from mesotron.core.values import FrameworkInfo

INFO = FrameworkInfo(user="u", name="fw")


def _subscribes(effects: list) -> list:
    return [e.message for e in effects
            if isinstance(e, Send) and isinstance(e.message.call, CallSubscribe)]


def _drop_subscribed_then_retry(info: FrameworkInfo) -> SchedulerDriver:
    d = SchedulerDriver(name="a", config=SchedulerConfig(framework_info=info))
    (first,) = _subscribes(d.step(0.0, Start()))
    d.step(0.1, CallResponse(request=first.request, status=200, stream_id="s1"))
    # the SUBSCRIBED event on s1 is dropped: nothing more arrives
    now, resent = 0.1, []
    for _ in range(5):  # the subscribe timeout, then the backoff
        now += 10.0
        resent = _subscribes(d.step(now, TimerFired(key=RETRY_TIMER)))
        if resent:
            break
    assert len(resent) == 1, "the driver did not subscribe again"
    again = resent[0]
    assert again.request != first.request
    assert again.call.framework_info.id == info.id  # a failover keeps its framework id
    d.step(now, CallResponse(request=again.request, status=200, stream_id="s2"))
    d.step(now, Received(sender="s2", message=EventSubscribed(
        framework_id=info.id or "fw-1", heartbeat_interval_seconds=15.0)))
    assert d.state == SUBSCRIBED
    return d


def test_framework_reliable_registration() -> None:
    """FaultToleranceTest.FrameworkReliableRegistration: the first registration's answer is
    dropped; the driver retries and registers."""
    d = _drop_subscribed_then_retry(INFO)
    assert d.framework_id == "fw-1"


def test_scheduler_failover_retried_reregistration() -> None:
    """FaultToleranceTest.SchedulerFailoverRetriedReregistration (MESOS-659): a failing-over
    scheduler's re-registration answer is dropped; it retries with the same framework id."""
    d = _drop_subscribed_then_retry(attrs.evolve(INFO, id="fw-9", failover_timeout=60.0))
    assert d.framework_id == "fw-9"


def test_master_lost_tells_the_scheduler() -> None:
    """MasterTest.MasterLost: the master goes away (the subscription stream breaks): the
    scheduler is told it is disconnected (Mesos's `disconnected` callback) and the driver
    starts subscribing again."""
    d = _drop_subscribed_then_retry(INFO)
    out = d.step(100.0, Disconnected(peer="s2"))
    assert [e.event for e in out if isinstance(e, Notify)] == [SchedulerDisconnected(reason="stream closed")]
    assert d.state != SUBSCRIBED
    assert any(isinstance(e, SetTimer) and e.key == RETRY_TIMER for e in out)
