"""The invariant catalog: one place where every safety and liveness property is named.

The same names appear in the TLA+ specs (tla/), in docs/invariants.md and in the
simulator's reports. Each property is a function `Name(snapshot) -> list[str]` returning the
violations it finds (empty list: the property holds). A `ClusterSnapshot` is what a checker
observed of a cluster: the master's resource ledger per agent, the history of status
updates, launches, registry commits, allocation decisions. Every field has a neutral default,
so a checker that only sees part of a cluster (one machine in a stateful test) fills in just
what it knows and the other properties hold vacuously.

Safety properties must hold after every step; liveness properties are checked at
quiescence (faults stopped, network healed, enough virtual time passed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from mesotron.core.books import AgentLedger, AllocationDecision
from mesotron.core.resources import Resources, sum_of
from mesotron.core.values import TaskState, fast_inits

frozen = attrs.frozen(kw_only=True, slots=True)

TaskKey = tuple[str, str]  # (framework_id, task_id)
UpdateRef = tuple[bytes, TaskState]  # (uuid, state) of an update carrying a uuid


@attrs.frozen(kw_only=True, slots=True)
class ReconcileRow:
    """One task as implicit reconciliation would answer it (`answer`) next to what the books
    of its agent say: whether that agent is registered with the leader, and the task's state
    in that agent's books (None: the agent does not know the task, or is not running)."""

    framework_id: str
    task_id: str
    agent_id: str
    answer: TaskState
    agent_registered: bool
    agent_state: TaskState | None = None
    reported: bool = True  # the task has at least one status (not a launch still in flight)


@attrs.frozen(kw_only=True, slots=True)
class OfferMade:
    """An offer a master sent, with the framework's filter/suppression state at that moment:
    `filtered` is the resources of the decline filter in force for (framework, agent, role),
    if any (an offer contained in them must not be made), `suppressed` whether the
    framework had suppressed the offer's role."""

    offer_id: str
    framework_id: str
    agent_id: str
    role: str
    resources: Resources
    filtered: Resources | None = None
    suppressed: bool = False
    # the framework's offer constraint for the role (its last SUBSCRIBE's) that the agent's
    # attributes fail, as "attribute predicate value" (None: none fails)
    constraint: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class TaskBooks:
    """One registered agent at quiescence: the tasks (framework, task) -> state the master
    holds live on it and the ones the agent runs (non-terminal on both sides), and the
    resources: total, allocator available + allocated, master used, agent running."""

    agent_id: str
    master_tasks: frozenset[TaskKey]
    agent_tasks: frozenset[TaskKey]
    total: Resources
    pooled: Resources  # allocator: available + sum of allocations
    master_used: Resources
    agent_running: Resources


@attrs.frozen(kw_only=True, slots=True)
class TaskView:
    """A task of a live, acknowledging framework at quiescence."""

    key: TaskKey
    framework_state: TaskState
    agent_state: TaskState | None  # None: no live agent runs it
    # the task's agent is booked unreachable by the leading master and no live agent carries
    # its id any more (it restarted as a new agent, e.g. --recover=cleanup): the master
    # cannot tell that from a partition that lasts, so TASK_UNREACHABLE is its truthful
    # answer until the operator marks the agent gone or registry GC prunes it (Mesos:
    # registry_max_agent_age, 2 weeks; then reconciliation answers TASK_UNKNOWN)
    agent_abandoned_unreachable: bool = False


@attrs.frozen(kw_only=True, slots=True)
class ExecutorBook:
    """One executor of a live agent at quiescence: the agent's books about it beside the
    world's process (ExecutorBooksAgree). `state` is the agent's ExecutorEntry state (None:
    the agent does not book the executor, only an index or a process names it)."""

    agent: str
    container: str
    state: str | None
    in_by_container: bool  # by_container maps the container to this executor
    pid: bool  # the agent holds a subscription (pid) for it
    in_by_pid: bool  # by_pid maps that pid to this executor
    process: str  # the world's executor process: "alive", "dead" or "none"
    dead_for: float = 0.0  # seconds since the process died (when "dead")
    open_tasks: int = 0  # non-terminal tasks the agent books in it
    closed_tasks: int = 0  # tasks still booked whose terminal update was acknowledged
    idle_unarmed: bool = False  # a running command executor with no task, no idle timer
    running_booked_ended: tuple[str, ...] = ()  # task processes running, booked terminal/absent
    container_resources: bool = True  # the shell's container resources = the booked ones
    # how long it has been booked registering / terminating past its deadline (registration
    # timeout / shutdown grace period) with its process alive: 0.0 when not overdue
    overdue: float = 0.0


# s16 speed: the slotted value classes above (AgentLedger, AllocationDecision, OfferMade, ...,
# built per step by the simulator's checker and the allocator's explain mode) get a
# slot-storing __init__ (core/values.py fast_init; tests/test_sim_speed.py compares it)
fast_inits(globals())


# not slotted: a frozen dict-based attrs class sets its 30-odd fields through the instance
# dict, about a third faster to build (the simulator builds one per evaluation)
@attrs.frozen(kw_only=True, slots=False)
class ClusterSnapshot:
    agents: tuple[AgentLedger, ...] = ()
    # per task, the updates agents accepted (persisted and acked to the executor), in order
    produced: Mapping[TaskKey, tuple[UpdateRef, ...]] = attrs.field(factory=dict)
    # per task, every uuid-carrying update the scheduler received, in arrival order
    seen: Mapping[TaskKey, tuple[UpdateRef, ...]] = attrs.field(factory=dict)
    # (framework_id, task_id, uuid) the scheduler acknowledged
    acked: frozenset[tuple[str, str, bytes]] = frozenset()
    # per task, uuids an agent still holds (in memory or in its persisted stream) unacked
    pending: Mapping[TaskKey, tuple[bytes, ...]] = attrs.field(factory=dict)
    # tasks whose updates may legitimately be discarded (framework removed, agent gone)
    abandoned: frozenset[TaskKey] = frozenset()
    # per task, the states it went through with their producer ("executor"/"agent"/"master")
    transitions: Mapping[TaskKey, tuple[tuple[TaskState, str], ...]] = attrs.field(factory=dict)
    # per task, the agents that started it (one entry per start)
    launches: Mapping[TaskKey, tuple[str, ...]] = attrs.field(factory=dict)
    # committed registry writes: (writer master id, writer was the leader when it committed)
    registry_commits: tuple[tuple[str, bool], ...] = ()
    # kills an agent issued while recovering in reconnect mode:
    # (agent_id, container_id, the executor was alive and re-subscribed in time)
    recovery_kills: tuple[tuple[str, str, bool], ...] = ()
    allocations: tuple[AllocationDecision, ...] = ()
    # DrfOrder's books: (what, the share the allocator sorts by, the share recomputed from
    # its per-agent allocations, the agents' totals and the configured weights)
    share_books: tuple[tuple[str, float, float], ...] = ()
    # NoOffersOfDeactivatedAgents: offers a master made of an agent the operator holds
    # deactivated or draining (its DEACTIVATE/DRAIN answered 200, no REACTIVATE sent since):
    # (master, offer id, agent id, "deactivate"|"drain")
    offers_of_deactivated: tuple[tuple[str, str, str, str], ...] = ()
    # DrainEmptiesAgent: per agent whose DRAIN the operator saw answered 200 (never
    # reactivated), the tasks it ran then that it still runs (its own books) 20 s later, with
    # no fault in between: (agent id, those tasks)
    drained_agents: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # InvalidOperatorCallsRefused: answers to operator calls the operator knows are invalid:
    # (what is wrong, HTTP status, message)
    invalid_operator_answers: tuple[tuple[str, int, str], ...] = ()
    # DrfOrder on the production fast path (no explain mode): (what, the fast path's
    # Allocations, the reference cycle's) for each cycle where they differ (core/sim/fastpath.py)
    reference_cycles: tuple[tuple[str, str, str], ...] = ()
    # WholeOffers: per allocation of the production path (SimConfig.fast_alloc), (agent id,
    # role, what was allocated, what the role could still use on that agent right after the
    # cycle, its quota-limited resource names set aside), and the configured
    # --min_allocatable_resources alternatives (scalars)
    offer_shapes: tuple[tuple[str, str, Resources, Resources], ...] = ()
    min_allocatable: tuple[Resources, ...] = ()
    # WhyAgrees: per judged cycle of the production path, what the allocator's explain mode
    # (core/allocator/why.py) said just before it of the first agent the cycle visits:
    # (agent id, the cycle's first allocation there as (role, framework, in the quota
    # stage) or None, reasons: (framework, role, kind, message, ahead, role below quota)),
    # and per allocation of the cycle the explanation's kind for it: (agent, role,
    # framework, kind)
    why_first: tuple[tuple[str, tuple[str, str, bool] | None,
                           tuple[tuple[str, str, str, str, tuple, bool], ...]], ...] = ()
    why_allocated: tuple[tuple[str, str, str, str], ...] = ()
    # OneLeaderWrites: externally visible effects of a master after its registry write was
    # fenced: (master id, what it did)
    fenced_actions: tuple[tuple[str, str], ...] = ()
    # OffersRespectFilters: offers made (by one master), the decline filters and suppressed
    # roles in force when they were made (what that master was told, not its own books)
    offers_made: tuple[OfferMade, ...] = ()
    # AgentRunsWithinTotal: (agent id, its total, the resources of the tasks and executors it runs)
    agent_runs: tuple[tuple[str, Resources, Resources], ...] = ()
    # AllocationBooksAgree: (agent id, what the allocator holds allocated on it, the master's
    # used + offered on it)
    allocation_books: tuple[tuple[str, Resources, Resources], ...] = ()
    # at quiescence: TaskBooksAgree / NoResourceLeak, per registered agent
    task_books: tuple[TaskBooks, ...] = ()
    # at quiescence: per task of a live, acknowledging framework: what it believes
    # (its last update), what the agents say (None: no live agent runs it)
    framework_views: tuple[TaskView, ...] = ()
    # at quiescence: tasks whose KILL a master accepted and sent to their agent (the message
    # arrived) that had not ended shortly after, with their last state
    kills: tuple[tuple[TaskKey, TaskState | None], ...] = ()
    # HealthChecksKill: per health-check result a command executor counted: (task, the
    # consecutive failures that count by Mesos's rules, consecutive_failures, it killed now)
    health_checks: tuple[tuple[TaskKey, int, int, bool], ...] = ()
    # liveness context (meaningful at quiescence only)
    acking_frameworks: frozenset[str] = frozenset()
    hungry_frameworks: frozenset[str] = frozenset()
    offered_frameworks: frozenset[str] = frozenset()
    live_agents: frozenset[str] = frozenset()
    registered_agents: frozenset[str] = frozenset()
    live_frameworks: frozenset[str] = frozenset()
    subscribed_frameworks: frozenset[str] = frozenset()
    # scheduler driver side (the DRIVER properties), per driver incarnation (its name):
    # (framework_id, task_id, uuid) updates the driver handed to its application
    delivered: frozenset[tuple[str, str, bytes]] = frozenset()
    # the framework ids of its SUBSCRIBE calls ("subscribe") and SUBSCRIBED events
    # ("subscribed"), in order
    framework_ids: Mapping[str, tuple[tuple[str, str | None], ...]] = attrs.field(factory=dict)
    # its non-SUBSCRIBE calls: (call type, sent on a stream that had delivered SUBSCRIBED)
    calls: Mapping[str, tuple[tuple[str, bool], ...]] = attrs.field(factory=dict)
    # role -> {resource name: quota limit} (the leader's committed quota configs)
    quota_limits: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict)
    # (framework_id, operation id) -> the terminal state its framework heard, or None
    operations: Mapping[tuple[str, str], str | None] = attrs.field(factory=dict)
    # --- issue 11 (agent recovery), liveness context at quiescence:
    # updates live executors still hold unacknowledged although their agent is up, produced
    # long enough ago to have been delivered: (executor, task_id, state, seconds held)
    executor_held: tuple[tuple[str, str, TaskState, float], ...] = ()
    # the leader's reconciliation answers beside the agents' books, one row per task
    reconciliation: tuple[ReconcileRow, ...] = ()
    # --- mutation campaign (issue 12 §1, s10):
    # AgentActivityAgrees, at quiescence: (agent id, the leader's view: connected, active and
    # not deactivated by an operator, the allocator's active flag), per agent of the leader
    agent_activity: tuple[tuple[str, bool, bool], ...] = ()
    # WellFormedCallsAccepted: calls of simulated frameworks (well-formed by construction)
    # the master refused as malformed: (framework, status, message)
    refused_calls: tuple[tuple[str, int, str], ...] = ()
    # NoOffersToInactive: (framework id, offer id) of offers a master still holds out to a
    # framework it deactivated
    inactive_offers: tuple[tuple[str, str], ...] = ()
    # s11 mut-master: TaskStatesAgree: (task key, agent id, the leader's state for the task,
    # the agent's state for it), tasks with no update in flight on a registered agent
    task_states: tuple[tuple[tuple[str, str], str, TaskState, TaskState], ...] = ()
    # ReconcileAnswered: (framework id, task id, agent id named) of an explicit
    # reconciliation the leader accepted outside any recovery window and did not answer
    reconcile_unanswered: tuple[tuple[str, str, str | None], ...] = ()
    # AckedTerminalTaskRemoved: (framework, task, agent) still in the leader's books after it
    # accepted the acknowledgement of the terminal update it had forwarded for that task
    acked_terminal_kept: tuple[tuple[str, str, str], ...] = ()
    # s23: (framework, task, agent) removed on its acknowledgement but not completed
    acked_terminal_uncompleted: tuple[tuple[str, str, str], ...] = ()
    # at quiescence: DescribeAgrees, per machine, (what, its describe() text, the lines that
    # text must hold for what the machine's books say (a prefix each: the exact line start),
    # the prefixes no line may start with)
    describes: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = ()
    # InvalidOffersRefused: (framework id, what) for an ACCEPT of offers not valid together
    # that launched something or left a task unanswered
    invalid_accepts: tuple[tuple[str, str], ...] = ()
    # SubscribeTakesInfo: (framework id, field, the master's value, the value subscribed)
    stale_infos: tuple[tuple[str, str, str, str], ...] = ()
    # MalformedCallsRefused: (framework id, call type, what went wrong)
    malformed_answers: tuple[tuple[str, str, str], ...] = ()
    # NoRescindOfReturnedOffers: (framework id, offer id) rescinded in answer to the ACCEPT
    # or DECLINE that gave it back
    rescinded_returned: tuple[tuple[str, str], ...] = ()
    # AgentDisconnectionNoticed: (agent id, what the master still believes)
    unnoticed_disconnections: tuple[tuple[str, str], ...] = ()
    # --- mutation campaign, agent side (s11):
    # CheckpointAgrees: (agent, book, what the live agent holds, what its checkpoint
    # (every write so far, synced or not) would rebuild), books "frameworks", "executors",
    # "tasks" (a task whose log shows its terminal update acknowledged is marked complete
    # on the disk side), "streams" (the unacknowledged uuids of each checkpointed stream)
    checkpoint_books: tuple[tuple[str, str, frozenset[Any], frozenset[Any]], ...] = ()
    # ExecutorBooksAgree, at quiescence: one row per executor an agent books or runs
    executor_books: tuple[ExecutorBook, ...] = ()
    # ExecutorBooksAgree, at quiescence: (agent, counter, its value, the events it counts
    # as the simulator saw them in the agent's effects since it started)
    agent_counters: tuple[tuple[str, str, int, int], ...] = ()
    # AgentUpdatesTruthful: status updates as an agent produces or forwards them: (agent node,
    # task id, the agent id the status names, the agent's own id, the update ends the task
    # for its executor's termination while that executor's process still runs it)
    agent_updates: tuple[tuple[str, str, str | None, str | None, bool], ...] = ()
    # s11 mut-master2: PrincipalsChecked: (framework name, authenticated principal, what
    # the master did with its SUBSCRIBE)
    principal_answers: tuple[tuple[str, str, str], ...] = ()
    # MalformedAgentMessagesRefused: (sender, message type, what the master did)
    malformed_agent_answers: tuple[tuple[str, str, str], ...] = ()
    # NoSendWithoutPeer: (master, message type) of a Send with no addressee
    unaddressed_sends: tuple[tuple[str, str], ...] = ()
    # s12 mm1: ForgedAgentMessagesIgnored: (sender, message, what the master did)
    forged_agent_answers: tuple[tuple[str, str, str], ...] = ()
    # UnresponsiveAgentsRemoved: (agent id, seconds silent, what the leader holds of it)
    unremoved_agents: tuple[tuple[str, float, str], ...] = ()
    # MasterUpdatesSent: (agent id, framework id, task id, what went wrong)
    unsent_master_updates: tuple[tuple[str, str, str, str], ...] = ()
    # RemovalsRateLimited: (master id, seconds since its previous removal, the interval)
    fast_removals: tuple[tuple[str, float, float], ...] = ()
    # AgentsHealthChecked: (agent id, what is wrong)
    unchecked_agents: tuple[tuple[str, str], ...] = ()
    # RemovedAgentsForgotten: (agent id, what the master still books of it)
    unforgotten_agents: tuple[tuple[str, str], ...] = ()
    # OffersNeedACause: (master id, the input, offers made)
    uncaused_offers: tuple[tuple[str, str, int], ...] = ()
    # NoOffersOutsideWhitelist: (master id, offer id, its agent's hostname)
    unlisted_offers: tuple[tuple[str, str, str], ...] = ()
    # s12 mm2: OperatorViewsAgree: (master, what its operator views get wrong)
    operator_views: tuple[tuple[str, str], ...] = ()
    # WhyExplains: (framework id, the `why` verdict, what is wrong with it)
    why_answers: tuple[tuple[str, str, str], ...] = ()
    # OperationFeedbackAgrees: (framework id, the call, what the master got wrong)
    operation_feedback: tuple[tuple[str, str, str], ...] = ()
    # UnauthorizedOperatorCallsRefused: what went wrong with an operator call the ACLs deny
    forbidden_answers: tuple[str, ...] = ()
    # --- s12 mutation campaign, agent side:
    # AgentViewsAgree, at quiescence: (agent, what, expected, what the agent publishes) for
    # what its read-only views (/state, /metrics, `executors`, `tasks`) say, beside what the
    # world and the agent's other views say
    agent_views: tuple[tuple[str, str, str, str], ...] = ()
    # HostileExecutorInputRefused: (agent, message type, what the agent did) for a call to
    # its executor API by a process that is no executor of it, not refused as it should be
    hostile_executor_answers: tuple[tuple[str, str, str], ...] = ()
    # AgentShutdownCompletes: (agent, what went wrong) for an agent the operator shut down
    agent_shutdowns: tuple[tuple[str, str], ...] = ()
    # RebootRecovery: (agent, what went wrong) after a host reboot
    reboot_recoveries: tuple[tuple[str, str], ...] = ()
    # LimitationsEnforced: (agent, what went wrong) with a container's limits or limitation
    limitations: tuple[tuple[str, str], ...] = ()
    # SandboxesCollected: (agent, what went wrong) with a removed executor's run directory
    sandbox_collections: tuple[tuple[str, str], ...] = ()
    # ExecutorReasonsTruthful: (agent, what it said) of an update giving a false cause
    executor_reasons: tuple[tuple[str, str], ...] = ()
    # s13 mmaster: AgentTotalsAgree, at quiescence: (agent id, party, the total that party
    # books, the total the agent itself publishes) where they differ
    agent_totals: tuple[tuple[str, str, str, str], ...] = ()
    # s13 mmaster: HeldOffersAgree, at quiescence: (framework id, offer id) of an offer its
    # scheduler holds (received on its current subscription, neither used, declined nor
    # rescinded) that the leader neither holds out to it nor sent a rescind for
    silently_taken_offers: tuple[tuple[str, str], ...] = ()
    # s13 mmaster: NoOffersOfDisconnectedAgents: (master, offer id, agent id, its state)
    disconnected_offers: tuple[tuple[str, str, str, str], ...] = ()
    # s13 mmaster: RegistryCountersAgree: (master, counter, its change, what the step did)
    registry_counters: tuple[tuple[str, str, float, float], ...] = ()
    # s13 mmaster: MasterExecutorsAgree, at quiescence: (agent id, executor, what disagrees)
    master_executors: tuple[tuple[str, str, str], ...] = ()
    # s13 mops: HostileCallsRefused: (framework id, the call, what the master did wrong)
    hostile_call_answers: tuple[tuple[str, str, str], ...] = ()
    # s13 mops: MasterDescribeAgrees: (master, its describe() text, lines it must hold,
    # line prefixes it must not hold)
    master_describes: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = ()
    # s13 mops: OperatorReservationsApplied: (agent id, what the leader did wrong)
    operator_reservations: tuple[tuple[str, str], ...] = ()
    # s13 mops: OperatorCallsAnswered: (request, what went wrong)
    operator_answers: tuple[tuple[str, str], ...] = ()
    # s13 mops: SettingsAgree: (what, whose books, expected, found)
    settings_books: tuple[tuple[str, str, str, str], ...] = ()
    # s13 mops: WithdrawnOffersRescinded: (framework id, offer id) taken back silently
    unrescinded_offers: tuple[tuple[str, str], ...] = ()
    # s13 malloc: AllocatorLedgersAgree: (what, the allocator's running book, the recount
    # from its per-agent allocations and agent totals) for each book that differs
    allocator_ledgers: tuple[tuple[str, str, str], ...] = ()
    # s14 kalloc: AllocatorSettingsAgree: (what, the leader's allocator's value, the value
    # of the settings in force at the leader) for each weight / quota guarantee / quota
    # limit that differs
    allocator_settings: tuple[tuple[str, str, str], ...] = ()
    # s14 kalloc: NothingLeftOfferable: right after an allocation cycle, (agent, role,
    # framework, what the role may still use there) for each agent that keeps resources a
    # role may be allocated (min_allocatable, quota limit) and a framework of the role may take
    left_offerable: tuple[tuple[str, str, str, str], ...] = ()
    # s14 kops: DrainEmptiesAgent: agents drained with mark_gone, emptied, that the leader
    # holds DRAINED but has not marked gone
    drained_not_gone: tuple[str, ...] = ()
    # s14 kmaster: AnsweringAgentsKept: (master, agent id, seconds since it last heard from
    # the agent) for an agent its health check marks unreachable too soon
    answering_agents_marked: tuple[tuple[str, str, float], ...] = ()
    # s14 kmaster: TornDownFrameworksClosed: (framework id, what the master did wrong) on a
    # TEARDOWN it answered 202
    teardown_answers: tuple[tuple[str, str], ...] = ()
    # s14 kmaster: MasterBooksIndexed: (record, what disagrees) in the leader's books
    master_indexes: tuple[tuple[str, str], ...] = ()
    # s14 kmaster: RegistryGcPrunes, at quiescence: (agent id, list, seconds past due) of an
    # entry the leader still keeps past registry_max_agent_age + registry_gc_interval
    registry_gc_overdue: tuple[tuple[str, str, float], ...] = ()
    # s14 kmaster: UnreregisteredAgentsMarked, at quiescence: (agent id, seconds past its
    # re-registration deadline) of an agent the leader recovered and still waits for
    unreregistered_agents: tuple[tuple[str, float], ...] = ()
    # s14 kagent: UpdateRetriesBackOff: (agent, what its status-update manager did wrong)
    update_retries: tuple[tuple[str, str], ...] = ()
    # s14 kagent: ExecutorLaunchesAgree: (agent, what it handed an executor wrongly)
    executor_launches: tuple[tuple[str, str], ...] = ()
    # s16 lead: MessagesRelayed: (the machine, what it did wrong with a framework message)
    relayed_messages: tuple[tuple[str, str], ...] = ()
    # s16 kproto: ExecutorAcksCheckpointed, ExecutorDisconnectionsTolerated: (agent, what
    # it did wrong); ImplicitReconcileAnswered, RemovedFrameworksRefused: (framework id,
    # what the master did wrong); DrfOrder: (agent id, framework id) of an offer the
    # allocator's explain mode recorded no decision for
    executor_acks: tuple[tuple[str, str], ...] = ()
    executor_disconnections: tuple[tuple[str, str], ...] = ()
    implicit_reconciles: tuple[tuple[str, str], ...] = ()
    removed_calls: tuple[tuple[str, str], ...] = ()
    unexplained_offers: tuple[tuple[str, str], ...] = ()
    # s16 kproto: ExitedExecutorsReported: (agent, what it did not tell the master)
    exits_unreported: tuple[tuple[str, str], ...] = ()
    # s16 kproto: CompletedTasksTerminal: (framework id, what the master lists wrongly)
    completed_live: tuple[tuple[str, str], ...] = ()
    # s16 kobs: MetricsAgree: (machine, metric, its value or growth, the checker's recount,
    # what was recounted)
    metrics_recounted: tuple[tuple[str, str, float, float, str], ...] = ()
    # s16 kobs: LogsRecord: (master, the transition and what was logged)
    transition_logs: tuple[tuple[str, str], ...] = ()
    # s16 kobs: AnswersAsMesos: (machine, the input, the status it answered and Mesos's)
    answer_codes: tuple[tuple[str, str, str], ...] = ()
    # s16 kdrive: (the machine, what it did wrong) with a SHUTDOWN, a KILL naming an agent,
    # a task launched with a custom executor
    executor_shutdowns: tuple[tuple[str, str], ...] = ()
    named_kills: tuple[tuple[str, str], ...] = ()
    custom_executors: tuple[tuple[str, str], ...] = ()

    # s17 killa: TasksLaunchedOnce, CommandExecutorsUnreported, TaskSandboxNames: (the
    # invariant's name, agent, what it did wrong)
    s17_killa: tuple[tuple[str, str, str], ...] = ()
    # s18 driveo: OperatorAgentCallsHold: (the master, what its answer got wrong)
    s18_driveo: tuple[tuple[str, str], ...] = ()
    # s18 drivem: MisaddressedCallsRefused, UnauthorizedLaunchesRefused,
    # FailoverTimeoutsRemove: (the invariant's name, master, what it did wrong)
    s18_drivem: tuple[tuple[str, str, str], ...] = ()
    # s18 drivel: AllocationRolesAgree, FiltersCleared, OffersInSubscribedRoles: (the
    # invariant's name, what went wrong)
    s18_drivel: tuple[tuple[str, str], ...] = ()
    # s17 killm: TimersNotInPast: (machine, the timer set in the past); ReconcileAnswersAsMesos:
    # (framework id, the wrong answer); RegistryGcSelects: (list, what the GC did wrong);
    # LeaderViewsAgree: (master, what its views show wrongly)
    past_timers: tuple[tuple[str, str], ...] = ()
    reconcile_states: tuple[tuple[str, str], ...] = ()
    gc_selection: tuple[tuple[str, str], ...] = ()
    leader_views: tuple[tuple[str, str], ...] = ()
    # s17 killm: ReservationsResent, RemovalPermitsPaced: (agent id, what the leader did wrong)
    reservations_unsent: tuple[tuple[str, str], ...] = ()
    permit_waits: tuple[tuple[str, str], ...] = ()
    # s17 killm: UpdatesVisible: (scheduler, the update it was shown)
    hidden_updates: tuple[tuple[str, str], ...] = ()


