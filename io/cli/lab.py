"""`mesotron lab`: a cluster of hosts on one machine (network namespaces; root).

    mesotron lab up --masters 3 --agents 5 --zk 3 [--dir DIR]   # runs until Ctrl-C, then tears down
    mesotron lab down [--dir DIR | --all]                        # after a crashed harness
    mesotron lab chaos --seed 7 [--tasks 1000 --faults 25]       # a Jepsen-style campaign
    mesotron lab check HISTORY                                   # the checker on any history
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time

DEFAULT_DIR = "/tmp/mesotron-lab"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    up = sub.add_parser("up", help="build a lab and run it until Ctrl-C")
    for q in (up,):
        q.add_argument("--masters", type=int, default=3)
        q.add_argument("--agents", type=int, default=5)
        q.add_argument("--zk", type=int, default=3)
        q.add_argument("--dir", default=DEFAULT_DIR)
    down = sub.add_parser("down", help="tear a lab down (also after a crash)")
    down.add_argument("--dir", default=DEFAULT_DIR)
    down.add_argument("--all", action="store_true", help="every lab namespace and link")
    from mesotron.io.lab import campaign, checker

    chaos = sub.add_parser("chaos", help="a campaign: workload + nemesis + checker")
    campaign.add_arguments(chaos)
    check = sub.add_parser("check", help="run the checker on a history")
    checker.add_arguments(check)


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        from mesotron.io.lab import checker

        return checker.run(args)
    if os.geteuid() != 0:
        print("mesotron lab: needs root (network namespaces, veth pairs, a bridge, tmpfs mounts)")
        return 2
    from mesotron.io.lab.cluster import Lab, LabError, down_from_file

    if args.action == "down":
        print(f"mesotron lab down: {down_from_file(args.dir)}")
        return 0
    if args.action == "up":
        lab = Lab(args.dir, masters=args.masters, agents=args.agents, zk=args.zk)
        try:
            lab.up()
        except (LabError, OSError, ValueError) as e:
            print(f"mesotron lab up: {e}")
            return 1
        print(f"mesotron lab {lab.id}: masters {[lab.http(m) for m in lab.names('master')]}, "
              f"agents {[lab.http(a) for a in lab.names('agent')]}, ZooKeeper {lab.zk_url}; "
              f"leader {lab.leader()}; description in {args.dir}/lab.json; Ctrl-C tears it down",
              flush=True)
        try:
            signal.sigwait({signal.SIGINT, signal.SIGTERM}) if hasattr(signal, "sigwait") else time.sleep(1e9)
        except KeyboardInterrupt:
            pass
        finally:
            lab.down()
        return 0
    # chaos
    import logging

    import trio

    logging.getLogger("kazoo").setLevel(logging.ERROR)  # the harness's client: no reconnect chatter
    from mesotron.io.lab.campaign import campaign

    env = {}
    if args.plant_bug:
        from mesotron.io.daemons.planted import ENV_ALLOW, ENV_BUG, PlantedBugRefused, planted_bug

        env = {ENV_BUG: args.plant_bug, ENV_ALLOW: os.environ.get(ENV_ALLOW, "")}
        try:
            planted_bug(env)  # the daemons would refuse it: say so now
        except PlantedBugRefused as e:
            print(f"chaos: {e}")
            return 2
    if not 0 <= args.pymesos <= args.frameworks:
        print(f"chaos: --pymesos {args.pymesos}: between 0 and --frameworks ({args.frameworks})")
        return 2
    if args.pymesos:
        from mesotron.io.lab.campaign import pymesos_dir

        try:
            pymesos_dir()
        except ValueError as e:
            print(f"chaos: {e}")
            return 2
    report = args.dir or tempfile.mkdtemp(prefix="mesotron-chaos-")
    os.makedirs(report, exist_ok=True)
    from mesotron.io.lab.campaign import FAULTS, RELAY_FAULTS

    kinds = args.fault_kinds or (FAULTS + RELAY_FAULTS if args.relay else FAULTS)
    if not args.relay and set(kinds) & set(RELAY_FAULTS):
        print(f"chaos: {', '.join(sorted(set(kinds) & set(RELAY_FAULTS)))} need --relay")
        return 2
    lab = Lab(os.path.join(report, "lab"), masters=args.masters, agents=args.agents, zk=args.zk,
              daemon_env=env, relay=args.relay, relay_seed=args.seed,
              clients=1 if args.pymesos else 0)
    t0 = time.monotonic()
    try:
        lab.up()
        print(f"chaos: lab {lab.id} up in {time.monotonic() - t0:.1f} s "
              f"({args.masters} masters, {args.agents} agents, {args.zk} ZooKeeper servers)", flush=True)
        # a planted bug also runs in this process: our frameworks' scheduler driver
        # (core/scheduler.py) is here (e.g. driver_acks_on_arrival)
        from mesotron.io.daemons.planted import planted_bug as _planted

        with _planted(env) if env else contextlib.nullcontext():
            return trio.run(lambda: campaign(lab, seed=args.seed, tasks=args.tasks, faults=args.faults,
                                             frameworks=args.frameworks, interval=args.interval,
                                             report=report, deadline=args.deadline,
                                             kinds=kinds, task_sleep=args.task_sleep,
                                             pymesos=args.pymesos))
    except LabError as e:
        print(f"chaos: {e}")
        return 1
    finally:
        lab.down()
        print(f"chaos: lab torn down ({time.monotonic() - t0:.0f} s in all)", file=sys.stderr)
