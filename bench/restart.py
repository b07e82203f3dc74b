"""Agent restart with N running tasks (issue 4): kill -9 the agent, start it again
(--recover reconnect) and measure until the master sees it re-registered with every task
RUNNING; no task may be lost.

    .venv/bin/python bench/restart.py [--tasks 200] [--down SECONDS]

--down SECONDS keeps the agent down that long before the restart (issue 11: downtimes longer
than --executor-reregistration-timeout used to lose every task); after the re-registration
the framework keeps listening for `--settle` seconds (default 5, longer than the 2 s
window) and the run reports how many tasks were lost (any terminal update, or not RUNNING
in the master's state at the end).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallSuppress,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))  # testkit
from testkit import Cluster, http_get, wait_for


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=200)
    p.add_argument("--down", type=float, default=0.0, metavar="SECONDS",
                   help="keep the agent down this long between kill -9 and restart")
    p.add_argument("--settle", type=float, default=5.0, metavar="SECONDS",
                   help="after re-registration, listen this long for terminal updates")
    p.add_argument("--py-spy", metavar="PATH", help="record the restarted agent with py-spy "
                   "(`py-spy` on PATH) for 5 s into PATH (raw collapsed stacks)")
    args = p.parse_args()
    n = args.tasks
    res = Resources.parse("cpus:0.01;mem:1")
    with tempfile.TemporaryDirectory(prefix="mesotron-restart-") as tmp, \
            Cluster(tmp, agents=1, master_flags=("--allocation-interval", "50ms"),
                    agent_flags=("--recover", "reconnect"),
                    resources=f"cpus:{max(4, n // 50)};mem:{max(4096, 2 * n)};disk:1000;ports:[31000-32000]") as c:
        info = FrameworkInfo(user="bench", name="restart-bench", checkpoint=True, failover_timeout=600)
        result: dict = {}
        terminal: dict[str, str] = {}

        async def run() -> None:
            async with SchedulerClient.connect(c.master_addr, info) as s:
                launched = False
                running: set[str] = set()
                settle = trio.CancelScope()
                with settle:
                    await events(s, launched, running, settle)

        async def events(s: SchedulerClient, launched: bool, running: set[str],
                     settle: trio.CancelScope) -> None:
            async for ev in s.events():
                if isinstance(ev, EventOffers) and not launched:
                    launched = True
                    o = ev.offers[0]
                    tasks = tuple(TaskInfo(name=f"r{i}", task_id=f"r{i}", agent_id=o.agent_id, resources=res,
                                           command=CommandInfo(value="sleep 600")) for i in range(n))
                    await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                    await s.call(CallSuppress())
                elif isinstance(ev, EventUpdate):
                    st = ev.status
                    if st.uuid is not None:
                        await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                    if st.state is TaskState.TASK_RUNNING:
                        running.add(st.task_id)
                        if len(running) == n and "restarted" not in result:
                            result["restart_s"] = await trio.to_thread.run_sync(restart)
                            result["restarted"] = True
                            settle.deadline = trio.current_time() + args.settle
                    elif st.state.is_terminal:
                        terminal[st.task_id] = f"{st.state.name} {st.reason} {st.message}"

        def restart() -> float:
            agent = c.agents[0]
            agent.kill9()
            time.sleep(args.down)  # the downtime under test
            t0 = time.perf_counter()
            agent.start(wait=0)
            spy = None
            if args.py_spy:
                import subprocess

                spy = subprocess.Popen(["py-spy", "record", "-p", str(agent.proc.pid), "-r", "200", "-d", "5",
                                        "-f", "raw", "-o", args.py_spy, "--nonblocking"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            marks: dict[str, float] = {}

            def all_running() -> bool:
                if "http" not in marks:
                    try:
                        if http_get(agent.port, "/health", 0.2)[0] == 200:
                            marks["http"] = time.perf_counter() - t0
                    except OSError:
                        pass
                st = c.state()
                slaves = [a for a in st["slaves"] if a.get("active")]
                tasks = [t for f in st["frameworks"] for t in f["tasks"]]
                if slaves and "registered" not in marks:
                    marks["registered"] = time.perf_counter() - t0
                return bool(slaves) and len(tasks) == n and all(t["state"] == "TASK_RUNNING" for t in tasks)

            wait_for(lambda: all_running() or "registered" in marks, 120, "agent re-registered",
                     interval=0.01)
            elapsed: float | None = None
            try:  # every task RUNNING again; a lost task never is (counted after --settle)
                wait_for(all_running, 30, "every task running", interval=0.01)
                elapsed = time.perf_counter() - t0
            except TimeoutError:
                pass
            result["marks"] = marks
            if spy is not None:
                spy.wait()
            return elapsed

        trio.run(run)
        st = c.state()
        states = [t["state"] for f in st["frameworks"] for t in f["tasks"]]
        lost = max(len(terminal), n - states.count("TASK_RUNNING"))
    print(f"agent restart (kill -9, down {args.down:g} s, --recover reconnect) with {n} running "
          "tasks: " + (f"re-registered with all RUNNING {result['restart_s']:.2f} s after the new "
                       "agent process was started (includes interpreter start-up)"
                       if result["restart_s"] is not None else
                       "NOT every task RUNNING again within 30 s of the re-registration"))
    print(f"  tasks lost: {lost} (terminal updates within {args.settle:g} s after: "
          f"{len(terminal)}; RUNNING in the master's state: {states.count('TASK_RUNNING')}/{n})")
    for tid, what in sorted(terminal.items())[:5]:
        print(f"    {tid}: {what}")
    print("  timeline from the new agent process's start: " + ", ".join(
        f"{k} {v:.2f} s" for k, v in result.get("marks", {}).items()) + " (http: agent answers /health; "
          "registered: the master lists it active again)")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
