"""`mesotron top --master HOST:PORT|zk://...`: a live table (rich) of agents, frameworks and
tasks, kept up to date from the operator API's SUBSCRIBE stream (`POST /api/v1`, JSON
RecordIO): the SUBSCRIBED event's full state, then TASK_ADDED / TASK_UPDATED,
AGENT_ADDED / AGENT_REMOVED, FRAMEWORK_ADDED / FRAMEWORK_UPDATED / FRAMEWORK_REMOVED.
When the stream ends (master failover, network) it re-resolves the leader and subscribes
again. `--once` prints the table once after SUBSCRIBED and exits (scripts, tests)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx
from mesotron.io.cli.master_client import CliError, Http, add_master_flags
from mesotron.io.http import tls
from mesotron.spec.wire import RecordIOReader, WireError


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_master_flags(p)
    p.add_argument("--once", action="store_true", help="print the tables once and exit")
    p.add_argument("--tasks", type=int, default=30, help="task rows shown (default 30)")


def _scalars(resources: list[dict[str, Any]]) -> str:
    total: dict[str, float] = {}
    for r in resources or []:
        if r.get("type", "SCALAR") == "SCALAR" and "scalar" in r:
            total[r["name"]] = total.get(r["name"], 0.0) + float(r["scalar"].get("value", 0.0))
    return " ".join(f"{k}:{v:g}" for k, v in sorted(total.items())) or "-"


class TopModel:
    """The cluster as the operator event stream describes it."""

    def __init__(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}
        self.frameworks: dict[str, dict[str, Any]] = {}
        self.tasks: dict[tuple[str, str], dict[str, Any]] = {}
        self.events = 0
        self.subscribed = False

    def apply(self, ev: dict[str, Any]) -> None:
        self.events += 1
        t = ev.get("type")
        if t == "SUBSCRIBED":
            self.subscribed = True
            st = ev.get("subscribed", {}).get("get_state", {})
            self.agents = {}
            for a in st.get("get_agents", {}).get("agents", []):
                self._agent(a)
            self.frameworks = {}
            for key, done in (("frameworks", False), ("completed_frameworks", True)):
                for f in st.get("get_frameworks", {}).get(key, []):
                    self._framework(f, done)
            self.tasks = {}
            gt = st.get("get_tasks", {})
            for key in ("tasks", "unreachable_tasks", "completed_tasks"):
                for task in gt.get(key, []):
                    self._task(task)
        elif t == "TASK_ADDED":
            self._task(ev["task_added"]["task"])
        elif t == "TASK_UPDATED":
            u = ev["task_updated"]
            st = u.get("status", {})
            key = (u.get("framework_id", {}).get("value", ""), st.get("task_id", {}).get("value", ""))
            task = self.tasks.setdefault(key, {"id": key[1], "framework_id": key[0], "name": "",
                                               "agent_id": st.get("agent_id", {}).get("value", ""),
                                               "resources": "-"})
            task["state"] = u.get("state", st.get("state", ""))
            task["reason"] = st.get("reason", "")
            task["time"] = st.get("timestamp", 0.0)
        elif t == "AGENT_ADDED":
            self._agent(ev["agent_added"]["agent"])
        elif t == "AGENT_REMOVED":
            aid = ev["agent_removed"]["agent_id"]["value"]
            if aid in self.agents:
                self.agents[aid]["state"] = "removed"
        elif t in ("FRAMEWORK_ADDED", "FRAMEWORK_UPDATED"):
            self._framework(ev[t.lower()]["framework"], False)
        elif t == "FRAMEWORK_REMOVED":
            fid = ev["framework_removed"]["framework_info"]["id"]["value"]
            if fid in self.frameworks:
                self.frameworks[fid]["state"] = "removed"

    def _agent(self, a: dict[str, Any]) -> None:
        info = a.get("agent_info", {})
        aid = info.get("id", {}).get("value", "")
        self.agents[aid] = {
            "id": aid, "hostname": info.get("hostname", ""),
            "state": "deactivated" if a.get("deactivated") else "active" if a.get("active", True) else "inactive",
            "total": _scalars(a.get("total_resources", [])),
            "allocated": _scalars(a.get("allocated_resources", [])),
            "offered": _scalars(a.get("offered_resources", [])),
        }

    def _framework(self, f: dict[str, Any], done: bool) -> None:
        info = f.get("framework_info", {})
        fid = info.get("id", {}).get("value", "")
        self.frameworks[fid] = {
            "id": fid, "name": info.get("name", ""), "roles": ",".join(info.get("roles", [])) or
            info.get("role", "*"),
            "state": "completed" if done else "active" if f.get("active") else "inactive",
            "connected": bool(f.get("connected")),
        }

    def _task(self, t: dict[str, Any]) -> None:
        key = (t.get("framework_id", {}).get("value", ""), t.get("task_id", {}).get("value", ""))
        statuses = t.get("statuses", [])
        self.tasks[key] = {
            "id": key[1], "framework_id": key[0], "name": t.get("name", ""),
            "agent_id": t.get("agent_id", {}).get("value", ""), "state": t.get("state", ""),
            "resources": _scalars(t.get("resources", [])),
            "reason": statuses[-1].get("reason", "") if statuses else "",
            "time": statuses[-1].get("timestamp", 0.0) if statuses else 0.0,
        }


def render(model: TopModel, master: str, max_tasks: int) -> Any:
    from rich.console import Group
    from rich.table import Table

    states: dict[str, int] = {}
    for t in model.tasks.values():
        states[t["state"]] = states.get(t["state"], 0) + 1
    head = Table.grid(padding=(0, 2))
    head.add_row(f"[b]mesotron top[/b]  {master}", f"agents {sum(1 for a in model.agents.values() if a['state'] == 'active')}",
                 f"frameworks {sum(1 for f in model.frameworks.values() if f['state'] == 'active')}",
                 "tasks " + " ".join(f"{k.removeprefix('TASK_').lower()}:{v}" for k, v in sorted(states.items())),
                 f"events {model.events}")
    agents = Table(title="agents", expand=True)
    for c in ("id", "host", "state", "total", "allocated", "offered"):
        agents.add_column(c)
    for a in sorted(model.agents.values(), key=lambda x: x["id"]):
        agents.add_row(a["id"], a["hostname"], a["state"], a["total"], a["allocated"], a["offered"])
    fws = Table(title="frameworks", expand=True)
    for c in ("id", "name", "roles", "state", "tasks"):
        fws.add_column(c)
    per_fw: dict[str, int] = {}
    for (fid, _tid), t in model.tasks.items():
        if not t["state"].startswith(("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST",
                                      "TASK_ERROR", "TASK_DROPPED", "TASK_GONE")):
            per_fw[fid] = per_fw.get(fid, 0) + 1
    for f in sorted(model.frameworks.values(), key=lambda x: (x["state"] != "active", x["id"])):
        fws.add_row(f["id"], f["name"], f["roles"], f["state"], str(per_fw.get(f["id"], 0)))
    tasks = Table(title=f"tasks (latest {max_tasks})", expand=True)
    for c in ("id", "framework", "agent", "state", "reason", "resources"):
        tasks.add_column(c)
    latest = sorted(model.tasks.values(), key=lambda t: -float(t.get("time") or 0.0))[:max_tasks]
    for t in latest:
        tasks.add_row(t["id"], t["framework_id"], t["agent_id"], t["state"], t.get("reason") or "",
                      t["resources"])
    return Group(head, agents, fws, tasks)


def stream(base: str, model: TopModel, on_event: Any, http: Http | None = None) -> None:
    """Subscribe and apply events until the stream ends (returns) or fails (CliError).
    `http`: the TLS and credentials to use (plain HTTP, anonymous when None)."""
    http = http if http is not None else Http()
    try:
        with httpx.Client(timeout=httpx.Timeout(10.0, read=60.0), **http.kwargs()) as c, \
                c.stream("POST", f"{base}/api/v1", json={"type": "SUBSCRIBE"},
                         headers={"Accept": "application/json"}) as r:
            if r.status_code in (401, 403):
                http.check(r, "SUBSCRIBE")
            if r.status_code != 200:
                raise CliError(f"SUBSCRIBE: {r.status_code} {r.read().decode(errors='replace')[:200]}")
            reader = RecordIOReader()
            for chunk in r.iter_bytes():
                for rec in reader.feed(chunk):
                    model.apply(json.loads(rec))
                    if on_event():
                        return
    except (httpx.HTTPError, WireError, ValueError, KeyError) as e:
        raise CliError(f"operator stream: {e or type(e).__name__}") from None


def _refresher(live: Any, model: TopModel, base: str, max_tasks: int) -> Any:
    """An on_event callback redrawing the table at most 5 times a second."""
    last = [0.0]

    def update() -> bool:
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            live.update(render(model, base, max_tasks))
        return False

    return update


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.live import Live

    console = Console()
    model = TopModel()
    try:
        http = Http.from_args(args)
    except tls.TlsError as e:
        print(f"mesotron top: {e}", file=sys.stderr)
        return 2
    try:
        if args.once:
            base = http.resolve(args.master)
            stream(base, model, lambda: model.subscribed, http)
            console.print(render(model, base, args.tasks))
            return 0
        with Live(console=console, refresh_per_second=4, screen=False) as live:
            while True:
                try:
                    base = http.resolve(args.master)
                    stream(base, model, _refresher(live, model, base, args.tasks), http)
                except CliError as e:
                    if " 401 " in str(e) or " 403 " in str(e):
                        raise  # retrying cannot help
                    live.console.print(f"[yellow]{e}; reconnecting[/yellow]")
                time.sleep(1.0)
    except CliError as e:
        print(f"mesotron top: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        http.close()
