"""Scenario driver for the agent's status-update manager (machine: status_updates).

Commands (key=value args; defaults fw=fw1, checkpoint=true):
  update task=t1 state=TASK_RUNNING [uuid=u1] [fw=fw1] [executor=e1] [checkpoint=false]
        an executor's update; a new uuid name (u1, u2, ...) unless uuid= reuses one
  ack task=t1 uuid=u1 [fw=fw1]      the scheduler's ack relayed by the master
  pause | resume                    master lost / agent (re-)registered
  cleanup fw=fw1                    the framework is removed
  restart                           the agent crashes: timers lost, new manager, Recover(logs)
  inject task=t1 ack uuid=u9 | inject task=t1 junk
                                    append an inconsistent record to the persisted log
  log task=t1 [fw=fw1]              the persisted records of a stream
  pending task=t1 [fw=fw1]          the manager's pending updates of a task
  tick <seconds> | describe

Uuids are real 16-byte values from a seeded IdSource; output names them u1, u2, ...
"""

from __future__ import annotations

from typing import Any

from mesotron.core.effects import (
    CancelTimer,
    Log,
    Persist,
    Reject,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.ids import IdSource
from mesotron.core.messages import StatusUpdate, StatusUpdateMessage
from mesotron.core.status_updates import (
    Acknowledge,
    AckRecord,
    CleanupFramework,
    Pause,
    Recover,
    Resume,
    StreamClosed,
    TaskStatusUpdateManager,
    Update,
    UpdateRecord,
    log_key,
)
from mesotron.core.values import Source, TaskState, TaskStatus


def _key(k: tuple[str, ...]) -> str:
    return "(" + ",".join(f'"{p}"' for p in k) + ")"


class Driver:
    def __init__(self) -> None:
        self.now = 0.0
        self.ids = IdSource(seed="scn-status-updates")
        self.names: dict[bytes, str] = {}
        self.by_name: dict[str, bytes] = {}
        self.auto = 0
        self.sum = TaskStatusUpdateManager()
        self.timers: dict[tuple[str, ...], float] = {}
        self.logs: dict[tuple[str, ...], list[Any]] = {}

    # ------------------------------------------------------------ helpers
    def uuid(self, name: str | None) -> bytes:
        auto = False
        while name is None or (auto and name in self.by_name):
            self.auto += 1
            name, auto = f"u{self.auto}", True
        if name not in self.by_name:
            u = self.ids.next_uuid()
            self.by_name[name] = u
            self.names[u] = name
        return self.by_name[name]

    def name(self, u: bytes) -> str:
        return self.names.get(u, u.hex()[:8])

    def _hexname(self, text: str) -> str:
        for u, n in self.names.items():
            text = text.replace(u.hex()[:8], n)
        return text

    def fmt_update(self, su: StatusUpdate) -> str:
        return f"{su.status.task_id} {su.status.state.name} {self.name(su.uuid)}"

    def fmt(self, e: Any) -> str:
        if isinstance(e, Persist):
            r = e.record
            if isinstance(r, UpdateRecord):
                what = "UPDATE " + self.fmt_update(r.update)
            elif isinstance(r, AckRecord):
                what = "ACK " + self.name(r.uuid)
            else:
                what = repr(r)
            return f"persist {_key(e.key)} {'append ' if e.append else ''}{what}"
        if isinstance(e, Send):
            m = e.message
            assert isinstance(m, StatusUpdateMessage)
            latest = m.update.latest_state.name if m.update.latest_state else "-"
            return f"send {e.to} StatusUpdate {self.fmt_update(m.update)} latest={latest}"
        if isinstance(e, SetTimer):
            return f"timer {_key(e.key)} at {e.at:.1f}"
        if isinstance(e, CancelTimer):
            return f"cancel timer {_key(e.key)}"
        if isinstance(e, Log):
            fields = " ".join(f"{k}={v}" for k, v in e.fields)
            return self._hexname(f"log {e.level} {e.event} {fields}".replace("'", ""))
        if isinstance(e, StreamClosed):
            gone = ",".join(self.name(u) for u in e.discarded)
            return f"stream closed {e.framework_id}/{e.task_id}" + (
                f" discarded [{gone}]" if gone else "")
        if isinstance(e, Reject):
            return f"reject {e.status} {e.message}"
        return repr(e)

    def apply(self, effects: list[Any]) -> list[str]:
        """Play the shell: keep timers, append persisted records; format each effect."""
        out = []
        for e in effects:
            if isinstance(e, SetTimer):
                self.timers[e.key] = e.at
            elif isinstance(e, CancelTimer):
                self.timers.pop(e.key, None)
            elif isinstance(e, Persist) and e.append:
                self.logs.setdefault(e.key, []).append(e.record)
            out.append(self.fmt(e))
        return out

    def step(self, inp: Any) -> list[str]:
        return self.apply(self.sum.step(self.now, inp))

    # ------------------------------------------------------------ commands
    def run(self, command: str, args: list[str], kw: dict[str, str]) -> list[str]:
        fw = kw.get("fw", "fw1")
        if command == "update":
            u = self.uuid(kw.get("uuid"))
            status = TaskStatus(task_id=kw["task"], state=TaskState[kw["state"]],
                                source=Source.SOURCE_EXECUTOR, executor_id=kw.get("executor"),
                                uuid=u, timestamp=self.now)
            su = StatusUpdate(framework_id=fw, status=status, uuid=u)
            return self.step(Update(update=su, checkpoint=kw.get("checkpoint", "true") == "true"))
        if command == "ack":
            return self.step(Acknowledge(framework_id=fw, task_id=kw["task"],
                                         uuid=self.uuid(kw["uuid"])))
        if command == "pause":
            return self.step(Pause())
        if command == "resume":
            return self.step(Resume())
        if command == "cleanup":
            return self.step(CleanupFramework(framework_id=fw))
        if command == "restart":
            self.timers.clear()
            self.sum = TaskStatusUpdateManager(config=self.sum.config)
            logs = {k: tuple(v) for k, v in self.logs.items()}
            return self.step(Recover(logs=logs))
        if command == "inject":
            rec: Any = AckRecord(uuid=self.uuid(kw["uuid"])) if "ack" in args else ("junk",)
            self.logs.setdefault(log_key(fw, kw["task"]), []).append(rec)
            return []
        if command == "log":
            recs = self.logs.get(log_key(fw, kw["task"]), [])
            return [self.fmt(Persist(key=log_key(fw, kw["task"]), record=r)) for r in recs]
        if command == "pending":
            return [self.fmt_update(su) for su in self.sum.pending(fw, kw["task"])]
        if command == "tick":
            return self.tick(float(args[0]))
        if command == "describe":
            return self._hexname(self.sum.describe()).splitlines()
        raise ValueError(f"unknown command {command!r}")

    def tick(self, seconds: float) -> list[str]:
        end = self.now + seconds
        out: list[str] = []
        while True:
            due = sorted((at, k) for k, at in self.timers.items() if at <= end)
            if not due:
                break
            at, k = due[0]
            self.now = max(self.now, at)
            del self.timers[k]
            out += self.step(TimerFired(key=k))
        self.now = end
        return out
