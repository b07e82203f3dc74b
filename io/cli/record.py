"""Recording a real cluster for `mesotron plot` (`mesotron local --record FILE`, or
`mesotron record --master HOST:PORT FILE` against any running master).

The recorder polls the leading master's `/master/state` (every `--interval`, default 0.25 s)
and writes JSON lines in the record format of io/cli/plot.py:

- `shares`: each framework's dominant share of the cluster (its used + offered resources
  over the registered agents' totals, as the allocator counts them), each role's, and the
  number of active agents;
- `offer`: an offer id seen for the first time; when it disappears, `accept` if the
  framework has a new task on that agent by then, `decline` otherwise (inferred: the
  master's state does not say which call ended the offer); new tasks from an offer that
  came and went between two polls give an `accept` with no offer id;
- `update`: a task state the master holds that changed since the last poll (a state that
  lasted less than one poll interval is not seen);
- `leader`: the leading master's pid when it changes.

What a poll cannot see is said above; the simulator's record (`mesotron sim --plot`) is exact.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import httpx
import trio
from mesotron.io.cli.master_client import CliError, Http, add_master_flags
from mesotron.io.http import tls


class Recorder:
    """Turns successive `/master/state` documents into records (pure bookkeeping)."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.offers: dict[str, tuple[str, str, str]] = {}  # offer -> (framework, agent, name)
        self.tasks: dict[tuple[str, str], str] = {}  # (framework, task) -> state
        self.task_count: dict[tuple[str, str], int] = {}  # (framework, agent) -> tasks seen
        self.leader: str | None = None
        self.last_shares: Any = None

    def observe(self, now: float, state: dict[str, Any]) -> list[dict[str, Any]]:
        if self.t0 is None:
            self.t0 = now
        t = round(now - self.t0, 3)
        out: list[dict[str, Any]] = []

        def rec(kind: str, **f: Any) -> None:
            f["t"] = t
            f["kind"] = kind
            out.append(f)

        leader = state.get("leader") or None
        if leader != self.leader:
            self.leader = leader
            rec("leader", master=leader)
        totals: dict[str, float] = {}
        active = 0
        for a in state.get("slaves", []):
            if a.get("active", True):
                active += 1
            for k, v in (a.get("resources") or {}).items():
                if isinstance(v, (int, float)) and k in ("cpus", "mem", "disk", "gpus"):
                    totals[k] = totals.get(k, 0.0) + float(v)
        fw_shares: dict[str, float] = {}
        role_use: dict[str, dict[str, float]] = {}
        names: dict[str, str] = {}
        seen_offers: set[str] = set()
        counts: dict[tuple[str, str], int] = {}
        # a framework that tore down (execute exits) keeps its tasks in completed_frameworks
        for f in [*state.get("frameworks", []), *state.get("completed_frameworks", [])]:
            name = f.get("name") or f.get("id", "?")
            names[f.get("id", "")] = name
            res = f.get("resources") or {}
            fw_shares[name] = _dominant(res, totals)
            role = f.get("role", "*")
            ru = role_use.setdefault(role, {})
            for k, v in res.items():
                if isinstance(v, (int, float)):
                    ru[k] = ru.get(k, 0.0) + float(v)
            for o in f.get("offers", []):
                oid = o.get("id")
                seen_offers.add(oid)
                if oid not in self.offers:
                    self.offers[oid] = (f.get("id", ""), o.get("slave_id", ""), name)
                    rec("offer", framework=name, offer=oid, agent=o.get("slave_id"))
            for task in [*f.get("tasks", []), *f.get("completed_tasks", [])]:
                key = (name, task.get("id", ""))
                agent = task.get("slave_id", "")
                counts[(f.get("id", ""), agent)] = counts.get((f.get("id", ""), agent), 0) + 1
                st = task.get("state", "")
                if self.tasks.get(key) != st:
                    self.tasks[key] = st
                    rec("update", framework=name, task=key[1], state=st, agent=agent)
        explained: set[tuple[str, str]] = set()
        for oid in [o for o in self.offers if o not in seen_offers]:
            fid, agent, name = self.offers.pop(oid)
            new = counts.get((fid, agent), 0) - self.task_count.get((fid, agent), 0)
            if new > 0:
                explained.add((fid, agent))
            rec("accept" if new > 0 else "decline", framework=name, offers=[oid],
                tasks=max(new, 0))
        # tasks launched from offers that came and went between two polls
        for (fid, agent), n in sorted(counts.items()):
            new = n - self.task_count.get((fid, agent), 0)
            if new > 0 and (fid, agent) not in explained:
                rec("accept", framework=names.get(fid, fid), offers=[], tasks=new)
        self.task_count = counts
        shares = ({k: round(v, 6) for k, v in fw_shares.items()},
                  {r: round(_dominant(u, totals), 6) for r, u in role_use.items()}, active)
        if shares != self.last_shares:
            self.last_shares = shares
            rec("shares", frameworks=shares[0], roles=shares[1], master=leader, agents=active)
        return out


