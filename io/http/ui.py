"""The master's web UI: static files at `/` and a few JSON/SSE endpoints under `/master/ui/`.

  GET /                          index.html (one page; hash routes for the pages)
  GET /static/<file>             app.js, app.css (shipped in the package: io/http/static/)
  GET /master/ui/snapshot        the cluster as the UI shows it (JSON)
  GET /master/ui/events          server-sent events: a `snapshot` event whenever the master
                                 took an input since the last one (checked every 0.25 s),
                                 a comment line every 15 s to keep proxies from closing it
  GET /master/ui/drf             dominant shares over time (frameworks and roles), sampled
                                 once a second by `sample_shares` while the master leads
  GET /master/ui/sandbox?framework_id=&task_id=   the task's agent and sandbox directory
  GET /master/ui/files/browse|read?agent_id=&path=[&offset&length]
                                 the agent's /files API, relayed (the page then needs no
                                 cross-origin access to every agent)

No build step and no front-end library: plain ES2020 and SVG written by hand, nothing
fetched from the internet. Everything here only READS the master's books (queries of the
machine, `state_json`); it decides nothing.
"""

from __future__ import annotations

import collections
import json
import os
import time
from typing import Any

import trio
from mesotron.core.agent.isolation import task_sandbox_name
from mesotron.io.http.asgi import Request, respond, respond_json

STATIC = "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
MAX_COMPLETED_TASKS = 200  # per snapshot (newest first)
HISTORY = 900  # DRF samples kept (15 minutes at one a second)
SSE_TICK = 0.25
SSE_KEEPALIVE = 15.0


def _static(name: str) -> bytes | None:
    if "/" in name or name.startswith(".") or not name:
        return None
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), STATIC, name), "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def handles(path: str) -> bool:
    return path == "/" or path.startswith(("/static/", "/ui/"))


async def route(d: Any, req: Request, send: Any, path: str) -> None:
    """`path` without the /master prefix."""
    if req.method not in ("GET", "HEAD"):
        return await respond(send, 405, f"Expecting 'GET', received '{req.method}'")
    if path == "/":
        return await _file(send, "index.html")
    if path.startswith("/static/"):
        return await _file(send, path[len("/static/"):])
    if path == "/ui/snapshot":
        return await respond_json(send, snapshot(d))
    if path == "/ui/events":
        return await events(d, req, send)
    if path == "/ui/drf":
        return await respond_json(send, drf_history(d))
    if path == "/ui/sandbox":
        return await sandbox(d, req, send)
    if path in ("/ui/files/browse", "/ui/files/read"):
        return await files(d, req, send, path.rsplit("/", 1)[1])
    await respond(send, 404, "Not found")


async def _file(send: Any, name: str) -> None:
    data = _static(name)
    if data is None:
        return await respond(send, 404, "Not found")
    ctype = _TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
    await respond(send, 200, data, ctype, headers=[("Cache-Control", "no-cache")])


# ------------------------------------------------------------------ the snapshot
def _res(r: Any) -> dict[str, float]:
    return {k: v for k, v in r.scalars().items()} if r else {}


