"""s13 mops: a hostile HTTP client of the v1 scheduler API (HostileCallsRefused).

With each SUBSCRIBE of the adversarial framework, the world (World.hostile_scheduler_calls)
delivers to the leader, at once and off the network (no stream id, no principal; the
answers go nowhere, no random draw, no scheduler state changes), every call below under
the adversary's framework id:

- MALFORMED calls: each call type with ONE field broken at a time (a list where Mesos's
  decoder gives a repeated field, an empty id, a missing part, a uuid of the wrong length,
  a value of the wrong type). Mesos (`scheduler::call::validate`) answers each 400
  "Failed to validate scheduler::Call: ..." before it looks at anything else.
- WELL-FORMED twins of every non-SUBSCRIBE call type: sent without a Mesos-Stream-Id they
  are refused (400 for the missing header, 403 when the framework is not subscribed, 400
  when the master does not know it) but never as malformed.

Each such call's only effect must be one `Respond`, a 4xx/5xx (HostileCallsRefused), whose
message starts with "Failed to validate scheduler::Call" exactly when the call is malformed
(MalformedCallsRefused, WellFormedCallsAccepted); a 503 of a master that does not lead or
has not recovered is fine. Breaking one field at a time is what makes the property see
the validator's `and`/`or` and `not` errors (a check that tests only one of two fields
lets the other through).

Pure data and pure functions; the world and the checker call them.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.effects import Respond
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallAcknowledgeOperationStatus,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallReconcileOperations,
    CallRevive,
    CallShutdown,
    CallSubscribe,
    CallSuppress,
    CallTeardown,
    OpLaunch,
    OpLaunchGroup,
)
from mesotron.core.values import ExecutorInfo, Filters

#: the request-id infix of the hostile client's calls (the checker recognises them by it)
HOSTILE_CALL = "/hostile-call-"
MALFORMED_PREFIX = "Failed to validate scheduler::Call"

_UUID = bytes(range(16))


def hostile_calls(info: Any, fid: str) -> list[tuple[bool, str, Any, bool]]:
    """(malformed, what is wrong or what it is, the call, send the framework id `fid`) for
    a framework subscribed with FrameworkInfo `info` (the SUBSCRIBE copies use it)."""
    bad: list[tuple[str, Any]] = [
        ("not a call", "garbage"),
        ("ACCEPT offer_ids a list", CallAccept(offer_ids=["o1"])),  # type: ignore[arg-type]
        ("ACCEPT empty offer id", CallAccept(offer_ids=("",))),
        ("ACCEPT filters not Filters", CallAccept(offer_ids=("o1",), filters=None)),  # type: ignore[arg-type]
        ("ACCEPT operations a list", CallAccept(offer_ids=("o1",), operations=[])),  # type: ignore[arg-type]
        ("ACCEPT operation of no type", CallAccept(offer_ids=("o1",), operations=("launch",))),
        ("ACCEPT LAUNCH_GROUP without executor", CallAccept(offer_ids=("o1",), operations=(
            OpLaunchGroup(executor=None, tasks=()),))),  # type: ignore[arg-type]
        ("ACCEPT LAUNCH_GROUP tasks a list", CallAccept(offer_ids=("o1",), operations=(
            OpLaunchGroup(executor=ExecutorInfo(executor_id="e1", type="DEFAULT"), tasks=[]),))),  # type: ignore[arg-type]
        ("DECLINE offer_ids a list", CallDecline(offer_ids=["o1"])),  # type: ignore[arg-type]
        ("DECLINE filters not Filters", CallDecline(offer_ids=("o1",), filters=5.0)),  # type: ignore[arg-type]
        ("REVIVE roles a list", CallRevive(roles=["web"])),  # type: ignore[arg-type]
        ("SUPPRESS empty role", CallSuppress(roles=("",))),
        ("KILL empty task id", CallKill(task_id="")),
        ("KILL empty agent id", CallKill(task_id="t1", agent_id="")),
        ("SHUTDOWN empty executor id", CallShutdown(executor_id="", agent_id="a1")),
        ("SHUTDOWN no agent id", CallShutdown(executor_id="e1", agent_id=None)),  # type: ignore[arg-type]
        ("ACKNOWLEDGE short uuid", CallAcknowledge(agent_id="a1", task_id="t1", uuid=b"short")),
        ("ACKNOWLEDGE uuid not bytes", CallAcknowledge(agent_id="a1", task_id="t1",
                                                       uuid="0123456789abcdef")),  # type: ignore[arg-type]
        ("ACKNOWLEDGE empty agent id", CallAcknowledge(agent_id="", task_id="t1", uuid=_UUID)),
        ("ACKNOWLEDGE no task id", CallAcknowledge(agent_id="a1", task_id=None, uuid=_UUID)),  # type: ignore[arg-type]
        ("RECONCILE tasks a list", CallReconcile(tasks=[("t1", None)])),  # type: ignore[arg-type]
        ("RECONCILE task without agent part", CallReconcile(tasks=(("t1",),))),  # type: ignore[arg-type]
        ("RECONCILE empty task id", CallReconcile(tasks=(("", None),))),
        ("RECONCILE empty agent id", CallReconcile(tasks=(("t1", ""),))),
        ("MESSAGE empty agent id", CallMessage(agent_id="", executor_id="e1", data=b"x")),
        ("MESSAGE no executor id", CallMessage(agent_id="a1", executor_id=None, data=b"x")),  # type: ignore[arg-type]
        ("MESSAGE data not bytes", CallMessage(agent_id="a1", executor_id="e1", data="x")),  # type: ignore[arg-type]
        ("ACKNOWLEDGE_OPERATION_STATUS empty operation id",
         CallAcknowledgeOperationStatus(operation_id="", uuid=_UUID)),
        ("ACKNOWLEDGE_OPERATION_STATUS short uuid",
         CallAcknowledgeOperationStatus(operation_id="op1", uuid=b"short")),
        ("RECONCILE_OPERATIONS a list", CallReconcileOperations(operations=[("op1", None)])),  # type: ignore[arg-type]
        ("RECONCILE_OPERATIONS empty operation id",
         CallReconcileOperations(operations=(("", None),))),
        ("RECONCILE_OPERATIONS empty agent id",
         CallReconcileOperations(operations=(("op1", ""),))),
        ("RECONCILE_OPERATIONS operation without agent part",
         CallReconcileOperations(operations=(("op1",),))),  # type: ignore[arg-type]
    ]
    good: list[tuple[str, Any]] = [
        ("TEARDOWN", CallTeardown()),
        ("ACCEPT with a LAUNCH of no task", CallAccept(offer_ids=("o1",), operations=(
            OpLaunch(task_infos=()),), filters=Filters(refuse_seconds=1.0))),
        ("DECLINE", CallDecline(offer_ids=("o1", "o2"))),
        ("REVIVE of a role", CallRevive(roles=("web",))),
        ("SUPPRESS", CallSuppress()),
        ("KILL without agent", CallKill(task_id="t1")),
        ("KILL with agent", CallKill(task_id="t1", agent_id="a1")),
        ("SHUTDOWN", CallShutdown(executor_id="e1", agent_id="a1")),
        ("ACKNOWLEDGE", CallAcknowledge(agent_id="a1", task_id="t1", uuid=_UUID)),
        ("RECONCILE", CallReconcile(tasks=(("t1", None), ("t2", "a1")))),
        ("MESSAGE", CallMessage(agent_id="a1", executor_id="e1", data=b"x")),
        ("ACKNOWLEDGE_OPERATION_STATUS",
         CallAcknowledgeOperationStatus(operation_id="op1", uuid=_UUID, agent_id="a1")),
        ("RECONCILE_OPERATIONS", CallReconcileOperations(operations=(("op1", None), ("op2", "a1")))),
    ]
    out: list[tuple[bool, str, Any, bool]] = [(True, w, c, True) for w, c in bad]
    out.append((True, "a call without framework_id", CallRevive(), False))
    if info is not None:
        info = attrs.evolve(info, id=fid)
        out += [
            (True, "SUBSCRIBE framework_id differs from framework_info.id",
             CallSubscribe(framework_info=attrs.evolve(info, id=fid + "-other")), True),
            (True, "SUBSCRIBE suppressed_roles a list",
             CallSubscribe(framework_info=info, suppressed_roles=list(info.roles)), True),  # type: ignore[arg-type]
            (True, "SUBSCRIBE offer constraints not pairs",
             CallSubscribe(framework_info=info, offer_constraints=(("web",),)), True),  # type: ignore[arg-type]
        ]
    out += [(False, w, c, True) for w, c in good]
    return out


def parse_request(request: str) -> tuple[bool, str]:
    """(malformed, what) of a hostile call's request id (World.hostile_scheduler_calls)."""
    _head, kind, what = request.split(HOSTILE_CALL, 1)[1].split(":", 2)
    return kind == "malformed", what


def hostile_answer_error(malformed: bool, effects: list[Any]) -> tuple[str, str] | None:
    """(the property broken, what is wrong) of the master's step on one hostile call, None
    when it is Mesos's answer: a malformed call not refused as malformed breaks
    MalformedCallsRefused, a well-formed one refused as malformed WellFormedCallsAccepted,
    any other effect than the one answer, or a call without a stream taken (< 400),
    HostileCallsRefused."""
    if not effects or type(effects[0]) is not Respond:
        return ("HostileCallsRefused",
                f"answered with {type(effects[0]).__name__ if effects else 'nothing'}")
    first = effects[0]
    if first.status != 503:
        refused = (first.message or "").startswith(MALFORMED_PREFIX)
        if malformed and not (first.status == 400 and refused):
            return ("MalformedCallsRefused",
                    f"answered {first.status} {first.message!r}, not refused as malformed")
        if not malformed and refused:
            return ("WellFormedCallsAccepted", f"refused as malformed: {first.message!r}")
        if first.status < 400:
            return ("HostileCallsRefused", f"answered {first.status} without a stream")
    if len(effects) > 1:
        return ("HostileCallsRefused",
                "also " + ", ".join(sorted({type(e).__name__ for e in effects[1:]})))
    return None
