"""The simulator's checker: observes the world, keeps the history the invariant catalog
needs, and evaluates the catalog incrementally.

Every property is evaluated with the SAME functions as everywhere else
(core/invariants.py), on a `ClusterSnapshot` restricted to what the event could have
changed (the tasks, agents and commits it touched): an event that only moved a heartbeat
re-checks nothing; an update the agent accepted re-checks that task's stream. The full
snapshot (`snapshot()`) is built at quiescence and for reports.

What is observed, and where:
- produced: an update counts as accepted by the agent once the Persist of its record is
  durable (the world syncs before carrying out the next effect) or once the agent sends the
  executor its acknowledgement, whichever comes first;
- pending: the uuids the agent still holds: its status-update manager in memory, or the
  update log on its disk while it is down;
- seen / acked: what each scheduler driver received and acknowledged;
- transitions: the states of each task's stream in order, with their producer;
- launches: task processes the executors started;
- registry commits (with whether the writer held the latest fence), recovery kills,
  allocation decisions (the allocator's explain mode), the master's ledger per agent.
"""

from __future__ import annotations

import itertools
import math
import operator
from types import MappingProxyType
from typing import Any

import attrs
from mesotron.core import invariants as inv
from mesotron.core.agent.model import ContainerLimitation, DestroyContainer, KillExecutor
from mesotron.core.agent.model import Shutdown as AgentShutdown
from mesotron.core.agent.model import Start as AgentStart
from mesotron.core.allocator.machine import Allocator
from mesotron.core.effects import (
    Close,  # s14 kmaster
    Disconnected,
    Log,
    Persist,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
    Respond,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.health import HealthCheckResult
from mesotron.core.invariants import AgentLedger, ClusterSnapshot, OfferMade
from mesotron.core.master.base import (
    Abdicate,  # s13 mmaster
    LeadershipGained,  # s17 killm
)
from mesotron.core.master.operator import OperatorCall  # s13 mops
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAccept,
    CallAcknowledge,
    CallAcknowledgeOperationStatus,
    CallDecline,
    CallKill,
    CallMessage,  # s16 lead
    CallReconcile,
    CallReconcileOperations,
    CallRevive,
    CallShutdown,  # s16 kdrive
    CallSubscribe,
    CallSuppress,
    CallTeardown,  # s14 kmaster
    CheckpointResources,  # s17 killm2
    EventMessage,  # s16 lead
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    EventUpdateOperationStatus,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorMessage,
    ExecutorSubscribe,
    ExecutorToFramework,  # s16 lead
    ExecutorUpdate,
    FrameworkToExecutor,  # s16 lead
    KillTask,
    OpLaunch,
    OpLaunchGroup,
    OpReserve,
    OpUnreserve,
    Pong,
    RunTask,
    RunTaskGroup,
    SchedulerCall,
    ShutdownAgent,
    ShutdownExecutorMsg,  # s16 kdrive
    ShutdownFramework,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
    UnregisterAgent,
)
from mesotron.core.resources import InvalidResources, Resources, sum_of
from mesotron.core.scheduler import CallResponse
from mesotron.core.sim import (
    checks_drivea,  # s18 drivea
    checks_drivel,  # s18 drivel
    checks_drivem,  # s18 drivem
    checks_driveo,  # s18 driveo
    checks_kagent,  # s19 kagent
    checks_kalloc,  # s19 kalloc
    checks_kdrive,  # s16 kdrive
    checks_killa,  # s17 killa
    checks_killm,  # s17 killm
    checks_killm3,  # s18 killm3
    checks_kmast1,  # s19 kmast1
    checks_kmast2,  # s19 kmast2
    checks_kmast3,  # s19 kmast3
    checks_kobs,  # s16 kobs
    checks_leak42,  # s19 leak42
    checks_messages,  # s16 lead: MessagesRelayed
)
from mesotron.core.sim.cgroups import host_isolation  # s14 kagent
from mesotron.core.sim.checks_kproto import (  # s16 kproto
    check_acks_checkpointed,
    kproto_agent_step,
    kproto_master_step,
    taken_from_subscribed,
)
from mesotron.core.sim.health import HealthModel
from mesotron.core.sim.hostile import HOSTILE_CALL, hostile_answer_error, parse_request
from mesotron.core.sim.world import (
    FORGED_AGENT,
    HOSTILE_AGENT,
    HOSTILE_EXECUTOR,
    HOSTILE_TASK,
    SIM_WORK_DIR,
)
from mesotron.core.status_updates import RETRY_TIMER, AckRecord, UpdateRecord
from mesotron.core.values import Reason, Source, TaskInfo, TaskState

# When the simulator evaluates each property of the catalog (docs/invariants.md's table is
# checked against this by tests/test_invariants.py).
_VIEWS_WHEN = ("on the leader 10 times per run length in events (every 300 events in an open-ended "
               "run: the Hypothesis cluster machine), 10 times across the quiescence's virtual "
               "time, and at its end")

WHEN: dict[str, str] = {
    **{n: "after every event" for n in (
        "NoOvercommit", "OfferExclusive", "LegalTaskTransitions", "UpdatesInOrder",
        "NoLostAckedWork", "SingleLaunch", "OneLeaderWrites", "RecoveryKeepsTasks",
        "OffersRespectFilters", "AgentRunsWithinTotal", "AllocationBooksAgree",
        "WellFormedCallsAccepted")},
    "NoOffersToInactive": "after every disconnection the master handles",
    "NoOffersOfDeactivatedAgents": "after every master step while the operator holds an agent out",
    "DrainEmptiesAgent": "20 s after each drain the leader acknowledged (a calm window)",
    "InvalidOperatorCallsRefused": "on the answer to each invalid operator call",
    "CheckpointAgrees": "after every agent start, before every agent crash, at quiescence",
    "ExecutorBooksAgree": "at quiescence",
    "AgentViewsAgree": "at quiescence",
    "SandboxesCollected": "at quiescence, and on every collection",
    "ExecutorReasonsTruthful": "on every update an agent persists or sends",
    "LimitationsEnforced": "on every container limitation an agent handles, on every container "
                           "launch and update, as every task process starts",  # s14 kagent
    "RebootRecovery": "after every agent start on a rebooted host, on every kill it asks for",
    "AgentShutdownCompletes": "on every agent shutdown the operator asks for, and 30 s later",
    "HostileExecutorInputRefused": "after every call of a hostile process to an agent's executor API",
    "AgentUpdatesTruthful": "on every update an agent persists or sends",
    "UpdateRetriesBackOff": "on every status-update retry timer an agent arms",  # s14 kagent
    "ExecutorLaunchesAgree": "after every agent step that hands tasks to an executor",  # s14 kagent
    "MessagesRelayed": "after every master or agent step relaying a framework message, and as a "
                       "framework hears one",  # s16 lead
    # s16 kproto
    "ExecutorAcksCheckpointed": "on every acknowledgement an agent sends an executor",
    "ExecutorDisconnectionsTolerated": "after every agent step on a broken executor connection",
    "ImplicitReconcileAnswered": "after every implicit reconciliation the master handles",
    "RemovedFrameworksRefused": "after every call of a framework the master removed",
    "ExitedExecutorsReported": "after every agent step on the exit of an executor's process",
    "TasksLaunchedOnce": "on every LAUNCH / LAUNCH_GROUP an agent sends",  # s17 killa
    "CommandExecutorsUnreported": "on every ExitedExecutor / ReregisterAgent an agent sends",  # s17 killa
    "TaskSandboxNames": "on every command task an agent receives",  # s17 killa
    "MisaddressedCallsRefused": "after every misaddressed scheduler call the master handles",  # s18 drivem
    "UnauthorizedLaunchesRefused": "after every master step on an ACCEPT",  # s18 drivem
    "FailoverTimeoutsRemove": "after every framework failover timer a master handles",  # s18 drivem
    "IncompatibleExecutorsRefused": "after every master step on an ACCEPT",  # s18 drivem
    "FailedOverStreamsClosed": "after every SUBSCRIBE a master takes",  # s18 drivem
    "CommandTasksRun": "on every command task an agent receives",  # s17 killa
    "KillSparesOtherTasks": "after every KillTask an agent handles",  # s17 killa
    "AgentFrameworksUpdated": "after every UpdateFramework an agent handles",  # s17 killa
    "AllocationRolesAgree": "per agent touched by a master step",  # s18 drivel
    "FiltersCleared": "after every REVIVE and SUBSCRIBE the leading master accepts",  # s18 drivel
    "OffersInSubscribedRoles": "after every master step whose allocation cycle ran",  # s18 drivel
    "TerminatedExecutorsRemoved": "after every agent step",  # s18 drivea
    "MasterPingTimeoutHonoured": "on every ping timeout of an agent",  # s18 drivea
    "RegistrationBackoffResets": "after every agent step that starts registering",  # s18 drivea
    "AllocatorFrameworksAgree": "after every leader step but a message (an agent's re-registration aside)",  # s19 kalloc
    "DeclinesAsMesos": "after every DECLINE a master takes from a subscribed framework",  # s19 kmast3
    "InvalidSubscriptionsRefused": "after every invalid SUBSCRIBE of SimConfig.master_edges",  # s19 kmast3
    "SuppressionBooksAgree": "after every SUPPRESS, REVIVE and SUBSCRIBE the leading master takes",  # s19 kmast3
    "ResubscriptionsUpdateFramework": "after every SUBSCRIBE of a framework the master holds",  # s19 kmast2
    "KnownAgentsReconciled": "after every ReregisterAgent of an agent the leader holds",  # s19 kmast1
    "RecoveredAgentsDeadline": "after every election and its agent_reregister_timeout",  # s19 kmast1
    "SilentAgentsMarked": "on every ping timer of the leader",  # s19 kmast1
    "CompletedTasksTerminal": "after every master step that removes a framework",
    "MetricsAgree": "after every step that can move the counter (executor updates and "  # s16 kobs
                    "subscriptions, ACCEPTs, registry results; s23: agents' status updates "  # s23
                    "at a master, removal permits)",  # s16 kobs, s23
    "LogsRecord": "after every registry result, SUBSCRIBE, TEARDOWN, operator call and "  # s16 kobs
                  "failover timeout a master handles, and every framework disconnection",  # s16 kobs
    "AnswersAsMesos": "after every scheduler call, operator call and registry result a master "  # s16 kobs
                      "handles and every message of the hostile agent peer; after every "  # s16 kobs
                      "executor call, RunTask and (re-)registration an agent receives",  # s16 kobs
    "ExecutorShutdownsHonoured": "after every master step on a SHUTDOWN call and every agent step "
                                 "on a ShutdownExecutorMsg",  # s16 kdrive
    "KillsReachTheirAgent": "after every master step on a KILL call",  # s16 kdrive
    "OperatorAgentCallsHold": "at every answer to the operator's extra agent calls "  # s18 driveo
                              "(SimConfig.agent_calls) and the registry results before them",  # s18 driveo
    "CustomExecutorsRun": "after every master step on an ACCEPT that sends RunTask, and every "
                          "agent step on a RunTask",  # s16 kdrive
    **{n: "at quiescence" for n in (
        "DescribeAgrees", "TaskBooksAgree", "NoResourceLeak", "FrameworkViewAgrees", "AgentActivityAgrees",
        "EventuallyAcked",
        "EventuallyOffered", "EventuallyReregistered", "TerminalReachesFramework",
        "KillsTakeEffect", "ExecutorUpdatesDelivered", "ReconciliationAgrees")},
    "ReconcileAnswered": "after every explicit reconciliation the master handles",
    "AckedTerminalTaskRemoved": "after every acknowledgement the leader accepts",
    "TaskStatesAgree": "at quiescence",
    "InvalidOffersRefused": "after every ACCEPT the master handles",
    "SubscribeTakesInfo": "after every SUBSCRIBE the master handles",
    "MalformedCallsRefused": "after every malformed ACCEPT, and every call of the hostile "
                             "scheduler API client (s13 mops), the master handles",
    "NoRescindOfReturnedOffers": "after every ACCEPT and DECLINE the master handles",
    "AgentDisconnectionNoticed": "after every disconnection the master handles",
    "PrincipalsChecked": "after every authenticated SUBSCRIBE the master handles",
    "MalformedAgentMessagesRefused": "after every malformed agent message the master handles",
    "NoSendWithoutPeer": "after every master step (a Send without an addressee)",
    "ForgedAgentMessagesIgnored": "after every forged agent message the master handles",
    "MasterUpdatesSent": "after every master step that removes or readmits an agent",
    "RemovalsRateLimited": "as a master marks an agent unreachable",
    "AgentsHealthChecked": "after every removal-permit timer the leader handles, as each "
                           "agent stopped for maintenance comes back",
    "RemovedAgentsForgotten": "after every master step that removes an agent",
    "OffersNeedACause": "after every master step on a Pong, a ping or a heartbeat timer",
    "NoOffersOutsideWhitelist": "after every leader step that makes offers while the "
                                "operator keeps a whitelist",
    "UnresponsiveAgentsRemoved": "as each agent stopped for maintenance comes back",
    "OperatorViewsAgree": _VIEWS_WHEN,
    "WhyExplains": _VIEWS_WHEN,
    "UnauthorizedOperatorCallsRefused": "on the answer to each unauthorized operator call",
    "OperationFeedbackAgrees": "after every ACCEPT with an invalid operation, operation "
                               "reconciliation and operation acknowledgement the master handles"
                               # s14 kops
                               ", every ACCEPT with a RESERVE or UNRESERVE, and every registry "
                               "result after one",
    "DrfOrder": "after every allocation",
    "HealthChecksKill": "after every health-check result",
    # s13 mmaster
    "AgentTotalsAgree": "at quiescence",
    "HeldOffersAgree": "at quiescence, and on every ACCEPT and DECLINE the master handles",
    "MasterExecutorsAgree": "at quiescence",
    "NoOffersOfDisconnectedAgents": "after every master step that makes offers",
    "RegistryCountersAgree": "after every registry result a master handles",
    # s13 mops
    "HostileCallsRefused": "after every call of a hostile scheduler API client the master handles",
    "MasterDescribeAgrees": _VIEWS_WHEN,
    "OperatorReservationsApplied": "after every RESERVE/UNRESERVE_RESOURCES of the simulated "
                                   "operator the leader handles",
    "OperatorCallsAnswered": "after every master step answering an operator call, and at quiescence",
    "SettingsAgree": "at quiescence",
    "WithdrawnOffersRescinded": "after every leader step that takes offers back",
    # s13 malloc
    "AllocatorLedgersAgree": "after every allocation cycle that allocated",
    # s14 kalloc
    "AllocatorSettingsAgree": "after every allocation cycle that allocated",
    "NothingLeftOfferable": "after every allocation cycle with --fast-alloc, else after the "
                            "first cycle past each tenth of the run's events",
    # s14 kmaster
    "AnsweringAgentsKept": "after every master step that marks an agent unreachable for its "
                           "health check (or makes it wait for a removal permit)",
    "TornDownFrameworksClosed": "after every TEARDOWN a master answers 202",
    "MasterBooksIndexed": "after every agent (re-)registration a master completes (that "
                          "agent's books), and at quiescence (the leader's books)",
    "RegistryGcPrunes": "at quiescence",
    "UnreregisteredAgentsMarked": "at quiescence",
    "TimersNotInPast": "as every machine sets a timer",  # s17 killm
    "ReconcileAnswersAsMesos": "after every explicit reconciliation the master answers",  # s17 killm
    "RegistryGcSelects": "after every registry GC the leader starts, and its result",  # s17 killm
    "LeaderViewsAgree": "after every election, and with " + _VIEWS_WHEN,  # s17 killm
    "ReservationsResent": "after every re-registration the leader completes",  # s17 killm
    "RemovalPermitsPaced": "as an agent due for removal waits for a permit",  # s17 killm
    "UpdatesVisible": "as every framework hears a task update",  # s17 killm
    "RegistersOnlyWhenDisconnected": "on every (re-)registration an agent sends",  # s19 kagent
    "RegistrationRetriesBounded": "on every registration retry an agent arms",  # s19 kagent
    "KillsOnlyLiveExecutors": "on every executor kill an agent asks for",  # s19 kagent
}

# (s16 speed) the task state graph (LegalTaskTransitions; produce's fast path), what a
# terminal state is shown as (UpdatesInOrder; on_app_event's fast path), the calls whose
# handling changes check_offer_filters' model (the other calls only reset its pre-step offers)
_STATE_GRAPH = inv.TASK_STATE_GRAPH
_SHOWN_AS = inv._SHOWN_AS
_FILTER_CALLS = frozenset({CallSubscribe, CallDecline, CallAccept, CallSuppress, CallRevive})
# the messages whose Send on_master_step's pass over the effects reads
_READ_SENDS = frozenset({EventOffers, EventRescind, RunTask, RunTaskGroup})

# what an executor sends its agent (HostileExecutorInputRefused watches a hostile sender's)
_EXECUTOR_CALLS = (ExecutorSubscribe, ExecutorUpdate, ExecutorMessage)

PRODUCER = {Source.SOURCE_EXECUTOR: "executor", Source.SOURCE_AGENT: "agent",
            Source.SOURCE_MASTER: "master", None: "agent"}
STAGING = TaskState.TASK_STAGING
# the master's answer to a call that fails Mesos's structural validation
MALFORMED = "Failed to validate scheduler::Call"
# its TASK_ERROR message for a task asking more than the ACCEPT's offers hold
UNAVAILABLE = "Task uses more resources"


# ClusterSnapshot's fields at their defaults (mappings read-only: shared by every snapshot)
_SNAP_DEFAULTS: dict[str, Any] = {}


def _snap(**fields: Any) -> ClusterSnapshot:
    """`ClusterSnapshot(**fields)` for the per-event checks: the same value (equal, same
    fields) built without attrs' generated __init__ (the class has fifty-odd fields and the
    checker builds one or more per event). Only the given fields go in the instance's
    __dict__: the others are read from the class, which holds each field's default (s12;
    attrs' __init__ puts every field in the instance, so a constructed snapshot never reads
    them). Unknown names raise TypeError as the constructor would."""
    if not _SNAP_DEFAULTS:
        for k, v in attrs.asdict(ClusterSnapshot(), recurse=False).items():
            _SNAP_DEFAULTS[k] = MappingProxyType(v) if isinstance(v, dict) else v
        for k, v in _SNAP_DEFAULTS.items():
            setattr(ClusterSnapshot, k, v)
    s = _NEW(ClusterSnapshot)
    s.__dict__.update(fields)
    if not fields.keys() <= _SNAP_DEFAULTS.keys():
        raise TypeError(f"ClusterSnapshot has no field {sorted(set(fields) - set(_SNAP_DEFAULTS))}")
    return s


_NEW = object.__new__
_NO_RESOURCES = Resources()  # immutable: one empty value to start the per-event sums


class Violation(Exception):
    def __init__(self, name: str, message: str, time: float, event: int) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.time = time
        self.event = event


