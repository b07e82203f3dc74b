"""s17 killm: master-side properties of the simulator's checker that look where the mutation
judge was blind (the non-killed core/master/ mutants of docs/mutation/s16-after-seed22.json).

Each function is called from one line of core/sim/checker.py or core/sim/world.py tagged
`# s17 killm`; each judges one step of a real core machine against behaviour Mesos has (the
property's docstring in core/invariants.py names it) and reports through `chk.run`.

- TimersNotInPast (world.timer's rare branch: a timer due before the step that sets it).
- ReconcileAnswersAsMesos (the master's answers to an explicit RECONCILE, per case).
- RegistryGcSelects (the agents each registry GC picks, and what its result logs).
- LeaderViewsAgree (what an elected master shows: /state's elected_time, /metrics'
  counters), with the `why` answer's agent order and filters (WhyExplains) and the views
  sampled at the election step itself (no agent re-registered yet).

Cost: every hook runs on a rare input (a RECONCILE naming tasks, a registry GC timer, a
registry result carrying a prune, an election) or in a branch the world takes only for a
timer set in the past (never, on the real code).
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Log, Send
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import CheckpointResources, EventUpdate
from mesotron.core.sim.checks_kproto import taken_from_subscribed
from mesotron.core.status_updates import UpdateRecord
from mesotron.core.values import Reason, TaskState

_S = TaskState


# ------------------------------------------------------------------ TimersNotInPast
def on_past_timer(world: Any, node: Any, key: Any, at: float) -> None:
    """World.timer: `node` set timer `key` due at `at`, before the current time."""
    if world.now - at <= 1e-9:
        return
    chk = world.obs
    if chk is None:
        return
    chk.run(world, inv.TimersNotInPast, ClusterSnapshot(past_timers=(
        (node.name, (f"set timer {key!r} due at {at:.3f}, {world.now - at:.3f} s before "
                     f"the step that set it (t={world.now:.3f})")),)))


# ------------------------------------------------------------------ ReconcileAnswersAsMesos
def check_reconcile_states(chk: Any, world: Any, node: Any, inp: Any,
                           effects: list[Any]) -> None:
    """After a master step on an explicit RECONCILE it took: the state of each answer about
    a task the master does not book live is the one Mesos's `_reconcileTasks` gives for the
    agent named (registered: TASK_GONE; unreachable: TASK_UNREACHABLE with the time it
    became unreachable; gone: TASK_GONE_BY_OPERATOR; unknown or none: TASK_UNKNOWN), as the
    framework may see it, with REASON_RECONCILIATION. (A reconciliation changes none of the
    books read here: the state after the step is the state it was answered from.)"""
    m = node.machine
    fw = taken_from_subscribed(node, inp, effects)
    if fw is None:
        return
    named = {tid: aid for tid, aid in inp.call.tasks if tid not in fw.tasks}
    if not named:
        return
    bad: list[tuple[str, str]] = []
    for e in effects:
        if type(e) is not Send or e.to != fw.stream or type(e.message) is not EventUpdate:
            continue
        st = e.message.status
        if st.task_id not in named:
            continue
        aid = named[st.task_id]
        when = None
        if aid is not None and aid in m._agents:
            want = _S.TASK_GONE
        elif aid is not None and aid in m._unreachable:
            want, when = _S.TASK_UNREACHABLE, m._unreachable[aid]
        elif aid is not None and aid in m._gone:
            want = _S.TASK_GONE_BY_OPERATOR
        else:
            want = _S.TASK_UNKNOWN
        want = shown(want, fw.info)
        if st.state is not want or st.reason is not Reason.REASON_RECONCILIATION or (
                when is not None and st.unreachable_time != when):
            bad.append((fw.id, f"task {st.task_id} named with agent {aid}: answered "
                               f"{st.state.name} ({st.reason}, unreachable_time "
                               f"{st.unreachable_time}), Mesos answers {want.name}"
                               + (f" (unreachable since {when})" if when is not None else "")))
    if bad:
        chk.run(world, inv.ReconcileAnswersAsMesos, ClusterSnapshot(reconcile_states=tuple(bad)))


# ------------------------------------------------------------------ RegistryGcSelects
def _books(chk: Any) -> dict[str, Any]:
    d = chk.__dict__.get("killm")
    if d is None:
        d = chk.__dict__["killm"] = {"gc": None, "reg": None}
    return d  # type: ignore[no-any-return]


def before_gc(chk: Any, node: Any) -> None:
    """Before the registry GC timer's step: which entries were being pruned (by a prune
    the registry has not answered yet)."""
    m = node.machine
    _books(chk)["gc"] = (m, dict(m._pruning), set(m._pending_ops))


def after_gc(chk: Any, world: Any, node: Any) -> None:
    """After the registry GC timer's step on the leader: the entries it began to prune are
    exactly Mesos `doRegistryGc`'s selection over each list (unreachable, gone) among the
    entries not already being pruned: the oldest ones beyond --registry_max_agent_count,
    and every one older than --registry_max_agent_age."""
    d = _books(chk)
    pre = d["gc"]
    d["gc"] = None
    m = node.machine
    if pre is None or pre[0] is not m or not m.leader:
        return
    _m, pruning, pending = pre
    cfg = m.config
    bad: list[tuple[str, str]] = []
    for where, entries in (("unreachable", m._unreachable), ("gone", m._gone)):
        live = [(t, i, aid) for i, (aid, t) in enumerate(entries.items())
                if not (aid in pruning and pruning[aid] in pending)]
        live.sort()
        excess = len(live) - cfg.registry_max_agent_count
        want = {aid for n, (t, _i, aid) in enumerate(live)
                if n < excess or world.now - t > cfg.registry_max_agent_age}
        got = {aid for aid in entries if aid in m._pruning
               and m._pruning[aid] != pruning.get(aid)}
        if got != want:
            bad.append((where, (f"the GC at t={world.now:.3f} prunes {sorted(got)}, Mesos "
                                f"prunes {sorted(want)} (of {len(live)} not being pruned; "
                                f"max count {cfg.registry_max_agent_count}, max age "
                                f"{cfg.registry_max_agent_age:g} s)")))
    if bad:
        chk.run(world, inv.RegistryGcSelects, ClusterSnapshot(gc_selection=tuple(bad)))


def before_registry(chk: Any, node: Any) -> None:
    """Before a registry result: the prunes the write in flight carries."""
    m = node.machine
    inflight = m._registry_inflight
    prunes = [] if inflight is None else [
        m._pending_ops[i] for i in inflight[1] if m._pending_ops.get(i, ("",))[0] == "prune"]
    _books(chk)["reg"] = (m, prunes) if prunes else None


def after_registry(chk: Any, world: Any, node: Any, effects: list[Any]) -> None:
    """After a registry result that carried prunes: each prune's `registry_gc_done` line
    accounts for every entry it was asked to forget (forgotten unreachable + forgotten gone
    + skipped = asked), within each list, at level warning exactly when some were skipped."""
    d = _books(chk)
    pre = d["reg"]
    d["reg"] = None
    if pre is None or pre[0] is not node.machine:
        return
    logs = [e for e in effects if type(e) is Log and e.event == "registry_gc_done"]
    if not logs:
        return  # the write failed: the master abdicated
    bad: list[tuple[str, str]] = []
    for (_k, unreachable, gone), log in zip(pre[1], logs, strict=False):
        f = dict(log.fields)
        u, g, s = f.get("unreachable", -1), f.get("gone", -1), f.get("skipped", -1)
        if not (0 <= u <= len(unreachable) and 0 <= g <= len(gone)
                and u + g + s == len(unreachable) + len(gone)
                and (log.level == "warning") == (s > 0)):
            bad.append(("result", (f"a prune of {len(unreachable)} unreachable and "
                                   f"{len(gone)} gone entries logged {log.level} {f}")))
    if len(logs) != len(pre[1]):
        bad.append(("result", f"{len(pre[1])} prunes committed, {len(logs)} logged"))
    if bad:
        chk.run(world, inv.RegistryGcSelects, ClusterSnapshot(gc_selection=tuple(bad)))


# ------------------------------------------------------------------ LeaderViewsAgree
def after_election(chk: Any, world: Any, node: Any) -> None:
    """After the step in which a master became the leader: /master/state's elected_time is
    the time of that step and /metrics reports it elected with no uptime yet; then the
    operator views and `why` answers are judged as they stand (no agent re-registered yet:
    the recovered agents are all the master knows of them)."""
    m = node.machine
    if not m.leader:
        return
    bad: list[tuple[str, str]] = []
    state = m.state_json()
    metrics = m.metrics()
    if state.get("elected_time") != world.now:
        bad.append((node.name, (f"/master/state elected_time {state.get('elected_time')} "
                                f"but it was elected at t={world.now}")))
    if metrics.get("master/elected") != 1 or metrics.get("master/uptime_secs") != 0:
        bad.append((node.name, (f"/metrics master/elected {metrics.get('master/elected')}, "
                                f"master/uptime_secs {metrics.get('master/uptime_secs')} "
                                "just after its election")))
    bad += metrics_rows(node.name, m, metrics)
    if bad:
        chk.run(world, inv.LeaderViewsAgree, ClusterSnapshot(leader_views=tuple(bad)))
    from mesotron.core.sim.checker import check_operator_views
    check_operator_views(chk, world, node)


def metrics_rows(who: str, m: Any, metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """/metrics/snapshot reports every counter the master keeps, with its value (the
    counters MetricsAgree recounts are the master's books; operators read them here). The
    per-state task counts add the live tasks to their counter (OperatorViewsAgree)."""
    bad: list[tuple[str, str]] = []
    for k, v in m.counters.items():
        got = metrics.get(k)
        if got is None or (got != v and not k.startswith("master/tasks_")):
            bad.append((who, f"/metrics {k} is {got}, the master counts {v}"))
    return bad


def check_views(chk: Any, world: Any, node: Any) -> None:
    """With every sample of the leader's views (check_operator_views): /metrics against the
    master's counters (LeaderViewsAgree), the `why` answers' agent order and filters
    (WhyExplains)."""
    m = node.machine
    bad = metrics_rows(node.name, m, m.metrics())
    if bad:
        chk.run(world, inv.LeaderViewsAgree, ClusterSnapshot(leader_views=tuple(bad)))
    whys = why_rows(world, node)
    if whys:
        chk.run(world, inv.WhyExplains, ClusterSnapshot(why_answers=whys))


# the order `why` lists agents in (core/master/why.py: the most telling reasons first)
_RANK = {"next": 0, "drf_rank": 1, "quota_of_other_role": 1}


def why_rows(world: Any, node: Any) -> tuple[tuple[str, str, str], ...]:
    """WhyExplains (s17 killm): the agents a `why` answer lists come in its documented order
    (the next cycle's offers first, then the DRF / quota waits, then the blocked ones), and
    its filters are exactly the allocator's unexpired refusal filters of that framework
    (every agent's, as the allocator books them: DECLINE's refuse_seconds), and the roles it
    shows suppressed are the ones the allocator holds suppressed (SUPPRESS / REVIVE /
    SUBSCRIBE's suppressed_roles reach both)."""
    from mesotron.core.master.why import why

    m = node.machine
    al = m.allocator
    now = world.now
    bad: list[tuple[str, str, str]] = []
    for fid in sorted(m._frameworks):
        j = why(m, now, fid, hidden=False).to_json()
        verdict = str(j.get("verdict"))
        ranks = [_RANK.get(a["reason"], 2) for a in j.get("agents", ())]
        if ranks != sorted(ranks):
            bad.append((fid, verdict, ("its agents are not listed most telling first: "
                                       f"{[a['reason'] for a in j['agents']]}")))
        if fid not in al._frameworks:
            continue
        afw = al._frameworks[fid]
        if sorted(j.get("suppressed_roles", ())) != sorted(afw.suppressed):
            bad.append((fid, verdict, (f"its suppressed roles {j.get('suppressed_roles')} "
                                       f"are not the allocator's {sorted(afw.suppressed)}")))
        want = sorted((aid, role) for aid, ag in al._agents.items()
                      for (f, role), (_res, exp) in ag.filters.items() if f == fid and now < exp)
        got = sorted((x["agent_id"], x["role"]) for x in j.get("filters", ()))
        if got != want:
            bad.append((fid, verdict, f"its filters {got} are not the allocator's {want}"))
    return tuple(bad)


# ------------------------------------------------------------------ ReservationsResent
def check_reservations_resent(chk: Any, world: Any, node: Any, log: Any,
                              effects: list[Any]) -> None:
    """After a leader step that re-admitted or re-registered an agent (its
    agent_reregistered / agent_readmitted line): when the leader books dynamic reservations
    for the agent, the step sends the agent a CheckpointResources carrying exactly them
    (Mesos Master::_reregisterSlave: "Here we always send the message", the agent's
    checkpointed resources), so that an agent that missed a change while it was away (or
    lost its checkpoint with its disk) holds them again."""
    if log.event == "agent_registered" or not node.machine.leader:
        return
    m = node.machine
    aid = dict(log.fields).get("agent_id")
    agent = m._agents.get(aid or "")
    if agent is None or not agent.connected:
        return
    dyn = m.dynamic_reservations(agent.id)
    if not dyn:
        return
    if any(type(e) is Send and e.to == agent.pid and type(e.message) is CheckpointResources
           and e.message.resources == dyn for e in effects):
        return
    chk.run(world, inv.ReservationsResent, ClusterSnapshot(reservations_unsent=((
        agent.id, f"{log.event} without a CheckpointResources of its reservations {dyn}"),)))


# ------------------------------------------------------------------ RemovalPermitsPaced
def check_permit_wait(chk: Any, world: Any, node: Any, log: Any) -> None:
    """As an agent due for removal waits for a permit (agent_removal_waits_for_permit):
    the permit it waits for is due later than now (libprocess RateLimiter::acquire: a permit
    that is free now is taken at once, nobody waits for it)."""
    at = dict(log.fields).get("at")
    if at is None or at > world.now:
        return
    chk.run(world, inv.RemovalPermitsPaced, ClusterSnapshot(permit_waits=((
        dict(log.fields).get("agent_id", "?"),
        f"waits for a removal permit due at {at}, not later than now ({world.now})"),)))


# ------------------------------------------------------------------ UpdatesVisible
# the states some frameworks may not see: Mesos's documented rule (not the code's table),
# without PARTITION_AWARE these are shown TASK_LOST (inv._SHOWN_AS), without
# TASK_KILLING_STATE TASK_KILLING is shown TASK_RUNNING
_PA_ONLY = frozenset(inv._SHOWN_AS)
HIDDEN = _PA_ONLY | {_S.TASK_KILLING}


def shown(state: TaskState, info: Any) -> TaskState:
    """The state a framework with FrameworkInfo `info` is shown for `state`."""
    if state in _PA_ONLY and not info.partition_aware:
        return _S.TASK_LOST
    if state is _S.TASK_KILLING and not info.task_killing_state:
        return _S.TASK_RUNNING
    return state


def check_visible(chk: Any, world: Any, s: Any, st: Any) -> None:
    """As a scheduler hears an update whose state not every framework may see: its
    subscription's capabilities let it see that state."""
    info = s.machine.config.framework_info
    want = shown(st.state, info)
    if want is st.state:
        return
    chk.run(world, inv.UpdatesVisible, ClusterSnapshot(hidden_updates=((
        s.name, (f"was shown {st.state.name} for task {st.task_id}, which a framework "
                 f"with capabilities {sorted(c.name for c in info.capabilities)} sees as "
                 f"{want.name}")),)))


# ==== s17 killm2: two false alarms of the merged non-partition-aware trajectories
def on_dropped_checkpoint(chk: Any, dst: Any) -> None:
    """Checker.on_dropped: the network dropped a CheckpointResources to agent `dst` while the
    connection stayed up (TCP never does that; the simulator does, as a RunTask it drops).
    Mesos's master sends it once, over the link (`Master::_apply` / `Master::_reregisterSlave`
    `send(slave->pid, message)`), and resends it only when the agent re-registers ("Here we
    always send the message"), so the agent holds stale reservations until then: SettingsAgree
    skips the agent at quiescence until a CheckpointResources reaches it (seed 6 of
    `sim --events 3000 --faults all --operator --fault-interval 10`: three lost in a
    master -> agent partition too short for a ping timeout)."""
    if dst is not None:
        chk.__dict__.setdefault("checkpoints_lost", set()).add(dst.name)


def on_checkpoint_received(chk: Any, node: Any) -> None:
    """Checker.on_agent_step: a CheckpointResources reached the agent (it carries the whole
    set: what an earlier lost one said is superseded)."""
    lost = chk.__dict__.get("checkpoints_lost")
    if lost:
        lost.discard(node.name)


def checkpoint_lost(world: Any, node: Any) -> bool:
    """settings_rows: the last CheckpointResources sent to `node` may be lost in transit."""
    chk = world.obs
    return chk is not None and node.name in chk.__dict__.get("checkpoints_lost", ())


def forget_deleted_updates(chk: Any, world: Any, n: Any, rec: Any) -> None:
    """Checker.on_agent_start: a cleanup-mode start of agent `n` (`recover=cleanup`: every
    checkpoint deleted, the update logs first, the agent record last) that a crash cut short
    leaves the agent record without the streams it deleted; the next start reconnects under
    the old id and answers the master's reconciliation of those tasks TASK_LOST, "task
    unknown to the agent" (Mesos `Slave::reregistered`). The updates the agent had produced
    on those streams that no scheduler saw are gone, as the volatile ones a crash loses
    (Checker.forget_lost_volatile): UpdatesInOrder judges the stream the framework can still
    get (seed 28 of `--events 20000 --faults all --operator`, event 11,078:
    adversarial1.t35's TASK_KILLING and TASK_KILLED, behind an unacknowledged TASK_RUNNING,
    deleted by an operator's cleanup restart a power loss cut short; the framework saw
    STARTING, RUNNING, LOST). Only then: an update log the agent deleted otherwise (a
    framework shut down, a completed stream) keeps what it produced for the other
    properties (KillsTakeEffect reads the terminal state an agent produced)."""
    starts = chk.__dict__.setdefault("cleanup_starts", {})
    old_id = starts.pop(n.name, None)  # the agent id a cleanup start of `n` was deleting
    agent = rec.agent()
    if n.mode == "cleanup":
        if agent is not None:
            starts[n.name] = agent.info.id
        return
    if old_id is None or agent is None or agent.info.id != old_id:
        return  # no cleanup cut short (a completed one registered a new agent)
    logs = rec.logs
    produced = chk.produced
    known = {(k[1], k[-1]) for k in rec.checkpoints if k[0] == "task"}
    for key in chk.agent_keys.get(n.name, ()):
        prod = produced.get(key)
        if not prod or (key in known and ("updates", key[0], key[1]) in logs):
            # a task the agent recovers with its update log keeps what it produced
            # (KillsTakeEffect); (s18 killm3) one whose log the cut-short cleanup deleted
            # before its task checkpoint lost the undelivered updates of that log (the
            # agent recovers the task without them and ends it TASK_FAILED: longrun's
            # reboot seed 0, batch1.t49's TASK_FINISHED)
            continue
        kept = {r.update.uuid for r in logs.get(("updates", key[0], key[1]), ())
                if type(r) is UpdateRecord}
        lost = [u for u, _ in prod if u not in kept]
        if lost:
            chk.forget_lost_volatile(key, lost)
