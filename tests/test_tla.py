"""TLA+ models checked by TLC, broken variants rejected, and trace validation (issue 6).

Expected outcomes are in tla/expected.json (shared with `make tla` / tla/run.py).  Tests that
need TLC are skipped only when `java` is missing (CI installs a JRE).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

TLA_DIR = Path(__file__).resolve().parent.parent / "tla"
sys.path.insert(0, str(TLA_DIR))

import tlcrun
import tracecheck
import tracegen_demo

EXPECTED = json.loads((TLA_DIR / "expected.json").read_text())
MODELS = {m["name"]: m for m in EXPECTED["models"]}
CATALOG = {"NoOvercommit", "OfferExclusive", "LegalTaskTransitions", "UpdatesInOrder",
           "NoLostAckedWork", "SingleLaunch", "OneLeaderWrites", "RecoveryKeepsTasks",
           "EventuallyAcked", "EventuallyOffered", "EventuallyReregistered", "DrfOrder"}

needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="java is not installed: TLC (tla2tools.jar) needs a JRE")


def cfg_checks(cfg: str) -> list[str]:
    """Names under INVARIANTS/PROPERTIES in a TLC cfg file."""
    names, section = [], None
    for raw in (TLA_DIR / cfg).read_text().splitlines():
        line = raw.split("\\*")[0].strip()
        if not line:
            continue
        word = line.split()[0]
        if word in ("INVARIANT", "INVARIANTS", "PROPERTY", "PROPERTIES"):
            section = "check"
            names += line.split()[1:]
        elif word.isupper():
            section = None
        elif section == "check":
            names += line.split()
    return names


# -- pure Python: no TLC needed ----------------------------------------------------------

def test_catalog_names_are_defined_in_the_specs():
    text = "".join(p.read_text() for p in TLA_DIR.glob("*.tla"))
    defined = set(re.findall(r"^(\w+) ==", text, re.MULTILINE))
    assert CATALOG <= defined, CATALOG - defined
    checked = {n for m in EXPECTED["models"] for n in cfg_checks(m["cfg"])}
    assert CATALOG <= checked, CATALOG - checked


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cfg_checks_match_expected(name):
    m = MODELS[name]
    names = cfg_checks(m["cfg"])
    if "checks" in m:
        assert names == m["checks"]
    if "violated" in m:
        assert m["violated"] in names


def test_write_trace_module_is_a_tla_module():
    events = [{"action": "ExecutorUpdate", "task": "t1", "uuid": "abc", "state": "TASK_RUNNING"},
              {"action": "AgentReceive", "task": "t1", "uuid": "abc", "state": "TASK_RUNNING"},
              {"action": "AgentCrash"}]
    text = tracecheck.write_trace_module("TraceOne", events)
    assert text.startswith("---- MODULE TraceOne ----")
    assert 'TraceTasks == {"t1"}' in text
    assert '[action |-> "ExecutorUpdate", task |-> "t1", uuid |-> 1, state |-> "TASK_RUNNING", msg |-> ""]' in text
    assert '[action |-> "AgentCrash", task |-> "", uuid |-> 0, state |-> "-", msg |-> ""]' in text
    assert text.rstrip().endswith("====")


def test_uuids_become_stream_positions_per_task():
    evs = tracecheck.normalize([
        {"action": "ExecutorUpdate", "task": "t1", "uuid": "x", "state": "TASK_RUNNING"},
        {"action": "ExecutorUpdate", "task": "t2", "uuid": "y", "state": "TASK_RUNNING"},
        {"action": "ExecutorUpdate", "task": "t1", "uuid": "z", "state": "TASK_FINISHED"},
        {"action": "Drop", "msg": "update", "task": "t1", "uuid": "x", "state": "TASK_RUNNING"},
    ])
    assert [e["uuid"] for e in evs] == [1, 1, 2, 1]


@pytest.mark.parametrize("event", [
    {"action": "Teleport"},
    {"action": "ExecutorUpdate", "task": "t1", "uuid": 1},                      # no state
    {"action": "Drop", "task": "t1", "uuid": 1, "msg": "carrier-pigeon"},
    {"action": "AgentReceive", "uuid": 1, "state": "TASK_RUNNING"},              # no task
])
def test_malformed_events_are_refused(event):
    with pytest.raises(tracecheck.TraceFormatError):
        tracecheck.normalize([event])


def test_demo_generator_is_deterministic():
    assert tracegen_demo.generate(7) == tracegen_demo.generate(7)
    assert tracegen_demo.generate(7) != tracegen_demo.generate(8)
    kinds = {e["action"] for s in range(20) for e in tracegen_demo.generate(s)}
    assert {"AgentCrash", "MasterFailover", "Drop", "Duplicate", "AgentRestart"} <= kinds


# -- TLC -------------------------------------------------------------------------------

@needs_java
@pytest.mark.parametrize("name", sorted(n for n, m in MODELS.items() if not m.get("deep")))
def test_model(name):
    m = MODELS[name]
    res = tlcrun.run_tlc(m["module"], m["cfg"])
    assert res.exit_code == m["exit"], res.output[-3000:]
    if m["exit"] == 0:
        assert res.violated is None
        assert res.distinct_states == m["distinct_states"], (
            "distinct-state count changed; if the spec change is intended run "
            "`.venv/bin/python tla/run.py --update`")
    else:
        assert res.violated == m["violated"], res.output[-3000:]


def _hand_trace_out_of_order():
    """The agent forwards update 2 while update 1 (the head) is not acked: out of order."""
    def ev(action, uuid=None, state=None):
        e = {"action": action, "task": "t1"}
        if uuid:
            e["uuid"] = uuid
        if state:
            e["state"] = state
        return e
    return [
        ev("ExecutorUpdate", "u1", "TASK_RUNNING"),
        ev("AgentReceive", "u1", "TASK_RUNNING"),
        ev("AgentPersist", "u1"),
        ev("AgentAckExecutor", "u1"),
        ev("ExecutorReceiveAck", "u1"),
        ev("ExecutorUpdate", "u2", "TASK_FINISHED"),
        ev("AgentReceive", "u2", "TASK_FINISHED"),
        ev("AgentPersist", "u2"),
        ev("AgentForward", "u2", "TASK_FINISHED"),   # index 8: head is still u1
        ev("MasterForward", "u2", "TASK_FINISHED"),
    ]


def _hand_trace_valid_with_faults():
    def ev(action, uuid=None, state=None, msg=None, task="t1"):
        e = {"action": action}
        if task:
            e["task"] = task
        if uuid:
            e["uuid"] = uuid
        if state:
            e["state"] = state
        if msg:
            e["msg"] = msg
        return e
    R = "TASK_RUNNING"
    return [
        ev("ExecutorUpdate", "u1", R),
        ev("AgentReceive", "u1", R),
        ev("AgentCrash", task=None),                  # unpersisted u1 lost
        ev("AgentRestart", task=None),
        ev("ExecutorUpdate", "u1", R),                # executor retries
        ev("Duplicate", "u1", R, msg="update"),
        ev("AgentReceive", "u1", R),
        ev("AgentReceive", "u1", R),                  # duplicate ignored
        ev("AgentPersist", "u1"),
        ev("AgentAckExecutor", "u1"),
        ev("ExecutorReceiveAck", "u1"),
        ev("AgentForward", "u1", R),
        ev("Drop", "u1", R, msg="fwd"),
        ev("AgentForward", "u1", R),                  # retry
        ev("MasterForward", "u1", R),
        ev("MasterFailover", task=None),              # relay lost
        ev("AgentForward", "u1", R),
        ev("MasterForward", "u1", R),
        ev("SchedulerReceive", "u1", R),
        ev("SchedulerAck", "u1"),
        ev("MasterForwardAck", "u1"),
        ev("AgentReceiveAck", "u1"),
    ]


@pytest.fixture(scope="module")
def trace_batch():
    """One TLC run for all trace tests: demo traces, hand traces and the planted bug."""
    spec = EXPECTED["traces"]
    demo = [tracegen_demo.generate(spec["seed"] + i, max_steps=spec["max_steps"])
            for i in range(spec["count"])]
    bad, bad_index = tracegen_demo.planted_bug_trace(spec["seed"])
    traces = [*demo, _hand_trace_valid_with_faults(), _hand_trace_out_of_order(), bad]
    return demo, bad_index, tracecheck.check_traces(traces)


@needs_java
def test_demo_traces_are_accepted(trace_batch):
    demo, _, results = trace_batch
    rejected = [r.describe() for r in results[:len(demo)] if not r.accepted]
    assert not rejected
    assert all(r.matched == r.length for r in results[:len(demo)])


@needs_java
def test_hand_trace_with_every_fault_kind_is_accepted(trace_batch):
    demo, _, results = trace_batch
    assert results[len(demo)].accepted, results[len(demo)].describe()


@needs_java
def test_out_of_order_forward_is_rejected_at_that_event(trace_batch):
    demo, _, results = trace_batch
    r = results[len(demo) + 1]
    assert not r.accepted
    assert r.first_bad_index == 8
    assert r.first_bad_event["action"] == "AgentForward"
    assert r.first_bad_event["uuid"] == "u2"


@needs_java
def test_planted_bug_forward_before_persist_is_rejected(trace_batch):
    _, bad_index, results = trace_batch
    r = results[-1]
    assert not r.accepted
    assert r.first_bad_index == bad_index
    assert r.first_bad_event["action"] == "AgentForward"
    assert "rejected" in r.describe().lower()
