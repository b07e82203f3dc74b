"""A small pure-Python status-update protocol run, producing traces for tla/tracecheck.py.

This stands in for the simulator (core/sim) so that trace validation can be tested alone:
`generate(seed)` plays executor, agent status-update manager, master relay and scheduler
over a lossy, duplicating network with agent crashes and master failovers, choosing among
enabled steps with `random.Random(seed)` (deterministic), and returns the event list in
the trace format of docs/formal.md.  `planted_bug_trace(seed)` returns a run of an agent
that forwards updates before checkpointing them, and the index of the first bad event.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

Step = tuple[float, Callable[[Any], None], Any]  # (weight, step, argument)

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST"}
NEXT_STATES = {
    "TASK_STAGING": ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"],
    "TASK_STARTING": ["TASK_RUNNING", "TASK_FAILED"],
    "TASK_RUNNING": ["TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED"],
}
AGENT_LINK = {"update", "eack", "aack"}
MASTER_LINK = {"fwd", "relay", "sack", "aack"}
NO_STATE = "-"


class _Run:
    def __init__(self, seed: int, tasks: int, max_updates: int, faults: int, bug: str | None,
                 window: int = 2):
        self.rng = random.Random(seed)
        self.tasks = [f"t{i + 1}" for i in range(tasks)]
        self.max_updates = max_updates
        self.faults = faults
        self.bug = bug
        self.window = window
        self.bug_index: int | None = None
        self.events: list[dict] = []
        self.exec_state = {t: "TASK_STAGING" for t in self.tasks}
        self.exec_sent = {t: 0 for t in self.tasks}
        self.exec_pending: dict[str, dict[str, str]] = {t: {} for t in self.tasks}  # uuid -> state
        self.stream: dict[str, list[tuple[str, str]]] = {t: [] for t in self.tasks}
        self.durable: dict[str, list[tuple[str, str]]] = {t: [] for t in self.tasks}
        self.ackd = {t: 0 for t in self.tasks}
        self.agent_up = True
        self.seen: dict[str, set[str]] = {t: set() for t in self.tasks}
        self.net: Counter = Counter()  # (type, task, uuid, state) -> copies

    # -- helpers ---------------------------------------------------------------------------
    def emit(self, action: str, task: str = "", uuid: str | None = None,
             state: str = NO_STATE, msg: str = "") -> None:
        ev: dict = {"action": action}
        if task:
            ev["task"] = task
        if uuid is not None:
            ev["uuid"] = uuid
        if state != NO_STATE:
            ev["state"] = state
        if msg:
            ev["msg"] = msg
        self.events.append(ev)

    def send(self, m: tuple) -> None:
        self.net[m] += 1

    def take(self, m: tuple) -> None:
        self.net[m] -= 1
        if not self.net[m]:
            del self.net[m]

    def pos(self, t: str, uuid: str) -> int:  # 1-based stream position of a uuid
        return int(uuid.rsplit("-u", 1)[1])

    # -- enabled steps ---------------------------------------------------------------------
    def steps(self) -> list[Step]:
        out: list[Step] = []
        for t in self.tasks:
            if (len(self.exec_pending[t]) < self.window and self.exec_state[t] not in TERMINAL
                    and self.exec_sent[t] < self.max_updates):
                out.append((3, self.executor_update, t))
            if self.exec_pending[t]:
                out.append((1, self.executor_retry, t))
            if self.agent_up:
                if self.durable[t] != self.stream[t]:
                    out.append((4, self.agent_persist, t))
                if self.durable[t]:
                    out.append((2, self.agent_ack_executor, t))
                src = self.stream[t] if self.bug == "forward_unpersisted" else self.durable[t]
                if self.ackd[t] < len(src):
                    out.append((2, self.agent_forward, t))
        for m in sorted(self.net):
            if m[0] in AGENT_LINK - {"eack"} and not self.agent_up:
                continue
            out.append((5, self.deliver, m))
        if not self.agent_up:
            out.append((3, self.agent_restart, None))
        if self.faults > 0:
            for m in sorted(self.net):
                out.append((0.3, self.drop, m))
                out.append((0.2, self.duplicate, m))
            if self.agent_up:
                out.append((0.3, self.agent_crash, None))
            out.append((0.2, self.master_failover, None))
        return out

    def executor_update(self, t: str) -> None:
        s = self.rng.choice(NEXT_STATES[self.exec_state[t]])
        self.exec_sent[t] += 1
        uuid = f"{t}-u{self.exec_sent[t]}"
        self.exec_state[t] = s
        self.exec_pending[t][uuid] = s
        self.send(("update", t, uuid, s))
        self.emit("ExecutorUpdate", t, uuid, s)

    def executor_retry(self, t: str) -> None:
        uuid, s = self.rng.choice(sorted(self.exec_pending[t].items()))
        self.send(("update", t, uuid, s))
        self.emit("ExecutorUpdate", t, uuid, s)

    def agent_persist(self, t: str) -> None:
        self.durable[t] = list(self.stream[t])
        self.emit("AgentPersist", t, self.durable[t][-1][0])

    def agent_ack_executor(self, t: str) -> None:
        uuid, _ = self.rng.choice(self.durable[t][-2:])
        self.send(("eack", t, uuid, NO_STATE))
        self.emit("AgentAckExecutor", t, uuid)

    def agent_forward(self, t: str) -> None:
        src = self.stream[t] if self.bug == "forward_unpersisted" else self.durable[t]
        uuid, s = src[self.ackd[t]]
        if self.bug_index is None and self.ackd[t] >= len(self.durable[t]):
            self.bug_index = len(self.events)
        self.send(("fwd", t, uuid, s))
        self.emit("AgentForward", t, uuid, s)

    def deliver(self, m: tuple) -> None:
        ty, t, uuid, s = m
        self.take(m)
        if ty == "update":
            self.emit("AgentReceive", t, uuid, s)
            if self.pos(t, uuid) == len(self.stream[t]) + 1:
                self.stream[t].append((uuid, s))
        elif ty == "eack":
            self.emit("ExecutorReceiveAck", t, uuid)
            self.exec_pending[t].pop(uuid, None)
        elif ty == "fwd":
            self.emit("MasterForward", t, uuid, s)
            self.send(("relay", t, uuid, s))
        elif ty == "relay":
            self.emit("SchedulerReceive", t, uuid, s)
            self.seen[t].add(uuid)
            self.send(("sack", t, uuid, NO_STATE))
            if self.rng.random() < 0.5:
                self.emit("SchedulerAck", t, uuid)
        elif ty == "sack":
            self.emit("MasterForwardAck", t, uuid)
            self.send(("aack", t, uuid, NO_STATE))
        elif ty == "aack":
            self.emit("AgentReceiveAck", t, uuid)
            i = self.pos(t, uuid)
            if i == self.ackd[t] + 1 and i <= len(self.durable[t]):
                self.ackd[t] = i

    def agent_restart(self, _: None) -> None:
        self.agent_up = True
        self.emit("AgentRestart")

    def drop(self, m: tuple) -> None:
        self.faults -= 1
        self.take(m)
        self.emit("Drop", m[1], m[2], m[3], msg=m[0])

    def duplicate(self, m: tuple) -> None:
        self.faults -= 1
        self.send(m)
        self.emit("Duplicate", m[1], m[2], m[3], msg=m[0])

    def agent_crash(self, _: None) -> None:
        self.faults -= 1
        self.agent_up = False
        self.stream = {t: list(d) for t, d in self.durable.items()}
        for m in [m for m in self.net if m[0] in AGENT_LINK]:
            del self.net[m]
        self.emit("AgentCrash")

    def master_failover(self, _: None) -> None:
        self.faults -= 1
        for m in [m for m in self.net if m[0] in MASTER_LINK]:
            del self.net[m]
        self.emit("MasterFailover")

    def run(self, max_steps: int) -> list[dict]:
        for _ in range(max_steps):
            steps = self.steps()
            if not steps:
                break
            _, fn, arg = self.rng.choices(steps, weights=[w for w, _, _ in steps])[0]
            fn(arg)
        return self.events


def generate(seed: int, *, tasks: int = 2, max_updates: int = 3, faults: int = 4,
             max_steps: int = 200, window: int = 2) -> list[dict]:
    """A valid trace of the status-update protocol with faults (deterministic in seed).

    `window` is the number of updates the executor may have unacked per task.
    """
    return _Run(seed, tasks, max_updates, faults, None, window).run(max_steps)


def planted_bug_trace(seed: int = 0) -> tuple[list[dict], int]:
    """A run of an agent that forwards updates before checkpointing them.

    Returns (events, index of the first event the spec must reject): the first AgentForward
    of an update that is not checkpointed yet.
    """
    for s in range(seed, seed + 1000):
        run = _Run(s, 1, 3, 0, "forward_unpersisted")
        events = run.run(60)
        if run.bug_index is not None:
            return events, run.bug_index
    raise RuntimeError("the planted bug never showed")  # pragma: no cover
