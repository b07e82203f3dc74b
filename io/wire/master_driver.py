"""The master's side of the scheduler driver wire: v1 scheduler Calls and Events carried in
internal-transport frames on a framework's own persistent connection (Mesos's
SchedulerDriver over libprocess, with the v1 messages; see io/wire/transport.py).

A framework dials the master's transport (its address: GET /internal/endpoint), says
`Hello("scheduler(<id>)@<host>")`, then sends `scheduler_call` frames. The connection IS
the subscription's event stream:

- SUBSCRIBE becomes the same `SchedulerCall` input as `POST /api/v1/scheduler`; the
  master's 200 answer makes the connection the stream (events leave as `scheduler_event`
  frames, protobuf); any other answer is a `driver_error` frame and the connection closes.
- Every other call becomes the same `SchedulerCall` input, with the connection's stream id
  (the HTTP API's Mesos-Stream-Id), fire-and-forget: nothing comes back for an accepted
  call; a refused one (the HTTP API's 4xx) comes back as a `driver_error` frame.
- The connection breaking is `Disconnected(stream_id)`, as when an HTTP stream closes; the
  master closing the stream (`Close`) closes the connection.
- Bad input: an undecodable frame or a non-`scheduler_call` frame drops the connection
  (transport.bad_frame, nothing changes); a call that fails Mesos's structural validation
  gets a `driver_error` (400) like its HTTP answer; a call before SUBSCRIBE goes to the
  master without a stream id (refused as over HTTP without Mesos-Stream-Id); a second
  SUBSCRIBE on a subscribed connection goes to the master with the connection's stream id,
  and the master machine refuses it (400, as a SUBSCRIBE with a Mesos-Stream-Id header).
- A master that does not lead answers every call with `driver_error` 503 (or 307 with the
  leader's pid as message) and closes.

No protocol decision is made here: the master machine answers every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError
from mesotron.core.effects import Disconnected, Respond
from mesotron.core.messages import CallSubscribe, SchedulerCall
from mesotron.io.wire.transport import DriverFrame, Link, driver_error_frame, driver_frame
from mesotron.spec import codec_scheduler, scheduler_pb2
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import PROTOBUF, RecordIOReader, WireError

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.io.daemons.master import MasterDaemon

SCHEDULER_PREFIX = "scheduler("


class DriverStream:
    """Stands for an `EventStream` in `MasterDaemon.streams`: `push(payload)` (a serialized
    v1 Event, the stream's format being protobuf) sends a `scheduler_event` frame."""

    __slots__ = ("closed", "link", "stream_id")

    def __init__(self, link: Link, stream_id: str) -> None:
        self.link = link
        self.stream_id = stream_id
        self.closed = False

    def push(self, payload: bytes) -> None:
        if not self.closed:
            self.link.send_frame(driver_frame("scheduler_event", payload))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.link.close()


class MasterDriver:
    """The transport's `driver` handler on the master (io/wire/transport.py)."""

    def __init__(self, daemon: MasterDaemon) -> None:
        self.d = daemon

    def claims(self, sender: str) -> bool:
        return sender.startswith(SCHEDULER_PREFIX)

    # ------------------------------------------------------------------ frames
    def frame(self, link: Link, msg: Any) -> None:
        if type(msg) is not DriverFrame or msg.kind != "scheduler_call":
            kind = msg.kind if type(msg) is DriverFrame else type(msg).__name__
            raise CodecError(f"a framework connection carries scheduler calls, not {kind}")
        call_pb = scheduler_pb2.Call()
        try:
            call_pb.ParseFromString(msg.payload)
        except DecodeError as e:
            raise CodecError(f"corrupt scheduler call: {e}") from None
        d = self.d
        if not d.leading or not d.recovered:
            leader = d.leader_info
            if leader is not None and not d.leading:
                link.send_frame(driver_error_frame(307, leader.pid, _type_name(call_pb)))
            else:
                link.send_frame(driver_error_frame(503, "No leader elected" if not d.leading
                                                   else "Master has not finished recovery"))
            link.close()
            return
        try:
            framework_id, call = codec_scheduler.decode_call(call_pb)
        except WireError as e:
            self._refused(link, e.status, e.message, _type_name(call_pb), close=link.attached is None)
            return
        stream: DriverStream | None = link.attached
        d.metrics_inc("master/event_queue_driver_calls_total")
        if isinstance(call, CallSubscribe) and stream is None:

            def make_subscribe(rid: str) -> SchedulerCall:
                d.request_formats[rid] = PROTOBUF
                return SchedulerCall(request=rid, stream_id=None, framework_id=framework_id, call=call,
                                     principal=link.principal)

            d.loop.request_nowait(make_subscribe, lambda r: self._subscribed(link, r))
            return
        # None: the machine refuses (no stream id); a SUBSCRIBE on a subscribed connection
        # carries the connection's stream id, which the machine refuses too (400, as a
        # SUBSCRIBE with a Mesos-Stream-Id header over HTTP)
        sid = stream.stream_id if stream is not None else None
        d.loop.request_nowait(
            lambda rid: SchedulerCall(request=rid, stream_id=sid, framework_id=framework_id, call=call,
                                      principal=link.principal),
            lambda r: self._answered(link, r, call))

    def closed(self, link: Link) -> None:
        """The connection is gone: the same input as an HTTP stream closing."""
        stream: DriverStream | None = link.attached
        if stream is None:
            return
        d = self.d
        stream.closed = True
        d.operator_feed.stream_framework.pop(stream.stream_id, None)
        if d.streams.get(stream.stream_id) is stream:
            del d.streams[stream.stream_id]
            d.stream_formats.pop(stream.stream_id, None)
            d.loop.submit(Disconnected(peer=stream.stream_id))

    # ------------------------------------------------------------------ answers (in the loop)
    def _subscribed(self, link: Link, resp: Respond) -> None:
        d = self.d
        if resp.stream_id is None or resp.status != 200:
            self._refused(link, resp.status, resp.message or "", "SUBSCRIBE", close=True)
            return
        sid = resp.stream_id
        stream = DriverStream(link, sid)
        queued = d.streams.get(sid)  # the EventStream MasterDaemon._respond opened
        d.new_streams.pop(sid, None)
        d.streams[sid] = stream
        d.stream_formats[sid] = PROTOBUF
        link.attached = stream
        if queued is not None:  # events sent before we took over (none today: Respond first)
            reader = RecordIOReader()
            while True:
                try:
                    rec = queued._recv.receive_nowait()
                except Exception:  # noqa: BLE001 - WouldBlock or closed: nothing more queued
                    break
                if rec is None:
                    break
                for payload in reader.feed(rec):
                    stream.push(payload)
        if link.closed:  # gone while the master was answering
            self.closed(link)

    def _answered(self, link: Link, resp: Respond, call: Any) -> None:
        if resp.status >= 300:
            self._refused(link, resp.status, resp.message or "", type(call).__name__)

    def _refused(self, link: Link, status: int, message: str, call_type: str, *, close: bool = False) -> None:
        self.d.log.info("driver.call_refused", peer=link.peer, status=status, call=call_type, reason=message)
        link.send_frame(driver_error_frame(status, message, call_type))
        if close:
            link.close()


def _type_name(call_pb: scheduler_pb2.Call) -> str:
    try:
        return scheduler_pb2.Call.Type.Name(call_pb.type)
    except ValueError:
        return str(call_pb.type)


__all__ = ["SCHEDULER_PREFIX", "DriverStream", "MasterDriver"]