def snapshot(d: Any) -> dict[str, Any]:
    m = d.machine
    now = time.time()
    s = d.state_json()
    leading = bool(d.leading)
    slaves = s.get("slaves", [])
    totals: dict[str, dict[str, float]] = {}
    for a in slaves:
        for key, field in (("total", "resources"), ("used", "used_resources"),
                           ("offered", "offered_resources")):
            for name, v in a.get(field, {}).items():
                if isinstance(v, (int, float)):
                    totals.setdefault(name, {"total": 0.0, "used": 0.0, "offered": 0.0})
                    totals[name][key] += float(v)
    for v in totals.values():
        v["idle"] = max(0.0, v["total"] - v["used"] - v["offered"])
    agents = []
    running: collections.Counter[str] = collections.Counter()
    for fw in m._frameworks.values():
        for t in fw.tasks.values():
            if not t.state.is_terminal:
                running[t.agent_id] += 1
    for a in slaves:
        ma = m._agents.get(a["id"])
        state = "active" if a.get("active", True) else "deactivated"
        if ma is not None and not ma.connected:
            state = "disconnected"
        agents.append({
            "id": a["id"], "hostname": a.get("hostname"), "pid": a.get("pid"), "state": state,
            "resources": a.get("resources", {}), "used": a.get("used_resources", {}),
            "offered": a.get("offered_resources", {}), "attributes": a.get("attributes", {}),
            # reservations (role-annotated, e.g. cpus(ops):2): from the agent's total
            "reserved": str(ma.total.reserved()) if ma is not None and ma.total.reserved() else "",
            "registered_time": a.get("registered_time"),
            "tasks_running": running.get(a["id"], 0),
            "drain": a.get("drain_info") or a.get("drain_state"),  # issue 18 adds draining
        })
    for aid, since in sorted(m._unreachable.items()):
        agents.append({"id": aid, "state": "unreachable", "since": since, "tasks_running": 0})
    for aid, since in sorted(m._gone.items()):
        agents.append({"id": aid, "state": "gone", "since": since, "tasks_running": 0})
    for aid, info in sorted(m._recovered_agents.items()):
        agents.append({"id": aid, "hostname": info.hostname, "state": "recovered (not re-registered)",
                       "tasks_running": 0})
    filters: dict[str, list[dict[str, Any]]] = {}
    if leading:
        for fid, role, aid, res, exp in m.allocator.filters(now):
            filters.setdefault(fid, []).append({"agent_id": aid, "role": role, "until": exp,
                                                "resources": str(res)})
    frameworks = []
    tasks = []
    completed = []
    for fw_json, fw in _frameworks(s, m):
        roles = list(fw_json.get("roles", []))
        counts: collections.Counter[str] = collections.Counter()
        for t in fw_json.get("tasks", []) + fw_json.get("completed_tasks", []):
            counts[t.get("state", "")] += 1
        share = 0.0
        role_shares = {}
        if leading and fw is not None and fw.id in m.allocator._frameworks:
            share = m.allocator.dominant_share(fw.id)
            role_shares = {r: m.allocator.framework_role_share(fw.id, r) for r in roles}
        frameworks.append({
            "id": fw_json["id"], "name": fw_json.get("name"), "user": fw_json.get("user"),
            "roles": roles, "active": fw_json.get("active"), "connected": fw_json.get("connected"),
            "completed": fw is None or fw_json["id"] not in m._frameworks,
            "weights": {r: (m.allocator.weight(r) if leading else 1.0) for r in roles},
            "share": share, "role_shares": role_shares,
            "offers": len(fw_json.get("offers", [])),
            "suppressed_roles": list(fw.suppressed_roles) if fw is not None else [],
            "filters": filters.get(fw_json["id"], []),
            "used": fw_json.get("used_resources", {}), "offered": fw_json.get("offered_resources", {}),
            "registered_time": fw_json.get("registered_time"), "task_states": dict(counts),
        })
        if fw is not None:
            for t in fw.tasks.values():
                tasks.append(_task(t, fw_json))
            for t in fw.unreachable_tasks.values():
                tasks.append(_task(t, fw_json))
            for t in fw.completed_tasks.values():
                completed.append(_task(t, fw_json))
    completed.sort(key=lambda t: -(t["statuses"][-1]["timestamp"] if t["statuses"] else 0.0))
    hosts = {a["id"]: a.get("hostname") for a in agents}
    for t in tasks + completed:
        t["hostname"] = hosts.get(t["agent_id"])
    offers = [{"id": oid, "framework_id": o.framework_id, "agent_id": o.agent_id,
               "hostname": o.hostname, "role": o.role, "resources": _res(o.resources)}
              for oid, o in sorted(m._offers.items())]
    return {
        "time": now,
        "master": {"id": s.get("id"), "pid": s.get("pid"), "hostname": s.get("hostname"),
                   "leader": s.get("leader"), "elected": leading,
                   "elected_time": s.get("elected_time"), "start_time": s.get("start_time"),
                   "version": s.get("version"), "standbys": standbys(d)},
        "resources": totals,
        "counts": {"agents": sum(1 for a in agents if a["state"] == "active"),
                   "agents_total": len(agents),
                   "frameworks": sum(1 for f in frameworks if not f["completed"]),
                   "tasks_running": sum(1 for t in tasks if t["state"] == "TASK_RUNNING"),
                   "offers": len(offers)},
        "agents": agents, "frameworks": frameworks, "offers": offers,
        "tasks": tasks, "completed_tasks": completed[:MAX_COMPLETED_TASKS],
    }


