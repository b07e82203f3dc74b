"""`GET /master/why?framework_id=ID`: why a framework is not offered resources (JSON).

The answer is decided in core (core/master/why.py over the allocator's explain mode,
core/allocator/why.py); this only reads the query and renders `Why.to_json()`.
`max_agents` bounds the per-agent list (default 50, the most telling reasons first). With
--acls, a framework the caller may not view (view_frameworks on its user) is answered as an
unknown one (404): its existence is not disclosed."""

from __future__ import annotations

import time
from typing import Any

from mesotron.core.master.why import why
from mesotron.io.http.asgi import Request, respond, respond_json


async def serve(daemon: Any, req: Request, send: Any) -> None:
    fid = req.arg("framework_id")
    if not fid:
        return await respond(send, 400, "Expecting 'framework_id=value' in query")
    try:
        max_agents = int(req.arg("max_agents", "50") or 50)
    except ValueError:
        return await respond(send, 400, "'max_agents' must be an integer")
    if max_agents < 0:
        return await respond(send, 400, "'max_agents' must be >= 0")
    from mesotron.io.http.auth import can

    user, _ = daemon.machine.users_of(fid)
    hidden = not can(daemon, "view_frameworks", user)
    answer = why(daemon.machine, time.time(), fid, hidden=hidden)
    status = 404 if answer.verdict == "unknown" else 200
    await respond_json(send, answer.to_json(max_agents=max_agents), status=status)
