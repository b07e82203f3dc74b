"""`mesotron local`: a master and N agents on loopback, in one process, for development.

Ready in well under 2 s (one Trio program; no ZooKeeper, in-memory registry); prints the
master URL; Ctrl-C (or SIGTERM) stops everything cleanly, including the executors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

import trio
from mesotron.io import agent_main, master_main
from mesotron.io.asgi import bind_socket
from mesotron.io.containers import sigchld_pump
from mesotron.io.logs import configure


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agents", type=int, default=1)
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5050, help="master HTTP port (0: any free port)")
    p.add_argument("--work-dir", default=None, help="default: a fresh temporary directory")
    p.add_argument("--resources", default="cpus:4;mem:4096;disk:10000;ports:[31000-32000]",
                   help="resources of each agent")
    p.add_argument("--allocation-interval", default="1secs")
    p.add_argument("--no-fsync", action="store_true", help="agents skip fsync (benchmarks)")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))


def _sub_args(module: Any, argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    module.add_arguments(p)
    return p.parse_args(argv)


async def main_async(args: argparse.Namespace, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> int:
    t0 = time.monotonic()
    log = configure(args.log_format, args.log_level, component="local")
    work = args.work_dir or tempfile.mkdtemp(prefix="mesotron-local-")
    os.makedirs(work, exist_ok=True)
    msock = bind_socket(args.ip, args.port)
    margs = _sub_args(master_main, ["--ip", args.ip, "--port", str(msock.getsockname()[1]),
                                    "--work-dir", os.path.join(work, "master"), "--registry", "memory",
                                    "--allocation-interval", args.allocation_interval,
                                    "--log-level", args.log_level])
    master = master_main.MasterDaemon(margs, log.bind(component="master"), msock)
    agents = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        await nursery.start(sigchld_pump)
        await nursery.start(master.run)
        for i in range(args.agents):
            asock = bind_socket(args.ip, 0)
            aargv = ["--master", f"{args.ip}:{master.port}", "--ip", args.ip,
                     "--port", str(asock.getsockname()[1]),
                     "--work-dir", os.path.join(work, f"agent{i}"), "--resources", args.resources,
                     "--log-level", args.log_level]
            if args.no_fsync:
                aargv.append("--no-fsync")
            agent = agent_main.AgentDaemon(_sub_args(agent_main, aargv), log.bind(component=f"agent{i}"), asock)
            agent.start_pump = False
            agents.append(agent)
            await nursery.start(agent.run)
        # ready: every agent registered with the master
        with trio.move_on_after(10):
            while sum(1 for s in master.state_json().get("slaves", []) if s.get("active", True)) < args.agents:
                await trio.sleep(0.01)
        url = f"http://{master.hostname}:{master.port}"
        print(f"mesotron local: master {url} with {args.agents} agent(s), work dir {work} "
              f"(ready in {time.monotonic() - t0:.2f}s)", flush=True)
        print(f"  try: mesotron execute --master {args.ip}:{master.port} --name hello --command 'echo hello'",
              flush=True)
        task_status.started((master, agents, url, stop))

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
        master.stop.set()
        await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return trio.run(main_async, args)
    except OSError as e:
        print(f"mesotron local: {e}", file=sys.stderr)
        return 1