def _frameworks(s: dict[str, Any], m: Any) -> list[tuple[dict[str, Any], Any]]:
    out = []
    for f in s.get("frameworks", []):
        out.append((f, m._frameworks.get(f["id"])))
    for f in s.get("completed_frameworks", []):
        out.append((f, m._completed_frameworks.get(f["id"])))
    return out


def _task(t: Any, fw_json: dict[str, Any]) -> dict[str, Any]:
    health = None
    for st in t.statuses:
        if st.healthy is not None:
            health = st.healthy
    return {
        "id": t.task_id, "name": t.info.name, "framework_id": t.framework_id,
        "framework_name": fw_json.get("name"), "agent_id": t.agent_id, "state": t.state.name,
        "resources": _res(t.resources), "role": t.role, "healthy": health,
        "statuses": [{"state": st.state.name, "timestamp": st.timestamp,
                      "reason": st.reason.name if st.reason is not None else None,
                      "source": st.source.name if st.source is not None else None,
                      "message": st.message} for st in t.statuses],
    }


def standbys(d: Any) -> list[str]:
    """The other masters contending in ZooKeeper (their pids), as last read by
    `read_members` (empty without ZooKeeper: a lone master has no standbys)."""
    leader = d.leader_info.pid if d.leader_info is not None else None
    return [p for p in getattr(d, "_ui_members", []) if p not in (d.pid, leader)]


async def read_members(d: Any) -> None:
    """The election group's members' pids (json.info_ nodes), for the overview page."""
    from mesotron.io.zk.election import parse_master_info, sequence_of

    zk, url = getattr(d, "zk", None), getattr(d, "zk_url", None)
    if zk is None or url is None:
        return
    try:
        pids = []
        for child in sorted(await zk.get_children(url.path), key=lambda c: sequence_of(c) or 0):
            if sequence_of(child) is None:
                continue
            data, _ = await zk.get(f"{url.path}/{child}")
            pids.append(parse_master_info(data).pid)
        d._ui_members = pids
    except Exception:  # noqa: BLE001 - the overview's standby list is best effort
        return


