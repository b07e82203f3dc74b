"""Acknowledged status updates per second through executor -> agent -> master -> scheduler
-> acknowledgement -> master -> agent (issue 4), on `mesotron local`.

K tasks run on a custom executor (bench/update_executor.py) that sends U TASK_RUNNING
updates per task then TASK_FINISHED; the agent forwards one update per task at a time (the
next after the scheduler's ack), so K streams run in parallel.

    .venv/bin/python bench/updates.py [--agents 2] [--tasks 40] [--updates-per-task 100]
                                      [--wire http|driver] [--scheduler-wire W] [--executor-wire W]

`--wire http`: the v1 HTTP APIs (one POST per executor UPDATE and per scheduler
ACKNOWLEDGE); `--wire driver`: the same v1 protobuf Calls/Events as frames on persistent
connections (io/wire/master_driver.py, io/wire/agent_driver.py: Mesos's SchedulerDriver/ExecutorDriver
over libprocess). `--scheduler-wire`/`--executor-wire` set one side only.

By default it runs twice and prints both figures: first with the driver wire (v1 protobuf
Calls/Events as frames on persistent connections, as Mesos's libprocess SchedulerDriver /
ExecutorDriver), then over the v1 HTTP APIs (--wire http|driver|both).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time

import trio
from benchkit import cpu, run_each, start_local, stop_local, tls_env
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, ExecutorInfo, Filters, FrameworkInfo, TaskInfo
from mesotron.io.wire.scheduler_client import SchedulerClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))  # testkit
from mesotron.spec.wire import JSON, PROTOBUF
from testkit import free_port

HERE = os.path.dirname(os.path.abspath(__file__))


async def run(master: str, n_tasks: int, per_task: int, fmt: str, wire: str = "http",
              executor_wire: str = "http", local_pid: int | None = None, ssl_context: object = None) -> dict:
    info = FrameworkInfo(user="bench", name="updates-bench")
    res = Resources.parse("cpus:0.01;mem:1")
    pending = [f"u{i:04d}" for i in range(n_tasks)]
    acked = 0
    finished = 0
    t0 = t_end = None
    executor = ExecutorInfo(
        executor_id="upd", name="update bench executor",
        command=CommandInfo(value=f"{sys.executable} {os.path.join(HERE, 'update_executor.py')}",
                            environment=(("UPDATES_PER_TASK", str(per_task)),
                                         ("UPDATE_EXECUTOR_WIRE", executor_wire))),
        resources=Resources.parse("cpus:0.1;mem:32"))
    async with SchedulerClient.connect(master, info, fmt=fmt, wire=wire, ssl_context=ssl_context) as s:
        async for ev in s.events():
            if isinstance(ev, EventOffers):
                for o in ev.offers:
                    avail = o.resources.unallocate()
                    tasks = []
                    # one task per offer round until the agent's executor exists (queued tasks
                    # of a registering executor travel together)
                    while pending and avail.contains(res + executor.resources) and len(tasks) < (n_tasks // 2 or 1):
                        tid = pending.pop()
                        tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=res,
                                              executor=executor))
                        avail = avail - res
                    if tasks:
                        s.call_nowait(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                                filters=Filters(refuse_seconds=0.0)))
                    else:
                        s.call_nowait(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=60.0)))
                if not pending:
                    s.call_nowait(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                if t0 is None:
                    t0 = time.perf_counter()
                    cpu0 = _tree_cpu(local_pid) if local_pid else {}
                    me0 = _self_cpu()
                    w0 = _self_waits()
                if st.uuid is not None:
                    s.call_nowait(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                    acked += 1
                if st.state.is_terminal:
                    finished += 1
                    if finished == n_tasks:
                        t_end = time.perf_counter()
                        cpu1 = _tree_cpu(local_pid) if local_pid else {}
                        me1 = _self_cpu()
                        w1 = _self_waits()
                        await s.call(CallTeardown())
                        break
        if s.rejected:
            raise RuntimeError(f"calls refused: {s.rejected[:5]}")
    return {"acked": acked, "seconds": t_end - t0, "per_second": acked / (t_end - t0),
            "steady": {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in KINDS}, "scheduler_steady": me1 - me0,
            "waits": {k: cpu1.get(k + " waits", 0.0) - cpu0.get(k + " waits", 0.0) for k in KINDS},
            "scheduler_waits": w1 - w0,
            "whole": cpu1}


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


KINDS = ("master", "agents", "executors", "local")


def _kind(cmdline: list[str]) -> str:
    """`mesotron local` runs the master and each agent as `python -m mesotron.io.cli.main
    master|agent ...` children; everything else below them is an executor (or a zygote)."""
    if "mesotron.io.cli.main" in cmdline:
        i = cmdline.index("mesotron.io.cli.main")
        sub = cmdline[i + 1] if i + 1 < len(cmdline) else ""
        return {"master": "master", "agent": "agents"}.get(sub, "local")
    return "executors"


def _tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of process `pid` ("local") and of its live descendants, by kind."""
    import psutil

    out = dict.fromkeys(KINDS, 0.0)
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return out
    for proc in procs:
        try:
            t = proc.cpu_times()
            kind = "local" if proc.pid == pid else _kind(proc.cmdline())
            waits = proc.num_ctx_switches().voluntary
        except psutil.Error:
            continue
        out[kind] += t.user + t.system
        out[kind + " waits"] = out.get(kind + " waits", 0.0) + waits
    return out


