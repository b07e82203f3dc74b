"""The campaign's checker: a separate program over a recorded history, reusable on any
history in this format (`mesotron lab check HISTORY`).

A history is JSON lines, one per client-side observation:

    {"t": 12.3, "fw": "f1", "op": "subscribed", "framework_id": "..."}
    {"t": 12.4, "fw": "f1", "op": "launch", "task": "f1-t7", "agent": "S2"}
    {"t": 12.9, "fw": "f1", "op": "update", "task": "f1-t7", "state": "TASK_RUNNING",
     "agent": "S2", "uuid": "ab12..." | null, "reason": "..."}
    {"t": 13.0, "fw": "f1", "op": "ack", "task": "f1-t7", "uuid": "ab12..."}
    {"t": 14.0, "fw": "f1", "op": "reconcile", "tasks": ["f1-t7", ...]}
    {"t": 20.0, "op": "fault", "fault": "kill9 agent2", "kind": "crash"}
    {"t": 99.0, "op": "final", "master_tasks": {"f1-t7": "TASK_FINISHED", ...}}

Properties (each a name in the report; the checker is pure, so planted histories test it):
- Terminated: every launched task reaches a terminal state in its framework's view.
- OneTerminal: a task's terminal states agree, except that a task reported
  TASK_LOST/UNREACHABLE/GONE/UNKNOWN/DROPPED by the master may later end for real (Mesos:
  a partitioned agent's task is reported lost, then finishes when it comes back), and only
  when a fault happened in between to explain it.
  A late reconciliation answer is not a second end either: an update without a uuid whose
  state is a master's verdict, coming after the framework saw the task end, when the
  framework had asked about that task (a `reconcile` record naming it) BEFORE it saw the end
  (Mesos's master forgets an acknowledged terminal task, and answers an explicit
  reconciliation of it TASK_UNKNOWN, or LOST without PARTITION_AWARE: the question crossed
  the answer; pymesos reconciles by task id only, so the race is real there).
- NoTerminalThenRunning: after a terminal update from an agent (with a uuid), no
  non-terminal update of that task follows.
- SingleAgent: a task runs on at most one agent (every agent-sourced update of a task names
  the same agent, the one it was launched on).
- StableFrameworkId: each framework subscribes and re-subscribes with one framework id,
  and the final master state knows each framework (by name) only under that id (the
  `final` record's `master_frameworks`, id -> name: a master that handed a re-subscribing
  framework a new id shows it there even when the client refused the new id).
- AcksAreForSeen: every acknowledgement is of an update the framework received.
- FinalAgrees: the final master state's view of every task it still reports agrees with the
  framework's last view: both terminal or both not, and when both are terminal the same
  state (unless one of them is a master's verdict: LOST/UNREACHABLE/GONE/UNKNOWN/DROPPED).
- OneWriterPerVersion: at most one master wrote each version of the registry. Records
  `{"op": "registry_write", "version": N, "writer": "<master id>", "node": "master2"}` come
  from the masters' `registry.committed` log lines (one per committed compare-and-set of
  the ZooKeeper registry znode, recovery's fencing write included; `registry_writes`
  below reads them); two writers for one znode version means the fencing failed.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from typing import Any

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
            "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}
MASTER_VERDICTS = {"TASK_LOST", "TASK_UNREACHABLE", "TASK_GONE", "TASK_UNKNOWN", "TASK_DROPPED"}


def check(history: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Property name -> violations (empty lists when the history is clean)."""
    out: dict[str, list[str]] = {k: [] for k in (
        "Terminated", "OneTerminal", "NoTerminalThenRunning", "SingleAgent",
        "StableFrameworkId", "AcksAreForSeen", "FinalAgrees", "OneWriterPerVersion")}
    launched: dict[str, tuple[str, str]] = {}  # task -> (fw, agent)
    updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fw_ids: dict[str, set[str]] = defaultdict(set)
    seen_uuids: set[tuple[str, str]] = set()
    faults: list[float] = []
    final: dict[str, str] | None = None
    final_fws: dict[str, str] = {}
    writers: dict[int, set[str]] = defaultdict(set)
    asked: dict[tuple[str, str], list[int]] = defaultdict(list)  # (fw, task) -> positions
    for pos, h in enumerate(sorted(history, key=lambda x: x.get("t", 0.0))):
        h = {**h, "_pos": pos}
        op = h.get("op")
        if op == "reconcile":
            for t in h.get("tasks") or ():
                asked[(h.get("fw", ""), t)].append(pos)
        elif op == "registry_write":
            writers[int(h["version"])].add(str(h["writer"]))
        elif op == "subscribed":
            fw_ids[h["fw"]].add(h["framework_id"])
        elif op == "launch":
            launched[h["task"]] = (h["fw"], h.get("agent", ""))
        elif op == "update":
            updates[h["task"]].append(h)
            if h.get("uuid"):
                seen_uuids.add((h["task"], h["uuid"]))
        elif op == "ack":
            if (h["task"], h["uuid"]) not in seen_uuids:
                out["AcksAreForSeen"].append(f"{h['task']}: ack of {h['uuid']} never received")
        elif op == "fault":
            faults.append(h["t"])
        elif op == "final":
            final = h.get("master_tasks", {})
            final_fws = h.get("master_frameworks", {}) or {}
    for version, who in sorted(writers.items()):
        if len(who) > 1:
            out["OneWriterPerVersion"].append(f"registry version {version} written by {sorted(who)}")
    for fw, ids in sorted(fw_ids.items()):
        if len(ids) > 1:
            out["StableFrameworkId"].append(f"{fw} subscribed as {sorted(ids)}")
    for fid, name in sorted(final_fws.items()):
        if name in fw_ids and fid not in fw_ids[name]:
            out["StableFrameworkId"].append(f"the master knows {name} as {fid}, "
                                            f"which it subscribed as {sorted(fw_ids[name])}")
    last_view: dict[str, str] = {}
    for task, (fw, agent) in sorted(launched.items()):
        ups = updates.get(task, [])
        terminals = [u for u in ups if u["state"] in TERMINAL]
        if not terminals:
            out["Terminated"].append(f"{task} ({fw}): last state "
                                     f"{ups[-1]['state'] if ups else 'none'}")
        else:
            first = terminals[0]
            for later in terminals[1:]:
                if later["state"] == first["state"]:
                    continue
                explained = first["state"] in MASTER_VERDICTS and any(
                    first["t"] - 600 <= f <= later["t"] for f in faults)
                stale_answer = later["state"] in MASTER_VERDICTS and not later.get("uuid") and any(
                    p < first["_pos"] for p in asked.get((fw, task), ()))
                if not (explained or stale_answer):
                    out["OneTerminal"].append(f"{task}: {first['state']} then {later['state']}")
        ended = False
        for u in ups:
            if u["state"] in TERMINAL and u.get("uuid"):
                ended = True
            elif ended and u["state"] not in TERMINAL and u.get("uuid"):
                out["NoTerminalThenRunning"].append(f"{task}: {u['state']} after a terminal update")
            if u.get("uuid") and u.get("agent") and agent and u["agent"] != agent:
                out["SingleAgent"].append(f"{task}: launched on {agent}, update from {u['agent']}")
        if ups:
            last_view[task] = ups[-1]["state"]
    if final is not None:
        for task, state in sorted(final.items()):
            mine = last_view.get(task)
            if mine is None or task not in launched:
                continue
            if (state in TERMINAL) != (mine in TERMINAL) and state != "TASK_UNREACHABLE":
                out["FinalAgrees"].append(f"{task}: master {state}, framework {mine}")
            elif state in TERMINAL and mine in TERMINAL and state != mine and \
                    state not in MASTER_VERDICTS and mine not in MASTER_VERDICTS:
                out["FinalAgrees"].append(f"{task}: master ended it {state}, framework saw {mine}")
    return out


