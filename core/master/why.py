"""`why(master, now, framework_id)`: why a framework is not being offered resources, or why
its tasks stay pending (`GET /master/why`, `mesotron why`, the web UI's framework page).

Reads (never writes) the master's books -- frameworks (connected, active, suppressed roles,
offers it holds, tasks still staging), agents (disconnected, deactivated/draining),
the registry's unreachable and recovered-but-not-re-registered agents -- and the allocator's
explain mode (core/allocator/why.py) for the per-agent decision of the next cycle. The answer
is data (`Why`, `to_json()`); the shell only renders it.

VERDICT (the first that applies):
  unknown          the master does not know the framework (never subscribed, or removed)
  completed        the framework was torn down / removed
  not_leader       this master does not lead (ask the leader)
  inactive         the framework is disconnected or failing over: no offers until it
                   re-subscribes
  holds_offers     it holds offers it has not answered: Mesos offers ALL of an agent's
                   available resources, so held offers keep those agents from being offered
                   again (to anyone) until it accepts or declines them (or --offer_timeout)
  offered_next     on some agent the next cycle offers it resources (reason `next`)
  waiting_for_drf  only other roles / frameworks go first (drf_rank, quota_of_other_role):
                   it is offered once they are satisfied or resources are freed
  blocked          every agent has a hard blocker (suppressed, filters, constraints,
                   nothing available, reservations, agents inactive)
  no_agents        no agent is registered and reachable

Books read: none.
Books written: none.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
from mesotron.core.allocator import why as alloc_why
from mesotron.core.values import TaskState


@attrs.frozen(kw_only=True, slots=True)
class Why:
    framework_id: str
    verdict: str
    summary: str
    name: str = ""
    roles: tuple[str, ...] = ()
    connected: bool = False
    active: bool = False
    suppressed_roles: tuple[str, ...] = ()
    offers: tuple[tuple[str, str, str, str], ...] = ()  # (offer id, agent id, role, resources)
    staging_tasks: tuple[tuple[str, str], ...] = ()  # (task id, agent id)
    agents_unreachable: tuple[tuple[str, float], ...] = ()  # (agent id, since)
    agents_recovered: tuple[str, ...] = ()  # in the registry, not re-registered yet
    agents_disconnected: tuple[str, ...] = ()
    agents_inactive: tuple[str, ...] = ()  # deactivated / draining
    allocator: alloc_why.AllocatorExplanation | None = None

    def counts(self) -> dict[str, int]:
        """How many (agent, role) pairs each reason kind explains."""
        if self.allocator is None:
            return {}
        return dict(sorted(Counter(r.kind for r in self.allocator.agents).items()))

    def to_json(self, max_agents: int = 50) -> dict[str, Any]:
        a = self.allocator
        out: dict[str, Any] = {
            "framework_id": self.framework_id, "name": self.name, "verdict": self.verdict,
            "summary": self.summary, "roles": list(self.roles), "connected": self.connected,
            "active": self.active, "suppressed_roles": list(self.suppressed_roles),
            "offers": [{"id": o, "agent_id": ag, "role": r, "resources": res}
                       for o, ag, r, res in self.offers],
            "staging_tasks": [{"task_id": t, "agent_id": ag} for t, ag in self.staging_tasks],
            "agents_unreachable": [{"agent_id": ag, "since": t} for ag, t in self.agents_unreachable],
            "agents_recovered": list(self.agents_recovered),
            "agents_disconnected": list(self.agents_disconnected),
            "agents_inactive": list(self.agents_inactive),
            "reason_counts": self.counts(),
        }
        if a is not None and a.known:
            out["share"] = a.share
            out["roles_drf"] = [
                {"role": r.role, "weight": r.weight, "share": r.share,
                 "weighted_share": r.weighted_share, "quota": r.quota,
                 "below_quota": r.below_quota,
                 "frameworks": [{"id": f, "share": s, "rank": i + 1}
                                for i, (f, s) in enumerate(r.frameworks)]}
                for r in a.role_shares]
            out["filters"] = [{"agent_id": ag, "role": r, "until": t, "resources": res}
                              for ag, r, t, res in a.filters]
            # the agents with the most telling reasons first: next, then soft, then hard
            rank = {"next": 0, "drf_rank": 1, "quota_of_other_role": 1}
            agents = sorted(a.agents, key=lambda x: (rank.get(x.kind, 2), x.agent_id, x.role))
            out["agents"] = [
                {"agent_id": r.agent_id, "role": r.role, "reason": r.kind, "message": r.message,
                 "until": r.until, "ahead": [{"id": k, "share": s} for k, s in r.ahead]}
                for r in agents[:max_agents]]
            out["agents_total"] = len(a.agents)
        return out


def why(master: Any, now: float, framework_id: str, hidden: bool = False) -> Why:
    """`hidden`: the caller may not view this framework (--acls): answered as unknown."""
    fw = None if hidden else master._frameworks.get(framework_id)
    if fw is None:
        if framework_id in master._completed_frameworks and not hidden:
            done = master._completed_frameworks[framework_id]
            return Why(framework_id=framework_id, verdict="completed", name=done.info.name,
                       summary="the framework was torn down or removed: it gets no offers "
                               "(a new subscription gets a new framework id)")
        if not master.leader:
            return Why(framework_id=framework_id, verdict="not_leader",
                       summary="this master does not lead: ask the leading master")
        return Why(framework_id=framework_id, verdict="unknown",
                   summary=f"no framework {framework_id} is subscribed to this master")
    offers = tuple((oid, master._offers[oid].agent_id, master._offers[oid].role,
                    str(master._offers[oid].resources)) for oid in fw.offers)
    staging = tuple(sorted((t.task_id, t.agent_id) for t in fw.tasks.values()
                           if t.state is TaskState.TASK_STAGING))
    agents = master._agents
    explanation = alloc_why.explain(master.allocator, now, framework_id)
    w0 = Why(
        framework_id=framework_id, verdict="", summary="", name=fw.info.name,
        roles=tuple(fw.info.roles), connected=fw.connected, active=fw.active,
        suppressed_roles=tuple(fw.suppressed_roles), offers=offers, staging_tasks=staging,
        agents_unreachable=tuple(sorted(master._unreachable.items())),
        agents_recovered=tuple(sorted(master._recovered_agents)),
        agents_disconnected=tuple(sorted(a for a, x in agents.items() if not x.connected)),
        agents_inactive=tuple(sorted(a for a, x in agents.items() if not x.active)),
        allocator=explanation)

    def answer(verdict: str, summary: str) -> Why:
        return attrs.evolve(w0, verdict=verdict, summary=summary)

    kinds = Counter(r.kind for r in explanation.agents)
    if not fw.active or not fw.connected:
        return answer("inactive", (
            "the framework is disconnected (or failing over): it gets no offers until it "
            "re-subscribes"))
    if offers:
        held = sorted({o[1] for o in offers})
        return answer("holds_offers", (
            f"it holds {len(offers)} offer(s) it has not answered, on {len(held)} agent(s): "
            "those resources are not offered again until it accepts or declines them"))
    reachable = [a for a, x in agents.items() if x.connected]
    if not reachable:
        return answer("no_agents", (
            "no agent is registered and connected" + (
                f" ({len(master._unreachable)} unreachable, {len(master._recovered_agents)} "
                "not re-registered since failover)" if master._unreachable
                or master._recovered_agents else "")))
    if kinds.get("next"):
        return answer("offered_next", (
            f"the next allocation cycle offers it resources on {kinds['next']} agent(s)"),
            )
    soft = kinds.get("drf_rank", 0) + kinds.get("quota_of_other_role", 0)
    hard = {k: n for k, n in kinds.items() if k in alloc_why.HARD}
    detail = ", ".join(f"{k}: {n}" for k, n in sorted(hard.items()))
    if soft:
        return answer("waiting_for_drf", (
            f"other roles or frameworks go first on {soft} agent(s) by DRF order or quota; "
            f"it is offered once they are satisfied or resources are freed"
            + (f" (elsewhere: {detail})" if detail else "")))
    return answer("blocked", (
        f"every agent is blocked for it: {detail}" if detail else
        "no agent can be offered to it"))
