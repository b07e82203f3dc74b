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
simulations with `fast_alloc` set (not by the default `mesotron sim`).
"""

from __future__ import annotations

import copy
from typing import Any

import attrs
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

    def _handle_allocate(self, now: float, inp: Allocate) -> list[Allocation]:
        shadow = copy.deepcopy(self)  # a plain Allocator (Allocator.__deepcopy__)
        shadow.config = attrs.evolve(shadow.config, naive=True, explain=False)
        want = shadow.step(now, inp)
        got = Allocator._handle_allocate(self, now, inp)
        self.judged += 1
        self.unread += len(got)
        if got != want:
            self.disagreements.append((self.cycle, tuple(got), tuple(want)))
        for a in got:  # WholeOffers: what the role could still use there, limits aside
            limited = self._limits.get(a.role, {})
            left = self._agents[a.agent_id].available.for_role(a.role)
            if limited and left:
                left = left.filter(lambda r: r.name not in limited)
            self.shapes.append((a.agent_id, a.role, a.resources, left))
        return got


def judged_factory(config: AllocatorConfig) -> Any:
    return lambda: JudgedAllocator(config)