def _dominant(res: dict[str, Any], totals: dict[str, float]) -> float:
    best = 0.0
    for k, total in totals.items():
        v = res.get(k)
        if total > 0 and isinstance(v, (int, float)):
            best = max(best, float(v) / total)
    return best


async def record(master: str, path: str, stop: trio.Event, *, interval: float = 0.25,
                 http: Http | None = None) -> int:
    """Poll `master` (host:port) until `stop` is set; returns the number of records written.
    `http`: TLS and credentials (io/cli/master_client.py; plain HTTP when None); a refused
    credential or a denied principal is a CliError (polling again cannot help)."""
    rec = Recorder()
    n = 0
    async with await trio.open_file(path, "w") as f, \
            httpx.AsyncClient(base_url=http.resolve(master) if http else f"http://{master}", timeout=2.0,
                              **(http.kwargs() if http else {})) as client:
        while not stop.is_set():
            try:
                r = await client.get("/master/state")
                if http is not None:
                    http.check(r, "GET /master/state")
                state = r.json() if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                state = None
            if isinstance(state, dict):
                for item in rec.observe(time.monotonic(), state):
                    await f.write(json.dumps(item, sort_keys=True) + "\n")
                    n += 1
                await f.flush()
            with trio.move_on_after(interval):
                await stop.wait()
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_master_flags(p, help="master HOST:PORT or https://HOST:PORT")
    p.add_argument("--interval", type=float, default=0.25, help="seconds between polls")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    p.add_argument("file", help="record file (JSON lines) for `mesotron plot`")


def run(args: argparse.Namespace) -> int:
    try:
        http = Http.from_args(args)
    except tls.TlsError as e:
        print(f"mesotron record: {e}")
        return 2

    async def main() -> int:
        stop = trio.Event()
        failed: list[CliError] = []
        n = 0
        async with trio.open_nursery() as nursery:
            if args.duration is not None:
                async def timer() -> None:
                    await trio.sleep(args.duration)
                    stop.set()
                nursery.start_soon(timer)
            with trio.open_signal_receiver(2, 15) as signals:
                async def watch() -> None:
                    async for _ in signals:
                        stop.set()
                        return
                nursery.start_soon(watch)
                try:
                    n = await record(args.master, args.file, stop, interval=args.interval, http=http)
                except CliError as e:  # raised here, not wrapped in the nursery's group
                    failed.append(e)
                nursery.cancel_scope.cancel()
        if failed:
            raise failed[0]
        print(f"mesotron record: {n} records in {args.file}")
        return 0

    try:
        return trio.run(main)
    except CliError as e:
        print(f"mesotron record: {e}")
        return 1
    except OSError as e:
        print(f"mesotron record: {e}")
        return 2
    finally:
        http.close()
