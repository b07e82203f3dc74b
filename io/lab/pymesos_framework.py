"""The campaign's pymesos framework (issue 17 §2): pymesos 0.3.15, unchanged, as a separate
process in the lab's client namespace (`python -m mesotron.io.lab.pymesos_framework`, with
the pymesos directory on PYTHONPATH; `make venv` installs it in .venv/pymesos-compat).

It does what the campaign's own frameworks do, through pymesos's MesosSchedulerDriver
following the leader through ZooKeeper (`zk://` master URI, pymesos's own detector):
checkpointing, failover_timeout 3600 s, partition-aware or not (`--partition-aware`),
launches `--tasks` tasks (`<name>-t<i>`, `sleep <seeded seconds>`, cpus 0.05, mem 8, at most
20 per offer), acknowledges every update that carries a uuid explicitly
(implicit_acknowledgements=False, so each acknowledgement is recorded), reconciles its open
tasks every 5 s, and tears itself down (pymesos's `stop()`: TEARDOWN) once every task is
terminal in its view.

Every operation and every update is printed on stdout as one JSON line in the history's
format (io/lab/checker.py) without `t` and `fw`: the campaign stamps each line with its own
clock and this framework's name as it reads it, so the checker judges this framework like
ours. (pymesos speaks plain HTTP only and sends Basic credentials on every call: the lab's
masters run without TLS and without authentication.)
"""

from __future__ import annotations

import argparse
import base64
import importlib.metadata
import json
import os
import random
import subprocess
import sys
import threading
import time
from typing import Any

from pymesos import MesosSchedulerDriver, Scheduler

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
            "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}
CPUS, MEM = 0.05, 8.0
_out = threading.Lock()


def emit(**rec: Any) -> None:
    with _out:
        sys.stdout.write(json.dumps(rec, sort_keys=True) + "\n")
        sys.stdout.flush()


def scalar(offer: dict[str, Any], name: str) -> float:
    return sum(r["scalar"]["value"] for r in offer.get("resources", [])
               if r["name"] == name and r.get("type", "SCALAR") == "SCALAR"
               and r.get("role", "*") == "*" and "reservations" not in r)


def uuid_hex(status: dict[str, Any]) -> str | None:
    u = status.get("uuid")
    if not u:
        return None
    try:
        return base64.b64decode(u).hex()
    except ValueError:
        return str(u)


class Campaign(Scheduler):  # type: ignore[misc]
    def __init__(self, name: str, n: int, seed: int, sleep: tuple[float, float]) -> None:
        rng = random.Random(seed)
        self.pending = [(f"{name}-t{i}", f"sleep {rng.uniform(*sleep):.2f}") for i in range(n)]
        self.state: dict[str, str] = {}
        self.agent_of: dict[str, str] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()

    def registered(self, driver: Any, framework_id: Any, master_info: Any) -> None:
        emit(op="subscribed", framework_id=framework_id["value"])

    def reregistered(self, driver: Any, master_info: Any) -> None:
        emit(op="subscribed", framework_id=driver.framework_id)

    def resourceOffers(self, driver: Any, offers: Any) -> None:
        for offer in offers:
            cpus, mem = scalar(offer, "cpus"), scalar(offer, "mem")
            agent = offer["agent_id"]["value"]
            tasks = []
            with self.lock:
                while self.pending and len(tasks) < 20 and cpus >= CPUS - 1e-9 and mem >= MEM:
                    tid, cmd = self.pending.pop(0)
                    tasks.append({"task_id": {"value": tid}, "agent_id": {"value": agent}, "name": tid,
                                  "command": {"value": cmd},
                                  "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": CPUS}},
                                                {"name": "mem", "type": "SCALAR", "scalar": {"value": MEM}}]})
                    self.state[tid] = "TASK_STAGING"
                    self.agent_of[tid] = agent
                    cpus -= CPUS
                    mem -= MEM
            try:
                if tasks:
                    for t in tasks:
                        emit(op="launch", task=t["task_id"]["value"], agent=agent)
                    driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 0.1})
                else:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 1.0})
            except Exception as e:  # noqa: BLE001 - a call lost in a fault: the master will say
                emit(op="call_failed", error=repr(e)[:200])

    def statusUpdate(self, driver: Any, update: Any) -> None:
        tid = update["task_id"]["value"]
        agent = (update.get("agent_id") or {}).get("value")
        u = uuid_hex(update)
        emit(op="update", task=tid, state=update["state"], agent=agent, uuid=u,
             reason=update.get("reason"))
        with self.lock:
            self.state[tid] = update["state"]
        if u is not None and agent is not None:
            try:
                driver.acknowledgeStatusUpdate(update)
                emit(op="ack", task=tid, uuid=u)
            except Exception as e:  # noqa: BLE001 - the agent retries
                emit(op="call_failed", error=repr(e)[:200])
        self.check_done()

    def check_done(self) -> None:
        with self.lock:
            if not self.pending and all(s in TERMINAL for s in self.state.values()):
                self.done.set()

    def open_tasks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"task_id": {"value": t}, "agent_id": {"value": self.agent_of[t]}}
                    for t, s in self.state.items() if s not in TERMINAL]

    def error(self, driver: Any, message: Any) -> None:
        emit(op="framework_error", error=str(message)[:300])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mesotron.io.lab.pymesos_framework")
    p.add_argument("master", help="zk://... (or host:port) of the masters")
    p.add_argument("--name", required=True)
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--task-sleep", default="0.05,1.5", help="MIN,MAX seconds")
    p.add_argument("--partition-aware", action="store_true")
    p.add_argument("--deadline", type=float, default=900.0)
    args = p.parse_args(argv)
    lo, hi = (float(x) for x in args.task_sleep.split(","))
    fw = Campaign(args.name, args.tasks, args.seed, (lo, hi))
    # where this framework runs (the lab's client namespace): recorded, ignored by the checker
    ns = subprocess.run(["ip", "netns", "identify", str(os.getpid())], capture_output=True, text=True,
                        check=False, timeout=10).stdout.strip()
    try:  # the names this namespace resolves (Lab writes the masters' there)
        with open("/etc/hosts") as f:
            names = sorted({n for line in f for n in line.split("#")[0].split()[1:]})
    except OSError:
        names = []
    emit(op="client_start", netns=ns, pymesos=importlib.metadata.version("pymesos"), hosts=names)
    info: dict[str, Any] = {"user": "root", "name": args.name, "checkpoint": True,
                            "failover_timeout": 3600.0}
    if args.partition_aware:
        info["capabilities"] = [{"type": "PARTITION_AWARE"}]
    driver = MesosSchedulerDriver(fw, info, args.master, implicit_acknowledgements=False)
    driver.start()
    end = time.monotonic() + args.deadline
    fw.check_done()  # --tasks 0
    while not fw.done.wait(5.0) and time.monotonic() < end:
        open_tasks = fw.open_tasks()
        try:
            if open_tasks:
                emit(op="reconcile", tasks=[t["task_id"]["value"] for t in open_tasks])
                driver.reconcileTasks(open_tasks)
            if fw.pending:
                driver.reviveOffers()
        except Exception as e:  # noqa: BLE001 - not connected yet / a call lost: next round
            emit(op="call_failed", error=repr(e)[:200])
    ok = fw.done.is_set()
    if ok:
        emit(op="all_terminal")
    driver.stop()  # not a failover: TEARDOWN
    driver.join()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
