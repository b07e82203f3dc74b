"""The Mesos master as a pure machine: `effects = master.step(now, input)`.

    master = Master(master_info=MasterInfo(id="m1", hostname="m1"), ids=IdSource("seed"),
                    config=MasterConfig())
    master.step(0.0, LeadershipGained(registry=RegistryState()))

INPUTS
- `LeadershipGained(registry)`: the master starts as a non-leader (scheduler calls get 503);
  on election it recovers the agents the registry admitted (they have agent_reregister_timeout
  to come back) and the unreachable/gone lists, and starts the allocation timer.
- `LeadershipLost()`: drop everything, become a non-leader (the shell exits/restarts).
- `MembershipLost(reason)`: the election membership is gone: drop leadership (if leading)
  and `Abdicate` (Mesos: "Lost candidacy", the master exits whether it led or not).
- `SchedulerCall(request, stream_id, framework_id, call)` (core/messages.py): exactly one
  `Respond` per request, first; then the events (`Send(to=<stream id>, Event...)`).
- `Received(sender, msg)`: agent messages RegisterAgent, ReregisterAgent, StatusUpdateMessage,
  ExitedExecutor, ExecutorToFramework, Pong, UnregisterAgent; `sender` is the agent's pid.
- `Disconnected(peer)`: a scheduler stream (by stream id) or an agent connection (by pid).
- `TimerFired(key)`: ("allocation",), ("offer_timeout", offer), ("heartbeat", framework),
  ("failover", framework), ("ping", agent), ("agent_reregister_timeout",), ("registry_gc",),
  ("agent_removal_permit", agent) (--agent_removal_rate_limit), ("agent_reregister", agent)
  (a disconnected agent's deadline to re-register).
- `OperatorCall(request, call)`: operator API writes (core/master/operator.py).
- `WhitelistChanged(hosts)`: the --whitelist file changed (None: no whitelist); only listed
  agents are offered.
- `RegistryResult(op_id, ok)`: the outcome of a `RegistryWrite` this master emitted. At most
  one write is in flight; operations asked for meanwhile leave as one ("batch", ...) write
  when it settles (core/master/base.py, the registrar).

ALLOCATION: handlers only ask for an allocation cycle; `step` runs at most one, at the end
of the step (Mesos's allocator coalesces `allocate()` requests the same way).

EFFECTS: Send / Close / Respond / SetTimer / CancelTimer / RegistryWrite / Log / Reject
(core/effects.py, with its ordering rules) and `Abdicate(reason)` (core/master/base.py): the master
could not write its registry (fenced by a newer leader): the shell must exit the process.

IDS: frameworks `<master id>-<4 digits>`, agents `<master id>-S<n>`, offers
`<master id>-O<n>`, scheduler streams `ids.next_uuid_str()`.

The implementation is split by concept: core/master/base.py (state, offers/tasks bookkeeping,
allocator glue), core/master/frameworks.py (front door, subscribe, failover, removal),
core/master/offers.py (accept/decline/revive/suppress), core/master/tasks.py (updates, acks, kill,
reconcile), core/master/agents.py (agents and the registry), core/master/queries.py (queries),
core/master/validation.py (Mesos's validation messages), core/master/model.py (records, views).

Books read: `_AGENT_MESSAGES`, `_allocation_wanted`, `_gone`, `_pids`, `_recovered_agents`,
  `_streams`, `_unreachable`, `config`, `elected_time`, `leader`, `master_info`, `now`,
  `recovered`.
Books written: `_allocation_wanted`, `_gone`, `_recovered_agents`, `_unreachable`,
  `elected_time`, `leader`, `now`, `recovered`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import authorized
from mesotron.core.effects import (
    Disconnected,
    Log,
    Received,
    RegistryResult,
    Reject,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.master.agents import AgentsMixin
from mesotron.core.master.base import (
    Abdicate,
    LeadershipGained,
    LeadershipLost,
    MasterConfig,
    MembershipLost,
    WhitelistChanged,
)
from mesotron.core.master.frameworks import FrameworksMixin
from mesotron.core.master.model import AgentView, FrameworkView, TaskView
from mesotron.core.master.offers import OffersMixin
from mesotron.core.master.operations import OperationsMixin
from mesotron.core.master.operator import OperatorCall, OperatorMixin
from mesotron.core.master.queries import StateMixin
from mesotron.core.master.tasks import TasksMixin
from mesotron.core.master.validation import validate_agent_message
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallAcknowledgeOperationStatus,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallReconcileOperations,
    CallRevive,
    CallShutdown,
    CallSuppress,
    CallTeardown,
    ExecutorToFramework,
    ExitedExecutor,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    SchedulerCall,
    StatusUpdateMessage,
    UnregisterAgent,
)
from mesotron.core.registry import RegistryState

__all__ = [
    "Abdicate",
    "AgentView",
    "FrameworkView",
    "LeadershipGained",
    "LeadershipLost",
    "Master",
    "MasterConfig",
    "MembershipLost",
    "RegistryState",
    "TaskView",
    "WhitelistChanged",
]


class Master(FrameworksMixin, OffersMixin, TasksMixin, AgentsMixin, OperatorMixin, OperationsMixin,
             StateMixin):
    """See the module docstring. Deep-copyable; `describe()` is canonical."""

    now: float
    leader: bool

    def _call_handlers(self) -> dict[type, Any]:
        return {
            CallTeardown: self._call_teardown,
            CallAccept: self._call_accept,
            CallDecline: self._call_decline,
            CallRevive: self._call_revive,
            CallSuppress: self._call_suppress,
            CallKill: self._call_kill,
            CallShutdown: self._call_shutdown,
            CallAcknowledge: self._call_acknowledge,
            CallReconcile: self._call_reconcile,
            CallMessage: self._call_message,
            CallAcknowledgeOperationStatus: self._call_acknowledge_operation_status,
            CallReconcileOperations: self._call_reconcile_operations,
        }

    _AGENT_MESSAGES: ClassVar[dict[type, str]] = {
        RegisterAgent: "_register_agent",
        ReregisterAgent: "_reregister_agent",
        StatusUpdateMessage: "_status_update",
        ExitedExecutor: "_exited_executor",
        ExecutorToFramework: "_executor_to_framework",
        Pong: "_pong",
        UnregisterAgent: "_unregister_agent",
    }

    # ------------------------------------------------------------------ THE entry
    def step(self, now: float, input: Any) -> list[Any]:
        if now < self.now:
            raise LocalError(f"master: time went backwards ({now} < {self.now})")
        self.now = now
        self._allocation_wanted = False
        out = self._dispatch(input)
        if self.leader and self._draining():  # core/master/operator.py: drains progress
            out += self._drain_progress()
        if self._allocation_wanted:  # handlers ask; one cycle per step runs here
            out += self._allocation_due()
        return out

    def _dispatch(self, input: Any) -> list[Any]:
        if isinstance(input, SchedulerCall):
            return self._handle_scheduler_call(input)
        if isinstance(input, Received):
            return self._handle_received(input)
        if isinstance(input, TimerFired):
            return self._handle_timer(input.key)
        if isinstance(input, Disconnected):
            return self._handle_disconnected(input.peer)
        if isinstance(input, RegistryResult):
            if not self.leader:
                return [Log(level="info", event="registry_result_ignored_not_leader",
                            fields=(("op_id", input.op_id),))]
            return self._registry_result(input.op_id, input.ok, input.message)
        if isinstance(input, OperatorCall):
            return self._operator_call(input)
        if isinstance(input, LeadershipGained):
            return self._become_leader(input.registry)
        if isinstance(input, LeadershipLost):
            return self._become_follower()
        if isinstance(input, WhitelistChanged):
            self._set_whitelist(input.hosts)
            if not self.leader:
                return []
            return [*self._alloc(alloc.UpdateWhitelist(hosts=input.hosts)), *self._allocate()]
        if isinstance(input, MembershipLost):
            out = self._become_follower() if self.leader else []
            return out + [Abdicate(reason=f"lost ZooKeeper membership ({input.reason}): "
                                          "committing suicide, as Mesos does")]
        raise LocalError(f"master: unknown input {input!r}")

    # ------------------------------------------------------------------ leadership
    def _become_leader(self, registry: RegistryState) -> list[Any]:
        if self.leader:
            raise LocalError("master: LeadershipGained while already leading")
        now = self.now
        self._reset()
        self.now = now
        self.leader = True
        self.recovered = True
        self.elected_time = now
        self._recovered_agents = {a.id: a for a in registry.admitted if a.id}
        self._unreachable = dict(registry.unreachable)
        self._gone = dict(registry.gone)
        out: list[Any] = [
            Log(level="info", event="elected_leader", fields=(
                ("master_id", self.master_info.id), ("registry_version", registry.version),
                ("recovered_agents", len(self._recovered_agents)))),
            self._timer(("allocation",), self.config.allocation_interval),
            self._timer(("registry_gc",), self.config.registry_gc_interval),
        ]
        if self.config.whitelist is not None:
            out += self._alloc(alloc.UpdateWhitelist(hosts=self.config.whitelist))
        out += self._restore_settings(registry.settings)
        self._restore_operations()
        if self._recovered_agents:
            out.append(self._timer(("agent_reregister_timeout",),
                                   self.config.agent_reregister_timeout))
        return out

    def _become_follower(self) -> list[Any]:
        from mesotron.core.effects import Close

        streams = sorted(self._streams)
        now = self.now
        self._reset()
        self.now = now
        return [Log(level="warning", event="leadership_lost"),
                *[Close(peer=s) for s in streams]]

    # ------------------------------------------------------------------ dispatch
    def _handle_received(self, inp: Received) -> list[Any]:
        name = self._AGENT_MESSAGES.get(type(inp.message))
        if name is None:
            return [Reject(sender=inp.sender, status=400,
                           message=f"Unexpected message {type(inp.message).__name__}",
                           input=inp.message)]
        error = validate_agent_message(inp.message)
        if error is not None:
            return [Reject(sender=inp.sender, status=400, message=error, input=inp.message)]
        if not self.leader:
            return [Log(level="info", event="message_dropped_not_leader",
                        fields=(("sender", inp.sender),
                                ("message", type(inp.message).__name__)))]
        if isinstance(inp.message, (RegisterAgent, ReregisterAgent)):
            # Mesos: an unauthenticated or unauthorized agent's registration is dropped, logged
            if self.config.authenticate_agents and inp.principal is None:
                return [Log(level="warning", event="agent_registration_dropped",
                            fields=(("sender", inp.sender), ("reason", "not authenticated")))]
            if not authorized(self.config.acls, "register_agents", inp.principal, None):
                return [Log(level="warning", event="agent_registration_dropped",
                            fields=(("sender", inp.sender), ("reason", "not authorized")))]
        handler = getattr(self, name)
        result: list[Any] = handler(inp.sender, inp.message)
        return result

    def _handle_disconnected(self, peer: str) -> list[Any]:
        if peer in self._streams:
            return self._framework_disconnected(peer)
        if peer in self._pids:
            return self._agent_disconnected(peer)
        return [Log(level="debug", event="disconnect_of_unknown_peer", fields=(("peer", peer),))]

    def _handle_timer(self, key: tuple[str, ...]) -> list[Any]:
        if not self.leader:
            return []
        kind = key[0] if key else ""
        if kind == "allocation" and len(key) == 1:
            return self._allocation_fired()
        if kind == "offer_timeout" and len(key) == 2:
            return self._offer_timeout_fired(key[1])
        if kind == "heartbeat" and len(key) == 2:
            return self._heartbeat_fired(key[1])
        if kind == "failover" and len(key) == 2:
            return self._failover_fired(key[1])
        if kind == "ping" and len(key) == 2:
            return self._ping_fired(key[1])
        if kind == "agent_reregister_timeout" and len(key) == 1:
            return self._reregister_timeout_fired()
        if kind == "agent_reregister" and len(key) == 2:
            return self._disconnected_reregister_fired(key[1])
        if kind == "agent_removal_permit" and len(key) == 2:
            return self._removal_permit_fired(key[1])
        if kind == "registry_gc" and len(key) == 1:
            return self._registry_gc_fired()
        raise LocalError(f"master: unknown timer {key!r}")
