"""The agent's HTTP API (ASGI): the v1 executor API, state, metrics, sandbox files.

  POST /api/v1/executor     v1 executor API (also under /slave(1)/...)
  GET  /state (/state.json), /health, /flags, /version, /metrics/snapshot,
       /monitor/statistics, /files/browse|read|download (sandboxes only)

The shell decodes and validates the call's structure (spec/codec_executor.py); the agent
machine decides the rest (unknown executor 400, not subscribed 403) through `Reject`."""

from __future__ import annotations

import itertools
import json
import mimetypes
import os
import stat
from typing import TYPE_CHECKING, Any

import trio
from mesotron.core.effects import Disconnected, Received, Reject
from mesotron.core.messages import ExecutorSubscribe
from mesotron.io.http import metrics
from mesotron.io.http.asgi import (
    TEXT,
    BodyTooLarge,
    EventStream,
    Request,
    header_values,
    lifespan,
    respond,
    respond_json,
)
from mesotron.io.http.auth import FORBIDDEN_BODY, may, principal_of, sandbox_user, viewer
from mesotron.io.http.master import version_json
from mesotron.spec import codec_executor, executor_pb2
from mesotron.spec.wire import WireError, decode, request_format, response_format

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.io.daemons.agent import AgentDaemon

_stream_ids = itertools.count(1)
FILE_CHUNK = 64 * 1024


def _strip(path: str) -> str:
    for prefix in ("/slave(1)", "/agent"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix):]
            break
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


# the agent endpoints Mesos authorizes with the get_endpoints ACL (object: the path)
GET_ENDPOINTS = frozenset({"/metrics/snapshot", "/monitor/statistics", "/containers",
                           "/containerizer/debug"})

