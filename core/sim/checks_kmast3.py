"""s19 kmast3: master-side properties of the simulator's checker for the offer calls
(core/master/offers.py).

Each function is called from one line of core/sim/checker.py tagged `# s19 kmast3`, from a
branch the checker already takes for that input; each judges one master step against
behaviour Mesos has (the property's docstring in core/invariants.py cites the Mesos
source) and reports through `chk.run` with the (property, master, what) rows of
`ClusterSnapshot.s17_killa`. Nothing here changes a machine or the world.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.effects import Close, Log, Respond, Send
from mesotron.core.messages import EventError, SchedulerCall
from mesotron.core.sim.checks_kproto import taken_from_subscribed


def _fail(chk: Any, world: Any, name: str, master: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, master, what),)))


# ================================================================== DECLINE
def check_decline(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any],
                  pre_offers: dict[str, Any]) -> None:
    """DeclinesAsMesos, after a master step on a DECLINE it took (202) from a subscribed
    framework: each offer named that the framework held before the step is gone from the
    master's offers; each other one (unknown, rescinded, another framework's) is logged
    `decline_invalid_offer` naming it, and another framework's offer stays outstanding."""
    fw = taken_from_subscribed(node, inp, effects)
    if fw is None:
        return
    offers = node.machine._offers
    logged: set[str] | None = None
    for oid in dict.fromkeys(inp.call.offer_ids):
        pre = pre_offers.get(oid)
        if pre is not None and pre.framework_id == fw.id:
            if oid in offers:
                _fail(chk, world, "DeclinesAsMesos", node.name,
                      f"kept offer {oid} that framework {fw.id} declined")
            continue
        if logged is None:
            logged = {str(dict(e.fields).get("offer_id")) for e in effects
                      if type(e) is Log and e.event == "decline_invalid_offer"}
        if oid not in logged:
            _fail(chk, world, "DeclinesAsMesos", node.name,
                  f"did not log the decline of offer {oid} by framework {fw.id}, which "
                  "it does not hold")
        if pre is not None and oid not in offers:
            _fail(chk, world, "DeclinesAsMesos", node.name,
                  f"dropped offer {oid} of framework {pre.framework_id} that framework "
                  f"{fw.id} declined")


# ================================================================== SUBSCRIBE
BAD_SUBSCRIBE = "/invalid-subscribe-"


def bad_subscriptions(world: Any, s: Any, m: Any, info: Any) -> list[tuple[str, Any]]:
    """World.hostile_scheduler_calls with `master_edges`: deliver to leader `m`, at once and
    off the network (authenticated as scheduler `s`, no stream, the answers go nowhere),
    well-formed SUBSCRIBE calls of a new framework whose FrameworkInfo breaks one rule of
    Mesos's framework validation each (and, in an operator run, an empty
    RESERVE_RESOURCES); returns (the message Mesos's ERROR event gives, the call) per
    SUBSCRIBE."""
    from mesotron.core.messages import CallSubscribe

    role = info.roles[0] if info.roles else "web"
    new = attrs.evolve(info, id=None)
    calls: list[tuple[str, Any]] = []
    for bad, error in (
        ("", "Empty role name is invalid"),
        (".", "Role '.' cannot be '.' or '..'"),
        ("..", "Role '..' cannot be '.' or '..'"),
        ("-web", "Role '-web' cannot start with '-'"),
        ("web*", "Role 'web*' cannot contain '*'"),
        ("we b", "Role 'we b' cannot include whitespace"),
        ("/web", "Role '/web' cannot start or end with '/' or contain '//'"),
        ("web/", "Role 'web/' cannot start or end with '/' or contain '//'"),
        ("web//a", "Role 'web//a' cannot start or end with '/' or contain '//'"),
    ):
        calls.append((error, CallSubscribe(framework_info=attrs.evolve(new, roles=(role, bad)))))
    calls.append(("'FrameworkInfo.roles' contains duplicate items",
                  CallSubscribe(framework_info=attrs.evolve(new, roles=(role, role)))))
    whitelist = m.machine.config.roles
    if whitelist is not None and "qa" not in whitelist:
        calls.append(("Role 'qa' is not present in the master's --roles",
                      CallSubscribe(framework_info=attrs.evolve(new, roles=(role, "qa")))))
    calls.append(("Suppressed role 'qa' is not contained in the list of roles",
                  CallSubscribe(framework_info=new, suppressed_roles=("qa",))))
    calls.append(("Offer constraints specified for role 'qa' the framework is not subscribed to",
                  CallSubscribe(framework_info=new, offer_constraints=(("qa", ()),))))
    world.bad_subscribes = getattr(world, "bad_subscribes", 0) + 1
    malformed_updates(world, s, m, info.id or "sim-none")
    if world.config.operator and m.machine._agents:
        # and the operator's RESERVE_RESOURCES with no resources on a known agent (refused
        # 400: InvalidOperatorCallsRefused, as World.invalid_agent_calls' calls)
        from mesotron.core.master import operator as op
        from mesotron.core.resources import Resources
        from mesotron.core.sim.world import OPERATOR

        req = f"operator-kmast3-{world.bad_subscribes}"
        world.op_requests[req] = ("invalid", "a RESERVE_RESOURCES with no resources")
        world.deliver(m, op.OperatorCall(request=req, principal=OPERATOR, call=op.ReserveResources(
            agent_id=min(m.machine._agents), resources=Resources())))
    errors = world.__dict__.setdefault("bad_subscribe_errors", {})
    for i, (error, call) in enumerate(calls):
        request = f"{s.name}-{world.bad_subscribes}{BAD_SUBSCRIBE}{i}"
        errors[request] = error
        world.deliver(m, SchedulerCall(request=request, stream_id=None, framework_id=None,
                                       call=call, principal=info.principal or s.name))
    return calls


