"""The allocator's explain mode for one framework: why it is (not) offered each agent.

Reads (never writes) the allocator's books: agents (active, available, filters,
attributes), frameworks (roles, suppressed, constraints, allocations), roles (weights, quota,
allocations). Answers, for the NEXT allocation cycle as it would start from the current books,
on every agent and for every role of the framework, the FIRST rule of the cycle
(core/allocator/cycle.py `_allocate_agent` / `_first_eligible`) that keeps the framework from
being chosen, in the cycle's own order:

  agent_inactive          the agent is deactivated (draining, or disconnected)
  no_available_resources  everything on the agent is offered or allocated already
  reserved_for_other_roles what is available is reserved for other roles
  below_min_allocatable   what the role may use is below --min_allocatable_resources
  framework_inactive      the framework is disconnected / failing over
  suppressed              the framework suppressed offers for the role
  offer_constraint        the framework's offer constraints for the role reject the agent
  decline_filter          a decline filter of the framework (role, agent) is unexpired and
                          covers what would be offered (until when)
  quota_of_other_role     a role below its quota guarantee goes first and has a taker
  drf_rank                a role with a lower weighted dominant share goes first and has a
                          taker, or a framework of the same role with a lower share
  next                    nothing blocks: the framework is the cycle's first choice here

Nothing of the allocator changes (only its memo of Resources operations may fill, a cache).
The shares are recomputed from the ledgers (not read from the incremental indexes, which may
be stale between an agent joining and the next cycle), so this costs O(agents x frameworks of
the framework's roles): an on-demand operator query, not a hot path.

Exactness (tests/test_why.py): on the first agent the cycle visits, `next` holds exactly when
the real cycle allocates that agent to the framework first; a framework the real cycle
allocates on an agent is never given a hard blocker (anything but drf_rank /
quota_of_other_role) there.

Books read: `_agent_order`, `_agents`, `_frameworks`, `_quota`, `_quota_unsat`, `_role_alloc`,
  `_role_members`, `_total`, `_weights`.
Books written: none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from mesotron.core.allocator.drf import dominant_share

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.core.allocator.machine import Allocator, _Agent

MAX_AHEAD = 10  # frameworks listed in a drf_rank reason (the message counts all)

HARD = frozenset({"agent_inactive", "no_available_resources", "reserved_for_other_roles",
                  "below_min_allocatable", "framework_inactive", "suppressed",
                  "offer_constraint", "decline_filter"})


@attrs.frozen(kw_only=True, slots=True)
class AgentReason:
    """Why `framework` is (not) offered `agent_id` for `role` at the next cycle."""

    agent_id: str
    role: str
    kind: str
    message: str
    until: float | None = None  # decline_filter: when it expires
    ahead: tuple[tuple[str, float], ...] = ()  # drf_rank/quota: (role or framework, share) first


@attrs.frozen(kw_only=True, slots=True)
class RoleShare:
    role: str
    weight: float
    share: float  # unweighted dominant share of the role
    weighted_share: float
    quota: str | None  # guarantee, if any
    below_quota: bool
    frameworks: tuple[tuple[str, float], ...]  # (framework id, share in the role), DRF order


@attrs.frozen(kw_only=True, slots=True)
class AllocatorExplanation:
    framework_id: str
    known: bool
    active: bool = False
    roles: tuple[str, ...] = ()
    suppressed_roles: tuple[str, ...] = ()
    share: float = 0.0  # dominant share over everything it holds
    role_shares: tuple[RoleShare, ...] = ()  # every role of the cluster, in cycle order
    agents: tuple[AgentReason, ...] = ()  # per (agent, role of the framework)
    filters: tuple[tuple[str, str, float, str], ...] = ()  # (agent, role, until, resources)


def explain(al: Allocator, now: float, framework_id: str) -> AllocatorExplanation:
    fw = al._frameworks.get(framework_id)
    if fw is None:
        return AllocatorExplanation(framework_id=framework_id, known=False)
    shares = _role_shares(al)
    order = _order(al, shares)
    ranked = {r.role: r.frameworks for r in shares.values()}  # DRF order: (share, id)
    memo: dict[Any, AgentReason] = {}
    role_w = {r.role: r.weighted_share for r in shares.values()}
    reasons: list[AgentReason] = []
    for aid in al._agent_order:
        agent = al._agents[aid]
        for role in fw.roles:
            reasons.append(_why_agent(al, now, agent, framework_id, role, order, ranked,
                                      role_w, memo))
    filters = tuple(sorted(
        (aid, role, exp, str(res))
        for aid in fw.filtered_agents if aid in al._agents
        for (f, role), (res, exp) in al._agents[aid].filters.items()
        if f == framework_id and now < exp))
    return AllocatorExplanation(
        framework_id=framework_id, known=True, active=fw.active, roles=fw.roles,
        suppressed_roles=tuple(sorted(fw.suppressed)),
        share=dominant_share(fw.total, al._total),
        role_shares=tuple(shares[r] for _q, r in order), agents=tuple(reasons),
        filters=filters)


def _role_shares(al: Allocator) -> dict[str, RoleShare]:
    out = {}
    for role in sorted(set(al._role_members) | set(al._role_alloc)):
        share = dominant_share(al._role_alloc.get(role, {}), al._total)
        w = al._weights.get(role, 1.0)
        members = sorted(
            (dominant_share(al._frameworks[f].by_role.get(role, {}), al._total), f)
            for f in al._role_members.get(role, ()))
        q = al._quota.get(role)
        out[role] = RoleShare(role=role, weight=w, share=share, weighted_share=share / w,
                              quota=str(q[0]) if q else None,
                              below_quota=role in al._quota_unsat,
                              frameworks=tuple((f, s) for s, f in members))
    return out


def _order(al: Allocator, shares: dict[str, RoleShare]) -> list[tuple[bool, str]]:
    """The cycle's role order: roles below quota first, each stage by weighted share."""
    ranked = sorted(shares.values(), key=lambda r: (r.weighted_share, r.role))
    unsat = [(True, r.role) for r in ranked if r.below_quota]
    return unsat + [(False, r.role) for r in ranked if not r.below_quota]


