"""The master's HTTP API (ASGI): v1 scheduler and operator APIs, state, metrics, health.

The shell only decodes: content type, body parsing and Mesos's structural call validation
(spec/codec_scheduler.py) answer 4xx here; every protocol decision (unknown framework,
stream ids, subscription, ...) is the master machine's `Respond`.

Routes (with the `/master` prefix optional, as libprocess delegates):
  POST /api/v1/scheduler   v1 scheduler API (JSON/protobuf, RecordIO stream on SUBSCRIBE)
  POST /api/v1             v1 operator API (GET_HEALTH/VERSION/STATE/AGENTS/FRAMEWORKS/
                           EXECUTORS/TASKS/MASTER, SUBSCRIBE)
  GET  /health, /version, /state (/state.json), /metrics/snapshot, /redirect, /flags,
       /frameworks, /slaves, /tasks, /state-summary, /internal/endpoint
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import trio
from mesotron.core.effects import Disconnected
from mesotron.core.messages import CallSubscribe, SchedulerCall
from mesotron.io.http import metrics, ui
from mesotron.io.http import operator as operator_api
from mesotron.io.http import why as why_api
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
from mesotron.io.http.auth import FORBIDDEN_BODY, may, principal_of, viewer
from mesotron.io.http.limits import peer_of, streams_message
from mesotron.spec import codec_scheduler, scheduler_pb2
from mesotron.spec.wire import JSON, WireError, decode, request_format, response_format

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.io.daemons.master import MasterDaemon

MESOS_COMPAT_VERSION = "1.11.0"


def _strip(path: str) -> str:
    if path.startswith("/master/") or path == "/master":
        path = path[len("/master"):] or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


class MasterApp:
    def __init__(self, daemon: MasterDaemon) -> None:
        self.d = daemon

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        self.d.metrics_inc("master/event_queue_http_requests_total")
        try:
            await self.route(req, send)
        except BodyTooLarge:
            await respond(send, 413, "Request body too large")

    async def route(self, req: Request, send: Any) -> None:
        path = _strip(req.path)
        if path == "/api/v1/scheduler":
            return await self.scheduler(req, send)
        if path == "/api/v1":
            return await self.operator(req, send)
        if path in ("/roles", "/roles.json", "/weights", "/quota", "/teardown", "/reserve",
                    "/unreserve") or path.startswith("/quota/"):
            if not self.d.leading:
                return await self.not_leading(req, send)
            return await self.endpoint_json(req, send, path.removesuffix(".json"))
        if req.method not in ("GET", "HEAD") and path in ("/health", "/version", "/state", "/state.json", "/metrics/snapshot", "/metrics", "/why",
                "/redirect", "/flags", "/frameworks", "/slaves", "/tasks", "/state-summary"):
            return await respond(send, 405, f"Expecting 'GET', received '{req.method}'")
        d = viewer(self.d, principal_of(req.scope))  # state filtered by the ACLs (io/http/auth.py)
        jsonp = req.arg("jsonp")
        if path == "/health":
            return await respond(send, 200 if d.alive else 503)
        if path == "/version":
            return await respond_json(send, version_json())
        if path in ("/state", "/state.json"):
            return await respond_json(send, d.state_json(), jsonp=jsonp)
        if path == "/state-summary":
            return await respond_json(send, d.state_summary(), jsonp=jsonp)
        if path == "/frameworks":
            s = d.state_json()
            return await respond_json(send, {k: s.get(k, []) for k in (
                "frameworks", "completed_frameworks", "unregistered_frameworks")}, jsonp=jsonp)
        if path == "/slaves":
            s = d.state_json()
            return await respond_json(send, {"slaves": s.get("slaves", []),
                                             "recovered_slaves": s.get("recovered_slaves", [])}, jsonp=jsonp)
        if path == "/tasks":
            s = d.state_json()
            tasks = [t for f in s.get("frameworks", []) for t in f.get("tasks", []) + f.get("completed_tasks", [])]
            return await respond_json(send, {"tasks": tasks}, jsonp=jsonp)
        if path == "/metrics/snapshot":
            if not may(d, "get_endpoints", principal_of(req.scope), "/metrics/snapshot"):
                return await respond(send, 403, FORBIDDEN_BODY)
            return await respond_json(send, d.metrics_snapshot())
        if path == "/metrics":  # Prometheus (io/http/metrics.py)
            return await respond(send, 200, d.prom.render(), metrics.CONTENT_TYPE)
        if path == "/why":  # why a framework is not offered (io/http/why.py)
            return await why_api.serve(d, req, send)
        if path == "/flags":
            if not may(d, "view_flags", principal_of(req.scope)):
                return await respond(send, 403, FORBIDDEN_BODY)
            return await respond_json(send, {"flags": d.flags})
        if path == "/redirect":
            mi = d.master_info if d.leading else d.leader_info
            if mi is None:
                return await respond(send, 503, "No leader elected")
            return await respond(send, 307, headers=[("Location", f"//{mi.hostname}:{mi.port}")])
        if path == "/internal/endpoint":
            return await respond_json(send, {"pid": d.pid, "ip": d.advertised_ip, "port": d.internal_port})
        if ui.handles(path):  # the web UI (io/http/ui.py)
            return await ui.route(d, req, send, path)
        await respond(send, 404, "Not found")

    # ------------------------------------------------------------------ scheduler API
    async def not_leading(self, req: Request, send: Any) -> None:
        """MESOS-V1-API.md §2 step 1: 307 to the leader (protocol-relative Location with the
        rewritten path), or 503 when no leader is known."""
        leader = self.d.leader_info
        if leader is None:
            return await respond(send, 503, "No leader elected")
        path = req.path if req.path.startswith("/master/") else "/master" + req.path
        query = req.scope.get("query_string", b"").decode("latin-1")
        location = f"//{leader.hostname}:{leader.port}{path}" + (f"?{query}" if query else "")
        await respond(send, 307, headers=[("Location", location)])

    async def scheduler(self, req: Request, send: Any) -> None:
        d = self.d
        if not d.leading:
            return await self.not_leading(req, send)
        if not d.recovered:
            return await respond(send, 503, "Master has not finished recovery")
        if req.method != "POST":
            return await respond(send, 405, f"Expecting 'POST', received '{req.method}'")
        body = await req.read_body()
        try:
            fmt = request_format(req.headers.get("content-type"))
            call_pb = decode(body, fmt, scheduler_pb2.Call)
            framework_id, call = codec_scheduler.decode_call(call_pb)
        except WireError as e:
            return await respond(send, e.status, e.message)
        accept = response_format(req.headers.get("accept"), default=fmt)
        if accept is None:
            return await respond(send, 406, "Expecting 'Accept' to allow application/json or application/x-protobuf")
        stream_id = req.headers.get("mesos-stream-id")
        # --max-streams-per-peer (io/http/limits.py): refused before the machine sees it
        peer = peer_of(req.scope) if isinstance(call, CallSubscribe) else None
        if peer is not None and not d.stream_limit.acquire(peer):
            return await respond(send, 503, streams_message(peer, d.stream_limit.limit))
        try:
            await self.scheduler_call(req, send, call, framework_id, stream_id, accept)
        finally:
            if peer is not None:
                d.stream_limit.release(peer)

    async def direct(self, path: str, headers: Any, body: bytes, principal: str | None = None
                     ) -> tuple[int, str, bytes] | None:
        """The server's direct path (io/http/server._direct) for a scheduler call other than
        SUBSCRIBE that decodes: the same steps as `scheduler` + `scheduler_call`, answered
        as (status, content type, body). None, before anything is done, for every other
        request (the ASGI path answers it: a refusal, a stream)."""
        if _strip(path) != "/api/v1/scheduler":
            return None
        d = self.d
        if not d.leading or not d.recovered:
            return None
        content_type, accept_h, stream_id = header_values(
            headers, b"content-type", b"accept", b"mesos-stream-id")
        try:
            fmt = request_format(content_type)
            framework_id, call = codec_scheduler.decode_call(decode(body, fmt, scheduler_pb2.Call))
        except WireError:
            return None
        accept = response_format(accept_h, default=fmt)
        if accept is None or isinstance(call, CallSubscribe):
            return None
        d.metrics_inc("master/event_queue_http_requests_total")
        resp = await self._request(call, framework_id, stream_id, accept, principal)
        if resp.body is not None:
            return resp.status, "application/json", json.dumps(resp.body, separators=(",", ":")).encode()
        return resp.status, TEXT, resp.message.encode() if resp.status >= 300 and resp.message else b""

    async def _request(self, call: Any, framework_id: Any, stream_id: str | None, accept: str,
                       principal: str | None) -> Any:
        d = self.d

        def make(rid: str) -> SchedulerCall:
            d.request_formats[rid] = accept
            return SchedulerCall(request=rid, stream_id=stream_id, framework_id=framework_id,
                                 call=call, principal=principal)

        return await d.loop.request_here(make)

    async def scheduler_call(self, req: Request, send: Any, call: Any, framework_id: Any,
                             stream_id: str | None, accept: str) -> None:
        d = self.d
        resp = await self._request(call, framework_id, stream_id, accept, principal_of(req.scope))
        if resp.stream_id is not None and resp.status == 200:
            stream = d.new_streams.pop(resp.stream_id, None) or d.streams.get(resp.stream_id)
            if stream is None:  # pragma: no cover - _respond always books it
                stream = EventStream()
                stream.close()
            try:
                await stream.serve(req.receive, send, [
                    ("Content-Type", accept), ("Mesos-Stream-Id", resp.stream_id),
                    ("Cache-Control", "no-cache")])
            finally:
                d.operator_feed.stream_framework.pop(resp.stream_id, None)
                if d.streams.get(resp.stream_id) is stream:
                    del d.streams[resp.stream_id]
                    d.loop.submit(Disconnected(peer=resp.stream_id))
            return
        body_out = resp.message
        if resp.body is not None:
            return await respond_json(send, resp.body, status=resp.status)
        await respond(send, resp.status, body_out if resp.status >= 300 else "")

    # ------------------------------------------------------------------ operator API
    async def operator(self, req: Request, send: Any) -> None:
        d = self.d
        if not d.leading:
            return await self.not_leading(req, send)
        if req.method != "POST":
            return await respond(send, 405, f"Expecting 'POST', received '{req.method}'")
        body = await req.read_body()
        try:
            fmt = request_format(req.headers.get("content-type"))
            call = decode(body, fmt, operator_api.mpb.Call)
        except WireError as e:
            return await respond(send, e.status, e.message)
        accept = response_format(req.headers.get("accept"), default=fmt) or JSON
        try:
            result = operator_api.handle(viewer(d, principal_of(req.scope)), call)
        except WireError as e:
            return await respond(send, e.status, e.message)
        if result is operator_api.SUBSCRIBE:
            peer = peer_of(req.scope)
            if not d.stream_limit.acquire(peer):  # --max-streams-per-peer (io/http/limits.py)
                return await respond(send, 503, streams_message(peer, d.stream_limit.limit))
            try:
                return await self.operator_stream(req, send, accept)
            finally:
                d.stream_limit.release(peer)
        if isinstance(result, operator_api.MachineCall):
            return await self.machine_call(result.call, send, principal_of(req.scope))
        if result is None:
            return await respond(send, 202)
        if result is operator_api.common.OK:
            return await respond(send, 200)
        await respond(send, 200, operator_api.encode_response(result, accept), accept)

    async def operator_stream(self, req: Request, send: Any, accept: str) -> None:
        """Operator SUBSCRIBE: the snapshot, then the events the principal may see."""
        d = self.d
        stream = EventStream()
        d.operator_streams.add((stream, accept))
        d.operator_principals[stream] = principal_of(req.scope)  # later events filtered too
        stream.push(operator_api.encode_event(operator_api.subscribed_event(
            viewer(d, principal_of(req.scope))), accept))  # its snapshot filtered by the ACLs
        try:
            await stream.serve(req.receive, send, [("Content-Type", accept)])
        finally:
            d.operator_streams.discard((stream, accept))
            d.operator_principals.pop(stream, None)

    async def machine_call(self, call: Any, send: Any, principal: str | None) -> None:
        """An operator write: the master machine decides and answers (core/master/operator.py),
        --acls included (403 when the caller's principal may not)."""
        from mesotron.core.master.operator import OperatorCall

        resp = await self.d.loop.request(
            lambda rid: OperatorCall(request=rid, call=call, principal=principal))
        await respond(send, resp.status, resp.message if resp.status >= 300 else "")

    async def endpoint_json(self, req: Request, send: Any, path: str) -> None:
        """/master/roles, /master/weights, /master/quota (GET: JSON, Mesos's shapes) and the
        writes /master/weights (PUT), /master/quota (POST/DELETE), /master/teardown (POST)."""
        from mesotron.core.master import operator as op
        from mesotron.spec.wire import to_dict

        principal = principal_of(req.scope)
        if req.method in ("GET", "HEAD"):
            d = viewer(self.d, principal)  # roles/weights by view_roles, quota by get_quotas
            if path == "/roles":
                return await respond_json(send, to_dict(operator_api.get_roles(d, d.state_json())))
            if path == "/weights":
                return await respond_json(send, to_dict(operator_api.get_weights(d)).get("weight_infos", []))
            if path == "/quota":
                return await respond_json(send, to_dict(operator_api.get_quota(d).status))
            return await respond(send, 405, f"Expecting 'POST', received '{req.method}'")
        body = await req.read_body()
        form = _form(body)
        try:
            if path == "/teardown" and req.method == "POST":
                fid = form.get("frameworkId") or ""
                if not fid:
                    return await respond(send, 400, "Missing 'frameworkId' query parameter in the request body")
                return await self.machine_call(op.Teardown(framework_id=fid), send, principal)
            if path == "/weights" and req.method == "PUT":
                items = json.loads(body or b"[]")
                if not isinstance(items, list):
                    raise ValueError("expecting a JSON array of WeightInfo")
                return await self.machine_call(op.UpdateWeights(weights=tuple(
                    (str(w["role"]), float(w["weight"])) for w in items)), send, principal)
            if path == "/quota" and req.method == "POST":
                q = json.loads(body or b"{}")
                sc = tuple(sorted((str(r["name"]), float(r["scalar"]["value"])) for r in q.get("guarantee", [])))
                return await self.machine_call(op.UpdateQuota(force=bool(q.get("force", False)), configs=(
                    op.QuotaConfig(role=str(q.get("role", "")), guarantees=sc, limits=sc),)), send, principal)
            if path in ("/reserve", "/unreserve") and req.method == "POST":
                from mesotron.core.resources import Resources

                res = Resources.from_json(json.loads(form.get("resources") or "[]"))
                return await self.machine_call(op.ReserveResources(
                    agent_id=form.get("slaveId") or "", resources=res,
                    reserve=path == "/reserve"), send, principal)
            if path.startswith("/quota/") and req.method == "DELETE":
                return await self.machine_call(op.UpdateQuota(force=True, configs=(
                    op.QuotaConfig(role=path[len("/quota/"):]),)), send, principal)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return await respond(send, 400, f"Failed to parse the request: {e}")
        return await respond(send, 405, f"Method '{req.method}' not allowed on /master{path}")


def _form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def version_json() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "version": MESOS_COMPAT_VERSION,
        "build_date": "2026-01-01 00:00:00",
        "build_time": 1767225600.0,
        "build_user": "mesotron",
        "mesotron_version": version("mesotron"),
    }


async def heartbeat_operator_streams(daemon: MasterDaemon, interval: float = 15.0) -> None:
    while True:
        await trio.sleep(interval)
        for stream, fmt in list(daemon.operator_streams):
            stream.push(operator_api.encode_event(operator_api.heartbeat_event(), fmt))


__all__ = ["MasterApp", "heartbeat_operator_streams", "time", "version_json"]