# ------------------------------------------------------------------ safety
def NoOvercommit(s: ClusterSnapshot) -> list[str]:
    """On every agent, offered + allocated to tasks/executors <= total, per resource."""
    out = []
    for a in s.agents:
        total = a.total.unallocate()
        claimed = sum_of([r.unallocate() for _oid, _fw, r in a.offered]
                         + [r.unallocate() for _fw, r in a.used])
        if not total.contains(claimed):
            out.append(f"NoOvercommit: agent {a.agent_id} total {total} < offered+used {claimed}")
    return out


def _discrete_items(r: Resources) -> set[tuple[str, Any]]:
    items: set[tuple[str, Any]] = set()
    for name in r.names():
        for lo, hi in r.ranges(name) or ():
            items.update((name, p) for p in range(lo, hi + 1))
        for x in r.set_items(name) or ():
            items.add((name, x))
    return items


def OfferExclusive(s: ClusterSnapshot) -> list[str]:
    """No resource is in two outstanding offers (and no offer id is outstanding twice)."""
    out = []
    ids: set[str] = set()
    for a in s.agents:
        owners: dict[tuple[str, Any], str] = {}
        scalars: Resources = Resources()
        for oid, _fw, r in a.offered:
            if oid in ids:
                out.append(f"OfferExclusive: offer {oid} outstanding twice")
            ids.add(oid)
            scalars = scalars + r.unallocate()
            for item in _discrete_items(r):
                if item in owners:
                    out.append(f"OfferExclusive: {item[0]} {item[1]} on agent {a.agent_id} "
                               f"in offers {owners[item]} and {oid}")
                owners[item] = oid
        if not a.total.unallocate().contains(scalars):
            out.append(f"OfferExclusive: agent {a.agent_id} offers {scalars} exceed {a.total}")
    return out


# The task state diagram as Mesos documents it (mesos.proto's TaskState comments, the
# reconciliation and high-availability framework guides) and as tla/StatusUpdates.tla's
# `LegalStep` states it, transcribed here on purpose WITHOUT reading core/lifecycle.py: the
# code's table (per producer) must stay inside this one; tests/test_invariants_catalog.py
# says where the two tables agree and lists, with reasons, where they differ.
_S = TaskState
_ACTIVE_STATES = (_S.TASK_STARTING, _S.TASK_RUNNING, _S.TASK_KILLING)
_TERMINAL_STATES = (_S.TASK_FINISHED, _S.TASK_FAILED, _S.TASK_KILLED, _S.TASK_LOST,
                    _S.TASK_ERROR, _S.TASK_DROPPED, _S.TASK_GONE, _S.TASK_GONE_BY_OPERATOR)
TASK_STATE_GRAPH: dict[TaskState, frozenset[TaskState]] = {
    # launched: the executor starts it (may skip STARTING), or it ends / is partitioned
    _S.TASK_STAGING: frozenset((*_ACTIVE_STATES, *_TERMINAL_STATES, _S.TASK_UNREACHABLE)),
    _S.TASK_STARTING: frozenset((*_ACTIVE_STATES, *_TERMINAL_STATES, _S.TASK_UNREACHABLE)),
    # RUNNING never goes back to STARTING
    _S.TASK_RUNNING: frozenset((_S.TASK_RUNNING, _S.TASK_KILLING, *_TERMINAL_STATES,
                                _S.TASK_UNREACHABLE)),
    _S.TASK_KILLING: frozenset((_S.TASK_KILLING, *_TERMINAL_STATES, _S.TASK_UNREACHABLE)),
    # the agent comes back (its report wins, STAGING included: the task never started) or
    # is marked gone
    _S.TASK_UNREACHABLE: frozenset((_S.TASK_STAGING, *_ACTIVE_STATES, *_TERMINAL_STATES,
                                    _S.TASK_UNREACHABLE, _S.TASK_UNKNOWN)),
    _S.TASK_UNKNOWN: frozenset((_S.TASK_STAGING, *_ACTIVE_STATES, *_TERMINAL_STATES,
                                _S.TASK_UNREACHABLE, _S.TASK_UNKNOWN)),
    # terminal states are absorbing
    **{t: frozenset() for t in _TERMINAL_STATES},
}
# a repeated update of a non-terminal state (a health check, a retried STARTING) is not a
# move: every non-terminal state may follow itself (the TLA+ spec's executor only repeats
# RUNNING, so its LegalStep lists only that self-loop)


def LegalTaskTransitions(s: ClusterSnapshot) -> list[str]:
    """Every task follows the documented task state diagram (`TASK_STATE_GRAPH`, NOT the
    code's own table); terminal states are absorbing. The first state is free (an observer
    may first learn of a task in any state: a master after failover, a reconciliation)."""
    out = []
    graph = TASK_STATE_GRAPH
    for key, steps in s.transitions.items():
        prev: TaskState | None = None
        for state, producer in steps:
            ok = prev is None or state in graph[prev]
            if not ok:
                out.append(f"LegalTaskTransitions: task {key[1]} {prev} -> {state} by {producer}")
            prev = state
    return out


# Mesos's documented visibility rule (not the code's lifecycle table): a framework without
# PARTITION_AWARE is shown these terminal states as TASK_LOST
_SHOWN_AS = {st: _S.TASK_LOST for st in (_S.TASK_DROPPED, _S.TASK_UNREACHABLE, _S.TASK_GONE,
                                          _S.TASK_GONE_BY_OPERATOR, _S.TASK_UNKNOWN)}


def UpdatesInOrder(s: ClusterSnapshot) -> list[str]:
    """Per task, the distinct updates a scheduler saw are a prefix of what the agent produced,
    and a terminal update is seen only with the state the agent produced under its uuid (or
    the LOST Mesos shows a framework without PARTITION_AWARE)."""
    out = []
    for key, seen in s.seen.items():
        distinct: list[bytes] = []
        produced_state = dict(s.produced.get(key, ()))
        for uuid, state in seen:
            if uuid not in distinct:
                distinct.append(uuid)
            p = produced_state.get(uuid)
            if p is not None and p.is_terminal and state is not p and state is not _SHOWN_AS.get(p):
                out.append(f"UpdatesInOrder: task {key[1]} update {uuid.hex()[:8]} produced as "
                           f"{p.name}, seen as {state.name}")
        produced = [u for u, _ in s.produced.get(key, ())]
        if distinct != produced[: len(distinct)]:
            out.append(f"UpdatesInOrder: task {key[1]} saw {_short(distinct)}, "
                       f"agent produced {_short(produced)}")
    return out


def NoLostAckedWork(s: ClusterSnapshot) -> list[str]:
    """An update an agent accepted is never dropped before the scheduler acknowledges it."""
    out = []
    for key, produced in s.produced.items():
        if key in s.abandoned:
            continue
        pending = set(s.pending.get(key, ()))
        for uuid, state in produced:
            if (key[0], key[1], uuid) not in s.acked and uuid not in pending:
                out.append(f"NoLostAckedWork: task {key[1]} update {state.name} "
                           f"{uuid.hex()[:8]} neither acked nor held by an agent")
    return out