class AgentApp:
    def __init__(self, daemon: AgentDaemon) -> None:
        self.d = daemon

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        try:
            await self.route(req, send)
        except BodyTooLarge:
            await respond(send, 413, "Request body too large")

    async def route(self, req: Request, send: Any) -> None:
        path = _strip(req.path)
        if path == "/api/v1/executor":
            return await self.executor(req, send)
        if path == "/api/v1":
            return await agent_operator_http(self.d, req, send)
        d = viewer(self.d, principal_of(req.scope))  # state filtered by the ACLs (io/http/auth.py)
        if req.method not in ("GET", "HEAD") and path != "/api/v1":
            return await respond(send, 405, f"Expecting 'GET', received '{req.method}'")
        jsonp = req.arg("jsonp")
        endpoint = path.removesuffix(".json")
        if endpoint in GET_ENDPOINTS and not may(d, "get_endpoints", principal_of(req.scope), endpoint):
            return await respond(send, 403, FORBIDDEN_BODY)  # --acls get_endpoints (Mesos)
        if path == "/health":
            return await respond(send, 200)
        if path == "/version":
            return await respond_json(send, version_json())
        if path in ("/state", "/state.json"):
            return await respond_json(send, d.state_json(), jsonp=jsonp)
        if path == "/flags":
            if not may(d, "view_flags", principal_of(req.scope)):
                return await respond(send, 403, FORBIDDEN_BODY)
            return await respond_json(send, {"flags": d.flags})
        if path == "/metrics/snapshot":
            return await respond_json(send, d.metrics_snapshot())
        if path == "/metrics":  # Prometheus (io/http/metrics.py)
            return await respond(send, 200, d.prom.render(), metrics.CONTENT_TYPE)
        if path == "/monitor/statistics" or path == "/monitor/statistics.json":
            return await respond_json(send, d.statistics())
        if path in ("/files/browse", "/files/read", "/files/download",
                    "/files/browse.json", "/files/read.json"):
            return await self.files(req, send, path.removesuffix(".json"))
        if path == "/":
            return await respond(send, 200, f"mesotron agent {d.pid}\n")
        await respond(send, 404, "Not found")

    # ------------------------------------------------------------------ executor API
    async def direct(self, path: str, headers: Any, body: bytes, principal: str | None = None
                     ) -> tuple[int, str, bytes] | None:
        """The server's direct path (io/http/server._direct) for an executor call other than
        SUBSCRIBE that decodes: the same steps as `executor`, answered as (status, content
        type, body). None, before anything is done, for every other request (the ASGI path
        answers it: a refusal, a stream)."""
        if _strip(path) != "/api/v1/executor":
            return None
        d = self.d
        if not d.ready:
            return None
        content_type, accept = header_values(headers, b"content-type", b"accept")
        try:
            fmt = request_format(content_type)
            msg = codec_executor.decode_call(decode(body, fmt, executor_pb2.Call))
        except WireError:
            return None
        if response_format(accept, default=fmt) is None or isinstance(msg, ExecutorSubscribe):
            return None
        if msg == codec_executor.HEARTBEAT:
            return 202, TEXT, b""
        return await self._call(msg)

    async def _call(self, msg: Any) -> tuple[int, str, bytes]:
        d = self.d
        key = (msg.framework_id, msg.executor_id)
        sender = d.exec_streams.get(key, f"executor-unsubscribed({msg.framework_id}/{msg.executor_id})")
        effects = await d.loop.call_here(Received(sender=sender, message=msg))
        rej = _rejection(effects, sender)
        if rej is not None:
            return rej.status, TEXT, rej.message.encode()
        return 202, TEXT, b""

    async def executor(self, req: Request, send: Any) -> None:
        d = self.d
        if not d.ready:
            return await respond(send, 503, "Agent has not finished recovery")
        if req.method != "POST":
            return await respond(send, 405, f"Expecting 'POST', received '{req.method}'")
        body = await req.read_body()
        try:
            fmt = request_format(req.headers.get("content-type"))
            msg = codec_executor.decode_call(decode(body, fmt, executor_pb2.Call))
        except WireError as e:
            return await respond(send, e.status, e.message)
        accept = response_format(req.headers.get("accept"), default=fmt)
        if accept is None:
            return await respond(send, 406, "Expecting 'Accept' to allow JSON or protobuf")
        if msg == codec_executor.HEARTBEAT:
            return await respond(send, 202)
        if isinstance(msg, ExecutorSubscribe):
            name = f"executor({next(_stream_ids)})@{d.pid}"
            stream = EventStream()
            d.streams[name] = stream
            d.stream_formats[name] = accept
            effects = await d.loop.call(Received(sender=name, message=msg))
            rej = _rejection(effects, name)
            if rej is not None:
                d.streams.pop(name, None)
                d.stream_formats.pop(name, None)
                return await respond(send, rej.status, rej.message)
            d.exec_streams[(msg.framework_id, msg.executor_id)] = name
            try:
                await stream.serve(req.receive, send, [("Content-Type", accept)])
            finally:
                if d.exec_streams.get((msg.framework_id, msg.executor_id)) == name:
                    del d.exec_streams[(msg.framework_id, msg.executor_id)]
                if d.streams.get(name) is stream:
                    del d.streams[name]
                    d.stream_formats.pop(name, None)
                    d.loop.submit(Disconnected(peer=name))
            return
        status, _, text = await self._call(msg)
        await respond(send, status, text)

    # ------------------------------------------------------------------ sandbox files
    async def files(self, req: Request, send: Any, path: str) -> None:
        raw = req.arg("path")
        if not raw:
            return await respond(send, 400, "Expecting 'path=value' in query")
        if raw == "/frameworks" or raw.startswith("/frameworks/"):
            # Mesos's virtual sandbox paths: /frameworks/F/executors/E/runs/latest
            from mesotron.io.http.agent_operator import files as attached
            from mesotron.io.http.operator_common import resolve

            real = resolve(attached(self.d), raw)
        else:
            real = self.d.resolve_sandbox_path(raw)
        if real is None or not os.path.exists(real):
            return await respond(send, 404, "File not found")
        if not may(self.d, "access_sandboxes", principal_of(req.scope), sandbox_user(self.d, real)):
            return await respond(send, 403, FORBIDDEN_BODY)
        if path == "/files/browse":
            if not os.path.isdir(real):
                return await respond(send, 404, "Cannot browse a file")
            out = []
            for name in sorted(os.listdir(real)):
                p = os.path.join(real, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                out.append({"path": os.path.join(raw.rstrip("/"), name), "nlink": st.st_nlink,
                            "size": st.st_size, "mtime": st.st_mtime,
                            "mode": stat.filemode(st.st_mode), "uid": str(st.st_uid),
                            "gid": str(st.st_gid)})
            return await respond_json(send, out)
        if os.path.isdir(real):
            return await respond(send, 400, "Cannot read a directory")
        size = os.path.getsize(real)
        if path == "/files/read":
            try:
                offset = int(req.arg("offset", "-1") or -1)
                length = int(req.arg("length", "-1") or -1)
            except ValueError:
                return await respond(send, 400, "Failed to parse offset/length")
            if offset < 0:
                return await respond_json(send, {"data": "", "offset": size})
            if length < 0:
                length = FILE_CHUNK * 16
            data = await trio.to_thread.run_sync(_read_range, real, offset, min(length, 16 * 1024 * 1024))
            return await respond_json(send, {"data": data.decode("utf-8", "replace"), "offset": offset})
        data = await trio.to_thread.run_sync(_read_range, real, 0, -1)
        ctype = mimetypes.guess_type(real)[0] or "application/octet-stream"
        await respond(send, 200, data, ctype, headers=[
            ("Content-Disposition", f'attachment; filename="{os.path.basename(real)}"')])


async def agent_operator_http(d: AgentDaemon, req: Request, send: Any) -> None:
    """POST /api/v1 on the agent: io/http/agent_operator.py answers."""
    from mesotron.io.http import agent_operator
    from mesotron.spec import agent_pb2
    from mesotron.spec.wire import JSON, encode

    if req.method != "POST":
        return await respond(send, 405, f"Expecting 'POST', received '{req.method}'")
    body = await req.read_body()
    try:
        fmt = request_format(req.headers.get("content-type"))
        call = decode(body, fmt, agent_pb2.Call)
        accept = response_format(req.headers.get("accept"), default=fmt) or JSON
        result = agent_operator.handle(viewer(d, principal_of(req.scope)), call)  # --acls views
    except WireError as e:
        return await respond(send, e.status, e.message + _unknown_type(body))
    if result is None:
        return await respond(send, 202)
    if result is agent_operator.common.OK:
        return await respond(send, 200)
    await respond(send, 200, encode(result, accept), accept)


def _unknown_type(body: bytes) -> str:
    """A JSON call whose `type` this agent does not know decodes without one: name it."""
    import json

    from mesotron.spec import agent_pb2

    try:
        t = json.loads(body).get("type")
    except (ValueError, AttributeError, RecursionError):
        return ""
    if isinstance(t, str) and t not in set(agent_pb2.Call.Type.keys()):
        return f" (unknown agent call type {t!r})"
    return ""


def _read_range(path: str, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def _rejection(effects: list[Any], sender: str) -> Reject | None:
    for e in effects:
        if isinstance(e, Reject) and e.sender == sender:
            return e
    return None


__all__ = ["AgentApp", "json"]
