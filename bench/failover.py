"""Real master failover (issue 5): 3 masters electing in a private ZooKeeper, 5 agents and
2 frameworks (our Trio scheduler client, `zk://`) following the leader. SIGKILL the leader
and measure, from the kill:

- elected:     a standby reports itself elected (`master/elected` in /metrics/snapshot)
- agents:      all agents active on the new leader (re-registered)
- frameworks:  every framework re-subscribed (a new SUBSCRIBED with the same id)

as a function of the ZooKeeper session timeout (a SIGKILLed leader's node vanishes only
when the server expires its session). A fresh cluster per run.

    .venv/bin/python bench/failover.py [--timeouts 1,2,4] [--runs 2] [--agents 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import trio
from mesotron.core.values import FrameworkInfo
from mesotron.io.wire.scheduler_client import SchedulerClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))  # testkit
from mesotron.io.zk.server import running_zookeeper
from testkit import HaCluster


def one_run(zk_url: str, session: float, n_agents: int, n_frameworks: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mesotron-failover-") as tmp, \
            HaCluster(tmp, zk_url, masters=3, agents=n_agents, session_timeout=session) as c:
        out: dict[str, float] = {}

        async def run() -> None:
            with trio.fail_after(60 + 3 * session):
                async with trio.open_nursery() as nursery:
                    clients: list[SchedulerClient] = []
                    for i in range(n_frameworks):
                        info = FrameworkInfo(user="bench", name=f"fw{i}", failover_timeout=3600.0)
                        cm = SchedulerClient.connect(zk_url, info, zk_session_timeout=session)
                        clients.append(await nursery_enter(nursery, cm))
                    fids = [s.framework_id for s in clients]
                    old = await trio.to_thread.run_sync(c.leader_index)
                    assert old is not None
                    t0 = time.monotonic()
                    c.masters[old].kill9()

                    async def frameworks() -> None:
                        while not all(s.resubscriptions >= 1 for s in clients):
                            await trio.sleep(0.002)
                        out["frameworks"] = time.monotonic() - t0
                        assert [s.framework_id for s in clients] == fids

                    async def elected_and_agents() -> None:
                        await trio.to_thread.run_sync(lambda: c.wait_leader(exclude={old}, limit=30 + 3 * session))
                        out["elected"] = time.monotonic() - t0
                        await trio.to_thread.run_sync(lambda: c.wait_agents(n_agents, 30 + 3 * session, {old}))
                        out["agents"] = time.monotonic() - t0

                    async with trio.open_nursery() as waits:
                        waits.start_soon(frameworks)
                        waits.start_soon(elected_and_agents)
                    out["all"] = max(out["agents"], out["frameworks"])
                    nursery.cancel_scope.cancel()

        trio.run(run)
        return out


async def nursery_enter(nursery: trio.Nursery, cm: object) -> SchedulerClient:
    """Enter an async context manager for the nursery's lifetime; return its value once
    the framework is subscribed."""
    got: list[SchedulerClient] = []
    ready = trio.Event()

    async def hold() -> None:
        async with cm as s:  # type: ignore[attr-defined]
            got.append(s)
            await s.subscribed.wait()
            ready.set()
            await trio.sleep_forever()

    nursery.start_soon(hold)
    await ready.wait()
    return got[0]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--timeouts", default="1,2,4", help="ZooKeeper session timeouts, seconds")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--agents", type=int, default=5)
    p.add_argument("--frameworks", type=int, default=2)
    args = p.parse_args()
    with running_zookeeper() as server:
        print(f"ZooKeeper {server.hosts} ready in {server.last_start_seconds:.2f}s")
        print(f"3 masters, {args.agents} agents, {args.frameworks} frameworks; seconds from leader SIGKILL")
        print("| session timeout | elected | all agents re-registered | all frameworks re-subscribed | both |")
        print("| --- | --- | --- | --- | --- |")
        n = 0
        for t in (float(x) for x in args.timeouts.split(",")):
            runs = []
            for _ in range(args.runs):
                n += 1
                runs.append(one_run(server.url(f"/bench{n}"), t, args.agents, args.frameworks))

            def fmt(key: str, runs: list[dict[str, float]] = runs) -> str:
                vals = [r[key] for r in runs]
                return " / ".join(f"{v:.2f}" for v in vals) + (f" (median {statistics.median(vals):.2f})"
                                                                if len(vals) > 2 else "")

            print(f"| {t:g} s | {fmt('elected')} | {fmt('agents')} | {fmt('frameworks')} | {fmt('all')} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
