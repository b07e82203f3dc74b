"""The scheduler side of the v1 scheduler API as a pure machine: `SchedulerDriver`.

It owns the protocol a framework speaks to the master; the application (a scripted
framework in the simulator, or our Trio scheduler API) sits on top of it and sees events:

- subscribe, and re-subscribe with exponential backoff (`backoff_min` doubling up to
  `backoff_max`) whenever the stream breaks, a subscribe is refused or goes unanswered;
- a heartbeat watchdog: when no event arrives for `heartbeat_misses` heartbeat intervals the
  stream is considered dead: it is closed and the driver re-subscribes;
- acknowledgements of status updates (automatic unless `auto_ack=False`: then the
  application acknowledges by performing a `CallAcknowledge` itself);
- failover: a new driver built with `framework_info.id` set subscribes as the same
  framework (the master replaces the old stream);
- implicit reconciliation after every (re-)subscription when `reconcile_on_subscribe`;
- authentication (`config.authenticate`: the shell runs CRAM-MD5 on the connection that
  carries each SUBSCRIBE, before it, and reports `AuthenticationResult`), as Mesos's
  SchedulerProcess: each attempt has a deadline (the `AUTH_TIMER`, `authentication_timeout_min`
  doubling per failed attempt up to `authentication_timeout_max`); a dropped or timed-out
  handshake (the deadline passes: the attempt's connection is closed, `Close(request)`) or
  an ERROR is retried after `authentication_backoff_factor * 2^(failures-1)` (capped at
  `authentication_timeout_max`; Mesos draws a random delay up to that bound, we take the
  bound: no randomness in core); FAILED (the master refused the credential) stops the driver
  ("Master refused authentication", status 401), as Mesos's driver aborts.

Inputs: `MasterDetected(master)` (which master to talk to; accepted before `Start` too: a
driver built for a known master learns it before starting, one following ZooKeeper learns
each new leader; `None`: no leader known, wait), `Start()`, `Perform(call)` (the
application's calls), `CallResponse` (the answer to one of our requests; status 0: no answer,
the connection failed), `Received(sender, Event*)` (events on our stream),
`Disconnected(peer)` (our stream broke), `AuthenticationResult(request, outcome, message)`,
`TimerFired(key)`, `Stop()` (tear down, or just go
away with `teardown=False`: what a crashing scheduler process does).

Effects: `Send(to=<master>, SchedulerCall(...))` (`to` is the detected master, or "master"
when none was ever detected: the simulator resolves that to the leading master),
`Close(stream)` (or `Close(request)`: give up the authentication attempt of that SUBSCRIBE
and its connection), `SetTimer`, `CancelTimer`, `Log`, `Notify(event)` handing an event to the
application (`EventSubscribed`, `EventOffers`, `EventRescind`, `EventUpdate`,
`EventMessage`, `EventFailure`, `EventError`, or `SchedulerDisconnected`), and
`Stopped(reason, status)` once, when the driver stops for good (ERROR event, a SUBSCRIBE
refused with a 4xx, or `Stop`).

Ordering rules the shell keeps: effects are carried out in order; in particular a status
update's `Notify` comes before its acknowledgement's `Send` (the application has the update
before the agent may forget it), and after `Stopped` nothing more comes out.

Decisions that are the driver's (and not its shell's): when to (re-)subscribe and with which
framework id, the backoff between attempts (`backoff_min` doubling to `backoff_max`), which
SUBSCRIBE answers are final (4xx) and which are retried (no answer, 3xx, 5xx, a timeout),
that a new leader means a new subscription at once, that calls are dropped while not
SUBSCRIBED, and the heartbeat watchdog. `client_config()` is the configuration our Trio
client (io/wire/scheduler_client.py) runs; the simulator runs the defaults.

Books read: `auth_failures`, `authenticating`, `backoff`, `config`, `detected`, `failures`,
  `framework_id`, `heartbeat_interval`,
  `master`, `name`, `requests`, `started`, `state`, `stream_id`, `subscribe_request`,
  `subscriptions`, `target`, `teardown_request`.
Books written: `auth_failures`, `authenticating`, `backoff`, `detected`, `failures`,
  `framework_id`, `heartbeat_interval`,
  `master`, `requests`, `started`, `state`, `stream_id`, `subscribe_request`, `subscriptions`,
  `target`, `teardown_request`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Received,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.messages import (
    CallAcknowledge,
    CallReconcile,
    CallSubscribe,
    CallTeardown,
    EventError,
    EventHeartbeat,
    EventSubscribed,
    EventUpdate,
    SchedulerCall,
)
from mesotron.core.values import FrameworkInfo, fast_inits

DISCONNECTED = "DISCONNECTED"
SUBSCRIBING = "SUBSCRIBING"  # subscribe sent, waiting for the response / SUBSCRIBED event
SUBSCRIBED = "SUBSCRIBED"
# TEARDOWN sent, the stream kept open until it is answered (the master closes the stream of
# the framework it removes): a driver that closed its stream with the TEARDOWN could have it
# refused ("Framework is not subscribed") when the close reached the master first
TEARING_DOWN = "TEARING_DOWN"
STOPPED = "STOPPED"

RETRY_TIMER = ("scheduler", "subscribe")
AUTH_TIMER = ("scheduler", "authentication")
HEARTBEAT_TIMER = ("scheduler", "heartbeat")
TEARDOWN_TIMER = ("scheduler", "teardown")


# ---------------------------------------------------------------- inputs
@attrs.frozen(kw_only=True, slots=True)
class MasterDetected:
    """The master to talk to is now `master` ("host:port"); None: no leader is known."""

    master: str | None


@attrs.frozen(kw_only=True, slots=True)
class Start:
    """Begin subscribing (at once if a master is known, else at the next `MasterDetected`)."""


@attrs.frozen(kw_only=True, slots=True)
class Perform:
    """The application wants `call` sent on its stream (not a subscribe)."""

    call: Any


@attrs.frozen(kw_only=True, slots=True)
class CallResponse:
    """The HTTP answer to request `request` (for a subscribe: the new stream's id)."""

    request: str
    status: int
    message: str = ""
    stream_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class AuthenticationResult:
    """How the authentication before SUBSCRIBE `request` ended: "COMPLETED", "FAILED" (the
    master refused the credential) or "ERROR" (an error from the master, a broken link)."""

    request: str
    outcome: str
    message: str = ""


@attrs.frozen(kw_only=True, slots=True)
class Stop:
    """teardown=True: send TEARDOWN and stop once it is answered (or the master closed the
    stream, or `teardown_timeout` passed). teardown=False: go silent at once (a crash)."""

    teardown: bool = True


# ---------------------------------------------------------------- effects
@attrs.frozen(kw_only=True, slots=True)
class Notify:
    """Hand `event` to the application."""

    event: Any


@attrs.frozen(kw_only=True, slots=True)
class SchedulerDisconnected:
    """An application-level event: the stream is gone; the driver is re-subscribing."""

    reason: str


@attrs.frozen(kw_only=True, slots=True)
class Stopped:
    """The driver stopped for good (`status`: the HTTP status of a refused SUBSCRIBE, else
    None). Nothing follows; the shell ends the application's event stream."""

    reason: str
    status: int | None = None


@attrs.frozen(kw_only=True, slots=True)
class SchedulerConfig:
    framework_info: FrameworkInfo
    auto_ack: bool = True
    reconcile_on_subscribe: bool = True
    heartbeat_misses: int = 5
    backoff_min: float = 1.0
    backoff_max: float = 60.0
    # how long to wait for a subscribe to produce SUBSCRIBED before retrying
    subscribe_timeout: float = 10.0
    suppressed_roles: tuple[str, ...] = ()
    # SUBSCRIBE's offer_constraints: ((role, (AttributeConstraint, ...)), ...)
    offer_constraints: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # authentication before each SUBSCRIBE (Mesos's scheduler flags, same defaults)
    authenticate: bool = False
    authentication_timeout_min: float = 5.0
    authentication_timeout_max: float = 60.0
    authentication_backoff_factor: float = 1.0
    # how long a TEARDOWN may go unanswered before the driver stops anyway
    teardown_timeout: float = 10.0


def client_config(framework_info: FrameworkInfo, **authentication: Any) -> SchedulerConfig:
    """What our Trio client runs: the application acknowledges and reconciles itself, and
    re-subscription is quick (0.05 s doubling to 1 s: a local operator is waiting).
    `authentication`: `authenticate` and the `authentication_*` fields of SchedulerConfig."""
    return SchedulerConfig(framework_info=framework_info, auto_ack=False,
                           reconcile_on_subscribe=False, backoff_min=0.05, backoff_max=1.0,
                           **authentication)


class SchedulerDriver:
    """Pure scheduler-side protocol machine (see the module docstring).

    Invariant: `stream_id` is set iff the state is SUBSCRIBED or a subscribe response
    arrived; `framework_id` once set never changes.
    """

    def __init__(self, *, name: str, config: SchedulerConfig) -> None:
        self.name = name
        self.config = config
        self.framework_id: str | None = config.framework_info.id
        self.state = DISCONNECTED
        self.stream_id: str | None = None
        self.subscribe_request: str | None = None
        self.teardown_request: str | None = None  # the TEARDOWN awaited (TEARING_DOWN)
        self.requests = 0
        self.backoff = config.backoff_min
        self.heartbeat_interval = 15.0
        self.subscriptions = 0  # how many times SUBSCRIBED arrived
        self.master: str | None = None  # hostname of the master that subscribed us
        self.target = "master"  # where calls go (MasterDetected); "master": the leader
        self.detected = False  # a MasterDetected arrived (then `target` None = no leader)
        self.failures = 0  # consecutive subscribe attempts that did not end SUBSCRIBED
        self.started = False
        self.authenticating: str | None = None  # the SUBSCRIBE whose authentication runs
        self.auth_failures = 0  # consecutive authentication attempts that did not complete

    # ------------------------------------------------------------ entry point
    def step(self, now: float, input: Any) -> list[Any]:
        t = type(input)
        if t is MasterDetected:
            return self.handleMasterDetected(now, input.master)
        if t is Start:
            if self.started:
                raise LocalError(f"SchedulerDriver {self.name}: Start twice")
            self.started = True
            if self.detected and self.target is None:
                return []  # no leader yet: the next MasterDetected subscribes
            return self.subscribe(now)
        if not self.started:
            raise LocalError(f"SchedulerDriver {self.name}: {t.__name__} before Start")
        if self.state == STOPPED:
            return []
        if self.state == TEARING_DOWN:
            return self.whileTearingDown(now, input)
        if t is Received:
            return self.handleEvent(now, input.sender, input.message)
        if t is CallResponse:
            return self.handleResponse(now, input)
        if t is AuthenticationResult:
            return self.handleAuthentication(now, input)
        if t is TimerFired:
            return self.handleTimer(now, input.key)
        if t is Perform:
            return self.handlePerform(now, input.call)
        if t is Disconnected:
            if self.stream_id is not None and input.peer == self.stream_id:
                if self.state == SUBSCRIBING:  # it never delivered SUBSCRIBED: an attempt failed
                    return [Close(peer=input.peer),
                            *self.maybeRetry(now, "stream closed before SUBSCRIBED")]
                return self.becomeDisconnected(now, "stream closed")
            return []
        if t is Stop:
            return self.handleStop(now, input.teardown)
        raise LocalError(f"SchedulerDriver {self.name}: unknown input {input!r}")

    # ------------------------------------------------------------ handlers
    def subscribe(self, now: float) -> list[Any]:
        self.state = SUBSCRIBING
        self.stream_id = None
        self.subscribe_request = self.nextRequest()
        info = self.config.framework_info
        if self.framework_id is not None and info.id != self.framework_id:
            info = attrs.evolve(info, id=self.framework_id)
        call = SchedulerCall(
            request=self.subscribe_request,
            stream_id=None,
            framework_id=self.framework_id,
            call=CallSubscribe(framework_info=info,
                               suppressed_roles=self.config.suppressed_roles,
                               offer_constraints=self.config.offer_constraints),
        )
        if self.config.authenticate:  # the shell authenticates first: its deadline, not yet the subscribe's
            self.authenticating = self.subscribe_request
            return [Send(to=self.target or "master", message=call),
                    SetTimer(key=AUTH_TIMER, at=now + self.authenticationTimeout())]
        return [Send(to=self.target or "master", message=call),
                SetTimer(key=RETRY_TIMER, at=now + self.config.subscribe_timeout)]

    def authenticationTimeout(self) -> float:
        c = self.config
        return float(min(c.authentication_timeout_min * 2 ** self.auth_failures,
                         c.authentication_timeout_max))

    def handleAuthentication(self, now: float, r: AuthenticationResult) -> list[Any]:
        if r.request != self.authenticating or self.state != SUBSCRIBING:
            return []  # an attempt we already gave up on
        self.authenticating = None
        if r.outcome == "COMPLETED":
            self.auth_failures = 0
            return [CancelTimer(key=AUTH_TIMER),
                    SetTimer(key=RETRY_TIMER, at=now + self.config.subscribe_timeout)]
        if r.outcome == "FAILED":
            return self.becomeStopped("Master refused authentication", 401)
        return [CancelTimer(key=AUTH_TIMER), *self.retryAuthentication(
            now, f"authentication failed: {r.message}".rstrip(": "))]

    def retryAuthentication(self, now: float, reason: str) -> list[Any]:
        """A dropped, timed-out or failed-with-ERROR handshake: try again after the backoff."""
        self.auth_failures += 1
        self.failures += 1
        c = self.config
        delay = float(min(c.authentication_backoff_factor * 2 ** (self.auth_failures - 1),
                          c.authentication_timeout_max))
        self.state = DISCONNECTED
        self.subscribe_request = None
        self.stream_id = None
        return [Log(level="warning", event="scheduler.authentication_retry", fields=(
                    ("reason", reason), ("attempts", self.auth_failures), ("backoff", delay))),
                SetTimer(key=RETRY_TIMER, at=now + delay)]

    def handleResponse(self, now: float, r: CallResponse) -> list[Any]:
        if r.request != self.subscribe_request:
            if r.status >= 400:
                return [Log(level="warning", event="scheduler.call_rejected",
                            fields=(("request", r.request), ("status", r.status),
                                    ("message", r.message)))]
            return []
        if self.state != SUBSCRIBING:
            return []
        if 200 <= r.status < 300 and r.stream_id is not None:
            self.stream_id = r.stream_id
            return []
        if 400 <= r.status < 500:  # the master validated the SUBSCRIBE and refused it: final
            return self.becomeStopped(f"subscribe refused: {r.status} {r.message}", r.status)
        why = "no answer" if r.status == 0 else f"{r.status}"
        return self.maybeRetry(now, f"subscribe failed: {why} {r.message}".rstrip())

    def handleEvent(self, now: float, sender: str, event: Any) -> list[Any]:
        if self.stream_id is None or sender != self.stream_id:
            return []  # an event of a stream we no longer own
        t = type(event)
        out: list[Any] = []
        if t is EventSubscribed:
            if self.framework_id is not None and event.framework_id != self.framework_id:
                return [Log(level="error", event="scheduler.wrong_framework_id",
                            fields=(("got", event.framework_id),))]
            self.framework_id = event.framework_id
            self.heartbeat_interval = event.heartbeat_interval_seconds
            self.state = SUBSCRIBED
            self.backoff = self.config.backoff_min
            self.failures = 0
            self.subscriptions += 1
            if event.master_info is not None:
                self.master = event.master_info.id
            out.append(CancelTimer(key=RETRY_TIMER))
            out.append(Notify(event=event))
            if self.config.reconcile_on_subscribe:
                out.extend(self.call(CallReconcile()))
        elif t is EventError:  # also before SUBSCRIBED: how a master refuses a SUBSCRIBE
            out.append(Notify(event=event))
            return out + self.becomeStopped(f"error: {event.message}", None)
        elif self.state != SUBSCRIBED:
            return []
        elif t is EventHeartbeat:
            pass
        elif t is EventUpdate:
            out.extend(self.deliverUpdate(event))
        else:
            out.append(Notify(event=event))
        out.append(SetTimer(key=HEARTBEAT_TIMER,
                            at=now + self.heartbeat_interval * self.config.heartbeat_misses))
        return out

    def deliverUpdate(self, event: EventUpdate) -> list[Any]:
        """Hand the update to the application, THEN acknowledge it (auto_ack): the agent
        forgets an update once acknowledged, so it must be the application's first."""
        out: list[Any] = [Notify(event=event)]
        status = event.status
        if self.config.auto_ack and status.uuid is not None and status.agent_id:
            out.extend(self.call(CallAcknowledge(agent_id=status.agent_id,
                                                 task_id=status.task_id, uuid=status.uuid)))
        return out

    def handleMasterDetected(self, now: float, master: str | None) -> list[Any]:
        if self.detected and master == self.target:
            return []
        self.detected = True
        self.target = master  # type: ignore[assignment]
        if not self.started or self.state in (STOPPED, TEARING_DOWN):
            return []
        out: list[Any] = []
        if self.state == SUBSCRIBED:
            out += self.becomeDisconnected(now, "new leading master" if master else "no leader")
        elif self.stream_id is not None:
            out.append(Close(peer=self.stream_id))
        if self.authenticating is not None:
            out += [Close(peer=self.authenticating), CancelTimer(key=AUTH_TIMER)]
            self.authenticating = None
        self.state = DISCONNECTED
        self.stream_id = None
        self.subscribe_request = None
        out.append(CancelTimer(key=RETRY_TIMER))
        if master is None:
            return out  # wait for the next leader
        self.backoff = self.config.backoff_min  # a new leader: subscribe to it at once
        return out + self.subscribe(now)

    def handleTimer(self, now: float, key: tuple[str, ...]) -> list[Any]:
        if key == AUTH_TIMER:
            if self.authenticating is None or self.state != SUBSCRIBING:
                return []
            attempt, self.authenticating = self.authenticating, None
            return [Close(peer=attempt), *self.retryAuthentication(now, "authentication timed out")]
        if key == RETRY_TIMER:
            if self.state == SUBSCRIBING:
                return self.maybeRetry(now, "subscribe timed out", retry_now=True)
            if self.state == DISCONNECTED and not (self.detected and self.target is None):
                return self.subscribe(now)
            return []
        if key == HEARTBEAT_TIMER and self.state == SUBSCRIBED:
            return self.becomeDisconnected(now, "missed heartbeats")
        return []

    def handlePerform(self, now: float, call: Any) -> list[Any]:
        if isinstance(call, CallSubscribe):
            raise LocalError("SchedulerDriver: subscribing is the driver's job (use Start)")
        if self.state != SUBSCRIBED:
            return [Log(level="info", event="scheduler.call_dropped",
                        fields=(("call", type(call).__name__), ("state", self.state)))]
        return self.call(call)

    def handleStop(self, now: float, teardown: bool) -> list[Any]:
        if teardown and self.state == SUBSCRIBED:
            out = self.call(CallTeardown())
            self.teardown_request = out[0].message.request
            self.state = TEARING_DOWN
            return [*out, CancelTimer(key=RETRY_TIMER), CancelTimer(key=HEARTBEAT_TIMER),
                    SetTimer(key=TEARDOWN_TIMER, at=now + self.config.teardown_timeout)]
        return self.becomeStopped("stopped by the application", None)

    def whileTearingDown(self, now: float, input: Any) -> list[Any]:
        """TEARING_DOWN: only the TEARDOWN's fate matters; events and calls are dropped."""
        t = type(input)
        if t is CallResponse and input.request == self.teardown_request:
            if 200 <= input.status < 300:
                return [CancelTimer(key=TEARDOWN_TIMER),
                        *self.becomeStopped("torn down", None)]
            return [CancelTimer(key=TEARDOWN_TIMER),
                    Log(level="warning", event="scheduler.teardown_refused", fields=(
                        ("status", input.status), ("message", input.message))),
                    *self.becomeStopped(f"teardown failed: {input.status} {input.message}"
                                        .rstrip(), None)]
        if t is Disconnected and input.peer == self.stream_id:
            # the master closes the stream of the framework it removed
            return [CancelTimer(key=TEARDOWN_TIMER), *self.becomeStopped("torn down", None)]
        if t is TimerFired and input.key == TEARDOWN_TIMER:
            return self.becomeStopped("teardown unanswered", None)
        if t is Stop:
            if input.teardown:
                return []
            return [CancelTimer(key=TEARDOWN_TIMER),
                    *self.becomeStopped("stopped by the application", None)]
        if t is Perform or t is Received or t is CallResponse or t is MasterDetected \
                or t is AuthenticationResult or t is TimerFired or t is Disconnected:
            return []
        raise LocalError(f"SchedulerDriver {self.name}: unknown input {input!r}")

    # ------------------------------------------------------------ helpers
    def becomeStopped(self, reason: str, status: int | None) -> list[Any]:
        out: list[Any] = []
        if self.stream_id is not None:
            out.append(Close(peer=self.stream_id))
        if self.authenticating is not None:
            out.append(Close(peer=self.authenticating))
            self.authenticating = None
        out += [CancelTimer(key=RETRY_TIMER), CancelTimer(key=HEARTBEAT_TIMER),
                CancelTimer(key=AUTH_TIMER), Stopped(reason=reason, status=status)]
        self.state = STOPPED
        self.stream_id = None
        self.subscribe_request = None
        return out

    def becomeDisconnected(self, now: float, reason: str) -> list[Any]:
        out: list[Any] = []
        if self.stream_id is not None:
            out.append(Close(peer=self.stream_id))
        self.stream_id = None
        self.state = DISCONNECTED
        out.append(CancelTimer(key=HEARTBEAT_TIMER))
        out.append(Notify(event=SchedulerDisconnected(reason=reason)))
        out.append(SetTimer(key=RETRY_TIMER, at=now + self.backoff))
        self.backoff = min(self.backoff * 2, self.config.backoff_max)
        return out

    def maybeRetry(self, now: float, reason: str, retry_now: bool = False) -> list[Any]:
        self.failures += 1
        self.state = DISCONNECTED
        self.subscribe_request = None
        self.stream_id = None
        out: list[Any] = []
        if self.authenticating is not None:  # the attempt failed before its handshake ended
            self.authenticating = None
            out.append(CancelTimer(key=AUTH_TIMER))
        out += [Log(level="info", event="scheduler.subscribe_retry",
                              fields=(("reason", reason), ("backoff", self.backoff)))]
        out.append(SetTimer(key=RETRY_TIMER, at=now + (0.0 if retry_now else self.backoff)))
        self.backoff = min(self.backoff * 2, self.config.backoff_max)
        return out

    def call(self, call: Any) -> list[Any]:
        return [Send(to=self.target or "master", message=SchedulerCall(
            request=self.nextRequest(), stream_id=self.stream_id,
            framework_id=self.framework_id, call=call))]

    def nextRequest(self) -> str:
        self.requests += 1
        return f"{self.name}#{self.requests}"

    def describe(self) -> str:
        return (f"scheduler {self.name}: {self.state} framework={self.framework_id} "
                f"stream={self.stream_id} subscriptions={self.subscriptions} "
                f"target={self.target} failures={self.failures} "
                f"backoff={self.backoff:g} auth_failures={self.auth_failures}")


# attrs classes of this module: slot-storing __init__s (core/values.py fast_init; hot path)
fast_inits(globals())
