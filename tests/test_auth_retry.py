"""The framework side retries its authentication (core/scheduler.py, AUTH_TIMER and
AuthenticationResult; io/wire/scheduler_client.py runs the handshake and reports).

Ported cases (apache/mesos 1.11 src/tests/authentication_tests.cpp):
AuthenticationTest.RetryFrameworkAuthentication (the scheduler's first authentication
message is dropped: the attempt times out and the next one registers) and
AuthenticationTest.DropFinalSASLMessage (the master's final "completed" message is dropped:
the same), both against a real master with --authenticate-frameworks, the drop planted in
the client's handshake (as Mesos's DROP_PROTOBUF); and the driver's decisions in core
(deadline doubling from authentication_timeout_min to _max, backoff
authentication_backoff_factor * 2^(n-1), FAILED is final), unit and Hypothesis."""

from __future__ import annotations

from typing import Any

import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core.effects import CancelTimer, Close, Received, Send, SetTimer, TimerFired
from mesotron.core.messages import EventSubscribed
from mesotron.core.scheduler import (
    AUTH_TIMER,
    RETRY_TIMER,
    AuthenticationResult,
    CallResponse,
    MasterDetected,
    Notify,
    SchedulerConfig,
    SchedulerDriver,
    Start,
    Stopped,
)
from mesotron.core.values import FrameworkInfo
from mesotron.io.wire import handshake
from mesotron.io.wire.scheduler_client import SchedulerClient
from test_wire_auth import LIMIT, secured_master

CONFIG = SchedulerConfig(framework_info=FrameworkInfo(user="u", name="f"), authenticate=True,
                         authentication_timeout_min=5.0, authentication_timeout_max=60.0,
                         authentication_backoff_factor=1.0)


def started(config: SchedulerConfig = CONFIG) -> tuple[SchedulerDriver, list[Any]]:
    d = SchedulerDriver(name="s", config=config)
    d.step(0.0, MasterDetected(master="m:5050"))
    return d, d.step(0.0, Start())


def timer(out: list[Any], key: tuple[str, ...]) -> float | None:
    ats = [e.at for e in out if isinstance(e, SetTimer) and e.key == key]
    return ats[-1] if ats else None


def request_of(out: list[Any]) -> str:
    (send,) = [e for e in out if isinstance(e, Send)]
    return str(send.message.request)


# ------------------------------------------------------------------ core
def test_retry_framework_authentication_in_core() -> None:
    """RetryFrameworkAuthentication, the decision: the first attempt's deadline (5 s) passes,
    its connection is given up (Close(request)); the retry comes after the backoff (1 s) with
    a doubled deadline (10 s); COMPLETED arms the subscribe timeout; SUBSCRIBED follows."""
    d, out = started()
    first = request_of(out)
    assert timer(out, AUTH_TIMER) == 5.0 and timer(out, RETRY_TIMER) is None
    out = d.step(5.0, TimerFired(key=AUTH_TIMER))
    assert Close(peer=first) in out and timer(out, RETRY_TIMER) == 6.0
    assert d.step(5.5, AuthenticationResult(request=first, outcome="COMPLETED")) == []  # too late: ignored
    out = d.step(6.0, TimerFired(key=RETRY_TIMER))
    second = request_of(out)
    assert second != first and timer(out, AUTH_TIMER) == 16.0
    out = d.step(6.5, AuthenticationResult(request=second, outcome="COMPLETED"))
    assert CancelTimer(key=AUTH_TIMER) in out and timer(out, RETRY_TIMER) == 6.5 + CONFIG.subscribe_timeout
    assert d.auth_failures == 0
    assert d.step(6.6, CallResponse(request=second, status=200, stream_id="st")) == []
    out = d.step(6.7, Received(sender="st", message=EventSubscribed(framework_id="f1", heartbeat_interval_seconds=15.0)))
    assert any(isinstance(e, Notify) for e in out) and d.state == "SUBSCRIBED"


def test_failed_is_final_and_error_retries() -> None:
    d, out = started()
    out = d.step(1.0, AuthenticationResult(request=request_of(out), outcome="ERROR", message="x"))
    assert timer(out, RETRY_TIMER) == 2.0 and d.state == "DISCONNECTED"
    out = d.step(2.0, TimerFired(key=RETRY_TIMER))
    assert timer(out, AUTH_TIMER) == 12.0
    out = d.step(3.0, AuthenticationResult(request=request_of(out), outcome="FAILED",
                                           message="Master refused authentication"))
    assert Stopped(reason="Master refused authentication", status=401) in out


def test_no_authentication_keeps_the_subscribe_timer() -> None:
    _d, out = started(SchedulerConfig(framework_info=FrameworkInfo(user="u", name="f")))
    assert timer(out, AUTH_TIMER) is None and timer(out, RETRY_TIMER) == 10.0