def _blocker(al: Allocator, now: float, agent: _Agent, fid: str, role: str,
             offerable: Any) -> tuple[str, str, float | None] | None:
    """The framework-side rule that skips `fid` for (agent, role), or None (eligible)."""
    fw = al._frameworks[fid]
    if not fw.active:
        return ("framework_inactive",
                "the framework is not active (disconnected or failing over)", None)
    if role in fw.suppressed:
        return ("suppressed", (f"the framework suppressed offers for role {role!r} (it must "
                               "REVIVE to get offers again)"), None)
    cons = fw.constraints.get(role)
    if cons and not all(c.holds(agent.attributes) for c in cons):
        return ("offer_constraint",
                f"its offer constraints for role {role!r} reject the agent's attributes", None)
    f = agent.filters.get((fid, role))
    if f is not None and now < f[1] and f[0].contains(offerable):
        return ("decline_filter", (f"it declined this agent's resources for role {role!r}: "
                                   f"filtered until t={f[1]:g} ({f[1] - now:.1f}s from now)"),
                f[1])
    return None


def _first_taker(al: Allocator, now: float, agent: _Agent, role: str,
                 ranked: dict[str, tuple[tuple[str, float], ...]]) -> tuple[str, float] | None:
    """The first eligible framework of `role` (DRF order) for what the agent has, or None:
    the cycle's `_first_eligible`, without its side effects."""
    split = al._split(agent.available, role)
    if not split.allocatable:
        return None
    for f, s in ranked.get(role, ()):
        if _blocker(al, now, agent, f, role, split.offerable) is None:
            return (f, s)
    return None


