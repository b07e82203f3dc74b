"""Frameworks: the scheduler API's front door, subscription, failover, heartbeats, removal.

Status codes follow `Master::Http::scheduler` (MESOS-V1-API.md §2): 503 before the master
leads and has recovered; 400 for calls that fail validation; a SUBSCRIBE always opens a
stream (200) and reports subscription failures as an ERROR event followed by closing it;
other calls: 400 unknown framework, 403 not subscribed, 400 missing / mismatched stream id,
else 202 (the work happens after the answer). A 4xx never changes any state.

Books read: `_agents`, `_completed_frameworks`, `_frameworks`, `_next_framework`, `_streams`,
  `config`, `ids`, `leader`, `master_info`, `now`, `recovered`.
Books written: `_completed_frameworks`, `_frameworks`, `_next_framework`, `_streams`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.allocator import machine as alloc
from mesotron.core.authorizer import authorized_all
from mesotron.core.effects import CancelTimer, Close, Log, Respond, Send
from mesotron.core.master.base import MasterCore
from mesotron.core.master.model import MFramework
from mesotron.core.master.validation import validate_call, validate_subscribe
from mesotron.core.messages import (
    CallSubscribe,
    EventError,
    EventHeartbeat,
    EventSubscribed,
    SchedulerCall,
    ShutdownFramework,
    UpdateFramework,
)
from mesotron.core.values import TaskState


class FrameworksMixin(MasterCore):
    # the per-call handlers are defined by the other mixins; see Master._call_handlers
    def _call_handlers(self) -> dict[type, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ the front door
    def _handle_scheduler_call(self, inp: SchedulerCall) -> list[Any]:
        if not self.leader:
            return [Respond(request=inp.request, status=503, message="No leader elected")]
        if not self.recovered:
            return [Respond(request=inp.request, status=503,
                            message="Master has not finished recovery")]
        err = validate_call(inp)
        if err is not None:
            return [Respond(request=inp.request, status=400,
                            message=f"Failed to validate scheduler::Call: {err}")]
        call = inp.call
        if isinstance(call, CallSubscribe):
            if self.config.authenticate_frameworks and inp.principal is None:
                # (HTTP asks for credentials first: 401; this is the driver wire's case)
                stream = self.ids.next_uuid_str()
                return [Respond(request=inp.request, status=200, stream_id=stream),
                        Send(to=stream, message=EventError(message="Framework is not authenticated")),
                        Close(peer=stream)]
            claimed = call.framework_info.principal
            if inp.principal is not None and claimed is not None and claimed != inp.principal:
                return [Respond(request=inp.request, status=400,
                                message="Failed to validate scheduler::Call: "
                                        + principal_mismatch(inp.principal, claimed))]
            if inp.stream_id is not None:
                return [Respond(request=inp.request, status=400,
                                message="Subscribe calls should not include the "
                                        "'Mesos-Stream-Id' header")]
            if inp.principal is not None and claimed is None:
                # the authenticated principal stands for an empty FrameworkInfo.principal (Mesos
                # does so on the driver wire; here on HTTP too: pymesos never sets it)
                call = attrs.evolve(call, framework_info=attrs.evolve(
                    call.framework_info, principal=inp.principal))
            return self._subscribe(inp, call)
        fw = self._framework(inp.framework_id)
        if fw is None:
            return [Respond(request=inp.request, status=400, message="Framework cannot be found")]
        if inp.principal is not None and fw.info.principal != inp.principal:
            return [Respond(request=inp.request, status=400,
                            message=principal_mismatch(inp.principal, fw.info.principal or ""))]
        if not fw.connected:
            return [Respond(request=inp.request, status=403, message="Framework is not subscribed")]
        if inp.stream_id is None:
            return [Respond(request=inp.request, status=400,
                            message="All non-subscribe calls should include the "
                                    "'Mesos-Stream-Id' header")]
        if inp.stream_id != fw.stream:
            return [Respond(request=inp.request, status=400,
                            message=f"The stream ID '{inp.stream_id}' included in this request "
                                    f"didn't match the stream ID currently associated with "
                                    f"framework ID {fw.id}")]
        handler = self._call_handlers()[type(call)]
        return [Respond(request=inp.request, status=202), *handler(fw, call)]

    # ------------------------------------------------------------------ SUBSCRIBE
    def _subscribe(self, inp: SchedulerCall, call: CallSubscribe) -> list[Any]:
        info = call.framework_info
        stream = self.ids.next_uuid_str()
        out: list[Any] = [Respond(request=inp.request, status=200, stream_id=stream)]
        existing = self._frameworks.get(info.id) if info.id is not None else None
        error = None
        if info.id is not None and info.id in self._completed_frameworks:
            error = "Framework has been removed"
        else:
            error = validate_subscribe(
                call, whitelist=self.config.roles,
                existing=existing.info if existing is not None and not existing.recovered else None,
            )
        if error is None and not authorized_all(self.config.acls, "register_frameworks",
                                                inp.principal, info.roles):
            error = (f"Not authorized to register framework {info.id or ''} with roles "
                     f"{', '.join(info.roles)}").replace("framework  with", "framework with")
        if error is not None:
            return out + [Send(to=stream, message=EventError(message=error)), Close(peer=stream)]

        if existing is None:
            fid = info.id
            if fid is None:  # a new framework
                fid = f"{self.master_info.id}-{self._next_framework:04d}"
                self._next_framework += 1
            # else: an id this master does not know (it failed over): a "recovered" framework
            fw = MFramework(
                id=fid,
                info=attrs.evolve(info, id=fid),
                stream=stream,
                active=True,
                registered_time=self.now,
                reregistered_time=self.now if info.id is not None else None,
                suppressed_roles=call.suppressed_roles,
                offer_constraints=call.offer_constraints,
            )
            self._frameworks[fid] = fw
            self._streams[stream] = fid
            out += self._subscribed(fw)
            out += self._alloc(
                alloc.AddFramework(
                    framework_id=fid,
                    roles=fw.info.roles,
                    suppressed_roles=fw.suppressed_roles,
                    constraints=fw.offer_constraints,
                    active=True,
                    used=self._framework_used(fw),
                )
            )
            out.append(Log(level="info", event="framework_added", fields=(("framework_id", fid),)))
            return out + self._allocate()

        # a known framework: scheduler failover (open stream) or re-subscription
        fw = existing
        if fw.stream is not None:
            out += [Send(to=fw.stream, message=EventError(message="Framework failed over")),
                    Close(peer=fw.stream)]
            self._streams.pop(fw.stream, None)
        out.append(CancelTimer(key=("failover", fw.id)))
        for oid in list(fw.offers):  # offers are discarded and re-generated
            out += self._recover_offer(oid, rescind=False)
        # `user` and `checkpoint` changes on re-subscription are ignored (Mesos's
        # Framework::update), also for a framework recovered from its agents' re-registration
        # (FaultToleranceTest.UpdateFrameworkInfoOnMasterFailover: checkpoint stays as the
        # agents reported it)
        new_info = attrs.evolve(info, id=fw.id, user=fw.info.user, checkpoint=fw.info.checkpoint)
        info_changed = new_info != fw.info
        fw.info = new_info
        fw.stream = stream
        if fw.recovered:  # its first subscription to this master (MasterTest.FailoverAgentReregisterFirst)
            fw.registered_time = self.now
        fw.recovered = False
        fw.reregistered_time = self.now
        fw.unregistered_time = None
        fw.suppressed_roles = call.suppressed_roles
        fw.offer_constraints = call.offer_constraints
        self._streams[stream] = fw.id
        out += self._subscribed(fw)
        out += self._alloc(
            alloc.UpdateFramework(
                framework_id=fw.id,
                roles=fw.info.roles,
                suppressed_roles=fw.suppressed_roles,
                constraints=fw.offer_constraints,
            )
        )
        if not fw.active:
            fw.active = True
            out += self._alloc(alloc.ActivateFramework(framework_id=fw.id))
        if info_changed:
            out += self._send_framework_update(fw)
        out.append(Log(level="info", event="framework_resubscribed",
                       fields=(("framework_id", fw.id),)))
        return out + self._allocate()

    def _subscribed(self, fw: MFramework) -> list[Any]:
        interval = self.config.heartbeat_interval
        return [
            Send(to=fw.stream or "", message=EventSubscribed(
                framework_id=fw.id, heartbeat_interval_seconds=interval,
                master_info=self.master_info)),
            Send(to=fw.stream or "", message=EventHeartbeat()),
            self._timer(("heartbeat", fw.id), interval),
        ]

    def _send_framework_update(self, fw: MFramework) -> list[Any]:
        """UpdateFrameworkMessage to the agents running the framework's tasks/executors."""
        agents = {t.agent_id for t in fw.tasks.values()} | {a for a, _e in fw.executors}
        out: list[Any] = []
        for aid in sorted(agents):
            agent = self._agents.get(aid)
            if agent is not None and agent.connected:
                out.append(Send(to=agent.pid, message=UpdateFramework(framework_info=fw.info)))
        return out

    def _framework_used(self, fw: MFramework) -> tuple[tuple[str, Any], ...]:
        """What the framework's live tasks and executors use, per agent."""
        used: dict[str, Any] = {}
        for t in fw.tasks.values():
            if not t.state.is_terminal and t.agent_id in self._agents:
                used[t.agent_id] = used[t.agent_id] + t.resources if t.agent_id in used \
                    else t.resources
        for (aid, _eid), e in fw.executors.items():
            if aid in self._agents and e.resources:
                used[aid] = used[aid] + e.resources if aid in used else e.resources
        return tuple(sorted(used.items()))

    # ------------------------------------------------------------------ disconnects, timers
    def _framework_disconnected(self, stream: str) -> list[Any]:
        fid = self._streams.pop(stream)
        fw = self._frameworks[fid]
        fw.stream = None
        fw.unregistered_time = self.now
        out: list[Any] = [CancelTimer(key=("heartbeat", fid))]
        out += self._deactivate_framework(fw, rescind=True)
        out.append(self._timer(("failover", fid), fw.info.failover_timeout))
        out.append(Log(level="info", event="framework_disconnected",
                       fields=(("framework_id", fid),
                               ("failover_timeout", fw.info.failover_timeout))))
        return out

    def _deactivate_framework(self, fw: MFramework, *, rescind: bool) -> list[Any]:
        out: list[Any] = []
        if fw.active:
            fw.active = False
            out += self._alloc(alloc.DeactivateFramework(framework_id=fw.id))
        for oid in list(fw.offers):
            out += self._recover_offer(oid, rescind=rescind)
        return out

    def _heartbeat_fired(self, fid: str) -> list[Any]:
        fw = self._frameworks.get(fid)
        if fw is None or fw.stream is None:
            return []
        return [Send(to=fw.stream, message=EventHeartbeat()),
                self._timer(("heartbeat", fid), self.config.heartbeat_interval)]

    def _failover_fired(self, fid: str) -> list[Any]:
        fw = self._frameworks.get(fid)
        if fw is None or fw.connected:
            return []
        out: list[Any] = [Log(level="info", event="framework_failover_timeout",
                              fields=(("framework_id", fid),))]
        return out + self._remove_framework(fw)

    # ------------------------------------------------------------------ TEARDOWN / removal
    def _call_teardown(self, fw: MFramework, _call: Any) -> list[Any]:
        return self._remove_framework(fw)

    def _remove_framework(self, fw: MFramework) -> list[Any]:
        """Mesos `Master::removeFramework`: agents shut the framework down, its live tasks
        are booked TASK_KILLED (REASON_FRAMEWORK_REMOVED) and completed, its offers and
        executors give their resources back, and it joins the bounded completed history."""
        out: list[Any] = []
        for agent in sorted(self._agents.values(), key=lambda a: a.id):
            if agent.connected:
                out.append(Send(to=agent.pid, message=ShutdownFramework(framework_id=fw.id)))
        out += self._deactivate_framework(fw, rescind=False)
        if fw.stream is not None:
            out.append(Close(peer=fw.stream))
            self._streams.pop(fw.stream, None)
            fw.stream = None
        out += [CancelTimer(key=("heartbeat", fw.id)), CancelTimer(key=("failover", fw.id))]
        for tid in sorted(fw.tasks):
            task = fw.tasks[tid]
            if not task.state.is_terminal:
                out += self._recover(task.framework_id, task.agent_id, task.resources)
                # bookkeeping of the master's own (Mesos books TASK_KILLED here; the framework
                # is gone, nobody sees this update)
                task.state = TaskState.TASK_KILLED
            out += self._remove_task(task)
        for aid, eid in sorted(fw.executors):
            agent = self._agents.get(aid)
            if agent is not None:
                out += self._remove_executor(agent, fw.id, eid)
        fw.executors.clear()
        out += self._alloc(alloc.RemoveFramework(framework_id=fw.id))
        del self._frameworks[fw.id]
        fw.unregistered_time = self.now
        self._completed_frameworks.pop(fw.id, None)
        self._completed_frameworks[fw.id] = fw
        while len(self._completed_frameworks) > self.config.max_completed_frameworks:
            del self._completed_frameworks[next(iter(self._completed_frameworks))]
        out.append(Log(level="info", event="framework_removed", fields=(("framework_id", fw.id),)))
        return out + self._allocate()


def principal_mismatch(authenticated: str, claimed: str) -> str:
    """Mesos's text when a call's authenticated principal is not its framework's."""
    return (f"Authenticated principal '{authenticated}' does not match principal '{claimed}' "
            "set in `FrameworkInfo`")
