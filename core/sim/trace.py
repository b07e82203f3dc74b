"""Abstract status-update traces of simulator runs, in the format of docs/formal.md
("Trace format"), for trace validation against tla/StatusUpdates.tla (tla/tracecheck.py).

One trace per agent: the spec models one agent, a stateless master relay, schedulers that
ack as they receive, and a network that is a bag of messages. The `Tracer` keeps its own
copy of that bag per agent, so it logs `Drop` exactly when the world loses a message the
spec still holds (a partition, a broken connection, a crashed receiver, a master that
ignores it), and `Duplicate` when the lossy network copies one.

What the spec does not describe is cut out soundly:
- tasks of frameworks that do not acknowledge at once (the spec's scheduler acks on
  receipt), tasks with agent-generated updates (the spec's updates all come from the
  executor), states outside the spec's table, updates after a terminal one: removed from
  the trace (tasks are independent in the spec);
- an agent restart in cleanup mode, or a power loss that loses an acknowledgement record
  (the spec's `ackd` survives crashes) or part of a task's unsynced stream: the trace
  stops there (a prefix of a behaviour is a behaviour).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from mesotron.core.messages import (
    CallAcknowledge,
    EventUpdate,
    ExecutorAcknowledged,
    ExecutorSubscribe,
    ExecutorUpdate,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.status_updates import AckRecord, UpdateRecord

SPEC_STATES = frozenset({"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED",
                         "TASK_FAILED", "TASK_KILLED", "TASK_LOST"})
TERMINAL = frozenset({"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST"})
AGENT_LINK = ("update", "eack", "aack")

# a traced message: (agent trace, type, task, uuid hex, state or None)
TMsg = tuple[str, str, str, str, str | None]


class Tracer:
    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.bags: dict[str, Counter[tuple[str, str, str, str | None]]] = {}
        self.stopped: set[str] = set()
        self.uuids: dict[str, tuple[str, str, str]] = {}  # uuid hex -> (agent, task, state)
        self.from_executor: set[tuple[str, str]] = set()  # (agent, task) of executor updates
        self.unsynced: dict[str, list[tuple[str, str]]] = {}  # agent -> [(task, uuid)]
        self.acks_before: dict[tuple[str, ...], int] = {}

    # ------------------------------------------------------------------ basics
    def log(self, agent: str, action: str, task: str | None = None, uuid: str | None = None,
            state: str | None = None, msg: str | None = None) -> None:
        if agent in self.stopped:
            return
        ev: dict[str, Any] = {"action": action}
        if task is not None:
            ev["task"] = task
        if uuid is not None:
            ev["uuid"] = uuid
        if state is not None:
            ev["state"] = state
        if msg is not None:
            ev["msg"] = msg
        self.events.setdefault(agent, []).append(ev)

    def put(self, m: TMsg) -> None:
        self.bags.setdefault(m[0], Counter())[m[1:]] += 1

    def take(self, m: TMsg) -> bool:
        bag = self.bags.get(m[0])
        if bag is None or bag[m[1:]] <= 0:
            return False
        bag[m[1:]] -= 1
        return True

    def drop(self, tms: list[TMsg]) -> None:
        """The world lost these messages (if the spec still holds them: a Drop)."""
        for m in tms:
            if self.take(m):
                self.log(m[0], "Drop", m[2], m[3], m[4], msg=m[1])

    def duplicate(self, tms: list[TMsg]) -> None:
        for m in tms:
            self.put(m)
            self.log(m[0], "Duplicate", m[2], m[3], m[4], msg=m[1])

    def stop(self, agent: str) -> None:
        self.stopped.add(agent)

    @staticmethod
    def task(fw: str, task_id: str) -> str:
        return f"{fw}/{task_id}"

    # ------------------------------------------------------------------ executor
    def executor_send(self, agent: str, fw: str, msg: Any) -> list[TMsg]:
        t = type(msg)
        statuses = []
        if t is ExecutorUpdate:
            statuses = [msg.status]
        elif t is ExecutorSubscribe:
            statuses = [u.status for u in msg.unacknowledged_updates]
        out: list[TMsg] = []
        for st in statuses:
            if st.uuid is None:
                continue
            task, u, state = self.task(fw, st.task_id), st.uuid.hex(), st.state.name
            self.uuids[u] = (agent, task, state)
            self.from_executor.add((agent, task))
            self.log(agent, "ExecutorUpdate", task, u, state)
            m = (agent, "update", task, u, state)
            self.put(m)
            out.append(m)
        return out

    def executor_receive(self, tms: list[TMsg]) -> None:
        for m in tms:
            if m[1] == "eack" and self.take(m):
                self.log(m[0], "ExecutorReceiveAck", m[2], m[3])

    # ------------------------------------------------------------------ agent
    def agent_receive(self, tms: list[TMsg]) -> None:
        for m in tms:
            if self.take(m):
                if m[1] == "update":
                    self.log(m[0], "AgentReceive", m[2], m[3], m[4])
                elif m[1] == "aack":
                    self.log(m[0], "AgentReceiveAck", m[2], m[3])

    def agent_persist(self, agent: str, fw: str, record: Any) -> None:
        if type(record) is UpdateRecord:
            u = record.update
            self.unsynced.setdefault(agent, []).append(
                (self.task(fw, u.status.task_id), u.uuid.hex()))

    def agent_synced(self, agent: str) -> None:
        pend = self.unsynced.pop(agent, None)
        if not pend:
            return
        last: dict[str, str] = {}
        for task, u in pend:
            last[task] = u
        for task, u in last.items():
            self.log(agent, "AgentPersist", task, u)

    def agent_send(self, agent: str, msg: Any) -> list[TMsg]:
        t = type(msg)
        if t is ExecutorAcknowledged:
            info = self.uuids.get(msg.uuid.hex())
            if info is None:
                return []
            task = info[1]
            self.log(agent, "AgentAckExecutor", task, msg.uuid.hex())
            m: TMsg = (agent, "eack", task, msg.uuid.hex(), None)
        elif t is StatusUpdateMessage:
            u = msg.update
            task, uh, state = self.task(u.framework_id, u.status.task_id), u.uuid.hex(), \
                u.status.state.name
            self.uuids.setdefault(uh, (agent, task, state))
            self.log(agent, "AgentForward", task, uh, state)
            m = (agent, "fwd", task, uh, state)
        else:
            return []
        self.put(m)
        return [m]

    def before_crash(self, agent: str, disk: Any) -> None:
        self.acks_before = {k: sum(1 for r in v if type(r) is AckRecord)
                            for k, v in disk.logs.items()}

    def agent_crash(self, agent: str, disk: Any) -> None:
        acks_after = {k: sum(1 for r in v if type(r) is AckRecord) for k, v in disk.logs.items()}
        if any(acks_after.get(k, 0) < n for k, n in self.acks_before.items()):
            self.stop(agent)  # an acknowledgement record was lost: the spec's ackd is durable
        pend = self.unsynced.pop(agent, [])
        kept: dict[str, list[str]] = {}
        lost: set[str] = set()
        for task, u in pend:
            fw, _, tid = task.partition("/")
            log = disk.logs.get(("updates", fw, tid), ())
            if any(type(r) is UpdateRecord and r.update.uuid.hex() == u for r in log):
                kept.setdefault(task, []).append(u)
            else:
                lost.add(task)
        if any(t in lost for t in kept):
            self.stop(agent)  # part of one task's unsynced stream survived
        for task, us in kept.items():
            self.log(agent, "AgentPersist", task, us[-1])
        self.log(agent, "AgentCrash")
        bag = self.bags.get(agent)
        if bag:
            for key in [k for k in bag if k[0] in AGENT_LINK]:
                del bag[key]

    def agent_restart(self, agent: str, mode: str) -> None:
        if mode != "reconnect":
            self.stop(agent)
            return
        if agent in self.events:
            self.log(agent, "AgentRestart")

    # ------------------------------------------------------------------ master
    def master_step(self, tms: list[TMsg], effects: list[Any]) -> dict[int, list[TMsg]]:
        """The master consumed `tms`; returns index of effect -> messages it carries."""
        out: dict[int, list[TMsg]] = {}
        if not tms:
            return out
        for m in tms:
            if not self.take(m):
                continue
            if m[1] == "fwd":
                idx = self._find(effects, EventUpdate, m[3])
                if idx is None:
                    self.log(m[0], "Drop", m[2], m[3], m[4], msg="fwd")
                    continue
                self.log(m[0], "MasterForward", m[2], m[3], m[4])
                r: TMsg = (m[0], "relay", m[2], m[3], m[4])
            elif m[1] == "sack":
                idx = self._find(effects, StatusUpdateAcknowledgement, m[3])
                if idx is None:
                    self.log(m[0], "Drop", m[2], m[3], msg="sack")
                    continue
                self.log(m[0], "MasterForwardAck", m[2], m[3])
                r = (m[0], "aack", m[2], m[3], None)
            else:
                continue
            self.put(r)
            out.setdefault(idx, []).append(r)
        return out

    @staticmethod
    def _find(effects: list[Any], mtype: type, uuid_hex: str) -> int | None:
        for i, e in enumerate(effects):
            msg: Any = getattr(e, "message", None)
            if type(msg) is not mtype:
                continue
            carried: Any = msg
            u = carried.status.uuid if mtype is EventUpdate else carried.uuid
            if u is not None and u.hex() == uuid_hex:
                return i
        return None

    # ------------------------------------------------------------------ scheduler
    def scheduler_step(self, tms: list[TMsg], effects: list[Any]) -> dict[int, list[TMsg]]:
        out: dict[int, list[TMsg]] = {}
        for m in tms:
            if m[1] != "relay" or not self.take(m):
                continue
            idx = None
            for i, e in enumerate(effects):
                call: Any = getattr(getattr(e, "message", None), "call", None)
                if type(call) is CallAcknowledge and call.uuid.hex() == m[3]:
                    idx = i
                    break
            if idx is None:  # an event of a stream the driver no longer owns: ignored
                self.log(m[0], "Drop", m[2], m[3], m[4], msg="relay")
                continue
            self.log(m[0], "SchedulerReceive", m[2], m[3], m[4])
            s: TMsg = (m[0], "sack", m[2], m[3], None)
            self.put(s)
            out.setdefault(idx, []).append(s)
        return out

    # ------------------------------------------------------------------ output
    def traces(self, acking_frameworks: set[str]) -> list[list[dict[str, Any]]]:
        """One trace per agent, restricted to the tasks the spec describes."""
        out = []
        for agent in sorted(self.events):
            events = self.events[agent]
            bad: set[str] = set()
            terminal: dict[str, int] = {}
            for ev in events:
                task = ev.get("task")
                if task is None:
                    continue
                fw = task.partition("/")[0]
                if fw not in acking_frameworks or (agent, task) not in self.from_executor:
                    bad.add(task)
                st = ev.get("state")
                if st is not None and st not in SPEC_STATES:
                    bad.add(task)
                if ev["action"] == "ExecutorUpdate" and st in TERMINAL:
                    terminal[task] = terminal.get(task, 0) + 1
                u = ev.get("uuid")
                if u is not None and u not in self._executor_uuids(agent, task):
                    bad.add(task)  # an agent-generated update
            bad |= {t for t, n in terminal.items() if n > 1}
            kept = [ev for ev in events if ev.get("task") not in bad]
            if any(ev.get("task") for ev in kept):
                out.append(kept)
        return out

    def _executor_uuids(self, agent: str, task: str) -> set[str]:
        cache = getattr(self, "_eu", None)
        if cache is None:
            cache = {}
            for a, evs in self.events.items():
                for ev in evs:
                    if ev["action"] == "ExecutorUpdate":
                        cache.setdefault((a, ev["task"]), set()).add(ev["uuid"])
            self._eu = cache
        return cache.get((agent, task), set())


def traces_of(result: Any) -> list[list[dict[str, Any]]]:
    w = result.world
    tracer = getattr(w, "tracer", None)
    if tracer is None:
        return []
    acking = {s.app.framework_id for s in w.schedulers if s.app.acks and s.app.framework_id}
    return tracer.traces(acking)


def dumps_traces(result: Any) -> tuple[str, int]:
    """The run's traces as JSON text (a list of traces) and how many there are."""
    traces = traces_of(result)
    return json.dumps(traces, separators=(",", ":")), len(traces)
