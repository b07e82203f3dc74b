"""Codec for the v1 scheduler API: `scheduler_pb2.Call` -> core `Call*` values (with the
Mesos structural validation of `validation::scheduler::call::validate`), core `Event*`
values -> `scheduler_pb2.Event` (and back, for our own scheduler client and the tests).

`decode_call(pb) -> (framework_id | None, call)`; raises `CodecError` (400
"Failed to validate scheduler::Call: ...") or `Unsupported` (501) for call types the core
does not model.
"""

from __future__ import annotations

from typing import Any

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
    EventError,
    EventFailure,
    EventHeartbeat,
    EventMessage,
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    EventUpdateOperationStatus,
    OperationStatus,
    OpLaunch,
    OpLaunchGroup,
    OpReserve,
    OpUnreserve,
)
from mesotron.core.values import AttributeConstraint, Filters
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec import scheduler_pb2 as spb
from mesotron.spec.codec_values import (
    CodecError,
    executor_from_pb,
    executor_to_pb,
    filters_from_pb,
    filters_to_pb,
    framework_from_pb,
    framework_to_pb,
    kill_policy_from_pb,
    kill_policy_to_pb,
    master_from_pb,
    master_to_pb,
    offer_from_pb,
    offer_to_pb,
    resources_from_pb,
    resources_to_pb,
    status_from_pb,
    status_to_pb,
    task_from_pb,
    task_to_pb,
)
from mesotron.spec.wire import WireError

C = spb.Call