class Checker:
    """Observer of a World (see world.py for the hooks). Raises `Violation` at the first
    violated property when `fail_fast`, else collects them."""

    def __init__(self, *, fail_fast: bool = True, drf: bool = True, fast: bool = True) -> None:
        self.fail_fast = fail_fast
        self.drf = drf
        # s16 lead: MessagesRelayed (core/sim/checks_messages.py): the messages each
        # scheduler sent, the valid/invalid counts each machine should show
        self.msgs_sent: dict[tuple[str, bytes], set[tuple[str, str]]] = {}
        self.msg_tally: dict[Any, tuple[Any, list[float]]] = {}
        self.fast = fast  # (s16 speed) the fast paths that stand for a catalog call (holds)
        self.dirty = False
        self.checks = 0
        self.violations: list[Violation] = []
        self.produced: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.produced_set: dict[tuple[str, str], set[bytes]] = {}
        self.seen: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.acked: dict[tuple[str, str], set[bytes]] = {}
        self.unacked: dict[tuple[str, str], set[bytes]] = {}
        self.abandoned: set[tuple[str, str]] = set()
        self.transitions: dict[tuple[str, str], list[tuple[TaskState, str]]] = {}
        self.launches: dict[tuple[str, str], list[str]] = {}
        self.registry_commits: list[tuple[str, bool]] = []
        self.recovery_kills: list[tuple[str, str, bool]] = []
        self.decisions = 0
        self.key_agent: dict[tuple[str, str], str] = {}  # task -> agent node holding it
        self.agent_keys: dict[str, set[tuple[str, str]]] = {}
        self.unsynced: dict[str, list[tuple[tuple[str, str], bytes, TaskState, str]]] = {}
        self.volatile: set[tuple[tuple[str, str], bytes]] = set()
        self.produced_at: dict[bytes, float] = {}
        self.exec_updates: dict[bytes, tuple[tuple[str, str], TaskState]] = {}
        self.superseded: set[bytes] = set()
        self.launched_tasks = 0
        self.finished_tasks = 0
        self.lost_tasks = 0
        self.terminal_seen: dict[tuple[str, str], TaskState] = {}
        # scheduler drivers (inv.DRIVER): updates handed to applications, per driver
        # incarnation the streams that delivered SUBSCRIBED and the framework ids it used
        self.delivered: set[tuple[str, str, bytes]] = set()
        self.subscribed_streams: dict[str, set[str]] = {}
        self.framework_ids: dict[str, list[tuple[str, str | None]]] = {}
        self._ledger_agents: set[str] = set()
        self._keys_to_check: set[tuple[str, str]] = set()
        self.world: Any = None
        # ---- issue 12 books (see the "cross-party books" section below)
        self.weights: dict[str, float] = {}  # role -> weight the world configured
        self.fenced: dict[str, int] = {}  # master node -> incarnation whose write was fenced
        self.fenced_actions: list[tuple[str, str]] = []
        # (framework, agent, role) -> (the declined offer's resources, filter expiry)
        self.decline_filters: dict[tuple[str, str, str], tuple[Resources, float]] = {}
        self.suppressed: dict[str, set[str]] = {}  # framework -> roles it suppressed
        # QuotaLimitRespected: the leader (name, incarnation) the books are of, and
        # (role, resource) -> (the limit, what the role may hold: quota_allowance)
        self.quota_leader: tuple[str, int] | None = None
        self.quota_agents: frozenset[str] = frozenset()
        self.quota_books: dict[tuple[str, str], tuple[float, float]] = {}
        # framework -> role -> the offer constraints of its last SUBSCRIBE
        self.constraints: dict[str, dict[str, tuple[Any, ...]]] = {}
        self.filter_master: tuple[str, int] | None = None  # the master the model follows
        self._pre_offers: dict[str, Any] = {}  # offers a call named, before the master step
        # s12 mm1: MasterUpdatesSent: before a master step on a registry result, the live
        # tasks of the agents being removed and the unreachable tasks of the agents being
        # readmitted (agent_task_books); RemovalsRateLimited: (master, incarnation, elected
        # time) -> when it last marked an agent unreachable
        self._pre_agent_tasks: Any = None
        self._pre_removals: float = 0  # the master's master/slave_removals before the step
        self._pre_subscribe: tuple[bool, Any] | None = None  # (recovered, registered_time)
        self.last_unreachable_mark: dict[tuple[str, int, Any], float] = {}
        self.offers_checked = 0
        self.lost_in_transit: set[tuple[str, str]] = set()
        self.kills: dict[tuple[str, str], tuple[float, str, int]] = {}
        self.kills_lost: set[tuple[str, str]] = set()  # a KillTask the network dropped
        self.launch_sent: dict[tuple[str, str], float] = {}  # task -> when a master sent it
        self.health = HealthModel()  # HealthChecksKill's reference (core/sim/health.py)
        # master agent record id -> (record, its used_by_framework()): valid until the next
        # master step (reset in before_master_step)
        self._used_memo: dict[int, tuple[Any, dict[str, Resources]]] = {}
        self._call_snaps: dict[tuple[str, type, bool], ClusterSnapshot] = {}
        self._scalars_memo: dict[int, tuple[Resources, dict[str, dict[str, int]]]] = {}
        # requests of calls the simulated frameworks made malformed on purpose (s11)
        self.malformed_requests: set[str] = set()
        # share_books: the allocator whose allocations are summed, the allocation dict of
        # each of its agents as last summed, the running sums (_allocation_sums)
        self._sums_of: Any = None
        self._sums_seen: dict[str, dict[str, Resources]] = {}
        self._sums: dict[tuple[str, str], dict[str, int]] = {}
        # share_books: (the agents' totals, their sum in milli-units)
        self._totals_memo: tuple[list[Resources], dict[str, int]] | None = None
        self._ledger_totals: tuple[list[Resources], dict[str, int]] | None = None  # s13 malloc
        # s14 kalloc: NothingLeftOfferable: the allocator and cycle count last looked at
        self.left_offerable_of: tuple[Any, int] = (None, 0)
        self.cycle_before = 0  # the leader's allocator cycle count before this master step
        self._share_labels: dict[Any, str] = {}  # share_books: (framework, role) or role -> what
        # share_books: role -> name -> milli (running, as _sums); the shares computed from
        # the sums ((framework, role) or role -> share) and the keys whose sums changed since
        self._role_sums: dict[str, dict[str, int]] = {}
        self._share_memo: dict[Any, float] = {}
        self._share_dirty: set[Any] = set()
        # s11: DestroyContainer effects per agent node since it last started (the
        # executors_terminated counter's reference, ExecutorBooksAgree)
        self.destroyed: dict[str, int] = {}
        # s12 mm2: the world event count at which the leader's operator views are next
        # sampled (check_operator_views)
        self.views_due = 0
        self.views_due_t = 0.0  # during quiescence the samples are spread over virtual time
        self.kobs = checks_kobs.new_state()  # s16 kobs: MetricsAgree, LogsRecord, AnswersAsMesos
        # OperationFeedbackAgrees: the operation ids the simulated frameworks sent knowing
        # them invalid (world.py registers them), the last status before an acknowledgement
        self.invalid_ops: set[tuple[str, str]] = set()
        # s14 kops: (framework, operation id) -> what a valid RESERVE / UNRESERVE converts to
        self.op_converts: dict[tuple[str, str], Resources] = {}
        self._pre_ack: tuple[bytes | None, str | None] | None = None
        # s23: (the CallAcknowledge input, whether its task was booked terminal on its agent)
        self._pre_ack_task: tuple[Any, bool] | None = None
        # RebootRecovery: each agent's host boot count at its last start, and the agent
        # record (id, AgentInfo) its last start recovered
        self.boots: dict[str, int] = {}
        self.recovered_ids: dict[str, Any] = {}
        # s13 mmaster: HeldOffersAgree: per scheduler node, the offers its application holds
        # on its current subscription (offer id -> framework id), and every offer id a
        # master sent a rescind for
        self.held_offers: dict[str, dict[str, str]] = {}
        self.rescinds_sent: set[str] = set()
        # s17 longrun: + the next registry op id
        self._pre_registry: tuple[dict[str, float], set[str], int] | None = None
        # HeldOffersAgree on each ACCEPT/DECLINE: offer id -> (master, incarnation, framework,
        # stream) it was sent on, and the offer ids a master already handled a call naming
        self.offer_sent: dict[str, tuple[str, int, str, str]] = {}
        self.offers_named: set[str] = set()
        # s14 kmaster: AnsweringAgentsKept: (master, incarnation, agent id) -> when that
        # master last heard from the agent (a Pong handled, or the agent (re-)registered)
        self.agent_contact: dict[tuple[str, int, str], float] = {}
        # (s16 speed) streams whose transitions were all found legal (produce's fast path);
        # (cgroup name, task id) -> whether the name checks out (check_cgroup_files)
        self._legal_keys: set[tuple[str, str]] = set()
        # streams on which UpdatesInOrder found nothing: uuid -> index of the distinct uuids
        # seen (on_app_event's fast path)
        self._in_order: dict[tuple[str, str], dict[bytes, int]] = {}
        self._cg_names: dict[tuple[str, str], bool] = {}
        # (s17 speed) id -> offered Resources on which ReservedToRole's test passed
        self._placed_ok: dict[int, Resources] = {}

    # ================================================================== reporting
    def fail(self, world: Any, messages: list[str]) -> None:
        for m in messages:
            name = m.split(":", 1)[0]
            v = Violation(name, m.split(":", 1)[1].strip(), world.now, world.events)
            self.violations.append(v)
            if self.fail_fast:
                raise v

    def run(self, world: Any, fn: Any, snap: ClusterSnapshot) -> None:
        self.checks += 1
        out = fn(snap)
        if out:
            self.fail(world, out)

    def holds(self) -> None:
        """(s16 speed) A property counted as evaluated on an input on which its catalog
        function finds nothing by construction (e.g. an empty row set: the function is a
        comprehension over those rows), or by the function's own test applied to the one
        thing that changed: the same count as `run`, no snapshot built. Each such fast path
        is taken only when `self.fast` (tests/test_s16_speed.py runs with it off, every
        property through its catalog function, and compares)."""
        self.checks += 1

    # ================================================================== hooks
    def on_master_start(self, world: Any, n: Any) -> None:
        pass

    def on_agent_start(self, world: Any, n: Any, rec: Any) -> None:
        agent = rec.agent() if not rec.is_empty() else None
        self.recovered_ids[n.name] = (agent.info.id, agent.info) if agent is not None else None
        self.destroyed[n.name] = 0
        if n.mode == "cleanup":
            # cleanup mode: executors are killed and the agent starts afresh; its
            # unacknowledged updates go with it (Mesos --recover=cleanup)
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        checks_killm.forget_deleted_updates(self, world, n, rec)  # s17 killm2
        self.dirty = True
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))

    def on_agent_crash(self, world: Any, n: Any, stopped: bool) -> None:
        # unsynced records that survived the crash are durable now: they were accepted
        logs = n.disk.logs
        for key, uuid, state, producer in self.unsynced.pop(n.name, []):
            log = logs.get(("updates", key[0], key[1]), ())
            if any(type(r) is UpdateRecord and r.update.uuid == uuid for r in log):
                self.produce(world, n, key, uuid, state, producer)
        if stopped:
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        for key in self.agent_keys.get(n.name, ()):
            lost = [u for u in self.unacked.get(key, ()) if (key, u) in self.volatile]
            if lost:
                self.abandoned.add(key)  # never checkpointed: Mesos may lose it
                self.forget_lost_volatile(key, lost)  # s17 longrun
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))
        self.dirty = True

    def forget_lost_volatile(self, key: tuple[str, str], lost: list[bytes]) -> None:
        """(s17 longrun) Updates an agent held in memory only (Mesos's
        `TaskStatusUpdateManager::update(update, slaveId)`, not checkpointed: the agent's
        reconciliation answers for tasks it does not know, `Slave::reregistered`) die with its
        crash; those no scheduler saw leave the stream the agent produced, so UpdatesInOrder
        judges what survives (seen ['4a33df29'] of produced ['5dd7c793', '4a33df29'] at event
        20,994 of `sim --seed 7 --events 50000 --faults all --operator --fast-alloc` on
        dc89c18: the first TASK_LOST was never forwarded, its framework disconnected)."""
        gone = {u for u in lost if (key[0], key[1], u) not in self.delivered}
        prod = self.produced.get(key)
        if gone and prod:
            self.produced[key] = [(u, st) for u, st in prod if u not in gone]
            self._in_order.pop(key, None)

    def on_persist(self, world: Any, n: Any, e: Any) -> None:
        rec = e.record
        if e.append and type(rec) is UpdateRecord:
            u = rec.update
            key = (u.framework_id, u.status.task_id)
            if u.uuid not in self.produced_set.get(key, ()):
                self.unsynced.setdefault(n.name, []).append(
                    (key, u.uuid, u.status.state, PRODUCER.get(u.status.source, "agent")))

    def on_sync(self, world: Any, n: Any) -> None:
        pend = self.unsynced.pop(n.name, None)
        if pend:
            for key, uuid, state, producer in pend:
                self.produce(world, n, key, uuid, state, producer)

    def before_agent_crash(self, world: Any, n: Any) -> None:
        """CheckpointAgrees on the agent about to crash: what it holds is what its disk
        (every write so far) would rebuild."""
        rows = checkpoint_rows(n, crashing=True)
        if rows:
            self.run(world, inv.CheckpointAgrees, ClusterSnapshot(checkpoint_books=tuple(rows)))

    def after_agent_start(self, world: Any, n: Any) -> None:
        """CheckpointAgrees right after an agent started (recovered): what recovery rebuilt
        from its disk, and the disk it left, agree."""
        rows = checkpoint_rows(n)
        if rows:
            self.run(world, inv.CheckpointAgrees, ClusterSnapshot(checkpoint_books=tuple(rows)))
        if n.boot != self.boots.get(n.name, 0):
            self.boots[n.name] = n.boot
            check_reboot_keeps_id(self, world, n)

    def on_reboot_lost_kill(self, world: Any, n: Any, cid: str) -> None:
        """RebootRecovery: a KillExecutor for a container whose processes died in a host
        reboot (their pids may be reused by other processes)."""
        self.run(world, inv.RebootRecovery, ClusterSnapshot(reboot_recoveries=((
            n.name, (f"signals container {cid[:8]}, whose executor died in a host reboot "
                    "(its pid may be another process's now)")),)))

    def check_agent_update(self, world: Any, node: Any, u: Any) -> None:
        """AgentUpdatesTruthful, on an update an agent persists or sends."""
        own = node.machine.agent_id or None
        if u.status.reason in _CAUSES:
            self.check_executor_reason(world, node, u)
        running = (u.status.reason is _EXEC_TERMINATED
                   or u.status.reason is _KILLED_DURING_LAUNCH) \
            and task_still_runs(world, node, u)  # (s13 magent: killed during launch)
        if u.status.agent_id != own or running:
            self.run(world, inv.AgentUpdatesTruthful, ClusterSnapshot(agent_updates=(
                (node.name, u.status.task_id, u.status.agent_id, own, running),)))

    def check_executor_reason(self, world: Any, node: Any, u: Any) -> None:
        """ExecutorReasonsTruthful, on an update an agent produces ending a task for its
        executor: an executor its own agent SIGKILLed without ever having answered its
        SUBSCRIBE, the registration timeout after launching it, did not register in time."""
        reason = u.status.reason
        a = node.machine
        if reason is _AGENT_RESTARTED:
            # only a task launched before the agent restarted: its executor was launched by
            # an earlier incarnation of the agent
            fw = a.frameworks.get(u.framework_id)
            ex = fw.executors.get(fw.task_executor.get(u.status.task_id, "")) \
                if fw is not None else None
            x = world.executors.get(ex.container_id) if ex is not None else None
            if x is not None and x.agent_inc == node.inc:
                self.run(world, inv.ExecutorReasonsTruthful, ClusterSnapshot(executor_reasons=((
                    node.name, (f"task {u.status.task_id} ended REASON_AGENT_RESTARTED, but the "
                               "agent has not restarted since it launched the task's executor")),)))
            return
        fw = a.frameworks.get(u.framework_id)
        ex = fw.executors.get(fw.task_executor.get(u.status.task_id, "")) if fw is not None \
            else None
        x = world.executors.get(ex.container_id) if ex is not None else None
        if x is None:
            return
        timed_out = (not x.subscribed and x.killed_at is not None
                     and x.killed_at >= x.launched_at + a.config.executor_registration_timeout)
        if (reason is _EXEC_TERMINATED and timed_out) or (reason is _REG_TIMEOUT and x.subscribed):
            self.run(world, inv.ExecutorReasonsTruthful, ClusterSnapshot(executor_reasons=((
                node.name, f"task {u.status.task_id} ended {reason.name}, its executor "
                           + ("killed unregistered past the registration timeout"
                              if timed_out else "having subscribed")),)))

    def on_superseded(self, uuid: bytes) -> None:
        """The agent refused an executor's update because it had ended the task itself (a
        container limitation): acknowledged only so that it is not resent, never accepted."""
        self.superseded.add(uuid)

    def on_executor_ack(self, world: Any, n: Any, x: Any, msg: Any) -> None:
        check_acks_checkpointed(self, world, n, x, msg)  # s16 kproto
        if msg.uuid in self.superseded:
            return
        key = (x.framework_id, msg.task_id)
        if msg.uuid in self.produced_set.get(key, ()):
            return
        known = self.exec_updates.get(msg.uuid)
        if known is not None:
            self.produce(world, n, key, msg.uuid, known[1], "executor")

    def on_task_start(self, world: Any, x: Any, task_id: str) -> None:
        if world.config.health:
            self.health.on_task_start(world.now, x, task_id)
        key = (x.framework_id, task_id)
        agents = self.launches.setdefault(key, [])
        agents.append(x.agent.name)
        self.launched_tasks += 1
        if len(agents) > 1:
            self.run(world, inv.SingleLaunch,
                     ClusterSnapshot(launches={key: tuple(agents)}))

    def on_registry_commit(self, writer: str, was_leader: bool) -> None:
        self.registry_commits.append((writer, was_leader))
        if not was_leader:
            self.run(self.world, inv.OneLeaderWrites,
                     ClusterSnapshot(registry_commits=((writer, was_leader),)))

    def on_recovery_kill(self, world: Any, n: Any, cid: str, alive: bool) -> None:
        self.recovery_kills.append((n.name, cid, alive))
        self.run(world, inv.RecoveryKeepsTasks,
                 ClusterSnapshot(recovery_kills=((n.name, cid, alive),)))

    def on_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        kind = node.kind
        if kind == "master":
            self.on_master_step(world, node, inp, effects)
        elif kind == "agent":
            self.on_agent_step(world, node, inp, effects)
        elif type(inp) is HealthCheckResult:
            seen = self.health.on_result(world.now, node, inp, effects)
            if seen is not None:
                self.run(world, inv.HealthChecksKill, ClusterSnapshot(health_checks=(seen,)))

    def on_agent_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        tin = type(inp)
        checks_drivea.after_agent_step(self, world, node, inp, effects)  # s18 drivea
        checks_kagent.after_agent_step(self, world, node, inp, effects)  # s19 kagent
        if tin is Received and type(inp.message) in (RunTask, RunTaskGroup):
            self.check_agent_runs(world, node)
            checks_killa.on_run(self, world, node, inp.message, effects)  # s17 killa
            checks_killm3.on_run(self, node, inp.message, effects)  # s18 killm3
        elif tin is Received and type(inp.message) is CheckpointResources:  # s17 killm2
            checks_killm.on_checkpoint_received(self, node)  # s17 killm2
        persisted: set[bytes] | None = None
        for e in effects:
            t = type(e)
            if t is Send:
                tm = type(e.message)
                if tm is StatusUpdateMessage:
                    u = e.message.update
                    self.check_agent_update(world, node, u)
                    key = (u.framework_id, u.status.task_id)
                    if (persisted is None or u.uuid not in persisted) \
                            and u.uuid not in self.produced_set.get(key, ()) \
                            and not any(x[1] == u.uuid for x in self.unsynced.get(node.name, ())):
                        # accepted into a stream without a checkpoint (a framework or task
                        # the agent does not checkpoint): held in memory only
                        self.volatile.add((key, u.uuid))
                        self.produce(world, node, key, u.uuid, u.status.state,
                                     PRODUCER.get(u.status.source, "agent"))
                elif tm in _LAUNCHES:  # s14 kagent
                    check_executor_launches(self, world, node, effects)
                    checks_killa.on_launch(self, world, node, e)  # s17 killa
                elif tm in checks_killa.REPORTS:  # s17 killa
                    checks_killa.on_report(self, world, node, e.message)  # s17 killa
            elif t is SetTimer:
                if e.key[0] == RETRY_TIMER:  # s14 kagent
                    check_retry_backoff(self, world, node, inp, effects, e)
            elif t is Persist:
                if type(e.record) is UpdateRecord:
                    if persisted is None:
                        persisted = set()
                    persisted.add(e.record.update.uuid)
                    self.check_agent_update(world, node, e.record.update)
            elif t is DestroyContainer and tin is not AgentStart:
                # (at a start, the containers of executors that died with a rebooted host:
                # terminated before this incarnation, not counted by it)
                self.destroyed[node.name] = self.destroyed.get(node.name, 0) + 1
        if tin is not Received:
            kproto_agent_step(self, world, node, inp, effects)  # s16 kproto
            if tin is AgentShutdown:
                # the operator shuts the agent down (SIGUSR1): it unregisters, kills its
                # executors and forgets its state; its unacknowledged updates go with it
                # (the master tells the frameworks: MasterUpdatesSent)
                self.abandoned.update(self.agent_keys.get(node.name, ()))
                self._keys_to_check.update(self.agent_keys.get(node.name, ()))
                self.dirty = True
                checks_killm3.on_shutdown(self, world, node, None)  # s18 killm3
                check_shutdown_unregisters(self, world, node, effects)
                # a shut-down agent forgets its tasks' pending updates (its master answers
                # them TASK_GONE), as after a ShutdownAgent from the master
                self.abandoned.update(self.agent_keys.get(node.name, ()))
            elif tin is ContainerLimitation:
                check_limitation_enforced(self, world, node, inp, effects)
            return
        msg = inp.message
        t = type(msg)
        if t in _EXECUTOR_CALLS and inp.sender.endswith(HOSTILE_EXECUTOR):
            check_hostile_executor_refused(self, world, node, inp, effects)
            checks_kobs.after_agent(self, world, node, inp, t, effects)  # s16 kobs
            return
        if world.probing is not None and world.probing == inp.sender:
            check_ghost_update_refused(self, world, node, msg, effects)  # s13 magent
            checks_kobs.after_agent(self, world, node, inp, t, effects)  # s16 kobs
            return
        if t in checks_killa.AGENT_MESSAGES:  # s17 killa
            checks_killa.on_agent_message(self, world, node, msg, effects)  # s17 killa
        if t is FrameworkToExecutor or t is ExecutorMessage:  # s16 lead
            checks_messages.check_agent_relay(self, world, node, inp, effects)
        if t in checks_kobs.AGENT_INPUTS:  # s16 kobs
            checks_kobs.after_agent(self, world, node, inp, t, effects)  # s16 kobs
        if t is ShutdownExecutorMsg:  # s16 kdrive
            checks_kdrive.check_shutdown_at_agent(self, world, node, inp, effects)  # s16 kdrive
        elif t is RunTask:  # s16 kdrive
            checks_kdrive.check_run_task_at_agent(self, world, node, inp, effects)  # s16 kdrive
        if t is ExecutorUpdate:
            checks_killa.on_executor_update(self, world, inp.sender, msg)  # s17 killa
            st = msg.status
            if st.uuid is not None:
                self.exec_updates[st.uuid] = ((msg.framework_id, st.task_id), st.state)
        elif t is ExecutorSubscribe:
            x = world.executor_by_name(inp.sender)
            if x is not None:
                node.resubscribed.add(x.container)
        elif t is AgentRegistered or t is AgentReregistered:
            node.recovering = False
        elif t is ShutdownFramework:
            fw = msg.framework_id
            self.abandoned.update(k for k in self.agent_keys.get(node.name, ())
                                  if k[0] == fw)
            checks_killm3.on_shutdown(self, world, node, fw)  # s18 killm3
        elif t is ShutdownAgent:
            self.abandoned.update(self.agent_keys.get(node.name, ()))
            checks_killm3.on_shutdown(self, world, node, None)  # s18 killm3
        else:
            name = t.__name__
            if name == "StatusUpdateAcknowledgement":
                key = (msg.framework_id, msg.task_id)
                self._keys_to_check.add(key)
                self.dirty = True

    def on_master_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        # (s16 speed) Every check runs in the order it always ran (the first violation of a
        # step is the one reported), each gated on what this step's input and effects can
        # make it read; the gates are computed once: the input's type (and call's, message's),
        # whether the effects hold anything the pass over them reads (scan).
        kproto_master_step(self, world, node, inp, effects)  # s16 kproto
        checks_drivel.master_step(self, world, node, inp, effects)  # s18 drivel
        checks_kmast1.master_step(self, world, node, inp, effects)  # s19 kmast1
        tin = type(inp)
        sc = tin is SchedulerCall
        call: Any = inp.call if sc else None
        if sc and HOSTILE_CALL in inp.request:  # s13 mops
            check_hostile_call(self, world, inp, effects)
            return
        if sc and checks_drivem.MISADDRESSED in inp.request:  # s18 drivem
            return checks_drivem.check_misaddressed(self, world, node, inp, effects)  # s18 drivem
        if sc and checks_kmast3.BAD_SUBSCRIBE in inp.request:  # s19 kmast3
            return checks_kmast3.check_bad_subscribe(self, world, node, inp, effects)  # s19 kmast3
        pre_offers = self._pre_offers
        ct = type(call)
        msg: Any = inp.message if tin is Received else None
        # whether the pass over the effects below has anything to read (a Log, or a Send of
        # offers, a rescind or a task): most steps' effects are timers, pings, updates
        scan = False
        for e in effects:
            te = type(e)
            if te is Log or (te is Send and type(e.message) in _READ_SENDS):
                scan = True
                break
        leader = node.leader
        me = (node.name, node.inc)
        d = self.__dict__
        if leader:  # s13 mops
            # WithdrawnOffersRescinded has nothing to book or judge unless the step sent
            # offers or rescinds (scan), or named offers, or the leader holds fewer offers
            # than booked (or the book is of another master)
            book = d.get("offer_book")
            if scan or sc or book is None \
                    or d.get("offer_book_of") != me or len(book) > len(node.machine._offers):
                track_offer_rescinds(self, world, node, inp, effects)
        config = world.config
        if config.operator:  # s13 mops
            if tin is OperatorCall:  # s16 kobs
                checks_kobs.after_operator_call(self, world, node, inp, effects)  # s16 kobs
            if config.agent_calls:  # s18 driveo
                checks_driveo.after_master_step(self, world, node, inp, effects)  # s18 driveo
            resv = world.op_resv_pre
            if resv is not None and getattr(inp, "request", None) == resv[0]:
                check_operator_reservation(self, world, node, inp, effects, resv)
            track_operator_answers(self, world, node, inp, effects)
        # one pass over the effects: the agents whose ledgers this step touched, and whether
        # check_offer_filters has anything to read (offers made, agent_* logs)
        agents: set[str] | None = None
        filters_due = self.filter_master != me or ct in _FILTER_CALLS
        if scan:
            for e in effects:
                te = type(e)
                if te is Log:
                    if e.event == "marking_agent_unreachable":
                        check_removal_rate(self, world, node)
                        check_health_marking(self, world, node, e)  # s14 kmaster
                    elif e.event.startswith("agent_"):
                        filters_due = True
                        if e.event in _CONTACT_EVENTS:  # s14 kmaster
                            note_agent_contact(self, world, node, e)
                            checks_killm.check_reservations_resent(self, world, node, e, effects)  # s17 killm
                        elif e.event == "agent_removal_waits_for_permit":  # s14 kmaster
                            check_health_marking(self, world, node, e)
                            checks_killm.check_permit_wait(self, world, node, e)  # s17 killm
                        if e.event == "agent_removed":
                            # a removed agent has nothing to offer: its ledger must be empty
                            if agents is None:
                                agents = set()
                            agents.add(dict(e.fields).get("agent_id", ""))
                elif te is Send:
                    m = e.message
                    t = type(m)
                    if t is EventOffers:
                        filters_due = True
                        if agents is None:
                            agents = set()
                        for o in m.offers:
                            agents.add(o.agent_id)
                        check_offered_agents_connected(self, world, node, m)  # s13 mmaster
                        sent = (node.name, node.inc, m.offers[0].framework_id, e.to) \
                            if m.offers else None
                        for o in m.offers:
                            self.offer_sent[o.id] = sent  # type: ignore[assignment]
                    elif t is EventRescind:  # s13 mmaster: HeldOffersAgree
                        self.rescinds_sent.add(m.offer_id)
                    elif t is RunTask or t is RunTaskGroup:
                        if agents is None:
                            agents = set()
                        aid = m.task.agent_id if t is RunTask else m.tasks[0].agent_id
                        agents.add(aid)
                        fid = m.framework_info.id
                        for task in ((m.task,) if t is RunTask else m.tasks):
                            self.launch_sent[(fid, task.task_id)] = world.now
        if tin is RegistryResult:  # s13 mmaster
            checks_kobs.after_registry(self, world, node, effects)  # s16 kobs
            checks_killm.after_registry(self, world, node, effects)  # s17 killm
            check_registry_counters(self, world, node, effects)
            if self.op_converts:  # s14 kops
                check_finished_conversions(self, world, node, effects)
        if tin is RegistryResult or (self.fenced and self.fenced.get(node.name) == node.inc):
            # else check_fenced_master has nothing to do
            self.check_fenced_master(world, node, inp, effects)
        pong = type(msg) is Pong
        if pong:  # s14 kmaster
            aid = node.machine._pids.get(inp.sender)
            if aid is not None:
                self.agent_contact[(node.name, node.inc, aid)] = world.now
        if agents is not None and (
                pong or (tin is TimerFired and inp.key[0] in ("heartbeat", "ping"))):
            check_no_offers_on_health_checks(self, world, node, inp, effects)
        if tin is RegistryResult and self._pre_agent_tasks is not None:
            check_master_updates_sent(self, world, node, effects)
            check_removed_agents_forgotten(self, world, node, effects)
            self._pre_agent_tasks = None
        elif tin is TimerFired and inp.key[0] == "agent_removal_permit" and leader:
            check_agents_health_checked(self, world, node)
            checks_kobs.after_removal_permit(self, world, node, effects)  # s23
        elif tin is TimerFired and inp.key[0] == "failover":  # s16 kobs
            checks_kobs.after_failover(self, world, node, effects)  # s16 kobs
            checks_drivem.after_failover(self, world, node, inp, effects)  # s18 drivem
        elif tin is TimerFired and inp.key == ("registry_gc",):  # s17 killm
            checks_killm.after_gc(self, world, node)  # s17 killm
        elif tin is LeadershipGained:  # s17 killm
            checks_killm.after_election(self, world, node)  # s17 killm
        if filters_due:  # else check_offer_filters would change and check nothing
            self.check_offer_filters(world, node, inp, effects)
        elif sc:
            self._pre_offers = {}  # what check_offer_filters does after any call
        if ct is CallKill:
            self.track_kill(world, node, inp, effects)
            checks_kdrive.check_kill_call(self, world, node, inp, effects)  # s16 kdrive
        elif tin is Disconnected:
            checks_kobs.after_disconnected(self, world, node, effects)  # s16 kobs
            self.check_inactive_offers(world, node)
            check_agent_disconnected(self, world, node, inp)
        elif tin is Received and (inp.sender.endswith(HOSTILE_AGENT) or (
                type(msg) is StatusUpdateMessage
                and msg.update.status.task_id == HOSTILE_TASK)):
            check_malformed_agent_refused(self, world, inp, effects)
            checks_kobs.after_agent_message(self, world, node, inp, effects)  # s16 kobs
        elif tin is Received and inp.sender.endswith(FORGED_AGENT):
            check_forged_agent_ignored(self, world, inp, effects)
        elif tin is Received and type(msg) is ExecutorToFramework:  # s16 lead
            checks_messages.check_executor_message_at_master(self, world, node, inp, effects)
        elif tin is Received and type(msg) is StatusUpdateMessage:  # s23
            checks_kobs.after_status_update(self, world, node, effects)  # s23
        if config.master_edges and tin is Received and inp.sender.endswith(checks_kmast3.MALFORMED_PEER):  # s19 kmast3
            checks_kmast3.check_malformed_update(self, world, inp, effects)  # s19 kmast3
        if not sc and leader:  # s19 kmast3
            checks_kmast3.registry_windows(self, world, node)  # s19 kmast3
        if sc:
            checks_kobs.after_call(self, world, node, inp, ct, effects)  # s16 kobs
            if ct is CallSuppress or ct is CallRevive or ct is CallSubscribe:  # s19 kmast3
                checks_kmast3.check_suppression_books(self, world, node, inp, effects)  # s19 kmast3
            checks_kmast2.after_call(self, world, node, inp, ct, effects)  # s19 kmast2
            if ct is CallSubscribe and config.sched_misuse:  # s18 drivem
                checks_drivem.after_subscribe(self, world, node, inp, effects)  # s18 drivem
            if ct is CallAccept and malformed_accept(call):
                check_malformed_refused(self, world, inp, effects)
            elif ct is CallReconcile and call.tasks:
                check_reconcile_answered(self, world, node, inp, effects)
                checks_killm.check_reconcile_states(self, world, node, inp, effects)  # s17 killm
            elif ct is CallAccept:
                check_valid_accept(self, world, node, inp, effects, pre_offers)
                if config.sched_misuse:  # s18 drivem
                    checks_drivem.check_incompatible_executors(self, world, node, inp, effects)  # s18 drivem
                checks_kdrive.check_launch_executors(self, world, node, inp, effects)  # s16 kdrive
                if config.sched_misuse:  # s18 drivem
                    checks_drivem.check_denied_launches(self, world, node, inp, effects)  # s18 drivem
                check_no_rescind_of_returned(self, world, inp, effects)
                if self.invalid_ops or any(type(op) in (OpReserve, OpUnreserve)
                                           for op in call.operations):
                    check_invalid_operations(self, world, node, inp, effects, pre_offers)
                    record_operation_converts(self, world, node, inp, effects, pre_offers)  # s14 kops
            elif ct is CallDecline:
                check_no_rescind_of_returned(self, world, inp, effects)
                checks_kmast3.check_decline(self, world, node, inp, effects, pre_offers)  # s19 kmast3
            if ct is CallAccept or ct is CallDecline:  # s13 mmaster
                check_offers_not_taken_silently(self, world, node, inp, pre_offers)
            elif ct is CallReconcileOperations:
                check_operation_reconcile(self, world, node, inp, effects)
            elif ct is CallAcknowledgeOperationStatus:
                check_operation_ack(self, world, node, inp, effects)
            elif ct is CallAcknowledge and leader:
                check_acked_terminal_removed(self, world, node, inp, effects)
            elif ct is CallSubscribe:
                check_subscribe_info(self, world, node, inp, effects)
                if inp.principal is not None:
                    check_subscribe_principal(self, world, node, inp, effects)
            elif ct is CallTeardown:  # s14 kmaster
                check_teardown_closes(self, world, inp, effects)
            elif ct is CallMessage:  # s16 lead
                checks_messages.check_message_call(self, world, node, inp, effects)
            elif ct is CallShutdown:  # s16 kdrive
                checks_kdrive.check_shutdown_call(self, world, node, inp, effects)  # s16 kdrive
        if agents:
            self._ledger_agents.update(agents)
            self.dirty = True
            if leader:
                self.check_allocation_books(world, node, agents)
        if leader:
            al = node.machine.allocator
            # explain mode: only when the cycle recorded decisions; the production fast path
            # (SimConfig.fast_alloc): when its reference comparison has something to read
            if self.drf and (al.last_cycle_decisions or (type(al) is not Allocator and (
                    getattr(al, "unread", 0) or getattr(al, "disagreements", None)))):
                self.check_drf(world, node)
            # s14 kalloc: NothingLeftOfferable, once per allocation cycle, only in the step
            # that ran the cycle (its count moved during this step): a cycle run outside an
            # observed step (e.g. a directly delivered hostile call) is not judged later,
            # after other inputs changed the books (s14 merge)
            if al.cycle != self.cycle_before:
                self.left_offerable_of = (al, al.cycle)  # (check_nothing_left_offerable's gate, inlined)
                if al.cycle and (config.fast_alloc
                                 or world.events >= d.get("left_offerable_due", 0)):
                    check_nothing_left_offerable(self, world, node)
        if getattr(world, "op_out", None) and node is world.live_leader():
            self.check_deactivated_offers(world, node, effects)
            check_deactivated_offers_held(self, world, node)  # s14 kops
        if agents is not None and world.whitelist is not None and leader:
            check_offers_whitelisted(self, world, node, effects)
        if leader and node.machine.leader and (
                world.now >= self.views_due_t if world.quiescent else world.events >= self.views_due):
            check_operator_views(self, world, node)  # OperatorViewsAgree, WhyExplains
            check_master_describe(self, world, node)  # s13 mops
        checks_kalloc.after_leader_step(self, world, node, inp)  # s19 kalloc

    def check_deactivated_offers(self, world: Any, node: Any, effects: list[Any]) -> None:
        """NoOffersOfDeactivatedAgents: the offers of this master step against the agents
        the operator holds out (world.op_out: its DEACTIVATE/DRAIN answered 200)."""
        out = world.op_out
        bad = tuple((node.name, o.id, o.agent_id, out[o.agent_id][0])
                    for e in effects if type(e) is Send and type(e.message) is EventOffers
                    for o in e.message.offers if o.agent_id in out)
        if bad:
            self.run(world, inv.NoOffersOfDeactivatedAgents,
                     ClusterSnapshot(offers_of_deactivated=bad))

    def on_garbage_collect(self, world: Any, n: Any, e: Any) -> None:
        """SandboxesCollected: a run directory the agent collects is no live executor's."""
        cid = e.sandbox[-1] if e.sandbox else ""
        if cid in n.machine.by_container:
            self.run(world, inv.SandboxesCollected, ClusterSnapshot(sandbox_collections=((
                n.name, f"collected the sandbox of container {cid[:8]}, which it still books"),)))
        check_collected_not_early(self, world, n, e)  # s13 magent
        self.__dict__.setdefault("collected", set()).add(cid)  # s14 kagent

    def check_container_limits(self, world: Any, n: Any, cid: str, lim: Any,
                               nested: dict[str, Resources]) -> None:
        """LimitationsEnforced, on every container update of a command executor: the limits
        the isolator sets (core/agent/isolation.py container_limits) cover the resources of
        the tasks the container holds."""
        mem = sum(r.scalar("mem") for r in nested.values()) * (1 << 20)
        cpus = sum(r.scalar("cpus") for r in nested.values())
        if lim.mem_bytes < mem or lim.cpus < round(cpus, 3):
            self.run(world, inv.LimitationsEnforced, ClusterSnapshot(limitations=((
                n.name, (f"container {cid[:8]} limited to {lim.mem_bytes} bytes, "
                        f"{lim.cpus} cpus for tasks asking {int(mem)} bytes, {cpus:g} cpus")),)))

    # s14 kagent
    def check_cgroup_files(self, world: Any, n: Any, cid: str, resources: Resources,
                           command: bool, nested: dict[str, Resources], writes: Any,
                           usage: int | None) -> None:
        check_cgroup_files(self, world, n, cid, resources, command, nested, writes, usage)

    # s14 kagent
    def check_task_cgroup(self, world: Any, x: Any, task_id: str) -> None:
        check_task_cgroup(self, world, x, task_id)

    def check_shutdown_overdue(self, world: Any, n: Any) -> None:
        """AgentShutdownCompletes: the agent the operator shut down SHUTDOWN_WITHIN seconds
        ago (the same incarnation: no crash since) has not stopped."""
        from mesotron.core.sim.world import SHUTDOWN_WITHIN

        a = n.machine
        live = sum(1 for fw in a.frameworks.values() for ex in fw.executors.values()
                   if ex.state != "terminated")
        self.run(world, inv.AgentShutdownCompletes, ClusterSnapshot(agent_shutdowns=((
            n.name, (f"still {a.state} {SHUTDOWN_WITHIN:g} s after it was told to shut down "
                    f"({live} executor(s) not terminated)")),)))

    def check_invalid_answer(self, world: Any, what: str, status: int, message: Any) -> None:
        """InvalidOperatorCallsRefused (the world calls it: World.operator_answered)."""
        self.run(world, inv.InvalidOperatorCallsRefused, ClusterSnapshot(
            invalid_operator_answers=((what, status, message or ""),)))

    def check_forbidden_answer(self, world: Any, role: str, status: int, message: Any) -> None:
        """UnauthorizedOperatorCallsRefused (the world calls it: World.operator_answered): an
        UPDATE_WEIGHTS by a principal the ACLs deny is answered 403 "403 Forbidden." (or 503)
        and the weight it asked for is not in force at the leader."""
        from mesotron.core.sim.world import INTRUDER_WEIGHT

        bad = []
        if not ((status == 403 and message == "403 Forbidden.") or status == 503):
            bad.append(f"an UPDATE_WEIGHTS of {role} by an unauthorized principal was answered "
                       f"{status} {message!r}")
        m = world.live_leader()
        if m is not None and m.machine.weights().get(role) == INTRUDER_WEIGHT:
            bad.append(f"the unauthorized weight {INTRUDER_WEIGHT:g} of {role} is in force")
        if bad:
            self.run(world, inv.UnauthorizedOperatorCallsRefused,
                     ClusterSnapshot(forbidden_answers=tuple(bad)))

    def check_drain(self, world: Any, aid: str, live: frozenset[str]) -> None:
        """DrainEmptiesAgent (the world calls it: World.drain_check)."""
        self.run(world, inv.DrainEmptiesAgent,
                 ClusterSnapshot(drained_agents=((aid, tuple(sorted(live))),)))

    def check_drained_gone(self, world: Any, aid: str) -> None:
        """DrainEmptiesAgent (s14 kops; the world calls it: World.drain_check)."""
        check_drained_gone(self, world, aid)

    def check_unresponsive_removed(self, world: Any, m: Any, aid: str, silent: float) -> None:
        """UnresponsiveAgentsRemoved and AgentsHealthChecked (the world calls it:
        World.maintenance_over)."""
        check_unresponsive_removed(self, world, m, aid, silent)
        check_agents_health_checked(self, world, m)

    def check_inactive_offers(self, world: Any, node: Any) -> None:
        """NoOffersToInactive, after a master step on a disconnection (a framework's stream
        ends: the master deactivates it and must take its offers back)."""
        held = tuple((fw.id, oid) for fw in node.machine._frameworks.values()
                     if not fw.active for oid in fw.offers)
        if held:
            self.run(world, inv.NoOffersToInactive, ClusterSnapshot(inactive_offers=held))

    def on_scheduler_input(self, world: Any, s: Any, inp: Any) -> None:
        if type(inp) is CallResponse and inp.status == 400 and inp.message \
                and inp.message.startswith(MALFORMED) \
                and inp.request not in self.malformed_requests:
            self.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(
                refused_calls=((s.name, inp.status, inp.message),)))

    def agent_activity(self, world: Any) -> tuple[tuple[str, bool, bool], ...]:
        """AgentActivityAgrees input: per agent of the live leader, whether the master
        considers it usable (connected, active, not deactivated by an operator) and whether
        the allocator has it active."""
        m = world.live_leader()
        if m is None:
            return ()
        master = m.machine
        al = master.allocator
        out = []
        for aid, a in sorted(master._agents.items()):
            ag = al._agents.get(aid)
            if ag is None:
                continue
            out.append((aid, bool(a.connected and a.active and not master.agent_deactivated(aid)),
                        bool(ag.active)))
        return tuple(out)

    def on_app_event(self, world: Any, s: Any, ev: Any) -> None:
        tev = type(ev)
        if tev is not EventUpdate:
            # s13 mmaster: HeldOffersAgree (what the application holds)
            if tev is EventOffers:
                held = self.held_offers.setdefault(s.name, {})
                for o in ev.offers:
                    held[o.id] = o.framework_id
            elif tev is EventRescind:
                self.held_offers.get(s.name, {}).pop(ev.offer_id, None)
            elif tev is EventMessage:  # s16 lead
                checks_messages.check_echo(self, world, s, ev)
            elif tev is EventSubscribed:
                self.held_offers[s.name] = {}  # offers do not outlive their subscription
                d = s.machine
                self.subscribed_streams.setdefault(d.name, set()).add(d.stream_id)
                self._driver_id(world, d.name, "subscribed", ev.framework_id)
            return
        st = ev.status
        if st.state in checks_killm.HIDDEN:  # s17 killm
            checks_killm.check_visible(self, world, s, st)  # s17 killm
        if st.state is TaskState.TASK_ERROR and not (st.message or "").startswith(UNAVAILABLE) \
                and st.reason not in checks_drivem.UNAUTHORIZED \
                and st.task_id not in getattr(s.app, "incompatible", ()):  # s18 drivem
            # the simulated frameworks' TaskInfos are well-formed: only resources they were
            # not offered (a stale or hoarded offer) may make a task invalid
            self.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(refused_calls=(
                (s.name, 0, f"task {st.task_id}: {st.message}"),)))
        if st.uuid is not None:
            self.delivered.add((s.machine.framework_id, st.task_id, st.uuid))
        fw = s.app.framework_id or s.machine.framework_id
        key = (fw, st.task_id)
        if st.state.is_terminal and key not in self.terminal_seen:
            self.terminal_seen[key] = st.state
            if st.state is TaskState.TASK_FINISHED:
                self.finished_tasks += 1
            elif st.state in (TaskState.TASK_LOST, TaskState.TASK_GONE,
                              TaskState.TASK_DROPPED):
                self.lost_tasks += 1
        if st.uuid is None:
            return
        seen = self.seen.setdefault(key, [])
        seen.append((st.uuid, st.state))
        order = self._in_order.get(key) if self.fast else None
        if order is not None:
            # (s16 speed) UpdatesInOrder found nothing on this stream so far: the distinct
            # uuids seen are the first ones produced (order: uuid -> its index there) and
            # each seen terminal state agreed. Produced only grows and a uuid's state never
            # changes, so the earlier verdicts stand: only the new update is judged, with
            # the function's own tests (prefix; terminal state shown as produced)
            produced = self.produced.get(key, ())
            i = order.get(st.uuid)
            if i is None and len(produced) > len(order) and produced[len(order)][0] == st.uuid:
                i = order[st.uuid] = len(order)
            if i is not None:
                p = produced[i][1]
                if not p.is_terminal or st.state is p or st.state is _SHOWN_AS.get(p):
                    self.holds()
                    return
        out = inv.UpdatesInOrder(_snap(
            seen={key: tuple(seen)}, produced={key: tuple(self.produced.get(key, ()))}))
        self.checks += 1
        if out:
            self._in_order.pop(key, None)
            self.fail(world, out)
        else:  # (again) a stream in order: its index
            order = self._in_order[key] = {}
            for u, _st in seen:
                if u not in order:
                    order[u] = len(order)

    def _driver_id(self, world: Any, name: str, kind: str, fid: str | None) -> None:
        seq = self.framework_ids.setdefault(name, [])
        seq.append((kind, fid))
        self.run(world, inv.ResubscribeKeepsId, ClusterSnapshot(
            framework_ids={name: tuple(seq)}))

    def on_call(self, world: Any, s: Any, call: Any) -> None:
        c = call.call
        tc = type(c)
        if tc is CallMessage:  # s16 lead
            checks_messages.note_message_call(self, s, c)
        if tc is CallAccept:
            if malformed_accept(c):
                self.malformed_requests.add(call.request)
            if getattr(s.app, "invalid_ops", None):
                # OperationFeedbackAgrees: operations the framework sends knowing them invalid
                self.invalid_ops.update((call.framework_id, op.id) for op in c.operations
                                        if getattr(op, "id", None) in s.app.invalid_ops)
        if tc is CallAccept or tc is CallDecline:  # s13 mmaster: HeldOffersAgree
            held = self.held_offers.get(s.name)
            if held:
                for oid in c.offer_ids:
                    held.pop(oid, None)
        name = s.machine.name
        if tc is CallSubscribe:
            self._driver_id(world, name, "subscribe", call.framework_id)
        else:
            ok = call.stream_id in self.subscribed_streams.get(name, ())
            if ok and self.fast:
                self.holds()  # NoCallBeforeSubscribed: the snapshot's one call is marked ok
            else:
                # one snapshot per (driver, call type, verdict): snapshots are immutable
                k = (name, tc, ok)
                snap = self._call_snaps.get(k)
                if snap is None:
                    snap = self._call_snaps[k] = ClusterSnapshot(
                        calls={name: ((tc.__name__, ok),)})
                self.run(world, inv.NoCallBeforeSubscribed, snap)
        if tc is CallAcknowledge:
            k = (call.framework_id, c.task_id, c.uuid)
            if self.fast and k in self.delivered:
                self.holds()  # AckAfterDelivery: acked - delivered is empty
            else:
                self.run(world, inv.AckAfterDelivery, _snap(
                    acked=frozenset({k}), delivered=frozenset({k} & self.delivered)))
            key = (call.framework_id, c.task_id)
            self.acked.setdefault(key, set()).add(c.uuid)
            un = self.unacked.get(key)
            if un:
                un.discard(c.uuid)

    # ================================================================== cross-party books
    # (issue 12) Each check below reads the books of one party at a time and compares them
    # with another party's or with what that party was told, never with its own conclusion.

    def on_dropped(self, world: Any, dst: Any, inp: Any) -> None:
        """The network dropped a message while the connection stayed up (TCP never does
        that; the simulator does): a RunTask lost this way leaves the master's task in
        STAGING until its agent re-registers (Mesos has the same gap), so the quiescence
        books skip that task."""
        msg: Any = getattr(inp, "message", None)
        t = type(msg)
        if t is KillTask:
            self.kills_lost.add((msg.framework_id, msg.task_id))
        elif t is RunTask:
            self.lost_in_transit.add((msg.framework_info.id, msg.task.task_id))
        elif t is RunTaskGroup:
            self.lost_in_transit.update((msg.framework_info.id, x.task_id) for x in msg.tasks)
        elif t is CheckpointResources:  # s17 killm2
            checks_killm.on_dropped_checkpoint(self, dst)  # s17 killm2
        checks_leak42.on_dropped(self, world, dst, t, msg)  # s19 leak42

    def on_unaddressed_send(self, world: Any, node: Any, e: Any) -> None:
        """NoSendWithoutPeer: a master Send with no addressee (the world drops it)."""
        self.run(world, inv.NoSendWithoutPeer, ClusterSnapshot(
            unaddressed_sends=((node.name, type(e.message).__name__),)))

    def track_kill(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """KillsTakeEffect: a KILL the master answered 202 and sent to the task's agent."""
        ok = bool(effects) and type(effects[0]) is Respond and effects[0].status < 300
        fid = inp.framework_id
        # only tasks that had started on their agent (an update produced): a KillTask that
        # overtakes its RunTask finds no task, as in Mesos
        if ok and fid is not None and (fid, inp.call.task_id) in self.produced and (any(
                type(e) is Send and type(e.message) is KillTask for e in effects)
                or kill_due(node.machine, fid, inp.call)):
            self.kills[(fid, inp.call.task_id)] = (world.now, node.name, node.inc)

    def before_master_step(self, world: Any, node: Any, inp: Any) -> None:
        """The offers a DECLINE names, as the master holds them before it handles the call
        (a decline of an offer the master no longer holds sets no filter)."""
        if self._used_memo:
            self._used_memo = {}  # the master's books may change in this step
        self.cycle_before = node.machine.allocator.cycle  # s14: NothingLeftOfferable's gate
        tin = type(inp)
        if tin is TimerFired and inp.key[0] == "failover":  # s18 drivem
            checks_drivem.before_failover(self, node, inp)  # s18 drivem
        if tin is TimerFired or tin is Received:
            if tin is TimerFired and inp.key == ("registry_gc",):  # s17 killm
                checks_killm.before_gc(self, node)  # s17 killm
            elif tin is Received and type(inp.message) is StatusUpdateMessage:  # s23
                checks_kobs.before_status_update(self, node, inp)  # s23
            elif tin is TimerFired and inp.key[0] == "agent_removal_permit":  # s23
                checks_kobs.before_removal_permit(self, node)  # s23
            return  # (s16 speed) nothing below reads them
        if tin is SchedulerCall and type(inp.call) in (CallDecline, CallAccept):
            offers = node.machine._offers
            self._pre_offers = {oid: offers[oid] for oid in inp.call.offer_ids
                                if oid in offers}
            checks_kobs.before_accept(self, node, inp)  # s16 kobs
            if type(inp.call) is CallAccept and world.config.sched_misuse:  # s18 drivem
                checks_drivem.before_accept(self, world, node, inp)  # s18 drivem
        elif tin is RegistryResult:
            checks_kobs.before_registry(self, node)  # s16 kobs
            if world.config.agent_calls:  # s18 driveo
                checks_driveo.before_registry(node, world)  # s18 driveo
            checks_killm.before_registry(self, node)  # s17 killm
            mc = node.machine
            self._pre_agent_tasks = agent_task_books(mc) \
                if mc._marking_unreachable or mc._reregistering else None
            self._pre_removals = mc.counters.get("master/slave_removals", 0)
            # s13 mmaster: RegistryCountersAgree
            self._pre_registry = (dict(mc.counters), set(mc._unreachable), mc._next_op)
        elif type(inp) is SchedulerCall and type(inp.call) is CallSubscribe:
            # SubscribeTakesInfo: the framework's registration time before the SUBSCRIBE
            checks_kobs.before_subscribe(self, node, inp)  # s16 kobs
            if world.config.sched_misuse:  # s18 drivem
                checks_drivem.before_subscribe(self, node, inp)  # s18 drivem
            fw = node.machine._frameworks.get(inp.call.framework_info.id or "")
            self._pre_subscribe = None if fw is None else (fw.recovered, fw.registered_time)
            checks_kmast2.before_subscribe(self, node, inp)  # s19 kmast2
        elif tin is SchedulerCall and type(inp.call) is CallAcknowledge:  # s23
            c = inp.call
            agent = node.machine._agents.get(c.agent_id)
            t = agent.tasks.get((inp.framework_id, c.task_id)) if agent is not None else None
            self._pre_ack_task = (inp, t is not None and t.state.is_terminal)
        elif type(inp) is SchedulerCall and type(inp.call) is CallAcknowledgeOperationStatus:
            rec = node.machine._operations.get((inp.framework_id, inp.call.operation_id))
            self._pre_ack = None if rec is None or not rec.statuses else (
                rec.statuses[-1].uuid, rec.state)
        elif type(inp) is Disconnected:  # s16 kobs
            checks_kobs.before_disconnected(self, node, inp)  # s16 kobs

    def check_fenced_master(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """OneLeaderWrites, second half: after a fenced registry write, nothing visible."""
        if self.fenced.get(node.name) == node.inc:
            acts = [type(e).__name__ for e in effects if type(e) in _VISIBLE]
            if acts:
                what = f"{', '.join(sorted(set(acts)))} after its registry write was fenced"
                self.fenced_actions.append((node.info.id, what))
                self.run(world, inv.OneLeaderWrites,
                         ClusterSnapshot(fenced_actions=(self.fenced_actions[-1],)))
            return
        if type(inp) is RegistryResult and not inp.ok:
            self.fenced[node.name] = node.inc
            acts = [type(e).__name__ for e in effects if type(e) in _VISIBLE]
            if acts:
                what = f"{', '.join(sorted(set(acts)))} in the step its write was fenced"
                self.fenced_actions.append((node.info.id, what))
                self.run(world, inv.OneLeaderWrites,
                         ClusterSnapshot(fenced_actions=(self.fenced_actions[-1],)))

    def check_offer_filters(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        """OffersRespectFilters: a model of the decline filters and suppressed roles built
        from the calls the leading master accepted (202), reset when leadership moves. It is
        deliberately weaker than Mesos where the rules are loose (filters of an ACCEPT's
        unused resources are not modelled; a re-subscription or an agent's removal or
        re-admission forgets that framework's / agent's filters)."""
        me = (node.name, node.inc)
        if self.filter_master != me:
            if not node.leader:
                return
            self.filter_master = me
            self.decline_filters = {}
            self.suppressed = {}
            self.constraints = {}
        now = world.now
        t = type(inp)
        if t is SchedulerCall:
            ok = bool(effects) and type(effects[0]) is Respond and effects[0].status < 300
            c = inp.call
            ct = type(c)
            fid = inp.framework_id
            if ct is CallSubscribe:
                if ok:
                    fid = c.framework_info.id
                    if fid is None:  # a new framework: its id is in its SUBSCRIBED event
                        fid = next((e.message.framework_id for e in effects
                                    if type(e) is Send and type(e.message) is EventSubscribed),
                                   None)
                    if fid is not None:
                        # SUBSCRIBE's suppressed_roles replace the framework's suppressed set
                        mine = set(c.framework_info.roles)
                        self.suppressed[fid] = {r for r in c.suppressed_roles if r in mine}
                        self.constraints[fid] = {r: tuple(cs) for r, cs in c.offer_constraints
                                                 if cs}
                        for k in [k for k in self.decline_filters if k[0] == fid]:
                            del self.decline_filters[k]
            elif not ok or fid is None:
                pass
            elif ct is CallDecline:
                refuse = c.filters.refuse_seconds
                if refuse is not None and (math.isnan(refuse) or refuse < 0):  # s18 drivel
                    refuse = node.machine.allocator.config.refuse_seconds_default  # s18 drivel
                if refuse is not None and not math.isnan(refuse) and refuse > 0:
                    for oid in c.offer_ids:
                        o = self._pre_offers.get(oid)
                        if o is None or o.framework_id != fid:
                            continue
                        # the offer's resources, unallocated only if an offer is caught
                        self.decline_filters[(fid, o.agent_id, o.role)] = (
                            o.resources, now + refuse)
            elif ct is CallAccept:
                # the allocator keeps ONE filter per (framework, role) on an agent, the latest:
                # an ACCEPT's filter (of its unused resources, not modelled) replaces it
                for oid in c.offer_ids:
                    o = self._pre_offers.get(oid)
                    if o is not None and o.framework_id == fid:
                        self.decline_filters.pop((fid, o.agent_id, o.role), None)
            elif ct is CallSuppress:
                fw = node.machine._frameworks.get(fid)
                roles = c.roles or (fw.info.roles if fw is not None else ())
                self.suppressed.setdefault(fid, set()).update(roles)
            elif ct is CallRevive:
                fw = node.machine._frameworks.get(fid)
                roles = set(c.roles or (fw.info.roles if fw is not None else ()))
                self.suppressed.get(fid, set()).difference_update(roles)
                for k in [k for k in self.decline_filters if k[0] == fid and k[2] in roles]:
                    del self.decline_filters[k]
            self._pre_offers = {}
        made: list[Any] = []
        for e in effects:
            te = type(e)
            if te is Log and e.event.startswith("agent_"):
                aid = dict(e.fields).get("agent_id")
                for k in [k for k in self.decline_filters if k[1] == aid]:
                    del self.decline_filters[k]
            elif te is Send and type(e.message) is EventOffers:
                for o in e.message.offers:
                    f = self.decline_filters.get((o.framework_id, o.agent_id, o.role))
                    filtered = f[0] if f is not None and now < f[1] - 1e-9 else None
                    if filtered is not None:
                        filtered = filtered.unallocate()
                    sup = o.role in self.suppressed.get(o.framework_id, ())
                    by_role = self.constraints.get(o.framework_id)
                    cs = by_role.get(o.role) if by_role else None
                    failed = _failed_constraint(cs, o.attributes) if cs else None
                    if filtered is not None or sup or failed is not None:
                        made.append(OfferMade(offer_id=o.id, framework_id=o.framework_id,
                                              agent_id=o.agent_id, role=o.role,
                                              resources=o.resources, filtered=filtered,
                                              suppressed=sup, constraint=failed))
                    self.offers_checked += 1
        if made:
            self.run(world, inv.OffersRespectFilters, ClusterSnapshot(offers_made=tuple(made)))

    def check_allocation_books(self, world: Any, node: Any, agents: set[str]) -> None:
        """AllocationBooksAgree on the agents this step offered/launched on/removed."""
        m = node.machine
        al = m.allocator
        books = []
        for aid in sorted(agents):
            a = m._agents.get(aid)
            ag = al._agents.get(aid)
            if a is None or ag is None:
                continue
            held = sum_of(ag.alloc.values())
            offers = m._offers
            booked = sum_of(itertools.chain(self._used_by_framework(a).values(),
                                            (offers[oid].resources for oid in a.offers)))
            books.append((aid, held, booked))
        if books:
            if self.fast and all(held == booked for _aid, held, booked in books):
                # (s16 speed) equal values have equal unallocated values: the catalog
                # function's test would find nothing
                self.holds()
                return
            self.run(world, inv.AllocationBooksAgree,
                     _snap(allocation_books=tuple(books)))
            checks_drivel.check_allocation_roles(self, world, books)  # s18 drivel

    def check_drf(self, world: Any, node: Any) -> None:
        """DrfOrder on the decisions of this step's allocation cycle (the allocator's explain
        mode), and the share books the allocator sorted by against shares recomputed here
        from its per-agent allocations, the agents' totals and the configured weights."""
        al = node.machine.allocator
        self.check_allocator_settings(world, node, al)  # s14 kalloc
        if getattr(al, "disagreements", None) is not None:
            self.check_fast_drf(world, al)
            return
        decisions = al.last_cycle_decisions
        if not decisions:
            return
        self.decisions += len(decisions)
        al.last_cycle_decisions = []
        books: list[tuple[str, float, float]] = []
        if not al._shares_dirty:
            # an operator changing weights (SimConfig.operator): the weights in force are the
            # master's to know (registry weights replace the configured ones, as in Mesos); the
            # shares are still recomputed here from the allocations
            weights = None if not getattr(world, "operator_calls", 0) else dict(al._weights)
            books = self.share_books(al, weights)
        self.run(world, inv.DrfOrder, _snap(allocations=tuple(decisions),
                                            share_books=tuple(books)))
        self.check_allocator_ledgers(world, al)  # s13 malloc (after DrfOrder's share books)

    def check_fast_drf(self, world: Any, al: Any) -> None:
        """DrfOrder on the production fast path (SimConfig.fast_alloc, core/sim/fastpath.py):
        each cycle's Allocations against the reference cycle's, and the share books after a
        cycle that allocated."""
        shapes, al.shapes = tuple(al.shapes), []
        cycles, al.why_cycles = al.why_cycles, []
        if al.unread or al.disagreements:
            self.decisions += al.unread
            allocated, al.unread = al.unread, 0
            diffs = tuple((f"cycle {c}", _allocs(got), _allocs(want))
                          for c, got, want in al.disagreements)
            al.disagreements = []
            books: list[tuple[str, float, float]] = []
            if allocated and not al._shares_dirty:
                weights = None if not getattr(world, "operator_calls", 0) else dict(al._weights)
                books = self.share_books(al, weights)
            if diffs or books:
                self.run(world, inv.DrfOrder, ClusterSnapshot(share_books=tuple(books),
                                                              reference_cycles=diffs))
            if allocated:
                self.check_allocator_ledgers(world, al)  # s13 malloc (after DrfOrder)
        # s12: the allocations' shape and the explanation, after the policy's own verdict
        if shapes:
            self.run(world, inv.WholeOffers, ClusterSnapshot(
                offer_shapes=shapes, min_allocatable=al.config.min_allocatable))
        if cycles:
            self.run(world, inv.WhyAgrees, ClusterSnapshot(
                why_first=tuple(row for f, _a in cycles for row in f),
                why_allocated=tuple(x for _f, a in cycles for x in a)))

    def share_books(self, al: Any, weights: dict[str, float] | None = None
                    ) -> list[tuple[str, float, float]]:
        """(what, share the allocator sorts by, share recomputed here). Recomputed from the
        allocator's per-agent allocations (the Resources it handed out) and the agents'
        totals, in milli-units as Mesos rounds scalars; roles weighted by the weights the
        world configured (not the allocator's copy)."""
        total: dict[str, int] = {}
        # the agents' totals summed once per set of total values (they rarely change; a
        # memo keyed by the identity of each agent's immutable total, kept alive by the memo)
        totals = [ag.total for ag in al._agents.values()]
        memo = self._totals_memo
        if memo is not None and len(memo[0]) == len(totals) \
                and all(map(operator.is_, memo[0], totals)):
            total = memo[1]
        else:
            for t in totals:
                for name, q in t._scalar_map().items():
                    total[name] = total.get(name, 0) + q
            self._totals_memo = (totals, total)
            self._share_memo = {}  # new totals: every share afresh
        by = self._allocation_sums(al)  # (framework, role) -> name -> milli
        role_q = self._role_sums  # role -> name -> milli (the sums of `by` per role)
        # each share computed again only when its sums (or the totals) changed since
        # (unweighted: the weights are applied below, per call)
        shares = self._share_memo
        if self._share_dirty:
            for k in self._share_dirty:
                shares.pop(k, None)
            self._share_dirty = set()

        def share(k: Any, d: dict[str, int] | None) -> float:
            best = shares.get(k)
            if best is not None:
                return best
            best = 0.0
            for n, q in (d or {}).items():
                t = total.get(n, 0)
                if t > 0 and q / t > best:
                    best = q / t
            shares[k] = best
            return best

        out = []
        labels = self._share_labels  # the `what` strings, made once per framework and role
        for role, idx in al._fw_index.items():
            for fid, recorded in idx._share.items():
                k = (fid, role)
                what = labels.get(k)
                if what is None:
                    what = labels[k] = f"framework {fid} in role {role}"
                out.append((what, recorded, share(k, by.get(k))))
        weights = self.weights if weights is None else weights
        for role, recorded in al._role_index._share.items():
            what = labels.get(role)
            if what is None:
                what = labels[role] = f"role {role}"
            out.append((what, recorded,
                        share(role, role_q.get(role)) / weights.get(role, 1.0)))
        return out

    def _allocation_sums(self, al: Any) -> dict[tuple[str, str], dict[str, int]]:
        """(framework, role) -> scalar name -> milli-units the allocator's per-agent
        allocations hold, kept as running sums: an agent whose allocation dict equals the
        one seen at the previous evaluation adds nothing new; for the others the values that
        changed are taken out (their scalars as they were added) and the new ones put in. A
        sum that falls to 0 stays as 0 (a share of 0, as a missing entry). Started afresh for
        a new allocator (another master leads). Integer sums: the same numbers as a recount
        (tests/test_sim_incremental.py compares them at every evaluation)."""
        if al is not self._sums_of:
            self._sums_of = al
            self._sums_seen = {}
            self._sums = {}
            self._role_sums = {}
            self._share_memo = {}
        seen = self._sums_seen
        by = self._sums
        role_sums = self._role_sums
        dirty = self._share_dirty
        scalars = self._role_scalars

        def put(fid: str, res: Resources, sign: int) -> None:
            for role, sc in scalars(res).items():
                k = (fid, role)
                d = by.get(k)
                if d is None:
                    d = by[k] = {}
                rq = role_sums.get(role)
                if rq is None:
                    rq = role_sums[role] = {}
                for name, v in sc.items():
                    d[name] = d.get(name, 0) + sign * v
                    rq[name] = rq.get(name, 0) + sign * v
                dirty.add(k)
                dirty.add(role)

        agents = al._agents
        for aid, ag in agents.items():
            cur = ag.alloc
            prev = seen.get(aid)
            if prev is not None and prev == cur:
                continue
            if prev:
                for fid, res in prev.items():
                    if cur.get(fid) is not res:
                        put(fid, res, -1)
                for fid, res in cur.items():
                    if prev.get(fid) is not res:
                        put(fid, res, 1)
            else:
                for fid, res in cur.items():
                    put(fid, res, 1)
            seen[aid] = dict(cur)
        if len(seen) != len(agents):
            for aid in [a for a in seen if a not in agents]:
                for fid, res in seen.pop(aid).items():
                    put(fid, res, -1)
        return by

    def _role_scalars(self, res: Resources) -> dict[str, dict[str, int]]:
        """allocation role ('' for none) -> scalar name -> milli-units of one allocation
        value, read once per value (Resources are immutable; the memo keeps each value it
        describes alive, so an id is never reused while it is in the memo)."""
        hit = self._scalars_memo.get(id(res))
        if hit is not None and hit[0] is res:
            return hit[1]
        out: dict[str, dict[str, int]] = {}
        for k, v in res._m.items():
            if type(v) is int:
                d = out.get(k[2] or "")
                if d is None:
                    d = out[k[2] or ""] = {}
                d[k[0]] = d.get(k[0], 0) + v
        if len(self._scalars_memo) > 50_000:
            self._scalars_memo = {}
        self._scalars_memo[id(res)] = (res, out)
        return out

    # s13 malloc
    def check_allocator_ledgers(self, world: Any, al: Any) -> None:
        """AllocatorLedgersAgree: the allocator's running books (per framework and role, per
        framework, per role, the cluster total, the roles below their quota guarantee)
        against a recount from its per-agent allocations (`_allocation_sums`, incremental)
        and its agents' totals. Integer milli-units: exact. Orphan allocations (of frameworks
        not added yet) are held on their agents and count once the framework is added."""
        by = self._allocation_sums(al)
        frameworks = al._frameworks
        rows: list[tuple[str, str, str]] = []
        per_fw: dict[str, dict[str, dict[str, int]]] = {}
        roles: dict[str, dict[str, int]] = {}
        for (fid, role), d in by.items():
            if fid not in frameworks:
                continue
            nz = d if all(d.values()) else {n: v for n, v in d.items() if v}
            if not nz:
                continue
            per_fw.setdefault(fid, {})[role] = nz
            rq = roles.setdefault(role, {})
            for n, v in nz.items():
                rq[n] = rq.get(n, 0) + v
        for fid, fw in frameworks.items():
            mine = per_fw.get(fid, {})
            if fw.by_role != mine:
                for role in sorted(set(fw.by_role) | set(mine)):
                    got, want = fw.by_role.get(role, {}), mine.get(role, {})
                    if got != want:
                        rows.append((f"framework {fid} in role {role}", _ledger_str(got),
                                     _ledger_str(want)))
            tot: dict[str, int] = {}
            for d in mine.values():
                for n, v in d.items():
                    tot[n] = tot.get(n, 0) + v
            if fw.total != tot:
                rows.append((f"framework {fid} (all roles)", _ledger_str(fw.total),
                             _ledger_str(tot)))
        if al._role_alloc != roles:
            for role in sorted(set(al._role_alloc) | set(roles)):
                got, want = al._role_alloc.get(role, {}), roles.get(role, {})
                if got != want:
                    rows.append((f"role {role}", _ledger_str(got), _ledger_str(want)))
        # the agents' totals summed once per set of total values (identity memo, as
        # share_books': Resources are immutable and the memo keeps them alive)
        totals = [ag.total for ag in al._agents.values()]
        memo = self._ledger_totals
        if memo is not None and len(memo[0]) == len(totals) \
                and all(map(operator.is_, memo[0], totals)):
            total = memo[1]
        else:
            total = {}
            for t in totals:
                for n, v in t._scalar_map().items():
                    total[n] = total.get(n, 0) + v
            total = {n: v for n, v in total.items() if v}
            self._ledger_totals = (totals, total)
        if al._total != total:
            rows.append(("cluster total", _ledger_str(al._total), _ledger_str(total)))
        below = set()
        for role, (guarantee, _ledger) in al._quota.items():
            have = roles.get(role, {})
            if any(have.get(n, 0) < v for n, v in guarantee._scalar_map().items() if v):
                below.add(role)
        if al._quota_unsat != below:
            rows.append(("roles below their quota guarantee", ",".join(sorted(al._quota_unsat))
                         or "-", ",".join(sorted(below)) or "-"))
        if not rows and self.fast:
            self.holds()  # s16 speed: no row, nothing to find
            return
        self.run(world, inv.AllocatorLedgersAgree, _snap(allocator_ledgers=tuple(rows)))


    # s14 kalloc
    def check_allocator_settings(self, world: Any, node: Any, al: Any) -> None:
        """AllocatorSettingsAgree: the weights, quota guarantees and quota limits the
        leader's allocator uses against the settings in force at the leader (its committed
        operator settings over the configured weights). Tiny dicts: O(roles + settings)."""
        mc = node.machine
        weights = dict(self.weights)
        guarantees: dict[str, dict[str, int]] = {}
        limits: dict[str, dict[str, int]] = {}
        for key, value in mc._settings.items():
            kind = key[0]
            if kind == "weight":
                weights[key[1]] = float(value) if value else 1.0
            elif kind == "quota" and value:
                g = {n: round(v * 1000) for n, v in value[0] if round(v * 1000)}
                lim = {n: round(v * 1000) for n, v in value[1] if round(v * 1000)}
                if g:
                    guarantees[key[1]] = g
                if lim:
                    limits[key[1]] = lim
        rows: list[tuple[str, str, str]] = []
        used_w = al._weights
        for role in sorted(set(weights) | set(used_w)):
            want, got = weights.get(role, 1.0), used_w.get(role, 1.0)
            if want != got:
                rows.append((f"weight of role {role}", f"{got:g}", f"{want:g}"))
        got_g = {r: led for r, (_res, led) in al._quota.items() if led}
        if got_g != guarantees:
            for role in sorted(set(got_g) | set(guarantees)):
                if got_g.get(role) != guarantees.get(role):
                    rows.append((f"quota guarantee of role {role}",
                                 _ledger_str(got_g.get(role, {})),
                                 _ledger_str(guarantees.get(role, {}))))
        got_l = {r: led for r, led in al._limits.items() if led}
        if got_l != limits:
            for role in sorted(set(got_l) | set(limits)):
                if got_l.get(role) != limits.get(role):
                    rows.append((f"quota limit of role {role}", _ledger_str(got_l.get(role, {})),
                                 _ledger_str(limits.get(role, {}))))
        if not rows and self.fast:
            self.holds()  # s16 speed: no row, nothing to find
            return
        self.run(world, inv.AllocatorSettingsAgree, _snap(allocator_settings=tuple(rows)))
    def check_agent_runs(self, world: Any, node: Any) -> None:
        """AgentRunsWithinTotal: the agent's own books after it accepted a task."""
        a = node.machine
        running = agent_running(a, terminating=False)
        self.run(world, inv.AgentRunsWithinTotal, _snap(
            agent_runs=((a.agent_id or node.name, a.agent_info.resources, running),)))

    # ================================================================== produced updates
    def produce(self, world: Any, n: Any, key: tuple[str, str], uuid: bytes,
                state: TaskState, producer: str) -> None:
        ps = self.produced_set.setdefault(key, set())
        if uuid in ps:
            return
        ps.add(uuid)
        self.produced.setdefault(key, []).append((uuid, state))
        self.produced_at[uuid] = world.now
        if uuid not in self.acked.get(key, ()):
            self.unacked.setdefault(key, set()).add(uuid)
        self.key_agent[key] = n.name
        self.agent_keys.setdefault(n.name, set()).add(key)
        tr = self.transitions.get(key)
        if tr is None:
            tr = self.transitions[key] = [(STAGING, "agent")]
            self._legal_keys.add(key)  # (one state: legal)
        last = tr[-1][0]
        if state is not last and not (last.is_terminal and state.is_terminal):
            tr.append((state, producer))
            if self.fast and key in self._legal_keys and state in _STATE_GRAPH[last]:
                # (s16 speed) every earlier step of this stream was found legal and the new
                # one is in the graph: LegalTaskTransitions would find nothing
                self.holds()
            else:
                self._legal_keys.discard(key)
                self.run(world, inv.LegalTaskTransitions,
                         _snap(transitions={key: tuple(tr)}))
        self._keys_to_check.add(key)
        self.dirty = True

    # ================================================================== incremental checks
    def after_event(self, world: Any) -> None:
        self.dirty = False
        if self._keys_to_check:
            keys = self._keys_to_check
            self._keys_to_check = set()
            for key in sorted(keys):
                if self.unacked.get(key) and key not in self.abandoned:
                    self.check_lost(world, key)
        if self._ledger_agents:
            ids = self._ledger_agents
            self._ledger_agents = set()
            m = world.live_leader()
            if m is not None:
                order = sorted(ids)
                multi_ids = self._ledgers_hold(m, order) if self.fast else None
                if multi_ids is None:
                    ledgers = tuple(x for x in (self.ledger(m, aid) for aid in order)
                                    if x is not None)
                    snap = _snap(agents=ledgers)  # immutable: one for both
                    self.run(world, inv.NoOvercommit, snap)
                    self.run(world, inv.ReservedToRole, snap)
                else:
                    # (s17 speed) both functions' own tests passed on every ledger
                    self.holds()
                    self.holds()
                    # OfferExclusive's gate below reads the ledgers of two or more offers
                    ledgers = tuple(x for x in (self.ledger(m, aid) for aid in multi_ids)
                                    if x is not None)
                limits = quota_limits(m.machine)
                if limits:
                    every = m.machine.agent_ledgers()
                    self.run(world, inv.QuotaLimitRespected, ClusterSnapshot(
                        agents=every, quota_limits=self.quota_allowance(m, limits, every)))
                elif self.quota_books:  # s14 kalloc: every limit removed: all forgotten
                    self.quota_books = {}
                # OfferExclusive can only fail on an agent with two or more outstanding
                # offers (with one, its bound is implied by NoOvercommit): skip the others,
                # their port ranges are costly to enumerate
                multi = tuple(x for x in ledgers if len(x.offered) > 1
                              and not _offers_disjoint(x))
                if multi:
                    self.run(world, inv.OfferExclusive, ClusterSnapshot(agents=multi))

    def _ledgers_hold(self, m: Any, order: list[str]) -> list[str] | None:
        """(s17 speed) NoOvercommit's and ReservedToRole's own tests on the ledger of each
        agent of `order` (both judge each agent alone, from its resources only), without
        building the ledgers: NoOvercommit's sum of the unallocated offered and used
        resources within the unallocated total, ReservedToRole's placement test on each
        offer's resources (a value that passed it once is remembered: Resources are
        immutable, the memo keeps each alive). Returns the agents of `order` with two or
        more offers when both tests pass on every agent (both functions would find
        nothing); None when one fails or an agent is unknown to the master (whose stale
        offers ledger() gathers): the catalog functions then judge the ledgers."""
        mc = m.machine
        agents = mc._agents
        offers = mc._offers
        placed = self._placed_ok
        multi = []
        for aid in order:
            a = agents.get(aid)
            if a is None:
                return None
            parts = [offers[oid].resources for oid in a.offers]
            for r in parts:
                if placed.get(id(r)) is not r:
                    if not all(rr is None or (ar is not None and inv._within(ar, rr))
                               for rr, ar in r.placements()):
                        return None
                    if len(placed) > 50_000:
                        placed.clear()
                    placed[id(r)] = r
            if len(parts) > 1:
                multi.append(aid)
            parts += [r for _fw, r in sorted(self._used_by_framework(a).items())]
            if not a.total.unallocate().contains(sum_of([r.unallocate() for r in parts])):
                return None
        return multi

    def quota_allowance(self, m: Any, limits: dict[str, dict[str, float]],
                        every: tuple[AgentLedger, ...]) -> dict[str, dict[str, float]]:
        """QuotaLimitRespected judges, per role and limited resource, max(limit, what the role
        held when this leader's limit took the current value (or when this leader was first
        seen), ratcheted down at each check to what it holds then): a limit set below what
        a role holds revokes nothing (Mesos neither rescinds offers nor kills tasks for it),
        but the role may not grow past what it still holds until it is under its limit."""
        me = (m.name, m.inc)
        if self.quota_leader != me:
            self.quota_leader = me
            self.quota_books = {}
            self.quota_agents = frozenset()
        # an agent (re)admitted since the last check brings its tasks back into the roles'
        # holdings: Mesos revokes nothing for quota then either, so the allowance is reset
        agents_now = frozenset(a.agent_id for a in every)
        readmitted = not agents_now <= self.quota_agents
        self.quota_agents = agents_now
        held, _offered = inv.role_holdings(every)
        out: dict[str, dict[str, float]] = {}
        for role, lim in limits.items():
            have = held.get(role)
            for name, limit in lim.items():
                now_held = have.scalar(name) if have is not None else 0.0
                book = self.quota_books.get((role, name))
                if book is None or book[0] != limit or readmitted:
                    # the limit (re)set, or an agent readmitted: nothing revoked
                    allowance = max(limit, now_held)
                else:
                    allowance = book[1]
                out.setdefault(role, {})[name] = allowance
                # the next check's allowance: no more than what is held now
                self.quota_books[(role, name)] = (limit, max(limit, min(allowance, now_held)))
        # s14 kalloc: a limit the operator removed is forgotten (set again later, it is a
        # new limit: nothing revoked then either)
        for k in [k for k in self.quota_books if k[1] not in limits.get(k[0], ())]:
            del self.quota_books[k]
        return out

    # s14 kalloc
    def quota_allowed(self, m: Any) -> dict[str, dict[str, float]]:
        """The leader's quota limits, each raised to its allowance in the books of
        `quota_allowance` (no ratchet here: a read)."""
        limits = quota_limits(m.machine)
        if self.quota_leader != (m.name, m.inc):
            return limits
        out: dict[str, dict[str, float]] = {}
        for role, lim in limits.items():
            for name, limit in lim.items():
                book = self.quota_books.get((role, name))
                out.setdefault(role, {})[name] = (
                    max(limit, book[1]) if book is not None and book[0] == limit else limit)
        return out

    def ledger(self, m: Any, agent_id: str) -> AgentLedger | None:
        a = m.machine._agents.get(agent_id)  # one agent's view (the public `agents` builds all)
        if a is None:
            # not (or no longer) registered: any outstanding offer of it is an overcommit
            stale = tuple((oid, o.framework_id, o.resources)
                          for oid, o in m.machine._offers.items() if o.agent_id == agent_id)
            if not stale:
                return None
            return AgentLedger(agent_id=agent_id, total=Resources(), offered=stale)
        # the fields of the master's `_agent_view(a)` that a ledger holds, built alone
        offers = m.machine._offers
        return AgentLedger(agent_id=agent_id, total=a.total,
                           offered=tuple((oid, offers[oid].framework_id, offers[oid].resources)
                                         for oid in a.offers),
                           used=tuple(sorted(self._used_by_framework(a).items())))

    def _used_by_framework(self, a: Any) -> dict[str, Resources]:
        """`a.used_by_framework()` of a master's agent record, computed once per master step
        (AllocationBooksAgree and the ledger checks after the event read the same books)."""
        hit = self._used_memo.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        used = a.used_by_framework()
        self._used_memo[id(a)] = (a, used)
        return used

    def pending(self, world: Any, key: tuple[str, str]) -> tuple[bytes, ...]:
        name = self.key_agent.get(key)
        if name is None:
            return ()
        n = world.nodes[name]
        if n.alive and n.machine is not None:
            stream = n.machine.sum.streams.get(key)
            return tuple(u.uuid for u in stream.pending) if stream is not None else ()
        out: list[bytes] = []
        for r in n.disk.logs.get(("updates", key[0], key[1]), ()):
            t = type(r)
            if t is UpdateRecord:
                out.append(r.update.uuid)
            elif t is AckRecord and r.uuid in out:
                out.remove(r.uuid)
        return tuple(out)

    def check_lost(self, world: Any, key: tuple[str, str]) -> None:
        produced = self.produced[key]
        acked = self.acked.get(key, set())
        pending = self.pending(world, key)
        if self.fast and all(u in acked or u in pending for u, _st in produced):
            # (s16 speed) NoLostAckedWork's own test on this one stream (every update
            # produced is acknowledged or still held): it would find nothing
            self.checks += 1
            return
        snap = _snap(
            produced={key: tuple(produced)},
            acked=frozenset((key[0], key[1], u) for u in acked),
            pending={key: pending})
        self.checks += 1
        out = inv.NoLostAckedWork(snap)
        if out:
            # Mesos drops the updates queued behind a terminal update once that terminal
            # update is acknowledged (the stream closes): not a loss.
            closed = any(st.is_terminal and u in acked for u, st in produced)
            if closed:
                self.abandoned.add(key)
                return
            self.fail(world, out)

    # ================================================================== quiescence books
    def quiescence_books(self, world: Any, grace: float) -> tuple[tuple[inv.TaskBooks, ...],
                                                                  tuple[inv.TaskView, ...]]:
        """TaskBooksAgree / NoResourceLeak / FrameworkViewAgrees / TerminalReachesFramework
        inputs. Tasks with activity in the last `grace` seconds (a launch sent, an update
        produced, an update still unacknowledged) may legitimately be in flight: skipped."""
        now = world.now
        agent_states: dict[tuple[str, str], TaskState] = {}
        for n in world.agents:
            if not n.alive or n.machine is None:
                continue
            for fw in n.machine.frameworks.values():
                for ex in fw.executors.values():
                    for t in ex.completed:
                        agent_states[(fw.id, t.info.task_id)] = t.state
                    for t in ex.tasks.values():
                        agent_states[(fw.id, t.info.task_id)] = t.state
                for ex in fw.completed_executors:
                    for t in ex.completed:
                        agent_states[(fw.id, t.info.task_id)] = t.state

        def busy(key: tuple[str, str], grace: float = grace, unacked: bool = True) -> bool:
            if key in self.lost_in_transit:
                return True
            if now - self.launch_sent.get(key, -1e18) < grace:
                return True
            if unacked and self.unacked.get(key):
                return True
            prod = self.produced.get(key)
            if not prod:
                return False
            return now - self.produced_at.get(prod[-1][0], -1e18) < grace

        books: list[inv.TaskBooks] = []
        m = world.live_leader()
        if m is not None:
            master = m.machine
            al = master.allocator
            nodes = {n.machine.agent_id: n for n in world.agents
                     if n.alive and n.machine is not None and n.machine.agent_id}
            for aid, a in sorted(master._agents.items()):
                n = nodes.get(aid)
                ag = al._agents.get(aid)
                if n is None or ag is None or not a.connected or not a.active:
                    continue
                mt = frozenset(k for k, t in a.tasks.items() if not t.state.is_terminal)
                at = frozenset((fw.id, t.info.task_id)
                               for fw in n.machine.frameworks.values()
                               for ex in fw.executors.values() for t in ex.tasks.values()
                               if not t.state.is_terminal)
                in_flight = frozenset(k for k in mt | at if busy(k))
                if in_flight:
                    # tasks in flight: compare the others (s12: only those, not none) and,
                    # of the resources, only the allocator's pool with the total
                    mt, at = mt - in_flight, at - in_flight
                    used = running = Resources()
                else:
                    used = Resources()
                    for r in a.used_by_framework().values():
                        used = used + r
                    running = agent_running(n.machine)
                pooled = ag.available
                for r in ag.alloc.values():
                    pooled = pooled + r
                books.append(inv.TaskBooks(agent_id=aid, master_tasks=mt, agent_tasks=at,
                                           total=a.total, pooled=pooled, master_used=used,
                                           agent_running=running))
        books = checks_leak42.exempt_books(self, world, books)  # s19 leak42
        views: list[inv.TaskView] = []
        lead = world.live_leader()
        booked_unreachable = lead.machine._unreachable if lead is not None else {}
        # s17 longrun: agents the leader recovered at its election and still waits for (or
        # is removing: a removal waits for its --agent_removal_rate_limit permit): it defers
        # the explicit reconciliation of their tasks (Mesos `_reconcileTasks`,
        # `recoveredSlavesTimeout`), so their frameworks cannot have heard a terminal state
        lm = lead.machine if lead is not None else None
        pending_agents = (set(lm._recovered_agents) | set(lm._reregistering)
                          | set(lm._marking_unreachable)) if lm is not None else set()
        # (and one marked unreachable lately ends such a wait only for the next round)
        settling = bool(pending_agents) or any(
            now - t < grace + 420.0 for t in booked_unreachable.values())
        live_ids = {n.machine.agent_id for n in world.agents
                    if n.alive and n.machine is not None and n.machine.agent_id}
        for sn in world.schedulers:
            app = sn.app
            fid = app.framework_id
            if not sn.alive or not app.acks or fid is None or not app.subscribed:
                continue
            for tid in sorted(app.running):
                key = (fid, tid)
                # a launch no master ever sent (the framework's ACCEPT was lost): the master
                # honestly answers TASK_UNKNOWN; not this property's business
                if key not in self.launch_sent and key not in agent_states:
                    continue
                # the app reconciles a task after 300 s without news, every 120 s: a view
                # is due once that cadence had time to run since the last activity
                if busy(key, grace + 420.0, unacked=False):
                    continue
                state = app.last_state.get(tid, STAGING)
                # told UNREACHABLE recently: its reconciliation is not due yet
                if state is TaskState.TASK_UNREACHABLE \
                        and now - app.changed.get(tid, -1e18) < grace + 420.0:
                    continue
                aid = getattr(app, "task_agent", {}).get(tid)
                if agent_states.get(key) is None and (
                        (aid is None and settling)
                        or (aid is not None and aid not in live_ids
                            and (aid in pending_agents
                                 or now - booked_unreachable.get(aid, -1e18) < grace + 420.0))):
                    # s17 longrun: its reconciliation is deferred (above; a task named without
                    # its agent waits while any agent is in transition, Mesos
                    # `_reconcileTasks`), or the agent was marked unreachable too recently
                    # for the app's reconciliation cadence
                    continue
                views.append(inv.TaskView(key=key,
                                          framework_state=state,
                                          agent_state=agent_states.get(key),
                                          agent_abandoned_unreachable=aid is not None
                                          and aid in booked_unreachable and aid not in live_ids))
        return tuple(books), tuple(views)

    def quiescence_kills(self, world: Any, within: float
                         ) -> tuple[tuple[tuple[str, str], TaskState | None], ...]:
        """KillsTakeEffect input: each KillTask a master sent (for a KILL it accepted) that
        the network did not drop nor a crash discard, with the task's state on its agent
        `within` seconds after the kill (None: it had ended by then or no agent runs it)."""
        out = []
        for key, (at, _name, _inc) in sorted(self.kills.items()):
            if world.now - at < within or key in self.kills_lost:
                continue
            if checks_killm3.kill_ended_by_shutdown(self, key):  # s18 killm3
                continue
            ended = None
            for uuid, state in self.produced.get(key, ()):
                if state.is_terminal:
                    ended = self.produced_at.get(uuid)
                    break
            if ended is None or ended > at + within:
                last = self.produced.get(key)
                out.append((key, last[-1][1] if last else STAGING))
        return tuple(out)

    # ================================================================== full snapshot
    def snapshot(self, world: Any) -> ClusterSnapshot:
        m = world.live_leader()
        agents: tuple[AgentLedger, ...] = ()
        if m is not None:
            agents = m.machine.agent_ledgers()
        pending = {k: self.pending(world, k) for k in self.produced}
        acked = frozenset((k[0], k[1], u) for k, us in self.acked.items() for u in us)
        return ClusterSnapshot(
            agents=agents,
            produced={k: tuple(v) for k, v in self.produced.items()},
            seen={k: tuple(v) for k, v in self.seen.items()},
            acked=acked,
            pending=pending,
            abandoned=frozenset(self.abandoned),
            transitions={k: tuple(v) for k, v in self.transitions.items()},
            launches={k: tuple(v) for k, v in self.launches.items()},
            registry_commits=tuple(self.registry_commits),
            recovery_kills=tuple(self.recovery_kills),
            # s14 kalloc: the limits as QuotaLimitRespected's allowance books raised them (a
            # limit set again below what a role took while it had none revokes nothing)
            quota_limits=self.quota_allowed(m) if m is not None else {},
            operations=operations_heard(world),
        )

    # ================================================================== total queue
    def total_queue(self, acking: frozenset[str], horizon: float = float("inf")
                    ) -> dict[str, list[str]]:
        """Jepsen's total-queue check of status updates, per task: produced (enqueued by
        agents) vs seen (dequeued by schedulers). Updates produced after `horizon` (the
        last moments of the run) may still be on their way: not counted as lost."""
        lost, dup, unexpected, order = [], [], [], []
        for key, produced in sorted(self.produced.items()):
            seen = self.seen.get(key, [])
            seen_u = [u for u, _ in seen]
            prod_u = [u for u, _ in produced]
            if key not in self.abandoned and key[0] in acking:
                lost += [f"{key[1]} {st.name}" for u, st in produced
                         if u not in seen_u and self.produced_at.get(u, 0.0) <= horizon]
            extra = len(seen_u) - len(set(seen_u))
            if extra:
                dup.append(f"{key[1]} x{extra}")
            distinct = list(dict.fromkeys(seen_u))
            if distinct != prod_u[: len(distinct)] and all(u in prod_u for u in distinct):
                order.append(key[1])
        for key, seen in sorted(self.seen.items()):
            ps = self.produced_set.get(key, set())
            unexpected += [f"{key[1]} {st.name}" for u, st in seen if u not in ps]
        return {"lost": lost, "duplicated": dup, "unexpected": unexpected,
                "out_of_order": order}


_VISIBLE = (Send, Respond, RegistryWrite, EventOffers)


def kill_due(master: Any, fid: str, call: Any) -> bool:
    """After the master answered a KILL 202: Mesos sends KillTask to the task's agent when
    the task is live on an agent the master has connected (and the call names that agent
    or none). KillsTakeEffect holds such a kill to its word even if no KillTask left."""
    fw = master._frameworks.get(fid)
    t = fw.tasks.get(call.task_id) if fw is not None else None
    if t is None or t.state.is_terminal or call.agent_id not in (None, t.agent_id):
        return False
    agent = master._agents.get(t.agent_id)
    return agent is not None and agent.connected


def _failed_constraint(constraints: tuple[Any, ...], attributes: Any) -> str | None:
    """The first offer constraint the attributes fail, as text (None: all hold); evaluated
    here on the attributes' text values (exists, not_exists, equals, not_equals)."""
    for c in constraints:
        values = [str(a.value) for a in attributes if a.name == c.attribute]
        ok = {"exists": bool(values), "not_exists": not values,
              "equals": c.value in values, "not_equals": c.value not in values}[c.predicate]
        if not ok:
            return f"{c.attribute} {c.predicate} {c.value if c.value is not None else ''}".rstrip()
    return None


def check_acked_terminal_removed(chk: Any, world: Any, node: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """AckedTerminalTaskRemoved: after the leader accepted (relayed to the agent) an
    acknowledgement, the task it names is not still booked terminal with that very uuid as
    its forwarded update."""
    c = inp.call
    if not any(type(e) is Send and type(e.message) is StatusUpdateAcknowledgement
               for e in effects):
        return  # refused (agent gone or disconnected, nothing forwarded): nothing to remove
    agent = node.machine._agents.get(c.agent_id)
    task = agent.tasks.get((inp.framework_id, c.task_id)) if agent is not None else None
    kept: tuple[tuple[str, str, str], ...] = ()
    if task is not None and task.state.is_terminal and task.status_update_state is not None \
            and task.status_update_state.is_terminal and task.status_update_uuid == c.uuid:
        kept = ((inp.framework_id, c.task_id, c.agent_id),)
    # s23: a terminal task the step took off its agent's books is its framework's newest
    # completed task (Mesos Master::removeTask -> Framework::addCompletedTask)
    lost: tuple[tuple[str, str, str], ...] = ()
    pre = chk._pre_ack_task
    chk._pre_ack_task = None
    if pre is not None and pre[0] is inp and pre[1] and task is None:
        m = node.machine
        fw = m._frameworks.get(inp.framework_id)
        if fw is not None and m.config.max_completed_tasks_per_framework > 0 \
                and c.task_id not in fw.completed_tasks:
            lost = ((inp.framework_id, c.task_id, c.agent_id),)
    if not kept and not lost and chk.fast:
        chk.holds()  # s16 speed: nothing kept, nothing to find
        return
    chk.run(world, inv.AckedTerminalTaskRemoved, _snap(acked_terminal_kept=kept,
                                                        acked_terminal_uncompleted=lost))


def agent_running(a: Any, *, terminating: bool = False,
                  skip: frozenset[str] = frozenset()) -> Resources:
    """Resources of the tasks and executors an agent machine runs (its own books), those of
    frameworks it is shutting down aside unless `terminating`: the master released them when
    it removed the framework (a TEARDOWN, a failover timeout), as Mesos's
    `Master::removeFramework` does, and may have offered them again while the executors still
    wind down. The frameworks `skip` are left out too (s19 leak42)."""
    parts = []
    for fw in a.frameworks.values():
        if (not terminating and fw.state == "terminating") or fw.id in skip:
            continue
        for ex in fw.executors.values():
            if ex.state == "terminated":
                continue
            parts.append(ex.info.resources)
            for t in ex.tasks.values():
                if not t.state.is_terminal:
                    parts.append(t.info.resources)
    return sum_of(parts)


def _offers_disjoint(ledger: AgentLedger) -> bool:
    """A fast sufficient condition for OfferExclusive on one agent (distinct offer ids,
    pairwise disjoint port ranges and set items, offered scalars within the total): when it
    holds the catalog function would find nothing; when it does not, the catalog function
    decides (and words the violation)."""
    ids = set()
    spans: dict[str, list[tuple[int, int]]] = {}
    items: dict[str, set] = {}
    scalars = None
    for oid, _fw, r in ledger.offered:
        if oid in ids:
            return False
        ids.add(oid)
        r_spans, r_items, u = _offer_parts(r)
        for name, rs in r_spans:
            spans.setdefault(name, []).extend(rs)
        for name, xs in r_items:
            seen = items.setdefault(name, set())
            if seen & xs:
                return False
            seen |= xs
        scalars = u if scalars is None else scalars + u
    for ranges in spans.values():
        ranges.sort()
        for (_lo1, hi1), (lo2, _hi2) in itertools.pairwise(ranges):
            if lo2 <= hi1:
                return False
    return scalars is None or ledger.total.unallocate().contains(scalars)


# s13 malloc
def _ledger_str(led: dict[str, int]) -> str:
    return ";".join(f"{n}:{v / 1000:g}" for n, v in sorted(led.items())) or "-"


def _allocs(allocations: tuple[Any, ...]) -> str:
    return "; ".join(f"{a.agent_id}/{a.role}->{a.framework_id} {a.resources}"
                     for a in allocations)


# id(offered resources) -> (them, their parts): an offer's Resources is immutable and is
# re-read at every event that touches its agent while it is outstanding
_OFFER_PARTS: dict[int, tuple[Resources, tuple[Any, Any, Resources]]] = {}


def _offer_parts(r: Resources) -> tuple[Any, Any, Resources]:
    """(name, port ranges) and (name, set items) of one offer's resources, and the
    resources unallocated, as `_offers_disjoint` reads them (memo by identity)."""
    hit = _OFFER_PARTS.get(id(r))
    if hit is not None and hit[0] is r:
        return hit[1]
    r_spans = []
    r_items = []
    for name in r.names():
        rs = r.ranges(name)
        if rs:
            r_spans.append((name, rs))
        xs = r.set_items(name)
        if xs:
            r_items.append((name, xs))
    parts = (tuple(r_spans), tuple(r_items), r.unallocate())
    if len(_OFFER_PARTS) > 20_000:
        _OFFER_PARTS.clear()
    _OFFER_PARTS[id(r)] = (r, parts)
    return parts


def quota_limits(master: Any) -> dict[str, dict[str, float]]:
    """role -> {resource: limit} of the master's committed quota configs."""
    return {role: dict(q.limits) for role, q in master.quotas().items() if q.limits}


def operations_heard(world: Any) -> dict[tuple[str, str], str | None]:
    """(framework, operation id) -> the terminal state its framework heard (None: none yet),
    for the apps that send operations with ids (the `reserver`)."""
    out: dict[tuple[str, str], str | None] = {}
    lead = world.live_leader()
    unreachable = lead.machine._unreachable if lead is not None else {}
    live_ids = {n.machine.agent_id for n in world.agents
                if n.alive and n.machine is not None and n.machine.agent_id}
    for s in world.schedulers:
        ops = getattr(s.app, "ops", None)
        if ops and s.app.framework_id:
            last = getattr(s.app, "op_last", {})
            for op_id, st in ops.items():
                aid = s.app.op_agent.get(op_id)
                if st is None and last.get(op_id) == "OPERATION_UNREACHABLE" \
                        and aid in unreachable and aid not in live_ids:
                    # s17 longrun: an operation the master never kept, on an agent it still
                    # books unreachable and that no live agent carries any more: Mesos
                    # answers OPERATION_UNREACHABLE (`reconcileOperations`) until the agent
                    # comes back or the registry forgets it: the final answer of the run
                    st = "OPERATION_UNREACHABLE"
                out[(s.app.framework_id, op_id)] = st
    return out
# ====================================================================== issue 11: recovery
def executor_held_rows(world: Any, horizon: float) -> tuple[tuple[str, str, TaskState, float], ...]:
    """For ExecutorUpdatesDelivered: updates that live executors still hold unacknowledged,
    produced before `horizon`, while their agent is up and knows the executor (the agent is
    back). Kept apart from the Checker class (issue 12 extends it concurrently)."""
    rows = []
    for cid, x in sorted(world.executors.items()):
        a = x.agent
        if not x.alive or x.machine is None or x.machine.phase == "exited":
            continue
        if not a.alive or a.machine is None or cid not in a.machine.by_container:
            continue
        for u in x.machine.unacked.values():
            st = u.status
            if st.timestamp is not None and st.timestamp <= horizon:
                rows.append((x.machine.executor_id + "@" + a.name, st.task_id, st.state,
                             world.now - st.timestamp))
    return tuple(rows)


def reconciliation_rows(world: Any) -> tuple[inv.ReconcileRow, ...]:
    """For ReconciliationAgrees: every task the leader would answer in implicit
    reconciliation (live and unreachable tasks), beside its agent's books."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    books: dict[str, Any] = {}
    for a in world.agents:
        if a.alive and a.machine is not None and a.machine.agent_id:
            books[a.machine.agent_id] = a.machine.tasks
    registered = {aid for aid, v in master.agents.items() if v.connected and v.active}
    rows = []
    for fid, fw in sorted(master._frameworks.items()):
        answers = [(t, t.reported_state()) for _tid, t in sorted(fw.tasks.items())]
        answers += [(t, TaskState.TASK_UNREACHABLE)
                    for _tid, t in sorted(fw.unreachable_tasks.items())]
        for t, answer in answers:
            known = books.get(t.agent_id, {}).get((fid, t.task_id))
            rows.append(inv.ReconcileRow(
                framework_id=fid, task_id=t.task_id, agent_id=t.agent_id, answer=answer,
                agent_registered=t.agent_id in registered,
                agent_state=known.state if known is not None else None,
                reported=bool(t.statuses)))
    return tuple(rows)


# ------------------------------------------------------------------ s11 mut-master
def check_reconcile_answered(chk: Checker, world: Any, node: Any, inp: Any,
                             effects: list[Any]) -> None:
    """ReconcileAnswered, after a master step on an explicit RECONCILE: every task named
    gets an update in that step unless the master may defer it (the agent named, or for a
    task named without an agent any agent, recovering after a failover, re-registering or
    being marked unreachable: Mesos answers those later or not at all). An agent the
    leader has connected again is never recovering, whatever the master's books say."""
    m = node.machine
    fw = taken_from_subscribed(node, inp, effects)
    if fw is None:
        return
    answered = {e.message.status.task_id for e in effects
                if type(e) is Send and e.to == fw.stream and type(e.message) is EventUpdate}
    # the agents the leader has back (connected, not being removed) are out of any window,
    # whatever its recovery books say (they must never hold a re-registered agent)
    live = {aid for aid, a in m._agents.items()
            if a.connected and aid not in m._marking_unreachable}
    window = (set(m._recovered_agents) | set(m._reregistering)
              | set(m._marking_unreachable)) - live
    missing = tuple((fw.id, tid, aid) for tid, aid in inp.call.tasks
                    if tid not in answered and tid not in fw.tasks
                    and not (aid in window if aid is not None else window))
    missing += tuple((fw.id, tid, aid) for tid, aid in inp.call.tasks
                     if tid in fw.tasks and tid not in answered)
    if missing:
        chk.run(world, inv.ReconcileAnswered, ClusterSnapshot(reconcile_unanswered=missing))


def describe_rows(world: Any) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """DescribeAgrees: the leader's allocator and every live agent's status-update manager,
    their describe() text beside the lines their books say it must hold."""
    out: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
    m = world.live_leader()
    if m is not None:
        al = m.machine.allocator
        must: list[str] = []
        for fid in al.framework_ids():
            fw = al._frameworks[fid]
            line = f"framework {fid} roles={','.join(fw.roles) or '-'} " \
                   f"share={al.dominant_share(fid):.4f}"
            if not fw.active:
                line += " inactive"
            if fw.suppressed:
                line += " suppressed=" + ",".join(sorted(fw.suppressed))
            must.append(line)
        for aid in al.agent_ids():
            ag = al._agents[aid]
            state = "" if ag.active else " inactive"
            must.append(f"agent {aid}{state} total={al.total(aid) or '-'} "
                        f"available={al.available(aid) or '-'}")
            must += [f"  allocated {fid} {res}" for fid, res in sorted(al.allocated(aid).items())]
            must += checks_drivel.filter_lines(ag)  # s18 drivel
        out.append((f"allocator of {m.name}", al.describe(), tuple(must), ()))
        out.append(checks_killa.filter_listing_row(m.name, al, world.now))  # s17 killa
    for n in world.agents:
        if not n.alive or n.machine is None:
            continue
        sm = n.machine.sum
        must = []
        never: list[str] = []
        for key in sorted(sm.streams):
            st = sm.streams[key]
            head = f"  {key[0]}/{key[1]} executor={st.executor_id} checkpoint={st.checkpoint} " \
                   f"latest={st.latest.name if st.latest else '-'} "
            if st.timer_at is not None:
                must.append(head + f"in flight until {st.timer_at:g}")
            else:
                must.append(head + "idle")
                never.append(head + "in flight")
            must.append(checks_killa.pending_line(st))  # s17 killa
        out.append((f"status updates of {n.name}", sm.describe(), tuple(must), tuple(never)))
        out.append(checks_drivea.agent_describe_row(n))  # s18 drivea
    return tuple(out)


def task_state_rows(world: Any, chk: Checker, grace: float
                    ) -> tuple[tuple[tuple[str, str], str, TaskState, TaskState], ...]:
    """TaskStatesAgree input: per task the leader books on a connected, active agent that
    is up and knows the task, the master's state and the agent's, for tasks with nothing in
    flight: no update of the agent's stream unacknowledged, none produced and no launch
    sent within `grace` seconds."""
    m = world.live_leader()
    if m is None:
        return ()
    now = world.now
    nodes = {n.machine.agent_id: n for n in world.agents
             if n.alive and n.machine is not None and n.machine.agent_id}
    rows = []
    for aid, a in sorted(m.machine._agents.items()):
        n = nodes.get(aid)
        if n is None or not a.connected or not a.active or not a.tasks:
            continue
        ag = n.machine
        states: dict[tuple[str, str], TaskState] = {}
        for fw in ag.frameworks.values():
            for ex in fw.executors.values():
                for t in ex.tasks.values():
                    states[(fw.id, t.info.task_id)] = t.state
        for key, t in sorted(a.tasks.items()):
            st = states.get(key)
            if st is None or key in chk.lost_in_transit:
                continue
            stream = ag.sum.streams.get(key)
            if stream is not None and stream.pending:
                continue
            if now - chk.launch_sent.get(key, -1e18) < grace:
                continue
            prod = chk.produced.get(key)
            if prod and now - chk.produced_at.get(prod[-1][0], -1e18) < grace:
                continue
            rows.append((key, aid, t.state, st))
    return tuple(rows)


def check_valid_accept(chk: Checker, world: Any, node: Any, inp: Any, effects: list[Any],
                       pre_offers: dict[str, Any]) -> None:
    """WellFormedCallsAccepted, for ACCEPTs: an ACCEPT the leader took (202) of distinct
    offers it held out to that framework, all of one live agent and one role (Mesos's
    `validation::offer::validate`), must not be answered as launched with invalid offers."""
    if not effects or type(effects[0]) is not Respond or effects[0].status >= 300:
        return
    fid = inp.framework_id
    ids = inp.call.offer_ids
    offers: list[Any] = [pre_offers.get(oid) for oid in ids]
    if not offers:
        return
    if len(set(ids)) != len(ids) or any(o is None or o.framework_id != fid for o in offers) \
            or len({o.agent_id for o in offers}) != 1 or len({o.role for o in offers}) != 1 \
            or offers[0].agent_id not in node.machine._agents:
        check_invalid_accept(chk, world, inp, effects)
        return
    for e in effects:
        if type(e) is Send and type(e.message) is EventUpdate \
                and e.message.status.reason is Reason.REASON_INVALID_OFFERS:
            chk.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(refused_calls=((
                fid or "", -1, (f"ACCEPT of offers {list(ids)} it holds, of one agent and "
                                f"role: task {e.message.status.task_id} "
                                f"{e.message.status.message}")),)))
            return


def check_invalid_accept(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """InvalidOffersRefused: an ACCEPT the leader took (202) whose offers are not valid
    together (one it no longer holds out to that framework, a duplicate, offers of two agents
    or two roles, an agent gone) launches nothing (no RunTask) and answers every task it
    carries as dropped for invalid offers."""
    tids: list[str] = []
    for op in inp.call.operations:
        if type(op) is OpLaunch:
            tids += [t.task_id for t in op.task_infos]
    dropped = set()
    bad: list[tuple[str, str]] = []
    for e in effects:
        if type(e) is not Send:
            continue
        t = type(e.message)
        if t is RunTask or t is RunTaskGroup:
            bad.append((inp.framework_id or "", f"a RunTask was sent to {e.to}"))
        elif t is EventUpdate and e.message.status.reason is Reason.REASON_INVALID_OFFERS:
            dropped.add(e.message.status.task_id)
    bad += [(inp.framework_id or "", f"task {tid} was not answered as invalid")
            for tid in tids if tid not in dropped]
    if bad:
        chk.run(world, inv.InvalidOffersRefused, ClusterSnapshot(invalid_accepts=tuple(
            (fid, f"ACCEPT of {list(inp.call.offer_ids)}: {what}") for fid, what in bad)))


_INFO_FIELDS = ("name", "roles", "failover_timeout", "capabilities", "hostname", "webui_url")


def check_subscribe_info(chk: Checker, world: Any, node: Any, inp: Any,
                         effects: list[Any]) -> None:
    """SubscribeTakesInfo, after a master step on a SUBSCRIBE it answered SUBSCRIBED: the
    leader's FrameworkInfo for the framework is the one the call carried (Mesos's
    Framework::update), but for `user` and `checkpoint` (kept from the first subscription)
    and the id and principal the master fills in."""
    if not effects or type(effects[0]) is not Respond or effects[0].status != 200:
        return
    fid = None
    for e in effects:
        if type(e) is Send and type(e.message) is EventSubscribed:
            fid = e.message.framework_id
            break
    fw = node.machine._frameworks.get(fid or "")
    if fw is None:
        return
    sent = inp.call.framework_info
    diff = [f for f in _INFO_FIELDS if getattr(sent, f) != getattr(fw.info, f)]
    if diff:
        chk.run(world, inv.SubscribeTakesInfo, ClusterSnapshot(stale_infos=tuple(
            (fid or "", f, repr(getattr(fw.info, f)), repr(getattr(sent, f))) for f in diff)))
    # s12 mm1: the registration time is the framework's first subscription to this master:
    # kept by a re-subscription (failover), set by a new or recovered framework's first one
    pre = chk._pre_subscribe
    chk._pre_subscribe = None
    first = pre is None or pre[0]
    want = node.machine.now if pre is None or pre[0] else pre[1]
    if fw.registered_time != want:
        chk.run(world, inv.SubscribeTakesInfo, ClusterSnapshot(stale_infos=(
            (fid or "", "registered_time", repr(fw.registered_time),
             f"{want!r} ({'first subscription to this master' if first else 'kept'})"),)))


def malformed_accept(call: Any) -> bool:
    """An ACCEPT whose LAUNCH (LAUNCH_GROUP) carries something that is not a TaskInfo (or not
    as a tuple):
    what a buggy client or a fuzzer sends; Mesos refuses it (400) before anything else."""
    for op in call.operations:
        t = type(op)
        tasks = op.task_infos if t is OpLaunch else op.tasks if t is OpLaunchGroup else ()
        if type(tasks) is not tuple or any(type(x) is not TaskInfo for x in tasks):
            return True
    return False


def check_malformed_refused(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """MalformedCallsRefused: a malformed call is answered 400 "Failed to validate
    scheduler::Call" and the master's step does nothing else (changes nothing it shows)."""
    if not effects or type(effects[0]) is not Respond or effects[0].status == 503:
        return  # not the leader (or not recovered): answered 503, changes nothing either
    first = effects[0]
    what = []
    if first.status != 400 or not (first.message or "").startswith(MALFORMED):
        what.append(f"answered {first.status} {first.message!r}")
    if len(effects) > 1:
        what.append("also " + ", ".join(sorted({type(e).__name__ for e in effects[1:]})))
    if what:
        chk.run(world, inv.MalformedCallsRefused, ClusterSnapshot(malformed_answers=(
            (inp.framework_id or "", type(inp.call).__name__, "; ".join(what)),)))


def check_no_rescind_of_returned(chk: Checker, world: Any, inp: Any,
                                 effects: list[Any]) -> None:
    """NoRescindOfReturnedOffers: an ACCEPT or DECLINE gives its offers back; the master's
    answer to it rescinds none of them (a rescind takes back an offer the framework holds)."""
    ids = inp.call.offer_ids
    bad = tuple((inp.framework_id or "", e.message.offer_id) for e in effects
                if type(e) is Send and type(e.message) is EventRescind
                and e.message.offer_id in ids)
    if bad:
        chk.run(world, inv.NoRescindOfReturnedOffers, ClusterSnapshot(rescinded_returned=bad))


def check_agent_disconnected(chk: Checker, world: Any, node: Any, inp: Any) -> None:
    """AgentDisconnectionNoticed, after a master step on the loss of a connection: if it was
    an agent's, the master counts that agent disconnected and holds no offer of it."""
    m = node.machine
    aid = m._pids.get(inp.peer)
    a = m._agents.get(aid or "")
    if a is None:
        return
    bad = []
    if a.connected:
        bad.append("still counts it connected")
    if a.offers:
        bad.append(f"still holds its offers {sorted(a.offers)[:3]}")
    if bad:
        chk.run(world, inv.AgentDisconnectionNoticed, ClusterSnapshot(
            unnoticed_disconnections=((a.id, " and ".join(bad)),)))


def unreachable_at_leader(world: Any, key: tuple[str, str], launched_on: str | None) -> bool:
    """The live leader holds the agent of task `key` unreachable: the agent it books the
    task on, or (a task the leader never learnt) the agent the framework launched it on."""
    m = world.live_leader()
    if m is None:
        return False
    fw = m.machine._frameworks.get(key[0])
    t = fw.unreachable_tasks.get(key[1]) if fw is not None else None
    aid = t.agent_id if t is not None else launched_on
    return aid is not None and aid in m.machine._unreachable


# ====================================================================== s11: agent books
_EXEC_TERMINATED = Reason.REASON_EXECUTOR_TERMINATED
_REG_TIMEOUT = Reason.REASON_EXECUTOR_REGISTRATION_TIMEOUT
_AGENT_RESTARTED = Reason.REASON_AGENT_RESTARTED
_CAUSES = frozenset({_EXEC_TERMINATED, _REG_TIMEOUT, _AGENT_RESTARTED})
_KILLED_DURING_LAUNCH = Reason.REASON_TASK_KILLED_DURING_LAUNCH  # s13 magent


def task_still_runs(world: Any, node: Any, u: Any) -> bool:
    """Whether the process of the executor the agent books the update's task in still runs
    that task (a live executor process with the task's process)."""
    a = node.machine
    fw = a.frameworks.get(u.framework_id)
    ex = fw.executors.get(fw.task_executor.get(u.status.task_id, "")) if fw is not None else None
    if ex is None:
        return False
    x = world.executors.get(ex.container_id)
    return x is not None and x.alive and u.status.task_id in x.task_proc


def _overdue(world: Any, a: Any, ex: Any, x: Any) -> float:
    """Seconds an executor whose process is alive has stayed registering past the
    registration timeout, or terminating past its shutdown grace period, beyond 10 s of
    slack (0.0: not overdue). Recovered executors follow the re-registration timeout."""
    if x is None or not x.alive or ex.recovered:
        return 0.0
    if ex.state == "registering":
        late = world.now - x.launched_at - a.config.executor_registration_timeout - 10.0
    elif ex.state == "terminating" and x.shutdown_at is not None:
        late = world.now - x.shutdown_at - a._grace(ex) - 10.0
    else:
        return 0.0
    return late if late > 0 else 0.0


def _fold_log(records: Any) -> tuple[tuple[str, ...], bool]:
    """The unacknowledged uuids a recovery would rebuild from one update log (as the status
    update manager's replay rules say: an update seen before is skipped, an ack pops the
    head it names, the ack of a terminal update closes the stream), and whether a terminal
    update of the task was acknowledged (the task is complete)."""
    pending: list[Any] = []
    seen: set[bytes] = set()
    closed = False
    for r in records:
        if type(r) is UpdateRecord:
            if r.update.uuid not in seen:
                seen.add(r.update.uuid)
                pending.append(r.update)
        elif type(r) is AckRecord and pending and r.uuid == pending[0].uuid:
            head = pending.pop(0)
            if head.status.state.is_terminal:
                pending, seen, closed = [], set(), True
    return tuple(u.uuid.hex()[:8] for u in pending), closed


def checkpoint_rows(n: Any, *, crashing: bool = False
                    ) -> list[tuple[str, str, frozenset[Any], frozenset[Any]]]:
    """CheckpointAgrees input for one agent node: its live books beside its disk (of a
    live node, or of one `crashing`: marked dead, its disk not yet hit)."""
    a = n.machine
    if a is None or not (n.alive or crashing) or a.state == "new":
        return []
    fws: set[Any] = set()
    exs: set[Any] = set()
    tasks: set[Any] = set()
    streams: set[Any] = set()
    for fw in a.frameworks.values():
        if not fw.info.checkpoint:
            continue
        fws.add(fw.id)
        for ex_id, ex in fw.executors.items():
            if ex.checkpoint:
                exs.add((fw.id, ex_id))
                tasks.update((fw.id, ex_id, tid) for tid in ex.tasks)
    for key, stream in a.sum.streams.items():
        if stream.checkpoint and stream.pending:
            sfw = a.frameworks.get(key[0])
            if (sfw is not None and sfw.state == "terminating"
                    and key[1] not in sfw.task_executor):  # s17 kdrive2
                # a task of a framework being shut down, dropped with its removed executor:
                # Mesos keeps its stream in memory until the framework goes
                # (TaskStatusUpdateManager::cleanup at Slave::removeFramework) while recovery
                # skips the updates of an executor's completed run (its log is gone here)
                continue
            streams.add((key, tuple(u.uuid.hex()[:8] for u in stream.pending)))
    d_fws: set[Any] = set()
    d_exs: set[Any] = set()
    d_tasks: set[Any] = set()
    d_streams: set[Any] = set()
    for k in n.disk.checkpoints:
        kind = k[0]
        if kind == "framework":
            d_fws.add(k[1])
        elif kind == "executor":
            d_exs.add((k[1], k[2]))
        elif kind == "task":
            d_tasks.add((k[1], k[2], k[3]))
    complete: set[tuple[str, str]] = set()
    for k, log in n.disk.logs.items():
        if k[0] == "updates":
            p, closed = _fold_log(log)
            if p:
                d_streams.add(((k[1], k[2]), p))
            if closed:
                complete.add((k[1], k[2]))
    if complete:
        # a checkpointed task whose log shows its terminal update acknowledged is complete:
        # recovery rebuilds no live task from it (the agent holds none: marked apart)
        d_tasks = {t + ("complete",) if (t[0], t[2]) in complete else t for t in d_tasks}
    return [(n.name, book, frozenset(live), frozenset(disk)) for book, live, disk in (
        ("frameworks", fws, d_fws), ("executors", exs, d_exs), ("tasks", tasks, d_tasks),
        ("streams", streams, d_streams))]


def executor_book_rows(world: Any) -> tuple[inv.ExecutorBook, ...]:
    """ExecutorBooksAgree input: every executor each live agent books, indexes or runs."""
    from mesotron.core.agent.base import EXEC_IDLE

    rows: list[inv.ExecutorBook] = []
    procs: dict[str, dict[str, Any]] = {}
    for cid, x in world.executors.items():
        procs.setdefault(x.agent.name, {})[cid] = x
    for n in world.agents:
        a = n.machine
        if not n.alive or a is None or a.state in ("new", "stopped"):
            continue
        mine = procs.get(n.name, {})
        booked: dict[str, tuple[Any, Any]] = {}
        for fw in a.frameworks.values():
            for ex in fw.executors.values():
                booked[ex.container_id] = (fw, ex)
        for cid in sorted(set(booked) | set(a.by_container) | set(mine)):
            x = mine.get(cid)
            if x is None:
                process, dead_for = "none", 0.0
            elif x.alive:
                process, dead_for = "alive", 0.0
            else:
                process, dead_for = "dead", world.now - (x.died_at or 0.0)
            got = booked.get(cid)
            if got is None:
                rows.append(inv.ExecutorBook(
                    agent=n.name, container=cid, state=None, in_by_container=cid in a.by_container,
                    pid=False, in_by_pid=False,
                    process=process if x is None or x.task_proc else "none"))
                continue
            fw, ex = got
            ended = ()
            if x is not None and x.alive:
                ended = tuple(sorted(tid for tid in x.task_proc
                                     if ex.tasks.get(tid) is None
                                     or ex.tasks[tid].state.is_terminal))
            rows.append(inv.ExecutorBook(
                agent=n.name, container=cid, state=ex.state,
                in_by_container=a.by_container.get(cid) == (fw.id, ex.info.executor_id),
                pid=ex.pid is not None,
                in_by_pid=ex.pid is not None
                and a.by_pid.get(ex.pid) == (fw.id, ex.info.executor_id),
                process=process, dead_for=dead_for,
                open_tasks=sum(1 for t in ex.tasks.values() if not t.state.is_terminal),
                closed_tasks=sum(1 for tid, t in ex.tasks.items() if t.state.is_terminal
                                 and not a.sum.has_stream(fw.id, tid)),
                # the world's timers, not the agent's flag: an idle shutdown really pending
                idle_unarmed=(ex.command_executor and ex.state == "running" and not ex.tasks
                              and (EXEC_IDLE, fw.id, ex.info.executor_id, cid)
                              not in n.timers),
                running_booked_ended=ended,
                overdue=_overdue(world, a, ex, x),
                container_resources=(x is None or not x.alive
                                     or ex.state not in ("registering", "running")
                                     or x.resources == ex.resources())))
    return tuple(rows)


def agent_counter_rows(world: Any, chk: Checker) -> tuple[tuple[str, str, int, int], ...]:
    """ExecutorBooksAgree input: each live agent's executors_terminated counter beside the
    DestroyContainer effects (one per executor termination) it returned since it started."""
    return tuple((n.name, "executors_terminated", n.machine.counters.get("executors_terminated", 0),
                  chk.destroyed.get(n.name, 0))
                 for n in world.agents if n.alive and n.machine is not None)


def check_subscribe_principal(chk: Checker, world: Any, node: Any, inp: Any,
                              effects: list[Any]) -> None:
    """PrincipalsChecked, after a master step on a SUBSCRIBE whose caller the shell
    authenticated: a claimed principal other than the authenticated one is refused (400);
    otherwise the call is not refused for its principal, and once answered 200 the
    framework's booked FrameworkInfo carries the authenticated principal."""
    if not effects or type(effects[0]) is not Respond or effects[0].status == 503:
        return  # not the leader (or not recovered): answered 503
    first = effects[0]
    principal = inp.principal
    claimed = inp.call.framework_info.principal
    name = inp.call.framework_info.name
    what = None
    if claimed is not None and claimed != principal:
        if first.status != 400:
            what = f"a SUBSCRIBE claiming {claimed!r} was answered {first.status}"
    elif first.status >= 400 and "principal" in (first.message or ""):
        what = f"a SUBSCRIBE claiming {claimed!r} was refused: {first.message}"
    elif first.status == 200:
        fw = next((f for f in node.machine._frameworks.values()
                   if f.stream == first.stream_id), None)
        if fw is not None and fw.info.principal != principal:
            what = (f"the master booked principal {fw.info.principal!r} for the SUBSCRIBE "
                    f"claiming {claimed!r}")
    if what is not None:
        chk.run(world, inv.PrincipalsChecked, ClusterSnapshot(
            principal_answers=((name, principal, what),)))


def check_malformed_agent_refused(chk: Checker, world: Any, inp: Any,
                                  effects: list[Any]) -> None:
    """MalformedAgentMessagesRefused, after a master step on the hostile peer's malformed
    agent message (core/sim/world.py spoof_agent_message): one Reject, status 400, nothing
    else; for its status update naming another agent id: log lines only (Mesos drops it)."""
    if type(inp.message) is StatusUpdateMessage:
        if all(type(e) is Log for e in effects):
            return
    elif len(effects) == 1 and type(effects[0]) is Reject and effects[0].status == 400:
        return
    what = ", ".join(f"{type(e).__name__}" + (f" {e.status}" if type(e) is Reject else "")
                     for e in effects) or "nothing"
    chk.run(world, inv.MalformedAgentMessagesRefused, ClusterSnapshot(
        malformed_agent_answers=((inp.sender, type(inp.message).__name__,
                                  f"answered with {what}"),)))


def check_forged_agent_ignored(chk: Checker, world: Any, inp: Any,
                               effects: list[Any]) -> None:
    """ForgedAgentMessagesIgnored, after a master step on a forged agent message
    (core/sim/world.py forge_agent_messages): log lines only."""
    if all(type(e) is Log for e in effects):
        return
    msg = type(inp.message).__name__
    if msg == "RegisterAgent":
        msg += f" (version {inp.message.version!r})"
    else:
        msg += f" (agent {getattr(inp.message, 'agent_id', '?')})"
    what = ", ".join(sorted({type(e).__name__ for e in effects if type(e) is not Log}))
    chk.run(world, inv.ForgedAgentMessagesIgnored, ClusterSnapshot(
        forged_agent_answers=((inp.sender, msg, f"answered with {what}"),)))


def check_unresponsive_removed(chk: Checker, world: Any, m: Any, aid: str,
                               silent: float) -> None:
    """UnresponsiveAgentsRemoved, as an agent stopped for maintenance comes back
    (core/sim/world.py maintenance_tick), when one master led throughout: silent past the
    health checks' limit, the agent must not still be a live registered agent there."""
    mc = m.machine
    cfg = mc.config
    if silent <= cfg.agent_ping_timeout * (cfg.max_agent_ping_timeouts + 1) + 5.0:
        return
    agent = mc._agents.get(aid)
    if agent is None or aid in mc._marking_unreachable or aid in mc._removal_waiting:
        return
    what = f"registered (missed pings {agent.missed_pings}, connected {agent.connected})"
    chk.run(world, inv.UnresponsiveAgentsRemoved, ClusterSnapshot(unremoved_agents=(
        (aid, silent, what),)))


def agent_task_books(mc: Any) -> dict[str, tuple[str, frozenset[tuple[str, str]]]]:
    """MasterUpdatesSent's view before a registry result: agent id -> ("removing", its live
    tasks (framework id, task id)) for the agents being removed (marked unreachable or
    unregistered), ("readmitting", the tasks the master holds unreachable on it) for the
    agents being readmitted."""
    out: dict[str, tuple[str, frozenset[tuple[str, str]]]] = {}
    for aid in mc._marking_unreachable:
        agent = mc._agents.get(aid)
        if agent is not None:
            out[aid] = ("removing", frozenset(k for k, t in agent.tasks.items()
                                              if not t.state.is_terminal))
    if mc._reregistering:
        back = set(mc._reregistering)
        held: dict[str, set[tuple[str, str]]] = {aid: set() for aid in back}
        for fw in mc._frameworks.values():
            for tid, t in fw.unreachable_tasks.items():
                if t.agent_id in back:
                    held[t.agent_id].add((fw.id, tid))
        for aid, keys in held.items():
            out[aid] = ("readmitting", frozenset(keys))
    return out


def check_master_updates_sent(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """MasterUpdatesSent, after a master step on a registry result that removed or readmitted
    an agent (the Log lines agent_removed / agent_readmitted)."""
    pre = chk._pre_agent_tasks
    done = [(e.event, dict(e.fields).get("agent_id", "")) for e in effects
            if type(e) is Log and e.event in ("agent_removed", "agent_readmitted")]
    if not done:
        return
    mc = node.machine
    sent = {(e.to, e.message.status.task_id) for e in effects
            if type(e) is Send and type(e.message) is EventUpdate}
    bad: list[tuple[str, str, str, str]] = []
    for event, aid in done:
        kind, keys = pre.get(aid, ("", frozenset()))
        for fid, tid in sorted(keys):
            fw = mc._frameworks.get(fid)
            if fw is None:
                continue
            if kind == "removing" and event == "agent_removed":
                if fw.stream is not None and (fw.stream, tid) not in sent:
                    bad.append((aid, fid, tid, "removed without an update"))
            elif kind == "readmitting" and event == "agent_readmitted":
                t = fw.tasks.get(tid)
                if t is not None and t.agent_id == aid:
                    if fw.stream is not None and (fw.stream, tid) not in sent:
                        bad.append((aid, fid, tid, "back without an update"))
                else:
                    left = fw.unreachable_tasks.get(tid)
                    if left is not None and left.agent_id == aid:
                        bad.append((aid, fid, tid, "not reported, still booked unreachable"))
    if bad:
        chk.run(world, inv.MasterUpdatesSent, ClusterSnapshot(unsent_master_updates=tuple(bad)))


def check_removal_rate(chk: Checker, world: Any, node: Any) -> None:
    """RemovalsRateLimited, as a master marks an agent unreachable (its Log line)."""
    limit = node.machine.config.agent_removal_rate_limit
    if limit is None:
        return
    term = (node.name, node.inc, node.machine.elected_time)
    interval = limit[1] / limit[0]
    last = chk.last_unreachable_mark.get(term)
    chk.last_unreachable_mark[term] = world.now
    if last is not None and world.now - last < interval - 1e-6:
        chk.run(world, inv.RemovalsRateLimited, ClusterSnapshot(fast_removals=(
            (node.machine.master_info.id, world.now - last, interval),)))


def check_agents_health_checked(chk: Checker, world: Any, node: Any) -> None:
    """AgentsHealthChecked on the leader `node`: every agent it holds registered and connected
    (not being removed) has its ping timer armed; every agent waiting for a removal permit
    has the permit's timer armed."""
    mc = node.machine
    timers = node.timers
    bad: list[tuple[str, str]] = []
    for aid, agent in mc._agents.items():
        if aid in mc._marking_unreachable:
            continue
        if aid in mc._removal_waiting:
            if ("agent_removal_permit", aid) not in timers:
                bad.append((aid, "waits for a removal permit whose timer is not armed"))
        elif agent.connected and ("ping", aid) not in timers:
            bad.append((aid, "is connected but its ping timer is not armed"))
    if bad:
        chk.run(world, inv.AgentsHealthChecked, ClusterSnapshot(unchecked_agents=tuple(bad)))


def check_removed_agents_forgotten(chk: Checker, world: Any, node: Any,
                                   effects: list[Any]) -> None:
    """RemovedAgentsForgotten, after a master step on a registry result that removed agents
    (its agent_removed Log lines)."""
    gone = [dict(e.fields).get("agent_id", "") for e in effects
            if type(e) is Log and e.event == "agent_removed"]
    if not gone:
        return
    mc = node.machine
    bad: list[tuple[str, str]] = []
    for aid in gone:
        if aid in mc._agents:
            bad.append((aid, "is still a registered agent"))
        if aid in mc._pids.values():
            bad.append((aid, "still has a pid"))
        for fw in mc._frameworks.values():
            if any(a == aid for a, _e in fw.executors):
                bad.append((aid, f"still has executors of {fw.id}"))
            if any(t.agent_id == aid for t in fw.tasks.values()):
                bad.append((aid, f"still has live tasks of {fw.id}"))
        if any(o.agent_id == aid for o in mc._offers.values()):
            bad.append((aid, "still has offers"))
    grew = mc.counters.get("master/slave_removals", 0) - chk._pre_removals
    if grew != len(gone):
        bad.append((",".join(gone), f"removed, but master/slave_removals grew by {grew:g}"))
    if bad:
        chk.run(world, inv.RemovedAgentsForgotten, ClusterSnapshot(unforgotten_agents=tuple(bad)))


def check_no_offers_on_health_checks(chk: Checker, world: Any, node: Any, inp: Any,
                                     effects: list[Any]) -> None:
    """OffersNeedACause, after a master step on a Pong or a ping / heartbeat timer that
    touched some agent's ledger (offers made or agents removed): no offer in it."""
    offered = [o.id for e in effects if type(e) is Send and type(e.message) is EventOffers
               for o in e.message.offers]
    if offered:
        what = type(inp.message).__name__ if type(inp) is Received else f"{inp.key[0]} timer"
        chk.run(world, inv.OffersNeedACause, ClusterSnapshot(uncaused_offers=(
            (node.machine.master_info.id, what, len(offered)),)))


def check_offers_whitelisted(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """NoOffersOutsideWhitelist, after a leader step that made offers while the operator keeps
    a --whitelist file (world.whitelist: as the operator wrote it, not as the master holds
    it)."""
    wl = world.whitelist
    bad = [(o.id, o.hostname) for e in effects if type(e) is Send
           and type(e.message) is EventOffers for o in e.message.offers if o.hostname not in wl]
    if bad:
        chk.run(world, inv.NoOffersOutsideWhitelist, ClusterSnapshot(
            unlisted_offers=tuple((node.machine.master_info.id, oid, host) for oid, host in bad)))
# ====================================================================== s12 mm2: operator views
# The views an operator reads (/master/state, /metrics/snapshot, GET_WEIGHTS / GET_QUOTA,
# /master/why) held against each other and against books the simulator keeps itself: the
# agents' configured resources, the operator's own calls (core/sim/world.py op_grace,
# op_writes, op_out). Read-only: nothing here changes a machine or draws from the world's RNG.
VIEWS_SAMPLES = 10  # samples of the leader's views per SimConfig.events world events
# an open-ended run (SimConfig.events 0: the Hypothesis machine, the explorer's driver) has
# no length to divide: it samples the leader's views every VIEWS_STRIDE_OPEN world events
VIEWS_STRIDE_OPEN = 300


def _flat_resources(text: str) -> dict[str, Any]:
    """Mesos's flattened resources object of an agent's `--resources` text (cpus/gpus/mem/
    disk always present; a range as "[a-b, c-d]"), parsed here, not by core/resources.py."""
    out: dict[str, Any] = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
    for part in text.split(";"):
        name, _, value = part.partition(":")
        value = value.strip()
        if value.startswith("["):
            out[name.strip()] = "[" + ", ".join(x.strip() for x in value[1:-1].split(",")) + "]"
        elif value.startswith("{"):
            out[name.strip()] = "{" + ", ".join(sorted(x.strip() for x in value[1:-1].split(","))) + "}"
        else:
            out[name.strip()] = out.get(name.strip(), 0.0) + float(value)
    return out


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def operator_view_rows(world: Any, node: Any, settled: bool = False) -> tuple[tuple[str, str], ...]:
    """OperatorViewsAgree input: (master, what disagrees) for the master's operator views.
    Always: /metrics/snapshot against /master/state and the master's views (tasks per state,
    agents, frameworks, offers, cpus/gpus/mem/disk total/used/percent), each agent's
    resources in /master/state against its configured `--resources`. `settled` (quiescence,
    the operator's calls all answered): the drain_info and deactivated flag of each agent
    and the weights / quota the master reports against the operator's own calls."""
    m = node.machine
    who = node.name
    bad: list[tuple[str, str]] = []
    state = m.state_json()
    metrics = m.metrics()
    bad.extend(framework_view_rows(who, state, world.now))  # s14 kops
    bad.extend(users_rows(who, m, state))  # s14 kops
    bad.extend(checks_kmast3.full_resources_rows(who, state))  # s19 kmast3
    # ---- tasks per state: live ones by the master's task view (raw state), terminal and
    # unreachable ones as /master/state shows them (the state their framework sees)
    counts: dict[str, int] = {}
    for tv in m.tasks.values():
        counts[tv.state.name] = counts.get(tv.state.name, 0) + 1
    for f in state["frameworks"]:
        for t in (*f["unreachable_tasks"], *f["completed_tasks"]):
            counts[t["state"]] = counts.get(t["state"], 0) + 1
    for f in state["completed_frameworks"]:
        for t in f["completed_tasks"]:
            counts[t["state"]] = counts.get(t["state"], 0) + 1
    for s in TaskState:
        key = f"master/tasks_{s.name[5:].lower()}"
        want = counts.get(s.name, 0) + m.counters.get(key, 0.0)
        if metrics.get(key) != want:
            bad.append((who, (f"{key} is {metrics.get(key)}, /master/state and the task view "
                             f"show {counts.get(s.name, 0)} (+ {m.counters.get(key, 0.0):g} "
                             "validation outcomes)")))
    # ---- agents and frameworks
    views = m.agents
    slaves = state["slaves"]
    pairs = [("master/slaves_active", state["activated_slaves"]),
             ("master/slaves_inactive", state["deactivated_slaves"]),
             ("master/slaves_unreachable", state["unreachable_slaves"]),
             ("master/slaves_connected", sum(1 for v in views.values() if v.connected)),
             ("master/slaves_disconnected", sum(1 for v in views.values() if not v.connected)),
             ("master/frameworks_active", sum(1 for f in state["frameworks"] if f["active"])),
             ("master/frameworks_inactive", sum(1 for f in state["frameworks"] if not f["active"])),
             ("master/frameworks_connected", sum(1 for f in state["frameworks"] if f["connected"])),
             ("master/frameworks_disconnected",
              sum(1 for f in state["frameworks"] if not f["connected"])),
             ("master/outstanding_offers", sum(len(f["offers"]) for f in state["frameworks"]))]
    for key, want in pairs:
        if metrics.get(key) != want:
            bad.append((who, f"{key} is {metrics.get(key)}, /master/state shows {want}"))
    if len(slaves) != len(views) or state["activated_slaves"] + state["deactivated_slaves"] != len(views):
        bad.append((who, (f"/master/state lists {len(slaves)} agents ({state['activated_slaves']} "
                         f"activated, {state['deactivated_slaves']} deactivated), the master "
                         f"books {len(views)}")))
    # ---- resources: each agent as configured; the gauges are the sums
    # (the operator's host maintenance, operator_host_tick, restarts an agent with one more
    # cpu and 1 GB more memory or back: the master holds one of the two, as it admitted them)
    wants = [_flat_resources(world.agent_resources)]
    if world.config.operator:
        wants.append(_flat_resources(world.agent_resources + ";cpus:1;mem:1024"))
    sums = {"total": dict.fromkeys(("cpus", "gpus", "mem", "disk"), 0.0),
            "used": dict.fromkeys(("cpus", "gpus", "mem", "disk"), 0.0)}
    for sl in slaves:
        got = sl["resources"]
        want_res = min(wants, key=lambda w: sum(1 for k in set(got) | set(w)
                                                if got.get(k) != w.get(k)))
        diff = sorted(k for k in set(got) | set(want_res)
                      if got.get(k) != want_res.get(k)
                      and not (_num(got.get(k)) is not None and _num(want_res.get(k)) is not None
                               and abs(got[k] - want_res[k]) < 1e-6))
        if diff:
            bad.append((who, (f"agent {sl['id']}'s resources in /master/state "
                             f"{ {k: got.get(k) for k in diff} } are not its --resources "
                             f"{ {k: want_res.get(k) for k in diff} }")))
        for kind, field in (("total", "resources"), ("used", "used_resources")):
            for name in sums[kind]:
                v = _num(sl[field].get(name))
                if v is None:
                    bad.append((who, (f"agent {sl['id']}'s {field}.{name} in /master/state is "
                                     f"{sl[field].get(name)!r}, not a number")))
                else:
                    sums[kind][name] += v
    for name in ("cpus", "gpus", "mem", "disk"):
        t, u = sums["total"][name], sums["used"][name]
        for key, want in ((f"master/{name}_total", t), (f"master/{name}_used", u),
                          (f"master/{name}_percent", u / t if t else 0.0)):
            got = _num(metrics.get(key))
            if got is None or abs(got - want) > 1e-6:
                bad.append((who, (f"{key} is {metrics.get(key)!r}, the agents in /master/state "
                                 f"sum to {want:g}")))
    # ---- a drain shown is one the operator asked for, as it asked (its last DRAIN_AGENT of
    # the agent: it drains an agent again only after a REACTIVATE_AGENT answered 200)
    for sl in slaves:
        info = sl.get("drain_info")
        if info is None:
            continue
        aid = sl["id"]
        want_cfg: dict[str, Any] = {"mark_gone": world.op_mark_gone.get(aid, False)}  # s14 kops
        grace = world.op_grace.get(aid)
        if grace is not None:
            want_cfg["max_grace_period"] = {"nanoseconds": round(grace * 1e9)}
        if aid not in world.op_grace or info.get("state") not in ("DRAINING", "DRAINED") \
                or info.get("config") != want_cfg or not sl["deactivated"]:
            bad.append((who, f"agent {aid} shows drain_info {info} deactivated="
                             f"{sl['deactivated']}; the operator "
                             + (f"drained it with max grace {grace}" if aid in world.op_grace
                                else "never drained it")))
    if not settled:
        return tuple(bad)
    # ---- what the operator did (its calls all answered): drains, deactivations, settings
    for sl in slaves:
        aid = sl["id"]
        kind = world.op_out.get(aid, ("", 0.0))[0]
        if aid in world.op_touched and not kind:
            continue  # an answer lost: not settled
        info = sl.get("drain_info")
        if kind == "drain":
            if not info:  # (its state and config: checked above)
                bad.append((who, f"agent {aid}, drained by the operator, shows no drain_info"))
        elif info:
            bad.append((who, (f"agent {aid} shows drain_info {info}: the operator never drained "
                             "it (or reactivated it since)")))
        elif kind == "deactivate" and not sl["deactivated"]:
            bad.append((who, f"agent {aid}, deactivated by the operator, is not shown deactivated"))
    weights = m.weights()
    quotas = m.quotas()
    for key, writes in sorted(world.op_writes.items()):
        # the value of the last call answered 200, or of any later one left unanswered
        last = max((i for i, (_v, st) in enumerate(writes) if st == 200), default=None)
        if last is None:
            continue
        allowed = [writes[last][0]] + [v for v, st in writes[last + 1:] if st is None]
        if key[0] == "weight":
            now_set: Any = weights.get(key[1])
        else:
            q = quotas.get(key[1])
            now_set = (tuple(q.guarantees), tuple(q.limits)) if q is not None else None
        if now_set not in allowed:
            bad.append((who, f"the master reports {key[0]} {now_set} for role {key[1]}: the "
                             f"operator's calls answered 200 set {allowed[0]}"
                             + (f" (or, unanswered since, {allowed[1:]})" if allowed[1:] else "")))
    return tuple(bad)


def why_rows(world: Any, node: Any, settled: bool = False) -> tuple[tuple[str, str, str], ...]:
    """WhyExplains input: (framework id, verdict, what is wrong) for the leader's `why`
    answer (core/master/why.py) about each framework it knows, a completed one and an
    unknown id. The verdict must be the first of the documented order that the master's
    views (/master/state's frameworks: active, connected, offers; the agents connected)
    and the answer's own per-agent reasons (reason_counts) select, and its summary must
    state the counts it is based on. `settled` (quiescence): a framework whose scheduler
    is alive and subscribed to this master is not answered inactive."""
    from mesotron.core.allocator.why import HARD
    from mesotron.core.master.why import why

    m = node.machine
    now = world.now
    bad: list[tuple[str, str, str]] = []
    fviews = m.frameworks
    any_connected = any(v.connected for v in m.agents.values())
    agent_lists = why_agent_lists(m)  # s14 kops
    for fid, fv in fviews.items():
        j = why(m, now, fid, hidden=False).to_json()
        verdict = j.get("verdict")
        counts = j.get("reason_counts", {})
        nxt = counts.get("next", 0)
        soft = counts.get("drf_rank", 0) + counts.get("quota_of_other_role", 0)
        if not (fv.active and fv.connected):
            want = "inactive"
        elif fv.offer_ids:
            want = "holds_offers"
        elif not any_connected:
            want = "no_agents"
        elif nxt:
            want = "offered_next"
        elif soft:
            want = "waiting_for_drf"
        else:
            want = "blocked"
        summary = j.get("summary", "")
        bad.extend(why_json_rows(fid, j, agent_lists))  # s14 kops
        if verdict != want:
            bad.append((fid, str(verdict), (f"expected {want} (active={fv.active}, connected="
                                           f"{fv.connected}, {len(fv.offer_ids)} offers held, "
                                           f"reasons {counts}): {summary}")))
            continue
        if j.get("framework_id") != fid or j.get("name") != fv.info.name:
            bad.append((fid, verdict, (f"the answer names {j.get('framework_id')} "
                                      f"{j.get('name')!r}, not {fid} {fv.info.name!r}")))
        hard = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items()) if k in HARD)
        if verdict == "offered_next" and f"on {nxt} agent(s)" not in summary \
                or verdict == "waiting_for_drf" and (
                    f"on {soft} agent(s)" not in summary or (hard and hard not in summary)) \
                or verdict == "blocked" and hard and hard not in summary:
            bad.append((fid, verdict, f"its summary does not state its reasons {counts}: {summary}"))
    for fid in list(m.completed_frameworks)[:2]:
        if fid not in fviews:
            v = why(m, now, fid, hidden=False).to_json().get("verdict")
            if v != "completed":
                bad.append((fid, str(v), "a completed (torn down / removed) framework"))
    if m.leader:
        v = why(m, now, "no-such-framework", hidden=False).to_json().get("verdict")
        if v != "unknown":
            bad.append(("no-such-framework", str(v), "a framework id the master never knew"))
    if settled:
        for fid in sorted(world.op_torn_down):
            v = why(m, now, fid, hidden=False).to_json().get("verdict")
            mf = m._frameworks.get(fid)
            if v == "inactive" and mf is not None and mf.recovered:
                # s17 longrun: a leader elected after the TEARDOWN does not know it (Mesos
                # keeps completed frameworks in memory only) and re-learnt the framework from
                # an agent that re-registered with its tasks (Mesos `_reregisterSlave`
                # recovers such frameworks, inactive until they subscribe): inactive is true
                continue
            if v not in ("completed", "unknown"):
                bad.append((fid, str(v), "a framework the operator tore down (TEARDOWN answered 200)"))
        for s in world.schedulers:
            fid = s.app.framework_id
            if s.alive and s.app.subscribed and fid in fviews \
                    and any(world.streams.get(st, ("", ""))[1] == node.name for st in s.streams) \
                    and not (fviews[fid].active and fviews[fid].connected):
                bad.append((fid, "-", (f"{s.name} is subscribed to {node.name}, which books "
                                          "it inactive or disconnected")))
    return tuple(bad)


def check_operator_views(chk: Checker, world: Any, node: Any) -> None:
    """OperatorViewsAgree and WhyExplains on the leader's views, VIEWS_SAMPLES times per
    `SimConfig.events` world events, every VIEWS_STRIDE_OPEN events in an open-ended run
    (Checker.on_master_step: a bounded cost whatever the cluster's size); during quiescence
    VIEWS_SAMPLES times across its virtual time (`SimConfig.quiesce`: the healed cluster's
    events are mostly timers, and a 900 s quiescence of a 2,000-event run has ~10,000 of
    them), and once more at its end, settled (core/sim/run.py)."""
    n = world.config.events
    chk.views_due = world.events + (max(1, n // VIEWS_SAMPLES) if n else VIEWS_STRIDE_OPEN)
    if world.quiescent:  # VIEWS_SAMPLES samples across the quiescence's virtual time
        chk.views_due_t = world.now + max(world.config.quiesce, 1.0) / VIEWS_SAMPLES
    rows = operator_view_rows(world, node)
    if rows:
        chk.run(world, inv.OperatorViewsAgree, ClusterSnapshot(operator_views=rows))
    whys = why_rows(world, node)
    if whys:
        chk.run(world, inv.WhyExplains, ClusterSnapshot(why_answers=whys))
    checks_driveo.check_why_json(chk, world, node)  # s18 driveo: WhyExplains rows
    checks_killm.check_views(chk, world, node)  # s17 killm



# ====================================================================== s12 mm2: operation feedback
def _op_answers(effects: list[Any]) -> list[Any]:
    return [e.message.status for e in effects
            if type(e) is Send and type(e.message) is EventUpdateOperationStatus]


def check_operation_reconcile(chk: Checker, world: Any, node: Any, inp: Any,
                              effects: list[Any]) -> None:
    """OperationFeedbackAgrees, after a RECONCILE_OPERATIONS the master accepted (202) from a
    connected framework: one answer per operation asked (none named: every operation the
    master keeps for it), in order, without a uuid; an operation the master keeps is
    answered its latest state, another OPERATION_GONE_BY_OPERATOR / OPERATION_UNREACHABLE /
    OPERATION_RECOVERING / OPERATION_UNKNOWN as its agent is gone / unreachable /
    recovering / anything else (Mesos `Master::reconcileOperations`)."""
    if not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    m = node.machine
    fw = m._frameworks.get(inp.framework_id)
    if fw is None or fw.stream is None:
        return
    kept = m._operations
    asked = inp.call.operations or tuple(
        (op_id, rec.agent_id) for (fid, op_id), rec in sorted(kept.items()) if fid == fw.id)
    want = []
    for op_id, aid in asked:
        rec = kept.get((fw.id, op_id))
        if rec is not None:
            want.append((op_id, rec.statuses[-1].state))
        elif (aid or "") in m._gone:
            want.append((op_id, "OPERATION_GONE_BY_OPERATOR"))
        elif (aid or "") in m._unreachable:
            want.append((op_id, "OPERATION_UNREACHABLE"))
        elif (aid or "") in m._recovered_agents:
            want.append((op_id, "OPERATION_RECOVERING"))
        else:
            want.append((op_id, "OPERATION_UNKNOWN"))
    got = [(st.operation_id, st.state) for st in _op_answers(effects)]
    bad = [f"answered {got}, expected {want}"] if got != want else []
    bad += [f"answer for {st.operation_id} carries a uuid" for st in _op_answers(effects)
            if st.uuid is not None]
    if bad:
        chk.run(world, inv.OperationFeedbackAgrees, ClusterSnapshot(operation_feedback=tuple(
            (fw.id, "RECONCILE_OPERATIONS", b) for b in bad)))


def check_operation_ack(chk: Checker, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """OperationFeedbackAgrees, after an ACKNOWLEDGE_OPERATION_STATUS the master accepted
    (202): an acknowledgement of the latest (terminal) status of an operation the master kept
    makes it forget the operation (reconciliation answers OPERATION_UNKNOWN from then on);
    one with another uuid changes nothing."""
    pre, chk._pre_ack = chk._pre_ack, None
    if pre is None or not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    from mesotron.core.master.operations import TERMINAL

    key = (inp.framework_id, inp.call.operation_id)
    kept = key in node.machine._operations
    what = None
    if pre[0] == inp.call.uuid and pre[1] in TERMINAL and kept:
        what = f"the acknowledged terminal operation {key[1]} ({pre[1]}) is still kept"
    elif pre[0] != inp.call.uuid and not kept:
        what = f"an acknowledgement with another uuid made the master forget {key[1]}"
    if what is not None:
        chk.run(world, inv.OperationFeedbackAgrees, ClusterSnapshot(operation_feedback=(
            (key[0] or "", "ACKNOWLEDGE_OPERATION_STATUS", what),)))


def check_invalid_operations(chk: Checker, world: Any, node: Any, inp: Any, effects: list[Any],
                             pre_offers: dict[str, Any]) -> None:
    """OperationFeedbackAgrees, after an ACCEPT the master took (202) of offers valid together
    with RESERVE / UNRESERVE operations with ids: one its framework knows to be invalid (a
    RESERVE for another role, or for a role the ACLs refuse) is answered OPERATION_ERROR in
    the same step (to a connected framework), never PENDING or FINISHED, and is not kept
    but as an error; the others (valid by construction) are never answered OPERATION_ERROR."""
    fid = inp.framework_id or ""
    ops = [op for op in inp.call.operations if type(op) in (OpReserve, OpUnreserve)
           and op.id is not None]
    mine = [op for op in ops if (fid, op.id) in chk.invalid_ops]
    if not ops or not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    offers = [pre_offers.get(oid) for oid in inp.call.offer_ids]
    held = [o for o in offers if o is not None and o.framework_id == fid]
    if not offers or len(held) != len(offers) \
            or len({o.agent_id for o in held}) != 1 or len({o.role for o in held}) != 1:
        return  # refused as a whole (InvalidOffersRefused)
    answers = {st.operation_id: st.state for st in _op_answers(effects)}
    fw = node.machine._frameworks.get(fid)
    connected = fw is not None and fw.stream is not None
    # the other operations with an id are valid by construction (the reserver reserves and
    # gives back only what the offer holds, for its role): never OPERATION_ERROR
    bad = [f"valid operation {op.id} ({type(op).__name__} {op.resources}) was answered "
           "OPERATION_ERROR" for op in ops
           if op not in mine and answers.get(op.id) == "OPERATION_ERROR"]
    for op in mine:
        state = answers.get(op.id)
        if (connected and state != "OPERATION_ERROR") or (state not in (None, "OPERATION_ERROR")):
            bad.append(f"invalid operation {op.id} ({type(op).__name__} {op.resources}) was "
                       f"answered {state}")
        if (fid, op.id) in node.machine._operations \
                and node.machine._operations[(fid, op.id)].state != "OPERATION_ERROR":
            bad.append(f"invalid operation {op.id} is kept as "
                       f"{node.machine._operations[(fid, op.id)].state}")
    if bad:
        chk.run(world, inv.OperationFeedbackAgrees, ClusterSnapshot(operation_feedback=tuple(
            (fid, "ACCEPT", b) for b in bad)))


def _published_resources(r: Resources) -> dict[str, Any]:
    """What /state should say of resources `r`: each scalar's total, each range resource as
    Mesos prints it ("[a-b, c-d]")."""
    out: dict[str, Any] = {}
    for name, value in r.scalars().items():
        out[name] = value
    for name in r.names():
        spans = r.ranges(name)
        if spans:
            out[name] = "[" + ", ".join(f"{lo}-{hi}" for lo, hi in spans) + "]"
    return out


def _sum_scalars(parts: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in parts:
        for name, value in part.items():
            if not isinstance(value, str):
                out[name] = round(out.get(name, 0.0) + value, 3)
    return out


def agent_view_rows(world: Any) -> tuple[tuple[str, str, str, str], ...]:
    """AgentViewsAgree input, at quiescence: per live agent, (agent, what, expected,
    published) of its /state document, /metrics and `executors` / `tasks` views, the
    expected side from the world (the agent's flags, its live executor processes and the
    task processes they run, the leader's registration) or from another view."""
    rows: list[tuple[str, str, str, str]] = []
    m = world.live_leader()
    leader_ids: dict[str, str] = {}
    if m is not None:
        leader_ids = {a.pid: aid for aid, a in m.machine._agents.items()
                      if a.connected and a.pid}
    procs: dict[str, list[Any]] = {}
    for cid in sorted(world.executors):
        x = world.executors[cid]
        if x.alive:
            procs.setdefault(x.agent.name, []).append(x)
    for n in world.agents:
        a = n.machine
        if not n.alive or a is None or a.state in ("new", "stopped"):
            continue
        name = n.name
        state = a.state_json()
        metrics = a.metrics()
        views = a.executors
        task_views = a.tasks

        def row(what: str, want: Any, got: Any, name: str = name) -> None:
            rows.append((name, what, str(want), str(got)))

        row("pid", name, state["pid"])
        checks_killa.task_executor_rows(world.obs, state, row)  # s17 killa
        if name in leader_ids:
            row("id", leader_ids[name], state["id"])
        row("registered metric", 1.0 if name in leader_ids else 0.0,
            metrics["slave/registered"])
        total = state["resources"]
        # the published total, beside the agent's flags (the simulated operator reserves
        # but never adds resources: the same scalars and ranges)
        flags = _published_resources(Resources.parse(n.resources))  # as this agent started
        row("resources", sorted(flags.items()), sorted(total.items()))
        split = _sum_scalars([*state["reserved_resources"].values(),
                              state["unreserved_resources"]])
        row("reserved + unreserved",
            sorted((k, v) for k, v in total.items() if not isinstance(v, str)),
            sorted(split.items()))
        listed: dict[str, tuple[str, str, str]] = {}  # container -> (framework, executor, dir)
        listed_tasks: dict[tuple[str, str], str] = {}  # (framework, task) -> state
        for fw in state["frameworks"]:
            for ex in fw["executors"]:
                listed[ex["container"]] = (fw["id"], ex["id"], ex["directory"])
                for t in (*ex["tasks"], *ex["queued_tasks"]):
                    listed_tasks[(fw["id"], t["id"])] = t["state"]
        aid = a.agent_id
        live = procs.get(name, [])
        want_ex, got_ex, got_view = [], [], []
        for x in live:
            ex_id = x.machine.executor_id
            want_ex.append((x.container, x.framework_id, ex_id,
                            (f"{SIM_WORK_DIR}slaves/{aid}/frameworks/{x.framework_id}"
                            f"/executors/{ex_id}/runs/{x.container}")))
            got = listed.get(x.container)
            got_ex.append((x.container, *got) if got is not None else (x.container, "unlisted"))
            v = views.get((x.framework_id, ex_id))
            got_view.append((x.container, x.framework_id, ex_id, v.container_id
                             if v is not None else "unlisted"))
        row("/state executors (live processes)", want_ex, got_ex)
        row("executors view (live processes)",
            [(c, f, e, c) for c, f, e, _d in want_ex], got_view)
        # every task a live executor process runs is listed non-terminal, in both views
        want_tasks, got_tasks, got_task_views = [], [], []
        for x in live:
            for tid in sorted(x.task_proc):
                want_tasks.append((x.framework_id, tid, "live"))
                st = listed_tasks.get((x.framework_id, tid))
                got_tasks.append((x.framework_id, tid, "live" if st is not None
                                  and not TaskState[st].is_terminal else st))
                tv = task_views.get((x.framework_id, tid))
                got_task_views.append((x.framework_id, tid, "live" if tv is not None
                                       and not tv.state.is_terminal else tv))
        row("/state tasks (running processes)", want_tasks, got_tasks)
        row("tasks view (running processes)", want_tasks, got_task_views)
        # the metrics count what the views list
        counts = {s: 0 for s in ("staging", "starting", "running", "killing")}
        for st in listed_tasks.values():
            k = st.removeprefix("TASK_").lower()
            if k in counts:
                counts[k] += 1
        row("task metrics", sorted(counts.items()),
            sorted((k, int(metrics[f"slave/tasks_{k}"])) for k in counts))
        # a framework is dropped with its last executor (Mesos removeFramework), and with
        # it the update streams of its executors' tasks
        row("frameworks without executors", [],
            sorted(fw["id"] for fw in state["frameworks"] if not fw["executors"]))
        # (of executors' tasks: an answer to the master's reconciliation of a task the
        # agent does not know has a stream of its own, with no executor)
        row("update streams of frameworks it no longer has", [],
            sorted({k[0] for k, st in a.sum.streams.items()
                    if k[0] not in a.frameworks and st.executor_id is not None}))
        ex_counts = {s: 0 for s in ("registering", "running", "terminating")}
        for v in views.values():
            if v.state in ex_counts:
                ex_counts[v.state] += 1
        row("executor metrics", sorted(ex_counts.items()),
            sorted((k, int(metrics[f"slave/executors_{k}"])) for k in ex_counts))
    rows += completed_view_rows(world)  # s14 kagent
    return tuple(rows)


def check_hostile_executor_refused(chk: Checker, world: Any, node: Any, inp: Any,
                                   effects: list[Any]) -> None:
    """HostileExecutorInputRefused, after an agent step on a call to its executor API by a
    process that is no executor of it (core/sim/world.py hostile_executor): exactly one
    Reject, 400 when the call names a framework or executor the agent does not know, 403
    when it names a known executor but the caller never subscribed as it."""
    msg = inp.message
    a = node.machine
    fw = a.frameworks.get(msg.framework_id)
    known = fw is not None and msg.executor_id in fw.executors
    want = 403 if known and type(msg) is not ExecutorSubscribe else 400
    if known and type(msg) is ExecutorSubscribe:
        return  # the simulated hostile process never subscribes as a real executor
    if len(effects) == 1 and type(effects[0]) is Reject and effects[0].status == want:
        return
    what = ", ".join(f"{type(e).__name__}" + (f" {e.status}" if type(e) is Reject else "")
                     for e in effects) or "nothing"
    chk.run(world, inv.HostileExecutorInputRefused, ClusterSnapshot(
        hostile_executor_answers=((node.name, type(msg).__name__,
                                   f"answered with {what}, expected one Reject {want}"),)))


def check_shutdown_unregisters(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """AgentShutdownCompletes, on the agent's step on the operator's Shutdown: it unregisters
    (one UnregisterAgent naming its id) exactly when it was registered (running)."""
    sent = [e.message for e in effects
            if type(e) is Send and type(e.message) is UnregisterAgent]
    was = node.shutdown_from
    want = 1 if was == "running" else 0
    if len(sent) == want and all(m.agent_id == node.machine.agent_id for m in sent):
        return
    chk.run(world, inv.AgentShutdownCompletes, ClusterSnapshot(agent_shutdowns=((
        node.name, (f"shut down while {was}: sent {len(sent)} UnregisterAgent "
                   f"({[m.agent_id for m in sent]}), expected {want}")),)))


def check_reboot_keeps_id(chk: Checker, world: Any, n: Any) -> None:
    """RebootRecovery, right after an agent started on a rebooted host in reconnect mode:
    with its AgentInfo (hostname, resources, attributes) unchanged, or grown as Mesos's
    additive reconfiguration policy permits (s17 longrun: the operator restarts agents with
    more resources in place), it keeps the id it recovered (Mesos SlaveRecoveryTest.Reboot,
    `Slave::recover`); with it changed otherwise it starts as a new agent."""
    got = chk.recovered_ids.get(n.name)
    a = n.machine
    if got is None or n.mode != "reconnect" or a is None or a.state in ("new", "stopped"):
        return
    old_id, old = got
    new = a.agent_info
    same = (old.hostname, old.resources, old.attributes) == \
        (new.hostname, new.resources, new.attributes)
    grown = not same and grown_in_place(old, new)  # s17 longrun
    want = old_id if same or grown else None
    if (a.agent_id or None) != want:  # a new agent's id is "" until it registers
        how = "unchanged" if same else "grown" if grown else "changed"
        chk.run(world, inv.RebootRecovery, ClusterSnapshot(reboot_recoveries=((
            n.name, (f"restarted after a host reboot with its AgentInfo "
                    f"{how} as {a.agent_id}, expected {want}")),)))


def grown_in_place(old: Any, new: Any) -> bool:
    """(s17 longrun) Is `new` the AgentInfo `old` with only more of what it had (the same
    hostname, port and attributes; every resource name of `old` still there, with no less of
    it)? The simulator's agents change only their scalar resources (cpus, mem) on a
    restart, so the check is Resources containment of the unreserved totals per name."""
    if (old.hostname, old.port, old.attributes) != (new.hostname, new.port, new.attributes):
        return False
    return all(r.name in new.resources.names() for r in old.resources) \
        and new.resources.contains(old.resources)


_UNITS = {"TB": 1 << 40, "GB": 1 << 30, "MB": 1 << 20, "KB": 1 << 10, "B": 1}


def parse_bytes(text: str) -> int | None:
    """Mesos's printing of a byte count ("64MB", "1025B") read back; None if malformed."""
    for unit in ("TB", "GB", "MB", "KB", "B"):
        if text.endswith(unit) and text[:-len(unit)].isdigit():
            return int(text[:-len(unit)]) * _UNITS[unit]
    return None


def check_limitation_enforced(chk: Checker, world: Any, node: Any, lim: Any,
                              effects: list[Any]) -> None:
    """LimitationsEnforced, after an agent step on a ContainerLimitation: a task whose nested
    container hit its memory limit is no longer live in the agent's books, and each update
    the step produced for it is TASK_FAILED from the agent with
    REASON_CONTAINER_LIMITATION_MEMORY and Mesos's message (its first line names the
    requested and used bytes the isolator reported, its statistics follow); an executor
    whose whole container hit it is killed (SIGKILL) and no longer booked running."""
    a = node.machine
    where = a.by_container.get(lim.container_id)
    if where is None or lim.resource != "mem":
        return
    fw = a.frameworks.get(where[0])
    ex = fw.executors.get(where[1]) if fw is not None else None
    if ex is None:
        return
    bad: list[str] = []
    if lim.task_id is None:
        if ex.state in ("registering", "running") or not any(
                type(e) is KillExecutor and e.container_id == lim.container_id
                and e.signal == "SIGKILL" for e in effects) and ex.state != "terminated":
            bad.append(f"container {lim.container_id[:8]} over its memory limit: executor "
                       f"left {ex.state}, not killed")
    else:
        task = ex.tasks.get(lim.task_id)
        if task is not None and not task.state.is_terminal:
            bad.append(f"task {lim.task_id} over its memory limit still {task.state.name}")
        head = (f"Memory limit exceeded: Requested: {lim.requested} bytes "
                f"Maximum Used: {lim.used} bytes")
        for e in effects:
            u = None
            if type(e) is Persist and type(e.record) is UpdateRecord:
                u = e.record.update
            elif type(e) is Send and type(e.message) is StatusUpdateMessage:
                u = e.message.update
            if u is None or u.status.task_id != lim.task_id:
                continue
            st = u.status
            lines = (st.message or "").split("\n")
            words = lines[0].split(" ")
            got = (words[:3] == ["Memory", "limit", "exceeded:"] and len(words) == 8
                   and words[3] == "Requested:" and words[5:7] == ["Maximum", "Used:"]
                   and parse_bytes(words[4]) == lim.requested
                   and parse_bytes(words[7]) == lim.used
                   and all(f"{k} {v}" in lines for k, v in lim.stats))
            if st.state is not TaskState.TASK_FAILED or st.source is not Source.SOURCE_AGENT \
                    or st.reason is not Reason.REASON_CONTAINER_LIMITATION_MEMORY or not got:
                bad.append(f"task {lim.task_id} ended {st.state.name} "
                           f"{st.reason.name if st.reason else None} {st.message!r}, expected "
                           f"TASK_FAILED REASON_CONTAINER_LIMITATION_MEMORY {head!r}")
    if bad:
        chk.run(world, inv.LimitationsEnforced, ClusterSnapshot(limitations=tuple(
            (node.name, b) for b in bad)))


def sandbox_rows(world: Any) -> tuple[tuple[str, str], ...]:
    """SandboxesCollected input, at quiescence: per live agent, the pending collections on
    its disk (checkpointed when it removed an executor) overdue: persisted (or rescheduled
    by the agent's last start) more than gc_delay + 10 s ago."""
    from mesotron.core.sim.world import SIM_GC_DELAY

    out: list[tuple[str, str]] = []
    for (name, key), at in sorted(world.gc_at.items()):
        n = world.nodes[name]
        if not n.alive or n.machine is None or n.machine.state in ("new", "stopped") \
                or key not in n.disk.checkpoints:
            continue
        due = max(at, n.started_at) + SIM_GC_DELAY
        if world.now > due + 10.0:
            out.append((name, (f"the sandbox of container {key[-1][:8]} is still pending "
                              f"collection {world.now - due:.0f} s after it was due")))
    out += never_scheduled_rows(world)  # s14 kagent
    return tuple(out)


# s13 mmaster
def _agents_held_connected(world: Any, master: Any) -> list[tuple[Any, Any]]:
    """(agent machine, the leader's record of it) for every live running agent that the
    leader holds connected under the agent's own id (matched by pid)."""
    pids = {a.pid: a for a in master._agents.values() if a.connected}
    out = []
    for n in world.agents:
        a = n.machine
        if not n.alive or a is None or a.state != "running":
            continue
        ma = pids.get(n.name)
        if ma is not None and ma.id == a.agent_id:
            out.append((a, ma))
    return out


# s13 mmaster
def agent_total_rows(world: Any) -> tuple[tuple[str, str, str, str], ...]:
    """AgentTotalsAgree input, at quiescence: for every live agent the leader holds
    connected, (agent id, party, that party's total, the agent's own) where the leader's
    or the allocator's total differs from the one the agent publishes (scalars and ranges,
    reservations summed)."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    al_agents = getattr(master.allocator, "_agents", {})
    rows: list[tuple[str, str, str, str]] = []
    for a, ma in _agents_held_connected(world, master):
        own = _published_resources(a.agent_info.resources)
        for party, res in (("leader", ma.info.resources),
                           ("allocator", getattr(al_agents.get(ma.id), "total", None))):
            got = _published_resources(res) if res is not None else None
            if got != own:
                rows.append((ma.id, party, str(got), str(own)))
    return tuple(rows)


# s13 mmaster
def silently_taken_offer_rows(world: Any, chk: Checker) -> tuple[tuple[str, str], ...]:
    """HeldOffersAgree input, at quiescence: (framework id, offer id) of each offer a live
    scheduler subscribed to the leader holds that the leader neither holds out to that
    framework nor ever sent a rescind for."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    offers = master._offers
    rows: list[tuple[str, str]] = []
    for s in world.schedulers:
        held = chk.held_offers.get(s.name)
        if not held or not s.alive or s.machine is None:
            continue
        fw = master._frameworks.get(s.machine.framework_id or "")
        if fw is None or fw.stream is None:
            continue  # not subscribed to the leader: its offers went with its subscription
        for oid, fid in sorted(held.items()):
            o = offers.get(oid)
            if fid == fw.id and oid not in chk.rescinds_sent and (
                    o is None or o.framework_id != fid):
                rows.append((fid, oid))
    return tuple(rows)


# s13 mmaster
def check_offered_agents_connected(chk: Checker, world: Any, node: Any, event: Any) -> None:
    """NoOffersOfDisconnectedAgents, on every EventOffers a master sends: each offered agent
    is one it holds registered, connected and active."""
    agents = node.machine._agents
    bad = []
    for o in event.offers:
        a = agents.get(o.agent_id)
        if a is None or not a.connected or not a.active:
            state = "not registered" if a is None else \
                ("disconnected" if not a.connected else "inactive")
            bad.append((node.name, o.id, o.agent_id, state))
    if bad:
        chk.run(world, inv.NoOffersOfDisconnectedAgents, ClusterSnapshot(
            disconnected_offers=tuple(bad)))


# s13 mmaster
_REGISTRY_COUNTERS = ("master/slave_registrations", "master/slave_reregistrations",
                      "master/slave_unreachable_completed", "master/registrar/batched_operations")


def check_registry_counters(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """RegistryCountersAgree, after a master step on a registry result: each registrar
    metric grew by what the step did (a master that abdicates resets its metrics)."""
    pre = chk._pre_registry
    chk._pre_registry = None
    if pre is None:
        return
    want = dict.fromkeys(_REGISTRY_COUNTERS, 0.0)
    for e in effects:
        te = type(e)
        if te is Send:
            tm = type(e.message)
            if tm is AgentRegistered:
                want["master/slave_registrations"] += 1
            elif tm is AgentReregistered:
                want["master/slave_reregistrations"] += 1
        elif te is RegistryWrite:
            op = e.op
            want["master/registrar/batched_operations"] += len(op[1]) if op[0] == "batch" else 1
        elif te is Abdicate:
            return
    counters, unreachable = pre[0], pre[1]
    m = node.machine
    want["master/slave_unreachable_completed"] = float(len(set(m._unreachable) - unreachable))
    bad = []
    for name in _REGISTRY_COUNTERS:
        got = m.counters.get(name, 0) - counters.get(name, 0)
        if got != want[name]:
            bad.append((node.name, name, float(got), want[name]))
    if bad:
        chk.run(world, inv.RegistryCountersAgree, ClusterSnapshot(registry_counters=tuple(bad)))


# s13 mmaster
def _fw_terminating(a: Any, fid: str) -> bool:
    """The agent machine `a` is shutting framework `fid` down (ShutdownFramework)."""
    fw = a.frameworks.get(fid)
    return fw is not None and fw.state == "terminating"


def master_executor_rows(world: Any) -> tuple[tuple[str, str, str], ...]:
    """MasterExecutorsAgree input, at quiescence: (agent id, framework/executor, what is
    wrong) for every live agent the leader holds connected: an executor the agent runs (not
    a command executor, not terminated) that the leader does not book there, or one the
    leader books under the agent but not under its framework or the other way round."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    fw_books: dict[str, set[tuple[str, str]]] = {}
    for fid, fw in master._frameworks.items():
        for aid, eid in fw.executors:
            fw_books.setdefault(aid, set()).add((fid, eid))
    rows: list[tuple[str, str, str]] = []
    for a, ma in _agents_held_connected(world, master):
        # (an executor of a framework the agent is shutting down aside: Mesos's
        # Master::removeFramework stops booking its executors at once, the agent runs them
        # until they exit; s17 kdrive2)
        runs = {k for k, v in a.executors.items()
                if not v.command_executor and v.state != "terminated"
                and not _fw_terminating(a, k[0])}
        books = set(ma.executors)
        # (not the converse, an executor booked that the agent no longer runs: our master,
        # unlike Mesos's reconcileKnownSlave, keeps executors a re-registering agent does not
        # report; s13 mmaster found it on `--operator` seed 1, left to the lead)
        for k in sorted(runs - books):
            rows.append((ma.id, "/".join(k), "run by the agent, not booked by the leader"))
        for k in sorted(books ^ fw_books.get(ma.id, set())):
            rows.append((ma.id, "/".join(k), "booked under one of agent and framework only"))
    rows = checks_leak42.exempt_executor_rows(world, rows)  # s19 leak42
    return tuple(rows)


# s13 mmaster
def check_offers_not_taken_silently(chk: Checker, world: Any, node: Any, inp: Any,
                                    pre_offers: dict[str, Any]) -> None:
    """HeldOffersAgree, on an ACCEPT or DECLINE a master handles on the framework's current
    stream: an offer it names for the first time, that this master incarnation sent on
    that stream, must still be held out (before the step) unless some master rescinded it."""
    fid = inp.framework_id
    fw = node.machine._frameworks.get(fid or "")
    named = chk.offers_named
    if fw is not None and fw.stream is not None and inp.stream_id == fw.stream:
        want = (node.name, node.inc, fid, fw.stream)
        bad = tuple((fid, oid) for oid in inp.call.offer_ids
                    if oid not in named and oid not in pre_offers
                    and oid not in chk.rescinds_sent and chk.offer_sent.get(oid) == want)
        if bad:
            chk.run(world, inv.HeldOffersAgree, ClusterSnapshot(silently_taken_offers=bad))
    named.update(inp.call.offer_ids)
# s13 mops
def check_hostile_call(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """HostileCallsRefused, after the master's step on one call of the hostile scheduler
    API client (core/sim/hostile.py; World.hostile_scheduler_calls)."""
    malformed, what = parse_request(inp.request)
    err = hostile_answer_error(malformed, effects)
    if err is None:
        return
    name, wrong = err
    fid = inp.framework_id or ""
    if name == "MalformedCallsRefused":
        chk.run(world, inv.MalformedCallsRefused, ClusterSnapshot(malformed_answers=(
            (fid, what, wrong),)))
    elif name == "WellFormedCallsAccepted":
        chk.run(world, inv.WellFormedCallsAccepted, ClusterSnapshot(refused_calls=(
            (fid, 400, f"a well-formed {what} (hostile client, no stream): {wrong}"),)))
    else:
        chk.run(world, inv.HostileCallsRefused, ClusterSnapshot(hostile_call_answers=((
            fid, f"{'malformed' if malformed else 'well-formed'} {what}", wrong),)))


def master_describe_row(node: Any) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """MasterDescribeAgrees input: the master's describe() beside the lines its books (the
    frozen views and records it keeps) say the text must hold, and prefixes it must not."""
    mc = node.machine
    must: list[str] = [f"master {mc.master_info.id} leader={'yes' if mc.leader else 'no'}"]
    never: list[str] = []
    offers = mc._offers
    for fid, fw in sorted(mc._frameworks.items()):
        line = (f"framework {fid} {fw.info.name} "
                f"{'connected' if fw.stream is not None else 'disconnected'} "
                f"{'active' if fw.active else 'inactive'}")
        if fw.recovered:
            line += " recovered"
        if fw.suppressed_roles:
            line += " suppressed=" + ",".join(fw.suppressed_roles)
        must.append(line + f" roles={','.join(fw.info.roles)}")
        for tid, t in fw.tasks.items():
            line = f"  task {tid} on {t.agent_id} {t.state.name}"
            if t.status_update_state is not None:
                line += (f" (last update {t.status_update_state.name} "
                         f"{(t.status_update_uuid or b'').hex()[:8]})")
            must.append(f"{line} {t.resources}")
        must += [f"  unreachable task {tid} on {t.agent_id} {t.state.name}"
                 for tid, t in fw.unreachable_tasks.items()]
        must += [f"  completed task {tid} on {t.agent_id} {t.state.name}"
                 for tid, t in fw.completed_tasks.items()]
        for oid in fw.offers:
            o = offers[oid]
            must.append(f"  offer {oid} on {o.agent_id} role={o.role} {o.resources}")
        must += [f"  executor {eid} on {aid} {e.resources}"
                 for (aid, eid), e in fw.executors.items()]
    for aid, a in sorted(mc._agents.items()):
        offered = sum_of([offers[oid].resources for oid in a.offers])
        used = sum_of([r for _f, r in sorted(a.used_by_framework().items())])
        must.append(f"agent {aid} {a.info.hostname} pid={a.pid} "
                    f"{'connected' if a.connected else 'disconnected'}"
                    f"{'' if a.active else ' inactive'} total={a.info.resources} "
                    f"used={used} offered={offered}")
        if a.killed_tasks:
            must.append("  kills pending: " + " ".join(t for _f, t in a.killed_tasks))
    if not any(a.killed_tasks for a in mc._agents.values()):
        never.append("  kills pending:")
    must += [f"agent {aid} recovered (awaiting re-registration)" for aid in mc._recovered_agents]
    must += [f"agent {aid} unreachable since {t:g}" for aid, t in mc._unreachable.items()]
    must += [f"agent {aid} gone since {t:g}" for aid, t in mc._gone.items()]
    must += [f"agent registering pid={pid} (registry op {op})" for pid, op in mc._registering.items()]
    must += [f"agent {aid} re-registering (registry op {op})" for aid, op in mc._reregistering.items()]
    must += [f"agent {aid} being removed (registry op {op})"
             for aid, op in mc._marking_unreachable.items()]
    must += [f"agent {aid} being pruned (registry op {op})" for aid, op in mc._pruning.items()]
    if mc._registry_queue and mc._registry_inflight is not None:
        must.append(f"registrar: write {mc._registry_inflight[0]} in flight, ops "
                    + " ".join(str(i) for i, _ in mc._registry_queue) + " queued")
    else:
        never.append("registrar:")
    must += [f"completed framework {fid} {fw.info.name} completed_tasks={len(fw.completed_tasks)}"
             for fid, fw in mc._completed_frameworks.items()]
    return (node.name, mc.describe(), tuple(must), tuple(never))


def check_master_describe(chk: Checker, world: Any, node: Any) -> None:
    """MasterDescribeAgrees on the leader (with OperatorViewsAgree's samples)."""
    chk.run(world, inv.MasterDescribeAgrees, ClusterSnapshot(master_describes=(
        master_describe_row(node),)))


def _dynamic_part(res: Resources) -> Resources:
    return Resources([r for r in res if r.reservations and r.reservations[-1].type == "DYNAMIC"])


def check_operator_reservation(chk: Checker, world: Any, node: Any, inp: Any,
                               effects: list[Any], pre: tuple[str, str, Resources]) -> None:
    """OperatorReservationsApplied, after the leader's step on one of the simulated
    operator's RESERVE_RESOURCES / UNRESERVE_RESOURCES (World.operator_reserve_tick; `pre`:
    the request, the agent, the leader's total of it before the step)."""
    mc = node.machine
    if not mc.leader:
        return
    _req, aid, before = pre
    call = inp.call
    res = call.resources
    consumed, converted = (res.pop_reservation(), res) if call.reserve else (res, res.pop_reservation())
    answers = [e for e in effects if type(e) is Respond and e.request == inp.request]
    a = mc._agents.get(aid)
    bad: list[str] = []
    if a is None:
        if not answers or answers[0].status != 400:
            bad.append("the agent is unknown but the call was not answered 400")
    elif answers:
        st = answers[0]
        if st.status != 409:
            bad.append(f"answered {st.status} {st.message!r} at once")
        elif mc.allocator.available(aid).contains(consumed):
            bad.append(f"answered 409 though {consumed} is available "
                       f"({mc.allocator.available(aid)})")
        if a.info.resources != before:
            bad.append(f"refused, but its total changed from {before} to {a.info.resources}")
    else:
        want = before - consumed + converted
        if a.info.resources != want:
            bad.append(f"total {a.info.resources}, expected {want}")
        if mc.allocator.total(aid) != a.info.resources:
            bad.append(f"the allocator's total {mc.allocator.total(aid)} is not the master's "
                       f"{a.info.resources}")
        dyn = _dynamic_part(want)
        if mc.dynamic_reservations(aid) != dyn:
            bad.append(f"registry reservations {mc.dynamic_reservations(aid)}, expected {dyn}")
        from mesotron.core.messages import CheckpointResources

        told = [e.message.resources for e in effects if type(e) is Send and e.to == a.pid
                and type(e.message) is CheckpointResources]
        if a.connected and told != [dyn]:
            bad.append(f"the agent was told {told}, expected [{dyn}]")
        if not any(len(p) == 4 and p[:2] == ("setting", ("reservations", aid))
                   and p[3] == inp.request for p in mc._pending_ops.values()):
            bad.append("no registry write of the reservations that the answer waits for")
    if bad:
        chk.run(world, inv.OperatorReservationsApplied, ClusterSnapshot(
            operator_reservations=tuple(
                (aid, f"{'RESERVE' if call.reserve else 'UNRESERVE'} {res}: {b}") for b in bad)))


def track_operator_answers(chk: Checker, world: Any, node: Any, inp: Any,
                           effects: list[Any]) -> None:
    """OperatorCallsAnswered (`--operator` runs): books every operator call a master takes
    (request -> master, incarnation, time, call) until a step answers it; a second answer
    is a violation at once, a call never answered by a master that still leads is one at
    quiescence (operator_calls_unanswered)."""
    d = chk.__dict__
    open_: dict[str, tuple[str, int, float, str]] = d.setdefault("op_open", {})
    answered: set[str] = d.setdefault("op_answered", set())
    if type(inp) is OperatorCall:
        open_[inp.request] = (node.name, node.inc, world.now, type(inp.call).__name__)
    if not open_ and not answered:
        return
    for e in effects:
        if type(e) is Respond:
            r = e.request
            if r in open_:
                del open_[r]
                answered.add(r)
                wrong = _valid_operator_call_refused(world, node, r, e)
                if wrong is not None:
                    chk.run(world, inv.OperatorCallsAnswered, ClusterSnapshot(
                        operator_answers=((r, wrong),)))
            elif r in answered:
                chk.run(world, inv.OperatorCallsAnswered, ClusterSnapshot(
                    operator_answers=((r, (f"answered again by {node.name}: {e.status} "
                                           f"{e.message!r}")),)))


def _valid_operator_call_refused(world: Any, node: Any, r: str, e: Any) -> str | None:
    """A valid call of the simulated operator (a weight, a quota with force, DEACTIVATE /
    REACTIVATE / DRAIN of an agent, TEARDOWN of a framework; World.operator_tick and
    operator_agent_call) answered anything but 200: 503 by a master that does not lead
    (or not yet recovered) is fine, 400 only for an agent or framework it does not know."""
    if e.status in (200, 503):
        return None
    mc = node.machine
    if r in world.op_settings:
        return f"the valid {world.op_settings[r][0]} call was answered {e.status} {e.message!r}"
    got = world.op_requests.get(r)
    if got is None or got[0] not in ("deactivate", "reactivate", "drain", "teardown"):
        return None
    kind, x = got
    if e.status == 400 and (x not in mc._frameworks if kind == "teardown" else
                            x not in mc._agents if kind == "drain" else
                            x not in mc._agents and x not in mc._recovered_agents):
        return None
    return f"the valid {kind.upper()} of {x} was answered {e.status} {e.message!r}"


def operator_calls_unanswered(chk: Checker, world: Any, grace: float
                              ) -> tuple[tuple[str, str], ...]:
    """OperatorCallsAnswered at quiescence: the operator calls taken more than `grace`
    seconds ago by a master that still runs (same incarnation) and leads, unanswered."""
    rows = []
    for r, (name, inc, t, call) in sorted(chk.__dict__.get("op_open", {}).items()):
        n = world.nodes.get(name)
        if n is not None and n.alive and n.inc == inc and n.machine.leader \
                and t < world.now - grace:
            rows.append((r, f"{call} taken by {name} at {t:g} never answered"))
    return tuple(rows)


def settings_rows(world: Any) -> tuple[tuple[str, str, str, str], ...]:
    """SettingsAgree input, at quiescence: (what, whose books, expected, found) for the
    leader's settings beside the registry's committed ones, and each live agent the leader
    holds connected beside the leader's dynamic reservations of it."""
    m = world.live_leader()
    if m is None:
        return ()
    mc = m.machine
    rows: list[tuple[str, str, str, str]] = []
    if not mc._pending_ops:
        mine = sorted((k, v) for k, v in mc._settings.items() if v is not None)
        reg = sorted((k, v) for k, v in world.registry.settings if v is not None)
        if mine != reg:
            rows.append(("settings", m.name, repr(reg), repr(mine)))
    by_id = {n.machine.agent_id: n for n in world.agents
             if n.alive and n.machine is not None and n.machine.agent_id}
    for aid, a in sorted(mc._agents.items()):
        n = by_id.get(aid)
        if not a.connected or n is None or n.machine.state != "running":
            continue
        if checks_killm.checkpoint_lost(world, n):  # s17 killm2
            continue  # s17 killm2
        want = mc.dynamic_reservations(aid)
        got = n.machine.checkpointed_resources
        if want != got:
            rows.append((f"agent {aid}'s checkpointed reservations", n.name, str(want), str(got)))
    return tuple(rows)


def track_offer_rescinds(chk: Checker, world: Any, node: Any, inp: Any,
                         effects: list[Any]) -> None:
    """WithdrawnOffersRescinded: books the offers the leader sends (offer id -> framework,
    stream) incrementally; when the leader holds fewer offers than booked after a step, each
    booked offer it no longer holds must have been given back by the framework (the step's
    ACCEPT / DECLINE names it), rescinded on the stream it went to, or its framework must be
    gone or on another stream (a failover: Mesos discards those offers)."""
    d = chk.__dict__
    key = (node.name, node.inc)
    book = d.get("offer_book")
    if book is None or d.get("offer_book_of") != key:
        book = d["offer_book"] = {}
        d["offer_book_of"] = key
    rescinded: set[str] | None = None
    for e in effects:
        if type(e) is Send:
            t = type(e.message)
            if t is EventOffers:
                for o in e.message.offers:
                    book[o.id] = (o.framework_id, e.to)
            elif t is EventRescind:
                if rescinded is None:
                    rescinded = set()
                rescinded.add(e.message.offer_id)
                book.pop(e.message.offer_id, None)
    mc = node.machine
    held = mc._offers
    returned = inp.call.offer_ids if type(inp) is SchedulerCall and type(inp.call) in (
        CallAccept, CallDecline) and type(inp.call.offer_ids) is tuple else ()
    for oid in returned:
        # given back by its framework (even in a step that also makes new offers, which the
        # length test below lets through unexamined)
        if oid not in held:
            book.pop(oid, None)
    if len(book) <= len(held):
        return
    if any(type(e) is Abdicate for e in effects):
        # a master whose registry write was fenced or failed gives up leading in this step
        # (its process exits): its offers die with it, the frameworks re-subscribe to the
        # next leader and get new ones (Mesos: "Registrar aborted")
        book.clear()
        return
    bad = []
    for oid in [o for o in book if o not in held]:
        fid, stream = book.pop(oid)
        fw = mc._frameworks.get(fid)
        if oid in returned or fw is None or fw.stream != stream:
            continue
        bad.append((fid, oid))
    if bad:
        chk.run(world, inv.WithdrawnOffersRescinded, ClusterSnapshot(unrescinded_offers=tuple(bad)))
# s13 magent
def check_ghost_update_refused(chk: Checker, world: Any, node: Any, msg: Any,
                               effects: list[Any]) -> None:
    """HostileExecutorInputRefused, after an agent step on a buggy call a subscribed executor
    made on its own live subscription (core/sim/world.py ghost_update): an UPDATE for a task
    the agent never gave it, a second SUBSCRIBE. Exactly one Reject 400, nothing else (no
    stream, nothing forwarded, no acknowledgement; the subscription stands)."""
    if len(effects) == 1 and type(effects[0]) is Reject and effects[0].status == 400:
        return
    what = ", ".join(f"{type(e).__name__}" + (f" {e.status}" if type(e) is Reject else "")
                     for e in effects) or "nothing"
    chk.run(world, inv.HostileExecutorInputRefused, ClusterSnapshot(
        hostile_executor_answers=((node.name,
                                   f"{type(msg).__name__} from a subscribed executor",
                                   f"answered with {what}, expected one Reject 400"),)))


def check_collected_not_early(chk: Checker, world: Any, n: Any, e: Any) -> None:
    """s13 magent: SandboxesCollected, on every collection: not before gc_delay after the
    pending collection was persisted (or, after a restart, after the agent's start)."""
    from mesotron.core.agent.base import GC_TIMER
    from mesotron.core.sim.world import SIM_GC_DELAY

    sb = e.sandbox
    if len(sb) != 8:
        return
    at = world.gc_at.get((n.name, (GC_TIMER, sb[3], sb[5], sb[7])))
    if at is None:
        return
    due = max(at, n.started_at) + SIM_GC_DELAY
    if world.now < due - 1e-6:
        chk.run(world, inv.SandboxesCollected, ClusterSnapshot(sandbox_collections=((
            n.name, (f"collected the sandbox of container {sb[7][:8]} at {world.now:.3f}, "
                    f"{due - world.now:.1f} s before it was due")),)))


# s14 kalloc
def check_nothing_left_offerable(chk: Checker, world: Any, node: Any) -> None:
    """NothingLeftOfferable, on a leader step in which an allocation cycle ran (the
    allocator's cycle count moved): every cycle with --fast-alloc (which already pays a
    reference cycle per cycle), else the first cycle past each tenth of the run's events
    (the default simulation keeps its speed). A recount with Resources' own operations, not
    the allocator's memoized ones."""
    al = node.machine.allocator
    d = chk.__dict__
    chk.left_offerable_of = (al, al.cycle)
    if not al.cycle:
        return
    if not world.config.fast_alloc:
        if world.events < d.get("left_offerable_due", 0):
            return
        d["left_offerable_due"] = world.events + max(1, world.config.events // 10)
    chk.run(world, inv.NothingLeftOfferable, _snap(
        left_offerable=left_offerable_rows(al, node.machine.now)))


def left_offerable_rows(al: Any, now: float) -> tuple[tuple[str, str, str, str], ...]:
    """(agent, role, framework, resources) for each active agent and role where the role may
    still be offered something allocatable and one of its frameworks could take it."""
    mins = [m._scalar_map() for m in al.config.min_allocatable]
    rows = []
    for aid in al._agent_order:
        agent = al._agents[aid]
        if not agent.active or not agent.available:
            continue
        for role in sorted(al._role_members):
            offerable = agent.available.for_role(role)
            if not offerable:
                continue
            q = dict(offerable._scalar_map())
            lim = al._limits.get(role)
            if lim:
                held = al._role_alloc.get(role, {})
                for n, v in lim.items():
                    if n in q:
                        q[n] = min(q[n], max(v - held.get(n, 0), 0))
            if mins:
                ok = any(all(q.get(n, 0) >= v for n, v in m.items()) for m in mins)
            else:
                ok = any(q.values())
            if not ok:
                continue
            for fid in sorted(al._role_members[role]):
                fw = al._frameworks[fid]
                if not fw.active or role in fw.suppressed:
                    continue
                cons = fw.constraints.get(role)
                if cons and not all(c.holds(agent.attributes) for c in cons):
                    continue
                f = agent.filters.get((fid, role))
                # under a quota limit the cut offer is smaller: any unexpired filter counts
                if f is not None and now < f[1] and (lim or f[0].contains(offerable)):
                    continue
                rows.append((aid, role, fid, str(offerable)))
                break
    return tuple(rows)
# s14 kops
def check_deactivated_offers_held(chk: Checker, world: Any, node: Any) -> None:
    """NoOffersOfDeactivatedAgents (s14 kops): the leader holds out no offer of an agent the
    operator holds out (its DEACTIVATE_AGENT / DRAIN_AGENT answered 200, no REACTIVATE sent
    since): Mesos's `deactivate(slave)` rescinds the agent's outstanding offers when the
    deactivation takes effect, before the 200. O(agents held out) per leader step."""
    agents = node.machine._agents
    bad: list[tuple[str, str, str, str]] = []
    for aid, (kind, _t) in world.op_out.items():
        a = agents.get(aid)
        if a is not None and a.offers:
            bad.extend((node.name, oid, aid, f"{kind}; the offer is still held out")
                       for oid in sorted(a.offers))
    if bad:
        chk.run(world, inv.NoOffersOfDeactivatedAgents,
                ClusterSnapshot(offers_of_deactivated=tuple(bad)))


# s14 kops
def _scalar_sum(parts: Any) -> dict[str, float]:
    """Per scalar name, the sum over flattened resource objects (ranges and sets left out)."""
    out: dict[str, float] = {}
    for p in parts:
        for k, v in p.items():
            n = _num(v)
            if n is not None:
                out[k] = out.get(k, 0.0) + n
    return out


# s14 kops
def framework_view_rows(who: str, state: dict[str, Any], now: float) -> list[tuple[str, str]]:
    """OperatorViewsAgree (s14 kops): each framework entry of /master/state agrees with
    itself: `offered_resources` = the sum of its `offers`, `used_resources` >= the sum of
    its live `tasks` (Mesos adds the executors), `resources` = used + offered (scalars);
    a framework not recovered from its agents shows the time it registered with this master
    (0 < registered_time <= now, a `reregistered_time` shown not before it), a connected
    one `unregistered_time` 0, a disconnected one not recovered and a completed one the time
    it left (0 < unregistered_time <= now)."""
    bad: list[tuple[str, str]] = []

    def differ(a: dict[str, float], b: dict[str, float], at_least: bool = False) -> list[str]:
        return sorted(k for k in set(a) | set(b)
                      if (a.get(k, 0.0) < b.get(k, 0.0) - 1e-6 if at_least
                          else abs(a.get(k, 0.0) - b.get(k, 0.0)) > 1e-6))

    for f in state["frameworks"]:
        fid = f["id"]
        tasks = _scalar_sum(t["resources"] for t in f["tasks"]
                            if not TaskState[t["state"]].is_terminal)
        offered = _scalar_sum(o["resources"] for o in f["offers"])
        used_shown = _scalar_sum((f["used_resources"],))
        offered_shown = _scalar_sum((f["offered_resources"],))
        total_shown = _scalar_sum((f["resources"],))
        for what, got, want, at_least in (
                ("used_resources", used_shown, tasks, True),
                ("offered_resources", offered_shown, offered, False),
                ("resources", total_shown, _scalar_sum((used_shown, offered_shown)), False)):
            names = differ(got, want, at_least)
            if names:
                bad.append((who, (f"/master/state framework {fid} shows {what} "
                                 f"{ {k: got.get(k, 0.0) for k in names} }, its "
                                 + ("live tasks use" if what == "used_resources" else
                                    "offers hold" if what == "offered_resources" else
                                    "used + offered is")
                                 + f" { {k: want.get(k, 0.0) for k in names} }")))
        reg, unreg = f["registered_time"], f["unregistered_time"]
        if not f["recovered"] and not 0 < reg <= now:
            bad.append((who, (f"/master/state framework {fid} (not recovered) shows "
                              f"registered_time {reg!r} (now {now:g})")))
        rereg = f.get("reregistered_time")
        if rereg is not None and not reg <= rereg <= now:
            bad.append((who, (f"/master/state framework {fid} shows reregistered_time "
                              f"{rereg!r} before its registered_time {reg!r}")))
        if f["connected"] and unreg != 0:
            bad.append((who, (f"/master/state framework {fid} is connected but shows "
                              f"unregistered_time {unreg!r}")))
        elif not f["connected"] and not f["recovered"] and not 0 < unreg <= now:
            bad.append((who, (f"/master/state framework {fid} is disconnected but shows "
                              f"unregistered_time {unreg!r}")))
    for f in state["completed_frameworks"]:
        unreg = f.get("unregistered_time")
        if unreg is not None and not 0 < unreg <= now:
            bad.append((who, (f"/master/state completed framework {f['id']} shows "
                              f"unregistered_time {unreg!r}")))
    return bad


# s14 kops
def reservation_total_rows(world: Any) -> tuple[tuple[str, str, str, str], ...]:
    """SettingsAgree input (s14 kops), at quiescence: for each agent the leader holds
    connected, the dynamic reservations in the leader's total for it (its AgentInfo, what
    it offers from) and in the allocator's total are the ones the leader books for the
    registry (Mesos applies an agent's checkpointed reservations to its total when it
    (re-)registers, also at a master elected later)."""
    m = world.live_leader()
    if m is None:
        return ()
    mc = m.machine
    rows: list[tuple[str, str, str, str]] = []
    for aid, a in sorted(mc._agents.items()):
        if not a.connected:
            continue
        want = mc.dynamic_reservations(aid)
        books = [("total", a.info.resources)]
        if aid in mc.allocator._agents:
            books.append(("allocator total", mc.allocator.total(aid)))
        for whose, total in books:
            got = _dynamic_part(total.unallocate() if whose != "total" else total)
            if got != want:
                rows.append((f"agent {aid}'s dynamic reservations in the leader's {whose}",
                             m.name, str(want), str(got)))
    return tuple(rows)


# s14 kops
def record_operation_converts(chk: Checker, world: Any, node: Any, inp: Any,
                              effects: list[Any], pre_offers: dict[str, Any]) -> None:
    """OperationFeedbackAgrees (s14 kops): each RESERVE / UNRESERVE with an id of an ACCEPT
    the master took (202) of held offers of one agent and role, not one its framework knows
    to be invalid (so valid by construction), is kept by the master as OPERATION_PENDING
    after the step (its FINISHED follows the registry write; Mesos keeps the operation);
    booked: what it converts to, a RESERVE its resources (allocated to the offer's role), an
    UNRESERVE its resources without their top reservation."""
    from mesotron.core.allocator.machine import allocate_to

    if not effects or type(effects[0]) is not Respond or effects[0].status != 202:
        return
    fid = inp.framework_id or ""
    held = [o for oid in inp.call.offer_ids if (o := pre_offers.get(oid)) is not None
            and o.framework_id == fid]
    if not held or len(held) != len(inp.call.offer_ids) or len({o.role for o in held}) != 1:
        return
    role = held[0].role
    for op in inp.call.operations:
        if type(op) not in (OpReserve, OpUnreserve) or op.id is None or (fid, op.id) in chk.invalid_ops:
            continue
        try:
            res = allocate_to(op.resources.unallocate(), role)
            conv = res if type(op) is OpReserve else res.pop_reservation()
        except InvalidResources:
            conv = None  # not valid after all: judged by check_invalid_operations
        if conv is None:
            continue
        chk.op_converts[(fid, op.id)] = conv
        rec = node.machine._operations.get((fid, op.id))
        if rec is None or rec.state != "OPERATION_PENDING":
            kept = "not kept" if rec is None else f"kept as {rec.state}"
            chk.run(world, inv.OperationFeedbackAgrees, ClusterSnapshot(operation_feedback=((
                fid, "ACCEPT", (f"valid operation {op.id} ({type(op).__name__} {op.resources}) "
                                f"is {kept} after the ACCEPT, not OPERATION_PENDING")),)))


# s14 kops
def check_finished_conversions(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """OperationFeedbackAgrees (s14 kops): the OPERATION_FINISHED update a master sends once
    an operation's registry write committed (the one with a uuid to acknowledge) carries the
    resources the operation converted to (Mesos's `converted_resources`: a RESERVE's
    reserved resources, an UNRESERVE's unreserved ones)."""
    bad: list[tuple[str, str, str]] = []
    for e in effects:
        if type(e) is not Send or type(e.message) is not EventUpdateOperationStatus:
            continue
        st = e.message.status
        if st.state != "OPERATION_FINISHED" or st.uuid is None:
            continue
        fid = next((f.id for f in node.machine._frameworks.values() if f.stream == e.to), None)
        want = chk.op_converts.get((fid or "", st.operation_id))
        if want is not None and st.converted_resources != want:
            bad.append((fid or "", "UPDATE_OPERATION_STATUS",
                        (f"OPERATION_FINISHED of {st.operation_id} carries converted resources "
                         f"'{st.converted_resources}', the operation converts to '{want}'")))
    if bad:
        chk.run(world, inv.OperationFeedbackAgrees, ClusterSnapshot(operation_feedback=tuple(bad)))


# s14 kops
def why_agent_lists(m: Any) -> tuple[tuple[str, list[str]], ...]:
    """The agents the master's views show disconnected / inactive, and its unreachable list
    (what why_json_rows holds each `why` answer to), computed once per sample."""
    views = m.agents
    return (("agents_disconnected", sorted(a for a, v in views.items() if not v.connected)),
            ("agents_inactive", sorted(a for a, v in views.items() if not v.active)),
            ("agents_unreachable", sorted(m._unreachable)))


# s14 kops
def why_json_rows(fid: str, j: dict[str, Any],
                  agent_lists: tuple[tuple[str, list[str]], ...]) -> list[tuple[str, str, str]]:
    """WhyExplains (s14 kops): what the `why` answer (GET /master/why's JSON) tells the
    operator besides its verdict holds together: a framework the allocator knows is ranked
    in the DRF table of each of its roles, where the frameworks are ranked 1, 2, ... in the
    order the allocator serves them (shares not decreasing);
    the agents it lists disconnected / inactive / unreachable are exactly those the
    master's agent views show disconnected / inactive and its unreachable list holds."""
    bad: list[tuple[str, str, str]] = []
    verdict = str(j.get("verdict"))
    for what, want in agent_lists:
        got = j.get(what, ())
        got = sorted(x["agent_id"] if isinstance(x, dict) else x for x in got)
        if got != want:
            bad.append((fid, verdict, f"its {what} {got} are not the master's {want}"))
    tables = {r["role"]: [f["id"] for f in r["frameworks"]] for r in j.get("roles_drf", ())}
    if "share" in j:  # the allocator knows the framework: a DRF table for each of its roles
        missing = [r for r in j.get("roles", ()) if j["framework_id"] not in tables.get(r, ())]
        if missing:
            bad.append((fid, verdict, f"its DRF tables do not rank it in its roles {missing}"))
    for r in j.get("roles_drf", ()):
        fws = r["frameworks"]
        ranks = [f["rank"] for f in fws]
        if ranks != list(range(1, len(fws) + 1)) or any(
                a["share"] > b["share"] + 1e-12 for a, b in itertools.pairwise(fws)):
            bad.append((fid, verdict, f"role {r['role']}'s DRF table ranks {fws}"))
    return bad


# s14 kops
def users_rows(who: str, m: Any, state: dict[str, Any]) -> list[tuple[str, str]]:
    """OperatorViewsAgree (s14 kops): the users the master hands its --acls for an operator
    event (`users_of`: the objects of view_frameworks / view_tasks, io/http) are the ones
    /master/state shows: a framework's `user` (also for a completed framework), a task's
    `user` (none when its command names none), (None, None) for an unknown framework, the
    framework's user alone for a task id it does not know."""
    bad: list[tuple[str, str]] = []
    for f in (*state["frameworks"], *state["completed_frameworks"]):
        fid = f["id"]
        for tid, want in ((None, (f["user"], None)), ("sim-no-such-task", (f["user"], None)),
                          *((t["id"], (f["user"], t.get("user"))) for t in f["tasks"])):
            got = m.users_of(fid, tid)
            if got != want:
                bad.append((who, (f"users_of({fid}, {tid}) is {got}, /master/state shows "
                                  f"{want}")))
    if m.users_of("sim-no-such-framework") != (None, None):
        bad.append((who, f"users_of an unknown framework is {m.users_of('sim-no-such-framework')}"))
    return bad


# s14 kops
def check_drained_gone(chk: Checker, world: Any, aid: str) -> None:
    """DrainEmptiesAgent (s14 kops): once an agent the operator drained with `mark_gone`
    has emptied (World.drain_check, a calm window after the 200), the leader that holds it
    DRAINED has marked it gone or is writing that to the registry (Mesos 1.9: DRAINED then
    gone in one go); one the leader no longer holds (gone, or removed otherwise) is fine."""
    m = world.live_leader()
    if m is None:
        return
    mc = m.machine
    state = mc.drain_state(aid)
    if aid not in mc._agents or aid in mc._gone or state is None or state[0] != "DRAINED":
        return
    if any(p and p[0] == "gone" and p[1] == aid for p in mc._pending_ops.values()):
        return
    chk.run(world, inv.DrainEmptiesAgent, ClusterSnapshot(drained_not_gone=(aid,)))
# s14 kmaster
_CONTACT_EVENTS = frozenset(("agent_registered", "agent_reregistered", "agent_readmitted"))


def note_agent_contact(chk: Checker, world: Any, node: Any, log: Any) -> None:
    """AnsweringAgentsKept: a master (re-)registered an agent (its health check starts
    afresh); MasterBooksIndexed: that agent's tasks are indexed both ways right away."""
    aid = dict(log.fields).get("agent_id", "")
    chk.agent_contact[(node.name, node.inc, aid)] = world.now
    checks_leak42.on_contact(chk, aid)  # s19 leak42
    m = node.machine
    agent = m._agents.get(aid)
    if agent is None:
        return
    rows = _agent_index_rows(m, agent)
    if rows:
        chk.run(world, inv.MasterBooksIndexed, ClusterSnapshot(master_indexes=tuple(rows)))


# s14 kmaster
def check_health_marking(chk: Checker, world: Any, node: Any, log: Any) -> None:
    """AnsweringAgentsKept, on a master step that marks an agent unreachable (or makes it
    wait for a removal permit) because its health check timed out: that master heard
    nothing from it for max_agent_ping_timeouts x agent_ping_timeout seconds."""
    fields = dict(log.fields)
    if fields.get("reason") != "health check timed out":
        return
    aid = fields.get("agent_id", "")
    last = chk.agent_contact.get((node.name, node.inc, aid))
    if last is None:
        return
    cfg = node.machine.config
    ago = world.now - last
    if ago < cfg.max_agent_ping_timeouts * cfg.agent_ping_timeout - 1e-6:
        chk.run(world, inv.AnsweringAgentsKept, ClusterSnapshot(
            answering_agents_marked=((node.name, aid, round(ago, 3)),)))


# s14 kmaster
def check_teardown_closes(chk: Checker, world: Any, inp: Any, effects: list[Any]) -> None:
    """TornDownFrameworksClosed, after a TEARDOWN the master answered 202: the step closes
    the framework's stream and sends nothing on it."""
    stream = inp.stream_id
    if stream is None or not any(type(e) is Respond and e.request == inp.request
                                 and e.status == 202 for e in effects):
        return
    bad: list[tuple[str, str]] = []
    fid = inp.framework_id or ""
    sent = sorted({type(e.message).__name__ for e in effects
                   if type(e) is Send and e.to == stream})
    if sent:
        bad.append((fid, f"TEARDOWN answered 202, then {', '.join(sent)} sent on its stream"))
    if not any(type(e) is Close and e.peer == stream for e in effects):
        bad.append((fid, "TEARDOWN answered 202, its stream left open"))
    if bad:
        chk.run(world, inv.TornDownFrameworksClosed, ClusterSnapshot(teardown_answers=tuple(bad)))


# s14 kmaster
def _agent_index_rows(m: Any, agent: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    frameworks = m._frameworks
    for (fid, tid), task in agent.tasks.items():
        fw = frameworks.get(fid)
        if task.agent_id != agent.id:
            rows.append((f"task {fid}/{tid}", f"under agent {agent.id}, booked on {task.agent_id}"))
        elif fw is not None and fw.tasks.get(tid) is not task:
            rows.append((f"task {fid}/{tid}", f"under agent {agent.id}, not under its framework"))
    return rows


def master_index_rows(world: Any) -> tuple[tuple[str, str], ...]:
    """MasterBooksIndexed input, at quiescence: what the leader's books index one way and
    not the other (tasks, offers, pids)."""
    lead = world.live_leader()
    if lead is None:
        return ()
    m = lead.machine
    rows: list[tuple[str, str]] = []
    agents, frameworks, offers = m._agents, m._frameworks, m._offers
    for aid, agent in agents.items():
        rows += _agent_index_rows(m, agent)
        if aid not in m._marking_unreachable and m._pids.get(agent.pid) != aid:
            rows.append((f"agent {aid}", f"its pid {agent.pid} leads to {m._pids.get(agent.pid)}"))
        for oid in agent.offers:
            if oid not in offers:
                rows.append((f"offer {oid}", f"held under agent {aid}, not outstanding"))
    for fid, fw in frameworks.items():
        for tid, task in fw.tasks.items():
            agent = agents.get(task.agent_id)
            if agent is None or agent.tasks.get((fid, tid)) is not task:
                rows.append((f"task {fid}/{tid}",
                             f"under its framework, not under agent {task.agent_id}"))
        for oid in fw.offers:
            if oid not in offers:
                rows.append((f"offer {oid}", f"held under framework {fid}, not outstanding"))
    for oid, o in offers.items():
        fw = frameworks.get(o.framework_id)
        agent = agents.get(o.agent_id)
        if fw is None or oid not in fw.offers or agent is None or oid not in agent.offers:
            rows.append((f"offer {oid}",
                         "outstanding, not held under both its framework and its agent"))
    return tuple(rows)


# s14 kmaster
GC_SLACK = 5.0  # seconds for the registry write of a prune


def registry_gc_rows(world: Any) -> tuple[tuple[str, str, float], ...]:
    """RegistryGcPrunes input, at quiescence: entries of the leader's unreachable and gone
    lists kept more than registry_gc_interval + GC_SLACK past their due time (added +
    registry_max_agent_age, at the earliest the leader's election)."""
    lead = world.live_leader()
    if lead is None:
        return ()
    m = lead.machine
    if not m.leader or m.elected_time is None:
        return ()
    cfg = m.config
    rows: list[tuple[str, str, float]] = []
    for where, entries in (("unreachable", m._unreachable), ("gone", m._gone)):
        for aid, t in sorted(entries.items()):
            if aid in m._reregistering:
                continue  # being readmitted: the GC leaves it to the readmission
            late = world.now - max(t + cfg.registry_max_agent_age, m.elected_time) \
                - cfg.registry_gc_interval
            if late > GC_SLACK:
                rows.append((aid, where, round(late, 3)))
    return tuple(rows)


# s14 kmaster
def unreregistered_agent_rows(world: Any) -> tuple[tuple[str, float], ...]:
    """UnreregisteredAgentsMarked input, at quiescence: (agent id, seconds late) for each
    agent the leader recovered at its election and still waits for more than
    agent_reregister_timeout + GC_SLACK after it, its removal not under way."""
    lead = world.live_leader()
    if lead is None:
        return ()
    m = lead.machine
    if not m.leader or m.elected_time is None:
        return ()
    late = world.now - m.elected_time - m.config.agent_reregister_timeout
    if late <= GC_SLACK:
        return ()
    return tuple((aid, round(late, 3)) for aid in sorted(m._recovered_agents)
                 if aid not in m._removal_waiting and aid not in m._marking_unreachable)
# s14 kagent
_CG_MB = 1 << 20
_NO_RESOURCES = Resources()
_CG_TASK: dict[Any, tuple[float, int]] = {}


def _cg_task(r: Resources) -> tuple[float, int]:
    """A command task's nested limits by Mesos's rule: its cpus, its memory (at least
    32 MB), memoized per Resources value (tasks share a few shapes)."""
    got = _CG_TASK.get(r)
    if got is None:
        got = _CG_TASK[r] = (r.scalar("cpus"), max(32 * _CG_MB, int(r.scalar("mem") * _CG_MB)))
    return got
_CG_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


_CG_EXPECTED: dict[tuple[str, bool, int, float, int], dict[str, str]] = {}


def expected_cgroup_files(flag: str, cfs: bool, version: int, cpus: float,
                          mem: int) -> dict[str, str]:
    """`_expected_cgroup_files`, memoized (a copy: the caller may edit it)."""
    k = (flag, cfs, version, cpus, mem)
    got = _CG_EXPECTED.get(k)
    if got is None:
        got = _CG_EXPECTED[k] = _expected_cgroup_files(flag, cfs, version, cpus, mem)
    return dict(got)


def _expected_cgroup_files(flag: str, cfs: bool, version: int, cpus: float,
                           mem: int) -> dict[str, str]:
    """Mesos's cgroup files for a cgroup limited to `cpus` and `mem` bytes, on a host whose
    agent runs with `--isolation=flag` (cgroups v1 or v2), written from Mesos's constants
    (cgroups/cpu: cpu.shares = 1024 per cpu, at least 2; CFS period 100 ms, quota at least
    1 ms; v2 cpu.weight = 100 per cpu within [1, 10000]; cgroups/mem: the limit in bytes),
    independently of core/agent/isolation.py."""
    names = {x.strip() for x in flag.split(",") if x.strip()}
    out: dict[str, str] = {}
    quota = max(1000, int(100_000 * cpus))
    if "cgroups/cpu" in names:
        if version == 1:
            out["cpu.shares"] = str(max(2, int(1024 * cpus)))
            if cfs:
                out["cpu.cfs_period_us"] = "100000"
                out["cpu.cfs_quota_us"] = str(quota)
        else:
            out["cpu.weight"] = str(min(10_000, max(1, int(100 * cpus))))
            out["cpu.max"] = f"{quota} 100000" if cfs else "max 100000"
    if "cgroups/mem" in names:
        out["memory.limit_in_bytes" if version == 1 else "memory.max"] = str(mem)
    return out


def check_cgroup_files(chk: Checker, world: Any, n: Any, cid: str, resources: Resources,
                       command: bool, nested: dict[str, Resources], writes: Any,
                       usage: int | None) -> None:
    """s14 kagent: LimitationsEnforced, on every cgroup the simulated isolator writes
    (core/sim/cgroups.py, on LaunchExecutor and UpdateContainer): a command task's nested
    cgroup is limited to its task's cpus and memory (at least 32 MB); a command executor's
    container to 0.1 cpus and 32 MB of its own plus its tasks' nested limits; a custom
    executor's container to its resources; memory is never lowered under what the
    container's processes use (v1: kept when the usage exceeds the new limit; v2:
    memory.max only raised); a nested cgroup's name is a file name (at most 200 characters
    of [A-Za-z0-9._-]) that gives its task back (the shell's map after a restart), unless
    hashed (`taskh-`)."""
    flag, cfs, version = host_isolation(n.index)
    bad: list[str] = []
    for name, tid, before, after in writes:
        if tid is not None:
            cpus, mem = _cg_task(nested.get(tid, _NO_RESOURCES))
            # (s16 speed) the name's verdict once per (name, task) in a run (the checker's
            # memo: a run's cgroups.task_of is one function throughout)
            ok = chk._cg_names.get((name, tid))
            if ok is None:
                back = world.cgroups.task_of(name)
                ok = chk._cg_names[(name, tid)] = not (
                    len(name) > 200 or not set(name) <= _CG_NAME_CHARS or (
                        back != tid and not (back is None and name.startswith("taskh-"))))
            if not ok:
                back = world.cgroups.task_of(name)
                bad.append(f"container {cid[:8]}: nested cgroup {name!r} of task {tid} "
                           f"reads back as {back!r}")
        elif command:
            cpus, mem = 0.1, 32 * _CG_MB
            for r in nested.values():
                c, m = _cg_task(r)
                cpus += c
                mem += m
            cpus = round(cpus, 3)
        else:
            cpus = resources.scalar("cpus")
            mem = max(32 * _CG_MB, int(resources.scalar("mem") * _CG_MB))
        want = expected_cgroup_files(flag, cfs, version, cpus, mem)
        key = "memory.limit_in_bytes" if version == 1 else "memory.max"
        if before is not None and key in want and key in before:
            # v2: memory.max is only raised; v1: lowered only when the usage fits
            kept = version == 2 or (usage is not None and usage > mem)
            if int(before[key]) > mem and kept:
                want[key] = before[key]
        if after != want:
            diff = sorted(f"{k}={after.get(k)!r} (expected {want.get(k)!r})"
                          for k in set(after) | set(want) if after.get(k) != want.get(k))
            bad.append(f"container {cid[:8]} cgroup {name or '(container)'} on cgroups "
                       f"v{version} ({flag}): {', '.join(diff)}")
    if bad:
        chk.run(world, inv.LimitationsEnforced, ClusterSnapshot(limitations=tuple(
            (n.name, b) for b in bad)))


# s14 kagent
# Mesos's STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX (src/slave/constants.hpp)
RETRY_MIN, RETRY_MAX = 10.0, 600.0


def check_retry_backoff(chk: Checker, world: Any, node: Any, inp: Any, effects: list[Any],
                        e: Any) -> None:
    """s14 kagent: UpdateRetriesBackOff, on every retry timer an agent's status-update
    manager arms: with the Send of that task's update; 10 s out for an update forwarded
    afresh, twice the previous interval (at most 10 min) for a retry, which fires no
    earlier than armed; only while the agent is registered (running: Mesos pauses the
    status-update manager when the agent loses its master and resumes it on
    (re-)registration). The checker books the last interval per (agent incarnation,
    timer)."""
    books = chk.__dict__.setdefault("retry_armed", {})
    delay = e.at - world.now
    k = (node.name, node.inc, e.key)
    retry = type(inp) is TimerFired and inp.key == e.key
    bad = []
    if node.machine.state != "running":
        bad.append(f"armed the retry timer of task {e.key[2]} while {node.machine.state} "
                   f"(not registered: its status-update manager must be paused)")
    task = tuple(e.key[1:])  # (s16 speed: once, not per effect)
    if not any(type(x) is Send and type(x.message) is StatusUpdateMessage
               and (x.message.update.framework_id, x.message.update.status.task_id)
               == task for x in effects):
        bad.append(f"armed the retry timer of task {e.key[2]} without sending its update")
    if retry:
        prev = books.get(k)
        if prev is not None:
            want = min(prev[1] * 2, RETRY_MAX)
            if world.now < prev[0] + prev[1] - 1e-6:
                bad.append(f"retried task {e.key[2]}'s update at {world.now:.3f}, armed for "
                           f"{prev[0] + prev[1]:.3f}")
            elif abs(delay - want) > 1e-6:
                bad.append(f"retries task {e.key[2]}'s update {delay:g} s after a retry "
                           f"{prev[1]:g} s out (expected {want:g} s)")
    elif abs(delay - RETRY_MIN) > 1e-6:
        bad.append(f"arms the first retry of task {e.key[2]}'s update {delay:g} s out "
                   f"(expected {RETRY_MIN:g} s)")
    books[k] = (world.now, delay)
    if bad:
        chk.run(world, inv.UpdateRetriesBackOff, ClusterSnapshot(update_retries=tuple(
            (node.name, b) for b in bad)))


# s14 kagent
def check_task_cgroup(chk: Checker, world: Any, x: Any, task_id: str) -> None:
    """s14 kagent: LimitationsEnforced, as a command task's process starts: it starts in
    its own nested cgroup, which the isolator created (the agent's UpdateContainer with the
    task in `nested_add` precedes the task's launch on the executor) with the task's
    resources. Tasks of a custom executor (the `reserver` framework's pods) share its
    container, as in Mesos."""

    if not world.cgroups.command.get(x.container, True):
        return  # a custom executor's tasks share its container (Mesos)
    if task_id not in world.nested.get(x.container, ()):
        chk.run(world, inv.LimitationsEnforced, ClusterSnapshot(limitations=((
            x.agent.name, (f"task {task_id} started in container {x.container[:8]} outside "
                           f"a nested cgroup of its own (the isolator was never told of it)")),)))


# s14 kagent
def never_scheduled_rows(world: Any) -> list[tuple[str, str]]:
    """SandboxesCollected input, at quiescence (s14 kagent): per live agent, every container
    its current incarnation launched whose executor it no longer books (removed) had its
    sandbox scheduled for collection (a pending collection persisted: the world's `gc_at`):
    removing an executor always schedules its run directory's collection (Mesos
    Slave::removeExecutor -> GarbageCollector::schedule)."""
    collected: set[str] = getattr(world.obs, "collected", set()) if world.obs is not None else set()
    scheduled: dict[str, set[str]] = {}
    for name, key in world.gc_at:
        scheduled.setdefault(name, set()).add(key[-1])
    out: list[tuple[str, str]] = []
    for cid, x in sorted(world.executors.items()):
        n = x.agent
        if n is None or not n.alive or n.machine is None or x.agent_inc != n.inc \
                or n.machine.state in ("new", "stopped") or x.alive \
                or cid in n.machine.by_container or cid in scheduled.get(n.name, ()) \
                or cid in collected:
            continue
        out.append((n.name, (f"removed the executor of container {cid[:8]} without "
                             f"scheduling its sandbox for collection")))
    return out


# s14 kagent
def completed_view_rows(world: Any) -> list[tuple[str, str, str, str]]:
    """AgentViewsAgree input, at quiescence (s14 kagent): per live agent, its /state lists
    every executor its current incarnation launched and removed among the completed
    executors of its frameworks (`frameworks[].completed_executors`, or those of
    `completed_frameworks[]` once the framework went), while neither list is at its cap
    (Mesos MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK, MAX_COMPLETED_FRAMEWORKS), and lists no
    executor it still books as completed."""
    rows: list[tuple[str, str, str, str]] = []
    removed: dict[str, list[str]] = {}
    for cid, x in sorted(world.executors.items()):
        n = x.agent
        if n is None or not n.alive or n.machine is None or x.agent_inc != n.inc \
                or x.alive or cid in n.machine.by_container:
            continue
        removed.setdefault(n.name, []).append(cid)
    for n in world.agents:
        a = n.machine
        if not n.alive or a is None or a.state in ("new", "stopped"):
            continue
        state = a.state_json()
        listed: set[str] = set()
        capped = len(state["completed_frameworks"]) >= a.config.max_completed_frameworks
        for gone, fws in ((False, state["frameworks"]), (True, state["completed_frameworks"])):
            for f in fws:
                done = f["completed_executors"]
                capped = capped or len(done) >= a.config.max_completed_executors
                listed.update(e["container"] for e in done)
                if gone:
                    listed.update(e["container"] for e in f["executors"])
        for cid in sorted(listed):
            if cid in a.by_container:
                rows.append((n.name, f"completed executor {cid[:8]}", "not booked live",
                             "booked live"))
        if capped:
            continue
        for cid in removed.get(n.name, ()):
            if cid not in listed:
                rows.append((n.name, f"completed executor {cid[:8]}",
                             "listed in /state (completed)", "missing"))
    return rows


# s14 kagent
_LAUNCHES = frozenset({ExecutorLaunch, ExecutorLaunchGroup})


def check_executor_launches(chk: Checker, world: Any, node: Any, effects: list[Any]) -> None:
    """s14 kagent: ExecutorLaunchesAgree, after an agent step that sends an executor a
    LAUNCH or LAUNCH_GROUP: each task is booked by the agent under the executor the Send
    goes to (by its pid), a LAUNCH carries a task launched alone, a LAUNCH_GROUP only tasks
    of one group, and no task goes twice in the step. Once per step (the first Send)."""
    if chk.__dict__.get("launch_step") is effects:
        return
    chk.__dict__["launch_step"] = effects
    a = node.machine
    bad: list[str] = []
    sent: set[tuple[str, str]] = set()
    for e in effects:
        if type(e) is not Send or type(e.message) not in _LAUNCHES:
            continue
        where = a.by_pid.get(e.to)
        fw = a.frameworks.get(where[0]) if where is not None else None
        ex = fw.executors.get(where[1]) if fw is not None and where is not None else None
        infos = (e.message.task,) if type(e.message) is ExecutorLaunch else e.message.tasks
        groups = set()
        for info in infos:
            tid = info.task_id
            entry = ex.tasks.get(tid) if ex is not None else None
            if entry is None:
                bad.append(f"sent task {tid} to {e.to}, which it does not book the task under")
                continue
            if (e.to, tid) in sent:
                bad.append(f"sent task {tid} to its executor twice in one step")
            sent.add((e.to, tid))
            groups.add(entry.group)
        if type(e.message) is ExecutorLaunch and groups - {None}:
            bad.append(f"sent task {infos[0].task_id} of group {sorted(groups - {None})} "
                       f"alone in a LAUNCH")
        elif type(e.message) is ExecutorLaunchGroup and (None in groups or len(groups) > 1):
            bad.append(f"sent a LAUNCH_GROUP of tasks {[i.task_id for i in infos]} that are "
                       f"not one group ({sorted(map(str, groups))})")
    if bad:
        chk.run(world, inv.ExecutorLaunchesAgree, ClusterSnapshot(executor_launches=tuple(
            (node.name, b) for b in bad)))
