"""Task launch throughput on `mesotron local` (issue 4): trivial command tasks (`true`)
launched and FINISHED per second with N agents, latency accept -> RUNNING (p50/p99), and
the fork/exec ceiling of the same machine measured in the same run.

    .venv/bin/python bench/launch.py [--tasks 2000] [--agents 4] [--profile-local DIR]

`mesotron local` runs the master and each agent in its own process; the bench prints the CPU
of each kind of process per task (master, agents, command executors, the tasks themselves,
zygotes), start-up included.

By default it runs twice and prints both figures: first with the driver wire (v1 protobuf
Calls/Events as frames on persistent connections, as Mesos's libprocess SchedulerDriver /
ExecutorDriver), then over the v1 HTTP APIs (--scheduler-wire http|driver|both).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial

import psutil
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
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))  # testkit
from mesotron.spec.wire import JSON, PROTOBUF
from testkit import free_port


def fork_exec_ceiling(seconds: float = 2.0) -> float:
    """`true` processes started and reaped per second, one at a time (Popen + wait)."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        subprocess.Popen(["true"]).wait()
        n += 1
    return n / (time.perf_counter() - t0)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


async def run(master: str, n_tasks: int, res: Resources, fmt: str, wire: str,
              on_first_running: Callable[[], object] | None = None,
              before_teardown: Callable[[], object] | None = None, ssl_context: object = None) -> dict:
    info = FrameworkInfo(user="bench", name="launch-bench")
    pending = [f"b{i:06d}" for i in range(n_tasks)]
    accepted_at: dict[str, float] = {}
    running_at: dict[str, float] = {}
    finished = 0
    t_first = None
    async with SchedulerClient.connect(master, info, fmt=fmt, wire=wire, ssl_context=ssl_context) as s:
        async for ev in s.events():
            if isinstance(ev, EventOffers):
                for o in ev.offers:
                    avail = o.resources.unallocate()
                    tasks = []
                    while pending and avail.contains(res):
                        tid = pending.pop()
                        tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=res,
                                              command=CommandInfo(value="true")))
                        avail = avail - res
                    if tasks:
                        now = time.perf_counter()
                        t_first = t_first or now
                        for t in tasks:
                            accepted_at[t.task_id] = now
                        s.call_nowait(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                                filters=Filters(refuse_seconds=0.0)))
                    else:
                        s.call_nowait(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=0.0)))
                if not pending:
                    s.call_nowait(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                if st.uuid is not None:
                    s.call_nowait(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                if st.state is TaskState.TASK_RUNNING:
                    running_at[st.task_id] = time.perf_counter()
                    if on_first_running is not None and len(running_at) == 1:
                        on_first_running()
                if st.state.is_terminal:
                    if st.state is not TaskState.TASK_FINISHED:
                        print(f"task {st.task_id}: {st.state.name} {st.message}", file=sys.stderr)
                    finished += 1
                    if finished == n_tasks:
                        t_end = time.perf_counter()
                        if before_teardown is not None:
                            before_teardown()
                        await s.call(CallTeardown())  # waits: the calls before it are answered
                        break
        if s.rejected:
            raise RuntimeError(f"calls refused: {s.rejected[:5]}")
    lat = [running_at[t] - accepted_at[t] for t in running_at if t in accepted_at]
    return {"tasks": n_tasks, "seconds": t_end - t_first, "per_second": n_tasks / (t_end - t_first),
            "p50_ms": 1000 * pct(lat, 0.5), "p99_ms": 1000 * pct(lat, 0.99)}


async def run_with_timeout(timeout: float, *a: object, ssl_context: object = None) -> dict:
    with trio.fail_after(timeout):  # a lost task must fail the bench, not hang it
        return await run(*a, ssl_context=ssl_context)  # type: ignore[arg-type]


def _kind(p: psutil.Process) -> str:
    cmd = " ".join(p.cmdline())
    if " master " in cmd:
        return "master"
    if " agent " in cmd:
        return "agents"
    if "mesotron.io.containers.zygote" in cmd:  # forked executors keep the zygote's command line
        return "executors" if "mesotron.io.containers.zygote" in " ".join(p.parent().cmdline()) else "zygotes"
    if "mesotron.io.daemons.executor" in cmd:
        return "executors"
    return "local"


def cpu_breakdown(local_pid: int) -> dict[str, float]:
    """CPU seconds so far of `mesotron local`'s processes by kind; the task processes (`sh -c
    true`, reaped by their executor) count as "tasks". Taken once every task finished, before
    the teardown ends the executors."""
    out: dict[str, float] = {"master": 0.0, "agents": 0.0, "executors": 0.0, "tasks": 0.0,
                             "zygotes": 0.0, "local": 0.0}
    try:
        root = psutil.Process(local_pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for p in procs:
        try:
            t = p.cpu_times()
            kind = _kind(p)
        except psutil.Error:
            continue
        out[kind] += t.user + t.system
        if kind == "executors":
            out["tasks"] += t.children_user + t.children_system
    return out


def start_spies(local_pid: int, directory: str) -> list[subprocess.Popen]:
    """py-spy on the master, every agent and every executor (called once the first task runs)."""
    os.makedirs(directory, exist_ok=True)
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    spies = []
    seen: dict[str, int] = {}
    for p in psutil.Process(local_pid).children(recursive=True):
        try:
            kind = _kind(p)
        except psutil.Error:
            continue
        if kind in ("master", "agents", "executors"):
            seen[kind] = seen.get(kind, 0) + 1
            name = f"{kind}{seen[kind] - 1}"
            spies.append(subprocess.Popen([spy, "record", "-p", str(p.pid), "-r", "200", "-f", "raw",
                                           "-o", os.path.join(directory, f"{name}.txt"), "--nonblocking"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def remove_cgroups(root: str, agents: int) -> None:
    """Kill what is left in the agents' cgroups (`<root>-agentN`) and remove them."""
    from mesotron.io.containers.cgroups import CgroupsV1, parse_mounts

    with open("/proc/self/mounts") as f:
        mounts = parse_mounts(f.read())[0]

    async def go() -> None:
        for i in range(agents):
            b = CgroupsV1(mounts, f"{root}-agent{i}")
            for cid in b.containers():
                await b.destroy(cid)
            for h in b.hierarchies:
                try:
                    os.rmdir(os.path.join(h, b.root))
                except OSError:
                    pass

    trio.run(go)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=2000)
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    p.add_argument("--task-resources", default="cpus:0.01;mem:1")
    p.add_argument("--format", choices=("protobuf", "json"), default="protobuf",
                   help="the scheduler's wire format (Mesos's C++ scheduler library: protobuf)")
    p.add_argument("--scheduler-wire", choices=("http", "driver", "both"), default="both",
                   help="the scheduler's connection: the v1 HTTP API, or the driver wire (v1 "
                        "Calls/Events as frames on one persistent connection, as Mesos's "
                        "SchedulerDriver over libprocess); both (default): one run on each, "
                        "driver first")
    p.add_argument("--profile-local", metavar="DIR",
                   help="record the master, every agent and every command executor with py-spy "
                        "(`.venv/bin/pip install py-spy`) while the tasks run: raw collapsed stacks "
                        "DIR/<process>.txt")
    p.add_argument("--tls", action="store_true",
                   help="TLS on everywhere (LIBPROCESS_SSL_* for `mesotron local`, a throwaway CA); "
                        "the command executors then use the v1 HTTP executor API over HTTPS")
    p.add_argument("--isolation", default="none",
                   help="the agents' --isolation (none: process groups only); `both`: one run "
                        "without isolation and one with cgroups/cpu,cgroups/mem, in this order")
    args = p.parse_args()
    if args.isolation == "both":
        return run_each("--isolation", ("none", "cgroups/cpu,cgroups/mem"), "isolation")
    if args.scheduler_wire == "both":
        return run_each("--scheduler-wire", ("driver", "http"), "scheduler")
    fmt = PROTOBUF if args.format == "protobuf" else JSON
    ceiling = fork_exec_ceiling()
    ch0, me0 = cpu(resource.RUSAGE_CHILDREN), cpu(resource.RUSAGE_SELF)
    port = free_port()
    root = f"mesotron-bench-{os.getpid()}"
    iso = () if args.isolation == "none" else ("--isolation", args.isolation, "--cgroups-root", root)
    work = tempfile.mkdtemp(prefix="mesotron-bench-")
    env, ctx = tls_env(work) if args.tls else ({}, None)
    local = start_local(args.agents, port, local_args=iso, env=env, work=work)
    try:
        line = local.stdout.readline()
        ready = re.search(r"ready in ([0-9.]+)s", line)
        spies: list[subprocess.Popen] = []
        breakdown: dict[str, float] = {}
        result = trio.run(partial(run_with_timeout, ssl_context=ctx), args.timeout, f"127.0.0.1:{port}", args.tasks,
                          Resources.parse(args.task_resources), fmt, args.scheduler_wire,
                          (lambda: spies.extend(start_spies(local.pid, args.profile_local)))
                          if args.profile_local else None,
                          lambda: breakdown.update(cpu_breakdown(local.pid)))
        for spy in spies:  # py-spy writes its file on SIGINT
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(30)
    finally:
        stop_local(local)
        if iso:
            remove_cgroups(root, args.agents)
    # CPU of the whole daemon tree (mesotron local, its zygotes and every executor, all
    # reaped by their parents) and of this process (the scheduler), start-up included
    daemons = cpu(resource.RUSAGE_CHILDREN) - ch0
    sched = cpu(resource.RUSAGE_SELF) - me0
    print(f"mesotron local --agents {args.agents}: ready in {ready.group(1) if ready else '?'} s; "
          f"scheduler on the {args.scheduler_wire} wire; isolation {args.isolation}")
    print(f"fork/exec ceiling (Popen('true') + wait, one at a time): {ceiling:,.0f}/s")
    print(f"launched and finished {result['tasks']} tasks in {result['seconds']:.2f} s: "
          f"{result['per_second']:,.0f} tasks/s ({100 * result['per_second'] / ceiling:.0f}% of the ceiling)")
    print(f"accept -> RUNNING latency: p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms")
    print(f"CPU per task: daemons (master, agents, zygotes, executors, tasks) "
          f"{1000 * daemons / result['tasks']:.1f} ms, scheduler (this bench) {1000 * sched / result['tasks']:.1f} ms")
    print("  by process (ms per task, start-up included): " + ", ".join(
        f"{k} {1000 * v / result['tasks']:.1f}" for k, v in breakdown.items()))
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
