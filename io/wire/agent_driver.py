"""The agent's side of the executor driver wire: v1 executor Calls and Events carried in
internal-transport frames on an executor's own persistent connection (Mesos's
ExecutorDriver over libprocess, with the v1 messages; see io/wire/transport.py).

The agent listens on a transport port of its own for executors (`serve`); an executor
learns it from `MESOTRON_AGENT_DRIVER_ENDPOINT` (host:port, added to every executor's
environment by `with_env`), dials it, says `Hello("executor(<id>)@<host>")` and sends
`executor_call` frames. The connection IS the subscription's event stream:

- SUBSCRIBE becomes the same `Received(sender, ExecutorSubscribe)` input as `POST
  /api/v1/executor`, with a sender name of the agent's making; events to that name leave as
  `executor_event` frames (protobuf). A refused SUBSCRIBE (the agent machine's `Reject`) is
  answered with a `driver_error` frame and the connection closes. A second SUBSCRIBE on a
  subscribed connection goes to the machine under the connection's name, like every other
  call; the agent machine refuses it (400, "Already subscribed on this connection") and
  the subscription stands.
- Every other call becomes the same `Received(sender, message)` input, fire-and-forget
  (the executor learns an UPDATE was accepted from the ACKNOWLEDGED event, as over HTTP
  from the 202): a refused one comes back as a `driver_error` frame. HEARTBEAT is dropped
  (the connection itself tells liveness). Calls before SUBSCRIBE are refused by the machine
  (403), as over HTTP.
- The connection breaking is `Disconnected(sender)`, as when the HTTP stream closes; the
  agent closing the stream (`Close`) closes the connection.
- Bad input: an undecodable frame or a frame that is not an `executor_call` drops the
  connection (transport.bad_frame, nothing changes); a call that fails Mesos's structural
  validation gets a `driver_error` (400), and closes the connection if it was a SUBSCRIBE.

The agent daemon gives three callbacks (no agent internals are touched here):

    feed(input, on_effects)   the effect loop's `call_nowait`: the input is stepped, its
                              effects carried out, then `on_effects(effects)` is called
    attach(name, sink)        events sent to `name` go to `sink.push(protobuf Event bytes)`;
                              `Close(name)` calls `sink.close()`
    detach(name, sink) -> bool  forget `name` if it is still `sink`; True if it was

Wiring in io/daemons/agent.py (`AgentDaemon`), 5 lines:

    from mesotron.io.wire.agent_driver import AgentDriver, stream_callbacks          # imports
    attach, detach = stream_callbacks(self.streams, self.stream_formats)        # __init__,
    self.driver = AgentDriver(self.pid, feed=self.loop.call_nowait,             #  after the
                              attach=attach, detach=detach, log=log)            #  loop
    lp.on(LaunchExecutor, lambda e: self.containers.launch(self.driver.with_env(e)))  # replaces
                                                                                # the line
    await nursery.start(self.driver.serve, self.ip)   # run(), after nursery.start(self.loop.run)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import attrs
import trio
from google.protobuf.message import DecodeError
from mesotron.core.effects import Disconnected, Received, Reject
from mesotron.core.messages import ExecutorSubscribe
from mesotron.io.wire.transport import (
    DriverFrame,
    Link,
    Transport,
    driver_error_frame,
    driver_frame,
)
from mesotron.spec import codec_executor, executor_pb2
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import PROTOBUF, WireError

ENV_ENDPOINT = "MESOTRON_AGENT_DRIVER_ENDPOINT"
_names = itertools.count(1)


class DriverSink:
    """Stands for an `EventStream` in the agent's executor streams: `push(payload)` (a
    serialized v1 executor Event) sends an `executor_event` frame."""

    __slots__ = ("closed", "link")

    def __init__(self, link: Link) -> None:
        self.link = link
        self.closed = False

    def push(self, payload: bytes) -> None:
        if not self.closed:
            self.link.send_frame(driver_frame("executor_event", payload))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.link.close()


class _Conn:
    __slots__ = ("name", "sink")

    def __init__(self, name: str, sink: DriverSink) -> None:
        self.name = name
        self.sink = sink


class AgentDriver:
    """Executors on the driver wire, for one agent (`pid`, e.g. "slave(1)@127.0.0.1:5051")."""

    def __init__(
        self,
        pid: str,
        *,
        feed: Callable[[Any, Callable[[list[Any]], None]], None],
        attach: Callable[[str, DriverSink], None],
        detach: Callable[[str, DriverSink], bool],
        log: Any,
    ) -> None:
        self.pid = pid
        self.feed = feed
        self.attach = attach
        self.detach = detach
        self.log = log
        self.transport = Transport(pid, on_message=self._internal, on_disconnect=lambda peer: None, log=log)
        self.transport.driver = self
        self.endpoint: str | None = None

    async def serve(self, host: str, port: int = 0, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Listen for executors on host:port (0: any free port); `started(port)`."""
        async with trio.open_nursery() as nursery:
            bound = await nursery.start(self.transport.serve, host, port)
            self.endpoint = f"{host}:{bound}"
            task_status.started(bound)

    def with_env(self, launch: Any) -> Any:
        """A `LaunchExecutor` effect whose environment also names the driver endpoint."""
        if self.endpoint is None:
            return launch
        return attrs.evolve(launch, env=(*launch.env, (ENV_ENDPOINT, self.endpoint)))

    # ------------------------------------------------------------------ transport handler
    def claims(self, sender: str) -> bool:
        return True  # this listener is for executors only: frame() refuses anything else

    def _internal(self, peer: str, msg: Any) -> None:
        # never called: `claims` takes every connection, `frame` refuses non-executor frames
        raise CodecError("not an executor connection")

    def frame(self, link: Link, msg: Any) -> None:
        if type(msg) is not DriverFrame or msg.kind != "executor_call":
            kind = msg.kind if type(msg) is DriverFrame else type(msg).__name__
            raise CodecError(f"an executor connection carries executor calls, not {kind}")
        call_pb = executor_pb2.Call()
        try:
            call_pb.ParseFromString(msg.payload)
        except DecodeError as e:
            raise CodecError(f"corrupt executor call: {e}") from None
        conn: _Conn | None = link.attached
        try:
            call = codec_executor.decode_call(call_pb)
        except WireError as e:
            self._refused(link, e.status, e.message, _type_name(call_pb), close=conn is None)
            return
        if call == codec_executor.HEARTBEAT:
            return
        if isinstance(call, ExecutorSubscribe) and conn is None:
            name = f"executor-driver({next(_names)})@{self.pid}"
            self.log.info("driver.executor_subscribed", name=name, tls=isinstance(link.stream, trio.SSLStream))
            sink = DriverSink(link)
            link.attached = _Conn(name, sink)
            self.attach(name, sink)
            self.feed(Received(sender=name, message=call), lambda effects: self._subscribed(link, name, effects))
            return
        # a call on a subscribed connection goes to the machine under the connection's name;
        # a second SUBSCRIBE there too, and the agent machine refuses it (400, "Already
        # subscribed on this connection"), the subscription standing
        sender = conn.name if conn is not None else f"executor-unsubscribed({call.framework_id}/{call.executor_id})"
        self.feed(Received(sender=sender, message=call), lambda effects: self._answered(link, sender, effects, call))

    def closed(self, link: Link) -> None:
        """The connection is gone: the same input as the executor's HTTP stream closing."""
        conn: _Conn | None = link.attached
        if conn is None:
            return
        conn.sink.closed = True
        if self.detach(conn.name, conn.sink):
            self.feed(Disconnected(peer=conn.name), _ignore)

    # ------------------------------------------------------------------ answers (in the loop)
    def _subscribed(self, link: Link, name: str, effects: list[Any]) -> None:
        rej = _rejection(effects, name)
        if rej is None:
            return
        conn: _Conn = link.attached
        self.detach(name, conn.sink)
        conn.sink.closed = True
        link.attached = None
        self._refused(link, rej.status, rej.message, "SUBSCRIBE", close=True)

    def _answered(self, link: Link, sender: str, effects: list[Any], call: Any) -> None:
        rej = _rejection(effects, sender)
        if rej is not None:
            self._refused(link, rej.status, rej.message, type(call).__name__)

    def _refused(self, link: Link, status: int, message: str, call_type: str, *, close: bool = False) -> None:
        self.log.info("driver.call_refused", peer=link.peer, status=status, call=call_type, reason=message)
        link.send_frame(driver_error_frame(status, message, call_type))
        if close:
            link.close()


def stream_callbacks(streams: dict[str, Any], formats: dict[str, str]
                     ) -> tuple[Callable[[str, DriverSink], None], Callable[[str, DriverSink], bool]]:
    """`attach`/`detach` for an agent that keeps executor event sinks by name in `streams`
    and their formats in `formats` (as io/daemons/agent.py's `AgentDaemon` does for HTTP)."""

    def attach(name: str, sink: DriverSink) -> None:
        streams[name] = sink
        formats[name] = PROTOBUF

    def detach(name: str, sink: DriverSink) -> bool:
        if streams.get(name) is not sink:
            return False
        del streams[name]
        formats.pop(name, None)
        return True

    return attach, detach


def _rejection(effects: list[Any], sender: str) -> Reject | None:
    for e in effects:
        if type(e) is Reject and e.sender == sender:
            return e
    return None


def _ignore(effects: list[Any]) -> None:
    pass


def _type_name(call_pb: executor_pb2.Call) -> str:
    try:
        return executor_pb2.Call.Type.Name(call_pb.type)
    except ValueError:
        return str(call_pb.type)


__all__ = ["ENV_ENDPOINT", "AgentDriver", "DriverSink", "stream_callbacks"]
