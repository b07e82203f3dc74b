"""A Trio client of the v1 scheduler API (ours; used by `mesotron execute`, tests, benches).

    async with SchedulerClient.connect("127.0.0.1:5050", framework_info) as s:
        async for event in s.events():        # core Event* values
            ...
            await s.call(CallAccept(...))       # returns the HTTP status (202)

Events arrive decoded to core values (codec_scheduler). The stream id and framework id
from SUBSCRIBED are remembered and sent with every call. JSON on the wire by default.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio
from mesotron.core.messages import CallSubscribe, EventSubscribed
from mesotron.core.values import FrameworkInfo
from mesotron.io.flags import host_port
from mesotron.io.http_client import H11Client
from mesotron.spec import codec_scheduler, scheduler_pb2
from mesotron.spec.wire import JSON, PROTOBUF, RecordIOReader, decode, encode


class SubscribeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SchedulerClient:
    def __init__(self, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON) -> None:
        host, port = host_port(master, 5050)
        self.base = f"http://{host}:{port}"
        self.url = f"{self.base}/api/v1/scheduler"
        self.framework_info = framework_info
        self.fmt = fmt
        self.framework_id: str | None = framework_info.id
        self.stream_id: str | None = None
        self._send, self._recv = trio.open_memory_channel[Any](math.inf)
        self.client = H11Client(host, port)  # calls: one keep-alive connection (h11)
        self.subscribed = trio.Event()
        self.closed = trio.Event()

    @classmethod
    @asynccontextmanager
    async def connect(cls, master: str, framework_info: FrameworkInfo, *, fmt: str = JSON,
                      ) -> AsyncIterator[SchedulerClient]:
        self = cls(master, framework_info, fmt=fmt)
        async with trio.open_nursery() as nursery:
            await nursery.start(self._stream)
            try:
                yield self
            finally:
                nursery.cancel_scope.cancel()
                await self.client.aclose_connection()

    async def _stream(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        call = CallSubscribe(framework_info=self.framework_info)
        body = encode(codec_scheduler.encode_call(self.framework_id, call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt}
        reader = RecordIOReader()
        started = False
        try:
            async with httpx.AsyncClient(verify=False, trust_env=False, timeout=httpx.Timeout(None, connect=5.0)) as sc, \
                    sc.stream("POST", self.url, content=body, headers=headers) as r:
                if r.status_code != 200:
                    text = (await r.aread()).decode(errors="replace")
                    raise SubscribeError(r.status_code, text)
                self.stream_id = r.headers.get("mesos-stream-id")
                async with contextlib.aclosing(r.aiter_raw()) as chunks:
                    async for chunk in chunks:
                        for rec in reader.feed(chunk):
                            ev = codec_scheduler.decode_event(decode(rec, self.fmt, scheduler_pb2.Event))
                            if isinstance(ev, EventSubscribed):
                                self.framework_id = ev.framework_id
                                self.subscribed.set()
                            self._send.send_nowait(ev)
                            if not started:
                                started = True
                                task_status.started()
        finally:
            self.closed.set()
            self._send.close()

    def events(self) -> trio.MemoryReceiveChannel[Any]:
        """The decoded events, in order (an async iterable; ends when the stream ends)."""
        return self._recv

    async def next_event(self) -> Any:
        return await self._recv.receive()

    async def call(self, call: Any) -> int:
        body = encode(codec_scheduler.encode_call(self.framework_id, call), self.fmt)
        headers = {"Content-Type": self.fmt, "Accept": self.fmt}
        if self.stream_id:
            headers["Mesos-Stream-Id"] = self.stream_id
        with trio.fail_after(30):
            status, _ = await self.client.post("/api/v1/scheduler", body, headers)
        return status


__all__ = ["PROTOBUF", "SchedulerClient", "SubscribeError"]
