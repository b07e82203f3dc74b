"""Dynamic reservations and offer-operation feedback (Mesos 1.11), decided by the master.

Books read and written: `_operations` (the operations with an id, by (framework, operation
id)), `_settings[("reservations", agent)]` and `_settings[("operation", framework, id)]`
(both in the registry), `_agents[...].info.resources` (an agent's total with its dynamic
reservations), the allocator (ConvertResources).

RESERVE / UNRESERVE through ACCEPT (`Master::_accept`, validation::operation::validate):
- RESERVE: every resource's top reservation is DYNAMIC, to the offer's allocation role (or
  a sub-role of it, refinement), with the framework's principal when one is set; what it
  reserves (the resources with that reservation popped) must be in what the ACCEPT has
  left. UNRESERVE: every resource dynamically reserved and in what is left.
- A valid operation converts in place: what is left of the offer, the framework's
  allocation (allocator ConvertResources), and the agent's total all change at once, so a
  LAUNCH later in the same ACCEPT can use the reserved resources.
- Durability: the agent's dynamic reservations go to the registry (`("reservations",
  agent)`, the Resources JSON); a master elected later applies them to the agent's total
  when the agent re-registers (an agent restarting under the same id keeps them; an agent
  with a new id starts afresh, as in Mesos). The agent is told all of them
  (CheckpointResources) on every change and when it (re-)registers, and checkpoints them.

OPERATION FEEDBACK (an operation with `id`): the state machine TRANSITIONS below. PENDING
when accepted; FINISHED once the registry write committed (the UPDATE_OPERATION_STATUS then
carries a uuid to acknowledge); ERROR at once for an invalid operation (Mesos's
OPERATION_ERROR, no uuid to acknowledge: the master will not retry it). A terminal status
stays (in the registry, `("operation", framework, id)`) until acknowledged
(ACKNOWLEDGE_OPERATION_STATUS): it survives a master failover. RECONCILE_OPERATIONS answers
the latest state of each operation asked for (no uuid), OPERATION_UNKNOWN for an unknown one
(OPERATION_UNREACHABLE / OPERATION_GONE_BY_OPERATOR / OPERATION_RECOVERING when its agent
is so); with no operation listed, every operation of the framework the master still keeps.
Operations without an id get no status (Mesos).

Books read: `_agents`, `_frameworks`, `_gone`, `_operations`, `_pending_ops`, `_settings`,
  `_unreachable`, `allocator`, `config`, `ids`.
Books written: `_operations`, `_pending_ops`, `_settings`.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import authorized
from mesotron.core.effects import Log, Respond, Send
from mesotron.core.errors import LocalError
from mesotron.core.master.operator import ReserveResources, operator_action
from mesotron.core.messages import (
    CallAcknowledgeOperationStatus,
    CallReconcileOperations,
    CheckpointResources,
    EventUpdateOperationStatus,
    OperationStatus,
    OpReserve,
    OpUnreserve,
)
from mesotron.core.resources import InvalidResources, Resources

PENDING, FINISHED, FAILED, ERROR, DROPPED = (
    "OPERATION_PENDING", "OPERATION_FINISHED", "OPERATION_FAILED", "OPERATION_ERROR",
    "OPERATION_DROPPED")
TERMINAL = frozenset({FINISHED, FAILED, ERROR, DROPPED})

#: The operations' state machine (data): state -> the states it may move to. Terminal states
#: are absorbing; an acknowledged terminal operation is forgotten.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({PENDING, ERROR}),  # accepted, or refused at validation
    PENDING: frozenset({FINISHED, FAILED, DROPPED}),
    FINISHED: frozenset(), FAILED: frozenset(), ERROR: frozenset(), DROPPED: frozenset(),
}


class IllegalOperationTransition(LocalError):
    """The master tried to move an operation along an edge TRANSITIONS does not have."""


def check_transition(operation_id: str, old: str | None, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise IllegalOperationTransition(
            f"master: operation {operation_id!r} cannot go from {old} to {new}")


@attrs.define(slots=True)
class MOperation:
    """One operation with an id. Invariant: `statuses[-1].state == state`; states follow
    TRANSITIONS."""

    framework_id: str
    agent_id: str
    operation_id: str
    info: Any  # OpReserve | OpUnreserve
    state: str | None = None
    statuses: list[OperationStatus] = attrs.field(factory=list)
    converted: Resources = attrs.field(factory=Resources)


def reservations_json(res: Resources) -> str:
    return json.dumps(res.to_json(refinement=True), sort_keys=True, separators=(",", ":"))


class OperationsMixin:
    """RESERVE / UNRESERVE and operation feedback. Mixed into `Master`."""

    _operations: dict[tuple[str, str], MOperation]
    _settings: dict[tuple[str, ...], Any]
    _agents: dict[str, Any]
    _frameworks: dict[str, Any]
    _pending_ops: dict[int, tuple[Any, ...]]
    _unreachable: dict[str, float]
    _gone: dict[str, float]
    allocator: Any
    ids: Any
    now: float

    # ------------------------------------------------------------------ the agent's total
    def dynamic_reservations(self, agent_id: str) -> Resources:
        raw = self._settings.get(("reservations", agent_id))
        if not raw:
            return Resources()
        return Resources.from_json(json.loads(raw))

    def _with_reservations(self, info: Any) -> tuple[Any, list[Any]]:
        """An agent's AgentInfo (its flags' resources) with the dynamic reservations the
        registry holds for it applied."""
        dyn = self.dynamic_reservations(info.id or "")
        if not dyn:
            return info, []
        base = dyn.pop_reservation()
        if not info.resources.contains(base):
            return info, [Log(level="warning", event="reservations_not_applicable", fields=(
                ("agent_id", info.id), ("reservations", str(dyn)), ("resources", str(info.resources))))]
        return attrs.evolve(info, resources=info.resources - base + dyn), []

    def _set_agent_total(self, agent: Any, consumed: Resources, converted: Resources,
                         request: str | None = None) -> list[Any]:
        """The agent's total changes (same quantities); its dynamic reservations go to the
        registry (`request`, if any, is answered 200 once that write committed)."""
        agent.info = attrs.evolve(agent.info, resources=agent.info.resources - consumed + converted)
        dyn_new = Resources()
        for r in agent.info.resources:
            if r.reservations and r.reservations[-1].type == "DYNAMIC":
                dyn_new = dyn_new + Resources([r])
        value = reservations_json(dyn_new) if dyn_new else None
        self._settings[("reservations", agent.id)] = value  # visible at once (same master)
        if value is None:
            self._settings.pop(("reservations", agent.id), None)
        op = self._op_id()  # type: ignore[attr-defined]
        self._pending_ops[op] = ("setting", ("reservations", agent.id), value, request)
        out: list[Any] = self._registry_op(op, ("set", ("reservations", agent.id), value))  # type: ignore[attr-defined]
        return out + self._tell_agent_reservations(agent, dyn_new)

    def _tell_agent_reservations(self, agent: Any, dyn: Resources | None = None) -> list[Any]:
        """CheckpointResources to a connected agent: all its dynamic reservations (the agent
        checkpoints them, core/agent/machine.py)."""
        if dyn is None:
            dyn = self.dynamic_reservations(agent.id)
            if not dyn:
                return []
        if not agent.connected:
            return []
        return [Send(to=agent.pid, message=CheckpointResources(resources=dyn))]

    # ------------------------------------------------------------------ validation
    def _validate_reserve(self, fw: Any, role: str, op: OpReserve, remaining: Resources) -> str | None:
        if not op.resources:
            return "Invalid RESERVE operation: no resources"
        for r in op.resources:
            if not r.reservations or r.reservations[-1].type != "DYNAMIC":
                return f"Invalid RESERVE operation: resource {r} is not dynamically reserved"
            top = r.reservations[-1]
            if top.role != role and not top.role.startswith(role.rstrip("/") + "/"):
                return (f"Invalid RESERVE operation: reservation role '{top.role}' does not match "
                        f"the offer's allocation role '{role}'")
            if top.principal is not None and top.principal != fw.info.principal:
                return (f"Invalid RESERVE operation: principal '{top.principal}' does not match the "
                        f"framework's principal '{fw.info.principal}'")
        try:
            base = alloc.allocate_to(op.resources.unallocate().pop_reservation(), role)
        except InvalidResources as e:
            return f"Invalid RESERVE operation: {e}"
        if not remaining.contains(base):
            return f"Invalid RESERVE operation: {base} is not in the offered resources {remaining}"
        return None

    def _validate_unreserve(self, op: OpUnreserve, role: str, remaining: Resources) -> str | None:
        if not op.resources:
            return "Invalid UNRESERVE operation: no resources"
        for r in op.resources:
            if not r.reservations or r.reservations[-1].type != "DYNAMIC":
                return f"Invalid UNRESERVE operation: resource {r} is not dynamically reserved"
        res = alloc.allocate_to(op.resources.unallocate(), role)
        if not remaining.contains(res):
            return f"Invalid UNRESERVE operation: {res} is not in the offered resources {remaining}"
        return None

    def _authorize_offer_operation(self, fw: Any, op: Any) -> str | None:
        acls = self.config.acls  # type: ignore[attr-defined]
        if acls is None:
            return None
        call = ReserveResources(agent_id="", resources=op.resources, reserve=isinstance(op, OpReserve))
        for action, obj in operator_action(call):
            if not authorized(acls, action, fw.info.principal, obj):
                verb = "reserve" if call.reserve else "unreserve"
                return f"Not authorized to {verb} resources as '{fw.info.principal or ''}'"
        return None

    # ------------------------------------------------------------------ ACCEPT
    def _offer_operation(self, fw: Any, agent: Any, role: str, op: Any,
                         remaining: Resources) -> tuple[list[Any], Resources]:
        """Apply a RESERVE / UNRESERVE of an ACCEPT to what is left of the offers. `--acls`
        first (Mesos `_accept`): reserve_resources on each resource's reservation role,
        unreserve_resources on each one's reserver principal, as the framework's principal;
        a denied operation is dropped (OPERATION_ERROR when it has an id), nothing changes."""
        error = self._authorize_offer_operation(fw, op)
        if error is None and isinstance(op, OpReserve):
            error = self._validate_reserve(fw, role, op, remaining)
        elif error is None:
            error = self._validate_unreserve(op, role, remaining)
        if error is not None:
            out: list[Any] = [Log(level="warning", event="operation_invalid", fields=(
                ("framework_id", fw.id), ("operation_id", op.id or ""), ("error", error)))]
            if op.id is not None:
                out += self._operation_status(fw, agent.id, op, None, ERROR, error, acked=True)
            return out, remaining
        if isinstance(op, OpReserve):
            converted = alloc.allocate_to(op.resources.unallocate(), role)
            consumed = converted.pop_reservation()
        else:
            consumed = alloc.allocate_to(op.resources.unallocate(), role)
            converted = consumed.pop_reservation()
        out = self._alloc(alloc.ConvertResources(  # type: ignore[attr-defined]
            agent_id=agent.id, consumed=consumed, converted=converted, framework_id=fw.id))
        out += self._set_agent_total(agent, consumed.unallocate(), converted.unallocate())
        remaining = remaining - consumed + converted
        self._count("master/operations/finished")  # type: ignore[attr-defined]
        if op.id is not None:
            out += self._operation_status(fw, agent.id, op, None, PENDING, "", acked=True,
                                          converted=converted)
            out += self._operation_finish_after_commit(fw.id, op.id)
        return out, remaining

    def _operation_finish_after_commit(self, fid: str, op_id: str) -> list[Any]:
        """FINISHED once the registry committed the operation's record (queued after the
        reservation write, the registrar commits them in order)."""
        rec = self._operations[(fid, op_id)]
        value = (rec.agent_id, FINISHED, "")
        wop = self._op_id()  # type: ignore[attr-defined]
        self._pending_ops[wop] = ("operation", fid, op_id)
        return self._registry_op(wop, ("set", ("operation", fid, op_id), value))  # type: ignore[attr-defined, no-any-return]

    def _operation_committed(self, pending: tuple[Any, ...]) -> list[Any]:
        _, fid, op_id = pending
        rec = self._operations.get((fid, op_id))
        if rec is None or rec.state != PENDING:
            return []
        self._settings[("operation", fid, op_id)] = (rec.agent_id, FINISHED, "")
        fw = self._frameworks.get(fid)
        return self._operation_status(fw, rec.agent_id, rec.info, rec.state, FINISHED, "",
                                      acked=False, converted=rec.converted)

    def _operation_status(self, fw: Any, agent_id: str, op: Any, old: str | None, new: str,
                          message: str, *, acked: bool, converted: Resources | None = None) -> list[Any]:
        """Move an operation to `new` (TRANSITIONS) and tell its framework. `acked=True`:
        a status the framework need not acknowledge (no uuid: PENDING, or ERROR)."""
        op_id = op.id
        check_transition(op_id, old, new)
        fid = fw.id if fw is not None else ""
        rec = self._operations.get((fid, op_id))
        if rec is None:
            rec = self._operations[(fid, op_id)] = MOperation(
                framework_id=fid, agent_id=agent_id, operation_id=op_id, info=op,
                converted=converted or Resources())
        rec.state = new
        status = OperationStatus(operation_id=op_id, state=new, message=message, agent_id=agent_id,
                                 uuid=None if acked else self.ids.next_uuid(),
                                 converted_resources=(converted or Resources()) if new == FINISHED else Resources())
        rec.statuses.append(status)
        if new == ERROR:  # nothing to acknowledge: forgotten (Mesos keeps no record either)
            del self._operations[(fid, op_id)]
        if new == PENDING:
            return []  # Mesos sends no PENDING update for a speculative operation
        return self._send_fw(fw, EventUpdateOperationStatus(status=status))  # type: ignore[attr-defined, no-any-return]

    # ------------------------------------------------------------------ scheduler calls
    def _call_acknowledge_operation_status(self, fw: Any, call: CallAcknowledgeOperationStatus) -> list[Any]:
        rec = self._operations.get((fw.id, call.operation_id))
        if rec is None or not rec.statuses or rec.statuses[-1].uuid != call.uuid:
            return [Log(level="warning", event="operation_ack_unknown", fields=(
                ("framework_id", fw.id), ("operation_id", call.operation_id)))]
        if rec.state not in TERMINAL:
            return []
        del self._operations[(fw.id, call.operation_id)]
        key = ("operation", fw.id, call.operation_id)
        self._settings.pop(key, None)
        wop = self._op_id()  # type: ignore[attr-defined]
        self._pending_ops[wop] = ("setting", key, None, None)
        return self._registry_op(wop, ("set", key, None))  # type: ignore[attr-defined, no-any-return]

    def _call_reconcile_operations(self, fw: Any, call: CallReconcileOperations) -> list[Any]:
        asked = call.operations or tuple(
            (op_id, rec.agent_id) for (fid, op_id), rec in sorted(self._operations.items())
            if fid == fw.id)
        out: list[Any] = []
        for op_id, agent_id in asked:
            rec = self._operations.get((fw.id, op_id))
            if rec is not None:
                st = attrs.evolve(rec.statuses[-1], uuid=None)
            else:
                aid = agent_id or ""
                state = "OPERATION_UNKNOWN"
                if aid in self._gone:
                    state = "OPERATION_GONE_BY_OPERATOR"
                elif aid in self._unreachable:
                    state = "OPERATION_UNREACHABLE"
                elif aid in getattr(self, "_recovered_agents", {}):
                    state = "OPERATION_RECOVERING"
                st = OperationStatus(operation_id=op_id, state=state, agent_id=agent_id)
            out += self._send_fw(fw, EventUpdateOperationStatus(status=st))  # type: ignore[attr-defined]
        return out

    # ------------------------------------------------------------------ recovery
    def _restore_operations(self) -> None:
        """After election: the unacknowledged terminal operations the registry keeps."""
        self._operations = {}
        for key, value in self._settings.items():
            if key[0] == "operation" and len(key) == 3 and value:
                fid, op_id = key[1], key[2]
                aid, state, message = value
                st = OperationStatus(operation_id=op_id, state=state, message=message,
                                     agent_id=aid, uuid=self.ids.next_uuid())
                self._operations[(fid, op_id)] = MOperation(
                    framework_id=fid, agent_id=aid, operation_id=op_id, info=None, state=state,
                    statuses=[st])

    # ------------------------------------------------------------------ operator API
    def _op_reserve_resources(self, request: str, agent_id: str, resources: Resources,
                              reserve: bool) -> list[Any]:
        """RESERVE_RESOURCES / UNRESERVE_RESOURCES: on the agent's unallocated resources
        (its outstanding offers are rescinded first, as Mesos does); 409 when they are not
        available."""
        agent = self._agents.get(agent_id)
        what = "RESERVE_RESOURCES" if reserve else "UNRESERVE_RESOURCES"
        if agent is None:
            return [Respond(request=request, status=400, message=f"Unknown agent {agent_id}")]
        if not resources:
            return [Respond(request=request, status=400, message=f"{what}: no resources")]
        for r in resources:
            if r.allocation_role is not None:
                return [Respond(request=request, status=400,
                                message=f"{what}: resource {r} must not have an allocation role")]
            if not r.reservations or r.reservations[-1].type != "DYNAMIC":
                return [Respond(request=request, status=400,
                                message=f"{what}: resource {r} is not dynamically reserved")]
        out: list[Any] = []
        for oid in sorted(agent.offers):
            out += self._recover_offer(oid, rescind=True)  # type: ignore[attr-defined]
        if reserve:
            consumed, converted = resources.pop_reservation(), resources
        else:
            consumed, converted = resources, resources.pop_reservation()
        if not self.allocator.available(agent.id).contains(consumed):
            return [Respond(request=request, status=409, message=(
                f"{what}: {consumed} is not available on agent {agent_id}")), *out]
        out += self._alloc(alloc.ConvertResources(  # type: ignore[attr-defined]
            agent_id=agent.id, consumed=consumed, converted=converted))
        out += self._set_agent_total(agent, consumed, converted, request)
        self._allocate()  # type: ignore[attr-defined]
        return out

    def operations_of(self) -> list[MOperation]:
        return [rec for _k, rec in sorted(self._operations.items())]
