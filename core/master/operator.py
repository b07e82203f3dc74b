"""The operator calls that change the master (v1 operator API writes), decided here.

Books read and written: `_settings` (the operator's settings, mirrored in the registry as
`("set", key, value)` ops: `("weight", role)`, `("quota", role)`, `("drain", agent)`,
`("deactivated", agent)`), `_agents`, `_frameworks`, the allocator (weights, quota,
agent activation).

INPUT `OperatorCall(request, call, principal)`; exactly one `Respond(request, status, message)`:
- 503 when not leading; 400 with Mesos's message for a bad call (nothing changes);
- RESERVE_RESOURCES by an authenticated principal: 400 unless every resource's reservation
  names that principal (Mesos's texts, `reserve_principal_error`), checked after the ACLs;
- 403 `403 Forbidden.` when `--acls` (config.acls) do not allow `principal` (None: the caller
  did not authenticate) the call's action (`operator_action` below, Mesos's objects); nothing
  changes. An unknown framework/agent is still a 400 (Mesos looks it up first).
- a call that changes durable state answers 200 only once its registry write committed
  (Mesos: the registrar's future), so what was answered survives a master failover.

CALLS
- `Teardown(framework_id)`: Mesos `Master::teardown` (unknown id: 400).
- `UpdateWeights(weights)`: every weight > 0 and finite, every role valid (and whitelisted
  when `--roles` is set); the weights go to the registry, then the allocator.
- `UpdateQuota(configs, force)`: Mesos 1.9 quota configs: `guarantees <= limits` per
  resource, role valid and not `*`; without `force`, the guarantees of all roles must fit in
  the cluster's total (Mesos's capacity heuristic). An empty config (no guarantees, no limits)
  removes the role's quota. Registry, then the allocator.
- `DeactivateAgent(agent)` / `ReactivateAgent(agent)`: no offers for the agent / offers again.
- `DrainAgent(agent, max_grace_period, mark_gone)` (Mesos 1.9): the agent is deactivated and
  DRAINING; every live task on it is killed (with the grace period as the kill policy when
  one is given); once no live task remains the agent is DRAINED (registry), and with
  `mark_gone` it is then marked gone. Draining an agent already draining updates nothing.
  `ReactivateAgent` of a DRAINED or DRAINING agent ends the drain.
- `MarkAgentGone(agent)`: registry "gone", then the agent is removed (its tasks TASK_GONE)
  and told to shut down.

Books read: `_agents`, `_drain_count`, `_frameworks`, `_gone`, `_pending_ops`, `_settings`,
  `allocator`, `config`, `leader`, `now`.
Books written: `_drain_count`, `_gone`, `_pending_ops`, `_settings`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import authorized
from mesotron.core.effects import Log, Respond, Send
from mesotron.core.messages import KillTask, ShutdownAgent
from mesotron.core.resources import InvalidResources, Resources, validate_role
from mesotron.core.values import KillPolicy


@attrs.frozen(kw_only=True, slots=True)
class OperatorCall:
    request: str
    call: Any
    principal: str | None = None  # who the shell authenticated the caller as (HTTP Basic)


@attrs.frozen(kw_only=True, slots=True)
class Teardown:
    framework_id: str


@attrs.frozen(kw_only=True, slots=True)
class UpdateWeights:
    weights: tuple[tuple[str, float], ...]


@attrs.frozen(kw_only=True, slots=True)
class QuotaConfig:
    role: str
    guarantees: tuple[tuple[str, float], ...] = ()
    limits: tuple[tuple[str, float], ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class UpdateQuota:
    configs: tuple[QuotaConfig, ...]
    force: bool = False


@attrs.frozen(kw_only=True, slots=True)
class DeactivateAgent:
    agent_id: str


@attrs.frozen(kw_only=True, slots=True)
class ReactivateAgent:
    agent_id: str


@attrs.frozen(kw_only=True, slots=True)
class DrainAgent:
    agent_id: str
    max_grace_period: float | None = None
    mark_gone: bool = False


@attrs.frozen(kw_only=True, slots=True)
class MarkAgentGone:
    agent_id: str


@attrs.frozen(kw_only=True, slots=True)
class ReserveResources:
    """RESERVE_RESOURCES (`reserve`) or UNRESERVE_RESOURCES (core/master/operations.py)."""

    agent_id: str
    resources: Resources
    reserve: bool = True


DRAINING, DRAINED = "DRAINING", "DRAINED"
FORBIDDEN = "403 Forbidden."


def reserve_principal_error(resources: Resources, principal: str) -> str | None:
    """Mesos (validation::operation::validate(Reserve)): a RESERVE by an authenticated
    principal must name that principal in every resource's (top) reservation."""
    for r in resources:
        if not r.reservations:
            continue
        named = r.reservations[-1].principal
        if named is None:
            return (f"A reserve operation was attempted by principal '{principal}', but there is "
                    "a reserved resource in the request with no principal set")
        if named != principal:
            return (f"A reserve operation was attempted by authenticated principal '{principal}', "
                    f"which does not match a reserved resource in the request with principal '{named}'")
    return None


