"""One allocation cycle of the hierarchical DRF allocator (see allocator.py for the policy).

Hot path: kept flat on purpose (local variables, no per-framework allocation of objects).
The explain mode (config.explain) records an `AllocationDecision` per choice, at the role
level (`role=""`, `chosen=<role>`, eligible roles with their weighted shares) and at the
framework level (`role=<role>`, `chosen=<framework>`, eligible frameworks with their shares).

Books read: `_agent_order`, `_agents`, `_epoch`, `_frameworks`, `_fw_index`, `_quota_unsat`,
  `_role_index`, `_role_members`, `_total`, `config`, `last_cycle_decisions`.
Books written: `last_cycle_decisions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesotron.core.allocator.drf import dominant_share as _dominant_share
from mesotron.core.books import AllocationDecision

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.core.allocator.machine import Allocation, Allocator, _Agent

INF = float("inf")


def run_cycle(al: Allocator, now: float) -> list[Allocation]:
    effects: list[Allocation] = []
    explain = al.config.explain
    decisions: list[AllocationDecision] = []
    if not _any_candidate(al):  # nobody could be offered anything: skip the agent walk
        al.last_cycle_decisions = decisions
        return effects
    agents = al._agents
    epoch_holder = al  # epoch may not change during a cycle
    for aid in al._agent_order:
        agent = agents[aid]
        if not agent.active:
            continue
        skip = agent.skip
        if skip is not None and skip[0] == epoch_holder._epoch and skip[1] == agent.version \
                and now < skip[2]:
            continue
        if explain:
            _explained_agent(al, now, agent, effects, decisions)
        else:
            _allocate_agent(al, now, agent, effects)
    al.last_cycle_decisions = decisions
    return effects


def _any_candidate(al: Allocator) -> bool:
    """Is some framework active with a role it does not suppress? (If not, no agent can be
    allocated to anyone: after a failover, agents re-register before their frameworks.)"""
    frameworks = al._frameworks
    for role, idx in al._fw_index.items():
        for _share, fid in idx._order:
            fw = frameworks[fid]
            if fw.active and role not in fw.suppressed:
                return True
    return False


def _role_order(al: Allocator) -> list[tuple[bool, str]]:
    keys = al._role_index.keys()
    unsat = al._quota_unsat
    if not unsat:
        return [(False, r) for r in keys]
    return [(True, r) for r in keys if r in unsat] + [(False, r) for r in keys if r not in unsat]


def _first_eligible(al: Allocator, now: float, agent: _Agent, role: str, offerable,
                    blocked: list[float]) -> str | None:
    idx = al._fw_index.get(role)
    if idx is None:
        return None
    frameworks = al._frameworks
    filters = agent.filters
    for _share, fid in idx._order:
        fw = frameworks[fid]
        if not fw.active or role in fw.suppressed:
            continue
        cons = fw.constraints.get(role) if fw.constraints else None
        if cons and not all(c.holds(agent.attributes) for c in cons):
            continue
        if filters:
            f = filters.get((fid, role))
            if f is not None:
                if now < f[1]:
                    if al._contains(f[0], offerable):
                        blocked[0] = min(blocked[0], f[1])
                        continue
                else:
                    al._drop_filter(agent, fid, role)
        return fid
    return None


def _give(al: Allocator, agent: _Agent, fid: str, role: str, split, effects: list) -> None:
    from mesotron.core.allocator.machine import Allocation

    fw = al._frameworks[fid]
    cur = agent.alloc.get(fid)
    agent.alloc[fid] = split.offer if cur is None else cur + split.offer
    agent.available = split.remaining
    agent.version += 1
    agent.skip = None
    fw.agents.add(agent.id)
    al._track_add(fw, role, split.ledger)
    effects.append(Allocation(framework_id=fid, role=role, agent_id=agent.id,
                              resources=split.offer))


def _allocate_agent(al: Allocator, now: float, agent: _Agent, effects: list) -> None:
    avail = agent.available
    if not avail:
        agent.skip = (al._epoch, agent.version, INF)
        return
    blocked = [INF]
    given = False
    if al._quota_unsat or len(al._role_index) != 1:
        order = _role_order(al)
    else:
        order = [(False, al._role_index.keys()[0])]
    for _quota, role in order:
        split = al._split(avail, role)
        if not split.allocatable:
            continue
        fid = _first_eligible(al, now, agent, role, split.offerable, blocked)
        if fid is None:
            continue
        _give(al, agent, fid, role, split, effects)
        given = True
        avail = agent.available
        if not avail:
            break
    if not given:
        agent.skip = (al._epoch, agent.version, blocked[0])


def _eligible_frameworks(al: Allocator, now: float, agent: _Agent, role: str,
                         offerable) -> list[tuple[str, float]]:
    """Every framework of `role` that could receive `offerable` now, with its share."""
    idx = al._fw_index.get(role)
    if idx is None:
        return []
    out = []
    for share, fid in idx.items():
        fw = al._frameworks[fid]
        if not fw.active or role in fw.suppressed:
            continue
        cons = fw.constraints.get(role)
        if cons and not all(c.holds(agent.attributes) for c in cons):
            continue
        f = agent.filters.get((fid, role))
        if f is not None and now < f[1] and f[0].contains(offerable):
            continue
        out.append((fid, share))
    return out


def _any_eligible(al: Allocator, now: float, agent: _Agent, role: str, offerable) -> bool:
    """`bool(_eligible_frameworks(...))`, stopping at the first eligible framework."""
    idx = al._fw_index.get(role)
    if idx is None:
        return False
    frameworks = al._frameworks
    filters = agent.filters
    for _share, fid in idx._order:
        fw = frameworks[fid]
        if not fw.active or role in fw.suppressed:
            continue
        cons = fw.constraints.get(role)
        if cons and not all(c.holds(agent.attributes) for c in cons):
            continue
        f = filters.get((fid, role)) if filters else None
        if f is not None and now < f[1] and f[0].contains(offerable):
            continue
        return True
    return False


def _explained_agent(al: Allocator, now: float, agent: _Agent, effects: list,
                     decisions: list[AllocationDecision]) -> None:
    """Same decisions as `_allocate_agent`, recording why (O(roles + frameworks) per choice:
    the splits of one `available` are computed once, and a role's eligibility stops at its
    first eligible framework)."""
    if not agent.available:  # nothing to decide (as `_allocate_agent`)
        agent.skip = (al._epoch, agent.version, INF)
        return
    before = len(effects)
    start = (al._epoch, agent.version)
    order = _role_order(al)
    done: set[str] = set()
    splits: dict = {}  # role -> al._split(avail, role) for the current `avail`
    split_of = None
    # the earliest expiry of a filter that blocked a framework, over the roles visited: when
    # nothing is given, every allocatable role was visited with the same `available`, so
    # this is what the fast path records as the agent's skip horizon
    blocked = [INF]
    for quota, role in order:
        avail = agent.available
        if not avail:
            break
        if avail is not split_of:
            splits = {}
            split_of = avail
        split = splits.get(role)
        if split is None:
            split = splits[role] = al._split(avail, role)
        if not split.allocatable:
            continue
        fid = _first_eligible(al, now, agent, role, split.offerable, blocked)
        if fid is None:
            continue
        # role level: the roles of this stage still to visit that have an eligible framework
        elig_roles = []
        eligible = None
        for q2, r2 in order:
            if q2 != quota or r2 in done:
                continue
            s2 = splits.get(r2)
            if s2 is None:
                s2 = splits[r2] = al._split(avail, r2)
            if not s2.allocatable:
                continue
            if r2 == role:
                eligible = _eligible_frameworks(al, now, agent, role, split.offerable)
                ok = bool(eligible)
            else:
                ok = _any_eligible(al, now, agent, r2, s2.offerable)
            if ok:
                elig_roles.append((r2, al._role_index.share(r2)))
        if eligible is None:
            eligible = _eligible_frameworks(al, now, agent, role, split.offerable)
        decisions.append(AllocationDecision(agent_id=agent.id, role="", chosen=role,
                                            eligible=tuple(elig_roles), quota=quota))
        decisions.append(AllocationDecision(
            agent_id=agent.id, role=role, chosen=fid, eligible=tuple(eligible), quota=False))
        _give(al, agent, fid, role, split, effects)
        done.add(role)
    if len(effects) == before:
        agent.skip = (start[0], agent.version, blocked[0])


def reference_cycle(al: Allocator, now: float) -> list[Allocation]:
    """The straightforward reference (the benchmark's `naive_cycle_ms` and the tests' oracle):
    for every agent, recompute every role's and framework's dominant share, re-sort them and
    scan the frameworks in that order; no per-agent memo. Same policy (and so the same
    Allocations) as `run_cycle`; used when `AllocatorConfig.naive` is set."""
    effects: list[Allocation] = []
    al.last_cycle_decisions = []
    for aid in al._agent_order:
        agent = al._agents[aid]
        if not agent.active:
            continue
        roles = sorted(al._role_index, key=lambda r: (al._role_weighted(r), r))
        unsat = al._quota_unsat
        order = [r for r in roles if r in unsat] + [r for r in roles if r not in unsat]
        for role in order:
            avail = agent.available
            if not avail:
                break
            split = al._split(avail, role)
            if not split.allocatable:
                continue
            members = al._role_members.get(role, ())
            ranked = sorted(
                (_dominant_share(al._frameworks[f].by_role.get(role, {}), al._total), f)
                for f in members
            )
            for _share, fid in ranked:
                fw = al._frameworks[fid]
                if not fw.active or role in fw.suppressed:
                    continue
                cons = fw.constraints.get(role)
                if cons and not all(c.holds(agent.attributes) for c in cons):
                    continue
                f = agent.filters.get((fid, role))
                if f is not None and now < f[1] and al._contains(f[0], split.offerable):
                    continue
                _give(al, agent, fid, role, split, effects)
                break
    return effects
