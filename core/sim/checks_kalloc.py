"""s19 kalloc: the leader's allocator's framework books against the leader's own
(AllocatorFrameworksAgree).

Called from one line of core/sim/checker.py tagged `# s19 kalloc`; it judges one leader step
against behaviour Mesos has (the property's docstring in core/invariants.py cites the Mesos
source) and reports through `chk.run` with the (property, node, what) rows of
`ClusterSnapshot.s17_killa`. It only reads the machines.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Received, TimerFired
from mesotron.core.messages import ReregisterAgent

# (s20 speed) The leader's timers that never touch a framework's books: agent pings, framework
# heartbeats and the allocation cycle (Master::allocate books offers, not frameworks). They
# were 12,000 of the 20,000 evaluations of a 50,000-event run (~6 % of its time); a change of
# the books they could still make is judged at the next evaluated step (a state check).
_QUIET_TIMERS = frozenset(("ping", "heartbeat", "allocation"))


def after_leader_step(chk: Any, world: Any, node: Any, inp: Any) -> None:
    """AllocatorFrameworksAgree, after a leader step that may change a framework's books:
    every input but a message (scheduler calls, disconnections, timers, registry results,
    operator calls, elections) and an agent's re-registration (recovered frameworks), less
    the timers of _QUIET_TIMERS."""
    tin = type(inp)
    if tin is Received and type(inp.message) is not ReregisterAgent:
        return
    if tin is TimerFired and inp.key[0] in _QUIET_TIMERS:
        return
    m = node.machine
    if m is None or not m.leader:
        return
    bad = framework_rows(m)
    if bad:
        chk.run(world, inv.AllocatorFrameworksAgree, inv.ClusterSnapshot(s17_killa=tuple(
            ("AllocatorFrameworksAgree", node.name, f"{node.name}: {what}") for what in bad)))


_ROLES_MEMO: dict[int, tuple[Any, tuple[str, ...]]] = {}
_NO_CONSTRAINTS: dict[str, Any] = {}


def _roles(info: Any) -> tuple[str, ...]:
    """A FrameworkInfo's roles without repeats, in order (once per info value: FrameworkInfo
    is immutable, and the memo keeps each value it describes alive, so an id is not reused
    while it is in the memo)."""
    hit = _ROLES_MEMO.get(id(info))
    if hit is not None and hit[0] is info:
        return hit[1]
    roles = tuple(dict.fromkeys(info.roles))
    if len(_ROLES_MEMO) > 10_000:
        _ROLES_MEMO.clear()
    _ROLES_MEMO[id(info)] = (info, roles)
    return roles


def framework_rows(m: Any) -> list[str]:
    """The disagreements (s22 speed): books that agree are told apart in one unsorted pass
    that compares what `framework_rows_full` compares; on the first difference the full
    function describes every disagreement, in its order (tests/test_s19_kalloc.py runs
    both on the planted bugs' worlds)."""
    al = m.allocator
    afws = al._frameworks
    mfws = m._frameworks
    if afws.keys() != mfws.keys():
        return framework_rows_full(m)
    members: dict[str, set[str]] = {}
    for fid, mfw in mfws.items():
        afw = afws[fid]
        roles = _roles(mfw.info)
        if afw.roles != roles or afw.active != bool(mfw.active):
            return framework_rows_full(m)
        sup = mfw.suppressed_roles
        if (sup or afw.suppressed) and sorted(set(sup) & set(roles)) != sorted(afw.suppressed):
            return framework_rows_full(m)
        oc = mfw.offer_constraints
        if ({r: tuple(c) for r, c in oc if c} if oc else _NO_CONSTRAINTS) != afw.constraints:
            return framework_rows_full(m)
        for role in roles:
            s = members.get(role)
            if s is None:
                members[role] = {fid}
            else:
                s.add(fid)
    if al._role_members != members:
        return framework_rows_full(m)
    index = al._fw_index
    if index.keys() != members.keys():
        return framework_rows_full(m)
    for r, idx in index.items():
        if set(idx) != members[r]:
            return framework_rows_full(m)
    return []


def framework_rows_full(m: Any) -> list[str]:
    al = m.allocator
    afws = al._frameworks
    bad: list[str] = []
    for fid in sorted(set(afws) - set(m._frameworks)):
        bad.append(f"the allocator still has framework {fid}, which the master does not book")
    members: dict[str, set[str]] = {}
    for fid, mfw in sorted(m._frameworks.items()):
        afw = afws.get(fid)
        if afw is None:
            bad.append(f"the master books framework {fid}, which the allocator does not know")
            continue
        info = mfw.info
        roles = tuple(dict.fromkeys(info.roles))
        for role in afw.roles:
            members.setdefault(role, set()).add(fid)
        want = (roles, bool(mfw.active), sorted(set(mfw.suppressed_roles) & set(roles)),
                {r: tuple(c) for r, c in mfw.offer_constraints if c})
        got = (afw.roles, afw.active, sorted(afw.suppressed), afw.constraints)
        for what, w, g in zip(("roles", "active", "suppressed roles", "offer constraints"),
                              want, got, strict=True):
            if w != g:
                bad.append(f"framework {fid}: the allocator has {what} {g!r}, the master {w!r}")
    for fid in afws:
        if fid not in m._frameworks:
            for role in afws[fid].roles:
                members.setdefault(role, set()).add(fid)
    books = {r: set(v) for r, v in al._role_members.items()}
    if books != members:
        bad.append(f"the allocator's role members {sorted((r, sorted(v)) for r, v in books.items())}"
                   f" are not its frameworks' roles {sorted((r, sorted(v)) for r, v in members.items())}")
    index = {r: set(idx) for r, idx in al._fw_index.items()}
    if index != members:
        bad.append(f"the allocator's role sorters {sorted((r, sorted(v)) for r, v in index.items())}"
                   f" are not its frameworks' roles {sorted((r, sorted(v)) for r, v in members.items())}")
    return bad