def _self_waits() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=40)
    p.add_argument("--updates-per-task", type=int, default=100)
    p.add_argument("--agents", type=int, default=2)
    p.add_argument("--format", choices=("protobuf", "json"), default="protobuf",
                   help="the scheduler's wire format (Mesos's C++ scheduler library: protobuf)")
    p.add_argument("--wire", choices=("http", "driver", "both"), default="both",
                   help="scheduler and executor wire: v1 HTTP APIs, or v1 protobuf frames on "
                        "persistent connections (Mesos's driver protocol); both (default): one "
                        "run on each, driver first")
    p.add_argument("--scheduler-wire", choices=("http", "driver"), default=None)
    p.add_argument("--executor-wire", choices=("http", "driver"), default=None)
    p.add_argument("--tls", action="store_true",
                   help="TLS on everywhere (LIBPROCESS_SSL_* for `mesotron local`, a throwaway CA); "
                        "the executors then speak HTTPS (the agent offers no driver wire under TLS)")
    p.add_argument("--profile-local", metavar="PATH",
                   help="run `mesotron local` under cProfile and write its stats to PATH (only the "
                        "supervisor process when it runs the master and agents as children)")
    args = p.parse_args()
    if args.wire == "both":
        return run_each("--wire", ("driver", "http"), "scheduler and executor")
    fmt = PROTOBUF if args.format == "protobuf" else JSON
    ch0, me0 = cpu(resource.RUSAGE_CHILDREN), cpu(resource.RUSAGE_SELF)
    port = free_port()
    prof = ("-m", "cProfile", "-o", args.profile_local) if args.profile_local else ()
    work = tempfile.mkdtemp(prefix="mesotron-bench-")
    env, ctx = tls_env(work) if args.tls else ({}, None)
    local = start_local(args.agents, port, prof, env=env, work=work)
    try:
        line = local.stdout.readline()
        assert re.search(r"ready in", line), line
        swire = args.scheduler_wire or args.wire
        xwire = "http" if args.tls else (args.executor_wire or args.wire)
        result = trio.run(run, f"127.0.0.1:{port}", args.tasks, args.updates_per_task, fmt, swire, xwire,
                          local.pid, ctx)
    finally:
        stop_local(local)
    # CPU of the daemon tree (mesotron local, executors: all reaped) and of this process
    daemons = cpu(resource.RUSAGE_CHILDREN) - ch0
    sched = cpu(resource.RUSAGE_SELF) - me0
    print(f"{result['acked']} acknowledged updates ({args.tasks} tasks x {args.updates_per_task + 1}) in "
          f"{result['seconds']:.2f} s: {result['per_second']:,.0f} updates/s "
          f"(executor -> agent -> master -> scheduler -> ack), {args.agents} agents, "
          f"wire: scheduler {swire}, executor {xwire}")
    n = result["acked"]

    def per(kinds: dict[str, float]) -> str:
        return ", ".join(f"{k} {1e6 * kinds[k] / n:.0f}" for k in KINDS)

    print(f"CPU per update: daemons (master, agents, executors, `mesotron local`) {1e6 * daemons / n:.0f} us "
          f"[{per(result['whole'])} us, start-ups included, at the last update], scheduler (this bench) {1e6 * sched / n:.0f} us")
    print(f"  steady state (first update -> last, no start-ups): {per(result['steady'])} us, "
          f"scheduler {1e6 * result['scheduler_steady'] / n:.0f} us per update")
    w = result["waits"]
    print("  waits (voluntary context switches: the process blocked) per update: "
          + ", ".join(f"{k} {w[k] / n:.2f}" for k in KINDS[:3]) + f", scheduler {result['scheduler_waits'] / n:.2f}")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
