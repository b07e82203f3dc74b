"""Scenario driver for the master (`machine: master`); see ../../tests/scenarios/master_*.txt.

The driver plays schedulers (named streams), agents (named pids), the registry (applied at
once with `registry.apply`, so every RegistryWrite succeeds unless `registry fence` was
issued) and the clock. Output is one line per visible effect:

    -> 202                                     the Respond to the command's request
    fw1 <- UPDATE t1 TASK_LOST MASTER INVALID_OFFERS "..."   an event on fw1's stream
    a1 <- RunTask m1-0000/t1 cpus:1;mem:128    a message to agent pid a1
    close fw1 | registry <- admit m1-S0 h1 | reject a1 400 "..." | log warning <event>

Hidden unless `verbose on`: pings/pongs, HEARTBEAT events, timers, info/debug logs.
`tick N` advances the clock N seconds, firing due timers in order; a fired timer is shown as
`@<time> <timer>` followed by its visible effects (only when it has some).

COMMANDS
  elect | failover                    (new master m<k+1> elected with the registry's state)
  subscribe S [id=F] [caps=PARTITION_AWARE,...] [roles=r1,r2] [failover_timeout=N]
            [suppressed=r] [principal=p] [stream=S2 (send S2's stream id header)]
  register A [host=h] [res=cpus:2;mem:1024] [attrs=rack:r1] [version=1.11.0]
  reregister A id=AID [host=h] [res=...] [tasks=F/T/STATE[/UNACKED_STATE[/UUID]],...]
             [executors=F/E,...] [aware=F,...]   (frameworks it reports; aware: PARTITION_AWARE)
             [version=1.11.0]
  accept S OFFER... [task=t1,t2] [res=cpus:1;mem:128] [agent=AID] [executor=E] [both|neither]
         [group] [refuse=N] | accept S OFFER reserve=cpus:1 (RESERVE for its role, DYNAMIC)
  decline S OFFER... [refuse=N] | revive S | suppress S | teardown S
  kill S T [agent=AID] | shutdown S E AID | message S AID E DATA
  ack S AID T UUID | reconcile S [T[@AID] ...]
  update A F T STATE UUID [latest=STATE] [source=EXECUTOR|AGENT]   (agent forwards an update)
  exited A F E [status=N] | pong A | unregister A | disconnect S|A
  call S <raw>   a malformed call: no_framework_id | bad_uuid | no_stream | wrong_stream
  config FIELD=N ...                  MasterConfig numbers (before elect); roles=a,b;
                                      agent_removal_rate_limit=N/SECONDS
  registry [fence|hold|release]   print the registry; fence it (the next write fails);
                     hold writes (they stay pending) until release
  whitelist h1,h2 | whitelist none    the --whitelist file changed
  tick N | describe | state | metrics NAME... | verbose on|off
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core import registry as reg
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
    Respond,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.ids import IdSource
from mesotron.core.master.machine import (
    Abdicate,
    LeadershipGained,
    Master,
    MasterConfig,
    WhitelistChanged,
)
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallRevive,
    CallShutdown,
    CallSubscribe,
    CallSuppress,
    CallTeardown,
    EventError,
    EventFailure,
    EventHeartbeat,
    EventMessage,
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    ExecutorToFramework,
    ExitedExecutor,
    KillTask,
    OpLaunch,
    OpLaunchGroup,
    OpReserve,
    Ping,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    RunTask,
    RunTaskGroup,
    SchedulerCall,
    StatusUpdate,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
    TaskRecord,
    UnregisterAgent,
    UpdateFramework,
)
from mesotron.core.resources import Reservation, Resources
from mesotron.core.values import (
    AgentInfo,
    Attribute,
    Capability,
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    MasterInfo,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)

DEFAULT_TASK_RES = "cpus:1;mem:128"
DEFAULT_AGENT_RES = "cpus:2;mem:1024"


def uuid_of(label: str) -> bytes:
    raw = label.encode()
    if len(raw) > 16:
        raise ValueError(f"uuid label {label!r} longer than 16 bytes")
    return raw.ljust(16, b"_")


def label_of(uuid: bytes | None) -> str:
    if uuid is None:
        return "-"
    stripped = uuid.rstrip(b"_")
    try:
        text = stripped.decode("ascii")
        if text.isprintable() and text:
            return text
    except UnicodeDecodeError:
        pass
    return uuid.hex()[:8]


def _state(name: str) -> TaskState:
    return TaskState[name if name.startswith("TASK_") else f"TASK_{name}"]


class Driver:
    def __init__(self, config: MasterConfig | None = None) -> None:
        self.config = config or MasterConfig()
        self.now = 0.0
        self.generation = 0
        self.registry = reg.RegistryState()
        self.fenced = False
        self.held: list[RegistryWrite] | None = None  # `registry hold`: writes wait here
        self.verbose = False
        self.timers: dict[tuple[str, ...], float] = {}
        self.streams: dict[str, str] = {}  # scheduler alias -> stream id
        self.aliases: dict[str, str] = {}  # stream id -> scheduler alias
        self.framework_of: dict[str, str] = {}  # scheduler alias -> framework id
        self.request = 0
        self._pending_alias = ""
        self.master = self._new_master()

    def _new_master(self) -> Master:
        self.generation += 1
        mid = f"m{self.generation}"
        self.timers = {}
        return Master(master_info=MasterInfo(id=mid, hostname=mid),
                      ids=IdSource(seed=f"scn-{mid}"), config=self.config)

    # ------------------------------------------------------------------ plumbing
    def _step(self, inp: Any) -> list[str]:
        effects = self.master.step(self.now, inp)
        lines: list[str] = []
        follow: list[Any] = []
        for e in effects:
            if isinstance(e, SetTimer):
                self.timers[e.key] = e.at
            elif isinstance(e, CancelTimer):
                self.timers.pop(e.key, None)
            elif isinstance(e, Respond) and e.stream_id is not None:
                alias = self._pending_alias
                self.streams[alias] = e.stream_id
                self.aliases[e.stream_id] = alias
            elif isinstance(e, Send) and isinstance(e.message, EventSubscribed):
                alias = self.aliases.get(e.to, e.to)
                self.framework_of[alias] = e.message.framework_id
            elif isinstance(e, RegistryWrite):
                follow.append(e)
            line = self._fmt(e)
            if line is not None:
                lines.append(line)
        for w in follow:
            lines += self._registry_write(w)
        return lines

    def _registry_write(self, w: RegistryWrite) -> list[str]:
        if self.held is not None:
            self.held.append(w)
            return []
        if self.fenced:
            self.fenced = False
            return self._step(RegistryResult(op_id=w.op_id, ok=False, message="fenced"))
        new = reg.apply(self.registry, w.op, self.registry.version)
        assert new is not None
        self.registry = new
        return self._step(RegistryResult(op_id=w.op_id, ok=True))

    def _call(self, alias: str, call: Any, *, stream: str | None = "own",
              framework_id: str | None = "own") -> list[str]:
        self.request += 1
        sid = self.streams.get(alias) if stream == "own" else stream
        fid = self.framework_of.get(alias) if framework_id == "own" else framework_id
        self._pending_alias = alias
        return self._step(SchedulerCall(request=f"r{self.request}", stream_id=sid,
                                        framework_id=fid, call=call))

    # ------------------------------------------------------------------ formatting
    def _who(self, to: str) -> str:
        return self.aliases.get(to, to)

    def _fmt_status(self, s: TaskStatus) -> str:
        parts = [s.task_id, s.state.name]
        if s.source is not None:
            parts.append(s.source.name[7:])
        if s.reason is not None:
            parts.append(s.reason.name[7:])
        if s.uuid is not None:
            parts.append(f"uuid={label_of(s.uuid)}")
        if s.unreachable_time is not None:
            parts.append(f"unreachable_time={s.unreachable_time:g}")
        if s.message:
            parts.append(f'"{s.message}"')
        return " ".join(parts)

    def _fmt(self, e: Any) -> str | None:
        if isinstance(e, Respond):
            text = f"-> {e.status}"
            if e.stream_id is not None:
                text += f" stream={self._who(e.stream_id)}"
            return text + (f' "{e.message}"' if e.message else "")
        if isinstance(e, Close):
            return f"close {self._who(e.peer)}"
        if isinstance(e, (SetTimer, CancelTimer)):
            if not self.verbose:
                return None
            if isinstance(e, SetTimer):
                return f"timer {' '.join(e.key)} at {e.at:g}"
            return f"cancel timer {' '.join(e.key)}"
        if isinstance(e, RegistryWrite):
            op = e.op
            args = " ".join(a.id if isinstance(a, AgentInfo) else
                            (f"{a:g}" if isinstance(a, float) else
                             ",".join(a) if isinstance(a, tuple) else str(a)) for a in op[1:])
            return f"registry <- {op[0]} {args}"
        if isinstance(e, Log):
            if e.level in ("info", "debug") and not self.verbose:
                return None
            return f"log {e.level} {e.event}"
        if isinstance(e, Reject):
            return f'reject {e.sender} {e.status} "{e.message}"'
        if isinstance(e, Abdicate):
            return f'abdicate "{e.reason}"'
        if isinstance(e, Send):
            body = self._fmt_message(e.message)
            return None if body is None else f"{self._who(e.to)} <- {body}"
        return repr(e)

    def _fmt_message(self, m: Any) -> str | None:
        if isinstance(m, EventSubscribed):
            return f"SUBSCRIBED {m.framework_id}"
        if isinstance(m, EventHeartbeat):
            return "HEARTBEAT" if self.verbose else None
        if isinstance(m, EventOffers):
            return "OFFERS " + " ".join(f"{o.id} {o.agent_id} {o.resources}" for o in m.offers)
        if isinstance(m, EventRescind):
            return f"RESCIND {m.offer_id}"
        if isinstance(m, EventUpdate):
            return "UPDATE " + self._fmt_status(m.status)
        if isinstance(m, EventError):
            return f'ERROR "{m.message}"'
        if isinstance(m, EventFailure):
            text = f"FAILURE agent={m.agent_id}"
            if m.executor_id is not None:
                text += f" executor={m.executor_id} status={m.status}"
            return text
        if isinstance(m, EventMessage):
            return f"MESSAGE {m.agent_id} {m.executor_id} {m.data.decode(errors='replace')}"
        if isinstance(m, Ping):
            return "Ping" if self.verbose else None
        if isinstance(m, RunTask):
            ex = f" executor={m.task.executor.executor_id}" if m.task.executor else ""
            return f"RunTask {m.framework_info.id}/{m.task.task_id} {m.task.resources}{ex}"
        if isinstance(m, RunTaskGroup):
            tasks = ",".join(t.task_id for t in m.tasks)
            return f"RunTaskGroup {m.framework_info.id}/{tasks} executor={m.executor.executor_id}"
        if isinstance(m, AgentRegistered):
            return f"AgentRegistered {m.agent_id}"
        if isinstance(m, AgentReregistered):
            rec = " ".join(f"{f}/{t}:{s.name}" for f, t, s in m.reconciliations)
            return f"AgentReregistered {m.agent_id}" + (f" reconcile {rec}" if rec else "")
        if isinstance(m, StatusUpdateAcknowledgement):
            return f"Ack {m.framework_id}/{m.task_id} uuid={label_of(m.uuid)}"
        if isinstance(m, UpdateFramework):
            return f"UpdateFramework {m.framework_info.id}"
        if isinstance(m, KillTask):
            return f"KillTask {m.framework_id}/{m.task_id}"
        name = type(m).__name__
        fields = [f"{v}" for v in (getattr(m, f) for f in m.__slots__ if not f.startswith("__"))
                  if isinstance(v, (str, int, float))] if hasattr(m, "__slots__") else []
        return " ".join([name, *fields])

    # ------------------------------------------------------------------ commands
    def run(self, command: str, args: list[str], kwargs: dict[str, str]) -> list[str]:
        handler = getattr(self, f"cmd_{command}", None)
        if handler is None:
            raise ValueError(f"scn_master: unknown command {command!r}")
        result: list[str] = handler(args, kwargs)
        return result

    def cmd_verbose(self, args: list[str], kw: dict[str, str]) -> list[str]:
        self.verbose = args[0] == "on"
        return []

    def cmd_describe(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self.master.describe().splitlines()

    def cmd_state(self, args: list[str], kw: dict[str, str]) -> list[str]:
        """state: what /state says of agents and each framework's task lists (id:state)."""
        st = self.master.state_json()
        lines = [(f"agents activated={st['activated_slaves']} deactivated={st['deactivated_slaves']} "
                  f"unreachable={st['unreachable_slaves']} frameworks={len(st['frameworks'])} "
                  f"completed_frameworks={len(st['completed_frameworks'])}")]
        for f in st["frameworks"]:
            parts = [f"framework {f['id']}"]
            for key in ("tasks", "unreachable_tasks", "completed_tasks"):
                parts.append(f"{key}=[{','.join(t['id'] + ':' + t['state'] for t in f[key])}]")
            lines.append(" ".join(parts))
        return lines

    def cmd_metrics(self, args: list[str], kw: dict[str, str]) -> list[str]:
        m = self.master.metrics()
        return [f"{name} {m.get(name, 0):g}" for name in args]

    def cmd_registry(self, args: list[str], kw: dict[str, str]) -> list[str]:
        if args and args[0] == "fence":
            self.fenced = True
            return []
        if args and args[0] == "hold":
            self.held = []
            return []
        if args and args[0] == "release":
            held, self.held = self.held or [], None
            lines: list[str] = []
            for w in held:
                lines += self._registry_write(w)
            return lines
        return self.registry.describe().splitlines()

    def cmd_config(self, args: list[str], kw: dict[str, str]) -> list[str]:
        """`config registry_max_agent_count=1 ...`: MasterConfig fields for the masters
        elected from now on (numbers, and `roles=a,b` for the --roles whitelist)."""
        fields = {f.name: f for f in attrs.fields(MasterConfig)}
        changes: dict[str, Any] = {}
        for name, value in kw.items():
            if name not in fields:
                raise ValueError(f"scn_master: unknown MasterConfig field {name!r}")
            if name == "roles":  # the --roles whitelist: comma-separated
                changes[name] = tuple(value.split(","))
                continue
            if name == "agent_removal_rate_limit":  # N/seconds
                n, _, secs = value.partition("/")
                changes[name] = (int(n), float(secs))
                continue
            changes[name] = int(value) if fields[name].type in (int, "int") else float(value)
        self.config = attrs.evolve(self.config, **changes)
        self.master.config = self.config
        return []

    def cmd_whitelist(self, args: list[str], kw: dict[str, str]) -> list[str]:
        """whitelist h1,h2 | whitelist none: the --whitelist file changed."""
        hosts = None if args[0] == "none" else frozenset(args[0].split(","))
        return self._step(WhitelistChanged(hosts=hosts))

    def cmd_elect(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(LeadershipGained(registry=self.registry))

    def cmd_failover(self, args: list[str], kw: dict[str, str]) -> list[str]:
        self.master = self._new_master()
        self.streams.clear()
        self.aliases.clear()
        return self._step(LeadershipGained(registry=self.registry))

    def cmd_tick(self, args: list[str], kw: dict[str, str]) -> list[str]:
        end = self.now + float(args[0])
        lines: list[str] = []
        while True:
            due = sorted((at, key) for key, at in self.timers.items() if at <= end)
            if not due:
                break
            at, key = due[0]
            del self.timers[key]
            self.now = max(self.now, at)
            out = self._step(TimerFired(key=key))
            if out:
                lines.append(f"@{self.now:g} {' '.join(key)}")
                lines += out
        self.now = end
        return lines

    # schedulers
    def cmd_subscribe(self, args: list[str], kw: dict[str, str]) -> list[str]:
        alias = args[0]
        caps = frozenset(Capability[c] for c in kw.get("caps", "").split(",") if c)
        info = FrameworkInfo(
            user="user", name=kw.get("name", alias), id=kw.get("id"),
            roles=tuple(kw.get("roles", "*").split(",")) if kw.get("roles", "*") else (),
            failover_timeout=float(kw.get("failover_timeout", 0)), capabilities=caps,
            principal=kw.get("principal"))
        suppressed = tuple(r for r in kw.get("suppressed", "").split(",") if r)
        stream = self.streams.get(kw["stream"], kw["stream"]) if "stream" in kw else None
        return self._call(alias, CallSubscribe(framework_info=info, suppressed_roles=suppressed),
                          stream=stream, framework_id=info.id)

    def _offer_ids(self, args: list[str]) -> tuple[str, ...]:
        return tuple(a if "-" in a else f"m{self.generation}-{a}" for a in args)

    def cmd_accept(self, args: list[str], kw: dict[str, str]) -> list[str]:
        alias, offers = args[0], self._offer_ids([a for a in args[1:]
                                                  if a not in ("both", "neither", "group")])
        first = self.master.offers.get(offers[0]) if offers else None
        agent_id = kw.get("agent") or (first.agent_id if first else "unknown-agent")
        res = Resources.parse(kw.get("res", DEFAULT_TASK_RES)) if kw.get("res", "x") else Resources()
        fid = self.framework_of.get(alias, "")
        executor = None
        if "executor" in kw:
            executor = ExecutorInfo(executor_id=kw["executor"], command=CommandInfo(value="exec"),
                                    resources=Resources.parse(kw.get("executor_res", "cpus:0.1;mem:32")),
                                    type="DEFAULT" if "group" in args else "CUSTOM")
        tasks = []
        for tid in kw.get("task", "t1").split(","):
            command = CommandInfo(value="sleep 1000")
            if "neither" in args:
                command = None
            tasks.append(TaskInfo(
                name=tid, task_id=tid, agent_id=agent_id, resources=res,
                command=None if (executor is not None and "both" not in args) else command,
                executor=executor if "group" not in args else None))
        if "reserve" in kw:  # a RESERVE of these resources for the framework's role
            fw = self.master._frameworks.get(self.framework_of.get(alias, ""))
            role = fw.info.roles[0] if fw is not None and fw.info.roles else "*"
            principal = fw.info.principal if fw is not None else None
            reserved = Resources.parse(kw["reserve"]).push_reservation(
                Reservation(type="DYNAMIC", role=role, principal=principal))
            ops: tuple[Any, ...] = (OpReserve(resources=reserved),)
        elif "group" in args:
            assert executor is not None, "accept ... group needs executor=E"
            ops = (OpLaunchGroup(executor=executor, tasks=tuple(tasks)),)
        else:
            ops = (OpLaunch(task_infos=tuple(tasks)),)
        del fid
        filters = Filters(refuse_seconds=float(kw.get("refuse", 5.0)))
        return self._call(alias, CallAccept(offer_ids=offers, operations=ops, filters=filters))

    def cmd_decline(self, args: list[str], kw: dict[str, str]) -> list[str]:
        filters = Filters(refuse_seconds=float(kw.get("refuse", 5.0)))
        return self._call(args[0], CallDecline(offer_ids=self._offer_ids(args[1:]),
                                               filters=filters))

    def cmd_revive(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallRevive(roles=tuple(args[1:])))

    def cmd_suppress(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallSuppress(roles=tuple(args[1:])))

    def cmd_teardown(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallTeardown())

    def cmd_kill(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallKill(task_id=args[1], agent_id=kw.get("agent")))

    def cmd_shutdown(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallShutdown(executor_id=args[1], agent_id=args[2]))

    def cmd_message(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallMessage(agent_id=args[1], executor_id=args[2],
                                               data=args[3].encode()))

    def cmd_ack(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._call(args[0], CallAcknowledge(agent_id=args[1], task_id=args[2],
                                                   uuid=uuid_of(args[3])))

    def cmd_reconcile(self, args: list[str], kw: dict[str, str]) -> list[str]:
        tasks = []
        for a in args[1:]:
            tid, _, aid = a.partition("@")
            tasks.append((tid, aid or None))
        return self._call(args[0], CallReconcile(tasks=tuple(tasks)))

    def cmd_call(self, args: list[str], kw: dict[str, str]) -> list[str]:
        alias, kind = args[0], args[1]
        if kind == "no_framework_id":
            return self._call(alias, CallRevive(), framework_id=None)
        if kind == "bad_uuid":
            return self._call(alias, CallAcknowledge(agent_id="a", task_id="t", uuid=b"short"))
        if kind == "no_stream":
            return self._call(alias, CallRevive(), stream=None)
        if kind == "wrong_stream":
            return self._call(alias, CallRevive(), stream="not-the-stream")
        raise ValueError(f"unknown malformed call {kind!r}")

    def cmd_disconnect(self, args: list[str], kw: dict[str, str]) -> list[str]:
        peer = self.streams.get(args[0], args[0])
        return self._step(Disconnected(peer=peer))

    # agents
    def _agent_info(self, kw: dict[str, str], agent_id: str | None = None) -> AgentInfo:
        attrs_ = Attribute.parse_many(kw["attrs"]) if "attrs" in kw else ()
        return AgentInfo(hostname=kw.get("host", "h"), id=agent_id,
                         resources=Resources.parse(kw.get("res", DEFAULT_AGENT_RES)),
                         attributes=attrs_)

    def cmd_register(self, args: list[str], kw: dict[str, str]) -> list[str]:
        kw.setdefault("host", args[0].replace("a", "h", 1))
        msg = RegisterAgent(agent_info=self._agent_info(kw))
        if "version" in kw:
            msg = attrs.evolve(msg, version=kw["version"])
        return self._step(Received(sender=args[0], message=msg))

    def cmd_reregister(self, args: list[str], kw: dict[str, str]) -> list[str]:
        kw.setdefault("host", args[0].replace("a", "h", 1))
        aid = kw["id"]
        aware = set(kw.get("aware", "").split(","))
        records = []
        fids: dict[str, None] = {}
        for spec in filter(None, kw.get("tasks", "").split(",")):
            parts = spec.split("/")
            fid, tid, state = parts[0], parts[1], _state(parts[2])
            unacked = _state(parts[3]) if len(parts) > 3 else None
            uuid = uuid_of(parts[4]) if len(parts) > 4 else (
                uuid_of(f"{tid}-{unacked.name[5:].lower()}"[:16]) if unacked else None)
            fids[fid] = None
            records.append(TaskRecord(
                framework_id=fid, executor_id="",
                task=TaskInfo(name=tid, task_id=tid, agent_id=aid,
                              resources=Resources.parse(kw.get("task_res", DEFAULT_TASK_RES)),
                              command=CommandInfo(value="sleep 1000")),
                state=state, status_update_state=unacked, status_update_uuid=uuid))
        executors = []
        for spec in filter(None, kw.get("executors", "").split(",")):
            fid, eid = spec.split("/")
            fids[fid] = None
            executors.append(ExecutorInfo(executor_id=eid, framework_id=fid,
                                          command=CommandInfo(value="exec"),
                                          resources=Resources.parse("cpus:0.1;mem:32")))
        checkpointing = set(kw.get("checkpoint", "").split(","))
        frameworks = tuple(FrameworkInfo(
            user="user", name=kw.get(f"name_{fid}", fid), id=fid,
            failover_timeout=float(kw.get(f"failover_timeout_{fid}", 0)),
            checkpoint=fid in checkpointing,
            capabilities=frozenset({Capability.PARTITION_AWARE}) if fid in aware else frozenset())
            for fid in fids)
        msg = ReregisterAgent(agent_info=self._agent_info(kw, aid), tasks=tuple(records),
                              executor_infos=tuple(executors), frameworks=frameworks)
        if "version" in kw:
            msg = attrs.evolve(msg, version=kw["version"])
        return self._step(Received(sender=args[0], message=msg))

    def cmd_update(self, args: list[str], kw: dict[str, str]) -> list[str]:
        agent, fid, tid, state, label = args[:5]
        source = Source[f"SOURCE_{kw.get('source', 'EXECUTOR')}"]
        uuid = uuid_of(label)
        status = TaskStatus(task_id=tid, state=_state(state), source=source, uuid=uuid,
                            timestamp=self.now)
        latest = _state(kw["latest"]) if "latest" in kw else None
        msg = StatusUpdateMessage(update=StatusUpdate(framework_id=fid, status=status, uuid=uuid,
                                                      latest_state=latest))
        return self._step(Received(sender=agent, message=msg))

    def cmd_exited(self, args: list[str], kw: dict[str, str]) -> list[str]:
        agent, fid, eid = args[:3]
        aid = self.master._pids.get(agent, "unknown")
        return self._step(Received(sender=agent, message=ExitedExecutor(
            agent_id=aid, framework_id=fid, executor_id=eid, status=int(kw.get("status", 0)))))

    def cmd_fwinfo(self, args: list[str], kw: dict[str, str]) -> list[str]:
        """fwinfo FID: the FrameworkInfo the master holds (name, failover_timeout, checkpoint)."""
        fw = self.master._frameworks.get(args[0])
        if fw is None:
            return [f"framework {args[0]} unknown"]
        i = fw.info
        line = (f"framework {i.id} name={i.name} failover_timeout={i.failover_timeout:g} "
                f"checkpoint={str(i.checkpoint).lower()}")
        return [line]

    def cmd_emsg(self, args: list[str], kw: dict[str, str]) -> list[str]:
        """emsg AGENT FID EID DATA: an executor's message to its framework, via its agent."""
        agent, fid, eid, data = args[:4]
        aid = self.master._pids.get(agent, "unknown")
        return self._step(Received(sender=agent, message=ExecutorToFramework(
            agent_id=aid, framework_id=fid, executor_id=eid, data=data.encode())))

    def cmd_pong(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._step(Received(sender=args[0], message=Pong()))

    def cmd_unregister(self, args: list[str], kw: dict[str, str]) -> list[str]:
        aid = self.master._pids.get(args[0], "unknown")
        return self._step(Received(sender=args[0], message=UnregisterAgent(agent_id=aid)))