# ------------------------------------------------------------------ live updates
async def events(d: Any, req: Request, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no")]})
    async with trio.open_nursery() as nursery:

        async def watch_disconnect() -> None:
            while (await req.receive())["type"] != "http.disconnect":
                pass
            nursery.cancel_scope.cancel()

        nursery.start_soon(watch_disconnect)
        seen = -1
        quiet = 0.0
        try:
            while True:
                steps = d.loop.steps
                if steps != seen:
                    seen = steps
                    quiet = 0.0
                    data = json.dumps(snapshot(d), separators=(",", ":"))
                    await send({"type": "http.response.body", "more_body": True,
                                "body": f"event: snapshot\ndata: {data}\n\n".encode()})
                elif quiet >= SSE_KEEPALIVE:
                    quiet = 0.0
                    await send({"type": "http.response.body", "body": b": keep-alive\n\n",
                                "more_body": True})
                await trio.sleep(SSE_TICK)
                quiet += SSE_TICK
        except OSError:
            pass
        nursery.cancel_scope.cancel()


# ------------------------------------------------------------------ DRF over time
def _history(d: Any) -> collections.deque:
    h = getattr(d, "_ui_drf_history", None)
    if h is None:
        h = d._ui_drf_history = collections.deque(maxlen=HISTORY)
    return h


def record_shares(d: Any, now: float) -> None:
    m = d.machine
    if not d.leading:
        return
    al = m.allocator
    fws = {}
    for fid in al.framework_ids():
        name = m._frameworks[fid].info.name if fid in m._frameworks else fid
        fws[fid] = {"name": name, "share": al.dominant_share(fid)}
    roles = sorted({r for f in m._frameworks.values() for r in f.info.roles})
    sample = {"t": now, "frameworks": fws,
              "roles": {r: {"share": al.role_share(r), "weighted": al.weighted_role_share(r)}
                        for r in roles}}
    h = _history(d)
    if h and h[-1]["frameworks"] == fws and h[-1]["roles"] == sample["roles"] and \
            now - h[-1]["t"] < 10:
        return  # unchanged: one sample every 10 s keeps the time axis moving
    h.append(sample)


async def sample_shares(d: Any, interval: float = 1.0) -> None:
    """Record the dominant shares once a second (the DRF page's plot); every 5 s read the
    ZooKeeper election group (the overview's standbys)."""
    n = 0
    while True:
        record_shares(d, time.time())
        if n % 5 == 0:
            await read_members(d)
        n += 1
        await trio.sleep(interval)


def drf_history(d: Any) -> dict[str, Any]:
    record_shares(d, time.time())
    return {"samples": list(_history(d))}


# ------------------------------------------------------------------ sandboxes (relayed)
def _credentials(req: Request) -> dict[str, str]:
    """The caller's own Authorization header, passed on to the agent: the agent authenticates
    and authorizes the caller (access_sandboxes), not the master (a relay must not lend the
    caller the master's standing)."""
    auth = req.headers.get("authorization")
    return {"Authorization": auth} if auth else {}


async def sandbox(d: Any, req: Request, send: Any) -> None:
    import httpx  # here: the master's start-up need not pay for it
    from mesotron.io.cli import files as fl
    from mesotron.io.cli.master_client import CliError

    fid, tid = req.arg("framework_id"), req.arg("task_id")
    if not fid or not tid:
        return await respond(send, 400, "Expecting 'framework_id' and 'task_id' in query")
    s = d.state_json()
    try:
        _fid, task = fl.find_task(s, tid, fid)
        aid = task.get("slave_id", "")
        url = fl.agent_url(s, aid)
    except CliError as e:
        return await respond(send, 404, str(e))
    try:
        async with httpx.AsyncClient(timeout=5.0, headers=_credentials(req)) as client:
            r = await client.get(f"{url}/state")
            if r.status_code != 200:
                return await respond(send, 502, f"agent {aid}: /state answered {r.status_code}")
            directory = fl.sandbox_directory(r.json(), fid, tid)
            own = f"{directory}/tasks/{task_sandbox_name(tid)}"
            r2 = await client.get(f"{url}/files/browse", params={"path": own})
            if r2.status_code == 200:
                directory = own
    except CliError as e:
        return await respond(send, 404, str(e))
    except (httpx.HTTPError, ValueError) as e:
        return await respond(send, 502, f"agent {aid} unreachable: {e or type(e).__name__}")
    await respond_json(send, {"agent_id": aid, "directory": directory, "state": task.get("state")})


async def files(d: Any, req: Request, send: Any, op: str) -> None:
    import httpx
    from mesotron.io.cli import files as fl
    from mesotron.io.cli.master_client import CliError

    aid, path = req.arg("agent_id"), req.arg("path")
    if not aid or not path:
        return await respond(send, 400, "Expecting 'agent_id' and 'path' in query")
    try:
        url = fl.agent_url(d.state_json(), aid)
    except CliError as e:
        return await respond(send, 404, str(e))
    params: dict[str, str] = {"path": path}
    for k in ("offset", "length"):
        v = req.arg(k)
        if v is not None:
            try:
                params[k] = str(int(v))
            except ValueError:
                return await respond(send, 400, f"'{k}' must be an integer")
    try:
        async with httpx.AsyncClient(timeout=5.0, headers=_credentials(req)) as client:
            r = await client.get(f"{url}/files/{op}", params=params)
    except httpx.HTTPError as e:
        return await respond(send, 502, f"agent {aid} unreachable: {e or type(e).__name__}")
    ctype = r.headers.get("content-type", "application/json")
    await respond(send, r.status_code, r.content, ctype)

