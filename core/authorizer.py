"""Mesos's local authorizer as a pure function: `authorized(acls, action, principal, obj)`.

Reads: the ACLs (`--acls`, Mesos's JSON, include/mesos/authorizer/acls.proto) parsed into
frozen values by `parse_acls`. Writes nothing. No I/O: the shell reads the flag's file.

Matching rules (src/authorizer/local/authorizer.cpp, SECURITY.md §3):
- the request's subject is SOME[principal], or ANY when the caller is not authenticated; its
  object is SOME[value], or ANY when the request has none;
- the rules of the action are tried in order; the first whose subject and object both
  *match* decides, and allows only if both are *allowed*; when none matches, `permissive`
  (default true) decides;
- match: a NONE request matches NONE only; ANY matches ANY or NONE; SOME matches ANY, NONE,
  or a rule whose values hold all the request's values;
- allow: an ANY rule allows SOME and ANY; a NONE rule allows only NONE; a SOME rule allows a
  SOME request whose values it holds;
- for role objects a rule value `a/%` holds every strict descendant of `a` (`a/b`, `a/b/c`),
  not `a` itself;
- keys that are not actions (`set_quotas`, `remove_quotas`: removed in Mesos 1.10) are ignored.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

ANY = "ANY"
NONE = "NONE"
SOME = "SOME"

# action -> the name of its object field
ACTIONS: dict[str, str] = {
    "register_frameworks": "roles",
    "run_tasks": "users",
    "teardown_frameworks": "framework_principals",
    "reserve_resources": "roles",
    "unreserve_resources": "reserver_principals",
    "create_volumes": "roles",
    "destroy_volumes": "creator_principals",
    "get_quotas": "roles",
    "update_quotas": "roles",
    "update_weights": "roles",
    "view_roles": "roles",
    "view_frameworks": "users",
    "view_tasks": "users",
    "view_executors": "users",
    "access_sandboxes": "users",
    "access_mesos_logs": "logs",
    "view_flags": "flags",
    "get_endpoints": "paths",
    "register_agents": "agents",
    "drain_agents": "agents",
    "deactivate_agents": "agents",
    "reactivate_agents": "agents",
    "mark_agents_gone": "agents",
}
ROLE_OBJECTS = frozenset({"roles"})
# objects Mesos only accepts as ANY or NONE (its startup check)
ANY_OR_NONE_OBJECTS = frozenset({"logs", "flags", "agents"})
# the only paths get_endpoints may name (Mesos's startup check)
AUTHORIZABLE_ENDPOINTS = frozenset({
    "/containers", "/containerizer/debug", "/files/debug", "/logging/toggle",
    "/metrics/snapshot", "/monitor/statistics",
})


class AclError(ValueError):
    """ACLs that Mesos refuses at start-up (the daemon exits with this message)."""


@attrs.frozen(kw_only=True, slots=True)
class Entity:
    """ACL::Entity: `type` ANY, NONE or SOME (with `values`)."""

    type: str = SOME
    values: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.type not in (ANY, NONE, SOME):
            raise AclError(f"unknown entity type {self.type!r}")


@attrs.frozen(kw_only=True, slots=True)
class Rule:
    principals: Entity
    object: Entity


@attrs.frozen(kw_only=True, slots=True)
class Acls:
    """Parsed ACLs: `rules[action]` in order; `permissive` decides when no rule matches."""

    permissive: bool = True
    rules: tuple[tuple[str, tuple[Rule, ...]], ...] = ()

    def of(self, action: str) -> tuple[Rule, ...]:
        for name, rules in self.rules:
            if name == action:
                return rules
        return ()


def _entity(obj: Any, where: str) -> Entity:
    if not isinstance(obj, dict):
        raise AclError(f"{where}: expected an object like {{\"type\": \"ANY\"}} or {{\"values\": [...]}}")
    kind = obj.get("type", SOME)
    if not isinstance(kind, str) or kind not in (ANY, NONE, SOME):
        raise AclError(f"{where}: 'type' must be ANY, NONE or SOME")
    values = obj.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AclError(f"{where}: 'values' must be a list of strings")
    return Entity(type=kind, values=tuple(values))


def parse_acls(text: str | dict[str, Any]) -> Acls:
    """Mesos's ACL JSON -> Acls. Raises AclError for what Mesos refuses."""
    if isinstance(text, str):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise AclError(f"not JSON: {e}") from None
    else:
        data = text
    if not isinstance(data, dict):
        raise AclError("expected a JSON object")
    permissive = data.get("permissive", True)
    if not isinstance(permissive, bool):
        raise AclError("'permissive' must be true or false")
    out: list[tuple[str, tuple[Rule, ...]]] = []
    for action, field in ACTIONS.items():
        if action not in data:
            continue
        items = data[action]
        if not isinstance(items, list):
            raise AclError(f"{action}: expected a list of rules")
        rules = []
        for i, item in enumerate(items):
            where = f"{action}[{i}]"
            if not isinstance(item, dict) or "principals" not in item or field not in item:
                raise AclError(f"{where}: each rule needs 'principals' and '{field}'")
            rule = Rule(principals=_entity(item["principals"], f"{where}.principals"),
                        object=_entity(item[field], f"{where}.{field}"))
            if field in ANY_OR_NONE_OBJECTS and rule.object.type == SOME:
                raise AclError(f"{where}: {field} must be ANY or NONE")
            if action == "get_endpoints" and rule.object.type == SOME:
                bad = sorted(set(rule.object.values) - AUTHORIZABLE_ENDPOINTS)
                if bad:
                    raise AclError(f"{where}: path {bad[0]!r} is not an authorizable endpoint")
            rules.append(rule)
        out.append((action, tuple(rules)))
    return Acls(permissive=permissive, rules=tuple(out))