def operator_action(call: Any, framework_principal: Any = None) -> list[tuple[str, str | None]]:
    """The (ACL action, object) pairs an operator write needs, every one approved (Mesos
    src/master/http.cpp + authorization.cpp): TEARDOWN teardown_frameworks on the
    framework's principal (`framework_principal(framework_id)` -> str | None, the caller's
    lookup); UPDATE_WEIGHTS update_weights on each role; UPDATE_QUOTA update_quotas on each
    role; RESERVE reserve_resources on each resource's reservation role; UNRESERVE
    unreserve_resources on each resource's reserver principal (none: ANY); the agent calls
    deactivate/reactivate/drain_agents, mark_agents_gone (object ANY)."""
    if isinstance(call, Teardown):
        fp = framework_principal(call.framework_id) if framework_principal else None
        return [("teardown_frameworks", fp)]
    if isinstance(call, UpdateWeights):
        return [("update_weights", role) for role, _w in call.weights]
    if isinstance(call, UpdateQuota):
        return [("update_quotas", q.role) for q in call.configs]
    if isinstance(call, ReserveResources):
        pairs: list[tuple[str, str | None]] = []
        for r in call.resources:
            top = r.reservations[-1] if r.reservations else None
            if call.reserve:
                pairs.append(("reserve_resources", top.role if top is not None else r.role))
            else:
                pairs.append(("unreserve_resources", top.principal if top is not None else None))
        return sorted(set(pairs), key=lambda p: (p[0], p[1] or ""))
    if isinstance(call, DeactivateAgent):
        return [("deactivate_agents", None)]
    if isinstance(call, ReactivateAgent):
        return [("reactivate_agents", None)]
    if isinstance(call, DrainAgent):
        return [("drain_agents", None)]
    if isinstance(call, MarkAgentGone):
        return [("mark_agents_gone", None)]
    return []