def SingleLaunch(s: ClusterSnapshot) -> list[str]:
    """A task id runs at most once, on one agent, ever."""
    return [f"SingleLaunch: task {key[1]} started {len(agents)} times on {list(agents)}"
            for key, agents in s.launches.items() if len(agents) > 1]


def OneLeaderWrites(s: ClusterSnapshot) -> list[str]:
    """Only the current leader's registry writes commit (fencing), and a master whose
    registry write was fenced takes no further externally visible action (no offer, update,
    answer or registry write: it closes its connections and exits)."""
    out = [f"OneLeaderWrites: registry write by deposed master {writer} committed"
           for writer, was_leader in s.registry_commits if not was_leader]
    out += [f"OneLeaderWrites: fenced master {m} still acted: {what}"
            for m, what in s.fenced_actions]
    return out


def RecoveryKeepsTasks(s: ClusterSnapshot) -> list[str]:
    """An agent restart in reconnect mode never kills a task whose executor is alive."""
    return [f"RecoveryKeepsTasks: agent {agent} killed live container {container} on recovery"
            for agent, container, alive in s.recovery_kills if alive]


def DrfOrder(s: ClusterSnapshot) -> list[str]:
    """Each allocation goes to the eligible framework (and role) with the lowest (weighted)
    dominant share; and the shares the allocator sorts by are the ones its allocations give
    (recomputed independently from the per-agent allocations, totals and weights)."""
    out = []
    for d in s.allocations:
        keys = dict(d.eligible)
        if d.chosen not in keys:  # the choice must be among those recorded eligible
            out.append(f"DrfOrder: agent {d.agent_id} role {d.role or '-'} went to {d.chosen}"
                       f", not among the eligible {sorted(keys)}")
            continue
        if d.quota:
            if d.role:  # s13 malloc: only the choice of a role is made in the quota stage
                out.append(f"DrfOrder: agent {d.agent_id} role {d.role} went to {d.chosen} "
                           f"exempt from DRF order as a quota-stage choice (only the choice of "
                           f"a role is; its frameworks are still taken in DRF order)")
            continue
        best = min(keys.values())
        if keys[d.chosen] > best + 1e-9:
            out.append(f"DrfOrder: agent {d.agent_id} role {d.role} went to {d.chosen} "
                       f"(share {keys.get(d.chosen)}) while the lowest eligible share was {best}")
    for what, recorded, recomputed in s.share_books:
        if abs(recorded - recomputed) > 1e-6:
            out.append(f"DrfOrder: allocator sorts {what} by share {recorded:.6f} but its "
                       f"allocations give {recomputed:.6f}")
    for what, fast, reference in s.reference_cycles:
        if fast != reference:
            out.append(f"DrfOrder: {what}: the allocation cycle gave [{fast}] where the "
                       f"reference cycle (shares recomputed) gives [{reference}]")
    out += [f"DrfOrder: agent {aid} was offered to {fid} with no allocation decision "  # s16 kproto
            f"recorded (explain mode)" for aid, fid in s.unexplained_offers]
    return out


def OffersRespectFilters(s: ClusterSnapshot) -> list[str]:
    """No offer of an agent's resources to a framework while its decline filter for that
    agent covers them (refuse_seconds not yet elapsed, no revive since), none for a role
    the framework suppressed, and none of an agent whose attributes fail one of the offer
    constraints the framework subscribed with for the offer's role."""
    out = []
    for o in s.offers_made:
        if o.suppressed:
            out.append(f"OffersRespectFilters: offer {o.offer_id} to {o.framework_id} for "
                       f"suppressed role {o.role}")
        if o.constraint is not None:
            out.append(f"OffersRespectFilters: offer {o.offer_id} to {o.framework_id} of agent "
                       f"{o.agent_id}, whose attributes fail its offer constraint "
                       f"{o.constraint} for role {o.role}")
        if o.filtered is not None and o.filtered.contains(o.resources.unallocate()):
            out.append(f"OffersRespectFilters: offer {o.offer_id} to {o.framework_id} of "
                       f"{o.resources.unallocate()} on {o.agent_id} inside its decline filter "
                       f"{o.filtered}")
    return out


def AgentRunsWithinTotal(s: ClusterSnapshot) -> list[str]:
    """No agent runs more than its total: the tasks and executors it runs (its own books,
    not the master's) fit in its resources, per resource (reservations set aside: a dynamic
    reservation divides the total, it does not add to it)."""
    return [f"AgentRunsWithinTotal: agent {aid} runs {running} > total {total}"
            for aid, total, running in s.agent_runs
            if not total.unallocate().flatten().contains(running.unallocate().flatten())]


def AllocationBooksAgree(s: ClusterSnapshot) -> list[str]:
    """On every agent, what the allocator holds allocated = the master's used (tasks and
    executors) + offered."""
    return [f"AllocationBooksAgree: agent {aid} allocator holds {a.unallocate()} but the "
            f"master has used+offered {m.unallocate()}"
            for aid, a, m in s.allocation_books if a.unallocate() != m.unallocate()]


def TaskBooksAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence, on every registered agent, the master's live tasks are exactly the
    tasks the agent runs."""
    out = []
    for b in s.task_books:
        only_m = sorted(t for _f, t in b.master_tasks - b.agent_tasks)
        only_a = sorted(t for _f, t in b.agent_tasks - b.master_tasks)
        if only_m or only_a:
            out.append(f"TaskBooksAgree: agent {b.agent_id} master-only tasks {only_m[:5]}, "
                       f"agent-only tasks {only_a[:5]}")
    return out


def NoResourceLeak(s: ClusterSnapshot) -> list[str]:
    """At quiescence every resource is accounted for: on every registered agent the
    allocator's available + allocated = the agent's total, and what the master books as
    used is what the agent actually runs (nothing held for tasks that are gone)."""
    out = []
    for b in s.task_books:
        if b.pooled.unallocate() != b.total.unallocate():
            out.append(f"NoResourceLeak: agent {b.agent_id} available+allocated "
                       f"{b.pooled.unallocate()} != total {b.total.unallocate()}")
        if b.master_used.unallocate() != b.agent_running.unallocate():
            out.append(f"NoResourceLeak: agent {b.agent_id} master books used "
                       f"{b.master_used.unallocate()} but the agent runs "
                       f"{b.agent_running.unallocate()}")
    return out


def _within(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def ReservedToRole(s: ClusterSnapshot) -> list[str]:
    """Reserved resources are offered only to their role (or a sub-role of it)."""
    out = []
    for a in s.agents:
        for oid, _fw, res in a.offered:
            if all(rr is None or (ar is not None and _within(ar, rr))
                   for rr, ar in res.placements()):
                continue  # the same test as below, on the entries' roles only
            for r in res:
                if r.reservations and (r.allocation_role is None
                                       or not _within(r.allocation_role, r.reservations[-1].role)):
                    out.append(f"ReservedToRole: offer {oid} on {a.agent_id} gives {r} "
                               f"reserved to {r.reservations[-1].role} to role {r.allocation_role}")
    return out


def role_holdings(agents: tuple[AgentLedger, ...]) -> tuple[dict[str, Resources], set[str]]:
    """(role -> what it holds, offered + used by tasks and executors, unallocated; the roles
    with an offer outstanding)."""
    held: dict[str, Resources] = {}
    offered_roles: set[str] = set()
    for a in agents:
        for _oid, _fw, res in a.offered:
            for role in res.allocation_roles():
                held[role] = held.get(role, Resources()) + res.allocated_to(role).unallocate()
                offered_roles.add(role)
        for _fw, res in a.used:
            for role in res.allocation_roles():
                held[role] = held.get(role, Resources()) + res.allocated_to(role).unallocate()
    return held, offered_roles


def QuotaLimitRespected(s: ClusterSnapshot) -> list[str]:
    """A role with offers outstanding holds (offered + used) no more than its quota limit.
    (The simulator passes as `quota_limits` each limit raised to what the role held when the
    limit was set, ratcheted down as its holdings fall: a limit set below what a role holds
    revokes nothing, as in Mesos, but the role may not grow again until it is under it.)"""
    if not s.quota_limits:
        return []
    held, offered_roles = role_holdings(s.agents)
    out = []
    for role in sorted(offered_roles):
        for name, limit in sorted(s.quota_limits.get(role, {}).items()):
            have = held[role].scalar(name)
            if have > limit + 1e-9:
                out.append(f"QuotaLimitRespected: role {role} holds {name}:{have:g} over its limit {limit:g}")
    return out


def WholeOffers(s: ClusterSnapshot) -> list[str]:
    """Every allocation is allocatable and whole (Mesos's allocator): its scalars meet one of
    the --min_allocatable_resources alternatives (any non-empty allocation when there are
    none), and right after the cycle that made it the agent has nothing left that its role
    may use (unreserved or reserved to the role), but for the resources the role's quota
    limit cut, and those only once the role holds its limit (s19 kalloc: the cut takes all
    the headroom; Mesos's allocator shrinks an offer to the role's limit)."""
    out = []
    for aid, role, res, left in s.offer_shapes:
        got = res.scalars()
        if s.min_allocatable:
            ok = any(all(got.get(n, 0.0) >= v - 1e-9 for n, v in m.scalars().items())
                     for m in s.min_allocatable)
        else:
            ok = bool(res)
        if not ok:
            out.append(f"WholeOffers: {res.unallocate() or '-'} of {aid} allocated to role "
                       f"{role} meets no min_allocatable alternative")
        if left:
            out.append(f"WholeOffers: allocation {res.unallocate()} of {aid} to role {role} "
                       f"left {left} that the role may use")
    return out


_WHY_HARD = frozenset({"agent_inactive", "no_available_resources", "reserved_for_other_roles",
                       "below_min_allocatable", "framework_inactive", "suppressed",
                       "offer_constraint", "decline_filter"})


def WhyAgrees(s: ClusterSnapshot) -> list[str]:
    """The allocator's explanation (`GET /master/why`) agrees with the cycle that follows it:
    no framework the cycle allocates an agent to was given a hard blocker there; on the first
    agent the cycle visits the framework it chooses first (and only it) is `next`, and every
    other framework not blocked there is told who goes first: the chosen role
    (`quota_of_other_role` when that role is below its guarantee and the framework's is not,
    else `drf_rank`), or the chosen framework of its own role (`drf_rank`), naming the chosen
    framework as the taker."""
    out = []
    for aid, role, fid, kind in s.why_allocated:
        if kind in _WHY_HARD or kind == "?":
            out.append(f"WhyAgrees: framework {fid} was allocated {aid} for role {role} but "
                       f"the explanation said {kind}")
    for aid, first, reasons in s.why_first:
        for fid, role, kind, message, ahead, below in reasons:
            if first is not None and (role, fid) == first[:2]:
                if kind != "next":
                    out.append(f"WhyAgrees: the cycle chose framework {fid} first on {aid} for "
                               f"role {role}; the explanation said {kind}")
                continue
            if kind == "next":
                out.append(f"WhyAgrees: the explanation said framework {fid} is next on {aid} "
                           f"for role {role}; the cycle chose {first}")
                continue
            if first is None or kind in _WHY_HARD:
                continue
            crole, cfid, cquota = first
            want = "drf_rank" if crole == role or not (cquota and not below) \
                else "quota_of_other_role"
            who = cfid if crole == role else crole
            if kind != want or not ahead or ahead[0][0] != who \
                    or f"framework {cfid}" not in message:
                out.append(f"WhyAgrees: on {aid} the cycle chose {cfid} for role {crole} "
                           f"first; framework {fid} (role {role}) was told {kind} "
                           f"{ahead[:1]} {message!r}")
    return out


# ------------------------------------------------------------------ liveness (at quiescence)
def EventuallyAcked(s: ClusterSnapshot) -> list[str]:
    """Once faults stop, every accepted update reaches the scheduler and is acked."""
    out = []
    for key, produced in s.produced.items():
        if key in s.abandoned or key[0] not in s.acking_frameworks:
            continue
        missing = [st.name for u, st in produced if (key[0], key[1], u) not in s.acked]
        if missing:
            out.append(f"EventuallyAcked: task {key[1]} updates {missing} never acked")
    return out


def EventuallyOffered(s: ClusterSnapshot) -> list[str]:
    """A framework with unmet demand that does not decline is offered resources."""
    return [f"EventuallyOffered: framework {fw} starved"
            for fw in sorted(s.hungry_frameworks - s.offered_frameworks)]


def EventuallyReregistered(s: ClusterSnapshot) -> list[str]:
    """After failover every live agent re-registers and every framework re-subscribes."""
    out = [f"EventuallyReregistered: agent {a} not registered"
           for a in sorted(s.live_agents - s.registered_agents)]
    out += [f"EventuallyReregistered: framework {f} not subscribed"
            for f in sorted(s.live_frameworks - s.subscribed_frameworks)]
    return out


# ------------------------------------------------------------------ scheduler driver (safety)
# Properties of one scheduler driver (core/scheduler.py) and its application, checked by the
# driver's stateful test and by the simulator on every call it sends. They are local to a
# framework (no other machine takes part), so they are not in the cluster catalog and not in
# the TLA+ specs.
def AckAfterDelivery(s: ClusterSnapshot) -> list[str]:
    """Every acknowledgement is of an update already handed to the application."""
    return [f"AckAfterDelivery: update {u.hex()[:8]} of task {t} acknowledged before the "
            f"application had it" for f, t, u in sorted(s.acked - s.delivered)]


def ResubscribeKeepsId(s: ClusterSnapshot) -> list[str]:
    """Once a driver knows its framework id, every SUBSCRIBE carries it and every SUBSCRIBED
    confirms it (a re-subscription never becomes a new framework)."""
    out = []
    for name, seq in s.framework_ids.items():
        known: str | None = None
        for kind, fid in seq:
            if known is not None and fid != known:
                out.append(f"ResubscribeKeepsId: driver {name} {kind} as {fid} after "
                           f"it was {known}")
                break
            if fid is not None:
                known = fid
    return out


def NoCallBeforeSubscribed(s: ClusterSnapshot) -> list[str]:
    """A driver sends no call but SUBSCRIBE before its stream delivered SUBSCRIBED."""
    return [f"NoCallBeforeSubscribed: driver {name} sent {call} before SUBSCRIBED"
            for name, calls in s.calls.items() for call, ok in calls if not ok]


def OperationsReported(s: ClusterSnapshot) -> list[str]:
    """Every offer operation a framework sent with an id ends in a terminal status that
    framework heard (OPERATION_UNKNOWN from a reconciliation counts: the master has no record;
    s17: so does OPERATION_GONE_BY_OPERATOR, terminal in Mesos: its agent was marked gone;
    and OPERATION_UNREACHABLE when the master never kept the operation and still books its
    agent unreachable, no live agent carrying that id: the truthful answer until the agent
    comes back)."""
    return [f"OperationsReported: operation {op} of framework {fw} never reported terminal"
            for (fw, op), st in sorted(s.operations.items()) if st is None]


# ------------------------------------------------------------------ issue 11: agent recovery
def ExecutorUpdatesDelivered(s: ClusterSnapshot) -> list[str]:
    """The executor side of EventuallyAcked: once faults stop and its agent is back, every
    update a live executor holds reaches the agent and is acknowledged to the executor
    (an update held for longer than the quiescence grace period is stranded)."""
    return [f"ExecutorUpdatesDelivered: executor {ex} still holds {state.name} of task "
            f"{task} {held:.0f} s after it was produced, its agent up"
            for ex, task, state, held in s.executor_held]


def ReconciliationAgrees(s: ClusterSnapshot) -> list[str]:
    """At quiescence, the leader's reconciliation answers agree with the agents' books: no
    TASK_UNREACHABLE for a task of a registered agent, and no live (non-terminal, reported)
    task on a registered agent that the agent does not know."""
    out = []
    for r in s.reconciliation:
        if not r.agent_registered:
            continue
        if r.answer is TaskState.TASK_UNREACHABLE:
            out.append(f"ReconciliationAgrees: task {r.task_id} answered TASK_UNREACHABLE "
                       f"although agent {r.agent_id} is registered "
                       f"(its books: {r.agent_state.name if r.agent_state else 'unknown'})")
        elif r.reported and not r.answer.is_terminal and r.agent_state is None:
            out.append(f"ReconciliationAgrees: task {r.task_id} answered {r.answer.name} on "
                       f"agent {r.agent_id}, which does not know it")
    return out


def TerminalReachesFramework(s: ClusterSnapshot) -> list[str]:
    """Once faults stop, a task that ended (terminal on its agent, or run by no live agent:
    lost, gone, dropped) has reached its framework as a terminal state (an update from the
    agent, or one the master generates: LOST, GONE, a reconciliation answer). Accepted
    instead: TASK_UNKNOWN for a task no agent runs, and TASK_UNREACHABLE for a task whose
    agent the master still books unreachable after that agent abandoned its id
    (`TaskView.agent_abandoned_unreachable`)."""
    out = []
    for v in s.framework_views:
        if v.framework_state.is_terminal:
            continue
        ended = v.agent_state is None or v.agent_state.is_terminal
        if v.agent_state is None and v.framework_state is _S.TASK_UNREACHABLE \
                and v.agent_abandoned_unreachable:
            continue  # the master's truthful answer (TaskView.agent_abandoned_unreachable)
        if ended and not (v.agent_state is None and v.framework_state is _S.TASK_UNKNOWN):
            why = "no live agent runs it" if v.agent_state is None else \
                f"its agent says {v.agent_state.name}"
            out.append(f"TerminalReachesFramework: task {v.key[1]} of {v.key[0]} still "
                       f"{v.framework_state.name} for its framework; {why}")
    return out


def FrameworkViewAgrees(s: ClusterSnapshot) -> list[str]:
    """At quiescence every framework's view of its live tasks agrees with the agents."""
    return [f"FrameworkViewAgrees: task {v.key[1]} of {v.key[0]} is "
            f"{v.framework_state.name} for its framework, {v.agent_state.name} on its agent"
            for v in s.framework_views
            if v.agent_state is not None and not v.agent_state.is_terminal
            and not v.framework_state.is_terminal and v.framework_state is not v.agent_state]


def KillsTakeEffect(s: ClusterSnapshot) -> list[str]:
    """A task whose KILL the master accepted and delivered to its agent ends shortly after
    (KILLED, or any terminal state): checked at quiescence over the whole run."""
    return [f"KillsTakeEffect: task {key[1]} of {key[0]} still {state.name} well after "
            f"its kill reached its agent"
            for key, state in s.kills if state is not None and not state.is_terminal]


def HealthChecksKill(s: ClusterSnapshot) -> list[str]:
    """The command executor kills a task for failing health checks exactly when the
    failures that count (after the grace period or a first success; a success resets them)
    reach `consecutive_failures`: never before, and not later."""
    out = []
    for key, counted, needed, killed in s.health_checks:
        if killed and counted < needed:
            out.append(f"HealthChecksKill: task {key[1]} of {key[0]} killed after {counted} "
                       f"counted failure(s), {needed} needed")
        elif not killed and counted >= needed:
            out.append(f"HealthChecksKill: task {key[1]} of {key[0]} not killed after {counted} "
                       f"counted failure(s) ({needed} needed)")
    return out


def AgentActivityAgrees(s: ClusterSnapshot) -> list[str]:
    """At quiescence the allocator offers exactly the agents the master considers usable:
    an agent is active in the allocator iff the leader has it connected, active and not
    deactivated by an operator (the ActivateAgent/DeactivateAgent books of the two
    machines agree)."""
    return [f"AgentActivityAgrees: agent {aid} is {'usable' if master else 'not usable'} "
            f"for the master but {'active' if allocator else 'inactive'} in the allocator"
            for aid, master, allocator in s.agent_activity if master != allocator]


# s13 mmaster
def AgentTotalsAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence the books of all parties agree on each agent's total: for every live
    agent the leader holds connected, the total the leader books (its AgentInfo, what
    /master/state shows) and the allocator's total for it equal the total the agent itself
    publishes (its /state `resources`: scalars and ranges, reservations summed). An agent
    restarted with more resources (the operator's host maintenance) is re-registered with
    the new total (Mesos's additive --reconfiguration_policy)."""
    return [f"AgentTotalsAgree: agent {aid}: the {party} books total {got}, the agent "
            f"publishes {want}" for aid, party, got, want in s.agent_totals]


# s13 mmaster
def MasterExecutorsAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence the leader's executor books agree with the agents': for every live
    agent the leader holds connected, every executor the agent runs (command executors
    aside: the agent makes those up for command tasks, the master never books them; and
    those of a framework the agent is shutting down: Mesos's Master::removeFramework stops
    booking them at once, s17 kdrive2) is booked by the leader on that agent, and the executors it books on the agent are the
    ones it books under their frameworks for that agent. (Not checked: an executor the
    leader books that the agent no longer runs; the master keeps executors a re-registering
    agent does not report, which Mesos's reconcileKnownSlave removes.)"""
    return [f"MasterExecutorsAgree: agent {aid} executor {ex}: {what}"
            for aid, ex, what in s.master_executors]


# s13 mmaster
def HeldOffersAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence every offer a subscribed framework holds (received on its current
    subscription and neither accepted, declined nor rescinded) is still held out to it by
    the leader, or the leader sent it a rescind (which the network may have lost): the
    master never takes an offer back silently (frameworks and master agree on what is
    offered). The simulator also checks it on every ACCEPT and DECLINE a master handles on
    the framework's current stream (an offer named for the first time, sent by that master
    on that stream, must still be held out or have been rescinded)."""
    return [f"HeldOffersAgree: framework {fid} holds offer {oid}, which the leader no "
            "longer holds out to it and never rescinded" for fid, oid in s.silently_taken_offers]


# s13 mmaster
def NoOffersOfDisconnectedAgents(s: ClusterSnapshot) -> list[str]:
    """A master offers only agents it holds registered, connected and active (Mesos
    deactivates an agent in the allocator when its connection breaks and activates it again
    when it re-registers): no offer is made of an agent whose connection the master has
    lost or that it does not hold."""
    return [f"NoOffersOfDisconnectedAgents: {m} offered {oid} of agent {aid}, which it holds "
            f"{state}" for m, oid, aid, state in s.disconnected_offers]


# s13 mmaster
def RegistryCountersAgree(s: ClusterSnapshot) -> list[str]:
    """The master's registrar metrics count what its registry commits did (what an operator
    reads in /metrics/snapshot): on each registry result a master handles without
    abdicating, master/slave_registrations grows by the agents it admitted (AgentRegistered
    sent), master/slave_reregistrations by the agents it readmitted (AgentReregistered
    sent), master/slave_unreachable_completed by the agents that entered its unreachable
    list, and master/registrar/batched_operations by the operations of the write it sends
    next."""
    return [f"RegistryCountersAgree: {m}'s {name} grew by {got:g} on a registry result; the "
            f"step did {want:g}" for m, name, got, want in s.registry_counters]


def WellFormedCallsAccepted(s: ClusterSnapshot) -> list[str]:
    """A well-formed scheduler call is never refused as malformed ("Failed to validate
    scheduler::Call", Mesos's `scheduler::call::validate`) and a well-formed task is never
    answered TASK_ERROR for its description (only for resources its offers did not hold):
    the simulated frameworks build only well-formed calls and TaskInfos, so any such answer
    is the master's validation being wrong; likewise an ACCEPT of offers the framework holds
    (all of one live agent and role) is never answered "launched with invalid offers".
    `refused_calls` rows: (framework, HTTP status, message); status 0 for a TASK_ERROR
    update, -1 for an invalid-offers answer."""
    return [f"WellFormedCallsAccepted: {who} was refused"
            + (" (invalid offers)" if status == -1 else f" {status}" if status
               else " (TASK_ERROR)") + f": {message}"
            for who, status, message in s.refused_calls]


def NoOffersToInactive(s: ClusterSnapshot) -> list[str]:
    """A framework the master deactivated (its stream ended) holds no outstanding offer:
    the master takes its offers back (rescinds them) as it deactivates it."""
    return [f"NoOffersToInactive: offer {oid} still out to inactive framework {fid}"
            for fid, oid in s.inactive_offers]


# ------------------------------------------------------------------ s11: master books
def TaskStatesAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence, for every task of a registered agent with no status update in flight
    (the agent's stream for it fully acknowledged, nothing produced or launched within the
    grace period), the leader's state for the task is the agent's (the agent sends its
    latest state with every update; a re-registration reports every task)."""
    return [f"TaskStatesAgree: task {key[1]} on agent {aid}: the master books "
            f"{ms.name}, the agent {st.name}"
            for key, aid, ms, st in s.task_states if ms is not st]


def ReconcileAnswered(s: ClusterSnapshot) -> list[str]:
    """An explicit reconciliation the leader accepts is answered at once, one update per
    task it names (Mesos `_reconcileTasks`), unless the answer is deferred because the agent
    named (for a task named without an agent: any agent) is recovering after a failover,
    re-registering or being marked unreachable."""
    return [f"ReconcileAnswered: framework {fid} reconciled task {tid} (agent {aid}) and "
            f"got no answer, with no agent recovering"
            for fid, tid, aid in s.reconcile_unanswered]


def AckedTerminalTaskRemoved(s: ClusterSnapshot) -> list[str]:
    """When a scheduler acknowledges the terminal update the master forwarded for a task (its
    uuid is the task's `status_update_uuid`), the master removes the task from its live books
    in the same step (Mesos MESOS-1389/1410: until then it is kept, listed and reconciled);
    (s23) a terminal task so removed becomes its framework's newest completed task (Mesos
    Master::removeTask -> Framework::addCompletedTask: /master/state's completed_tasks)."""
    return [f"AckedTerminalTaskRemoved: task {tid} of framework {fid} on agent {aid} is kept "
            f"after its terminal update was acknowledged"
            for fid, tid, aid in s.acked_terminal_kept] + [
        f"AckedTerminalTaskRemoved: task {tid} of framework {fid} on agent {aid} left the "
        f"master's books on its acknowledgement but is not among the framework's completed "
        f"tasks" for fid, tid, aid in s.acked_terminal_uncompleted]


def DescribeAgrees(s: ClusterSnapshot) -> list[str]:
    """At quiescence, each machine's canonical `describe()` (what the exhaustive explorer
    deduplicates states by, and what scenario tests and traces read) states its books: the
    allocator one line per framework (roles, inactive, suppressed roles) and per agent
    (inactive, total, available, each framework's allocation), the agents' status-update
    managers one line per stream (in flight until its retry timer, or idle)."""
    out = []
    for what, text, must, never in s.describes:
        lines = text.split("\n")
        for want in must:
            if not any(line == want or line.startswith(want + " ") for line in lines):
                out.append(f"DescribeAgrees: {what}: no line {want!r}")
        for bad in never:
            if any(line.startswith(bad) for line in lines):
                out.append(f"DescribeAgrees: {what}: a line {bad!r}...")
    return out


def InvalidOffersRefused(s: ClusterSnapshot) -> list[str]:
    """An ACCEPT whose offers are not valid together (one the master no longer holds out to
    that framework, a duplicate, offers of two agents or two roles, an agent gone: Mesos's
    `validation::offer::validate`) launches nothing and answers each of its tasks as dropped
    for invalid offers (TASK_DROPPED, TASK_LOST for frameworks not partition-aware)."""
    return [f"InvalidOffersRefused: framework {fid}: {what}" for fid, what in s.invalid_accepts]


def SubscribeTakesInfo(s: ClusterSnapshot) -> list[str]:
    """Once the master answers a SUBSCRIBE with SUBSCRIBED, its FrameworkInfo for that
    framework is the one subscribed (a re-subscription updates name, roles, failover timeout,
    capabilities...; Mesos keeps only `user` and `checkpoint` from the first one), and its
    registration time is the framework's first subscription to this master (kept by a
    re-subscription; set by the first one of a new framework or of one the master recovered
    from its agents)."""
    return [f"SubscribeTakesInfo: framework {fid} subscribed with {field}={sent} but the "
            f"master keeps {field}={kept}" for fid, field, kept, sent in s.stale_infos]


def MalformedCallsRefused(s: ClusterSnapshot) -> list[str]:
    """A malformed scheduler call (a LAUNCH carrying something that is not a TaskInfo) is
    answered 400 "Failed to validate scheduler::Call" and changes nothing: the master's step
    has no other effect (no launch, no update, no offer taken back)."""
    return [f"MalformedCallsRefused: framework {fid}'s malformed {call} was {what}"
            for fid, call, what in s.malformed_answers]


def NoRescindOfReturnedOffers(s: ClusterSnapshot) -> list[str]:
    """An offer a framework gave back (it accepted or declined it) is not rescinded: a
    rescind takes back an offer the framework still holds (Mesos's `Master::accept` and
    `decline` recover the resources without a RescindResourceOfferMessage)."""
    return [f"NoRescindOfReturnedOffers: offer {oid} rescinded from framework {fid}, which "
            f"had just accepted or declined it" for fid, oid in s.rescinded_returned]


def AgentDisconnectionNoticed(s: ClusterSnapshot) -> list[str]:
    """Once the master handles the loss of an agent's connection, it counts the agent
    disconnected (until it re-registers) and holds no offer of it (they are rescinded)."""
    return [f"AgentDisconnectionNoticed: agent {aid} lost its connection but the master "
            f"{what}" for aid, what in s.unnoticed_disconnections]


def NoOffersOfDeactivatedAgents(s: ClusterSnapshot) -> list[str]:
    """No master offers an agent the operator deactivated or is draining (DEACTIVATE_AGENT or
    DRAIN_AGENT answered 200, no REACTIVATE_AGENT sent since): the settings are in the
    registry, so a new leader must hold them too (Mesos: a deactivated or draining agent
    is not offered)."""
    return [f"NoOffersOfDeactivatedAgents: {master} offered agent {aid} ({oid}) while the "
            f"operator holds it out ({kind})" for master, oid, aid, kind in s.offers_of_deactivated]


def DrainEmptiesAgent(s: ClusterSnapshot) -> list[str]:
    """An agent the operator drains (DRAIN_AGENT answered 200, not reactivated) stops its
    tasks: those it ran when the drain was acknowledged have ended 20 s later when no fault
    happened in between (the master kills them; Mesos `drainAgent`)."""
    return [f"DrainEmptiesAgent: drained agent {aid} still runs {', '.join(live)} 20 s "
            f"after the drain was acknowledged" for aid, live in s.drained_agents if live] + [
        # s14 kops: a drain with mark_gone ends with the agent marked gone
        f"DrainEmptiesAgent: agent {aid}, drained with mark_gone, is DRAINED but not marked gone"
        for aid in s.drained_not_gone]


def InvalidOperatorCallsRefused(s: ClusterSnapshot) -> list[str]:
    """An invalid operator call (quota guarantees above the cluster's capacity without
    force, a guarantee above its limit, a weight that is not positive or for role '*', a
    negative drain grace period, an unknown agent, a TEARDOWN of an unknown framework) is
    refused: 400 with a message (or 503 from a master that is not leading), never accepted."""
    return [f"InvalidOperatorCallsRefused: {what} was answered {status}"
            + (" without a message" if status == 400 else f" '{message}'")
            for what, status, message in s.invalid_operator_answers
            if not ((status == 400 and message) or status == 503)]
# ------------------------------------------------------------------ s11: agent books
def CheckpointAgrees(s: ClusterSnapshot) -> list[str]:
    """An agent's checkpoint, replayed through recovery, rebuilds its live books: the
    checkpointed frameworks, executors and tasks on disk are exactly those the agent holds
    (of checkpointing frameworks; a task whose log shows its terminal update acknowledged is
    complete and never held), and each checkpointed update stream's unacknowledged
    updates on disk are the ones it holds (an acknowledgement it took is on disk: an acked
    update is never re-sent after a restart; s17 kdrive2: not the stream of a task of a
    framework being shut down that was dropped with its removed executor, which Mesos keeps
    in memory until the framework goes while recovery skips it). The simulator checks it on
    every agent right after it starts (recovers), just before it crashes (its unsynced
    writes included) and at quiescence."""
    out = []
    for agent, book, live, disk in s.checkpoint_books:
        if live != disk:
            only_live = sorted(map(str, live - disk))[:3]
            only_disk = sorted(map(str, disk - live))[:3]
            out.append(f"CheckpointAgrees: agent {agent} {book}: held but not checkpointed "
                       f"{only_live}, checkpointed but not held {only_disk}")
    return out


def ExecutorBooksAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence each live agent's executor books agree with the processes that really
    run: every booked executor is indexed by its container, a subscribed one by its pid and
    booked running (or terminating); an executor not booked terminated has a live process
    (dead for at most 5 s: its exit is on its way); a process running tasks is
    booked live, and each task it runs is booked non-terminal; a terminated executor holds
    no non-terminal task; a task whose terminal update was acknowledged is completed (not
    still held); an idle command executor has its idle shutdown armed; the container's
    resources the shell was last told are the booked ones; an executor that does not register
    within the registration timeout, or does not exit within the shutdown grace period, is
    killed (not still alive 10 s past that deadline); the executors_terminated counter equals the terminations (DestroyContainer
    effects) since the agent started."""
    out = []
    for b in s.executor_books:
        where = f"ExecutorBooksAgree: agent {b.agent} container {b.container[:8]}"
        if b.state is None:
            if b.in_by_container:
                out.append(f"{where}: by_container names an executor the agent does not hold")
            elif b.process == "alive":
                out.append(f"{where}: a live executor process the agent does not book")
            continue
        if not b.in_by_container:
            out.append(f"{where}: booked {b.state} but missing from by_container")
        if b.pid != b.in_by_pid:
            out.append(f"{where}: pid held {b.pid} but indexed in by_pid {b.in_by_pid}")
        if b.pid and b.state not in ("running", "terminating"):
            out.append(f"{where}: subscribed but booked {b.state}")
        if b.state in ("registering", "running", "terminating") and b.process != "alive" \
                and not (b.process == "dead" and b.dead_for <= 5.0):
            out.append(f"{where}: booked {b.state} but its process is {b.process}")
        if b.state == "terminated" and b.process == "alive":
            out.append(f"{where}: booked terminated but its process runs")
        if b.state == "terminated" and b.open_tasks:
            out.append(f"{where}: terminated with {b.open_tasks} non-terminal task(s)")
        if b.closed_tasks:
            out.append(f"{where}: {b.closed_tasks} task(s) acknowledged terminal, never "
                       f"completed")
        if b.idle_unarmed:
            out.append(f"{where}: idle command executor with no idle shutdown armed")
        if b.overdue:
            out.append(f"{where}: still booked {b.state}, its process alive, {b.overdue:.0f} s "
                       f"past its deadline (never killed)")
        if not b.container_resources:
            out.append(f"{where}: the container's resources are not the booked ones")
        if b.running_booked_ended:
            out.append(f"{where}: task process(es) {list(b.running_booked_ended)[:3]} run "
                       f"but the agent books them ended")
    for agent, name, value, seen in s.agent_counters:
        if value != seen:
            out.append(f"ExecutorBooksAgree: agent {agent} counter {name} = {value}, "
                       f"{seen} counted in its effects")
    return out


def AgentUpdatesTruthful(s: ClusterSnapshot) -> list[str]:
    """What an agent says in a status update about itself is true: the update names the
    agent (its agent id), and an update ending a task because its executor terminated
    (REASON_EXECUTOR_TERMINATED), or as killed before it reached its executor
    (REASON_TASK_KILLED_DURING_LAUNCH, s13), comes when that executor's process does not run
    the task."""
    out = []
    for agent, task, named, own, still_running in s.agent_updates:
        if named != own:
            out.append(f"AgentUpdatesTruthful: agent {agent} ({own}) sent an update of task "
                       f"{task} naming agent {named}")
        if still_running:
            out.append(f"AgentUpdatesTruthful: agent {agent} ended task {task} for its "
                       f"executor's termination (or as killed during launch) while the "
                       f"executor runs it")
    return out


def PrincipalsChecked(s: ClusterSnapshot) -> list[str]:
    """A SUBSCRIBE from an authenticated caller whose FrameworkInfo claims another principal
    is refused (400, Mesos's "Authenticated principal ... does not match principal ..."); one
    claiming the same principal or none is not refused for its principal, and once answered
    SUBSCRIBED the master's FrameworkInfo carries the authenticated principal."""
    return [f"PrincipalsChecked: framework {name} authenticated as {principal!r}: {what}"
            for name, principal, what in s.principal_answers]


def MalformedAgentMessagesRefused(s: ClusterSnapshot) -> list[str]:
    """A malformed internal message from an agent-side peer (a RegisterAgent without an
    AgentInfo) is rejected with status 400 (`Reject`, which the shell logs) and changes
    nothing: the master's step has no other effect. A status update from a registered
    agent's address naming another agent id is dropped: log lines only."""
    return [f"MalformedAgentMessagesRefused: {sender}'s malformed {msg}: {what}"
            for sender, msg, what in s.malformed_agent_answers]


def NoSendWithoutPeer(s: ClusterSnapshot) -> list[str]:
    """The master never emits a Send without an addressee: an event for a framework that
    has no subscription stream (disconnected) is not sent at all (Mesos drops it; the
    framework learns by reconciling when it re-subscribes)."""
    return [f"NoSendWithoutPeer: {master} sent a {msg} to no one (a disconnected framework?)"
            for master, msg in s.unaddressed_sends]


def OperatorViewsAgree(s: ClusterSnapshot) -> list[str]:
    """The leader's operator views agree with each other and with what the simulator knows
    itself: /metrics/snapshot's task counts per state with /master/state and the task view,
    its agent / framework / offer counts and cpus/gpus/mem/disk total, used and percent
    gauges with /master/state; each agent's resources in /master/state are its configured
    `--resources`; at quiescence, each agent's drain_info / deactivated flag and the
    weights and quota the master reports are what the operator's answered calls set."""
    return [f"OperatorViewsAgree: {who}: {what}" for who, what in s.operator_views]


def WhyExplains(s: ClusterSnapshot) -> list[str]:
    """The leader's `why` answer for a framework (GET /master/why) gives the first verdict
    of its documented order that the master's views and the answer's own per-agent reasons
    select (inactive, holds_offers, no_agents, offered_next, waiting_for_drf, blocked;
    completed for a removed framework, unknown for an id never seen), and its summary
    states the counts it rests on; a framework subscribed to the leader is not inactive."""
    return [f"WhyExplains: framework {fid} answered {verdict}: {what}"
            for fid, verdict, what in s.why_answers]


def OperationFeedbackAgrees(s: ClusterSnapshot) -> list[str]:
    """Offer-operation feedback as Mesos gives it: an operation its framework knows to be
    invalid is answered OPERATION_ERROR at once, never PENDING or FINISHED, a valid one never
    OPERATION_ERROR; a
    RECONCILE_OPERATIONS is answered one status per operation asked (all the master keeps
    when none is named), without a uuid, the latest state of a kept operation, else
    GONE_BY_OPERATOR / UNREACHABLE / RECOVERING / UNKNOWN by its agent; acknowledging the
    latest terminal status makes the master forget the operation, another uuid changes
    nothing."""
    return [f"OperationFeedbackAgrees: framework {fid} {call}: {what}"
            for fid, call, what in s.operation_feedback]


def UnauthorizedOperatorCallsRefused(s: ClusterSnapshot) -> list[str]:
    """With --acls, an operator call by a principal the ACLs deny (the simulated operator run
    lets no `intruder` write weights) is answered 403 "403 Forbidden." (503 by a master not
    leading) and changes nothing: the weight it asked for is not in force."""
    return [f"UnauthorizedOperatorCallsRefused: {what}" for what in s.forbidden_answers]
# ------------------------------------------------------------------ s12: agent views
def AgentViewsAgree(s: ClusterSnapshot) -> list[str]:
    """What each live agent publishes about itself (its /state document, /metrics, the
    `executors` and `tasks` views the shell serves) is true: its id is the one the leader
    registered it under; its resources are its flags' resources (every scalar, every range),
    split without loss into reserved and unreserved; every live executor process of the
    agent is listed under its framework with its sandbox directory (work dir, agent,
    framework, executor, container); every task process running there is listed
    non-terminal; the task-state and executor-state metrics count what /state and the
    `executors` view list; slave/registered is 1 exactly when the leader has it connected;
    /state lists no framework without executors (a framework goes with its last executor)
    and the agent holds no status-update stream of an executor's task of a framework it no
    longer has."""
    return [f"AgentViewsAgree: agent {agent} {what}: expected {want}, published {got}"
            for agent, what, want, got in s.agent_views if want != got]


def HostileExecutorInputRefused(s: ClusterSnapshot) -> list[str]:
    """A call to an agent's executor API by a process that is no executor of the agent is
    refused and changes nothing: a SUBSCRIBE naming a framework or executor the agent does
    not know, and an UPDATE or MESSAGE naming one, get one `Reject` 400; an UPDATE or
    MESSAGE naming a known executor from a caller that never subscribed as it gets one
    `Reject` 403; the step has no other effect."""
    return [f"HostileExecutorInputRefused: agent {agent}: a hostile {msg}: {what}"
            for agent, msg, what in s.hostile_executor_answers]


def AgentShutdownCompletes(s: ClusterSnapshot) -> list[str]:
    """An agent the operator shuts down (Mesos: SIGUSR1) unregisters from the master when
    it is registered (one UnregisterAgent naming its id; none when it is not), shuts its
    executors down and stops within 30 s (the simulator: unless it crashed meanwhile)."""
    return [f"AgentShutdownCompletes: agent {agent} {what}" for agent, what in s.agent_shutdowns]


def RebootRecovery(s: ClusterSnapshot) -> list[str]:
    """After its host rebooted (a new boot id), an agent recovering in reconnect mode keeps
    its id when its AgentInfo (hostname, resources, attributes) is unchanged or only grew
    (s17: Mesos's additive reconfiguration policy) and starts as a new agent when it changed
    otherwise (Mesos SlaveRecoveryTest.Reboot, RebootWithSlaveInfoMismatch);
    it never signals a container whose executor died in the reboot (its pid may be another
    process's now: SlaveRecoveryTest.RebootWithExecutorPidReused)."""
    return [f"RebootRecovery: agent {agent} {what}" for agent, what in s.reboot_recoveries]


def LimitationsEnforced(s: ClusterSnapshot) -> list[str]:
    """Containers are held to what their tasks asked for, and a container over its memory
    limit is dealt with as Mesos does: the limits the isolator sets on a command executor's
    container cover its tasks' memory and cpus; a task whose nested container hit its memory
    limit is no longer live in its agent's books, each update ending it is TASK_FAILED from
    the agent with REASON_CONTAINER_LIMITATION_MEMORY and Mesos's message ("Memory limit
    exceeded: Requested: <bytes> Maximum Used: <bytes>", then the memory statistics); an
    executor whose whole container hit it is SIGKILLed and no longer booked running."""
    return [f"LimitationsEnforced: agent {agent} {what}" for agent, what in s.limitations]


# s14 kagent
def MessagesRelayed(s: ClusterSnapshot) -> list[str]:
    """s16: framework messages travel as Mesos relays them (core/sim/checks_messages.py):
    a MESSAGE call reaches the agent it names when the master holds it connected, the agent
    hands it to the executor when agent, framework and executor run, the executor's answer
    reaches the framework's stream when the sender is a registered agent and the framework
    is connected; data unchanged, each exactly once, every drop counted as invalid and every
    delivery as valid, and a framework hears only echoes of messages it sent."""
    return [f"MessagesRelayed: {where} {what}" for where, what in s.relayed_messages]


def UpdateRetriesBackOff(s: ClusterSnapshot) -> list[str]:
    """An agent resends an unacknowledged status update on Mesos's schedule
    (STATUS_UPDATE_RETRY_INTERVAL_MIN 10 s, doubling, at most _MAX 10 min): an update it
    forwards afresh (a new head, after an acknowledgement, on (re-)registration) is retried
    10 s later; each retry arms the next one twice the previous interval later, capped at
    10 min; a retry fires no earlier than it was armed for, and a retry timer is armed
    only with the update it retries (a Send of that task's head) and only while the agent
    is registered (Mesos pauses the status-update manager when the agent loses its master,
    and resumes it on (re-)registration)."""
    return [f"UpdateRetriesBackOff: agent {agent} {what}" for agent, what in s.update_retries]


# s14 kagent
def ExecutorLaunchesAgree(s: ClusterSnapshot) -> list[str]:
    """An agent hands its executors their tasks as the framework launched them: every task
    it sends an executor is one it books under that executor, a task launched alone in
    one LAUNCH, the tasks of a group launched together (LAUNCH_GROUP) in one LAUNCH_GROUP
    holding only tasks of that group, and no task twice in one step (Mesos: a plain
    executor never sees a group it did not get; an executor must not get a task twice)."""
    return [f"ExecutorLaunchesAgree: agent {agent} {what}" for agent, what in s.executor_launches]


def SandboxesCollected(s: ClusterSnapshot) -> list[str]:
    """A removed executor's run directory (sandbox) is garbage-collected gc_delay after its
    removal, a restart of the agent in between included (the pending collection is
    checkpointed; a restart reschedules it gc_delay after the start), and a sandbox is never
    collected while the agent still books its executor."""
    return [f"SandboxesCollected: agent {agent} {what}" for agent, what in s.sandbox_collections]


def ExecutorReasonsTruthful(s: ClusterSnapshot) -> list[str]:
    """An update ending a task for its executor's end names the real cause: a task whose
    executor the agent SIGKILLed because it never registered (no SUBSCRIBE answered, killed
    the registration timeout after its launch by the agent that launched it) ends with
    REASON_EXECUTOR_REGISTRATION_TIMEOUT, not REASON_EXECUTOR_TERMINATED;
    REASON_EXECUTOR_REGISTRATION_TIMEOUT is never given for an executor that subscribed; and
    REASON_AGENT_RESTARTED only for a task whose executor an earlier incarnation of the agent
    launched (a live executor that merely reconnects gets its undelivered tasks again)."""
    return [f"ExecutorReasonsTruthful: agent {agent} {what}" for agent, what in s.executor_reasons]


def _short(uuids: list[bytes]) -> list[str]:
    return [u.hex()[:8] for u in uuids]


Check = Callable[[ClusterSnapshot], list[str]]

def ForgedAgentMessagesIgnored(s: ClusterSnapshot) -> list[str]:
    """A well-formed agent message the master must not act on changes nothing (log lines
    only): a RegisterAgent whose version is unparsable or older than 1.0.0 (Mesos's
    MINIMUM_AGENT_VERSION: MasterTest.IgnoreOldAgentRegistration), and an UnregisterAgent
    naming an agent id from a pid that is not that agent's (Mesos `unregisterSlave` ignores
    it)."""
    return [f"ForgedAgentMessagesIgnored: {sender}'s {msg}: {what}"
            for sender, msg, what in s.forged_agent_answers]


def UnresponsiveAgentsRemoved(s: ClusterSnapshot) -> list[str]:
    """An agent that has answered no ping for longer than agent_ping_timeout x
    (max_agent_ping_timeouts + 1) (plus the network's slack) while one master led
    throughout is, at the leader, unreachable, being marked unreachable, or waiting for its
    --agent_removal_rate_limit permit (Mesos's health checks: SlaveObserver)."""
    return [f"UnresponsiveAgentsRemoved: agent {aid} silent for {secs:.1f}s but the leader "
            f"holds it {what}" for aid, secs, what in s.unremoved_agents]


def MasterUpdatesSent(s: ClusterSnapshot) -> list[str]:
    """The master's own updates reach the frameworks it changes tasks for: when it removes an
    agent (unreachable, or unregistered: gone), every connected framework is sent an update
    for each of its live tasks there (TASK_UNREACHABLE / TASK_GONE, TASK_LOST for frameworks
    that are not partition-aware); when it readmits an agent it held unreachable, every
    connected framework is sent the current state of each of its unreachable tasks the agent
    reported, and the master keeps none of that agent's tasks the agent did not report
    booked unreachable (Mesos >= 1.5, `__reregisterSlave`)."""
    return [f"MasterUpdatesSent: agent {aid}: task {tid} of {fid} {what}"
            for aid, fid, tid, what in s.unsent_master_updates]


def RemovalsRateLimited(s: ClusterSnapshot) -> list[str]:
    """With --agent_removal_rate_limit N/d, a leader marks agents unreachable (health checks
    failed, not back after a failover or a disconnection) at most once every d/N seconds
    (libprocess RateLimiter: one permit per interval; a canceled removal spends its
    permit)."""
    return [f"RemovalsRateLimited: {mid} marked an agent unreachable {secs:.3f}s after the "
            f"previous one (limit: one per {interval:g}s)" for mid, secs, interval in s.fast_removals]


def AgentsHealthChecked(s: ClusterSnapshot) -> list[str]:
    """Every agent the leader holds registered is under its health checks: a connected one
    not being removed has its ping timer armed; one waiting for a removal permit has the
    permit's timer armed (a removal canceled because the agent answered again restarts its
    pings)."""
    return [f"AgentsHealthChecked: agent {aid} {what}" for aid, what in s.unchecked_agents]


def RemovedAgentsForgotten(s: ClusterSnapshot) -> list[str]:
    """Once the master removes an agent (unreachable, or gone) it books nothing of it: not
    registered, no pid, no framework's executor or live task on it, no offer of it; and its
    metric master/slave_removals counts each removal (Mesos `__removeSlave`)."""
    return [f"RemovedAgentsForgotten: agent {aid} {what}" for aid, what in s.unforgotten_agents]


def OffersNeedACause(s: ClusterSnapshot) -> list[str]:
    """Offers come from an allocation cycle with a cause (Mesos's allocator runs on its
    allocation interval and when resources, agents, frameworks or roles change: a freed
    resource, a new agent, a revive...): a master step handling an agent's Pong, a ping
    timer or a framework heartbeat timer makes no offer."""
    return [f"OffersNeedACause: {mid} made {n} offer(s) handling a {what}"
            for mid, what, n in s.uncaused_offers]


def NoOffersOutsideWhitelist(s: ClusterSnapshot) -> list[str]:
    """With a --whitelist file, the leader offers only agents whose hostname it lists (Mesos
    --whitelist: a master elected later applies the file too; a change of the file applies
    at once)."""
    return [f"NoOffersOutsideWhitelist: {mid} offered {oid} of host {host}, which the "
            f"--whitelist leaves out" for mid, oid, host in s.unlisted_offers]


# s13 mops
def HostileCallsRefused(s: ClusterSnapshot) -> list[str]:
    """A scheduler call from a hostile HTTP client (no Mesos-Stream-Id) changes nothing: it
    is refused (4xx; 503 by a master that does not lead) and the answer is the master's
    only effect. (Whether it is refused as malformed exactly when it is malformed is
    MalformedCallsRefused's and WellFormedCallsAccepted's: core/sim/hostile.py.)"""
    return [f"HostileCallsRefused: framework {fid}: {call}: {what}"
            for fid, call, what in s.hostile_call_answers]


def MasterDescribeAgrees(s: ClusterSnapshot) -> list[str]:
    """The leader's canonical `describe()` (what the exhaustive explorer deduplicates
    states by, what `mesotron sim` traces and scenario tests read) states its books, one
    exact line per item: per framework (name, connected or not, active or not, recovered,
    suppressed roles, roles) its live tasks (agent, state, last update and its uuid,
    resources), unreachable and completed tasks, offers (agent, role, resources) and
    executors; per agent (hostname, pid, connected, active, total, used, offered) its kills
    pending; the agents recovered, unreachable, gone, registering, re-registering, being
    removed or pruned; the registrar's write in flight; the completed frameworks."""
    out = []
    for what, text, must, never in s.master_describes:
        lines = text.split("\n")
        have = set(lines)
        for want in must:
            if want not in have:
                out.append(f"MasterDescribeAgrees: {what}: no line {want!r}")
        for bad in never:
            if any(line.startswith(bad) for line in lines):
                out.append(f"MasterDescribeAgrees: {what}: a line {bad!r}...")
        if len(lines) != len(have):
            out.append(f"MasterDescribeAgrees: {what}: a line twice")
    return out


def OperatorReservationsApplied(s: ClusterSnapshot) -> list[str]:
    """An operator's RESERVE_RESOURCES / UNRESERVE_RESOURCES of an agent the leader knows is
    applied at once or refused 409: when what it converts (the unreserved resources a
    RESERVE reserves, the reserved ones an UNRESERVE gives back) is available once the
    agent's offers are rescinded, the agent's total becomes total - consumed + converted in
    the master's and the allocator's books, its dynamic reservations go to the registry (the
    200 waits for that write) and a connected agent is told all of them
    (CheckpointResources); otherwise it is answered 409 and nothing changes. An unknown
    agent is a 400."""
    return [f"OperatorReservationsApplied: agent {aid}: {what}"
            for aid, what in s.operator_reservations]


def OperatorCallsAnswered(s: ClusterSnapshot) -> list[str]:
    """Every operator call a master takes is answered exactly once (Mesos's HTTP endpoints
    answer every request): never twice, and, once faults stop, a call taken by a master that
    still runs and leads is answered (a call that changes durable state after its registry
    write commits); a valid call (a weight, a quota with force, DEACTIVATE / REACTIVATE /
    DRAIN of an agent, TEARDOWN of a framework) is answered 200 (503 by a master that does
    not lead; 400 only for an agent or framework the master does not know)."""
    return [f"OperatorCallsAnswered: request {req}: {what}" for req, what in s.operator_answers]


def SettingsAgree(s: ClusterSnapshot) -> list[str]:
    """At quiescence the books of the operator's durable settings agree: the leader's
    settings (weights, quota, drains, deactivations, dynamic reservations, unacknowledged
    operations) are the registry's committed ones (no registry write pending), and every
    live agent the leader holds connected has checkpointed exactly the dynamic reservations
    the leader books for it (the agent reports its total with them)."""
    return [f"SettingsAgree: {what} ({who}): expected {want}, found {got}"
            for what, who, want, got in s.settings_books]


def WithdrawnOffersRescinded(s: ClusterSnapshot) -> list[str]:
    """An offer the leader stops holding out to a connected framework is given back by the
    framework (ACCEPT / DECLINE) or rescinded (RescindResourceOffer on the framework's
    stream): the master never takes an offer back silently (its framework would build on
    resources it no longer has). A framework that failed over (another stream) or was
    removed is not told (Mesos discards those offers)."""
    return [f"WithdrawnOffersRescinded: offer {oid} taken back from framework {fid} without "
            f"a rescind" for fid, oid in s.unrescinded_offers]
# s13 malloc
def AllocatorLedgersAgree(s: ClusterSnapshot) -> list[str]:
    """The allocator's running books are the recount of its per-agent allocations: per
    framework and role, per framework and per role (integer milli-units, exactly); the
    cluster total is the sum of its agents' totals; and the roles it holds below their quota
    guarantee (visited in the quota stage) are exactly those whose allocation is below it.
    (Its shares are sorted from these books; a drift skews every later cycle.)"""
    return [f"AllocatorLedgersAgree: {what}: the allocator books {booked} but its "
            f"allocations give {recount}" for what, booked, recount in s.allocator_ledgers]


# s14 kalloc
def AllocatorSettingsAgree(s: ClusterSnapshot) -> list[str]:
    """The leader's allocator sorts and caps by the operator's settings in force at the
    leader: per role its weight (the operator's committed UPDATE_WEIGHTS value, else the
    configured --weights one, else 1), its quota guarantee and its quota limit (the committed
    UPDATE_QUOTA config; none once the operator removed it), in integer milli-units."""
    return [f"AllocatorSettingsAgree: {what}: the allocator uses {used} but the leader's "
            f"settings say {want}" for what, used, want in s.allocator_settings]


# s14 kalloc
def NothingLeftOfferable(s: ClusterSnapshot) -> list[str]:
    """An allocation cycle leaves nothing offerable behind (Mesos's allocator offers every
    agent's available resources each cycle): right after a cycle, no active agent keeps
    resources that a role may use there (unreserved or reserved to it, cut to its quota
    limit's headroom) meeting a --min_allocatable_resources alternative while a framework of
    that role could take them (active, not suppressed for the role, its offer constraints
    accept the agent, no unexpired decline filter of it covers them)."""
    return [f"NothingLeftOfferable: agent {aid} keeps {res} that role {role} may be offered "
            f"and framework {fid} may take, after the allocation cycle"
            for aid, role, fid, res in s.left_offerable]
# s14 kmaster
def AnsweringAgentsKept(s: ClusterSnapshot) -> list[str]:
    """The master's health check marks an agent unreachable only after it missed
    max_agent_ping_timeouts CONSECUTIVE pings: when a master marks an agent unreachable for
    a timed-out health check, it has handled no Pong from it (and not (re-)registered it)
    for max_agent_ping_timeouts x agent_ping_timeout seconds (Mesos's SlaveObserver resets
    its count of timeouts on every pong). An agent that answers pings is kept, whatever
    pings the network lost earlier."""
    return [f"AnsweringAgentsKept: {m} marks agent {aid} unreachable for its health check "
            f"{ago:g} s after it last heard from it" for m, aid, ago in s.answering_agents_marked]


# s14 kmaster
def TornDownFrameworksClosed(s: ClusterSnapshot) -> list[str]:
    """A framework's TEARDOWN that the master answers 202 removes the framework at once
    (Mesos `Master::teardown` -> removeFramework): the same step closes the framework's
    subscription stream and sends nothing more on it (its offers are taken back without
    rescinds: nobody is there to read them)."""
    return [f"TornDownFrameworksClosed: framework {fid}: {what}" for fid, what in s.teardown_answers]


# s14 kmaster
def MasterBooksIndexed(s: ClusterSnapshot) -> list[str]:
    """The leader's books index each record the same way from both sides (core/master/
    model.py): a task booked under an agent is booked under its framework (when the master
    holds the framework) and the other way round, each the same record; an outstanding offer
    is held under its framework and its agent and each offer those hold is outstanding; an
    agent's pid leads to it. A re-registering agent's tasks are thereby known to their
    frameworks (reconciliation, TEARDOWN and /state read the framework's books)."""
    return [f"MasterBooksIndexed: {what}: {detail}" for what, detail in s.master_indexes]


# s14 kmaster
def RegistryGcPrunes(s: ClusterSnapshot) -> list[str]:
    """The registry's garbage collection (Mesos --registry_gc_interval,
    --registry_max_agent_age) runs every interval on the leader and prunes the unreachable
    and gone agents older than the maximum age: at quiescence the leader keeps no such entry
    more than one interval (and a few seconds for the registry write) past its due time
    (which is at the earliest one interval after the leader was elected)."""
    return [f"RegistryGcPrunes: agent {aid} is still in the leader's {where} list {late:g} s "
            "after the registry GC should have pruned it" for aid, where, late in s.registry_gc_overdue]


# s14 kmaster
def UnreregisteredAgentsMarked(s: ClusterSnapshot) -> list[str]:
    """An agent the registry lists as admitted when a master is elected must re-register
    within agent_reregister_timeout, or the master marks it unreachable (Mesos
    `recoveredSlavesTimeout`; its tasks become TASK_UNREACHABLE for their frameworks): at
    quiescence the leader waits for no recovered agent past that deadline (and a few seconds)
    unless its removal is under way (waiting for a removal permit, or being written)."""
    return [f"UnreregisteredAgentsMarked: the leader still waits for recovered agent {aid} "
            f"{late:g} s after its re-registration deadline" for aid, late in s.unreregistered_agents]


SAFETY: dict[str, Check] = {
    "NoOvercommit": NoOvercommit,
    "OfferExclusive": OfferExclusive,
    "LegalTaskTransitions": LegalTaskTransitions,
    "UpdatesInOrder": UpdatesInOrder,
    "NoLostAckedWork": NoLostAckedWork,
    "SingleLaunch": SingleLaunch,
    "OneLeaderWrites": OneLeaderWrites,
    "RecoveryKeepsTasks": RecoveryKeepsTasks,
    "OffersRespectFilters": OffersRespectFilters,
    "AgentRunsWithinTotal": AgentRunsWithinTotal,
    "AllocationBooksAgree": AllocationBooksAgree,
    "HealthChecksKill": HealthChecksKill,


    "WellFormedCallsAccepted": WellFormedCallsAccepted,
    "NoOffersToInactive": NoOffersToInactive,
    "ReconcileAnswered": ReconcileAnswered,
    # s12 (mutation campaign, status updates)
    "AckedTerminalTaskRemoved": AckedTerminalTaskRemoved,
    "InvalidOffersRefused": InvalidOffersRefused,
    "SubscribeTakesInfo": SubscribeTakesInfo,
    "MalformedCallsRefused": MalformedCallsRefused,
    "NoRescindOfReturnedOffers": NoRescindOfReturnedOffers,
    "AgentDisconnectionNoticed": AgentDisconnectionNoticed,
    # s11: the operator's agent calls (Python and simulator only)
    "NoOffersOfDeactivatedAgents": NoOffersOfDeactivatedAgents,
    "DrainEmptiesAgent": DrainEmptiesAgent,
    "InvalidOperatorCallsRefused": InvalidOperatorCallsRefused,
    "CheckpointAgrees": CheckpointAgrees,
    "AgentUpdatesTruthful": AgentUpdatesTruthful,
    "PrincipalsChecked": PrincipalsChecked,
    "MalformedAgentMessagesRefused": MalformedAgentMessagesRefused,
    "NoSendWithoutPeer": NoSendWithoutPeer,
    # s12 mm1 (Python and simulator only)
    "ForgedAgentMessagesIgnored": ForgedAgentMessagesIgnored,
    "UnresponsiveAgentsRemoved": UnresponsiveAgentsRemoved,
    "MasterUpdatesSent": MasterUpdatesSent,
    "RemovalsRateLimited": RemovalsRateLimited,
    "AgentsHealthChecked": AgentsHealthChecked,
    "RemovedAgentsForgotten": RemovedAgentsForgotten,
    "OffersNeedACause": OffersNeedACause,
    "NoOffersOutsideWhitelist": NoOffersOutsideWhitelist,
    # s12 mm2: the operator's views (Python and simulator only)
    "OperatorViewsAgree": OperatorViewsAgree,
    "WhyExplains": WhyExplains,
    "OperationFeedbackAgrees": OperationFeedbackAgrees,
    "UnauthorizedOperatorCallsRefused": UnauthorizedOperatorCallsRefused,
    # s12 (agent side)
    "HostileExecutorInputRefused": HostileExecutorInputRefused,
    "AgentShutdownCompletes": AgentShutdownCompletes,
    "RebootRecovery": RebootRecovery,
    "LimitationsEnforced": LimitationsEnforced,
    "ExecutorReasonsTruthful": ExecutorReasonsTruthful,
    # s13 mmaster
    "NoOffersOfDisconnectedAgents": NoOffersOfDisconnectedAgents,
    "RegistryCountersAgree": RegistryCountersAgree,
    # s13 mops
    "HostileCallsRefused": HostileCallsRefused,
    "MasterDescribeAgrees": MasterDescribeAgrees,
    "OperatorReservationsApplied": OperatorReservationsApplied,
    "OperatorCallsAnswered": OperatorCallsAnswered,
    "WithdrawnOffersRescinded": WithdrawnOffersRescinded,
    # s13 malloc
    "AllocatorLedgersAgree": AllocatorLedgersAgree,
    # s14 kalloc
    "AllocatorSettingsAgree": AllocatorSettingsAgree,
    "NothingLeftOfferable": NothingLeftOfferable,
    # s14 kmaster
    "AnsweringAgentsKept": AnsweringAgentsKept,
    "TornDownFrameworksClosed": TornDownFrameworksClosed,
    "MasterBooksIndexed": MasterBooksIndexed,
    # s14 kagent
    "UpdateRetriesBackOff": UpdateRetriesBackOff,
    "ExecutorLaunchesAgree": ExecutorLaunchesAgree,
    # s16 lead
    "MessagesRelayed": MessagesRelayed,
}
POLICY: dict[str, Check] = {"DrfOrder": DrfOrder}
# checked once, at quiescence (after faults stop and enough virtual time passed)
QUIESCENT: dict[str, Check] = {
    # s13 mops
    "SettingsAgree": SettingsAgree,
    # s12 (mutation campaign: describe(), read by the explorer)
    "DescribeAgrees": DescribeAgrees,
    "TaskBooksAgree": TaskBooksAgree,
    "NoResourceLeak": NoResourceLeak,
    "FrameworkViewAgrees": FrameworkViewAgrees,
    "AgentActivityAgrees": AgentActivityAgrees,
    "TaskStatesAgree": TaskStatesAgree,
    "ExecutorBooksAgree": ExecutorBooksAgree,
    # s12 (agent side)
    "AgentViewsAgree": AgentViewsAgree,
    "SandboxesCollected": SandboxesCollected,
    # s13 mmaster
    "AgentTotalsAgree": AgentTotalsAgree,
    "HeldOffersAgree": HeldOffersAgree,
    "MasterExecutorsAgree": MasterExecutorsAgree,
    # s14 kmaster
    "RegistryGcPrunes": RegistryGcPrunes,
    "UnreregisteredAgentsMarked": UnreregisteredAgentsMarked,
}
LIVENESS: dict[str, Check] = {
    "EventuallyAcked": EventuallyAcked,
    "EventuallyOffered": EventuallyOffered,
    "EventuallyReregistered": EventuallyReregistered,
    "ExecutorUpdatesDelivered": ExecutorUpdatesDelivered,
    "ReconciliationAgrees": ReconciliationAgrees,
    "TerminalReachesFramework": TerminalReachesFramework,
    "KillsTakeEffect": KillsTakeEffect,
}
CATALOG: dict[str, Check] = {**SAFETY, **POLICY, **QUIESCENT, **LIVENESS}
DRIVER: dict[str, Check] = {
    "AckAfterDelivery": AckAfterDelivery,
    "ResubscribeKeepsId": ResubscribeKeepsId,
    "NoCallBeforeSubscribed": NoCallBeforeSubscribed,
}
# Reservations, quota and operations (issue 18): checked by the simulator and the tests in
# Python only, not yet modelled in TLA+ (so kept out of CATALOG, whose names the TLA+ specs
# must all define; docs/invariants.md lists them apart).
RESOURCE_SAFETY: dict[str, Check] = {
    "ReservedToRole": ReservedToRole,
    "QuotaLimitRespected": QuotaLimitRespected,
    # s12: the production path's allocations (SimConfig.fast_alloc)
    "WholeOffers": WholeOffers,
    "WhyAgrees": WhyAgrees,
}
RESOURCE_LIVENESS: dict[str, Check] = {"OperationsReported": OperationsReported}


def check(s: ClusterSnapshot, names: dict[str, Check] | None = None) -> list[str]:
    """All violations of the given properties (default: safety + policy)."""
    props = names if names is not None else {**SAFETY, **POLICY}
    out: list[str] = []
    for fn in props.values():
        out.extend(fn(s))
    return out


# ==== s16 kproto
def ExecutorAcksCheckpointed(s: ClusterSnapshot) -> list[str]:
    """An agent acknowledges an executor's status update only once the update is
    checkpointed, when the task's framework checkpoints (Mesos Slave::statusUpdate: "Ask
    the status update manager to checkpoint and reliably send the update", and
    Slave::_statusUpdate acknowledges the executor when that future is ready): an update
    the executor forgot on the agent's word is never lost to an agent crash. An update the
    agent superseded (it ended the task itself) or whose scheduler acknowledgement it
    already has is acknowledged as is."""
    return [f"ExecutorAcksCheckpointed: agent {agent} {what}" for agent, what in s.executor_acks]


def ExecutorDisconnectionsTolerated(s: ClusterSnapshot) -> list[str]:
    """When an executor's connection to its agent breaks, the agent keeps the executor of a
    checkpointing framework (it may subscribe again, as after an agent restart: Mesos
    docs/agent-recovery.md: a checkpointing framework's executors reconnect to the agent)
    and shuts down (kills: it cannot be told) the executor of a framework that does not
    checkpoint, unless it already terminated (the agent's rule since the first agent
    machine, core/agent/executors.py handleExecutorDisconnected)."""
    return [f"ExecutorDisconnectionsTolerated: agent {agent} {what}"
            for agent, what in s.executor_disconnections]


def ImplicitReconcileAnswered(s: ClusterSnapshot) -> list[str]:
    """An implicit reconciliation (RECONCILE naming no task) is answered at once with one
    update per task the master books for the framework, carrying the task's latest state
    (status_update_state, else state, as the framework may see it), terminal but
    unacknowledged tasks included, and TASK_UNREACHABLE for each of its unreachable tasks
    (Mesos Master::_reconcileTasks, implicit case: framework->tasks, then
    framework->unreachableTasks; docs/reconciliation.md)."""
    return [f"ImplicitReconcileAnswered: framework {fid} {what}"
            for fid, what in s.implicit_reconciles]


def RemovedFrameworksRefused(s: ClusterSnapshot) -> list[str]:
    """A framework the master removed (torn down, or its failover timeout expired) stays
    removed: while that master keeps it among its completed frameworks, a SUBSCRIBE with
    its id is refused ("Framework has been removed", Mesos Master::subscribe checks
    isCompletedFramework) and any other call of it is answered 4xx (the framework is not
    among the master's frameworks)."""
    return [f"RemovedFrameworksRefused: framework {fid} {what}" for fid, what in s.removed_calls]


def ExitedExecutorsReported(s: ClusterSnapshot) -> list[str]:
    """When the process of a custom executor (not a command executor) exits, its registered
    agent tells the master (ExitedExecutor), whatever state the executor was in
    (registering, running or terminating, connected or not): the master then removes the
    executor, takes its resources back and tells the framework (Mesos
    Slave::executorTerminated: "Only send ExitedExecutorMessage if it is not a Command
    Executor", with no condition on the executor's state)."""
    return [f"ExitedExecutorsReported: agent {agent} {what}" for agent, what in s.exits_unreported]


def CompletedTasksTerminal(s: ClusterSnapshot) -> list[str]:
    """The tasks a master lists as completed are terminal: when it removes a framework, each
    of the framework's live tasks is booked TASK_KILLED before it joins the completed tasks
    (Mesos Master::removeFramework: "The task is implicitly killed, and TASK_KILLED is the
    closest state we have by now"), so /state and /tasks never list a completed task as
    running."""
    return [f"CompletedTasksTerminal: framework {fid} {what}" for fid, what in s.completed_live]


for _name, _fn in (("ExecutorAcksCheckpointed", ExecutorAcksCheckpointed),
                   ("CompletedTasksTerminal", CompletedTasksTerminal),
                   ("ExitedExecutorsReported", ExitedExecutorsReported),
                   ("ExecutorDisconnectionsTolerated", ExecutorDisconnectionsTolerated),
                   ("ImplicitReconcileAnswered", ImplicitReconcileAnswered),
                   ("RemovedFrameworksRefused", RemovedFrameworksRefused)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn
# ==== s16 kobs
def MetricsAgree(s: ClusterSnapshot) -> list[str]:
    """The protocol counters operators read (/metrics/snapshot) are the checker's recount of
    what the machines did, at every step that can move them: an agent's
    `invalid_status_updates` grows by one per executor update it refuses (an UPDATE refused,
    an update a SUBSCRIBE carried refused); the master's `master/operations/finished` by
    each RESERVE / UNRESERVE of an ACCEPT it applied (not refused as invalid), its
    `master/registry_gc/pruned` by the unreachable and gone entries a registry result made
    it forget (not readmitted, not marked gone); (s23) for each agent status update a leader
    takes, exactly one of `master/valid_status_updates` / `master/invalid_status_updates`
    grows by one (`valid` only for a task it had booked on that agent), and
    `master/slave_unreachable_canceled` by one per removal a permit's step cancels."""
    return [f"MetricsAgree: {who} {name} is {got:g} but the checker recounts {want:g} "
            f"({what})" for who, name, got, want, what in s.metrics_recounted]


def LogsRecord(s: ClusterSnapshot) -> list[str]:
    """The master logs each framework and agent transition operators follow in the step
    that makes it, naming the framework or agent: a framework it books on a SUBSCRIBE
    `framework_added` (one it re-subscribes `framework_resubscribed`), one whose stream
    breaks `framework_disconnected`, one it forgets `framework_removed`; an agent it books
    `agent_registered` or `agent_readmitted`, one it forgets `agent_removed`."""
    return [f"LogsRecord: {who}: {what}" for who, what in s.transition_logs]


def AnswersAsMesos(s: ClusterSnapshot) -> list[str]:
    """Every answer's HTTP status is Mesos's for its input: a refused executor call 400
    (403 for a known executor's call from a connection that never subscribed as it), a
    refused RunTask 400, a refused agent message at the master 400, a scheduler call taken
    202 (SUBSCRIBE 200), an operator call taken 200 (RESERVE / UNRESERVE_RESOURCES 200 or
    Mesos's 202), any refusal one of 400, 403, 409, 501, 503 (never 401: the shell's HTTP
    authentication answers that before a call reaches the core)."""
    return [f"AnswersAsMesos: {who}: {what} {detail}" for who, what, detail in s.answer_codes]


_S16_KOBS: dict[str, Check] = {
    "MetricsAgree": MetricsAgree,
    "LogsRecord": LogsRecord,
    "AnswersAsMesos": AnswersAsMesos,
}
SAFETY.update(_S16_KOBS)
CATALOG.update(_S16_KOBS)


# ==== s16 kdrive
def ExecutorShutdownsHonoured(s: ClusterSnapshot) -> list[str]:
    """s16: a SHUTDOWN call (`Master::shutdown`) reaches, as ShutdownExecutorMsg of the
    caller's framework, the agent it names when the master holds it registered (else it is
    dropped); a registered agent shuts down exactly that executor of that framework and no
    other (`Slave::shutdownExecutor`), one recovering or disconnected none
    (core/sim/checks_kdrive.py)."""
    return [f"ExecutorShutdownsHonoured: {where} {what}" for where, what in s.executor_shutdowns]


def KillsReachTheirAgent(s: ClusterSnapshot) -> list[str]:
    """s16: a KILL (`Master::kill`) sends KillTask to the task's agent exactly when the master
    knows the task, the call names no agent or the task's own, and that agent is connected;
    a KILL naming another agent is ignored (core/sim/checks_kdrive.py)."""
    return [f"KillsReachTheirAgent: {where} {what}" for where, what in s.named_kills]


def CustomExecutorsRun(s: ClusterSnapshot) -> list[str]:
    """s16: a task launched with an ExecutorInfo runs under that executor: the master's
    RunTask carries it (id, type, command; the framework id filled in) and books the task
    under it, the agent runs the task there and launches a custom executor with its own
    command; a command task gets no custom executor (core/sim/checks_kdrive.py)."""
    return [f"CustomExecutorsRun: {where} {what}" for where, what in s.custom_executors]


_S16_KDRIVE = {
    "ExecutorShutdownsHonoured": ExecutorShutdownsHonoured,
    "KillsReachTheirAgent": KillsReachTheirAgent,
    "CustomExecutorsRun": CustomExecutorsRun,
}
SAFETY.update(_S16_KDRIVE)
CATALOG.update(_S16_KDRIVE)


# ==== s17 killa
def TasksLaunchedOnce(s: ClusterSnapshot) -> list[str]:
    """An agent hands an executor a task (LAUNCH / LAUNCH_GROUP) only while the task waits
    for it: never a task that executor (its container) already reported on (it has it,
    whatever connection it reported on), never a task whose terminal update the agent
    already produced (killed while queued). Mesos Slave::subscribe / Slave::reregisterExecutor
    send only `executor->queuedTasks` (and queuedTaskGroups), which a task leaves when it is
    sent or killed (Slave::killTask removes it from the queue before TASK_KILLED)."""
    return [f"TasksLaunchedOnce: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "TasksLaunchedOnce"]


def CommandExecutorsUnreported(s: ClusterSnapshot) -> list[str]:
    """An agent never names a command executor (one it generated: no RunTask or
    RunTaskGroup it received carried that ExecutorInfo) to the master, neither in an
    ExitedExecutor nor among a ReregisterAgent's executor_infos: the master never booked it
    (Mesos Slave::executorTerminated: "Only send ExitedExecutorMessage if it is not a
    Command Executor"; Slave::doReliableRegistration adds `executor->info` only when
    `!executor->isGeneratedForCommandTask()`)."""
    return [f"CommandExecutorsUnreported: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "CommandExecutorsUnreported"]


def TaskSandboxNames(s: ClusterSnapshot) -> list[str]:
    """The names a command task gets on its agent's host are file names of its own: its
    sandbox directory under `<executor sandbox>/tasks/` is the task id itself when the id
    is a plain file name of at most 200 bytes (Mesos DefaultExecutor: `path::join(sandbox,
    "tasks", taskId)`; Mesos's validateID admits ids of up to NAME_MAX bytes), else a
    name with no '/' or NUL, not '.' or '..'; no name is longer than the 200 bytes
    core/agent/isolation.py documents (MAX_NAME: the longest name it writes); its nested cgroup is
    `task-<id>` when the id is all [A-Za-z0-9.-] (else escaped, or hashed when too long),
    only [A-Za-z0-9._-], decodable back to the id unless hashed; no two tasks of one agent
    share either name."""
    return [f"TaskSandboxNames: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "TaskSandboxNames"]


def CommandTasksRun(s: ClusterSnapshot) -> list[str]:
    """An agent runs every command task it takes: it never gives one up as "Executor
    terminating" (REASON_EXECUTOR_TERMINATED at its RunTask) because the framework's
    current command executor is shutting down: the task gets a command executor of its
    own (Mesos gives each command task its own executor, id = task id, so Slave::_run's
    "Executor terminating" answer only meets tasks of a custom executor being shut down)."""
    return [f"CommandTasksRun: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "CommandTasksRun"]


def KillSparesOtherTasks(s: ClusterSnapshot) -> list[str]:
    """A KILL of one task never takes its executor's other live tasks with it: an agent
    shuts an executor down on a KILL only when the executor has no other task left (Mesos
    Slave::killTask: a task killed before it reached its executor is answered TASK_KILLED
    (REASON_TASK_KILLED_DURING_LAUNCH) and the executor is shut down only once it has no
    queued or launched task)."""
    return [f"KillSparesOtherTasks: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "KillSparesOtherTasks"]


def AgentFrameworksUpdated(s: ClusterSnapshot) -> list[str]:
    """An agent takes the FrameworkInfo of every UpdateFramework its master sends for a
    framework it runs (Mesos Slave::updateFramework: `framework->info` becomes the
    message's, and is checkpointed), but a change of the checkpoint flag, which it ignores
    (core/agent/executors.py handleUpdateFramework): its /state, its checkpoint and the
    updates it makes (TASK_LOST or TASK_DROPPED by PARTITION_AWARE) follow the framework."""
    return [f"AgentFrameworksUpdated: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "AgentFrameworksUpdated"]


for _name, _fn in (("TasksLaunchedOnce", TasksLaunchedOnce),
                   ("KillSparesOtherTasks", KillSparesOtherTasks),
                   ("AgentFrameworksUpdated", AgentFrameworksUpdated),
                   ("CommandTasksRun", CommandTasksRun),
                   ("CommandExecutorsUnreported", CommandExecutorsUnreported),
                   ("TaskSandboxNames", TaskSandboxNames)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn


# ==== s17 killm
def TimersNotInPast(s: ClusterSnapshot) -> list[str]:
    """Every timer a machine sets is due no earlier than the step that sets it (Mesos's
    timers are libprocess `delay(Duration, ...)` from the current time: a deadline computed
    from a stale clock fires at once, early)."""
    return [f"TimersNotInPast: {who} {what}" for who, what in s.past_timers]


def ReconcileAnswersAsMesos(s: ClusterSnapshot) -> list[str]:
    """An explicit reconciliation of a task the master does not book live is answered with
    the state Mesos `Master::_reconcileTasks` gives for the agent named: registered
    TASK_GONE (case 2), unreachable TASK_UNREACHABLE with the time it became unreachable
    (case 4), gone TASK_GONE_BY_OPERATOR (case 5), unknown or none TASK_UNKNOWN (case 6),
    as the framework may see it (docs/reconciliation.md), with REASON_RECONCILIATION."""
    return [f"ReconcileAnswersAsMesos: framework {fid} {what}" for fid, what in s.reconcile_states]


def RegistryGcSelects(s: ClusterSnapshot) -> list[str]:
    """The registry GC (Mesos `Master::doRegistryGc`) prunes, in each list (unreachable,
    gone) and among the entries no earlier GC is still pruning, exactly the oldest entries
    beyond --registry_max_agent_count and every entry older than --registry_max_agent_age;
    its result (`_doRegistryGc`) accounts for every entry it was asked to forget
    (forgotten, or skipped: re-registered meanwhile) and warns exactly when it skipped some."""
    return [f"RegistryGcSelects: {where}: {what}" for where, what in s.gc_selection]


def LeaderViewsAgree(s: ClusterSnapshot) -> list[str]:
    """What an elected master shows operators: /master/state's elected_time is the time it
    was elected (/metrics master/elected 1, master/uptime_secs 0 at that moment), and
    /metrics/snapshot reports every counter the master keeps with its value (Mesos's
    Metrics: each counter a registered metric of the snapshot)."""
    return [f"LeaderViewsAgree: {who}: {what}" for who, what in s.leader_views]


def ReservationsResent(s: ClusterSnapshot) -> list[str]:
    """When the leader re-registers (or re-admits) an agent for which it books dynamic
    reservations, it sends the agent those reservations in the same step (Mesos
    Master::_reregisterSlave: "Here we always send the message", a CheckpointResourcesMessage
    of the agent's checkpointed resources): an agent that missed a change while it was away,
    or lost its checkpoint, holds them again."""
    return [f"ReservationsResent: agent {aid} {what}" for aid, what in s.reservations_unsent]


def RemovalPermitsPaced(s: ClusterSnapshot) -> list[str]:
    """An agent due for removal waits for a removal permit (--agent_removal_rate_limit)
    only when none is free: the permit it waits for is due later than now (libprocess
    RateLimiter: a free permit is taken at once)."""
    return [f"RemovalPermitsPaced: agent {aid} {what}" for aid, what in s.permit_waits]


def UpdatesVisible(s: ClusterSnapshot) -> list[str]:
    """A framework is shown only the task states its capabilities let it see: without
    PARTITION_AWARE, TASK_LOST for TASK_UNREACHABLE, TASK_DROPPED, TASK_GONE,
    TASK_GONE_BY_OPERATOR and TASK_UNKNOWN; without TASK_KILLING_STATE, TASK_RUNNING for
    TASK_KILLING (Mesos docs/task-state-reasons, Master::forward and the scheduler API's
    capability documentation; core/lifecycle.py visible_state)."""
    return [f"UpdatesVisible: {who} {what}" for who, what in s.hidden_updates]


for _name, _fn in (("TimersNotInPast", TimersNotInPast),
                   ("UpdatesVisible", UpdatesVisible),
                   ("ReservationsResent", ReservationsResent),
                   ("RemovalPermitsPaced", RemovalPermitsPaced),
                   ("ReconcileAnswersAsMesos", ReconcileAnswersAsMesos),
                   ("RegistryGcSelects", RegistryGcSelects),
                   ("LeaderViewsAgree", LeaderViewsAgree)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn


# ==== s18 driveo
def OperatorAgentCallsHold(s: ClusterSnapshot) -> list[str]:
    """What the leading master answers 200 to an operator's agent call holds in its books
    at the step it answers (Mesos Master::Http::deactivateAgent / reactivateAgent /
    markAgentGone / drainAgent answer OK only once the registrar applied the operation and
    the master acted on it): after DEACTIVATE_AGENT (again, too) the agent is deactivated, no
    offer of it is out and the allocator does not hold it active; after REACTIVATE_AGENT it is
    neither deactivated nor draining; after DRAIN_AGENT (again) it drains; after
    MARK_AGENT_GONE (again) it is gone and no longer held, and the step that removed it sent
    it a ShutdownMessage when it was connected (Master::markGone). A deactivation or
    reactivation of an agent the master holds is never refused 400; a quota config whose
    guarantee equals its limit is valid (Mesos quota validation: guarantee <= limit); a
    standby master refuses 503 and a call the master does not serve is answered 501."""
    return [f"OperatorAgentCallsHold: master {who} {what}" for who, what in s.s18_driveo]


SAFETY["OperatorAgentCallsHold"] = OperatorAgentCallsHold
CATALOG["OperatorAgentCallsHold"] = OperatorAgentCallsHold


# ==== s18 drivem
def MisaddressedCallsRefused(s: ClusterSnapshot) -> list[str]:
    """A well-formed scheduler call the master cannot take from its sender is refused with
    Mesos's status and nothing else happens (Master::Http::scheduler, in this order): a
    SUBSCRIBE claiming another principal than the authenticated one, or carrying a
    Mesos-Stream-Id header: 400; any other call: 400 "Framework cannot be found" for a
    framework id the master does not know, 400 when the authenticated principal is not the
    framework's FrameworkInfo.principal (the message names both), 403 when the framework is
    not subscribed, 400 without a Mesos-Stream-Id, 400 when the stream id is not the
    framework's; 503 while the master does not lead or has not recovered. The simulator
    sends such calls with `--sched-misuse` (core/sim/checks_drivem.py)."""
    return [f"MisaddressedCallsRefused: master {m} {what}" for n, m, what in s.s18_drivem
            if n == "MisaddressedCallsRefused"]


def UnauthorizedLaunchesRefused(s: ClusterSnapshot) -> list[str]:
    """A task of an ACCEPT the master takes (202) that is to run as a user the ACLs do not
    let the framework's principal run tasks as (run_tasks) never reaches an agent, and the
    framework hears exactly one update for it at that step: TASK_ERROR with
    REASON_TASK_UNAUTHORIZED (LAUNCH), or REASON_TASK_GROUP_UNAUTHORIZED for every task of
    a LAUNCH_GROUP one of whose tasks is denied (Mesos Master::_accept: "For failed
    authorization, we send a TASK_ERROR status update for all tasks"), unless the ACCEPT's
    offers were invalid (REASON_INVALID_OFFERS, before any authorization)."""
    return [f"UnauthorizedLaunchesRefused: master {m} {what}" for n, m, what in s.s18_drivem
            if n == "UnauthorizedLaunchesRefused"]


def FailoverTimeoutsRemove(s: ClusterSnapshot) -> list[str]:
    """When a framework's failover timer fires at a master (Master::frameworkFailoverTimeout),
    the framework is removed exactly when the master knows it, it is not connected, and it
    has been disconnected for at least its FrameworkInfo.failover_timeout (Mesos: a framework
    that re-subscribed since the timer was set is kept, `reregisteredTime` differs): it
    leaves the master's frameworks for its completed ones. A connected framework is kept."""
    return [f"FailoverTimeoutsRemove: master {m} {what}" for n, m, what in s.s18_drivem
            if n == "FailoverTimeoutsRemove"]


def IncompatibleExecutorsRefused(s: ClusterSnapshot) -> list[str]:
    """A task of an ACCEPT the master takes (202) that names the executor id of an executor
    its framework runs on that agent, with an ExecutorInfo not equal to that executor's
    (the framework id and the resources' allocation aside), never reaches the agent and is
    answered once, TASK_ERROR with REASON_TASK_INVALID ("Task has invalid ExecutorInfo
    (existing ExecutorInfo with same ExecutorID is not compatible)": Mesos master
    validation, task::internal::validateExecutor), unless the offers were invalid."""
    return [f"IncompatibleExecutorsRefused: master {m} {what}" for n, m, what in s.s18_drivem
            if n == "IncompatibleExecutorsRefused"]


def FailedOverStreamsClosed(s: ClusterSnapshot) -> list[str]:
    """When a framework subscribes again while the master still holds it connected (a
    scheduler failover onto a new connection, Mesos Master::failoverFramework), the master
    sends ERROR "Framework failed over" on the old connection, then closes it (nothing is
    sent there after), forgets it, and withdraws the offers made on it (they go back to the
    allocator; Mesos's removeOffer, no rescind on the closed connection)."""
    return [f"FailedOverStreamsClosed: master {m} {what}" for n, m, what in s.s18_drivem
            if n == "FailedOverStreamsClosed"]


for _name, _fn in (("MisaddressedCallsRefused", MisaddressedCallsRefused),
                   ("UnauthorizedLaunchesRefused", UnauthorizedLaunchesRefused),
                   ("IncompatibleExecutorsRefused", IncompatibleExecutorsRefused),
                   ("FailedOverStreamsClosed", FailedOverStreamsClosed),
                   ("FailoverTimeoutsRemove", FailoverTimeoutsRemove)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn


# ==== s18 drivel
def AllocationRolesAgree(s: ClusterSnapshot) -> list[str]:
    """On every agent, what the allocator holds allocated to each role is what the master
    books for that role (its tasks', executors' and offers' resources carry their
    allocation role, Mesos's Resource.allocation_info): a MULTI_ROLE framework's resources
    under one role are never booked by the allocator under another (Mesos's allocator
    tracks allocations per role, HierarchicalAllocatorProcess::trackAllocatedResources,
    and CHECKs on recovery that it holds what the master returns, allocation role
    included). AllocationBooksAgree compares the quantities only."""
    return [f"AllocationRolesAgree: {what}" for n, what in s.s18_drivel
            if n == "AllocationRolesAgree"]


def FiltersCleared(s: ClusterSnapshot) -> list[str]:
    """A REVIVE the master accepts leaves the framework no decline filter for the roles it
    revives (all its roles when it names none), and a re-subscription none for the roles
    the framework no longer subscribes to, on any agent (Mesos
    HierarchicalAllocatorProcess::reviveOffers -> reviveRoles: `offerFilters.erase(role)`
    for each revived role; HierarchicalAllocatorProcess::updateFramework: the same for
    each role of the old roles not among the new)."""
    return [f"FiltersCleared: {what}" for n, what in s.s18_drivel if n == "FiltersCleared"]


def OffersInSubscribedRoles(s: ClusterSnapshot) -> list[str]:
    """Every offer is for one of its framework's roles (its FrameworkInfo.roles of the
    moment): a framework that re-subscribed without a role gets no more offers for it,
    even while it still runs tasks under it (Mesos HierarchicalAllocatorProcess::
    updateFramework deactivates the framework in the sorter of each role it left, and
    offers are made only through the framework sorters of a framework's roles)."""
    return [f"OffersInSubscribedRoles: {what}" for n, what in s.s18_drivel
            if n == "OffersInSubscribedRoles"]


for _name, _fn in (("AllocationRolesAgree", AllocationRolesAgree),
                   ("FiltersCleared", FiltersCleared),
                   ("OffersInSubscribedRoles", OffersInSubscribedRoles)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn


# ==== s18 drivea
def TerminatedExecutorsRemoved(s: ClusterSnapshot) -> list[str]:
    """An agent keeps no executor whose process is gone once none of its tasks is left
    (every terminal update acknowledged, or dropped with its framework): it removes it and
    schedules its sandbox for collection at once (Mesos Slave::executorTerminated and
    Slave::_statusUpdateAcknowledgement: `if (executor->state == Executor::TERMINATED &&
    !executor->incompleteTasks()) removeExecutor(framework, executor)`; recovery does the
    same for executors that exited while the agent was down)."""
    return [f"TerminatedExecutorsRemoved: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "TerminatedExecutorsRemoved"]


def MasterPingTimeoutHonoured(s: ClusterSnapshot) -> list[str]:
    """An agent gives its master up for lost (and re-registers) only after the master's
    total ping timeout passed with no ping: the timer starts at each (re-)registration
    and restarts at each ping (Mesos Slave::registered / Slave::reregistered / Slave::ping:
    `pingTimer = delay(masterPingTimeout, self(), &Slave::pingTimeout, detection)`, the
    timeout the master sent in its (Re)RegisteredMessage)."""
    return [f"MasterPingTimeoutHonoured: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "MasterPingTimeoutHonoured"]


def RegistrationBackoffResets(s: ClusterSnapshot) -> list[str]:
    """Each time an agent starts (re-)registering (a master detected, a master lost, its
    recovery done), its registration backoff starts over: its first retry is due within
    twice --registration_backoff_factor, however long earlier attempts backed off (Mesos
    Slave::detected: `delay(duration, self(), &Slave::doReliableRegistration,
    flags.registration_backoff_factor * 2)`, and doReliableRegistration(maxBackoff)
    retries after at most maxBackoff)."""
    return [f"RegistrationBackoffResets: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "RegistrationBackoffResets"]


for _name, _fn in (("TerminatedExecutorsRemoved", TerminatedExecutorsRemoved),
                   ("MasterPingTimeoutHonoured", MasterPingTimeoutHonoured),
                   ("RegistrationBackoffResets", RegistrationBackoffResets)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn


# ==== s19 kalloc
def AllocatorFrameworksAgree(s: ClusterSnapshot) -> list[str]:
    """The leader's allocator knows exactly the frameworks the leader books, each as the
    leader books it: its roles, whether it is active, the roles it suppresses and its offer
    constraints per role; and each role's sorter holds exactly the frameworks subscribed to
    that role (Mesos: Master::addFramework / updateFramework / activateFramework /
    deactivateFramework / removeFramework and the SUPPRESS / REVIVE handlers call the
    allocator with the Framework's info, active flag, suppressed roles and offer
    constraints; HierarchicalAllocatorProcess::addFramework / updateFramework track the
    framework in the sorter of each of its roles and untrack it from each role it left,
    removeFramework from all; a sorter is removed with its last framework)."""
    return [f"AllocatorFrameworksAgree: {what}" for n, a, what in s.s17_killa
            if n == "AllocatorFrameworksAgree"]


SAFETY["AllocatorFrameworksAgree"] = AllocatorFrameworksAgree
CATALOG["AllocatorFrameworksAgree"] = AllocatorFrameworksAgree
# ==== s19 kmast3
def DeclinesAsMesos(s: ClusterSnapshot) -> list[str]:
    """A DECLINE the master takes gives back every offer it names that the framework holds
    (the offer is gone from the master's outstanding offers) and ignores, with a warning
    naming it, every other offer id (unknown, rescinded or expired, another framework's),
    which it leaves as it was (Mesos Master::decline: `discardOffer(offer, filters)` for an
    offer it holds, else `LOG(WARNING) << "Ignoring decline of offer " << offerId << "
    since it is no longer valid"`)."""
    return [f"DeclinesAsMesos: master {m} {what}" for n, m, what in s.s17_killa
            if n == "DeclinesAsMesos"]


def InvalidSubscriptionsRefused(s: ClusterSnapshot) -> list[str]:
    """A SUBSCRIBE whose FrameworkInfo breaks Mesos's framework validation (a role that is
    empty, '.' or '..', starts with '-', contains '*' or whitespace, starts or ends with '/'
    or contains '//'; duplicate roles; a role outside the master's --roles; a suppressed
    role or an offer constraint's role not among its roles) is refused by a leading master
    with one ERROR event naming the first broken rule on the new stream, which it then
    closes; no framework is booked (Mesos Master::subscribe: `Option<Error> validationError
    = validation::framework::validate(frameworkInfo)` ... `FrameworkErrorMessage`, with
    roles::validate's and validateSuppressedRoles' / validateOfferConstraintsRoles'
    messages)."""
    return [f"InvalidSubscriptionsRefused: master {m} {what}" for n, m, what in s.s17_killa
            if n == "InvalidSubscriptionsRefused"]


def SuppressionBooksAgree(s: ClusterSnapshot) -> list[str]:
    """The roles the leading master's books say a subscribed framework suppressed offers
    for (what its describe() and framework view show) are the roles its allocator
    suppresses offers of for that framework, after every SUPPRESS, REVIVE and SUBSCRIBE it
    takes (Mesos keeps one set: the allocator's `Framework::suppressedRoles`, set by
    HierarchicalAllocatorProcess::suppressRoles / unsuppressRoles from Master::suppress,
    Master::revive and the SUBSCRIBE's suppressed_roles)."""
    return [f"SuppressionBooksAgree: master {m} {what}" for n, m, what in s.s17_killa
            if n == "SuppressionBooksAgree"]


for _name, _fn in (("DeclinesAsMesos", DeclinesAsMesos),
                   ("InvalidSubscriptionsRefused", InvalidSubscriptionsRefused),
                   ("SuppressionBooksAgree", SuppressionBooksAgree)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn
# ==== s19 kmast2
def ResubscriptionsUpdateFramework(s: ClusterSnapshot) -> list[str]:
    """A SUBSCRIBE of a framework the master holds, answered SUBSCRIBED, makes it a framework
    subscribed to this master: no longer booked recovered (Mesos: a framework learnt from
    its agents leaves Framework::RECOVERED when it subscribes,
    connectAndActivateRecoveredFramework), its reregistered_time the time of this
    re-subscription when it had subscribed here before (Master::_subscribe:
    `framework->reregisteredTime = Clock::now()`); and when it changes the FrameworkInfo,
    every connected agent where the master books its tasks or executors is sent the new
    FrameworkInfo in an UpdateFramework of the same step (Master::sendFrameworkUpdates
    broadcasts it to every registered agent)."""
    return [f"ResubscriptionsUpdateFramework: framework {f} {what}"
            for n, f, what in s.s17_killa if n == "ResubscriptionsUpdateFramework"]


SAFETY["ResubscriptionsUpdateFramework"] = ResubscriptionsUpdateFramework
CATALOG["ResubscriptionsUpdateFramework"] = ResubscriptionsUpdateFramework
# ==== s19 kagent
def RegistersOnlyWhenDisconnected(s: ClusterSnapshot) -> list[str]:
    """An agent sends RegisterAgent / ReregisterAgent only while it is disconnected from a
    master it detected and has finished recovering: never with no master, never while
    registered (running), recovering or terminating (Mesos Slave::doReliableRegistration:
    `if (master.isNone()) return; ... if (state == RUNNING) return; if (state ==
    TERMINATING) return; CHECK(state == DISCONNECTED)`; a recovering agent detects its master
    only once recovery is done)."""
    return [f"RegistersOnlyWhenDisconnected: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "RegistersOnlyWhenDisconnected"]


def RegistrationRetriesBounded(s: ClusterSnapshot) -> list[str]:
    """An agent's registration retries back off no faster than doubling: the n-th retry it
    arms within one round is due at most --registration_backoff_factor x 2^(n+1) (and at most
    a minute) after the attempt that armed it (Mesos Slave::doReliableRegistration(maxBackoff):
    `maxBackoff = std::min(maxBackoff, REGISTER_RETRY_INTERVAL_MAX); delay = maxBackoff *
    random; delay(delay, ..., &Slave::doReliableRegistration, maxBackoff * 2)`, the first
    round started with registration_backoff_factor * 2 by Slave::detected)."""
    return [f"RegistrationRetriesBounded: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "RegistrationRetriesBounded"]


def KillsOnlyLiveExecutors(s: ClusterSnapshot) -> list[str]:
    """An agent asks to kill (SIGKILL, destroy) an executor's container only while it has not
    been told that executor exited: a terminated executor is never killed again, neither by
    its shutdown timeout, a limitation, nor the re-registration timeout after a restart
    (Mesos Slave::shutdownExecutorTimeout: `case Executor::TERMINATED: "has already
    terminated"`, no destroy; Slave::reregisterExecutorTimeout: `case Executor::TERMINATED:
    break`, only REGISTERING executors are killed; an executor that exited during recovery is
    terminated, Slave::executorTerminated)."""
    return [f"KillsOnlyLiveExecutors: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "KillsOnlyLiveExecutors"]


for _name, _fn in (("RegistersOnlyWhenDisconnected", RegistersOnlyWhenDisconnected),
                   ("RegistrationRetriesBounded", RegistrationRetriesBounded),
                   ("KillsOnlyLiveExecutors", KillsOnlyLiveExecutors)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn


# ==== s19 kmast1
def KnownAgentsReconciled(s: ClusterSnapshot) -> list[str]:
    """When an agent the leader holds re-registers, the leader reconciles its books with
    what the agent reports (Mesos Master::reconcileKnownSlave): an executor it books there
    that the agent no longer reports is removed (from the agent's and the framework's
    books, its resources recovered: "Removing executor ... as it is unknown to the agent"),
    a task the agent reports non-terminal that a framework asked to kill while the two were
    apart (`slave->killedTasks`) is sent a KillTask again ("has non-terminal task ... that
    is supposed to be killed. Killing it now!"), and an agent the operator deactivated or
    drains stays deactivated in the allocator (Master::__reregisterSlave /
    reregisterSlave: `if (!slave->active) ... allocator->deactivateSlave`)."""
    return [f"KnownAgentsReconciled: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "KnownAgentsReconciled"]


def RecoveredAgentsDeadline(s: ClusterSnapshot) -> list[str]:
    """A newly elected leader gives every agent its registry admitted exactly
    --agent_reregister_timeout to re-register, and when that passes every one not back
    is marked unreachable (or waits for its removal permit) (Mesos Master::_recover:
    `delay(flags.agent_reregister_timeout, self(), &Self::recoveredSlavesTimeout,
    registry)`; recoveredSlavesTimeout: `foreachvalue (const SlaveInfo& slave,
    slaves.recovered) ... markUnreachable`)."""
    return [f"RecoveredAgentsDeadline: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "RecoveredAgentsDeadline"]


def SilentAgentsMarked(s: ClusterSnapshot) -> list[str]:
    """The leader's health check gives up on an agent at its max_agent_ping_timeouts-th
    consecutive unanswered ping: an agent silent (no (re-)registration, no Pong, no restart
    of its pings) for more than (max_agent_ping_timeouts + 1) x agent_ping_timeout is no
    longer pinged but marked unreachable or waiting for its removal permit (Mesos
    SlaveObserver::timeout: `if (pinged) { timeouts++; if (timeouts >=
    maxSlavePingTimeouts) markUnreachable(); }`; the other side, AnsweringAgentsKept)."""
    return [f"SilentAgentsMarked: agent {a} {what}" for n, a, what in s.s17_killa
            if n == "SilentAgentsMarked"]


for _name, _fn in (("KnownAgentsReconciled", KnownAgentsReconciled),
                   ("RecoveredAgentsDeadline", RecoveredAgentsDeadline),
                   ("SilentAgentsMarked", SilentAgentsMarked)):
    SAFETY[_name] = _fn
    CATALOG[_name] = _fn
del _name, _fn