def _holds(rule_values: tuple[str, ...], value: str, roles: bool) -> bool:
    for v in rule_values:
        if v == value:
            return True
        if roles and v.endswith("/%") and value.startswith(v[:-1]) and len(value) > len(v) - 1:
            return True
    return False


def _matches(req: Entity, acl: Entity, roles: bool) -> bool:
    if req.type == NONE:
        return acl.type == NONE
    if req.type == ANY:
        return acl.type in (ANY, NONE)
    if acl.type in (ANY, NONE):
        return True
    return all(_holds(acl.values, v, roles) for v in req.values)


def _allows(req: Entity, acl: Entity, roles: bool) -> bool:
    if req.type == NONE:
        return acl.type == NONE
    if req.type == ANY:
        return acl.type == ANY
    if acl.type == ANY:
        return True
    if acl.type == NONE:
        return False
    return all(_holds(acl.values, v, roles) for v in req.values)


def authorized(acls: Acls | None, action: str, principal: str | None, obj: str | None) -> bool:
    """May `principal` (None: unauthenticated) do `action` on `obj` (None: no object)?
    Without ACLs everything is allowed (Mesos without an authorizer)."""
    if acls is None:
        return True
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    roles = ACTIONS[action] in ROLE_OBJECTS
    subject = Entity(type=SOME, values=(principal,)) if principal is not None else Entity(type=ANY)
    target = Entity(type=SOME, values=(obj,)) if obj is not None else Entity(type=ANY)
    for rule in acls.of(action):
        if _matches(subject, rule.principals, False) and _matches(target, rule.object, roles):
            return _allows(subject, rule.principals, False) and _allows(target, rule.object, roles)
    return acls.permissive


def authorized_all(acls: Acls | None, action: str, principal: str | None,
                   objects: tuple[str, ...]) -> bool:
    """Every object approved (a framework's roles: each must be)."""
    return all(authorized(acls, action, principal, o) for o in objects)


# ---------------------------------------------------------------- views
def filter_state(acls: Acls | None, principal: str | None, state: dict[str, Any]) -> dict[str, Any]:
    """The master's state JSON as `principal` may see it (Mesos's FilterStateEndpoint): each
    agent's `reserved_resources(_full)` only for the roles view_roles allows;
    frameworks by view_frameworks (object: FrameworkInfo.user), their tasks by view_tasks
    (the task's user, else the framework's), their executors by view_executors (the
    executor's command user, else the framework's); orphan tasks by view_tasks; `flags` left
    out unless view_flags allows. Nothing else changes; the input is not mutated."""
    if acls is None:
        return state

    decided: dict[tuple[str, str | None], bool] = {}  # one decision per (action, object)

    def ok(action: str, obj: str | None) -> bool:
        key = (action, obj)
        if key not in decided:
            decided[key] = authorized(acls, action, principal, obj)
        return decided[key]

    def framework(f: dict[str, Any]) -> dict[str, Any]:
        user = f.get("user")
        out = dict(f)
        for key in ("tasks", "unreachable_tasks", "completed_tasks"):
            if key in f:
                out[key] = [t for t in f[key] if ok("view_tasks", t.get("user") or user)]
        if "executors" in f:
            out["executors"] = [e for e in f["executors"] if ok("view_executors", e.get("user") or user)]
        return out

    def agent(a: dict[str, Any]) -> dict[str, Any]:
        out = dict(a)
        for key in ("reserved_resources", "reserved_resources_full"):
            if isinstance(a.get(key), dict):
                out[key] = {r: v for r, v in a[key].items() if ok("view_roles", r)}
        return out

    out = dict(state)
    for key in ("slaves", "recovered_slaves"):
        if isinstance(state.get(key), list):
            out[key] = [agent(a) if isinstance(a, dict) else a for a in state[key]]
    for key in ("frameworks", "completed_frameworks"):
        if key in state:
            out[key] = [framework(f) for f in state[key] if ok("view_frameworks", f.get("user"))]
    if "orphan_tasks" in state:
        out["orphan_tasks"] = [t for t in state["orphan_tasks"] if ok("view_tasks", t.get("user"))]
    if "flags" in state and not ok("view_flags", None):
        del out["flags"]
    return out


# operator SUBSCRIBE events (Mesos src/master/master.cpp Subscribers::send: each subscriber's
# approvers decide per event)
FRAMEWORK_EVENTS = frozenset({"FRAMEWORK_ADDED", "FRAMEWORK_UPDATED", "FRAMEWORK_REMOVED"})
TASK_EVENTS = frozenset({"TASK_ADDED", "TASK_UPDATED"})


def event_visible(acls: Acls | None, principal: str | None, kind: str,
                  framework_user: str | None, task_user: str | None = None) -> bool:
    """May an operator SUBSCRIBE stream authenticated as `principal` get this event? Framework
    events need view_frameworks on the framework's user; task events need view_frameworks
    and view_tasks (the task's user, else the framework's); other events (AGENT_ADDED,
    AGENT_REMOVED, HEARTBEAT, SUBSCRIBED: its snapshot is filtered by `filter_state`) pass."""
    if acls is None:
        return True
    if kind in FRAMEWORK_EVENTS:
        return authorized(acls, "view_frameworks", principal, framework_user)
    if kind in TASK_EVENTS:
        return (authorized(acls, "view_frameworks", principal, framework_user)
                and authorized(acls, "view_tasks", principal, task_user or framework_user))
    return True