class OperatorMixin:
    """Handlers for `OperatorCall` (see the module docstring). Mixed into `Master`."""

    # provided by MasterCore and the other mixins
    _settings: dict[tuple[str, ...], Any]
    _agents: dict[str, Any]
    _frameworks: dict[str, Any]
    _pending_ops: dict[int, tuple[Any, ...]]
    _gone: dict[str, float]
    allocator: Any
    leader: bool
    now: float
    config: Any

    # ------------------------------------------------------------------ entry
    def _operator_call(self, inp: OperatorCall) -> list[Any]:
        if not self.leader:
            return [Respond(request=inp.request, status=503, message="Not the leading master")]
        denied = self._operator_denied(inp)
        if denied is not None:
            return [Log(level="warning", event="operator_call_unauthorized", fields=(
                ("call", type(inp.call).__name__), ("principal", inp.principal or ""),
                ("action", denied))), Respond(request=inp.request, status=403, message=FORBIDDEN)]
        call = inp.call
        if isinstance(call, ReserveResources) and call.reserve and inp.principal is not None:
            err = reserve_principal_error(call.resources, inp.principal)
            if err is not None:  # Mesos's validation of an authenticated RESERVE
                return self._bad(inp.request, err)
        handler: Any = {
            Teardown: self._op_teardown,
            UpdateWeights: self._op_update_weights,
            UpdateQuota: self._op_update_quota,
            DeactivateAgent: self._op_deactivate,
            ReactivateAgent: self._op_reactivate,
            DrainAgent: self._op_drain,
            MarkAgentGone: self._op_mark_gone,
            ReserveResources: lambda r, c: self._op_reserve_resources(  # type: ignore[attr-defined]
                r, c.agent_id, c.resources, c.reserve),
        }.get(type(inp.call))
        if handler is None:
            return [Respond(request=inp.request, status=501,
                            message=f"Operator call {type(inp.call).__name__} is not served")]
        out: list[Any] = handler(inp.request, inp.call)
        return out

    def _operator_denied(self, inp: OperatorCall) -> str | None:
        """The first ACL action `--acls` refuse for this call, or None (allowed). A TEARDOWN
        of an unknown framework is left to its handler (400, as Mesos looks it up first)."""
        acls = self.config.acls
        if acls is None:
            return None
        call = inp.call
        if isinstance(call, Teardown) and call.framework_id not in self._frameworks:
            return None

        def fw_principal(fid: str) -> str | None:
            fw = self._frameworks.get(fid)
            return fw.info.principal if fw is not None else None

        for action, obj in operator_action(call, fw_principal):
            if not authorized(acls, action, inp.principal, obj):
                return action
        return None

    def _bad(self, request: str, message: str) -> list[Any]:
        return [Respond(request=request, status=400, message=message)]

    def _commit_settings(self, request: str, changes: Sequence[tuple[tuple[str, ...], Any]]) -> list[Any]:
        """Write each setting to the registry; apply each as it commits; answer 200 after the
        last one (nothing to write: answer at once)."""
        if not changes:
            return [Respond(request=request, status=200)]
        out: list[Any] = []
        for i, (key, value) in enumerate(changes):
            op = self._op_id()  # type: ignore[attr-defined]
            last = i == len(changes) - 1
            self._pending_ops[op] = ("setting", key, value, request if last else None)
            out += self._registry_op(op, ("set", key, value))  # type: ignore[attr-defined]
        return out

    def _setting_committed(self, pending: tuple[Any, ...]) -> list[Any]:
        _, key, value, request = pending
        if value is None:
            self._settings.pop(key, None)
        else:
            self._settings[key] = value
        if key[0] == "drain":
            self._recount_drains()
        out = self._apply_setting(key, value)
        if request is not None:
            out.append(Respond(request=request, status=200))
        return out

    def _apply_setting(self, key: tuple[str, ...], value: Any) -> list[Any]:
        """Make a (committed or recovered) setting take effect."""
        kind, name = key[0], key[1]
        out: list[Any] = []
        if kind == "weight":
            out += self._alloc(alloc.UpdateWeights(weights=((name, float(value) if value else 1.0),)))  # type: ignore[attr-defined]
        elif kind == "quota":
            guarantees = dict(value[0]) if value else {}
            limits = dict(value[1]) if value else {}
            out += self._alloc(alloc.UpdateQuota(  # type: ignore[attr-defined]
                role=name, guarantee=Resources.from_scalars(guarantees) if guarantees else Resources(),
                limit=Resources.from_scalars(limits) if limits else Resources()))
        elif kind in ("reservations", "operation"):
            return out  # applied when asked for (core/master/operations.py)
        elif kind in ("deactivated", "drain"):
            out += self._sync_agent_activation(name)
        self._allocate()  # type: ignore[attr-defined]
        return out

    def _restore_settings(self, settings: tuple[tuple[tuple[str, ...], Any], ...]) -> list[Any]:
        """After election: the registry's settings take effect (weights, quota)."""
        self._settings = dict(settings)
        self._recount_drains()
        out: list[Any] = []
        for key, value in settings:
            if key[0] in ("weight", "quota"):
                out += self._apply_setting(key, value)
        return out

    # ------------------------------------------------------------------ reads
    def weights(self) -> dict[str, float]:
        w = dict(self.config.weights)
        w.update({k[1]: float(v) for k, v in self._settings.items() if k[0] == "weight"})
        return w

    def quotas(self) -> dict[str, QuotaConfig]:
        return {k[1]: QuotaConfig(role=k[1], guarantees=v[0], limits=v[1])
                for k, v in self._settings.items() if k[0] == "quota"}

    def drain_state(self, agent_id: str) -> tuple[str, float | None, bool] | None:
        v = self._settings.get(("drain", agent_id))
        return (v[0], v[1], v[2]) if v else None

    def agent_deactivated(self, agent_id: str) -> bool:
        return ("deactivated", agent_id) in self._settings or ("drain", agent_id) in self._settings

    # ------------------------------------------------------------------ teardown
    def _op_teardown(self, request: str, call: Teardown) -> list[Any]:
        fw = self._frameworks.get(call.framework_id)
        if fw is None:
            return self._bad(request, "No framework found with specified ID")
        out: list[Any] = self._remove_framework(fw)  # type: ignore[attr-defined]
        return [Respond(request=request, status=200), *out]

    # ------------------------------------------------------------------ weights
    def _check_role(self, role: str) -> str | None:
        try:
            validate_role(role)
        except InvalidResources as e:
            return str(e)
        if role == "*":
            return "Invalid role '*'"
        if self.config.roles is not None and role not in self.config.roles:
            return f"Role '{role}' is not present in the master's --roles"
        return None

    def _op_update_weights(self, request: str, call: UpdateWeights) -> list[Any]:
        changes = []
        for role, w in call.weights:
            err = self._check_role(role)
            if err is not None:
                return self._bad(request, f"Failed to validate weights: {err}")
            if not (isinstance(w, (int, float)) and math.isfinite(w) and w > 0):
                return self._bad(request, f"Failed to validate weights: weight of role '{role}' "
                                          f"must be positive, got {w!r}")
            changes.append((("weight", role), float(w)))
        return self._commit_settings(request, changes)

    # ------------------------------------------------------------------ quota
    def _op_update_quota(self, request: str, call: UpdateQuota) -> list[Any]:
        changes = []
        new = {r: (dict(q.guarantees), dict(q.limits)) for r, q in self.quotas().items()}
        for q in call.configs:
            err = self._check_role(q.role)
            if err is not None:
                return self._bad(request, f"Invalid QuotaConfig: {err}")
            for name, v in (*q.guarantees, *q.limits):
                if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                    return self._bad(request, f"Invalid QuotaConfig: {name} must be a "
                                              f"non-negative number, got {v!r}")
            g, lim = dict(q.guarantees), dict(q.limits)
            for name, v in g.items():
                if name in lim and lim[name] < v:
                    return self._bad(request, f"Invalid QuotaConfig: guarantee {name}:{v:g} is "
                                              f"above its limit {lim[name]:g} for role '{q.role}'")
            value = (tuple(sorted(g.items())), tuple(sorted(lim.items()))) if g or lim else None
            if value is None:
                new.pop(q.role, None)
            else:
                new[q.role] = (g, lim)
            changes.append((("quota", q.role), value))
        if not call.force:
            total = self.allocator.cluster_total()
            wanted: dict[str, float] = {}
            for g, _lim in new.values():
                for name, v in g.items():
                    wanted[name] = wanted.get(name, 0.0) + v
            for name, v in sorted(wanted.items()):
                if v > total.get(name, 0.0) + 1e-9:
                    return self._bad(request, (
                        f"Total quota guarantees '{name}:{v:g}' exceed cluster capacity "
                        f"'{name}:{total.get(name, 0.0):g}' (use 'force' to override)"))
        return self._commit_settings(request, changes)

    # ------------------------------------------------------------------ agents
    def _known_agent(self, agent_id: str) -> bool:
        return agent_id in self._agents or agent_id in getattr(self, "_recovered_agents", {})

    def _sync_agent_activation(self, agent_id: str) -> list[Any]:
        """The allocator offers the agent iff it is connected, not deactivated, not draining."""
        agent = self._agents.get(agent_id)
        if agent is None or agent_id not in self.allocator.agent_ids():
            return []
        want = agent.connected and not self.agent_deactivated(agent_id)
        if want:
            return self._alloc(alloc.ActivateAgent(agent_id=agent_id))  # type: ignore[attr-defined]
        out: list[Any] = self._alloc(alloc.DeactivateAgent(agent_id=agent_id))  # type: ignore[attr-defined]
        for oid in list(agent.offers):  # Mesos `deactivate(slave)`: its offers are rescinded
            out += self._recover_offer(oid, rescind=True)  # type: ignore[attr-defined]
        return out

    def _op_deactivate(self, request: str, call: DeactivateAgent) -> list[Any]:
        if not self._known_agent(call.agent_id):
            return self._bad(request, f"Unknown agent {call.agent_id}")
        if ("deactivated", call.agent_id) in self._settings:
            return [Respond(request=request, status=200)]
        return self._commit_settings(request, [(("deactivated", call.agent_id), True)])

    def _op_reactivate(self, request: str, call: ReactivateAgent) -> list[Any]:
        if not self._known_agent(call.agent_id):
            return self._bad(request, f"Unknown agent {call.agent_id}")
        changes = [(k, None) for k in (("deactivated", call.agent_id), ("drain", call.agent_id))
                   if k in self._settings]
        return self._commit_settings(request, changes)

    def _op_drain(self, request: str, call: DrainAgent) -> list[Any]:
        if call.agent_id not in self._agents:
            return self._bad(request, f"Unknown agent {call.agent_id}")
        if call.max_grace_period is not None and not (
                math.isfinite(call.max_grace_period) and call.max_grace_period >= 0):
            return self._bad(request, "'max_grace_period' must be a non-negative duration")
        if ("drain", call.agent_id) in self._settings:
            return [Respond(request=request, status=200)]
        out = self._commit_settings(request, [(
            ("drain", call.agent_id), (DRAINING, call.max_grace_period, call.mark_gone))])
        return out

    def _drain_kills(self, agent_id: str) -> list[Any]:
        """Kill every live task of a DRAINING agent (once per task: killed_tasks)."""
        agent = self._agents.get(agent_id)
        state = self.drain_state(agent_id)
        if agent is None or state is None or state[0] != DRAINING or not agent.connected:
            return []
        grace = state[1]
        out: list[Any] = []
        for key in sorted(agent.tasks):
            task = agent.tasks[key]
            if task.state.is_terminal or key in agent.killed_tasks:
                continue
            agent.killed_tasks[key] = None
            policy = KillPolicy(grace_period=grace) if grace is not None else task.info.kill_policy
            out.append(Send(to=agent.pid, message=KillTask(
                framework_id=task.framework_id, task_id=task.task_id, kill_policy=policy)))
        return out

    def _drain_progress(self) -> list[Any]:
        """Run after every step while some agent drains: kill what is left, and an agent
        with no live task left becomes DRAINED (then gone, with mark_gone)."""
        out: list[Any] = []
        for key, value in sorted(self._settings.items()):
            if key[0] != "drain" or value[0] != DRAINING:
                continue
            aid = key[1]
            if any(("setting", key) == p[:2] for p in self._pending_ops.values()):
                continue  # a write about this drain is in flight
            agent = self._agents.get(aid)
            if agent is None:
                continue
            out += self._sync_agent_activation(aid)
            out += self._drain_kills(aid)
            if all(t.state.is_terminal for t in agent.tasks.values()):
                op = self._op_id()  # type: ignore[attr-defined]
                done = (DRAINED, value[1], value[2])
                self._pending_ops[op] = ("setting", key, done, None)
                out += self._registry_op(op, ("set", key, done))  # type: ignore[attr-defined]
                out.append(Log(level="info", event="agent_drained", fields=(("agent_id", aid),)))
                if value[2]:
                    out += self._mark_gone(aid, "Agent drained and marked gone")
        return out

    def _draining(self) -> bool:
        """Is some agent DRAINING? O(1) per step (the master asks after every step): the
        count is refreshed only when a drain setting changes."""
        return bool(getattr(self, "_drain_count", 0))

    def _recount_drains(self) -> None:
        self._drain_count = sum(1 for k, v in self._settings.items() if k[0] == "drain" and v[0] == DRAINING)

    # ------------------------------------------------------------------ gone
    def _op_mark_gone(self, request: str, call: MarkAgentGone) -> list[Any]:
        if call.agent_id in self._gone:
            return [Respond(request=request, status=200)]
        if not self._known_agent(call.agent_id):
            return self._bad(request, f"Unknown agent {call.agent_id}")
        return self._mark_gone(call.agent_id, "Agent marked gone by the operator", request)

    def _mark_gone(self, agent_id: str, why: str, request: str | None = None) -> list[Any]:
        op = self._op_id()  # type: ignore[attr-defined]
        self._pending_ops[op] = ("gone", agent_id, self.now, why, request)
        return self._registry_op(op, ("gone", agent_id, self.now))  # type: ignore[attr-defined]

    def _gone_committed(self, pending: tuple[Any, ...]) -> list[Any]:
        _, aid, when, why, request = pending
        agent = self._agents.get(aid)
        out: list[Any] = []
        if agent is not None and agent.connected:
            out.append(Send(to=agent.pid, message=ShutdownAgent(message=why)))
        out += self._drop_agent(aid, why, unreachable_time=None)  # type: ignore[attr-defined]
        self._gone[aid] = when
        if request is not None:
            out.append(Respond(request=request, status=200))
        return out
