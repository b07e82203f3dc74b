"""`mesotron local`: a master and N agents on loopback, for development.

The master and every agent run in their own processes (`mesotron master`, `mesotron
agent --kill-executors-on-exit`; logs `master.log`, `agentN.log` in the work dir), so a
busy cluster uses every core. Ready in under 2 s (no ZooKeeper, in-memory registry); prints
the master URL; Ctrl-C (or SIGTERM) stops everything cleanly: the agents kill their
executors, then the master stops.

`--masters 3 --zk auto`: a one-command HA demo: a private ZooKeeper (io/zk/server.py, from the
system `zookeeper` package; its pid is printed, `kill` it to see what happens) and three
masters electing a leader in it (registry in ZooKeeper), agents following the leader.
`--zk zk://...` uses an existing ZooKeeper instead. (The HA demo still runs its masters and
agents in this one process.)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import attrs
import trio

# the daemons' modules are imported only by the --zk demo (which hosts them in this process):
# `mesotron local` itself just starts processes, and should be quick about it


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agents", type=int, default=1)
    p.add_argument("--masters", type=int, default=1, help="masters (more than 1 needs --zk)")
    p.add_argument("--zk", default=None,
                   help="'auto' (start a private ZooKeeper) or zk://host:port/path: masters elect "
                        "a leader in ZooKeeper")
    p.add_argument("--zk-session-timeout", default="2secs", help="with --zk (default 2secs)")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5050, help="master HTTP port (0: any free port)")
    p.add_argument("--work-dir", default=None, help="default: a fresh temporary directory")
    p.add_argument("--resources", default="cpus:4;mem:4096;disk:10000;ports:[31000-32000]",
                   help="resources of each agent")
    p.add_argument("--allocation-interval", default="1secs")
    p.add_argument("--no-fsync", action="store_true", help="agents skip fsync (benchmarks)")
    p.add_argument("--roles", default=None, help="the master's role whitelist (comma-separated)")
    p.add_argument("--weights", default=None, help="the master's role weights: role=weight,...")
    p.add_argument("--record", metavar="FILE", default=None,
                   help="record the cluster's shares, offers and tasks for `mesotron plot FILE DIR`")
    p.add_argument("--isolation", default="",
                   help="the agents' --isolation (e.g. cgroups/cpu,cgroups/mem); each agent gets "
                        "its own cgroup root <--cgroups-root>-agentN")
    p.add_argument("--cgroups-root", default="mesotron-local")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))


def _sub_args(module: Any, argv: list[str]) -> argparse.Namespace:  # the --zk demo
    p = argparse.ArgumentParser()
    module.add_arguments(p)
    return p.parse_args(argv)


@attrs.define
class Proc:
    """A daemon process of `mesotron local` (the master or an agent)."""

    name: str
    ip: str
    port: int
    hostname: str
    process: Any = None
    log_path: str = ""


async def _spawn(name: str, module: str, argv: list[str], log_path: str) -> Any:
    # stdout/stderr to a log file in the work dir (Ctrl-C in a terminal reaches the whole
    # process group; `mesotron local` also forwards SIGINT/SIGTERM itself)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        return await trio.lowlevel.open_process(
            [sys.executable, "-m", "mesotron.io.cli.main", module, *argv],
            stdin=subprocess.DEVNULL, stdout=fd, stderr=fd)
    finally:
        os.close(fd)


def _active_agents(ip: str, port: int) -> int:
    with urllib.request.urlopen(f"http://{ip}:{port}/master/state", timeout=1) as r:
        state = json.load(r)
    return sum(1 for a in state.get("slaves", []) if a.get("active", True))


async def main_async(args: argparse.Namespace, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> int:
    """The master and each agent in its own process (`mesotron master`, `mesotron agent`):
    they use both cores, and a task launch costs no more CPU in one process than another.
    task_status gets (master, agents, url, stop): `Proc`s and a trio.Event that stops all."""
    if args.zk or args.masters > 1:
        return await ha_main_async(args, task_status=task_status)
    t0 = time.monotonic()
    work = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="mesotron-local-"))
    os.makedirs(work, exist_ok=True)
    # port 0: a free port for the master; otherwise fail early and clearly when it is taken
    with socket.socket(socket.AF_INET6 if ":" in args.ip else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.ip, args.port))
        port = sock.getsockname()[1]
    master = Proc(name="master", ip=args.ip, port=port, hostname=args.ip,
                  log_path=os.path.join(work, "master.log"))
    agents: list[Proc] = []
    stop = trio.Event()
    procs: list[Proc] = [master]
    # the signal receiver is open from the start to the end of stopping: a Ctrl-C in a
    # terminal reaches this process and its children at once, and `timeout`-like wrappers
    # signal the whole group again
    with trio.open_signal_receiver(2, 15) as signals:
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                async for _ in signals:
                    stop.set()

            nursery.start_soon(watch)
            code = await _run_cluster(args, work, port, master, agents, procs, stop, t0, task_status)
            nursery.cancel_scope.cancel()
    return code


async def _run_cluster(args: argparse.Namespace, work: str, port: int, master: Proc,
                       agents: list[Proc], procs: list[Proc], stop: trio.Event, t0: float,
                       task_status: Any) -> int:
    async with trio.open_nursery() as nursery:
        master.process = await _spawn("master", "master", [
            "--ip", args.ip, "--port", str(port), "--work-dir", os.path.join(work, "master"),
            "--registry", "memory", "--allocation-interval", args.allocation_interval,
            "--log-level", args.log_level, "--log-format", args.log_format,
            *(["--roles", args.roles] if getattr(args, "roles", None) else []),
            *(["--weights", args.weights] if getattr(args, "weights", None) else [])],
            master.log_path)
        for i in range(args.agents):
            a = Proc(name=f"agent{i}", ip=args.ip, port=0, hostname=args.ip,
                     log_path=os.path.join(work, f"agent{i}.log"))
            aargv = ["--master", f"{args.ip}:{port}", "--ip", args.ip, "--port", "0",
                     "--work-dir", os.path.join(work, f"agent{i}"), "--resources", args.resources,
                     "--log-level", args.log_level, "--log-format", args.log_format,
                     "--kill-executors-on-exit", "--registration-backoff-factor", "0.1"]
            if args.no_fsync:
                aargv.append("--no-fsync")
            if getattr(args, "isolation", ""):
                aargv += ["--isolation", args.isolation, "--cgroups-root", f"{args.cgroups_root}-agent{i}"]
            a.process = await _spawn(a.name, "agent", aargv, a.log_path)
            agents.append(a)
            procs.append(a)

        async def watch_children() -> None:
            while not stop.is_set():
                for p in procs:
                    if p.process.poll() is not None:
                        print(f"mesotron local: {p.name} exited with status {p.process.returncode} "
                              f"(log: {p.log_path})", file=sys.stderr, flush=True)
                        stop.set()
                        return
                await trio.sleep(0.1)

        # ready: every agent registered with the master
        with trio.move_on_after(20):
            while not stop.is_set():
                try:
                    if await trio.to_thread.run_sync(_active_agents, args.ip, port) >= args.agents:
                        break
                except (OSError, ValueError):
                    pass
                if any(p.process.poll() is not None for p in procs):
                    break
                await trio.sleep(0.02)
        url = f"http://{master.hostname}:{port}"
        if not stop.is_set():
            print(f"mesotron local: master {url} with {args.agents} agent(s), work dir {work} "
                  f"(ready in {time.monotonic() - t0:.2f}s; logs in the work dir)", flush=True)
            print(f"  try: mesotron execute --master {args.ip}:{port} --name hello --command 'echo hello'",
                  flush=True)
        nursery.start_soon(watch_children)
        if getattr(args, "record", None):
            from mesotron.io.cli.record import record

            nursery.start_soon(record, f"{args.ip}:{port}", args.record, stop)
            print(f"  recording to {args.record} (draw it: mesotron plot {args.record} DIR)",
                  flush=True)
        task_status.started((master, agents, url, stop))
        await stop.wait()
        print("mesotron local: stopping", flush=True)
        # agents first (they kill their executors), then the master
        code = await _stop_all([*agents, master])
        nursery.cancel_scope.cancel()
    return code


async def _stop_all(procs: list[Proc], grace: float = 10.0) -> int:
    for p in procs:
        if p.process.poll() is None:
            p.process.send_signal(signal.SIGTERM)
    code = 0
    with trio.move_on_after(grace):
        for p in procs:
            await p.process.wait()
    for p in procs:
        if p.process.poll() is None:
            print(f"mesotron local: {p.name} did not stop in {grace:g} s: killed", file=sys.stderr, flush=True)
            p.process.kill()
            await p.process.wait()
            code = 1
    return code


async def ha_main_async(args: argparse.Namespace, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> int:
    """--masters N --zk auto|zk://...: N masters electing a leader in ZooKeeper, agents following it."""
    from mesotron.io.daemons.logs import configure_from
    from mesotron.io.zk.server import ZkServer, ZkUnavailable

    if not args.zk:
        print("mesotron local: --masters > 1 needs --zk auto (or --zk zk://host:port/path)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    log = configure_from(args, "local")
    work = args.work_dir or tempfile.mkdtemp(prefix="mesotron-local-")
    os.makedirs(work, exist_ok=True)
    server = None
    if args.zk == "auto":
        try:
            server = ZkServer(base_dir=os.path.join(work, "zookeeper"))
        except ZkUnavailable as e:
            print(f"mesotron local: --zk auto needs ZooKeeper: {e}", file=sys.stderr)
            return 1
        server.spawn()
        try:
            with trio.fail_after(60):
                await server.wait_ready()
        except BaseException:
            server.stop()
            raise
        zk_url = server.url("/mesos")
    else:
        zk_url = args.zk
    try:
        return await _ha_cluster(args, log, work, zk_url, server, t0, task_status)
    finally:
        if server is not None:
            server.stop()


async def _ha_cluster(args: argparse.Namespace, log: Any, work: str, zk_url: str, server: Any,
                      t0: float, task_status: Any) -> int:
    from mesotron.io.containers.launcher import sigchld_pump
    from mesotron.io.daemons import agent as agent_main
    from mesotron.io.daemons import master as master_main
    from mesotron.io.http.asgi import bind_socket

    masters = []
    agents = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        await nursery.start(sigchld_pump)
        for i in range(max(args.masters, 1)):
            msock = bind_socket(args.ip, args.port if i == 0 else 0)
            margs = _sub_args(master_main, ["--ip", args.ip, "--port", str(msock.getsockname()[1]),
                                            "--work-dir", os.path.join(work, f"master{i}"),
                                            "--zk", zk_url, "--zk-session-timeout", args.zk_session_timeout,
                                            "--allocation-interval", args.allocation_interval,
                                            "--log-level", args.log_level])
            m = master_main.MasterDaemon(margs, log.bind(component=f"master{i}"), msock)
            masters.append(m)
            await nursery.start(m.run)
        with trio.move_on_after(30):
            while not any(m.leading for m in masters):
                await trio.sleep(0.01)
        for i in range(args.agents):
            asock = bind_socket(args.ip, 0)
            aargv = ["--master", zk_url, "--zk-session-timeout", args.zk_session_timeout, "--ip", args.ip,
                     "--port", str(asock.getsockname()[1]),
                     "--work-dir", os.path.join(work, f"agent{i}"), "--resources", args.resources,
                     "--log-level", args.log_level]
            if args.no_fsync:
                aargv.append("--no-fsync")
            agent = agent_main.AgentDaemon(_sub_args(agent_main, aargv), log.bind(component=f"agent{i}"), asock)
            agent.start_pump = False
            agents.append(agent)
            await nursery.start(agent.run)

        def active_on_leader() -> int:
            for m in masters:
                if m.leading:
                    return sum(1 for s in m.state_json().get("slaves", []) if s.get("active", True))
            return 0

        with trio.move_on_after(20):
            while active_on_leader() < args.agents:
                await trio.sleep(0.01)
        leader = next((m for m in masters if m.leading), None)
        zk_pid = f" (ZooKeeper pid {server.pid})" if server is not None else ""
        print(f"mesotron local: {len(masters)} masters electing in {zk_url}{zk_pid}, {args.agents} agent(s), "
              f"work dir {work} (ready in {time.monotonic() - t0:.2f}s)", flush=True)
        for m in masters:
            print(f"  master http://{m.hostname}:{m.port}{'  <- leader' if m is leader else ''}", flush=True)
        print(f"  try: mesotron execute --master {args.ip}:{leader.port if leader else masters[0].port} "
              "--name hello --command 'echo hello'", flush=True)
        task_status.started((masters, agents, zk_url, stop))

        with trio.open_signal_receiver(2, 15) as signals:
            async def watch() -> None:
                async for _ in signals:
                    stop.set()
                    return

            nursery.start_soon(watch)
            await stop.wait()
        print("mesotron local: stopping", flush=True)
        for a in agents:
            a.containers.shutdown_all()
            a.stop.set()
        for m in masters:
            m.stop.set()
        await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return trio.run(main_async, args)
    except OSError as e:
        print(f"mesotron local: {e}", file=sys.stderr)
        return 1
