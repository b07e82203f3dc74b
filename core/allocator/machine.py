"""The hierarchical DRF allocator (Mesos's HierarchicalAllocatorProcess), as a pure machine.

`effects = allocator.step(now, input)` is the only state-changing entry. Inputs are the
`Add*/Remove*/...` values below, effects are `Allocation` values (the master turns each into
an offer). From the moment an `Allocation` is returned its resources count as allocated to
that framework until the master sends them back with `RecoverResources`.

ONE ALLOCATION CYCLE (`Allocate()`):
- Agents are visited in a STABLE order: ascending agent id. Deactivated agents are skipped.
- For each agent, roles are visited: first the roles below their quota guarantee (stage
  "quota"), then all other roles (stage "fair"); inside a stage by lowest WEIGHTED dominant
  share (role allocation / cluster total, max over scalar resources, divided by the role's
  weight), ties by role name.
- Inside a role, frameworks by lowest dominant share (of what they hold in that role), ties by
  framework id. A framework is skipped when it is inactive, suppressed for the role, its offer
  constraints for the role reject the agent's attributes, or an unexpired decline filter for
  (framework, role, agent) holds resources containing what would be offered.
- The offerable resources for role R are the agent's available resources usable by R
  (unreserved + reserved to R, `Resources.for_role`); when they are below every
  `min_allocatable` alternative (Mesos `--min_allocatable_resources`, `cpus:0.01|mem:32`)
  the role is skipped. The chosen framework gets ALL of them, as Mesos does.
- Simplification vs Mesos: the quota stage hands out whole offers too (Mesos chops to the
  unsatisfied guarantee) and no headroom is held back in the fair stage.

DECLINE FILTERS: `RecoverResources(..., refuse_seconds=s)`: `s is None` or `s == 0` -> no
filter; `s < 0` -> `refuse_seconds_default`; `s > refuse_seconds_max` -> the max. The filter
refuses (framework, role, agent) offers contained in the filtered resources until now + s.
`ReviveOffers` clears the framework's filters (for the given roles) and un-suppresses.

INCREMENTAL STRUCTURES (see docs/performance.md): per-role `ShareIndex` of frameworks and one
of roles, updated only when a share changes; cluster totals kept in integer milli-units; per
agent a filter index and a "nothing to offer" memo (valid while the agent's resources, the
framework-side epoch and the earliest blocking filter expiry are unchanged), so a steady-state
cycle does not scan all frameworks x all agents; Resources operations memoized by value.

ACCOUNTING AFTER FAILOVER (MasterAllocatorTest.FrameworkReregistersFirst/SlaveReregistersFirst):
an agent's `used` is authoritative for the agent's books; allocations of frameworks not yet
added are held on the agent and count towards shares once the framework is added.
`AddFramework.used` records an allocation only on known agents that have none for the
framework yet. Either order ends with the same books.

WHITELIST (Mesos --whitelist, `UpdateWhitelist(hosts)`): agents whose hostname is not listed
are not offered (as deactivated agents are not); None lists every agent.

`RemoveFramework` returns all the framework's allocations to the agents' pools (later
`RecoverResources` for it are ignored). `RemoveAgent` drops the agent and its allocations.

Books read: `_agent_order`, `_agents`, `_epoch`, `_frameworks`, `_fw_index`, `_handlers`,
  `_limits`, `_memo`, `_mins`, `_orphans`, `_quota`, `_quota_unsat`, `_role_alloc`,
  `_role_index`, `_role_members`, `_shares_dirty`, `_total`, `_weights`, `_whitelist`,
  `config`, `cycle`.
Books written: `_agent_order`, `_agents`, `_epoch`, `_frameworks`, `_fw_index`, `_limits`,
  `_memo`, `_orphans`, `_quota`, `_quota_unsat`, `_role_alloc`, `_role_index`, `_role_members`,
  `_shares_dirty`, `_weights`, `_whitelist`, `cycle`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
from mesotron.core.allocator.cycle import reference_cycle, run_cycle
from mesotron.core.allocator.drf import Ledger, ShareIndex, dominant_share, ledger_add, to_milli
from mesotron.core.allocator.values import (
    ActivateAgent,
    ActivateFramework,
    AddAgent,
    AddFramework,
    Allocate,
    Allocation,
    AllocatorConfig,
    ConvertResources,
    DeactivateAgent,
    DeactivateFramework,
    RecoverResources,
    RemoveAgent,
    RemoveFramework,
    ReviveOffers,
    SuppressOffers,
    UpdateAgent,
    UpdateFramework,
    UpdateQuota,
    UpdateWeights,
    UpdateWhitelist,
    allocate_to,
    attribute_to,
)
from mesotron.core.books import AllocationDecision
from mesotron.core.errors import LocalError
from mesotron.core.resources import Resources, sum_shared
from mesotron.core.values import AttributeConstraint

INF = math.inf


# ------------------------------------------------------------------ internal state
class _Agent:
    __slots__ = (
        "activated",
        "active",
        "alloc",
        "attributes",
        "available",
        "filters",
        "hostname",
        "id",
        "skip",
        "total",
        "total_milli",
        "version",
    )

    def __init__(self, id: str, hostname: str, total: Resources, attributes: tuple) -> None:
        self.id = id
        self.hostname = hostname
        self.total = total
        self.attributes = attributes
        # active = activated (not deactivated by the master) and whitelisted (--whitelist);
        # the allocation cycle reads only `active`
        self.activated = True
        self.active = True
        self.available = total.unallocate()
        # framework id -> Resources (with allocation_role), incl. frameworks not yet added
        self.alloc: dict[str, Resources] = {}
        self.total_milli: Ledger = {}
        # (framework id, role) -> (filtered resources (unallocated), expires at)
        self.filters: dict[tuple[str, str], tuple[Resources, float]] = {}
        self.version = 0
        # memo: (epoch, version, valid_until) of a pass that allocated nothing
        self.skip: tuple[int, int, float] | None = None

    def __deepcopy__(self, memo: dict) -> _Agent:
        # (s21) a copy by structure, not copy.deepcopy's generic walk (the judged fast path
        # copies the allocator every cycle): Resources, tuples, strings and numbers are
        # immutable and shared; the dicts are new (their values are immutable too)
        new = _Agent.__new__(_Agent)
        for k in _Agent.__slots__:
            setattr(new, k, getattr(self, k))
        new.alloc = dict(self.alloc)
        new.total_milli = dict(self.total_milli)
        new.filters = dict(self.filters)
        return new


class _Framework:
    __slots__ = (
        "active",
        "agents",
        "by_role",
        "constraints",
        "filtered_agents",
        "id",
        "roles",
        "suppressed",
        "total",
    )

    def __init__(self, id: str) -> None:
        self.id = id
        self.roles: tuple[str, ...] = ()
        self.suppressed: set[str] = set()
        self.constraints: dict[str, tuple[AttributeConstraint, ...]] = {}
        self.active = True
        self.by_role: dict[str, Ledger] = {}  # role -> milli allocation (scalars)
        self.total: Ledger = {}
        self.agents: set[str] = set()  # agents holding an allocation of this framework
        self.filtered_agents: set[str] = set()  # agents holding a filter of this framework

    def __deepcopy__(self, memo: dict) -> _Framework:
        # (s21) by structure (see _Agent.__deepcopy__): the ledgers of by_role are mutated in
        # place, so each is copied; constraints' values are tuples of frozen values
        new = _Framework.__new__(_Framework)
        new.id = self.id
        new.roles = self.roles
        new.suppressed = set(self.suppressed)
        new.constraints = dict(self.constraints)
        new.active = self.active
        new.by_role = {r: dict(ledger) for r, ledger in self.by_role.items()}
        new.total = dict(self.total)
        new.agents = set(self.agents)
        new.filtered_agents = set(self.filtered_agents)
        return new

    @property
    def default_role(self) -> str:
        """The role of resources that carry no allocation role."""
        if not self.roles or "*" in self.roles:
            return "*"
        return self.roles[0]


class _Split:
    """What role R may be offered out of an agent's available resources (memoized by value)."""

    __slots__ = ("allocatable", "ledger", "offer", "offerable", "remaining")

    def __init__(self, offerable: Resources, offer: Resources, remaining: Resources,
                 ledger: Ledger, allocatable: bool) -> None:
        self.offerable = offerable
        self.offer = offer
        self.remaining = remaining
        self.ledger = ledger
        self.allocatable = allocatable


