"""Mutants of the campaign (core/sim/mutate.py) reviewed by hand and judged EQUIVALENT: the
mutated code computes the same observable behaviour as the original in every state the
machines can reach (not merely on the judge's seeds). Keyed by `Mutant.key` (path, scope,
operator, the mutated code, occurrence: no line numbers, so edits elsewhere keep the keys);
tests/test_sim_mutate.py checks that every key still names a mutant. Each entry carries the
one-line reason of its reviewer; a mutant listed here that the simulator kills is reported
killed (the list never hides a kill)."""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {
    'agent/base.py::AgentCore._shutdown_executor::stmt:delete statement::out.append(CancelTimer(key=(EXEC_REGISTRATION, fw.id, ex.info.executo...#0':
        "the registration timer left armed fires into handleExecutorTimer, which ignores it: the executor is no longer 'registering' (or gone, or its container id differs)",
    "agent/base.py::AgentCore._executor_terminated::cmp:Eq->NotEq #0::prev == 'registering'#0":
        "a registration timer left armed is ignored when it fires (executor gone or not 'registering'); cancelling a timer that is not armed is a no-op",
    'agent/executors.py::ExecutorsMixin._command_executor_id::const:1->2::1#1':
        'command executor generations 1, 3, 5... instead of 1, 2, 3: still unique and fresh per framework; equivalent up to the choice of opaque executor ids',
    'agent/machine.py::Agent._handle_timer::bool:and<->or::key and key[0] in (EXEC_REGISTRATION, EXEC_SHUTDOWN, EXEC_IDLE)#0':
        "the agent's timer keys are its own non-empty constants, all matched above this line, or 4-tuples of the three executor kinds; any other key logs agent.timer.unknown either way",
    'allocator/machine.py::Allocator.__init__::const:0->1::0#0':
        '_epoch is only ever compared for equality with copies of itself (agent.skip): its starting value is irrelevant',
    'allocator/machine.py::Allocator._memo_put::stmt:delete statement::self._memo[key] = value#0':
        'a memo that never stores recomputes the same pure value every time: slower, same results',
    'allocator/machine.py::Allocator._track_add::const:0->1::0#0':
        'the default is used only for a resource name allocated on the cluster but absent from its total, which cannot happen (allocations are parts of agent totals)',
    'allocator/machine.py::Allocator._handle_update_framework::const:1->2::1#0':
        '_epoch only needs to change (it is compared for equality with earlier copies): +2 keeps it strictly increasing',
    'allocator/machine.py::Allocator._handle_revive::const:1->2::1#0':
        '_epoch only needs to change (it is compared for equality with earlier copies): +2 keeps it strictly increasing',
    'allocator/machine.py::Allocator._touch::stmt:delete statement::agent.skip = None#0':
        "a skip entry records the agent's version, which _touch increments on the line above: a stale entry never matches again (run_cycle compares it)",
    # s11 (reviewed with the production path running in the judge, each cycle compared with
    # reference_cycle: no difference on any seed)
    'allocator/cycle.py::run_cycle::cmp:Eq->NotEq #0::skip[1] == agent.version#0':
        "every agent.version bump clears agent.skip in the same step (_give, _touch), so a set skip always carries the current version: the mutated test is never true and the memo is merely never used (same allocations, slower)",
    'allocator/cycle.py::_allocate_agent::const:True->False::True#0':
        "the memo is then also set after a give, with the version the give produced: every role visited before the give could not take the larger pool (inactive, suppressed, constrained, a filter containing it, below min_allocatable or its limit) so cannot take the smaller remainder, and every later role was visited with the remainder; the memo is invalidated by the same epoch/version/filter-expiry events as the no-give memo",
    'allocator/cycle.py::_allocate_agent::cond:negate if::if not given#0':
        "swaps which agents get the 'nothing to offer' memo: none after a cycle that gave nothing (memo unused: same allocations, slower), and one after a give, sound for the reason given for `given = False` above",
    # s11 (agent side)
    'agent/base.py::AgentCore.__init__::stmt:delete statement::self.dial_backoff = self.config.dial_backoff_min#0':
        "dial_backoff is read only by handleDialFailed, past a guard that needs master_address set; master_address is set only by handleMasterAddress, which sets dial_backoff too (no read ever sees the missing initial value)",
    'agent/executors.py::ExecutorsMixin.handleExecutorTimer::stmt:delete statement::ex.idle_timer = False#0':
        "the flag left True after its timer fired only makes a later _cancel_idle emit a CancelTimer for a key that is not armed (the sim and io/daemons/loop.py drop it: a dict pop); a later firing needs a new SetTimer, which sets the flag True anyway",
    'master/agents.py::AgentsMixin._register_agent::const:1->2::1#0':
        'agent ids S0, S2, S4... instead of S0, S1, S2: still unique, never reused; equivalent up to the choice of opaque agent ids',
    'master/frameworks.py::FrameworksMixin._framework_used::cond:negate if::if not t.state.is_terminal and t.agent_id in self._agents#0':
        "_framework_used's only caller (_subscribe, existing is None) passes an MFramework created on the line above, with no tasks: the loop body never runs",
    # s12 mm2
    'master/why.py::why::const:False->True::False#0':
        "the default of `hidden`: its only production caller (io/http/why.py) passes hidden explicitly, and the campaign swaps __code__ only (a default lives in __defaults__), so the mutated default is never used",
    # s12 (status updates; reached since frameworks really tear down: the driver keeps its
    # stream until its TEARDOWN is answered)
    'status_updates.py::TaskStatusUpdateManager.handleCleanup::cond:negate if::if stream.timer_at is not None#0':
        "a retry timer left armed for a dropped stream fires into handleTimer, which ignores a key with no stream (a later stream of the same key arms the same timer key, which replaces it); cancelling a timer that is not armed (an idle stream's) is a no-op",
    'allocator/machine.py::Allocator._refresh_role::stmt:delete statement::self._role_index.discard(role)#0':
        "a role left in the role index with no member and no allocation has no framework index (_unsubscribe dropped it): every cycle that visits it finds no eligible framework (the explain mode lists only roles with one), the explanation reads _role_members/_role_alloc, and the next share rebuild drops it",
    'allocator/machine.py::Allocator._handle_add_framework::arith:+<->-::agent.available - plain#0':
        "the master's only AddFramework carrying `used` passes _framework_used of an MFramework created on the line before it (no tasks: empty, see the master/frameworks.py entry above), so this loop body never runs when the master drives the allocator",
    "status_updates.py::StatusUpdateConfig.__attrs_post_init__::cmp:LtE->Lt #1::0 < self.retry_min <= self.retry_max#0":
        "differs only for a config with retry_min == retry_max, which nothing in core/ or io/ builds (every status-update manager runs the defaults, 10 s and 600 s, Mesos's constants); the validation of caller-given values is the unit tests' (tests/test_status_updates.py)",
    # s13 mmaster
    'master/agents.py::AgentsMixin._register_agent::arith:+=<->-=::self._next_agent += 1#0':
        "agent ids S0, S-1, S-2... instead of S0, S1, S2: the counter only decreases and survives a loss of leadership (base.py), so ids stay unique and never reused; they are opaque keys compared for equality (sorting them only reorders effects addressed to different peers)",
    'master/base.py::MasterCore._op_id::arith:+=<->-=::self._next_op += 1#0':
        "registry op ids -1, -2... instead of 1, 2: still unique per master (the counter survives a loss of leadership), never 0, and only used as dict keys and compared for equality (_registry_result; the sim's and the daemon's registries echo them back)",
    # s13 magent
    "agent/executors.py::ExecutorsMixin.handleExecutorSubscribe::not:drop not::not ex.recovered#0":
        "a fresh executor's registration timer is then left armed and fires into handleExecutorTimer, which ignores it (an executor never returns to 'registering'; a new one has a new container id, part of the key); a recovered executor's was never armed: cancelling it is a no-op",
    "status_updates.py::TaskStatusUpdateManager._replay::bool:and<->or::problem or (su.framework_id, su.status.task_id) != skey#0":
        "both operands are always false on a real log: every UpdateRecord was validated (_validate) before handleUpdate persisted it, under log_key of its own framework and task; the disk (sim and io) loses unsynced records but never alters one",
    # s13 malloc (allocator, sample seed 3)
    'allocator/machine.py::_Framework.__init__::const:True->False::True#0':
        "the only _Framework is built by _handle_add_framework, which sets fw.active = inp.active on the next line: the initial value is never read",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::self._track_resources(fw, agent.alloc[fw.id], +1)#0':
        "_orphans is filled only by an AddAgent whose `used` names a framework the allocator does not know; the master's AddAgent `used` (agents.py, agent.used_by_framework()) holds only frameworks in its _frameworks, each added to the allocator when it was booked (recovered placeholders: AddFramework before AddAgent): this loop never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cmp:Is->IsNot #0::agent is None#0':
        "in the loop over _orphans, which the master never fills (see the _track_resources entry of _handle_add_framework above): never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cmp:In->NotIn #0::fw.id in agent.alloc#1':
        "in the loop over _orphans, which the master never fills (see the _track_resources entry of _handle_add_framework above): never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::plain = self._unallocate(res)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (see the s12 entry `agent.available - plain` of this function)",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::res = attribute_to(res, fw.default_role)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (see the s12 entry `agent.available - plain` of this function)",
    'allocator/machine.py::Allocator._handle_recover::cond:negate if::if not orphans#0':
        "`orphans` is None here whenever the master drives the allocator (it never fills _orphans: see the _handle_add_framework entries): the branch never runs",
    'allocator/machine.py::Allocator._handle_remove_framework::arith:+<->-::agent.available + self._unallocate(res)#0':
        "the master gives back every live task, executor and offer of a framework (RecoverResources in frameworks.py _remove_framework / _deactivate_framework) before its RemoveFramework, so the allocator holds nothing of it then (AllocationBooksAgree): the body never runs",
    'allocator/machine.py::Allocator._recompute_all_shares::stmt:delete statement::self._shares_dirty = False#0':
        "with the flag stuck True every Allocate rebuilds both share indexes from the ledgers (the values the incremental updates give) before its cycle, and _track's skipped index updates are redone by that rebuild; nothing outside a cycle reads the indexes' shares (why.py, describe() and the queries recount from the ledgers): same allocations, slower (only the checker's share-book count differs)",
    # s14 kalloc (allocator, sample seed 20)
    'allocator/cycle.py::_explained_agent::stmt:delete statement::eligible = _eligible_frameworks(al, now, agent, role, split.offerable)#0':
        "dead code: the loop over `order` just above always assigns `eligible` (the chosen role is in `order` with the same stage, not yet in `done`, and its split is `split`, allocatable), so `eligible is None` never holds",
    'allocator/machine.py::Allocator._track_add::cmp:Gt->GtE #0::t > 0#0':
        "t == 0 needs a resource name allocated on the cluster but absent from its total, which cannot happen (allocations are parts of agent totals: AddAgent/UpdateAgent check it, ConvertResources keeps quantities)",
    'allocator/machine.py::Allocator._track_add::const:0->1::0#1':
        "the default is used only for a resource name allocated on the cluster but absent from its total, which cannot happen (the s12 entry of `0#0`, second loop)",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::fw.agents.add(aid)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (see the s12 entry `agent.available - plain` of this function)",
    'allocator/values.py::<module>:frozen::const:True->False::True#1':
        "slots=False only gives the frozen value classes an instance __dict__: attrs' frozen __setattr__ still refuses every write, and nothing reads __slots__ or sets extra attributes on them",
    # s14 kops
    'master/operator.py::OperatorMixin._recount_drains::const:1->2::1#0':
        "_drain_count is read only through _draining() as bool(_drain_count) (core/ and io/): a sum of 2s is zero exactly when the sum of 1s is",
    'master/operator.py::OperatorMixin._drain_progress::stmt:delete statement::out += self._sync_agent_activation(aid)#0':
        "a DRAINING agent is deactivated in the allocator (offers rescinded) when the drain commits (_apply_setting) and by every path that activates it again (re-registration, readmission: agents.py checks agent_deactivated); a REACTIVATE removes the drain first: this repeat only re-sends an idempotent DeactivateAgent",
    # s14 kmaster
    "master/agents.py::AgentsMixin._reregister_agent::stmt:delete statement::out.append(CancelTimer(key=('agent_reregister_timeout',)))#0":
        "the timer left armed once the last recovered agent re-registered fires into _reregister_timeout_fired, whose loop over _recovered_agents is then empty (filled only by _become_leader, which re-arms the same timer key, replacing it; a non-leader ignores timers): no effect (Mesos never cancels its recoveredSlavesTimeout either)",
    # s14 kagent
    "agent/base.py::AgentCore.__init__::stmt:delete statement::self.master_ping_timeout: float | None = None#0":
        "read only by Agent._ping_timeout, called only from handleRegistered, handleReregistered (each assigns it first) and handlePing when state is 'running', which only those two set, after assigning it; nothing else (describe, state_json, io/) reads it",
    "agent/base.py::AgentCore.__init__::stmt:delete statement::self.dial_failing_since: float | None = None#0":
        "read only by handleDialFailed, which returns first unless master_link is 'dialing'; 'dialing' is set only by handleMasterAddress (which assigns it None first) or the DIAL timer, which needs master_address set, i.e. handleMasterAddress ran; nothing else reads it",
    # s16 equiv (review of the 71 non-killed mutants of docs/mutation/s14-after-seed21.json)
    'agent/base.py::AgentCore._cancel_idle::const:False->True::False#0':
        "the flag then stays True after a cancel: the EXEC_IDLE timer is armed only where the flag is set True beside it (base.py _task_completed), so a set flag still covers every armed timer; a cancelled timer never fires (sim and io/daemons/loop.py drop the key), so handleExecutorTimer's `not ex.idle_timer` test sees True whenever it runs, as before, and the only difference is a later CancelTimer of a key that is not armed (a no-op); nothing else reads the flag (not in describe, state_json or records)",
    "agent/base.py::AgentCore._shutdown_executor::bool:and<->or::ex.state == 'registering' and (not ex.recovered)#0":
        "only adds CancelTimers of a registration key that is not armed: that timer is set only at launch (executors.py _run, a fresh non-recovered executor, key with its container id), and a non-recovered executor leaves 'registering' for 'running' only in handleExecutorSubscribe, which cancels it; a recovered executor's was never armed in this incarnation (timers do not survive a restart); cancelling a timer that is not armed is a no-op",
    'allocator/machine.py::_Framework.__init__::stmt:delete statement::self.constraints: dict[str, tuple[AttributeConstraint, ...]] = {}#0':
        'the only _Framework is built by _handle_add_framework, which assigns fw.constraints three lines later, before anything reads it (roles and suppressed are set in between): the initial value is never read',
    'allocator/machine.py::Allocator._track::cmp:Lt->LtE #0::sign < 0#0':
        "_track's only caller is _track_resources, whose callers all pass the literal +1 or -1: sign is never 0, so `sign <= 0` and `sign < 0` agree",
    'allocator/machine.py::Allocator._handle_remove_agent::cmp:IsNot->Is #0::orphans is not None#0':
        'in the `fw is None` branch, which needs an allocation on the agent for a framework the allocator does not know: only an AddAgent `used` naming an unknown framework makes one (_orphans), which the master never sends (see the _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of the framework (fw.agents): the branch never runs',
    'allocator/machine.py::Allocator._set_active::bool:and<->or::active and (not agent.active)#0':
        "touches the agent on every _set_active except a deactivation of an active agent, a superset of the original's touches (activations only): a touch only bumps agent.version (compared only for equality with the copy in agent.skip) and clears agent.skip, the 'nothing to offer' memo, which is sound: the next cycle examines the agent again and finds the same (see the run_cycle `skip[1] == agent.version` entry: same allocations, slower)",
    'allocator/machine.py::Allocator._set_active::cond:negate if::if active and (not agent.active)#0':
        "the activation transition is no longer touched but every other _set_active is: an agent becomes inactive only through _set_active (a deactivation, or its creation in _handle_add_agent), which the mutant touches (skip = None), and no skip is set while it is inactive (run_cycle skips inactive agents before _allocate_agent/_explained_agent, the only writers of skip), so at activation skip is already None as the original's touch would leave it; the extra touches only drop a sound memo (see the and<->or entry above); version's absolute value is never read",
    'allocator/machine.py::Allocator._handle_recover::stmt:delete statement::res = attribute_to(res, fw.default_role)#0':
        "every RecoverResources the master sends is fully attributed, and attribute_to returns a fully attributed value unchanged: offers are allocate_to(offerable, role) (Allocator._split), an ACCEPT's remainder is offers minus contained uses, tasks and executors take _with_role and must pass remaining.contains(needed) (items keyed by allocation role), the agent reports back the TaskInfo/ExecutorInfo the master sent (command executors not reported, no resources), RESERVE/UNRESERVE keep allocate_to values",
    'master/frameworks.py::FrameworksMixin._framework_used::not:drop not::not t.state.is_terminal#0':
        "_framework_used's only caller (_subscribe, existing is None) passes an MFramework created a few lines above with no tasks (_subscribed adds none): the loop body never runs (see the `cond:negate if` entry of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::arith:+<->-::used[aid] + e.resources#0':
        "_framework_used's only caller (_subscribe, existing is None) passes an MFramework created a few lines above with no executors (_subscribed adds none): the loop body never runs (see the `cond:negate if` entry of this function)",
    'status_updates.py::StatusUpdateConfig.__attrs_post_init__::cmp:Lt->LtE #0::0 < self.retry_min <= self.retry_max#0':
        'differs only for a config with retry_min == 0, which nothing in core/ or io/ builds (every status-update manager runs the defaults, 10 s and 600 s: AgentConfig.status_updates is never given); see the LtE->Lt #1 entry above',
    'status_updates.py::StatusUpdateConfig.__attrs_post_init__::const:0->1::0#0':
        'differs only for a config with 0 < retry_min <= 1, which nothing in core/ or io/ builds (every status-update manager runs the defaults, 10 s and 600 s: AgentConfig.status_updates is never given); see the LtE->Lt #1 entry above',
    # s16 equiv22 (seed 22 review: the non-killed mutants of /work/notes/s16/before-seed22.json)
    'agent/base.py::AgentCore._agent_update::stmt:delete statement::checkpoint = fw is not None and self._checkpointing(fw)#0':
        "runs only when the task is not indexed (_find_task is None) and the caller passed checkpoint=None; every caller that passes None names a task of ex.tasks (base.py _executor_terminated, containers.py handleContainerLimitation, executors.py handleExecutorSubscribe and handleKillTask's found queued task, recovery.py's exited executors), and every task in ex.tasks is indexed in fw.task_executor (AgentCore invariant: _run and recovery index it, _task_completed and _maybe_remove_executor unindex it as they drop it; _run refuses a duplicate id); the callers with unknown tasks pass checkpoint=False: the line never runs",
    'agent/base.py::AgentCore._executor_terminated::stmt:delete statement::out.append(CancelTimer(key=(EXEC_SHUTDOWN, fw.id, ex_id, ex.container...#0':
        "the shutdown timer left armed fires into handleExecutorTimer, which returns [] for it: the executor is gone, its container id (part of the key) differs, or it is still 'terminated' (final: _shutdown_executor, the limitation, subscribe and disconnect paths all refuse a terminated executor; timers do not survive a restart); the end-of-step hooks (_maybe_finish_recovery, state-based; the empty `shrunk`) add nothing, as for the s11/s13 registration-timer entries",
    'agent/recovery.py::RecoveryMixin._recover_reconnect::const:False->True::False#0':
        "the default of `rebooted`: its only caller (handleStart) passes rebooted= explicitly (core/, io/, spec/), so the default is never used (and the campaign swaps __code__ only: a default lives in __kwdefaults__)",
    'allocator/cycle.py::_give::stmt:delete statement::agent.version += 1#0':
        "agent.version is read only by the skip memo (run_cycle's equality test and the skip writers); _give clears agent.skip on the next line and a pass that gives writes no skip (given / len(effects) checks), so every skip is written after the agent's last give with the version current then: the bump is redundant with `agent.skip = None` (_touch still bumps for agent changes); nothing else (describe, checker, why) reads version",
    'allocator/cycle.py::_explained_agent::stmt:delete statement::split_of = avail#0':
        "split_of stays None, so the per-`avail` cache `splits` is emptied at every pass of the role loop instead of only when agent.available changes; its entries are recomputed by al._split, memoized by value and a function of (avail, role, the role's headroom), which nothing changes between two passes without a give (a give changes avail, which the original resets on too): same splits, same decisions, slower",
    'allocator/drf.py::dominant_share::const:0->1::0#0':
        "the default is used only for a name allocated (framework/role ledgers) but absent from al._total, every caller's total; allocations are parts of agent totals (AddAgent/UpdateAgent check containment, ConvertResources keeps quantities, RemoveAgent untracks before it lowers the total) and ledger_add drops zero entries, so an allocated name is always in _total (the s12/s14 `_track_add` entries)",
    'allocator/drf.py::dominant_share::cmp:Gt->GtE #0::t > 0#0':
        "t is 0 only through the default of an allocated name absent from al._total (ledger_add drops zero entries), which cannot happen (see the `const:0->1` entry of this function and the s14 `_track_add` `t > 0` entry): `t >= 0` and `t > 0` agree",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::fw.agents.add(aid)#1':
        "in the loop over _orphans, which the master never fills (see the _track_resources entry of _handle_add_framework above): never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::agent.alloc[fw.id] = attribute_to(agent.alloc[fw.id], fw.default_role)#0':
        "in the loop over _orphans, which the master never fills (see the _track_resources entry of _handle_add_framework above): never runs",
    'allocator/machine.py::Allocator._handle_add_framework::const:1->2::1#2':
        "the +1 of _track_resources in the loop over _orphans, which the master never fills (see the _track_resources entry of _handle_add_framework above): never runs",
    'allocator/machine.py::Allocator._handle_remove_framework::cmp:IsNot->Is #0::res is not None#0':
        "the loop body never runs: an agent is in fw.agents only while the framework holds an allocation on it (every `del agent.alloc[fid]` discards it: _handle_recover, _handle_remove_agent), and the master gives back every task, executor and offer before its RemoveFramework, so the allocator holds nothing of it then (the s13 `agent.available + self._unallocate(res)` entry): fw.agents is empty",
    'allocator/machine.py::Allocator._handle_remove_agent::stmt:delete statement::orphans.discard(agent.id)#0':
        "in the `fw is None` branch, which never runs (allocations of unknown frameworks come only from an AddAgent `used` the master never sends: see the s16 `orphans is not None` entry of this function)",
    'allocator/machine.py::Allocator._handle_remove_agent::not:drop not::not orphans#0':
        "in the `fw is None` branch, which never runs (allocations of unknown frameworks come only from an AddAgent `used` the master never sends: see the s16 `orphans is not None` entry of this function)",
    'allocator/why.py::_why_agent::cond:negate if::if key is not None#0':
        "the memo then only ever gets the key None, which the lookup (`key is not None and key in memo`) never reads, so every agent's answer is computed by _rank instead of copied; the memo is local to one why() call (one framework, one `now`) and _rank (with _first_taker, _ahead_of, _blocker) reads the agent only through (available, attributes, filters: empty when keyed) and agent.id (AgentReason.agent_id, which the copy evolves): the same answers, slower",
    'master/frameworks.py::FrameworksMixin._framework_used::arith:+<->-::used[t.agent_id] + t.resources#0':
        "_framework_used's only caller (_subscribe, existing is None) passes an MFramework created a few lines above with no tasks (_subscribed adds none): the loop body never runs (see the `cond:negate if` entry of this function)",
    'master/machine.py::Master.step::bool:and<->or::self.leader and self._draining()#0':
        "a non-leader is never draining (_reset zeroes _drain_count and _settings; only _restore_settings at election and _setting_committed fill them, each recounting), and a leader with no drain runs _drain_progress for nothing: its loop keeps only DRAINING drain settings, exactly what _drain_count counts (_recount_drains), so it returns [] and changes nothing (slower)",
    'master/why.py::Why.to_json::const:50->51::50#0':
        "the default of `max_agents`: its only production caller (io/http/why.py) passes max_agents explicitly (the checker's calls are the simulator's own), and the campaign swaps __code__ only (a default lives in __defaults__): as the s12 `why` hidden entry",
    'status_updates.py::TaskStatusUpdateManager.handleCleanup::cmp:IsNot->Is #0::stream.timer_at is not None#0':
        "`timer_at is None` is the negation of the original test: the same mutant as the s12 `cond:negate if` entry of this line (a retry timer left armed for a dropped stream fires into handleTimer, which returns [] for a key with no stream or with no/another timer_at; cancelling an idle stream's timer is a no-op)",
    # s17 killa (seed 22 review of the agent/allocator/lifecycle/status-update mutants)
    'agent/executors.py::ExecutorsMixin._command_executor_id::const:1->2::1#0':
        "command executor generations start at 2 (ids mesotron-command-<fw>-2, -3, ...) instead of 1: still unique and fresh per framework (the loop skips every id in use by a terminating one), and nothing recognizes a command executor by its id (ex.command_executor / the ExecutorRecord flag do; command_executor_id's other caller, command_executor_info, is always given the id): equivalent up to the choice of opaque executor ids, as the s11 `1->2::1#1` entry of this function",
    # s17 killm (seed 22 review of the non-killed core/master/ mutants)
    'master/base.py::MasterCore._remove_task::not:drop not::not unreachable#0':
        "the mutant moves the RecoverResources of a non-terminal task from the unreachable=False calls to the unreachable=True ones; every caller but _drop_agent passes a terminal task (agents.py's terminal branch; frameworks.py books TASK_KILLED first; tasks.py's acknowledgement removes only a task whose acknowledged update is terminal, and nothing follows a terminal state), and _drop_agent calls it only after its RemoveAgent to the allocator (both its fw-None branch, TASK_UNREACHABLE booked, and its main branch), whose _handle_recover returns [] with no change for an agent it no longer holds: no recovery takes effect either way",
    # s18 drivea (worklist review of the agent mutants)
    'agent/base.py::AgentCore._shutdown_executor::stmt:delete statement::ex.shutdown_timer = True#0':
        "the flag is read only by _executor_terminated, to cancel the EXEC_SHUTDOWN timer: left unset, that timer fires later into handleExecutorTimer, which returns [] for it (the executor is gone from the books, or still listed but 'terminated', a final state; the key's container id is unique per launch, so no other executor matches); timers die with an agent restart; nothing else (describe, state_json, records, io/) reads the flag: only a no-op timer event differs (Mesos never cancels its shutdownExecutorTimeout either: Slave::shutdownExecutorTimeout ignores an executor that is gone or TERMINATED)",
    # s19 kalloc (the allocator's code the master's call orders never run, population-wide; the proofs are those of the s13/s16 entries cited)
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::agent = self._agents.get(aid)#0':
        "in the loop over _orphans, which the master never fills (see the s13 _track_resources entry of _handle_add_framework: the master's AddAgent `used`, agents.py agent.used_by_framework(), names only frameworks of its _frameworks, each AddFramework-ed when booked): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cond:negate if::if agent is not None and fw.id in agent.alloc#0':
        "in the loop over _orphans, which the master never fills (see the s13 _track_resources entry of _handle_add_framework: the master's AddAgent `used`, agents.py agent.used_by_framework(), names only frameworks of its _frameworks, each AddFramework-ed when booked): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::bool:and<->or::agent is not None and fw.id in agent.alloc#0':
        "in the loop over _orphans, which the master never fills (see the s13 _track_resources entry of _handle_add_framework: the master's AddAgent `used`, agents.py agent.used_by_framework(), names only frameworks of its _frameworks, each AddFramework-ed when booked): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cmp:IsNot->Is #0::agent is not None#0':
        "in the loop over _orphans, which the master never fills (see the s13 _track_resources entry of _handle_add_framework: the master's AddAgent `used`, agents.py agent.used_by_framework(), names only frameworks of its _frameworks, each AddFramework-ed when booked): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cmp:In->NotIn #0::fw.id in agent.alloc#0':
        "in the loop over _orphans, which the master never fills (see the s13 _track_resources entry of _handle_add_framework: the master's AddAgent `used`, agents.py agent.used_by_framework(), names only frameworks of its _frameworks, each AddFramework-ed when booked): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::agent = self._agents.get(aid)#1':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cond:negate if::if agent is None or fw.id in agent.alloc or (not res)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::bool:and<->or::agent is None or fw.id in agent.alloc or (not res)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::not:drop not::not res#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::cond:negate if::if not agent.available.contains(plain)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::not:drop not::not agent.available.contains(plain)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::agent.alloc[fw.id] = res#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::agent.available = agent.available - plain#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::self._touch(agent)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::stmt:delete statement::self._track_resources(fw, res, +1)#0':
        "in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_add_framework::const:1->2::1#1':
        "the +1 of _track_resources in the loop over AddFramework.used, empty whenever the master drives the allocator (frameworks.py _subscribe passes _framework_used of an MFramework created a few lines above, with no task or executor; agents.py's placeholder AddFramework passes no used: see the s12 entry `agent.available - plain`): the body never runs",
    'allocator/machine.py::Allocator._handle_remove_framework::stmt:delete statement::agent = self._agents[aid]#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::stmt:delete statement::res = agent.alloc.pop(fw.id, None)#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::cond:negate if::if res is not None#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::stmt:delete statement::self._track_resources(fw, res, -1)#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::const:1->2::1#0':
        'the -1 of _track_resources in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::stmt:delete statement::agent.available = agent.available + self._unallocate(res)#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_remove_framework::stmt:delete statement::self._touch(agent)#0':
        'in the loop over fw.agents, empty at every RemoveFramework the master sends (frameworks.py _remove_framework gives back every task, executor and offer first: see the s13 `agent.available + self._unallocate(res)` and s16 `res is not None` entries of this function): the body never runs',
    'allocator/machine.py::Allocator._handle_add_agent::stmt:delete statement::agent.alloc[fid] = res#0':
        "in the `fw is None` branch: the master's AddAgent `used` (agents.py _reregister_agent: agent.used_by_framework(), built from tasks and executors of frameworks in its _frameworks only, each AddFramework-ed when booked, recovered placeholders before the AddAgent) never names a framework the allocator does not know: the branch never runs",
    'allocator/machine.py::Allocator._handle_add_agent::stmt:delete statement::self._orphans.setdefault(fid, set()).add(agent.id)#0':
        "in the `fw is None` branch: the master's AddAgent `used` (agents.py _reregister_agent: agent.used_by_framework(), built from tasks and executors of frameworks in its _frameworks only, each AddFramework-ed when booked, recovered placeholders before the AddAgent) never names a framework the allocator does not know: the branch never runs",
    'allocator/machine.py::Allocator._handle_remove_agent::stmt:delete statement::orphans = self._orphans.get(fid)#0':
        'in the `fw is None` branch, which never runs (an allocation of a framework the allocator does not know comes only from an AddAgent `used` naming one, which the master never sends: see the s16 `orphans is not None` entry of this function)',
    'allocator/machine.py::Allocator._handle_remove_agent::cond:negate if::if orphans is not None#0':
        'in the `fw is None` branch, which never runs (an allocation of a framework the allocator does not know comes only from an AddAgent `used` naming one, which the master never sends: see the s16 `orphans is not None` entry of this function)',
    'allocator/machine.py::Allocator._handle_remove_agent::cond:negate if::if not orphans#0':
        'in the `fw is None` branch, which never runs (an allocation of a framework the allocator does not know comes only from an AddAgent `used` naming one, which the master never sends: see the s16 `orphans is not None` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::stmt:delete statement::orphans = self._orphans.get(fid)#0':
        'in the `else` (fw is None) branch of a recovery that empties a held allocation: an allocation held for a framework the allocator does not know comes only from _orphans, which the master never fills (s13 _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of its framework (and the master never re-adds a removed framework id): the branch never runs (see the s13 `if not orphans` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::cond:negate if::if orphans is not None#0':
        'in the `else` (fw is None) branch of a recovery that empties a held allocation: an allocation held for a framework the allocator does not know comes only from _orphans, which the master never fills (s13 _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of its framework (and the master never re-adds a removed framework id): the branch never runs (see the s13 `if not orphans` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::cmp:IsNot->Is #0::orphans is not None#0':
        'in the `else` (fw is None) branch of a recovery that empties a held allocation: an allocation held for a framework the allocator does not know comes only from _orphans, which the master never fills (s13 _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of its framework (and the master never re-adds a removed framework id): the branch never runs (see the s13 `if not orphans` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::stmt:delete statement::orphans.discard(agent.id)#0':
        'in the `else` (fw is None) branch of a recovery that empties a held allocation: an allocation held for a framework the allocator does not know comes only from _orphans, which the master never fills (s13 _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of its framework (and the master never re-adds a removed framework id): the branch never runs (see the s13 `if not orphans` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::not:drop not::not orphans#0':
        'in the `else` (fw is None) branch of a recovery that empties a held allocation: an allocation held for a framework the allocator does not know comes only from _orphans, which the master never fills (s13 _track_resources entry of _handle_add_framework), and RemoveFramework pops every allocation of its framework (and the master never re-adds a removed framework id): the branch never runs (see the s13 `if not orphans` entry of this function)',
    'allocator/machine.py::Allocator._handle_recover::cond:negate if::if fw is not None#0':
        'for a known framework the mutant skips `res = attribute_to(res, fw.default_role)`, the identity on what the master sends (every RecoverResources is fully attributed: the s14 `res = attribute_to(res, fw.default_role)` entry of this function); with fw None it would crash, but a held allocation (`cur is not None`) of a framework the allocator does not know never exists (the s19 `orphans` entries of this function): never reached',
    'allocator/machine.py::Allocator._handle_recover::cmp:IsNot->Is #0::fw is not None#0':
        'the same mutant as the `cond:negate if::if fw is not None#0` entry of this line (s19)',
    'allocator/machine.py::_Agent.__init__::stmt:delete statement::self.total_milli: Ledger = {}#0':
        'the only _Agent is built by _handle_add_agent, which assigns agent.total_milli = self._ledger(inp.total) before it stores the agent or reads total_milli (_set_active in between reads only activated, hostname and active; the LocalError raised in between drops the agent): the initial value is never read',
    'allocator/machine.py::Allocator._memo_put::stmt:delete statement::self._memo.clear()#0':
        "the clear only bounds the memo's size at _MEMO_LIMIT entries: every entry is a pure function of its key (as for the `self._memo[key] = value` entry of this function: split, ledger, roles, contains, attr, unalloc, keyed by the values they are computed from; _split's key carries the headroom when limits exist), so a kept entry returns what a recomputation would: same results, more memory",
    'allocator/machine.py::_bisect_index::bool:and<->or::i == len(order) or order[i] != key#0':
        'differs only for a key missing from _agent_order; the only caller, _handle_remove_agent, passes the id of an agent it just popped from _agents, and _agents and _agent_order always hold the same ids (_handle_add_agent stores and _insort-s both, _handle_remove_agent pops and deletes both): for a present key both tests are false',
    'allocator/machine.py::Allocator._track_add::cmp:Gt->GtE #0::a / t > fshare#0':
        'a running maximum: when a / t == fshare the mutant assigns fshare the value it already has',
    'allocator/machine.py::Allocator._track_add::cmp:Gt->GtE #0::b / t > rshare#0':
        'a running maximum: when b / t == rshare the mutant assigns rshare the value it already has',
    'allocator/machine.py::Allocator._track_add::cmp:Gt->GtE #0::t > 0#1':
        't == 0 needs a resource name allocated on the cluster but absent from its total, which cannot happen (the s14 entry of `t > 0#0`, second loop)',
    'allocator/machine.py::Allocator._clear_filters::stmt:delete statement::fw.filtered_agents.discard(aid)#0':
        "leaves a gone agent's id in fw.filtered_agents is a superset of the agents holding a filter of the framework (documented at _drop_filter, which leaves stale entries too): its only readers, _clear_filters (which finds no filter key of the framework on a stale agent, or drops an agent that is gone) and why.py's filters (which keep only the agent's own filters with f == framework_id, of agents in al._agents), read the same filters with or without a stale entry",
    'allocator/machine.py::Allocator._clear_filters::stmt:delete statement::fw.filtered_agents.discard(aid)#1':
        "leaves the id of an agent with no filter of the framework left in fw.filtered_agents is a superset of the agents holding a filter of the framework (documented at _drop_filter, which leaves stale entries too): its only readers, _clear_filters (which finds no filter key of the framework on a stale agent, or drops an agent that is gone) and why.py's filters (which keep only the agent's own filters with f == framework_id, of agents in al._agents), read the same filters with or without a stale entry",
    'allocator/machine.py::Allocator._handle_remove_agent::stmt:delete statement::fw.filtered_agents.discard(agent.id)#0':
        "leaves the removed agent's id in fw.filtered_agents is a superset of the agents holding a filter of the framework (documented at _drop_filter, which leaves stale entries too): its only readers, _clear_filters (which finds no filter key of the framework on a stale agent, or drops an agent that is gone) and why.py's filters (which keep only the agent's own filters with f == framework_id, of agents in al._agents), read the same filters with or without a stale entry",
    'allocator/machine.py::Allocator._handle_remove_agent::cond:negate if::if fw is not None#0':
        "an agent's filters are only of known frameworks (_maybe_add_filter runs only with fw not None; RemoveFramework's _clear_filters(fw, None) drops every filter of the framework, fw.filtered_agents being a superset of their agents), so fw is never None here: the mutant only skips the discard, leaving a stale entry in fw.filtered_agents is a superset of the agents holding a filter of the framework (documented at _drop_filter, which leaves stale entries too): its only readers, _clear_filters (which finds no filter key of the framework on a stale agent, or drops an agent that is gone) and why.py's filters (which keep only the agent's own filters with f == framework_id, of agents in al._agents), read the same filters with or without a stale entry",
    'allocator/machine.py::Allocator._handle_remove_agent::cmp:IsNot->Is #0::fw is not None#0':
        'the same mutant as the s19 `cond:negate if::if fw is not None#0` entry of this function',
    'allocator/machine.py::_Framework.__init__::stmt:delete statement::self.roles: tuple[str, ...] = ()#0':
        'the only _Framework is built by _handle_add_framework, which assigns fw.roles on the next line, before anything reads it: the initial value is never read (as the s13/s14 entries of `active` and `constraints`)',
    'allocator/machine.py::_Framework.__init__::stmt:delete statement::self.suppressed: set[str] = set()#0':
        'the only _Framework is built by _handle_add_framework, which assigns fw.suppressed two lines later (after fw.roles), before anything reads it: the initial value is never read (as the s13/s14 entries of `active` and `constraints`)',
    'allocator/machine.py::_Framework.__init__::stmt:delete statement::self.active = True#0':
        'the only _Framework is built by _handle_add_framework, which sets fw.active = inp.active before anything reads it: the initial value is never read (the s13 `const:True->False` entry of this line)',
    'allocator/machine.py::Allocator._unsubscribe::stmt:delete statement::self._refresh_role(role)#0':
        'leaving a role never changes its allocation, total or weight: when the role is still present (members or allocation) the index already holds its weighted share (every change of _role_alloc, weights or quota refreshes it, a change of _total marks _shares_dirty and the next Allocate rebuilds every share first), so the refresh is a no-op (ShareIndex.set of an equal share returns) and its quota bookkeeping depends on the allocation only; when it is gone, the role left in the index is the s12 `_refresh_role` `self._role_index.discard(role)` entry (no member, no allocation: never chosen, dropped at the next rebuild)',
    'allocator/cycle.py::_explained_agent::cond:negate if::if len(effects) == before#0':
        "the explain-mode twin of the s11 `_allocate_agent` `cond:negate if::if not given#0` entry (a give appends exactly one effect, so `len(effects) == before` is `not given`; the same role loop over `order` with the agent's current `available`, the same skip record (the cycle's epoch, which no cycle changes, the version after the gives, the earliest blocking filter expiry)): no memo after a pass that gave nothing (slower), and a sound one after a give",
    'allocator/machine.py::Allocator._recompute_all_shares::const:False->True::False#0':
        "sets the flag True where the original clears it: the same state as the s13 `self._shares_dirty = False` deletion entry of this function (the flag stuck True: every Allocate rebuilds both share indexes from the ledgers first, and _track's skipped index updates are redone by that rebuild; same allocations, slower)",
    'allocator/machine.py::Allocator._handle_activate_framework::bool:and<->or::fw is not None and (not fw.active)#0':
        "the master's only ActivateFramework (frameworks.py _subscribe, a known framework re-subscribing while inactive) names a framework the allocator knows (every MFramework is AddFramework-ed when booked and RemoveFramework-d when dropped: AllocatorFrameworksAgree), so fw is never None and the mutated test is always true: it also 'activates' an already active framework (no change) and bumps _epoch, which only drops 'nothing to offer' memos (sound: the next cycle finds the same, see the s14 `_set_active` and<->or entry): same allocations, slower",
    # s19 kmast2 (review of the non-killed mutants of master/frameworks.py, operator.py, why.py)
    "master/frameworks.py::FrameworksMixin._subscribe::stmt:delete statement::out.append(CancelTimer(key=('failover', fw.id)))#0":
        "a failover timer left armed by a re-subscription fires into _failover_fired, which returns [] for a connected framework (fw.connected: the stream _subscribe set); a later disconnection sets the same key again (_framework_disconnected: the world's timer() replaces a key's setting), a removal cancels it (_remove_framework), and a master's timers die with its leadership (faults.lost_session and Abdicate restart the process: start_master resets them): only a no-op timer event differs (Mesos never cancels this delay either: Master::frameworkFailoverTimeout ignores a framework whose reregisteredTime moved on)",
    'master/frameworks.py::FrameworksMixin._framework_used::bool:and<->or::not t.state.is_terminal and t.agent_id in self._agents#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::cmp:In->NotIn #0::t.agent_id in self._agents#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::stmt:delete statement::used[t.agent_id] = used[t.agent_id] + t.resources if t.agent_id in us...#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::cmp:In->NotIn #0::t.agent_id in used#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::cond:negate if::if aid in self._agents and e.resources#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::bool:and<->or::aid in self._agents and e.resources#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::cmp:In->NotIn #0::aid in self._agents#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::stmt:delete statement::used[aid] = used[aid] + e.resources if aid in used else e.resources#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._framework_used::cmp:In->NotIn #0::aid in used#0':
        "_framework_used's only caller (_subscribe's `existing is None` branch, frameworks.py) passes the MFramework it created on the line before, with no tasks and no executors (attrs.Factory(dict) defaults; _subscribed adds none): neither loop body ever runs (as the s11 entries of this function)",
    'master/frameworks.py::FrameworksMixin._heartbeat_fired::bool:and<->or::fw is None or fw.stream is None#0':
        "a ('heartbeat', fid) timer fires only for a framework the master holds with an open stream: it is armed only with a stream set (_subscribed, after _subscribe sets fw.stream; _heartbeat_fired re-arms only past this guard) and cancelled wherever the stream goes (_framework_disconnected, _remove_framework; frameworks.py is the only writer of fw.stream and del _frameworks), and a master's timers die with its leadership (the process restarts: start_master resets them): both operands are False, so `and` and `or` agree",
    'master/frameworks.py::FrameworksMixin._failover_fired::bool:and<->or::fw is None or fw.connected#0':
        "a ('failover', fid) timer fires only for a framework the master holds disconnected: it is armed only by _framework_disconnected (stream None), cancelled by _subscribe (the only place a stream is set: new frameworks never had the timer) and by _remove_framework (the only removal; _reset goes with the process and its timers, start_master), and a repeated disconnection re-sets the same key: both operands are False, so `and` and `or` agree",
    # s19 kagent
    'agent/base.py::AgentCore._shutdown_executor::not:drop not::not ex.recovered#0':
        "the only EXEC_REGISTRATION SetTimer is _run's, for a new executor (recovered=False); a recovered executor (recovery.py) never has one armed (its agent's timers died with the restart), so the mutant's CancelTimer for it is a no-op, and the timer it leaves armed for a non-recovered one fires into handleExecutorTimer, which returns [] since the executor is gone (container ids are unique per launch) or no longer 'registering' (_shutdown_executor made it 'terminating'; 'registering' is only ever set at creation: model.py default, recovery.py): the reviewed deletion of that CancelTimer above, plus a no-op",
    # s19 kmast1 (known not-killed mutants of master/agents.py, machine.py, base.py, tasks.py, model.py)
    'master/base.py::MasterCore._reset::const:0->1::0#0':
        "_drain_count starts at 1 instead of 0: it is read only through _draining() (operator.py), whose only caller is Master.step behind `self.leader and`; a master becomes leader only in _become_leader, which calls _reset and then _restore_settings -> _recount_drains (assigns _drain_count from _settings) before its step ends, and every other _reset (_become_follower, _abdicate, __init__) leaves leader False: no read ever sees the initial value",
    # s23 (fresh sample seed 26: the review of its unchanged / survived mutants)
    'agent/base.py::AgentCore._agent_update::stmt:delete statement::fw = self.frameworks.get(fw_id)#0':
        "the `if checkpoint is None:` block after the `found` branch runs only for an unknown task with checkpoint=None, and no caller builds that: every caller passing None names a task indexed in fw.task_executor (_executor_terminated, handleContainerLimitation, handleExecutorSubscribe, handleKillTask's queued task, _recover_reconnect's exited executors; _run and recovery index, _task_completed/_maybe_remove_executor unindex as they drop), the others pass checkpoint=False: the same argument as the s16 entry for the next line",
    'agent/executors.py::ExecutorsMixin.handleExecutorSubscribe::stmt:delete statement::out.append(CancelTimer(key=(EXEC_REGISTRATION, fw.id, ex.info.executo...#0':
        "the registration timer left armed fires into handleExecutorTimer, which returns [] for it: the executor is gone, a new one has another container id, or it is no longer 'registering' (handleExecutorSubscribe sets 'running' next; only a new ExecutorEntry is 'registering'): a no-op timer event, as the reviewed _shutdown_executor / _executor_terminated entries above",
    'agent/executors.py::ExecutorsMixin._shutdown_framework::arith:+=<->-=::out += self._remove_framework(now, fw)#0':
        "the line runs only for a framework still booked with no executor after the loop; the loop's _maybe_remove_executor removes the framework with its last terminated executor, and no FrameworkEntry without executors exists between steps (_run creates one with an executor, _recover_reconnect drops those left without, _maybe_remove_executor removes the framework with its last): the mutated `-=` never runs",
    'allocator/machine.py::Allocator.filters::const:0->1::0#0':
        "the sort key (role, role, agent) instead of (framework, role, agent) orders the entries of one framework the same way ((role, agent) is unique per framework), and the only production reader, io/http/ui.py, groups the list by framework (filters.setdefault(fid, [])) and reads each framework's list by id: every view is the same",
    'allocator/machine.py::Allocator._track_books::stmt:delete statement::books.pop(name, None)#0':
        'the pop runs only when books.get(name, 0) + v == 0; v is a positive milli-unit quantity (_role_ledgers of a Resources: zero scalars dropped, negatives refused) and the books never go negative (every _track(..., -1) takes back part of an allocation that entered with +1 under the same roles: _handle_recover subtracts only what cur holds, removals subtract whole allocations, ConvertResources keeps per-role quantities), so only `books[name] = n` ever runs',
    'allocator/machine.py::Allocator._handle_add_agent::stmt:delete statement::fw.agents.add(agent.id)#0':
        "fw.agents is read only by _handle_remove_framework's loop (and copied by _Framework.__deepcopy__); the master gives back every task, executor and offer of a framework before it removes it (frameworks.py _remove_framework, as the s13/s16 entries of that function), so the loop finds nothing either way and the mutant's set is a subset of the original's",
    'allocator/why.py::_why_agent::stmt:delete statement::memo[key] = answer#0':
        "the memo is local to one explain() call and never written: each agent's answer is computed by _rank instead of copied, and _rank reads the agent only through available, attributes and filters (empty when keyed) plus its id, which the copy evolves: the same answers, slower (as the s16 `if key is not None` entry of this function)",
    'master/agents.py::AgentsMixin._drop_agent::stmt:delete statement::agent.executors.clear()#0':
        'a dead store: the MAgent leaves _agents (its only holder; tasks, offers, registry ops and the pid index hold ids, a readmitted agent is a new MAgent) a few lines later in the same call, and nothing in between (_remove_offer, the pid index, counters, the Log, _tell_agent_lost) reads agent.executors',
    "master/machine.py::Master._handle_timer::bool:and<->or::kind == 'agent_removal_permit' and len(key) == 2#0":
        "every key the master arms is ('allocation',), ('registry_gc',), ('agent_reregister_timeout',) or a 2-tuple of offer_timeout/heartbeat/failover/ping/agent_reregister/agent_removal_permit, and every 2-tuple but agent_removal_permit returns above this line: the keys that reach it are ('agent_removal_permit', aid) (both forms True) and 1-tuples (both False)",
    "master/offers.py::OffersMixin._call_accept::stmt:delete statement::out.append(Log(level='warning', event='operation_not_supported', fiel...#0":
        "dead code: _call_accept's only caller, _handle_scheduler_call, first runs validate_call, whose _shape_error answers 400 to an ACCEPT with any operation other than LAUNCH, LAUNCH_GROUP, RESERVE or UNRESERVE (and spec/codec_scheduler.py operation_from_pb raises Unsupported for others): the loop's final else never runs",
    'status_updates.py::_validate::cmp:IsNot->Is #0::su.status.uuid is not None#0':
        'every StatusUpdate reaching _validate has status.uuid == su.uuid, not None: the agent builds its updates only in _agent_update (one next_uuid() for both) and _executor_status (su.uuid = status.uuid, asserted not None), and _replay reads only records handleUpdate persisted from those (the disks lose records, never alter one): original and mutated conditions are both always False',
    # s23 (fresh sample seed 27: the review of its unchanged / survived mutants; one more
    # proposal, MasterCore.__init__'s framework counter 0->1, refused: past 9,999 frameworks the
    # :04d ids of one master would sort differently, and in doubt a mutant is not equivalent)
    "agent/base.py::AgentCore._shutdown_executor::cmp:Eq->NotEq #0::ex.state == 'registering'#0":
        "here ex.state is 'registering' or 'running' (the rest returned above). The mutant drops the CancelTimer of a registering, non-recovered executor: that timer fires into handleExecutorTimer, which returns [] because the executor is gone or now 'terminating' (the s11 deletion entry). It adds one for a running, non-recovered executor, whose key is not armed: only _run sets it and handleExecutorSubscribe cancels it as it sets 'running'. Cancelling an unarmed key is a no-op (the s16 and<->or entry).",
    "agent/executors.py::ExecutorsMixin.handleExecutorSubscribe::bool:and<->or::ex.state == 'running' and (not restarted)#0":
        "ex.state is 'registering' or 'running' here (the others are refused above), and a recovered executor is always 'registering': recovery.py builds it so, and subscribe unrecovers it as it sets 'running'. So `or` differs only for a non-recovered 'registering' executor (made by _run, never subscribed). `live` is read only by the requeue loop, which touches only STAGING tasks with queued=False, and that executor has none: queued defaults to True and is cleared only for a running executor, on delivery, by a non-STAGING _set_state, or in recovery.",
    'allocator/cycle.py::_any_candidate::bool:and<->or::fw.active and role not in fw.suppressed#0':
        "the `or` test is true whenever the original is, so it only adds agent walks to cycles where no framework of any `_fw_index` is active and unsuppressed; _first_eligible skips those before any filter read or _drop_filter, so the walk gives nothing, records no decision and only stores sound 'nothing to offer' memos at the current epoch; nothing becomes eligible without an _epoch bump (_handle_add_framework, _update_framework, _activate_framework, _revive), and until then the original skips every walk: same allocations, slower",
    'allocator/machine.py::Allocator._track::const:1->2::1#0':
        "_epoch only needs to change (it is compared for equality with earlier copies): +2 keeps it strictly increasing (as the s11 `_handle_update_framework` / `_handle_revive` `1->2` entries). Its only readers are in cycle.py: `run_cycle`'s `skip[0] == _epoch` and the memo writers in `_allocate_agent` / `_explained_agent`. Its only writers are `__init__` (0) and the `+= 1` lines of machine.py.",
    'allocator/machine.py::Allocator._refresh_role::cmp:In->NotIn #0::role in self._role_alloc#0':
        '`present` changes only for roles with no member, so `_role_index` gains or loses only member-less roles, which have no `_fw_index` (_subscribe/_unsubscribe keep both in step): cycle.py, its only reader, finds no eligible framework there (explain lists and reads shares of eligible roles only), member roles keep the same entries, shares and relative order; describe(), role_share, metrics and why.py read _role_alloc/_role_members; the quota half is unchanged (as the s12 `_role_index.discard(role)` entry)',
    'allocator/machine.py::Allocator._handle_activate_framework::const:1->2::1#0':
        "_epoch only needs to change (it is compared for equality with earlier copies): +2 keeps it strictly increasing (as the s11 `_handle_update_framework` / `_handle_revive` `1->2` entries). Its only readers are cycle.py's `skip[0] == _epoch` and the memo writers. Its only writers are `__init__` (0) and the `+= 1` lines of machine.py.",
    "master/tasks.py::TasksMixin._reconcile_explicit::stmt:delete statement::out.append(Log(level='info', event='reconciliation_deferred_agent_rec...#1":
        "dead code: the `elif aid is not None and aid in self._recovered_agents` branch (its Log is occurrence #1) is reached only when `transitional` is False, and for aid not None `transitional` evaluates `aid in self._recovered_agents` first in its `or` chain, with nothing in between that changes `_recovered_agents` (only the `aid in self._agents` test): the branch's condition is always False and its Log never runs (tasks.py _reconcile_explicit)",
}