def _ahead_of(al: Allocator, now: float, agent: _Agent, role: str, fid: str,
              ranked: dict[str, tuple[tuple[str, float], ...]]) -> list[tuple[str, float]]:
    """The eligible frameworks of `role` ranked before `fid` on this agent (the first
    MAX_AHEAD + 1 of them: enough to say who goes first, and bounded)."""
    split = al._split(agent.available, role)
    out = []
    for f, s in ranked.get(role, ()):
        if f == fid:
            break
        if _blocker(al, now, agent, f, role, split.offerable) is None:
            out.append((f, s))
            if len(out) > MAX_AHEAD:
                break
    return out


def _why_agent(al: Allocator, now: float, agent: _Agent, fid: str, role: str,
               order: list[tuple[bool, str]], ranked: dict[str, tuple[tuple[str, float], ...]],
               role_w: dict[str, float], memo: dict[Any, AgentReason]) -> AgentReason:
    def r(kind: str, message: str, until: float | None = None,
          ahead: tuple[tuple[str, float], ...] = ()) -> AgentReason:
        return AgentReason(agent_id=agent.id, role=role, kind=kind, message=message,
                           until=until, ahead=ahead)

    if not agent.active:
        return r("agent_inactive", "the agent is deactivated (draining, or disconnected)")
    avail = agent.available
    if not avail:
        holders = ", ".join(sorted(agent.alloc)) or "-"
        return r("no_available_resources", f"everything on the agent is offered or allocated "
                 f"(to {holders})")
    split = al._split(avail, role)
    if not split.offerable:
        return r("reserved_for_other_roles", f"what is available ({avail}) is reserved for "
                 f"other roles than {role!r}")
    if not split.allocatable:
        return r("below_min_allocatable", f"what role {role!r} may use ({split.offerable}) is "
                 "below the minimum allocatable resources")
    b = _blocker(al, now, agent, fid, role, split.offerable)
    if b is not None:
        return r(b[0], b[1], b[2])
    # what follows depends on the agent only through (available, attributes, filters): agents
    # without filters that have the same available resources and attributes share the answer
    key = (role, avail, agent.attributes) if not agent.filters else None
    if key is not None and key in memo:
        return attrs.evolve(memo[key], agent_id=agent.id)
    answer = _rank(al, now, agent, fid, role, order, ranked, role_w, r)
    if key is not None:
        memo[key] = answer
    return answer


def _rank(al: Allocator, now: float, agent: _Agent, fid: str, role: str,
          order: list[tuple[bool, str]], ranked: dict[str, tuple[tuple[str, float], ...]],
          role_w: dict[str, float], r: Any) -> AgentReason:
    # roles visited before this one that would take the agent
    stage = next(q for q, x in order if x == role)
    for q, other in order:
        if other == role:
            break
        taker = _first_taker(al, now, agent, other, ranked)
        if taker is not None:
            first = ((other, role_w[other]),)
            if q and not stage:
                return r("quota_of_other_role", f"role {other!r} is below its quota guarantee "
                         f"and goes first (taker: framework {taker[0]})", ahead=first)
            return r("drf_rank", f"role {other!r} has a lower weighted dominant share "
                     f"({role_w[other]:.4f} < {role_w[role]:.4f}) and goes first (taker: "
                     f"framework {taker[0]})", ahead=first)
    ahead = _ahead_of(al, now, agent, role, fid, ranked)
    if ahead:
        mine = al._frameworks[fid].by_role.get(role, {})
        mine_share = dominant_share(mine, al._total)
        n = f"more than {MAX_AHEAD}" if len(ahead) > MAX_AHEAD else str(len(ahead))
        return r("drf_rank", f"in role {role!r}, {n} framework(s) with a lower "
                 f"dominant share go first (first: {ahead[0][0]} at {ahead[0][1]:.4f}, "
                 f"this one at {mine_share:.4f})", ahead=tuple(ahead[:MAX_AHEAD]))
    return r("next", f"nothing blocks it: the next cycle offers this agent's resources for "
             f"role {role!r} to this framework")