_MEMO_LIMIT = 200_000


class Allocator:
    """Hierarchical DRF allocator. See the module docstring for the exact policy."""

    def __init__(self, config: AllocatorConfig | None = None) -> None:
        self.config = config or AllocatorConfig()
        self._agents: dict[str, _Agent] = {}
        self._agent_order: list[str] = []
        self._frameworks: dict[str, _Framework] = {}
        self._orphans: dict[str, set[str]] = {}  # unknown framework id -> agents holding its alloc
        self._total: Ledger = {}
        self._role_alloc: dict[str, Ledger] = {}
        self._role_members: dict[str, set[str]] = {}
        self._role_index = ShareIndex()
        self._fw_index: dict[str, ShareIndex] = {}
        self._weights: dict[str, float] = {}
        self._quota: dict[str, tuple[Resources, Ledger]] = {}
        self._quota_unsat: set[str] = set()
        self._limits: dict[str, Ledger] = {}  # role -> quota limit (milli), scalars only
        self._epoch = 0
        # cluster totals changed since the share indexes were last rebuilt (agents added or
        # removed): rebuilt once at the next cycle instead of once per agent
        self._shares_dirty = False
        self.cycle = 0
        self.last_cycle_decisions: list[AllocationDecision] = []
        self._mins: tuple[Ledger, ...] = tuple(
            {n: to_milli(v) for n, v in m.scalars().items()} for m in self.config.min_allocatable
        )
        for role, w in self.config.weights:
            self._set_weight(role, w)
        self._memo: dict[Any, Any] = {}
        self._whitelist: frozenset[str] | None = None  # --whitelist (None: every agent)
        self._handlers: dict[type, Callable[[float, Any], list[Allocation]]] = {
            AddFramework: self._handle_add_framework,
            UpdateFramework: self._handle_update_framework,
            RemoveFramework: self._handle_remove_framework,
            ActivateFramework: self._handle_activate_framework,
            DeactivateFramework: self._handle_deactivate_framework,
            AddAgent: self._handle_add_agent,
            RemoveAgent: self._handle_remove_agent,
            UpdateAgent: self._handle_update_agent,
            UpdateWhitelist: self._handle_update_whitelist,
            ActivateAgent: self._handle_activate_agent,
            DeactivateAgent: self._handle_deactivate_agent,
            RecoverResources: self._handle_recover,
            SuppressOffers: self._handle_suppress,
            ReviveOffers: self._handle_revive,
            UpdateWeights: self._handle_update_weights,
            UpdateQuota: self._handle_update_quota,
            ConvertResources: self._handle_convert,
            Allocate: self._handle_allocate,
        }

    # attributes a subclass keeps beside the allocator's books, left out of a deep copy (a
    # plain Allocator): the judged fast path's records (core/sim/fastpath.py)
    _NOT_COPIED: frozenset[str] = frozenset()

    def __deepcopy__(self, memo: dict) -> Allocator:
        import copy

        new = Allocator.__new__(Allocator)
        skip = type(self)._NOT_COPIED
        for k, v in self.__dict__.items():
            if k == "_handlers" or k in skip:
                continue
            new.__dict__[k] = {} if k == "_memo" else copy.deepcopy(v, memo)
        new._handlers = {t: getattr(new, h.__name__) for t, h in self._handlers.items()}
        return new

    # ------------------------------------------------------------------ the entry
    def step(self, now: float, input: Any) -> list[Allocation]:
        handler = self._handlers.get(type(input))
        if handler is None:
            raise LocalError(f"allocator: unknown input {input!r}")
        return handler(now, input)

    # ------------------------------------------------------------------ queries
    def available(self, agent_id: str) -> Resources:
        return self._agents[agent_id].available

    def allocated(self, agent_id: str) -> dict[str, Resources]:
        return dict(self._agents[agent_id].alloc)

    def total(self, agent_id: str) -> Resources:
        return self._agents[agent_id].total

    def agent_ids(self) -> list[str]:
        return list(self._agent_order)

    def framework_ids(self) -> list[str]:
        return sorted(self._frameworks)

    def dominant_share(self, framework_id: str) -> float:
        """Over everything the framework holds (all roles)."""
        return dominant_share(self._frameworks[framework_id].total, self._total)

    def framework_role_share(self, framework_id: str, role: str) -> float:
        """The key the framework is sorted by inside `role`."""
        return dominant_share(self._frameworks[framework_id].by_role.get(role, {}), self._total)

    def role_share(self, role: str) -> float:
        """Unweighted dominant share of the role."""
        return dominant_share(self._role_alloc.get(role, {}), self._total)

    def weighted_role_share(self, role: str) -> float:
        return self.role_share(role) / self._weights.get(role, 1.0)

    def weight(self, role: str) -> float:
        return self._weights.get(role, 1.0)

    def cluster_total(self) -> dict[str, float]:
        return {n: v / 1000.0 for n, v in sorted(self._total.items())}

    def filters(self, now: float) -> list[tuple[str, str, str, Resources, float]]:
        """Unexpired filters: (framework, role, agent, resources, expires_at), sorted."""
        out = []
        for aid in self._agent_order:
            for (fid, role), (res, exp) in self._agents[aid].filters.items():
                if now < exp:
                    out.append((fid, role, aid, res, exp))
        return sorted(out, key=lambda t: (t[0], t[1], t[2]))

    def describe(self) -> str:
        lines = [f"allocator cycle={self.cycle}"]
        tot = ";".join(f"{n}:{_fmt(v / 1000.0)}" for n, v in sorted(self._total.items()))
        lines.append(f"cluster {tot or '-'}")
        for role in sorted(set(self._role_members) | set(self._role_alloc) | set(self._quota)):
            extra = ""
            if role in self._quota:
                extra = f" quota={self._quota[role][0]}"
            lines.append(
                f"role {role} weight={_fmt(self.weight(role))} "
                f"share={self.role_share(role):.4f}{extra}"
            )
        for fid in sorted(self._frameworks):
            fw = self._frameworks[fid]
            flags = [] if fw.active else ["inactive"]
            if fw.suppressed:
                flags.append("suppressed=" + ",".join(sorted(fw.suppressed)))
            for role in sorted(fw.constraints):
                flags.append(f"constraints[{role}]=" + ",".join(
                    _fmt_constraint(c) for c in fw.constraints[role]))
            lines.append(
                f"framework {fid} roles={','.join(fw.roles) or '-'} "
                f"share={self.dominant_share(fid):.4f}" + "".join(" " + f for f in flags)
            )
        for aid in self._agent_order:
            a = self._agents[aid]
            state = "" if a.active else " inactive"
            lines.append(f"agent {aid}{state} total={a.total or '-'} available={a.available or '-'}")
            for fid in sorted(a.alloc):
                lines.append(f"  allocated {fid} {a.alloc[fid]}")
            for (fid, role) in sorted(a.filters):
                res, exp = a.filters[(fid, role)]
                lines.append(f"  filter {fid} role={role} until={_fmt(exp)} {res or '-'}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ memoized Resources ops
    def _memo_get(self, key: Any) -> Any:
        return self._memo.get(key)

    def _memo_put(self, key: Any, value: Any) -> Any:
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = value
        return value

    def headroom(self, role: str) -> dict[str, int] | None:
        """Milli-units role `role` may still be allocated under its quota limit (None: no
        limit). Invariant kept by `_split`: allocation to a role never exceeds its limit."""
        lim = self._limits.get(role)
        if lim is None:
            return None
        used = self._role_alloc.get(role, {})
        return {n: max(v - used.get(n, 0), 0) for n, v in lim.items()}

    def _split(self, available: Resources, role: str) -> _Split:
        room = self.headroom(role) if self._limits else None
        key: Any = ("split", available, role) if room is None else (
            "split", available, role, tuple(sorted(room.items())))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        offerable = available.for_role(role)
        if room is not None:
            offerable = _cap(offerable, room)
        ledger = self._ledger(offerable)
        ok = self._allocatable(ledger) and bool(offerable)
        offer = allocate_to(offerable, role)
        remaining = available - offerable
        return self._memo_put(key, _Split(offerable, offer, remaining, ledger, ok))

    def _ledger(self, res: Resources) -> Ledger:
        """Scalar quantities (milli) regardless of role/reservation/allocation role."""
        key = ("ledger", res)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        out: Ledger = {}
        for r in res:
            if r.scalar is not None:
                out[r.name] = out.get(r.name, 0) + to_milli(r.scalar)
        return self._memo_put(key, {n: v for n, v in out.items() if v})

    def _role_ledgers(self, res: Resources, default_role: str) -> dict[str, Ledger]:
        key = ("roles", res, default_role)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        out: dict[str, Ledger] = {}
        for r in res:
            if r.scalar is not None:
                led = out.setdefault(r.allocation_role or default_role, {})
                led[r.name] = led.get(r.name, 0) + to_milli(r.scalar)
        return self._memo_put(key, out)

    def _contains(self, big: Resources, small: Resources) -> bool:
        key = ("contains", big, small)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo_put(key, big.contains(small))
        return hit

    def _attribute(self, res: Resources, role: str) -> Resources:
        """`attribute_to(res, role)`, memoised (tasks of one template share a value)."""
        key = ("attr", res, role)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo_put(key, attribute_to(res, role))
        return hit

    def _unallocate(self, res: Resources) -> Resources:
        key = ("unalloc", res)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo_put(key, res.unallocate())
        return hit

    def _allocatable(self, ledger: Ledger) -> bool:
        if not self._mins:
            return bool(ledger)
        for m in self._mins:
            if all(ledger.get(n, 0) >= v for n, v in m.items()):
                return True
        return False

    # ------------------------------------------------------------------ share bookkeeping
    def _role_weighted(self, role: str) -> float:
        return dominant_share(self._role_alloc.get(role, {}), self._total) / self._weights.get(
            role, 1.0)

    def _track(self, fw: _Framework, role: str, ledger: Ledger, sign: int) -> None:
        if sign < 0 and role in self._limits:
            self._epoch += 1  # headroom grew: agents memoized as "nothing to offer" may now
        led = fw.by_role.get(role)
        if led is None:
            led = fw.by_role[role] = {}
        ledger_add(led, ledger, sign)
        if not led:
            del fw.by_role[role]
        ledger_add(fw.total, ledger, sign)
        ralloc = self._role_alloc.get(role)
        if ralloc is None:
            ralloc = self._role_alloc[role] = {}
        ledger_add(ralloc, ledger, sign)
        if not ralloc:
            del self._role_alloc[role]
        if self._shares_dirty:
            # every share is recomputed before the next cycle (_recompute_all_shares):
            # only the quota bookkeeping cannot wait
            if role in self._quota:
                self._refresh_role(role)
            return
        idx = self._fw_index.get(role)
        if idx is not None and fw.id in idx:
            idx.set(fw.id, dominant_share(led, self._total))
        self._refresh_role(role)

    def _track_add(self, fw: _Framework, role: str, ledger: Ledger) -> None:
        """`_track(fw, role, ledger, +1)`, flattened for the allocation hot path."""
        total = self._total
        led = fw.by_role.get(role)
        if led is None:
            led = fw.by_role[role] = {}
        ftot = fw.total
        ralloc = self._role_alloc.get(role)
        if ralloc is None:
            ralloc = self._role_alloc[role] = {}
        fshare = 0.0
        rshare = 0.0
        for name, v in ledger.items():
            a = led.get(name, 0) + v
            led[name] = a
            ftot[name] = ftot.get(name, 0) + v
            b = ralloc.get(name, 0) + v
            ralloc[name] = b
        for name, a in led.items():
            t = total.get(name, 0)
            if t > 0 and a / t > fshare:
                fshare = a / t
        for name, b in ralloc.items():
            t = total.get(name, 0)
            if t > 0 and b / t > rshare:
                rshare = b / t
        idx = self._fw_index.get(role)
        if idx is not None and fw.id in idx:
            idx.set(fw.id, fshare)
        self._role_index.set(role, rshare / self._weights.get(role, 1.0))
        if role in self._quota:
            self._refresh_role(role)

    def _track_resources(self, fw: _Framework, res: Resources, sign: int) -> None:
        for role, led in self._role_ledgers(res, fw.default_role).items():
            self._track(fw, role, led, sign)

    def _track_books(self, fw: _Framework, res: Resources) -> None:
        """`_track_resources(fw, res, +1)` while every share is marked for recomputation
        (`_shares_dirty`, AddAgent: a failover re-adds tens of thousands of agents, each
        with what its frameworks use), flattened: the framework's and the role's ledgers;
        of the shares only the quota bookkeeping, which cannot wait."""
        assert self._shares_dirty
        ftot = fw.total
        for role, ledger in self._role_ledgers(res, fw.default_role).items():
            led = fw.by_role.get(role)
            if led is None:
                led = fw.by_role[role] = {}
            ralloc = self._role_alloc.get(role)
            if ralloc is None:
                ralloc = self._role_alloc[role] = {}
            for name, v in ledger.items():
                for books in (led, ftot, ralloc):
                    n = books.get(name, 0) + v
                    if n:
                        books[name] = n
                    else:
                        books.pop(name, None)
            if not led:
                del fw.by_role[role]
            if not ralloc:
                del self._role_alloc[role]
            if role in self._quota:
                self._refresh_role(role)

    def _refresh_role(self, role: str) -> None:
        present = role in self._role_members or role in self._role_alloc
        if present:
            self._role_index.set(role, self._role_weighted(role))
        else:
            self._role_index.discard(role)
        q = self._quota.get(role)
        if q is not None:
            alloc = self._role_alloc.get(role, {})
            if any(alloc.get(n, 0) < v for n, v in q[1].items()):
                self._quota_unsat.add(role)
            else:
                self._quota_unsat.discard(role)

    def _recompute_all_shares(self) -> None:
        self._shares_dirty = False
        for role, idx in self._fw_index.items():
            idx.rebuild({
                fid: dominant_share(self._frameworks[fid].by_role.get(role, {}), self._total)
                for fid in idx
            })
        self._role_index.rebuild({
            r: self._role_weighted(r) for r in set(self._role_members) | set(self._role_alloc)
        })

    def _subscribe(self, fw: _Framework, role: str) -> None:
        self._role_members.setdefault(role, set()).add(fw.id)
        idx = self._fw_index.get(role)
        if idx is None:
            idx = self._fw_index[role] = ShareIndex()
        idx.set(fw.id, dominant_share(fw.by_role.get(role, {}), self._total))
        self._refresh_role(role)

    def _unsubscribe(self, fw: _Framework, role: str) -> None:
        members = self._role_members.get(role)
        if members is not None:
            members.discard(fw.id)
            if not members:
                del self._role_members[role]
        idx = self._fw_index.get(role)
        if idx is not None:
            idx.discard(fw.id)
            if not len(idx):
                del self._fw_index[role]
        self._refresh_role(role)

    def _set_weight(self, role: str, weight: float) -> None:
        if not (weight > 0 and math.isfinite(weight)):
            raise LocalError(f"allocator: weight of role {role!r} must be > 0, got {weight!r}")
        if weight == 1.0:
            self._weights.pop(role, None)
        else:
            self._weights[role] = weight

    # ------------------------------------------------------------------ filters
    def _drop_filter(self, agent: _Agent, fid: str, role: str) -> None:
        # fw.filtered_agents may keep a stale entry: it is a superset, cleaned by _clear_filters
        agent.filters.pop((fid, role), None)

    def _clear_filters(self, fw: _Framework, roles: set[str] | None) -> None:
        for aid in list(fw.filtered_agents):
            agent = self._agents.get(aid)
            if agent is None:
                fw.filtered_agents.discard(aid)
                continue
            for key in [k for k in agent.filters if k[0] == fw.id]:
                if roles is None or key[1] in roles:
                    del agent.filters[key]
            if not any(k[0] == fw.id for k in agent.filters):
                fw.filtered_agents.discard(aid)

    # ------------------------------------------------------------------ handlers: frameworks
    def _handle_add_framework(self, now: float, inp: AddFramework) -> list[Allocation]:
        if inp.framework_id in self._frameworks:
            raise LocalError(f"allocator: framework {inp.framework_id} already added")
        fw = _Framework(inp.framework_id)
        fw.roles = tuple(dict.fromkeys(inp.roles))
        fw.suppressed = set(inp.suppressed_roles) & set(fw.roles)
        fw.constraints = {r: tuple(c) for r, c in inp.constraints if c}
        fw.active = inp.active
        self._frameworks[fw.id] = fw
        for role in fw.roles:
            self._subscribe(fw, role)
        # allocations agents reported before the framework was added
        for aid in sorted(self._orphans.pop(fw.id, set())):
            agent = self._agents.get(aid)
            if agent is not None and fw.id in agent.alloc:
                fw.agents.add(aid)
                agent.alloc[fw.id] = attribute_to(agent.alloc[fw.id], fw.default_role)
                self._track_resources(fw, agent.alloc[fw.id], +1)
        # allocations the master knows of on agents that have no record for this framework
        for aid, res in inp.used:
            agent = self._agents.get(aid)
            if agent is None or fw.id in agent.alloc or not res:
                continue
            plain = self._unallocate(res)
            if not agent.available.contains(plain):
                continue
            res = attribute_to(res, fw.default_role)
            agent.alloc[fw.id] = res
            agent.available = agent.available - plain
            self._touch(agent)
            fw.agents.add(aid)
            self._track_resources(fw, res, +1)
        self._epoch += 1
        return []

    def _handle_update_framework(self, now: float, inp: UpdateFramework) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is None:
            return []
        new_roles = tuple(dict.fromkeys(inp.roles))
        for role in fw.roles:
            if role not in new_roles:
                self._unsubscribe(fw, role)
        old = set(fw.roles)
        fw.roles = new_roles
        for role in new_roles:
            if role not in old:
                self._subscribe(fw, role)
        removed = old - set(new_roles)
        if removed:
            self._clear_filters(fw, removed)
        fw.suppressed = set(inp.suppressed_roles) & set(fw.roles)
        fw.constraints = {r: tuple(c) for r, c in inp.constraints if c}
        self._epoch += 1
        return []

    def _handle_remove_framework(self, now: float, inp: RemoveFramework) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is None:
            return []
        self._clear_filters(fw, None)
        for aid in sorted(fw.agents):
            agent = self._agents[aid]
            res = agent.alloc.pop(fw.id, None)
            if res is not None:
                self._track_resources(fw, res, -1)
                agent.available = agent.available + self._unallocate(res)
                self._touch(agent)
        for role in fw.roles:
            self._unsubscribe(fw, role)
        del self._frameworks[fw.id]
        return []

    def _handle_activate_framework(self, now: float, inp: ActivateFramework) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is not None and not fw.active:
            fw.active = True
            self._epoch += 1
        return []

    def _handle_deactivate_framework(self, now: float, inp: DeactivateFramework) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is not None:
            fw.active = False
        return []

    def _handle_suppress(self, now: float, inp: SuppressOffers) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is not None:
            fw.suppressed |= set(inp.roles or fw.roles) & set(fw.roles)
        return []

    def _handle_revive(self, now: float, inp: ReviveOffers) -> list[Allocation]:
        fw = self._frameworks.get(inp.framework_id)
        if fw is None:
            return []
        roles = set(inp.roles or fw.roles)
        fw.suppressed -= roles
        self._clear_filters(fw, roles)
        self._epoch += 1
        return []

    # ------------------------------------------------------------------ handlers: agents
    def _touch(self, agent: _Agent) -> None:
        agent.version += 1
        agent.skip = None

    def _handle_add_agent(self, now: float, inp: AddAgent) -> list[Allocation]:
        if inp.agent_id in self._agents:
            raise LocalError(f"allocator: agent {inp.agent_id} already added")
        agent = _Agent(inp.agent_id, inp.hostname, inp.total, tuple(inp.attributes))
        self._set_active(agent)
        used: dict[str, Resources] = {}
        unallocated: list[Resources] = []
        for fid, res in inp.used:
            if res:
                used[fid] = used[fid] + res if fid in used else res
                unallocated.append(self._unallocate(res))
        claimed = sum_shared(unallocated)
        if not agent.available.contains(claimed):
            raise LocalError(f"allocator: agent {inp.agent_id} used {claimed} exceeds {inp.total}")
        agent.available = agent.available - claimed
        agent.total_milli = self._ledger(inp.total)
        self._agents[agent.id] = agent
        _insort(self._agent_order, agent.id)
        ledger_add(self._total, agent.total_milli)
        self._shares_dirty = True  # the total changed: every share, before the next cycle
        for fid, res in used.items():
            fw = self._frameworks.get(fid)
            if fw is None:
                agent.alloc[fid] = res
                self._orphans.setdefault(fid, set()).add(agent.id)
            else:
                res = self._attribute(res, fw.default_role)
                agent.alloc[fid] = res
                fw.agents.add(agent.id)
                self._track_books(fw, res)
        return []

    def _handle_remove_agent(self, now: float, inp: RemoveAgent) -> list[Allocation]:
        agent = self._agents.pop(inp.agent_id, None)
        if agent is None:
            return []
        i = _bisect_index(self._agent_order, agent.id)
        del self._agent_order[i]
        for fid, res in sorted(agent.alloc.items()):
            fw = self._frameworks.get(fid)
            if fw is None:
                orphans = self._orphans.get(fid)
                if orphans is not None:
                    orphans.discard(agent.id)
                    if not orphans:
                        del self._orphans[fid]
            else:
                fw.agents.discard(agent.id)
                self._track_resources(fw, res, -1)
        for fid, _role in agent.filters:
            fw = self._frameworks.get(fid)
            if fw is not None:
                fw.filtered_agents.discard(agent.id)
        ledger_add(self._total, agent.total_milli, -1)
        self._shares_dirty = True
        return []

    def _handle_update_agent(self, now: float, inp: UpdateAgent) -> list[Allocation]:
        agent = self._agents.get(inp.agent_id)
        if agent is None:
            raise LocalError(f"allocator: update of unknown agent {inp.agent_id}")
        held = Resources()
        for res in agent.alloc.values():
            held = held + self._unallocate(res)
        plain = inp.total.unallocate()
        if not plain.contains(held):
            raise LocalError(f"allocator: agent {inp.agent_id} new total {inp.total} "
                             f"does not contain what is held on it ({held})")
        ledger_add(self._total, agent.total_milli, -1)
        agent.total = inp.total
        agent.total_milli = self._ledger(inp.total)
        ledger_add(self._total, agent.total_milli)
        agent.available = plain - held
        self._touch(agent)
        self._shares_dirty = True
        return []

    def _set_active(self, agent: _Agent) -> None:
        active = agent.activated and (self._whitelist is None or agent.hostname in self._whitelist)
        if active and not agent.active:
            self._touch(agent)
        agent.active = active

    def _handle_activate_agent(self, now: float, inp: ActivateAgent) -> list[Allocation]:
        agent = self._agents.get(inp.agent_id)
        if agent is not None and not agent.activated:
            agent.activated = True
            self._set_active(agent)
        return []

    def _handle_deactivate_agent(self, now: float, inp: DeactivateAgent) -> list[Allocation]:
        agent = self._agents.get(inp.agent_id)
        if agent is not None:
            agent.activated = False
            self._set_active(agent)
        return []

    def _handle_update_whitelist(self, now: float, inp: UpdateWhitelist) -> list[Allocation]:
        self._whitelist = inp.hosts
        for agent in self._agents.values():
            self._set_active(agent)
        return []

    def _handle_recover(self, now: float, inp: RecoverResources) -> list[Allocation]:
        agent = self._agents.get(inp.agent_id)
        if agent is None:
            return []
        fid = inp.framework_id
        fw = self._frameworks.get(fid)
        res = inp.resources
        cur = agent.alloc.get(fid)
        if cur is not None and res:
            if fw is not None:
                res = attribute_to(res, fw.default_role)
            if cur == res:
                rest = None
            elif self._contains(cur, res):
                rest = cur - res
            else:
                res = Resources()  # not held: nothing to recover
                rest = cur
            if res:
                if rest:
                    agent.alloc[fid] = rest
                else:
                    del agent.alloc[fid]
                    if fw is not None:
                        fw.agents.discard(agent.id)
                    else:
                        orphans = self._orphans.get(fid)
                        if orphans is not None:
                            orphans.discard(agent.id)
                            if not orphans:
                                del self._orphans[fid]
                agent.available = agent.available + self._unallocate(res)
                self._touch(agent)
                if fw is not None:
                    self._track_resources(fw, res, -1)
        if inp.refuse_seconds is not None and fw is not None:
            self._maybe_add_filter(now, fw, agent, inp.resources, inp.refuse_seconds)
        return []

    def _maybe_add_filter(self, now: float, fw: _Framework, agent: _Agent, res: Resources,
                          refuse_seconds: float) -> None:
        s = refuse_seconds
        if math.isnan(s) or s < 0:
            s = self.config.refuse_seconds_default
        s = min(s, self.config.refuse_seconds_max)
        if s == 0 or not res:
            return
        roles = res.allocation_roles() or set(fw.roles)
        plain = self._unallocate(res)
        for role in roles:
            agent.filters[(fw.id, role)] = (plain, now + s)
        fw.filtered_agents.add(agent.id)

    def _handle_convert(self, now: float, inp: ConvertResources) -> list[Allocation]:
        agent = self._agents.get(inp.agent_id)
        if agent is None:
            raise LocalError(f"allocator: convert on unknown agent {inp.agent_id}")
        plain_old, plain_new = self._unallocate(inp.consumed), self._unallocate(inp.converted)
        if plain_old.scalars() != plain_new.scalars():
            raise LocalError("allocator: a conversion must keep the quantities")
        if inp.framework_id is not None:
            cur = agent.alloc.get(inp.framework_id, Resources())
            if not cur.contains(inp.consumed):
                raise LocalError(f"allocator: {inp.framework_id} does not hold {inp.consumed}")
            agent.alloc[inp.framework_id] = cur - inp.consumed + inp.converted
        else:
            if not agent.available.contains(plain_old):
                raise LocalError(f"allocator: {plain_old} not available on {agent.id}")
            agent.available = agent.available - plain_old + plain_new
        agent.total = agent.total - plain_old + plain_new
        self._touch(agent)
        return []

    # ------------------------------------------------------------------ handlers: roles
    def _handle_update_weights(self, now: float, inp: UpdateWeights) -> list[Allocation]:
        for role, w in inp.weights:
            if not (w > 0 and math.isfinite(w)):
                raise LocalError(f"allocator: weight of role {role!r} must be > 0, got {w!r}")
        for role, w in inp.weights:
            self._set_weight(role, w)
        for role, _w in inp.weights:
            self._refresh_role(role)
        return []

    def _handle_update_quota(self, now: float, inp: UpdateQuota) -> list[Allocation]:
        if inp.limit:
            self._limits[inp.role] = self._ledger(inp.limit)
        else:
            self._limits.pop(inp.role, None)
        self._epoch += 1  # headrooms changed: every "nothing to offer" memo is stale
        if inp.guarantee:
            self._quota[inp.role] = (inp.guarantee, self._ledger(inp.guarantee))
        else:
            self._quota.pop(inp.role, None)
            self._quota_unsat.discard(inp.role)
        self._refresh_role(inp.role)
        return []

    # ------------------------------------------------------------------ the allocation cycle
    def _handle_allocate(self, now: float, inp: Allocate) -> list[Allocation]:
        self.cycle += 1
        if self._shares_dirty:
            self._recompute_all_shares()
        if self.config.naive:
            return reference_cycle(self, now)
        return run_cycle(self, now)


def _cap(res: Resources, room: dict[str, int]) -> Resources:
    """`res` with each limited scalar cut down to `room` (milli-units), reserved resources
    first (they are the role's own), then unreserved."""
    from mesotron.core.resources import Resource

    left = dict(room)
    items = sorted(res, key=lambda r: (not r.reservations,))
    out: list[Resource] = []
    for r in items:
        if r.scalar is None or r.name not in left:
            out.append(r)
            continue
        have = round(r.scalar * 1000)
        take = min(have, left[r.name])
        left[r.name] -= take
        if take > 0:
            out.append(r if take == have else attrs.evolve(r, scalar=take / 1000))
    return Resources(out)


def _fmt(x: float) -> str:
    if x == INF:
        return "inf"
    r = round(x, 3)
    return str(int(r)) if r == int(r) else f"{r:g}"


def _fmt_constraint(c: AttributeConstraint) -> str:
    return f"{c.attribute}:{c.predicate}" + (f"={c.value}" if c.value is not None else "")


def _bisect_index(order: list[str], key: str) -> int:
    import bisect

    i = bisect.bisect_left(order, key)
    if i == len(order) or order[i] != key:
        raise LocalError(f"allocator: agent order lost {key}")
    return i



def _insort(order: list[str], key: str) -> None:
    import bisect

    bisect.insort(order, key)
