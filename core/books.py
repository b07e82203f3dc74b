"""Records the master and the allocator keep that the invariant catalog also reads: an
agent's ledger (/master/state's and the checkers' books) and an allocation decision
(the allocator's explain mode). Their own module, so that a daemon importing the master
or the allocator does not import the whole catalog (core/invariants.py re-exports them;
~80 ms of every master's and agent's start)."""

from __future__ import annotations

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import fast_inits


@attrs.frozen(kw_only=True, slots=True)
class AgentLedger:
    """The master's books for one agent: what it has, what is offered, what tasks use."""

    agent_id: str
    total: Resources
    offered: tuple[tuple[str, str, Resources], ...] = ()  # (offer_id, framework_id, resources)
    used: tuple[tuple[str, Resources], ...] = ()  # (framework_id, resources of tasks+executors)


@attrs.frozen(kw_only=True, slots=True)
class AllocationDecision:
    """One allocation: `chosen` got `agent_id`'s resources for `role`; `eligible` lists every
    framework that could have received them at that moment with its sort key (weighted
    dominant share at the level where the choice was made: role level, then framework)."""

    agent_id: str
    role: str
    chosen: str
    eligible: tuple[tuple[str, float], ...]
    quota: bool = False  # made to satisfy a quota guarantee (DRF order does not apply)


fast_inits(globals())
