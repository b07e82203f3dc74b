"""s18 drivel: checks of the allocator's explanations and filters, and of the multi-role
framework's drive (core/sim/frameworks.py MultiRole, SimConfig.multirole).

- `check_offers` (OffersInSubscribedRoles): every offer a master step sends is for one
  of its framework's roles (Mesos allocates to a framework only through the framework
  sorters of the roles it subscribes to).
- `check_offers` (DrfOrder): every offer a master step sends after its
  allocation cycle is explained at BOTH levels of Mesos's hierarchical allocator
  (HierarchicalAllocatorProcess::__allocate: the role sorter picks the role, then that
  role's framework sorter picks the framework): a role-level decision choosing the
  offer's role on that agent, and a framework-level decision of that role choosing the
  offer's framework (s16 kproto checked only that the agent had some decision).
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.allocator.machine import Allocator
from mesotron.core.effects import Respond, Send
from mesotron.core.messages import CallRevive, CallSubscribe, EventOffers, SchedulerCall

# the calls after which a framework's filters for some roles are gone (FiltersCleared)
_CLEARING = (CallRevive, CallSubscribe)


def check_offers(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """After a master step whose allocation cycle ran, over the offers it sent:
    OffersInSubscribedRoles (s18 drivel): each offer's role is one of its framework's
    roles; and DrfOrder (s18 drivel), in the allocator's explain mode: each offer has its
    role-level and framework-level decisions."""
    m = node.machine
    al = m.allocator
    explain = type(al) is Allocator and al.config.explain and not al.config.naive
    roles: set[tuple[str, str]] | None = None  # (agent, role chosen at the role level)
    fws: set[tuple[str, str, str]] = set()  # (agent, role, framework chosen in the role)
    for e in effects:
        if type(e) is not Send or type(e.message) is not EventOffers:
            continue
        for o in e.message.offers:
            fw = m._frameworks.get(o.framework_id)
            if fw is not None and o.role not in fw.info.roles:
                chk.run(world, inv.OffersInSubscribedRoles, inv.ClusterSnapshot(s18_drivel=((
                    "OffersInSubscribedRoles",
                    (f"offer {o.id} of agent {o.agent_id} to {o.framework_id} for role "
                     f"{o.role}, which the framework does not subscribe to (its roles: "
                     f"{','.join(fw.info.roles) or '-'})")),)))
                return
            if not explain:
                continue
            if roles is None:
                roles = set()
                for d in al.last_cycle_decisions:
                    if d.role:
                        fws.add((d.agent_id, d.role, d.chosen))
                    else:
                        roles.add((d.agent_id, d.chosen))
            missing = None
            if (o.agent_id, o.role) not in roles:
                missing = "role-level"
            elif (o.agent_id, o.role, o.framework_id) not in fws:
                missing = "framework-level"
            if missing is not None:
                chk.run(world, inv.DrfOrder, inv.ClusterSnapshot(unexplained_offers=((
                    o.agent_id, (f"{o.framework_id} in role {o.role} (no {missing} "
                                 f"decision)")),)))
                return


def master_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """The master-side checks of this module (called right after kproto_master_step in
    Checker.on_master_step: before check_drf consumes the cycle's decisions)."""
    if node.leader and node.machine.allocator.cycle != chk.cycle_before:
        check_offers(chk, world, node, effects)
    if type(inp) is SchedulerCall and type(inp.call) in _CLEARING and node.leader \
            and type(node.machine.allocator) is Allocator:
        check_filters_cleared(chk, world, node, inp, effects)


def _role_scalars(res: Any) -> dict[tuple[str, str], int]:
    """(allocation role or '', scalar name) -> milli-units of one Resources value."""
    out: dict[tuple[str, str], int] = {}
    for r in res:
        if r.scalar is not None:
            k = (r.allocation_role or "", r.name)
            out[k] = out.get(k, 0) + round(r.scalar * 1000)
    return {k: v for k, v in out.items() if v}


def check_allocation_roles(chk: Any, world: Any, books: list[Any]) -> None:
    """AllocationRolesAgree (s18 drivel) on the (agent, allocator's held, master's used +
    offered) rows AllocationBooksAgree just judged: the same quantities per allocation
    role. Equal values agree (the usual case: nothing to compute)."""
    rows = []
    for aid, held, booked in books:
        if held == booked:
            continue
        h, b = _role_scalars(held), _role_scalars(booked)
        if h != b:
            diff = sorted(k for k in set(h) | set(b) if h.get(k, 0) != b.get(k, 0))
            rows.append(("AllocationRolesAgree", (
                f"agent {aid}: the allocator holds "
                + ", ".join(f"{n}:{h.get((r, n), 0) / 1000:g} for role {r or '-'}"
                            for r, n in diff[:4])
                + " where the master books "
                + ", ".join(f"{b.get((r, n), 0) / 1000:g}" for r, n in diff[:4]))))
    if rows:
        chk.run(world, inv.AllocationRolesAgree, inv.ClusterSnapshot(s18_drivel=tuple(rows)))


def check_filters_cleared(chk: Any, world: Any, node: Any, inp: Any,
                          effects: list[Any]) -> None:
    """FiltersCleared (s18 drivel), after a master step on a REVIVE or a re-SUBSCRIBE it
    accepted: the allocator keeps no filter of the framework for a role it revived (all its
    roles when the REVIVE names none), nor for a role it no longer subscribes to."""
    if not effects or type(effects[0]) is not Respond or effects[0].status >= 300:
        return
    al = node.machine.allocator
    c = inp.call
    revive = type(c) is CallRevive
    fid = inp.framework_id if revive else c.framework_info.id
    fw = al._frameworks.get(fid)
    if fw is None:
        return
    mine = set(fw.roles)
    if revive:
        roles = set(c.roles or fw.roles)
        what = f"revived {','.join(sorted(roles))}"
    else:
        roles = {r for aid in al._agents for (f, r) in al._agents[aid].filters
                 if f == fid and r not in mine}
        what = f"subscribed with roles {','.join(sorted(mine)) or '-'}"
    if not roles:
        return
    left = sorted((aid, role) for aid, ag in al._agents.items()
                  for (f, role) in ag.filters if f == fid and role in roles)
    if left:
        aid, role = left[0]
        chk.run(world, inv.FiltersCleared, inv.ClusterSnapshot(s18_drivel=((
            "FiltersCleared",
            (f"framework {fid} {what} but the allocator keeps its filter for role {role} "
             f"on agent {aid} ({len(left)} in all)")),)))


def _secs(x: float) -> str:
    """A virtual time as describe() prints it: 'inf', else rounded to the millisecond, an
    integer without its '.0'."""
    if x == float("inf"):
        return "inf"
    r = round(x, 3)
    return str(int(r)) if r == int(r) else f"{r:g}"


def filter_lines(agent: Any) -> list[str]:
    """DescribeAgrees (s18 drivel): the lines the allocator's describe() must hold for one
    agent's decline filters (each (framework, role) filter with its expiry and resources,
    expired or not: the books it keeps)."""
    return [f"  filter {fid} role={role} until={_secs(exp)} {res or '-'}"
            for (fid, role), (res, exp) in sorted(agent.filters.items())]