class Unsupported(WireError):
    """A well-formed call the core does not implement (HTTP 501)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 501)


def _invalid(msg: str) -> CodecError:
    return CodecError(f"Failed to validate scheduler::Call: {msg}")


# ------------------------------------------------------------------ operations
def operation_status_to_pb(st: OperationStatus) -> pb.OperationStatus:
    m = pb.OperationStatus(state=pb.OperationState.Value(st.state))
    if st.operation_id is not None:
        m.operation_id.value = st.operation_id
    if st.message:
        m.message = st.message
    if st.agent_id is not None:
        m.agent_id.value = st.agent_id
    if st.uuid is not None:
        m.uuid.value = st.uuid
    m.converted_resources.extend(resources_to_pb(st.converted_resources))
    return m


def operation_status_from_pb(m: pb.OperationStatus) -> OperationStatus:
    return OperationStatus(
        operation_id=m.operation_id.value if m.HasField("operation_id") else None,
        state=pb.OperationState.Name(m.state), message=m.message,
        agent_id=m.agent_id.value if m.HasField("agent_id") else None,
        uuid=m.uuid.value if m.HasField("uuid") else None,
        converted_resources=resources_from_pb(m.converted_resources))


def operation_from_pb(op: pb.Offer.Operation) -> Any:
    T = pb.Offer.Operation
    if op.type == T.LAUNCH:
        return OpLaunch(task_infos=tuple(task_from_pb(t) for t in op.launch.task_infos))
    if op.type == T.LAUNCH_GROUP:
        if not op.HasField("launch_group"):
            raise _invalid("Expecting 'launch_group' to be present")
        return OpLaunchGroup(
            executor=executor_from_pb(op.launch_group.executor),
            tasks=tuple(task_from_pb(t) for t in op.launch_group.task_group.tasks),
        )
    oid = op.id.value if op.HasField("id") else None
    if op.type == T.RESERVE:
        return OpReserve(resources=resources_from_pb(op.reserve.resources), id=oid)
    if op.type == T.UNRESERVE:
        return OpUnreserve(resources=resources_from_pb(op.unreserve.resources), id=oid)
    raise Unsupported(f"Offer operation {T.Type.Name(op.type)} is not supported")


def operation_to_pb(op: Any) -> pb.Offer.Operation:
    T = pb.Offer.Operation
    m = T()
    if isinstance(op, OpLaunch):
        m.type = T.LAUNCH
        m.launch.task_infos.extend(task_to_pb(t) for t in op.task_infos)
    elif isinstance(op, OpLaunchGroup):
        m.type = T.LAUNCH_GROUP
        m.launch_group.executor.CopyFrom(executor_to_pb(op.executor))
        m.launch_group.task_group.tasks.extend(task_to_pb(t) for t in op.tasks)
    elif isinstance(op, OpReserve):
        m.type = T.RESERVE
        m.reserve.resources.extend(resources_to_pb(op.resources))
        if op.id is not None:
            m.id.value = op.id
    elif isinstance(op, OpUnreserve):
        m.type = T.UNRESERVE
        m.unreserve.resources.extend(resources_to_pb(op.resources))
        if op.id is not None:
            m.id.value = op.id
    else:
        raise TypeError(f"not an operation: {op!r}")
    return m


# ------------------------------------------------------------------ offer constraints
_PREDICATES = {
    "exists": "exists",
    "not_exists": "not_exists",
    "text_equals": "equals",
    "text_not_equals": "not_equals",
}


def constraints_from_pb(m: pb.OfferConstraints) -> tuple[tuple[str, tuple[AttributeConstraint, ...]], ...]:
    out = []
    for role in sorted(m.role_constraints):
        rc = m.role_constraints[role]
        cons: list[AttributeConstraint] = []
        for group in rc.groups:
            for ac in group.attribute_constraints:
                if ac.selector.WhichOneof("selector") != "attribute_name":
                    raise Unsupported("only attribute_name selectors are supported")
                kind = ac.predicate.WhichOneof("predicate")
                if kind not in _PREDICATES:
                    raise Unsupported(f"offer constraint predicate {kind} is not supported")
                value = None
                if kind in ("text_equals", "text_not_equals"):
                    value = getattr(ac.predicate, kind).value
                cons.append(
                    AttributeConstraint(
                        attribute=ac.selector.attribute_name, predicate=_PREDICATES[kind], value=value
                    )
                )
        out.append((role, tuple(cons)))
    return tuple(out)


def constraints_to_pb(cons: tuple[tuple[str, tuple[AttributeConstraint, ...]], ...]) -> pb.OfferConstraints:
    m = pb.OfferConstraints()
    back = {v: k for k, v in _PREDICATES.items()}
    for role, items in cons:
        group = m.role_constraints[role].groups.add()
        for c in items:
            ac = group.attribute_constraints.add()
            ac.selector.attribute_name = c.attribute
            kind = back[c.predicate]
            sub = getattr(ac.predicate, kind)
            sub.SetInParent()
            if c.value is not None:
                sub.value = c.value
    return m


# ------------------------------------------------------------------ calls
def decode_call(m: spb.Call) -> tuple[str | None, Any]:
    """Validate structurally (Mesos's rules) and convert to (framework_id, Call* value)."""
    if not m.HasField("type"):
        raise _invalid("Expecting 'type' to be present")
    fid = m.framework_id.value if m.HasField("framework_id") else None
    t = m.type
    if t == C.SUBSCRIBE:
        if not m.HasField("subscribe"):
            raise _invalid("Expecting 'subscribe' to be present")
        fi = m.subscribe.framework_info
        inner = fi.id.value if fi.HasField("id") else None
        if inner != fid:
            raise _invalid("'framework_id' differs from 'subscribe.framework_info.id'")
        return fid, CallSubscribe(
            framework_info=framework_from_pb(fi),
            suppressed_roles=tuple(m.subscribe.suppressed_roles),
            offer_constraints=constraints_from_pb(m.subscribe.offer_constraints),
        )
    if fid is None:
        raise _invalid("Expecting 'framework_id' to be present")

    def need(field: str) -> Any:
        if not m.HasField(field):
            raise _invalid(f"Expecting '{field}' to be present")
        return getattr(m, field)

    if t == C.TEARDOWN:
        return fid, CallTeardown()
    if t == C.ACCEPT:
        a = need("accept")
        return fid, CallAccept(
            offer_ids=tuple(o.value for o in a.offer_ids),
            operations=tuple(operation_from_pb(op) for op in a.operations),
            filters=filters_from_pb(a.filters) if a.HasField("filters") else Filters(),
        )
    if t == C.DECLINE:
        d = need("decline")
        return fid, CallDecline(
            offer_ids=tuple(o.value for o in d.offer_ids),
            filters=filters_from_pb(d.filters) if d.HasField("filters") else Filters(),
        )
    if t == C.REVIVE:
        return fid, CallRevive(roles=tuple(m.revive.roles))
    if t == C.SUPPRESS:
        return fid, CallSuppress(roles=tuple(m.suppress.roles))
    if t == C.KILL:
        k = need("kill")
        return fid, CallKill(
            task_id=k.task_id.value,
            agent_id=k.agent_id.value if k.HasField("agent_id") else None,
            kill_policy=kill_policy_from_pb(k.kill_policy) if k.HasField("kill_policy") else None,
        )
    if t == C.SHUTDOWN:
        s = need("shutdown")
        return fid, CallShutdown(executor_id=s.executor_id.value, agent_id=s.agent_id.value)
    if t == C.ACKNOWLEDGE:
        a = need("acknowledge")
        if len(a.uuid) != 16:
            raise _invalid("Not a valid UUID: 'acknowledge.uuid' must be 16 bytes")
        return fid, CallAcknowledge(agent_id=a.agent_id.value, task_id=a.task_id.value, uuid=a.uuid)
    if t == C.RECONCILE:
        r = need("reconcile")
        return fid, CallReconcile(
            tasks=tuple(
                (x.task_id.value, x.agent_id.value if x.HasField("agent_id") else None)
                for x in r.tasks
            )
        )
    if t == C.MESSAGE:
        msg = need("message")
        return fid, CallMessage(
            agent_id=msg.agent_id.value, executor_id=msg.executor_id.value, data=msg.data
        )
    if t == C.ACKNOWLEDGE_OPERATION_STATUS:
        a = need("acknowledge_operation_status")
        if len(a.uuid) != 16:
            raise _invalid("Not a valid UUID: 'acknowledge_operation_status.uuid' must be 16 bytes")
        return fid, CallAcknowledgeOperationStatus(
            operation_id=a.operation_id.value, uuid=a.uuid,
            agent_id=a.agent_id.value if a.HasField("agent_id") else None)
    if t == C.RECONCILE_OPERATIONS:
        r = need("reconcile_operations")
        return fid, CallReconcileOperations(operations=tuple(
            (x.operation_id.value, x.agent_id.value if x.HasField("agent_id") else None)
            for x in r.operations))
    if t == C.UNKNOWN:
        raise Unsupported("Received an unexpected 'UNKNOWN' call")
    raise Unsupported(f"Call {C.Type.Name(t)} is not supported by mesotron")


def encode_call(framework_id: str | None, call: Any) -> spb.Call:
    """The inverse of `decode_call` (used by our scheduler client and the tests)."""
    m = spb.Call()
    if framework_id is not None:
        m.framework_id.value = framework_id
    if isinstance(call, CallSubscribe):
        m.type = C.SUBSCRIBE
        m.subscribe.framework_info.CopyFrom(framework_to_pb(call.framework_info))
        m.subscribe.suppressed_roles.extend(call.suppressed_roles)
        if call.offer_constraints:
            m.subscribe.offer_constraints.CopyFrom(constraints_to_pb(call.offer_constraints))
    elif isinstance(call, CallTeardown):
        m.type = C.TEARDOWN
    elif isinstance(call, CallAccept):
        m.type = C.ACCEPT
        m.accept.offer_ids.extend(pb.OfferID(value=o) for o in call.offer_ids)
        m.accept.operations.extend(operation_to_pb(op) for op in call.operations)
        m.accept.filters.CopyFrom(filters_to_pb(call.filters))
    elif isinstance(call, CallDecline):
        m.type = C.DECLINE
        m.decline.offer_ids.extend(pb.OfferID(value=o) for o in call.offer_ids)
        m.decline.filters.CopyFrom(filters_to_pb(call.filters))
    elif isinstance(call, CallRevive):
        m.type = C.REVIVE
        m.revive.roles.extend(call.roles)
    elif isinstance(call, CallSuppress):
        m.type = C.SUPPRESS
        m.suppress.roles.extend(call.roles)
    elif isinstance(call, CallKill):
        m.type = C.KILL
        m.kill.task_id.value = call.task_id
        if call.agent_id is not None:
            m.kill.agent_id.value = call.agent_id
        if call.kill_policy is not None:
            m.kill.kill_policy.CopyFrom(kill_policy_to_pb(call.kill_policy))
    elif isinstance(call, CallShutdown):
        m.type = C.SHUTDOWN
        m.shutdown.executor_id.value = call.executor_id
        m.shutdown.agent_id.value = call.agent_id
    elif isinstance(call, CallAcknowledge):
        m.type = C.ACKNOWLEDGE
        m.acknowledge.agent_id.value = call.agent_id
        m.acknowledge.task_id.value = call.task_id
        m.acknowledge.uuid = call.uuid
    elif isinstance(call, CallReconcile):
        m.type = C.RECONCILE
        m.reconcile.SetInParent()
        for tid, aid in call.tasks:
            x = m.reconcile.tasks.add()
            x.task_id.value = tid
            if aid is not None:
                x.agent_id.value = aid
    elif isinstance(call, CallMessage):
        m.type = C.MESSAGE
        m.message.agent_id.value = call.agent_id
        m.message.executor_id.value = call.executor_id
        m.message.data = call.data
    elif isinstance(call, CallAcknowledgeOperationStatus):
        m.type = C.ACKNOWLEDGE_OPERATION_STATUS
        a = m.acknowledge_operation_status
        a.operation_id.value, a.uuid = call.operation_id, call.uuid
        if call.agent_id is not None:
            a.agent_id.value = call.agent_id
    elif isinstance(call, CallReconcileOperations):
        m.type = C.RECONCILE_OPERATIONS
        m.reconcile_operations.SetInParent()
        for op_id, aid in call.operations:
            x = m.reconcile_operations.operations.add()
            x.operation_id.value = op_id
            if aid is not None:
                x.agent_id.value = aid
    else:
        raise TypeError(f"not a scheduler call: {call!r}")
    return m


# ------------------------------------------------------------------ events
E = spb.Event


def encode_event(ev: Any) -> spb.Event:
    m = E()
    if isinstance(ev, EventUpdate):
        m.type = E.UPDATE
        m.update.status.CopyFrom(status_to_pb(ev.status))
    elif isinstance(ev, EventHeartbeat):
        m.type = E.HEARTBEAT
    elif isinstance(ev, EventOffers):
        m.type = E.OFFERS
        m.offers.offers.extend(offer_to_pb(o) for o in ev.offers)
    elif isinstance(ev, EventSubscribed):
        m.type = E.SUBSCRIBED
        m.subscribed.framework_id.value = ev.framework_id
        m.subscribed.heartbeat_interval_seconds = ev.heartbeat_interval_seconds
        if ev.master_info is not None:
            m.subscribed.master_info.CopyFrom(master_to_pb(ev.master_info))
    elif isinstance(ev, EventRescind):
        m.type = E.RESCIND
        m.rescind.offer_id.value = ev.offer_id
    elif isinstance(ev, EventMessage):
        m.type = E.MESSAGE
        m.message.agent_id.value = ev.agent_id
        m.message.executor_id.value = ev.executor_id
        m.message.data = ev.data
    elif isinstance(ev, EventFailure):
        m.type = E.FAILURE
        m.failure.SetInParent()
        if ev.agent_id is not None:
            m.failure.agent_id.value = ev.agent_id
        if ev.executor_id is not None:
            m.failure.executor_id.value = ev.executor_id
            # pymesos reads `status` whenever `executor_id` is present
            m.failure.status = ev.status if ev.status is not None else 0
        elif ev.status is not None:
            m.failure.status = ev.status
    elif isinstance(ev, EventError):
        m.type = E.ERROR
        m.error.message = ev.message
    elif isinstance(ev, EventUpdateOperationStatus):
        m.type = E.UPDATE_OPERATION_STATUS
        m.update_operation_status.status.CopyFrom(operation_status_to_pb(ev.status))
    else:
        raise TypeError(f"not a scheduler event: {ev!r}")
    return m


def decode_event(m: spb.Event) -> Any:
    t = m.type
    if t == E.UPDATE:
        return EventUpdate(status=status_from_pb(m.update.status))
    if t == E.HEARTBEAT:
        return EventHeartbeat()
    if t == E.OFFERS:
        return EventOffers(offers=tuple(offer_from_pb(o) for o in m.offers.offers))
    if t == E.SUBSCRIBED:
        s = m.subscribed
        return EventSubscribed(
            framework_id=s.framework_id.value,
            heartbeat_interval_seconds=s.heartbeat_interval_seconds,
            master_info=master_from_pb(s.master_info) if s.HasField("master_info") else None,
        )
    if t == E.RESCIND:
        return EventRescind(offer_id=m.rescind.offer_id.value)
    if t == E.MESSAGE:
        return EventMessage(
            agent_id=m.message.agent_id.value,
            executor_id=m.message.executor_id.value,
            data=m.message.data,
        )
    if t == E.FAILURE:
        f = m.failure
        return EventFailure(
            agent_id=f.agent_id.value if f.HasField("agent_id") else None,
            executor_id=f.executor_id.value if f.HasField("executor_id") else None,
            status=f.status if f.HasField("status") else None,
        )
    if t == E.ERROR:
        return EventError(message=m.error.message)
    if t == E.UPDATE_OPERATION_STATUS:
        return EventUpdateOperationStatus(status=operation_status_from_pb(m.update_operation_status.status))
    raise CodecError(f"unsupported scheduler event type {t}")
