"""Trace validation of recorded status-update runs against tla/StatusUpdates.tla.

A trace is a list of events, each a dict (see docs/formal.md, "Trace format")::

    {"action": "ExecutorUpdate", "task": "t1", "uuid": "u-1", "state": "TASK_RUNNING"}
    {"action": "Drop", "msg": "fwd", "task": "t1", "uuid": "u-1", "state": "TASK_RUNNING"}

`check_traces` writes all traces into ONE generated module (TraceData.tla), runs TLC once on
TraceStatusUpdates.tla (which picks a trace and replays it with a line counter `l`, printing
`<<"matched", tr, l>>` at every step it takes), reads those lines from TLC's output and reports, per trace, whether it was accepted and otherwise the first
event the spec does not allow (the longest matched prefix is max `l` over the states of that
trace).  Plain TLC 2.15: no CommunityModules, no JSON module.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tlcrun

ACTIONS = (
    "ExecutorUpdate",      # executor sends update(task, uuid, state): new or retried
    "AgentReceive",        # agent receives update(task, uuid, state) from the executor
    "AgentPersist",        # agent checkpoints task's stream; uuid = last checkpointed uuid
    "AgentAckExecutor",    # agent sends ack(task, uuid) to the executor
    "ExecutorReceiveAck",  # executor receives ack(task, uuid)
    "AgentForward",        # agent (re-)forwards the stream head update(task, uuid, state)
    "MasterForward",       # master relays update(task, uuid, state) to the scheduler
    "SchedulerReceive",    # scheduler receives update(task, uuid, state) (and acks it)
    "SchedulerAck",        # optional: scheduler's ack of (task, uuid), after its receipt
    "MasterForwardAck",    # master relays the scheduler's ack(task, uuid) to the agent
    "AgentReceiveAck",     # agent receives ack(task, uuid)
    "AgentCrash",          # agent process dies: unpersisted updates and its links are lost
    "AgentRestart",        # agent restarts and recovers its checkpoint
    "MasterFailover",      # leading master fails over: messages on master links are lost
    "Drop",                # the network loses one copy of msg(task, uuid, state)
    "Duplicate",           # the network duplicates one copy of msg(task, uuid, state)
)
# message types (the "msg" field of Drop/Duplicate)
MSG_TYPES = ("update", "eack", "fwd", "relay", "sack", "aack")
TASK_STATES = ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED",
               "TASK_FAILED", "TASK_KILLED", "TASK_LOST")
_NEEDS_TASK = set(ACTIONS) - {"AgentCrash", "AgentRestart", "MasterFailover"}
_NEEDS_STATE = {"ExecutorUpdate", "AgentReceive", "AgentForward", "MasterForward",
                "SchedulerReceive"}


class TraceFormatError(ValueError):
    """An event is malformed (unknown action, missing field...)."""


@dataclasses.dataclass(frozen=True)
class TraceResult:
    index: int                    # position in the list given to check_traces
    accepted: bool
    matched: int                  # length of the longest prefix the spec allows
    length: int
    first_bad_index: int | None   # index of the first event the spec does not allow
    first_bad_event: Mapping | None

    def describe(self) -> str:
        if self.accepted:
            return f"trace {self.index}: accepted ({self.length} events)"
        return (f"trace {self.index}: REJECTED at event {self.first_bad_index}: "
                f"{dict(self.first_bad_event or {})} (matched {self.matched}/{self.length})")


def _tla_string(s: str) -> str:
    if not isinstance(s, str):
        raise TraceFormatError(f"expected a string, got {s!r}")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def normalize(events: Sequence[Mapping]) -> list[dict]:
    """Validate events and map uuids to per-task stream positions 1, 2, ... (first appearance)."""
    uuids: dict[tuple[str, object], int] = {}
    next_pos: dict[str, int] = {}
    out = []
    for i, ev in enumerate(events):
        action = ev.get("action")
        if action not in ACTIONS:
            raise TraceFormatError(f"event {i}: unknown action {action!r} (known: {ACTIONS})")
        task = ev.get("task", "")
        if action in _NEEDS_TASK and not task:
            raise TraceFormatError(f"event {i}: {action} needs a 'task'")
        state = ev.get("state", "-") or "-"
        if action in _NEEDS_STATE and state not in TASK_STATES:
            raise TraceFormatError(f"event {i}: {action} needs a 'state' in {TASK_STATES}")
        msg = ev.get("msg", "")
        if action in ("Drop", "Duplicate") and msg not in MSG_TYPES:
            raise TraceFormatError(f"event {i}: {action} needs 'msg' in {MSG_TYPES}")
        uuid = 0
        if "uuid" in ev and ev["uuid"] is not None and task:
            key = (task, ev["uuid"])
            if key not in uuids:
                next_pos[task] = next_pos.get(task, 0) + 1
                uuids[key] = next_pos[task]
            uuid = uuids[key]
        elif action in _NEEDS_TASK:
            raise TraceFormatError(f"event {i}: {action} needs a 'uuid'")
        out.append({"action": action, "task": task, "uuid": uuid, "state": state, "msg": msg})
    return out


def _record(ev: Mapping) -> str:
    return ("[action |-> {a}, task |-> {t}, uuid |-> {u}, state |-> {s}, msg |-> {m}]"
            .format(a=_tla_string(ev["action"]), t=_tla_string(ev["task"]), u=int(ev["uuid"]),
                    s=_tla_string(ev["state"]), m=_tla_string(ev["msg"])))


def _trace_literal(events: Sequence[Mapping]) -> str:
    return "<<" + ",\n    ".join(_record(e) for e in events) + ">>"


def write_traces_module(name: str, traces: Sequence[Sequence[Mapping]]) -> str:
    """TLA+ module `name` defining Traces (a sequence of normalized traces) and TraceTasks."""
    norm = [normalize(t) for t in traces]
    tasks = sorted({e["task"] for t in norm for e in t if e["task"]}) or ["t1"]
    body = ",\n  ".join(_trace_literal(t) for t in norm)
    return (f"---- MODULE {name} ----\n"
            "\\* Generated by tla/tracecheck.py; do not edit.\n"
            "EXTENDS Sequences\n"
            f"TraceTasks == {{{', '.join(_tla_string(t) for t in tasks)}}}\n"
            f"Traces == <<\n  {body}\n  >>\n"
            "====\n")


def write_trace_module(name: str, events: Sequence[Mapping]) -> str:
    """TLA+ module `name` holding one trace (as a batch of one, see write_traces_module)."""
    return write_traces_module(name, [events])


def _max_uuid(traces: Sequence[Sequence[Mapping]]) -> int:
    m = 1
    for t in traces:
        for e in normalize(t):
            m = max(m, e["uuid"])
    return m


# each step a Trace* module takes prints the trace's index and the matched prefix's length
_MATCHED = re.compile(r'^<<"matched", (\d+), (\d+)>>$', re.MULTILINE)


def check_traces(traces: Sequence[Sequence[Mapping]], *, timeout: float = 600) -> list[TraceResult]:
    """Validate many traces in one TLC run; one TraceResult per trace, in order."""
    if not traces:
        return []
    data = write_traces_module("TraceData", traces)
    cfg = (
        "\\* generated by tla/tracecheck.py\n"
        "CONSTANTS\n"
        "    Tasks <- TraceTasks\n"
        "    ExecStates <- TaskStates\n"
        f"    MaxUpdates = {_max_uuid(traces)}\n"
        f"    ExecWindow = {_max_uuid(traces)}\n"
        "    MaxCopies = 1000000\n"
        "    MaxFaults = 1000000\n"
        "    AckBeforePersist = FALSE\n"
        "INIT TraceInit\n"
        "NEXT TraceNext\n"
    )
    res = tlcrun.run_tlc("TraceStatusUpdates", cfg, files={"TraceData.tla": data},
                         deadlock=True, timeout=timeout)
    if res.exit_code != 0:
        raise RuntimeError(f"TLC failed on the trace batch (exit {res.exit_code}):\n{res.output[-4000:]}")
    return _results(traces, res.output)


# ---------------------------------------------------------------- MasterFailover, Allocator
# Simulator traces abstracted by core/sim/spectrace.py; one record per event with the
# fields below (missing ones get the default).
SPEC_FIELDS = {
    "MasterFailover": {"action": "", "m": "", "a": "", "t": "", "e": 0},
    "Allocator": {"action": "", "f": "", "a": "", "units": frozenset(), "s": frozenset(),
                  "n": 0, "cap": 0},
}
SPEC_ACTIONS = {
    "MasterFailover": ("ZkExpire", "Elect", "StepDown", "Fenced", "Recover", "Fence",
                       "AgentRegister", "AgentReregister", "AgentRegisterRemoved",
                       "MarkUnreachable", "Partition", "Heal", "AgentRestart", "Subscribe",
                       "Launch", "AgentRunTask"),
    "Allocator": ("Allocate", "Accept", "Decline", "Rescind", "TaskFinish", "AgentRemove",
                  "AgentAdd", "Expire"),
}


def _tla_value(v: object) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _tla_string(v)
    if isinstance(v, (set, frozenset, list, tuple)):
        return "{" + ", ".join(_tla_value(x) for x in sorted(v)) + "}"
    raise TraceFormatError(f"cannot write {v!r} as a TLA+ value")


def write_spec_traces_module(spec: str, name: str, traces: Sequence[Sequence[Mapping]]) -> str:
    fields = SPEC_FIELDS[spec]
    lits = []
    for t in traces:
        recs = []
        for i, ev in enumerate(t):
            if ev.get("action") not in SPEC_ACTIONS[spec]:
                raise TraceFormatError(f"event {i}: unknown {spec} action {ev.get('action')!r}")
            recs.append("[" + ", ".join(f"{k} |-> {_tla_value(ev.get(k, d))}"
                                        for k, d in fields.items()) + "]")
        lits.append("<<" + ",\n    ".join(recs) + ">>")
    return (f"---- MODULE {name} ----\n"
            "\\* Generated by tla/tracecheck.py; do not edit.\n"
            "EXTENDS Sequences\n"
            f"Traces == <<\n  {', '.join(lits) if lits else ''}\n  >>\n"
            "====\n")


def _names(traces: Sequence[Sequence[Mapping]], *keys: str) -> list[str]:
    return sorted({str(e[k]) for t in traces for e in t for k in keys if e.get(k)})


def check_spec_traces(spec: str, traces: Sequence[Sequence[Mapping]], *,
                      timeout: float = 900) -> list[TraceResult]:
    """Validate simulator traces against MasterFailover.tla or Allocator.tla in ONE TLC run
    (TraceMasterFailover.tla / TraceAllocator.tla); one TraceResult per trace."""
    if not traces:
        return []
    if spec == "MasterFailover":
        data_name, module = "TraceMFData", "TraceMasterFailover"
        masters = _names(traces, "m") or ["m"]
        agents = _names(traces, "a") or ["a"]
        tasks = _names(traces, "t") or ["t"]
        consts = (f"    Masters = {{{', '.join(_tla_string(x) for x in masters)}}}\n"
                  f"    Agents = {{{', '.join(_tla_string(x) for x in agents)}}}\n"
                  f"    Tasks = {{{', '.join(_tla_string(x) for x in tasks)}}}\n"
                  "    MaxFaults = 1000000\n    NoFencing = FALSE\n")
    elif spec == "Allocator":
        data_name, module = "TraceAllocData", "TraceAllocator"
        fws = _names(traces, "f") or ["f"]
        agents = _names(traces, "a") or ["a"]
        cap = max([int(e.get("cap", 0)) for t in traces for e in t] + [1])
        consts = (f"    Frameworks = {{{', '.join(_tla_string(x) for x in fws)}}}\n"
                  f"    Agents = {{{', '.join(_tla_string(x) for x in agents)}}}\n"
                  f"    Cap = {cap}\n    Weight <- TraceWeight\n    FilterTicks = 1\n"
                  "    MaxFaults = 1000000\n    DoubleOffer = FALSE\n    NeverExpire = FALSE\n")
    else:
        raise ValueError(spec)
    data = write_spec_traces_module(spec, data_name, traces)
    cfg = ("\\* generated by tla/tracecheck.py\nCONSTANTS\n" + consts
           + "INIT TraceInit\nNEXT TraceNext\n")
    res = tlcrun.run_tlc(module, cfg, files={f"{data_name}.tla": data},
                         deadlock=True, timeout=timeout)
    if res.exit_code != 0:
        raise RuntimeError(f"TLC failed on the {spec} trace batch (exit {res.exit_code}):\n"
                           f"{res.output[-4000:]}")
    return _results(traces, res.output)


def _results(traces: Sequence[Sequence[Mapping]], output: str) -> list[TraceResult]:
    """Per trace: the longest prefix TLC matched (the largest l its steps printed)."""
    best = [0] * len(traces)
    for m in _MATCHED.finditer(output):
        k = int(m.group(1)) - 1
        best[k] = max(best[k], int(m.group(2)))
    results = []
    for k, events in enumerate(traces):
        n = len(events)
        ok = best[k] >= n
        results.append(TraceResult(
            index=k, accepted=ok, matched=best[k], length=n,
            first_bad_index=None if ok else best[k],
            first_bad_event=None if ok else dict(events[best[k]])))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Command line.

    python tla/tracecheck.py FILE.json ...   check recorded traces: each file holds one trace
                                             (a list of events) or a list of traces
    python tla/tracecheck.py [N [SEED]]      check N demo traces and one planted-bug trace
    Exit status 1 if a recorded trace is rejected.
    """
    import json

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].endswith(".json"):
        traces: list = []
        for name in args:
            data = json.loads(Path(name).read_text())
            is_single = bool(data) and isinstance(data[0], dict)
            traces.extend([data] if is_single else data)
        results = check_traces(traces)
        for r in results:
            print(r.describe())
        return 0 if all(r.accepted for r in results) else 1

    import tracegen_demo

    n = int(args[0]) if args else 20
    seed = int(args[1]) if len(args) > 1 else 0
    demo = [tracegen_demo.generate(seed + i) for i in range(n)]
    bad, _ = tracegen_demo.planted_bug_trace(seed)
    for r in check_traces([*demo, bad]):
        print(r.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