_COMMIT = re.compile(r"registry\.committed\b")
_FIELD = re.compile(r"\b(znode_version|writer)=(\S+)")


def registry_writes(log_text: str, node: str) -> list[dict[str, Any]]:
    """History records of a master's committed registry writes, from its log (text or JSON
    lines): `{"op": "registry_write", "version": N, "writer": id, "node": node}`."""
    out: list[dict[str, Any]] = []
    for line in log_text.splitlines():
        if not _COMMIT.search(line):
            continue
        if line.lstrip().startswith("{"):
            try:
                d = json.loads(line)
            except ValueError:
                continue
            fields = {k: str(d.get(k)) for k in ("znode_version", "writer")}
        else:
            fields = {k: v.strip('"\'') for k, v in _FIELD.findall(line)}
        if fields.get("znode_version", "").isdigit() and fields.get("writer"):
            out.append({"op": "registry_write", "version": int(fields["znode_version"]),
                        "writer": fields["writer"], "node": node})
    return out


def summary(history: list[dict[str, Any]], result: dict[str, list[str]]) -> list[str]:
    tasks = sum(1 for h in history if h.get("op") == "launch")
    faults = sum(1 for h in history if h.get("op") == "fault")
    bad = {k: v for k, v in result.items() if v}
    lines = [f"history: {len(history)} records, {tasks} tasks, {faults} faults"]
    for k, v in result.items():
        lines.append(f"  {k}: {'ok' if not v else f'{len(v)} violations, e.g. ' + '; '.join(v[:3])}")
    lines.append("checker: clean" if not bad else f"checker: {len(bad)} properties violated")
    return lines


def load(path: str) -> list[dict[str, Any]]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("history", help="a campaign's history (JSON lines)")


def run(args: argparse.Namespace) -> int:
    try:
        h = load(args.history)
    except (OSError, ValueError) as e:
        print(f"mesotron lab check: cannot read {args.history}: {e}")
        return 2
    res = check(h)
    for line in summary(h, res):
        print(line)
    return 0 if not any(res.values()) else 1
