"""The allocator's production path under judgement (`SimConfig.fast_alloc`).

Every daemon runs the allocation cycle without explain mode (`cycle._allocate_agent`, with
its per-agent "nothing to offer" memo and incremental share indexes), so explain-mode
decisions (what DrfOrder reads otherwise) are not there to judge. Here each `Allocate` is
judged by running `reference_cycle` (every share recomputed from scratch, frameworks
re-sorted per agent, no memo: `AllocatorConfig.naive`) on a deep copy of the allocator taken
just before the cycle, and comparing its Allocations with the fast path's: same agents, roles,
frameworks and resources, in the same order. A disagreement is a DrfOrder violation (the
fast path chose differently from the policy's reference). Each Allocation is also recorded
with what its role could still use on its agent right after the cycle (WholeOffers: an
allocation takes all of it, quota-limited resources aside, and meets min_allocatable).

Cost: one deep copy of the allocator and one reference cycle per cycle, paid only by
simulations with `fast_alloc` set (not by the default `mesotron sim`). The explanations
on the copies share one memo of their own (`why_memo`, kept across cycles); the reference
cycle starts every cycle with an empty memo, and neither reads the fast path's.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs
from mesotron.core.allocator import why as alloc_why
from mesotron.core.allocator.machine import Allocation, Allocator
from mesotron.core.allocator.values import Allocate, AllocatorConfig


class JudgedAllocator(Allocator):
    """An `Allocator` whose cycles are compared with the reference cycle (see above)."""

    def __init__(self, config: AllocatorConfig | None = None) -> None:
        super().__init__(config)
        # (cycle, what the fast path allocated, what the reference allocates), unread ones
        self.disagreements: list[tuple[int, tuple[Allocation, ...], tuple[Allocation, ...]]] = []
        self.judged = 0  # cycles compared
        self.unread = 0  # Allocations made since the checker last looked (it zeroes this)
        # WholeOffers: (agent, role, allocated, what the role may still use there after the
        # cycle, quota-limited names aside) per Allocation since the checker last looked
        self.shapes: list[tuple[str, str, Any, Any]] = []
        # WhyAgrees: (why_first row, why_allocated rows) per cycle since the checker looked
        self.why_cycles: list[tuple[Any, tuple[Any, ...]]] = []
        # (s21) the explanations' memo, kept from cycle to cycle (they were a third of an
        # operator run's time with a fresh one per cycle): filled only by explanations on
        # the copies, never read by the fast path under judgement nor by the reference
        # cycle (which starts each cycle with an empty memo, as before); its entries are
        # pure functions of their keys (resources, role, headroom)
        self.why_memo: dict[Any, Any] = {}

    # the deep copy the reference runs on is a plain Allocator: these records stay here
    _NOT_COPIED = frozenset(("disagreements", "judged", "unread", "shapes", "why_cycles",
                             "why_memo"))

    def _handle_allocate(self, now: float, inp: Allocate) -> list[Allocation]:
        shadow = copy.deepcopy(self)  # a plain Allocator (Allocator.__deepcopy__)
        shadow.config = attrs.evolve(shadow.config, naive=True, explain=False)
        shadow._memo = self.why_memo  # the explanations' memo (see __init__)
        # WhyAgrees: the explain mode's answers for the first agent the cycle visits, and
        # for every agent of an allocation, from the books just before the cycle
        if shadow._shares_dirty:
            shadow._recompute_all_shares()
        order = list(shadow._agent_order)
        unsat = set(shadow._quota_unsat)
        why_of = {fid: alloc_why.explain(shadow, now, fid) for fid in sorted(shadow._frameworks)}
        shadow._memo = {}  # the reference cycle memoizes nothing from an earlier cycle
        want = shadow.step(now, inp)
        got = Allocator._handle_allocate(self, now, inp)
        self.why_cycles.append(_why_rows(why_of, order, unsat, got))
        self.judged += 1
        self.unread += len(got)
        if got != want:
            self.disagreements.append((self.cycle, tuple(got), tuple(want)))
        for a in got:  # WholeOffers: what the role could still use there, limits aside
            limited = self._limits.get(a.role, {})
            left = self._agents[a.agent_id].available.for_role(a.role)
            if limited and left:
                # s19 kalloc: a limited resource only while the role is held at its limit
                # (the cut takes all the headroom: Mesos shrinks an offer to the limit)
                held = self._role_alloc.get(a.role, {})
                left = left.filter(lambda r, cut=limited, held=held: r.name not in cut
                                   or held.get(r.name, 0) < cut[r.name])
            self.shapes.append((a.agent_id, a.role, a.resources, left))
        return got


def _why_rows(why_of: dict[str, Any], order: list[str], unsat: set[str],
              got: list[Allocation]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """WhyAgrees rows: every agent the cycle visits up to and including the first one it
    allocates (the books are then still those the explanation read), and every allocation."""
    reasons: dict[str, list[Any]] = {}
    kind_of: dict[tuple[str, str, str], str] = {}
    for fid, e in why_of.items():
        for r in e.agents:
            kind_of[(fid, r.agent_id, r.role)] = r.kind
            reasons.setdefault(r.agent_id, []).append(
                (fid, r.role, r.kind, r.message, r.ahead, r.role in unsat))
    allocated = tuple((a.agent_id, a.role, a.framework_id,
                       kind_of.get((a.framework_id, a.agent_id, a.role), "?")) for a in got)
    first: dict[str, tuple[str, str, bool]] = {}
    for a in got:
        first.setdefault(a.agent_id, (a.role, a.framework_id, a.role in unsat))
    rows = []
    for aid in order:
        chosen = first.get(aid)
        mine = tuple(reasons.get(aid, ()))
        # a chosen framework the explanation does not know (or forgot): its reason is "?"
        if chosen is not None and not any((f, r) == (chosen[1], chosen[0])
                                          for f, r, *_ in mine):
            mine += ((chosen[1], chosen[0], "?", "", (), chosen[2]),)
        rows.append((aid, chosen, mine))
        if chosen is not None:
            break
    return tuple(rows), allocated


def judged_factory(config: AllocatorConfig) -> Any:
    return lambda: JudgedAllocator(config)
