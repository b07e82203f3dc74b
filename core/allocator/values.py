"""The allocator's values: its configuration, its inputs and its effect (see allocator.py).

Frozen, slotted, keyword-only attrs classes with valid-Python reprs. Also two helpers the
master uses to give resources an allocation role (`allocate_to`, `attribute_to`).

Books read: none.
Books written: none.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute, AttributeConstraint

frozen = attrs.frozen(kw_only=True, slots=True)

def _tuple(x: Any) -> tuple:
    return tuple(x)


def _default_min_allocatable() -> tuple[Resources, ...]:
    return (Resources.parse("cpus:0.01"), Resources.parse("mem:32"))


# ------------------------------------------------------------------ config
@frozen
class AllocatorConfig:
    refuse_seconds_default: float = 5.0
    refuse_seconds_max: float = 31536000.0
    # alternatives: an offer is allocatable when it contains (by scalar quantity) ANY of them;
    # an empty tuple means "anything non-empty".
    min_allocatable: tuple[Resources, ...] = attrs.field(
        factory=_default_min_allocatable, converter=_tuple
    )
    weights: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_tuple)
    seed: str = "alloc"  # reserved: agents are visited in a stable order (ascending id)
    # record an AllocationDecision per choice in `last_cycle_decisions` (costs O(frameworks)
    # per allocation: for tests, the simulator and debugging, not for production cycles)
    explain: bool = False
    # use the straightforward reference cycle (re-sort every framework for every agent):
    # the benchmark's baseline and the tests' oracle; same Allocations, much slower
    naive: bool = False


# ------------------------------------------------------------------ inputs
@frozen
class AddFramework:
    framework_id: str
    roles: tuple[str, ...] = attrs.field(converter=_tuple)
    suppressed_roles: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    constraints: tuple[tuple[str, tuple[AttributeConstraint, ...]], ...] = attrs.field(
        default=(), converter=_tuple
    )
    active: bool = True
    used: tuple[tuple[str, Resources], ...] = attrs.field(default=(), converter=_tuple)


@frozen
class UpdateFramework:
    framework_id: str
    roles: tuple[str, ...] = attrs.field(converter=_tuple)
    suppressed_roles: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    constraints: tuple[tuple[str, tuple[AttributeConstraint, ...]], ...] = attrs.field(
        default=(), converter=_tuple
    )


@frozen
class RemoveFramework:
    framework_id: str


@frozen
class ActivateFramework:
    framework_id: str


@frozen
class DeactivateFramework:
    framework_id: str


@frozen
class AddAgent:
    agent_id: str
    hostname: str
    total: Resources
    attributes: tuple[Attribute, ...] = attrs.field(default=(), converter=_tuple)
    used: tuple[tuple[str, Resources], ...] = attrs.field(default=(), converter=_tuple)


@frozen
class UpdateAgent:
    """The agent's total changed (it re-registered with other resources: Mesos's
    `updateSlave`). What frameworks hold on it is kept; the new total must contain it."""

    agent_id: str
    total: Resources


@frozen
class UpdateWhitelist:
    """Mesos's --whitelist: only agents whose hostname is listed are offered (None: every
    agent). Agents left out keep their allocations; they are just not offered."""

    hosts: frozenset[str] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else frozenset(v))


@frozen
class RemoveAgent:
    agent_id: str


@frozen
class ActivateAgent:
    agent_id: str


@frozen
class DeactivateAgent:
    agent_id: str


@frozen
class RecoverResources:
    framework_id: str
    agent_id: str
    resources: Resources
    refuse_seconds: float | None = None


@frozen
class SuppressOffers:
    framework_id: str
    roles: tuple[str, ...] = attrs.field(default=(), converter=_tuple)


@frozen
class ReviveOffers:
    framework_id: str
    roles: tuple[str, ...] = attrs.field(default=(), converter=_tuple)


@frozen
class UpdateWeights:
    weights: tuple[tuple[str, float], ...] = attrs.field(converter=_tuple)


@frozen
class UpdateQuota:
    """A role's quota: `guarantee` (the quota stage offers it first) and `limit` (scalar
    quantities the role's allocation never exceeds: offers are cut down to the headroom)."""

    role: str
    guarantee: Resources
    limit: Resources = attrs.field(factory=Resources)


@frozen
class ConvertResources:
    """An offer operation changed part of an agent's resources in place (RESERVE: unreserved
    -> reserved; UNRESERVE: the reverse). Same quantities, new reservations. With
    `framework_id` the resources are that framework's allocation (allocated form, an ACCEPT);
    without, they are the agent's available pool (unallocated form, the operator API)."""

    agent_id: str
    consumed: Resources
    converted: Resources
    framework_id: str | None = None


@frozen
class Allocate:
    pass


# ------------------------------------------------------------------ effects
@frozen
class Allocation:
    """`resources` (allocation_role=role) of `agent_id` now belong to `framework_id` until
    recovered; the master turns this into an offer."""

    framework_id: str
    role: str
    agent_id: str
    resources: Resources


def allocate_to(res: Resources, role: str) -> Resources:
    """`res.allocate(role)` (for role "*" too: legacy frameworks are offered resources with
    `allocation_info.role == "*"`, as in Mesos). The allocator attributes resources without
    an allocation role to the framework's "*" role."""
    return res.allocate(role)


def attribute_to(res: Resources, role: str) -> Resources:
    """Give the items of `res` that carry no allocation role the allocation role `role`."""
    roles = res.allocation_roles()
    if not roles:
        return allocate_to(res, role)
    if len(roles) == 1:  # the usual case (a task's resources): is every item allocated?
        (only,) = roles
        if res.allocated_to(only) == res:
            return res
    bare = res.filter(lambda r: r.allocation_role is None)
    if not bare:
        return res
    return (res - bare) + allocate_to(bare, role)