@settings(max_examples=200, deadline=None)
@given(outcomes=st.lists(st.sampled_from(["timeout", "ERROR", "COMPLETED", "FAILED"]), min_size=1, max_size=12),
       tmin=st.sampled_from([0.5, 5.0]), tmax=st.sampled_from([8.0, 60.0]),
       factor=st.sampled_from([0.1, 1.0]))
def test_authentication_retry_schedule(outcomes, tmin, tmax, factor) -> None:
    """Any sequence of attempt outcomes: attempt k (k failures before it) has the deadline
    min(tmin * 2^k, tmax); after the k-th failure the retry waits min(factor * 2^(k-1), tmax);
    one attempt at a time (a stale result changes nothing); COMPLETED resets the count;
    FAILED stops the driver with 401."""
    cfg = SchedulerConfig(framework_info=FrameworkInfo(user="u", name="f"), authenticate=True,
                          authentication_timeout_min=tmin, authentication_timeout_max=tmax,
                          authentication_backoff_factor=factor)
    d, out = started(cfg)
    now, failures, stale = 0.0, 0, []
    for outcome in outcomes:
        req = request_of(out)
        assert timer(out, AUTH_TIMER) == now + min(tmin * 2 ** failures, tmax)
        for old in stale:
            assert d.step(now, AuthenticationResult(request=old, outcome="COMPLETED")) == []
        if outcome == "timeout":
            now = timer(out, AUTH_TIMER)
            out = d.step(now, TimerFired(key=AUTH_TIMER))
            assert Close(peer=req) in out
        else:
            now += 0.1
            out = d.step(now, AuthenticationResult(request=req, outcome=outcome))
        if outcome == "FAILED":
            assert [e for e in out if isinstance(e, Stopped)] == [Stopped(reason="Master refused authentication", status=401)]
            return
        if outcome == "COMPLETED":
            assert d.auth_failures == 0 and d.authenticating is None
            # the subscribe goes unanswered: the driver retries it (a new authentication)
            now = timer(out, RETRY_TIMER)
            out = d.step(now, TimerFired(key=RETRY_TIMER))
            out += d.step(now, TimerFired(key=RETRY_TIMER))
            failures = 0
            stale = [req]
            continue
        failures += 1
        assert timer(out, RETRY_TIMER) == now + min(factor * 2 ** (failures - 1), tmax)
        now = timer(out, RETRY_TIMER)
        out = d.step(now, TimerFired(key=RETRY_TIMER))
        stale = [req]


# ------------------------------------------------------------------ real master
def _client(addr: str) -> Any:
    return SchedulerClient.connect(addr, FrameworkInfo(user="t", name="retry"), wire="driver",
                                   principal="fw", secret="fw-secret",
                                   authentication={"authentication_timeout_min": 0.5,
                                                   "authentication_backoff_factor": 0.1})


def test_retry_framework_authentication(tmp_path, monkeypatch) -> None:
    """AuthenticationTest.RetryFrameworkAuthentication: the scheduler's first authentication
    message is dropped (planted: the first attempt never sends its START); the attempt times
    out, the next one authenticates and the framework registers."""
    real = handshake.authenticate
    attempts: list[int] = []

    async def drop_first(stream: Any, buf: bytearray, principal: str, secret: str) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            await trio.sleep_forever()  # START never reaches the master
        await real(stream, buf, principal, secret)

    monkeypatch.setattr(handshake, "authenticate", drop_first)

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with secured_master(str(tmp_path)) as (master, _files, _log, _n), \
                    _client(f"127.0.0.1:{master.port}") as s:
                await s.subscribed.wait()
                assert len(attempts) == 2
                assert [f["principal"] for f in master.state_json()["frameworks"]] == ["fw"]

    trio.run(main)


def test_drop_final_sasl_message(tmp_path, monkeypatch) -> None:
    """AuthenticationTest.DropFinalSASLMessage: the master's COMPLETED is dropped (planted in
    the client's reader); the attempt times out, the retry registers the framework once."""
    real = handshake._read
    dropped: list[int] = []

    async def drop_completed(stream: Any, buf: bytearray) -> Any:
        msg = await real(stream, buf)
        if msg.kind == "COMPLETED" and not dropped:
            dropped.append(1)
            await trio.sleep_forever()
        return msg

    monkeypatch.setattr(handshake, "_read", drop_completed)

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with secured_master(str(tmp_path)) as (master, _files, _log, _n), \
                    _client(f"127.0.0.1:{master.port}") as s:
                await s.subscribed.wait()
                assert dropped == [1] and s.driver.subscriptions == 1
                assert len(master.state_json()["frameworks"]) == 1

    trio.run(main)
