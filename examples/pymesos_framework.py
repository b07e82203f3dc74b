"""A pymesos (0.3.15) framework, unchanged pymesos API: launches N tasks on a Mesos (or
mesotron) master and exits 0 when all of them FINISHED.

    python examples/pymesos_framework.py MASTER N [--executor "python examples/pymesos_executor.py"]

Without --executor the tasks are command tasks (`true`); with it, every agent runs one custom
executor (pymesos's MesosExecutorDriver) that runs the tasks. With --health the command
tasks carry a COMMAND health check in their TaskInfo JSON: even tasks run `sleep 3` with a
passing check (`true`), odd ones `sleep 60` with a failing one (`false`, killed after 2
consecutive failures). Prints a JSON summary line (with every update's state, `healthy` and
reason under "updates").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading

from pymesos import MesosSchedulerDriver, Scheduler

CPUS, MEM = 0.1, 16


def scalar(offer: dict, name: str) -> float:
    return sum(r["scalar"]["value"] for r in offer.get("resources", [])
               if r["name"] == name and r.get("type", "SCALAR") == "SCALAR")


class Framework(Scheduler):
    def __init__(self, n: int, executor_cmd: str | None, health: bool = False) -> None:
        self.pending = [f"pm{i:03d}" for i in range(n)]
        self.health = health
        self.updates: dict[str, list[dict]] = {}
        self.n = n
        self.executor_cmd = executor_cmd
        self.states: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.framework_id = None
        # with a custom executor: one task per agent until that agent's executor runs one
        # (tasks queued while an executor registers are delivered together)
        self.warm: set[str] = set()
        self.cold_inflight: set[str] = set()
        self.task_agent: dict[str, str] = {}

    def registered(self, driver, framework_id, master_info):
        self.framework_id = framework_id["value"]

    def resourceOffers(self, driver, offers):
        for offer in offers:
            cpus, mem = scalar(offer, "cpus"), scalar(offer, "mem")
            agent = offer["agent_id"]["value"]
            tasks = []
            with self.lock:
                limit = len(self.pending)
                if self.executor_cmd and agent not in self.warm:
                    limit = 0 if agent in self.cold_inflight else 1
                while self.pending and len(tasks) < limit and cpus >= CPUS - 1e-9 and mem >= MEM:
                    tid = self.pending.pop()
                    task = {
                        "task_id": {"value": tid},
                        "agent_id": {"value": offer["agent_id"]["value"]},
                        "name": tid,
                        "resources": [
                            {"name": "cpus", "type": "SCALAR", "scalar": {"value": CPUS}},
                            {"name": "mem", "type": "SCALAR", "scalar": {"value": MEM}},
                        ],
                    }
                    if self.executor_cmd:
                        task["executor"] = {
                            "executor_id": {"value": "pyexec"},
                            "name": "pymesos executor",
                            "command": {"value": self.executor_cmd,
                                        "environment": {"variables": [
                                            {"name": "PYTHONPATH", "value": os.environ.get("PYTHONPATH", "")}]}},
                            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
                        }
                        task["data"] = ""
                    elif self.health:
                        good = int(tid[2:]) % 2 == 0
                        task["command"] = {"value": "sleep 3" if good else "sleep 60"}
                        task["health_check"] = {
                            "type": "COMMAND", "command": {"value": "true" if good else "false"},
                            "delay_seconds": 0, "interval_seconds": 0.2, "timeout_seconds": 5,
                            "consecutive_failures": 2, "grace_period_seconds": 0}
                    else:
                        task["command"] = {"value": "true"}
                    tasks.append(task)
                    self.task_agent[tid] = agent
                    if self.executor_cmd and agent not in self.warm:
                        self.cold_inflight.add(agent)
                    cpus -= CPUS
                    mem -= MEM
            if tasks:
                driver.launchTasks(offer["id"], tasks)
            else:
                driver.declineOffer(offer["id"], {"refuse_seconds": 60 if not self.executor_cmd else 0.2})
        with self.lock:
            if not self.pending:
                driver.suppressOffers()

    def statusUpdate(self, driver, update):
        tid = update["task_id"]["value"]
        with self.lock:
            self.states.setdefault(tid, []).append(update["state"])
            self.updates.setdefault(tid, []).append(
                {k: update[k] for k in ("state", "healthy", "reason") if k in update})
            agent = self.task_agent.get(tid)
            if update["state"] == "TASK_RUNNING" and agent is not None and agent not in self.warm:
                self.warm.add(agent)
                driver.reviveOffers()
            finished = sum(1 for s in self.states.values()
                           if s[-1] in ("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"))
        if finished == self.n:
            self.done.set()

    def error(self, driver, message):
        print(f"ERROR {message}", file=sys.stderr, flush=True)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("master")
    p.add_argument("n", type=int)
    p.add_argument("--executor", default=None)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--principal", default=None, help="HTTP Basic principal (with --secret)")
    p.add_argument("--secret", default=None)
    p.add_argument("--health", action="store_true", help="command tasks with health checks")
    args = p.parse_args()
    fw = Framework(args.n, args.executor, args.health)
    driver = MesosSchedulerDriver(fw, {"user": "test", "name": "pymesos-e2e"}, args.master,
                                  principal=args.principal, secret=args.secret)
    driver.start()
    ok = fw.done.wait(args.timeout)
    driver.stop()
    driver.join()
    finished = sum(1 for s in fw.states.values() if s[-1] == "TASK_FINISHED")
    print(json.dumps({"framework_id": fw.framework_id, "finished": finished, "completed": ok,
                      "states": fw.states, "updates": fw.updates}), flush=True)
    if args.health:
        return 0 if ok else 1
    return 0 if ok and finished == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