def check_bad_subscribe(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """InvalidSubscriptionsRefused, after a master step on one of bad_subscriptions' calls:
    a leading master answers it 200 with a new stream, sends one ERROR event on that stream
    naming the broken rule (Mesos's message), closes the stream and books no framework."""
    error = world.__dict__.get("bad_subscribe_errors", {}).pop(inp.request, None)
    if error is None or not effects or type(effects[0]) is not Respond:
        return
    first = effects[0]
    if first.status == 503:
        return  # not leading (or not recovered): refused before any validation
    stream = first.stream_id
    rest = effects[1:]
    what = None
    if first.status != 200 or stream is None:
        what = f"answered {first.status} {first.message!r}"
    elif len(rest) != 2 or type(rest[0]) is not Send or rest[0].to != stream \
            or type(rest[0].message) is not EventError or type(rest[1]) is not Close \
            or rest[1].peer != stream:
        what = "answered with " + ", ".join(type(e).__name__ for e in effects)
    elif rest[0].message.message != error:
        what = f"refused with ERROR {rest[0].message.message!r}, Mesos's is {error!r}"
    elif stream in node.machine._streams:
        what = f"booked stream {stream} for it"
    if what is not None:
        _fail(chk, world, "InvalidSubscriptionsRefused", node.name,
              f"SUBSCRIBE {inp.request.split(BAD_SUBSCRIBE, 1)[1]} (roles "
              f"{inp.call.framework_info.roles}, want {error!r}): {what}")


# ================================================================== MasterDescribeAgrees
def registry_windows(chk: Any, world: Any, node: Any) -> None:
    """MasterDescribeAgrees (s19 kmast3: also in its registry windows), after a leading
    master's step (not a scheduler call) while it waits for the registry to (re-)register,
    mark unreachable or prune an agent: the only moments its describe() lists those (the
    sampled views rarely fall in them). Once per set of pending registry operations."""
    m = node.machine
    if not m.leader or not (m._registering or m._reregistering or m._marking_unreachable
                            or m._pruning):
        return
    key = (node.name, node.inc, tuple(m._registering.values()),
           tuple(m._reregistering.values()), tuple(m._marking_unreachable.values()),
           tuple(m._pruning.values()))
    if chk.__dict__.get("_kmast3_window") == key:
        return
    chk.__dict__["_kmast3_window"] = key
    from mesotron.core.sim.checker import check_master_describe

    check_master_describe(chk, world, node)


# ================================================================== OperatorViewsAgree
def full_resources_rows(who: str, state: dict[str, Any]) -> list[tuple[str, str]]:
    """OperatorViewsAgree (s19 kmast3): /master/state's `unreserved_resources_full` and
    `reserved_resources_full` of each agent are in Mesos's endpoint format (the
    pre-refinement one, convertResourceFormat(&resource, ENDPOINT)): every unreserved
    resource carries role '*', every resource reserved for a role carries that role, and
    none carries a `reservations` stack."""
    bad: list[tuple[str, str]] = []
    for sl in state["slaves"]:
        rows = [("*", r) for r in sl["unreserved_resources_full"]]
        rows += [(role, r) for role, rs in sl["reserved_resources_full"].items() for r in rs]
        for role, r in rows:
            if r.get("role") != role or "reservations" in r:
                bad.append((who, (f"agent {sl['id']}'s resource {r} in /master/state is not "
                                  f"in Mesos's endpoint format for role {role!r}")))
                break
    return bad


# ================================================================== MalformedAgentMessagesRefused
MALFORMED_PEER = "/kmast3-malformed-agent"


def malformed_updates(world: Any, s: Any, m: Any, fid: str) -> None:
    """With bad_subscriptions: a hostile peer (`<scheduler>` + MALFORMED_PEER) sends leader
    `m`, at once and off the network, status updates with ONE field of the StatusUpdate
    broken each (an empty framework id, a latest_state that is not a TaskState): each must
    be rejected 400 and change nothing (MalformedAgentMessagesRefused)."""
    from mesotron.core.effects import Received
    from mesotron.core.messages import StatusUpdate, StatusUpdateMessage
    from mesotron.core.values import Source, TaskState, TaskStatus

    uuid = bytes(16)
    status = TaskStatus(task_id="sim-malformed-task", state=TaskState.TASK_RUNNING,
                        source=Source.SOURCE_EXECUTOR, agent_id="sim-malformed-agent", uuid=uuid)
    good = StatusUpdate(framework_id=fid, uuid=uuid, status=status)
    # (an update that is not a StatusUpdate, or whose status is not a TaskStatus, is left
    # out: the checker's own books read every update's status)
    for update in (attrs.evolve(good, framework_id=""),
                   attrs.evolve(good, latest_state="TASK_RUNNING")):
        world.deliver(m, Received(sender=s.name + MALFORMED_PEER,
                                  message=StatusUpdateMessage(update=update)))  # type: ignore[arg-type]


def check_malformed_update(chk: Any, world: Any, inp: Any, effects: list[Any]) -> None:
    """MalformedAgentMessagesRefused, after a master step on one of malformed_updates'
    messages: one Reject, status 400, nothing else."""
    from mesotron.core.effects import Reject

    if len(effects) == 1 and type(effects[0]) is Reject and effects[0].status == 400:
        return
    what = ", ".join(f"{type(e).__name__}" + (f" {e.status}" if type(e) is Reject else "")
                     for e in effects) or "nothing"
    chk.run(world, inv.MalformedAgentMessagesRefused, inv.ClusterSnapshot(
        malformed_agent_answers=((inp.sender, "StatusUpdateMessage", f"answered with {what}"),)))


# ================================================================== SuppressionBooksAgree
def check_suppression_books(chk: Any, world: Any, node: Any, inp: Any,
                            effects: list[Any]) -> None:
    """SuppressionBooksAgree, after a master step on a SUPPRESS, REVIVE or SUBSCRIBE it took
    (2xx) from a framework it holds subscribed: the roles its books (describe(), the
    framework view) say the framework suppressed are the roles its allocator suppresses
    offers of for it."""
    m = node.machine
    if not m.leader or not effects or type(effects[0]) is not Respond \
            or effects[0].status >= 300:
        return
    fid = inp.framework_id
    if type(inp.call).__name__ == "CallSubscribe":
        fid = m._streams.get(effects[0].stream_id or "")
    fw = m._frameworks.get(fid or "")
    al = m.allocator._frameworks.get(fid or "")
    if fw is None or fw.stream is None or al is None:
        return
    if set(fw.suppressed_roles) != al.suppressed:
        _fail(chk, world, "SuppressionBooksAgree", node.name,
              f"books framework {fw.id} suppressed for {sorted(fw.suppressed_roles)}, its "
              f"allocator suppresses {sorted(al.suppressed)} after {type(inp.call).__name__}")
