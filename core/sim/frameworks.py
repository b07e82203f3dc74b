"""Scripted frameworks: the applications that sit on a `SchedulerDriver` in the simulator.

Each app receives the driver's `Notify` events and answers with actions:
`("call", call)` (performed through the driver), `("timer", delay, tag)` (an app timer),
`("note", text)` (a line for the timeline, e.g. why it declined).

- `batch`: runs N tasks to completion (a failed/lost task is re-run under a new id), then
  suppresses its offers.
- `service`: keeps K tasks running, relaunching on any terminal state.
- `gang`: needs M tasks at once: launches all M from one batch of offers or declines them
  all ("gang needs M"); runs R rounds.
- `adversarial`: hoards offers, acknowledges late or never, kills at random, reconciles
  constantly, accepts offers that were rescinded or that it already used (stale), and now
  and then tears itself down and comes back as a new framework.
- `service` also restarts an instance now and then (KILL, relaunched on its terminal
  update).
- `service` (and `batch`) now and then crash right after sending an ACCEPT (a scheduler
  failover in the middle of a launch): the app keeps its state, re-subscribes with the same
  framework id and reconciles the tasks it launched.

Actions besides calls, timers and notes: `("teardown",)` (the driver sends TEARDOWN and
stops; the app comes back later as a NEW framework) and `("crash", delay)` (the scheduler
process dies now and restarts after `delay`).

- `reserver`: dynamically reserves part of each agent for its role with RESERVE operations
  that carry ids (acknowledging their OPERATION_FINISHED, reconciling the ones it hears
  nothing of), and runs its tasks on the reserved resources (issue 18's workload).

Apps keep their state across scheduler failovers (a real framework persists it), so a new
driver subscribes with the same framework id and reconciles. Every random choice comes from
the world's seeded RNG.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallRevive,
    CallShutdown,
    CallSuppress,
    EventOffers,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
    OpLaunchGroup,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, ExecutorInfo, Filters, TaskInfo, TaskState

KINDS = ("batch", "service", "gang", "adversarial")
ROLES = {"batch": "analytics", "service": "web", "gang": "ml", "adversarial": "chaos",
         "reserver": "resv"}
TASK_RESOURCES = {
    "reserver": "cpus:0.5;mem:64",
    "batch": "cpus:1;mem:128",  # cpu-heavy
    "service": "cpus:0.25;mem:512",  # memory-heavy
    "gang": "cpus:0.5;mem:256",
    "adversarial": "cpus:0.25;mem:64",
    "multirole": "cpus:0.5;mem:128",  # s18 drivel
}

Action = tuple[Any, ...]


class App:
    kind = "app"

    def __init__(self, name: str, rng: random.Random, *, role: str | None = None) -> None:
        self.name = name
        self.rng = rng
        self.role = role or ROLES[self.kind]
        self.need = Resources.parse(TASK_RESOURCES[self.kind]).allocate(self.role)
        self.framework_id: str | None = None
        self.health_check: Any = None  # set by the world with SimConfig.health
        self.odd_ids = False  # s17 killa: set by the world with SimConfig.odd_ids
        self.misuse = False  # s18 drivem: set by the world with SimConfig.sched_misuse
        self.edges = False  # s19 kmast3: set by the world with SimConfig.master_edges
        self.running: dict[str, float] = {}  # task id -> last news time
        # task id -> (agent id, executor id) from its updates (the last 40 tasks)
        self.task_exec: dict[str, tuple[str, str]] = {}
        self.launched = 0
        self.finished = 0
        self.failed = 0
        self.next_task = 0
        self.suppressed = False
        self.subscribed = False
        self.offers_received = 0
        self.acks = True  # acknowledges its updates (liveness: EventuallyAcked applies)
        self.suppress_when_idle = True
        # whether the world keeps a timeline of notes (World.build sets it): a decline's
        # note (the offer's resources as text) is only worded for a timeline
        self.notes = True
        self.chain = 0
        self.last_state: dict[str, TaskState] = {}
        self.crash_mid_launch_p = 0.0  # chance to crash right after an ACCEPT
        self.task_agent: dict[str, str] = {}  # task id -> the agent it was launched on
        self.changed: dict[str, float] = {}  # task id -> when its state last changed (for it)

    def torn_down(self) -> None:
        """After a TEARDOWN: the next subscription is a new framework with no tasks."""
        self.framework_id = None
        self.subscribed = False
        self.running = {}
        self.last_state = {}
        self.suppressed = False

    # ------------------------------------------------------------------ policy hooks
    def wanted(self) -> int:
        """How many more tasks it would launch now."""
        return 0

    def duration(self) -> tuple[float, int]:
        return (self.rng.uniform(2.0, 40.0), 0 if self.rng.random() < 0.85 else 1)

    def hungry(self) -> bool:
        return self.wanted() > 0 and not self.suppressed

    # ------------------------------------------------------------------ events
    def on_event(self, now: float, event: Any) -> list[Action]:
        t = type(event)
        if t is EventOffers:
            self.offers_received += 1
            return self.on_offers(now, event.offers)
        if t is EventUpdate:
            return self.on_update(now, event.status)
        if t is EventSubscribed:
            self.framework_id = event.framework_id
            self.subscribed = True
            self.chain += 1  # one periodic chain at a time (the latest subscription's)
            out: list[Action] = [("timer", 120.0, ("reconcile", self.chain))]
            # re-assert the offer state: a suppress/revive may have been lost on the way
            out.append(("call", self.suppress_call() if self.suppressed
                        else CallRevive(roles=(self.role,))))
            return out
        if t is EventRescind:
            return []
        if type(event).__name__ == "SchedulerDisconnected":
            self.subscribed = False
        return []

    def on_timer(self, now: float, tag: str) -> list[Action]:
        if isinstance(tag, tuple) and tag[0] == "reconcile":
            if tag[1] != self.chain:
                return []
            # explicit reconciliation of tasks without news for a while (lost launches)
            stale = sorted(t for t, seen in self.running.items() if now - seen > 300.0)
            out: list[Action] = [("timer", 120.0, tag)]
            if stale and self.subscribed:
                # with the agent id (as Mesos advises): a task unknown on a registered agent
                # is answered TASK_GONE, not TASK_UNKNOWN
                out.append(("call", CallReconcile(tasks=tuple((t, self.task_agent.get(t))
                                                              for t in stale[:20]))))
            if self.subscribed and not self.suppressed and self.wanted() > 0:
                out.append(("call", CallRevive(roles=(self.role,))))  # demand: revive
            return out
        return []

    def on_update(self, now: float, status: Any) -> list[Action]:
        tid = status.task_id
        if status.executor_id and status.agent_id:
            # where the task runs (s16: the adversarial framework messages its executors)
            self.task_exec[tid] = (status.agent_id, status.executor_id)
            if len(self.task_exec) > 40:
                del self.task_exec[next(iter(self.task_exec))]
        if self.last_state.get(tid) is not status.state:
            self.changed[tid] = now
        self.last_state[tid] = status.state
        if tid in self.running:
            if status.state.is_terminal:
                del self.running[tid]
                if status.state is TaskState.TASK_FINISHED:
                    self.finished += 1
                else:
                    self.failed += 1
                return self.after_terminal(now)
            self.running[tid] = now
        return []

    def after_terminal(self, now: float) -> list[Action]:
        if self.suppressed and self.wanted() > 0:
            self.suppressed = False
            return [("call", CallRevive(roles=(self.role,)))]
        return []

    # ------------------------------------------------------------------ offers
    def new_task(self, now: float, agent_id: str) -> TaskInfo:
        self.next_task += 1
        tid = f"{self.name}.t{self.next_task}"
        if self.odd_ids and self.next_task % 3 == 0:  # s17 killa (no random draw)
            tid = odd_task_id(tid, self.next_task // 3)
        d, code = self.duration()
        self.running[tid] = now
        self.task_agent[tid] = agent_id
        self.launched += 1
        return TaskInfo(name=tid, task_id=tid, agent_id=agent_id, resources=self.need,
                        command=CommandInfo(value=f"sleep {d:.1f} && exit {code}"),
                        health_check=self.health_check)

    def on_offers(self, now: float, offers: tuple[Any, ...]) -> list[Action]:
        out: list[Action] = []
        want = self.wanted()
        for offer in offers:
            avail = offer.resources
            tasks = []
            while want > 0 and avail.contains(self.need):
                tasks.append(self.new_task(now, offer.agent_id))
                avail = avail - self.need
                want -= 1
            if tasks:
                out.append(("call", CallAccept(offer_ids=(offer.id,),
                                               operations=(OpLaunch(task_infos=tuple(tasks)),),
                                               filters=Filters(refuse_seconds=5.0))))
                out.append(("note", f"launches {len(tasks)} on {offer.agent_id}"))
                if self.crash_mid_launch_p and self.rng.random() < self.crash_mid_launch_p:
                    out.append(("note", "crashes right after its ACCEPT (failover mid-launch)"))
                    out.append(("crash", self.rng.uniform(1.0, 20.0)))
                    return out
            else:
                refuse = self.rng.choice((5.0, 30.0, 120.0))
                out.append(("call", CallDecline(offer_ids=(offer.id,),
                                                filters=Filters(refuse_seconds=refuse))))
                if self.notes:
                    out.append(("note", (f"declines {offer.id} for {refuse:g}s: "
                                        f"{self.decline_reason(offer)}")))
        if self.wanted() == 0 and not self.suppressed and self.suppress_when_idle:
            # no demand: suppress (revived when a task ends and demand returns), as
            # well-behaved frameworks do instead of declining every offer
            self.suppressed = True
            out.append(("call", self.suppress_call()))
            out.append(("note", "has no demand: suppresses offers" if not self.done()
                        else "is done: suppresses offers"))
        return out

    def decline_reason(self, offer: Any) -> str:
        if self.wanted() == 0:
            return "no demand"
        return f"offer too small for {self.need.unallocate()}"

    def done(self) -> bool:
        return False

    def suppress_call(self) -> CallSuppress:
        """SUPPRESS of its role while it may want offers again; once done, of ALL its roles
        (a SUPPRESS naming no role, as a finished Mesos framework sends)."""
        return CallSuppress(roles=() if self.done() else (self.role,))

    def describe(self) -> str:
        return (f"{self.kind} {self.name} fw={self.framework_id} running={len(self.running)} "
                f"launched={self.launched} finished={self.finished} failed={self.failed}")


class Batch(App):
    kind = "batch"

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, **kw)
        self.total = rng.randint(20, 80)
        self.width = rng.randint(4, 16)
        self.crash_mid_launch_p = 0.01

    def wanted(self) -> int:
        left = self.total - self.finished - len(self.running)
        return max(0, min(left, self.width - len(self.running)))

    def done(self) -> bool:
        return self.finished >= self.total


class Service(App):
    kind = "service"

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, **kw)
        self.k = rng.randint(3, 8)
        self.crash_mid_launch_p = 0.03

    def duration(self) -> tuple[float, int]:
        # long-running instances that sometimes crash
        return (self.rng.uniform(60.0, 600.0), 1)

    def wanted(self) -> int:
        return max(0, self.k - len(self.running))

    def on_timer(self, now: float, tag: Any) -> list[Action]:
        out = super().on_timer(now, tag)
        if isinstance(tag, tuple) and tag[0] == "reconcile" and tag[1] == self.chain \
                and self.subscribed and self.running and self.rng.random() < 0.3:
            # a rolling restart: kill one instance (relaunched when its terminal update
            # arrives)
            victim = self.rng.choice(sorted(self.running))
            out.append(("call", CallKill(task_id=victim)))
            out.append(("note", f"restarts {victim}: kills it"))
        return out


class Gang(App):
    kind = "gang"

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, **kw)
        self.m = rng.randint(3, 6)
        self.rounds = rng.randint(2, 6)
        self.round = 0

    def wanted(self) -> int:
        if self.running or self.round >= self.rounds:
            return 0
        return self.m

    def done(self) -> bool:
        return self.round >= self.rounds

    def on_offers(self, now: float, offers: tuple[Any, ...]) -> list[Action]:
        want = self.wanted()
        fits: list[tuple[Any, int]] = []
        total = 0
        for offer in offers:
            n, avail = 0, offer.resources
            while avail.contains(self.need) and total + n < want:
                avail = avail - self.need
                n += 1
            fits.append((offer, n))
            total += n
        out: list[Action] = []
        if want > 0 and total >= want:
            self.round += 1
            for offer, n in fits:
                if n == 0:
                    out.append(("call", CallDecline(offer_ids=(offer.id,),
                                                    filters=Filters(refuse_seconds=1.0))))
                    continue
                tasks = tuple(self.new_task(now, offer.agent_id) for _ in range(n))
                out.append(("call", CallAccept(offer_ids=(offer.id,),
                                               operations=(OpLaunch(task_infos=tasks),),
                                               filters=Filters(refuse_seconds=5.0))))
            out.append(("note", f"gang round {self.round}: launches {want} tasks at once"))
            return out
        for offer in offers:
            out.append(("call", CallDecline(offer_ids=(offer.id,),
                                            filters=Filters(refuse_seconds=2.0))))
        reason = (f"gang needs {want} at once, offers fit {total}" if want
                  else "gang is waiting for its round to finish")
        out.append(("note", f"declines {len(offers)} offers for 2s: {reason}"))
        if want == 0 and not self.suppressed:
            self.suppressed = True  # revived when the round is over
            out.append(("call", self.suppress_call()))
        return out

    def hungry(self) -> bool:
        return False  # declines by design; EventuallyOffered does not apply


class Adversarial(App):
    kind = "adversarial"

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, **kw)
        self.acks = False
        self.suppress_when_idle = False
        self.hoard_p = rng.uniform(0.2, 0.6)
        self.old_offers: list[Any] = []  # offers it received (some rescinded or used since)
        # offers it hoards and still holds (not declined, used or rescinded), oldest first
        self.held: dict[str, Any] = {}
        # s16 kdrive: a custom executor's own resources (taken out of its task's)
        self.custom_need = Resources.parse("mem:16").allocate(self.role)
        # s18 drivem: the tasks it sent with an ExecutorInfo it knew incompatible with the
        # running executor of that id (reuse_executor)
        self.incompatible: set[str] = set()

    def wanted(self) -> int:
        return max(0, 6 - len(self.running))

    def hungry(self) -> bool:
        return False

    def on_event(self, now: float, event: Any) -> list[Action]:
        out = super().on_event(now, event)
        if type(event) is EventSubscribed:
            self.held = {}  # offers do not outlive the subscription they were made on
            out += [("timer", self.rng.uniform(1, 5), ("chaos", self.chain))]
        elif type(event) is EventRescind:
            self.held.pop(event.offer_id, None)
        return out

    def new_task(self, now: float, agent_id: str) -> TaskInfo:
        task = super().new_task(now, agent_id)
        crc = zlib.crc32(task.task_id.encode())
        if self.misuse and crc % 4 == 1:
            reused = self.reuse_executor(task, agent_id, crc)
            if reused is not None:
                return reused
        if crc % 4 == 1:
            # s16 kdrive: a task under a custom executor of its own (type CUSTOM, with a
            # program of its own that runs the command the task carries in its data; a part
            # of the task's resources go to the executor): CustomExecutorsRun
            task = TaskInfo(name=task.name, task_id=task.task_id, agent_id=agent_id,
                            resources=self.need - self.custom_need,
                            data=(task.command.value or "").encode() if task.command else b"",
                            health_check=task.health_check,
                            executor=ExecutorInfo(
                                executor_id=f"{task.task_id}.x", type="CUSTOM",
                                command=CommandInfo(value=CUSTOM_EXECUTOR_PROGRAM, shell=False),
                                resources=self.custom_need, name=f"custom {task.task_id}"))
        elif self.misuse and zlib.crc32(task.task_id.encode()) % 7 == 3 and task.command:
            # s18 drivem: a command task under a user the operator's ACLs let nobody run
            # tasks as (the master answers TASK_ERROR, REASON_TASK_UNAUTHORIZED)
            task = TaskInfo(name=task.name, task_id=task.task_id, agent_id=agent_id,
                            resources=task.resources, health_check=task.health_check,
                            command=CommandInfo(value=task.command.value, user=DENIED_USER))
        return task

    def reuse_executor(self, task: TaskInfo, agent_id: str, crc: int) -> TaskInfo | None:
        """s18 drivem (SimConfig.sched_misuse): a task under the custom executor of one of its
        live tasks on that agent (the same executor id): with the very same ExecutorInfo
        (the executor runs it too), or every other time with another command (Mesos refuses
        it: TASK_ERROR, the ExecutorInfo is not compatible). None: no such executor."""
        live = sorted(ex for t, (a, ex) in self.task_exec.items()
                      if a == agent_id and t in self.running and ex.endswith(".x"))
        if not live:
            return None
        eid = live[crc % len(live)]
        program = CUSTOM_EXECUTOR_PROGRAM
        if crc % 8 == 5:
            program += " --v2"
            self.incompatible.add(task.task_id)
        return TaskInfo(name=task.name, task_id=task.task_id, agent_id=agent_id,
                        resources=self.need - self.custom_need,
                        data=(task.command.value or "").encode() if task.command else b"",
                        health_check=task.health_check,
                        executor=ExecutorInfo(
                            executor_id=eid, type="CUSTOM",
                            command=CommandInfo(value=program, shell=False),
                            resources=self.custom_need, name=f"custom {eid[:-2]}"))

    def on_offers(self, now: float, offers: tuple[Any, ...]) -> list[Action]:
        for o in offers:
            self.old_offers.append(o)
        del self.old_offers[:-20]
        if self.rng.random() < self.hoard_p:
            out: list[Action] = [("note", f"hoards {len(offers)} offers")]
            for o in offers:
                self.held[o.id] = o
            if self.rng.random() < 0.5:
                ids = tuple(o.id for o in offers)
                out.append(("timer", self.rng.uniform(10, 120), ("decline", ids)))
            return out
        return super().on_offers(now, offers)

    def on_update(self, now: float, status: Any) -> list[Action]:
        out = super().on_update(now, status)
        if status.uuid is not None and status.agent_id:
            r = self.rng.random()
            ack = CallAcknowledge(agent_id=status.agent_id, task_id=status.task_id,
                                  uuid=status.uuid)
            if r < 0.5:
                out.append(("call", ack))
            elif r < 0.9:
                out.append(("timer", self.rng.uniform(1, 90), ("ack", ack)))
            # else: never acknowledged
        return out

    def on_timer(self, now: float, tag: Any) -> list[Action]:
        if isinstance(tag, tuple):
            if tag[0] == "ack":
                return [("call", tag[1])] if self.subscribed else []
            if tag[0] == "decline":
                for oid in tag[1]:
                    self.held.pop(oid, None)
                return [("call", CallDecline(offer_ids=tag[1], filters=Filters()))] \
                    if self.subscribed else []
        if isinstance(tag, tuple) and tag[0] == "chaos":
            if tag[1] != self.chain:
                return []
            out: list[Action] = [("timer", self.rng.uniform(2, 10), tag)]
            if not self.subscribed:
                return out
            r = self.rng.random()
            if self.misuse and 0.03 <= r < 0.07:
                # s18 drivem: the scheduler dies and stays away longer than its (short)
                # failover timeout: the master removes the framework, and the restarted
                # scheduler hears "Framework has been removed" (comes back as a new one)
                out.append(("note", "crashes and stays away past its failover timeout"))
                out.append(("crash", MISUSE_FAILOVER_TIMEOUT + 40.0))
                return out
            if self.misuse and 0.07 <= r < 0.12:
                # s18 drivem: the scheduler dies with its connection half-open and is back
                # before the master notices (a failover onto a new connection)
                out.append(("note", "dies; its connection stays half-open"))
                out.append(("vanish", 8.0))
                return out
            if r < 0.03:
                out.append(("note", "tears itself down (comes back as a new framework)"))
                out.append(("teardown",))
                return out
            if r < 0.15 and self.old_offers:
                # a stale or rescinded offer: the master must refuse it (TASK_DROPPED/LOST)
                o = self.rng.choice(self.old_offers)
                by_agent: dict[str, list[str]] = {}
                for oid, h in self.held.items():
                    by_agent.setdefault(h.agent_id, []).append(oid)
                pairs = sorted((a, ids) for a, ids in by_agent.items() if len(ids) >= 2)
                if pairs and self.launched % 2 == 0:
                    # aggregated offers (Mesos allows several offers of one agent in one
                    # ACCEPT): all still held, so the master must take them
                    agent, ids = pairs[0]
                    for oid in ids:
                        del self.held[oid]
                    task = self.new_task(now, agent)
                    out.append(("call", CallAccept(offer_ids=tuple(ids),
                                                   operations=(OpLaunch(task_infos=(task,)),))))
                    out.append(("note", f"accepts {len(ids)} held offers of {agent} at once"))
                    return out
                if len(by_agent) >= 2 and self.launched % 2 == 1:
                    # hostile: held offers of two agents in one ACCEPT (the master must
                    # refuse it: TASK_DROPPED, invalid offers; the offers go back)
                    a1, a2 = sorted(by_agent)[:2]
                    ids = [by_agent[a1][0], by_agent[a2][0]]
                    for oid in ids:
                        del self.held[oid]
                    task = self.new_task(now, a1)
                    out.append(("call", CallAccept(offer_ids=tuple(ids),
                                                   operations=(OpLaunch(task_infos=(task,)),))))
                    out.append(("note", f"accepts offers of two agents at once {ids}"))
                    return out
                self.held.pop(o.id, None)
                task = self.new_task(now, o.agent_id)
                out.append(("call", CallAccept(offer_ids=(o.id,),
                                               operations=(OpLaunch(task_infos=(task,)),))))
                out.append(("note", f"accepts old offer {o.id}"))
                return out
            if r < 0.3 and self.running:
                victim = self.rng.choice(sorted(self.running))
                # s16 kdrive: a KILL that names an agent (no new draw: a hash of the task id):
                # the task's own agent, or another agent it was offered (Mesos ignores a kill
                # naming another agent than the task's: KillsReachTheirAgent)
                where = None
                pick = zlib.crc32(victim.encode()) % 4
                if pick == 0:
                    where = self.task_agent.get(victim)
                elif pick == 1:
                    where = next((o.agent_id for o in reversed(self.old_offers)
                                  if o.agent_id != self.task_agent.get(victim)), None)
                out.append(("call", CallKill(task_id=victim, agent_id=where)))
                out.append(("note", f"kills {victim} at random"
                            + (f" naming agent {where}" if where else "")))
            elif r < 0.8:
                known = sorted(self.running)[:5]
                n = self.rng.randint(0, 99)
                ghost = f"{self.name}.ghost{n}"
                # an odd ghost names an agent it was offered (answered TASK_GONE by a
                # registered agent, deferred while that agent recovers after a failover)
                where = self.old_offers[-1].agent_id if n % 2 and self.old_offers else None
                out.append(("call", CallReconcile(tasks=tuple((t, None) for t in known)
                                                  + ((ghost, where),))))
                if n % 10 == 0 and self.held:
                    # a buggy client: a LAUNCH of something that is not a TaskInfo, on an
                    # offer it holds (refused 400; the offer stays its own)
                    oid = next(iter(self.held))
                    out.append(("call", CallAccept(offer_ids=(oid,), operations=(
                        OpLaunch(task_infos=(f"{self.name}.junk{n}",)),))))  # type: ignore[arg-type]
                    out.append(("note", f"sends a malformed ACCEPT of {oid}"))
                elif n % 10 in (3, 8) and self.task_exec:
                    # s16: a framework message (MESSAGE) to the executor of one of its tasks
                    # (the executor echoes it back: core/sim/world.py, MessagesRelayed)
                    live = sorted(t for t in self.task_exec if t in self.running) \
                        or sorted(self.task_exec)
                    agent, executor = self.task_exec[live[n % len(live)]]
                    out.append(("call", CallMessage(agent_id=agent, executor_id=executor,
                                                    data=f"{self.name}.msg{n}".encode())))
                elif n % 25 == 7 and self.task_exec:
                    # s16 kdrive: now and then a SHUTDOWN of the executor of one of its tasks
                    # (the agent shuts it down, its tasks end: ExecutorShutdownsHonoured)
                    live = sorted(t for t in self.task_exec if t in self.running) \
                        or sorted(self.task_exec)
                    agent, executor = self.task_exec[live[n % len(live)]]
                    out.append(("call", CallShutdown(agent_id=agent, executor_id=executor)))
                    out.append(("note", f"shuts down its executor {executor} on {agent}"))
                elif n % 10 == 5 and self.held:
                    # the same with a LAUNCH_GROUP (refused 400 before the group is read)
                    oid = next(iter(self.held))
                    group = OpLaunchGroup(executor=ExecutorInfo(
                        executor_id=f"{self.name}.junk{n}", type="DEFAULT"),
                        tasks=(f"{self.name}.junk{n}",))  # type: ignore[arg-type]
                    out.append(("call", CallAccept(offer_ids=(oid,), operations=(group,))))
                    out.append(("note", f"sends a malformed LAUNCH_GROUP on {oid}"))
            else:
                out.append(("call", CallReconcile()))
            return out
        return super().on_timer(now, tag)



# s17 longrun: the terminal answers a reconciliation gives an operation the master does not
# keep: OPERATION_UNKNOWN (it has no record) and OPERATION_GONE_BY_OPERATOR (its agent was
# marked gone; terminal in Mesos's `protobuf::isTerminalState(OperationState)`, unlike
# OPERATION_UNREACHABLE and OPERATION_RECOVERING). Neither replaces a status already heard.
_ANSWERED_ONLY = frozenset({"OPERATION_UNKNOWN", "OPERATION_GONE_BY_OPERATOR"})


class Reserver(App):
    """Reserves `need` (DYNAMIC, its role) on each agent once, with an operation id, and
    keeps `per_agent` tasks running on reserved resources. `ops` maps every operation id it
    sent to its last known state (None: no terminal news yet)."""

    kind = "reserver"

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, **kw)
        from mesotron.core.resources import Reservation

        self.reservation = Reservation(type="DYNAMIC", role=self.role)
        self.reserved_need = self.need.unallocate().push_reservation(self.reservation).allocate(self.role)
        self.ops: dict[str, str | None] = {}
        self.op_agent: dict[str, str] = {}
        self.op_sent: dict[str, float] = {}
        # s17 longrun: the last status heard of each operation, terminal or not
        self.op_last: dict[str, str] = {}
        self.reserving: set[str] = set()  # agents with a RESERVE in flight or done
        self.suppress_when_idle = False
        # s12: a pod (LAUNCH_GROUP of two tasks under a DEFAULT executor of its own, on
        # unreserved resources) kept running beside the reserved tasks; its tasks' ids
        self.pods = 0
        self.pod_tasks: set[str] = set()
        # s12: the agents whose reservation it gave back once (UNRESERVE, when it had nothing
        # to run there); ops it sent knowing they are invalid (a RESERVE for another role):
        # the master must answer OPERATION_ERROR (OperationFeedbackAgrees)
        self.released: set[str] = set()
        self.invalid_ops: set[str] = set()
        self.misuse_sent = 0  # s18 drivem: invalid operations sent for SimConfig.sched_misuse

    def wanted(self) -> int:
        return max(0, 2 - sum(1 for t in self.running if t not in self.pod_tasks))

    def torn_down(self) -> None:
        super().torn_down()
        self.pod_tasks = set()

    def hungry(self) -> bool:
        return False  # reservations may be gone (agent replaced): never counted as starving

    def on_event(self, now: float, event: Any) -> list[Action]:
        from mesotron.core.messages import EventUpdateOperationStatus

        if type(event) is EventUpdateOperationStatus:
            return self.on_operation(now, event.status)
        out = super().on_event(now, event)
        if type(event) is EventUpdate and event.status.state is TaskState.TASK_UNREACHABLE \
                and event.status.agent_id and self.subscribed:
            # s14 kops: an operation id it never used on the agent it just heard is
            # unreachable (the master answers OPERATION_UNREACHABLE while it holds the agent
            # so: OperationFeedbackAgrees)
            from mesotron.core.messages import CallReconcileOperations

            out.append(("call", CallReconcileOperations(operations=(
                (f"{self.name}.ghost", event.status.agent_id),))))
        if self.edges and type(event) is EventSubscribed and self.op_agent:  # s19 kmast3
            # an unknown operation on each agent it reserved on, as soon as it is subscribed
            # (to a new master, its agents may still be recovering: OPERATION_RECOVERING)
            from mesotron.core.messages import CallReconcileOperations

            out.append(("call", CallReconcileOperations(operations=tuple(
                (f"{self.name}.ghost", aid) for aid in sorted(set(self.op_agent.values()))))))
        return out

    def on_operation(self, now: float, st: Any) -> list[Action]:
        from mesotron.core.master.operations import TERMINAL
        from mesotron.core.messages import CallAcknowledgeOperationStatus

        op_id = st.operation_id
        if op_id not in self.ops:
            return []
        out: list[Action] = [("note", f"hears operation {op_id} {st.state}")]
        self.op_last[op_id] = st.state  # s17 longrun
        if st.state in _ANSWERED_ONLY and self.ops[op_id] is not None:
            pass  # a terminal status it heard (and acknowledged): the master forgot it
        elif st.state in TERMINAL or st.state in _ANSWERED_ONLY:
            self.ops[op_id] = st.state
            if st.state != "OPERATION_FINISHED":
                self.reserving.discard(self.op_agent.get(op_id, ""))  # try again later
        if st.uuid is not None and st.agent_id is not None:
            out.append(("call", CallAcknowledgeOperationStatus(
                operation_id=op_id, uuid=st.uuid, agent_id=st.agent_id)))
        return out

    def on_timer(self, now: float, tag: Any) -> list[Action]:
        from mesotron.core.messages import CallReconcileOperations

        out = super().on_timer(now, tag)
        if isinstance(tag, tuple) and tag[0] == "reconcile" and tag[1] == self.chain and self.subscribed:
            quiet = sorted(o for o, st in self.ops.items() if st is None and now - self.op_sent[o] > 60.0)
            if quiet:
                out.append(("call", CallReconcileOperations(operations=tuple(
                    (o, self.op_agent[o]) for o in quiet[:20]))))
            # s12: and the operations it already heard of (the master answers their latest
            # state, or OPERATION_UNKNOWN once acknowledged and forgotten), then an implicit
            # reconciliation (every operation the master keeps for it)
            heard = sorted(o for o, st in self.ops.items() if st is not None)[-10:]
            if heard:
                out.append(("call", CallReconcileOperations(operations=tuple(
                    (o, self.op_agent[o]) for o in heard))))
            out.append(("call", CallReconcileOperations()))
            # s13 mops: and an operation id it never used on each agent it reserved on (the
            # master answers OPERATION_UNKNOWN, or UNREACHABLE / GONE_BY_OPERATOR /
            # RECOVERING while that agent is so: OperationFeedbackAgrees)
            ghosts = sorted(set(self.op_agent.values()))
            if ghosts:
                out.append(("call", CallReconcileOperations(operations=tuple(
                    (f"{self.name}.ghost", aid) for aid in ghosts))))
        return out

    def on_offers(self, now: float, offers: tuple[Any, ...]) -> list[Action]:
        from mesotron.core.messages import OpReserve

        out: list[Action] = []
        want = self.wanted()
        for offer in offers:
            avail = offer.resources
            ops: list[Any] = []
            if offer.agent_id not in self.reserving and avail.contains(self.need):
                op_id = f"{self.name}.r{len(self.ops) + 1}"
                self.ops[op_id] = None
                self.op_agent[op_id] = offer.agent_id
                self.op_sent[op_id] = now
                self.reserving.add(offer.agent_id)
                ops.append(OpReserve(resources=self.reserved_need.unallocate(), id=op_id))
                avail = avail - self.need + self.reserved_need
            tasks = []
            while want > 0 and avail.contains(self.reserved_need):
                self.next_task += 1
                tid = f"{self.name}.t{self.next_task}"
                d, code = self.duration()
                self.running[tid] = now
                self.launched += 1
                tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=offer.agent_id,
                                      resources=self.reserved_need,
                                      command=CommandInfo(value=f"sleep {d:.1f} && exit {code}")))
                avail = avail - self.reserved_need
                want -= 1
            if tasks:
                ops.append(OpLaunch(task_infos=tuple(tasks)))
            ops += self.s12_operations(now, offer, avail, bool(tasks))
            if ops:
                out.append(("call", CallAccept(offer_ids=(offer.id,), operations=tuple(ops),
                                               filters=Filters(refuse_seconds=5.0))))
            else:
                out.append(("call", CallDecline(offer_ids=(offer.id,), filters=Filters(refuse_seconds=5.0))))
        return out


    def s12_operations(self, now: float, offer: Any, avail: Resources, launched: bool) -> list[Any]:
        """More of what a real reserving framework does (s12), deterministic (no RNG draw):
        a pod when none runs; the reservation of an agent where it runs nothing given back
        once (UNRESERVE with an id); on its 3rd and 6th operation, a RESERVE for another role,
        then for a sub-role the ACLs refuse (invalid: OPERATION_ERROR, nothing changes)."""
        from mesotron.core.messages import OpReserve, OpUnreserve
        from mesotron.core.resources import Reservation

        ops: list[Any] = []
        pod_need = POD_TASK.allocate(self.role) + POD_TASK.allocate(self.role) + POD_EXECUTOR.allocate(self.role)
        if not (self.pod_tasks & set(self.running)) and avail.contains(pod_need):
            self.pods += 1
            tasks = []
            # s18 drivem: every third pod's tasks run as a user the ACLs deny (the master
            # answers each TASK_ERROR, REASON_TASK_GROUP_UNAUTHORIZED)
            user = DENIED_USER if self.misuse and self.pods % 3 == 2 else None
            for part in ("a", "b"):
                tid = f"{self.name}.p{self.pods}{part}"
                d, code = self.duration()
                self.running[tid] = now
                self.task_agent[tid] = offer.agent_id
                self.pod_tasks.add(tid)
                self.launched += 1
                tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=offer.agent_id,
                                      resources=POD_TASK.allocate(self.role),
                                      command=CommandInfo(value=f"sleep {d:.1f} && exit {code}",
                                                          user=user)))
            ops.append(OpLaunchGroup(executor=ExecutorInfo(
                executor_id=f"{self.name}.pod{self.pods}", type="DEFAULT",
                resources=POD_EXECUTOR.allocate(self.role)), tasks=tuple(tasks)))
            avail = avail - pod_need
        if not launched and offer.agent_id in self.reserving and offer.agent_id not in self.released \
                and avail.contains(self.reserved_need) and self.wanted() == 0 \
                and all(st is not None for o, st in self.ops.items() if self.op_agent[o] == offer.agent_id):
            op_id = f"{self.name}.u{len(self.ops) + 1}"
            self.ops[op_id] = None
            self.op_agent[op_id] = offer.agent_id
            self.op_sent[op_id] = now
            self.released.add(offer.agent_id)
            self.reserving.discard(offer.agent_id)  # reserved again on a later offer
            ops.append(OpUnreserve(resources=self.reserved_need.unallocate(), id=op_id))
        elif (len(self.ops) - self.misuse_sent, len(self.invalid_ops) - self.misuse_sent) in ((2, 0), (5, 1)):
            # a RESERVE for another role (Mesos's validation refuses it), then one for a
            # sub-role of its own that the operator run's --acls do not let it reserve for
            op_id = f"{self.name}.x{len(self.ops) + 1}"
            self.ops[op_id] = None
            self.op_agent[op_id] = offer.agent_id
            self.op_sent[op_id] = now
            other = Reservation(type="DYNAMIC", role="web" if not self.invalid_ops else f"{self.role}/sub")
            self.invalid_ops.add(op_id)
            ops.append(OpReserve(resources=Resources.parse("cpus:0.1").push_reservation(other), id=op_id))
        elif (len(self.ops) - self.misuse_sent, len(self.invalid_ops) - self.misuse_sent) == (8, 2):
            # s13 mops: an UNRESERVE of a reservation no offer holds (a sub-role of its own
            # that it never reserved for: not in the offered resources, OPERATION_ERROR)
            op_id = f"{self.name}.x{len(self.ops) + 1}"
            self.ops[op_id] = None
            self.op_agent[op_id] = offer.agent_id
            self.op_sent[op_id] = now
            self.invalid_ops.add(op_id)
            ops.append(OpUnreserve(resources=Resources.parse("cpus:0.1").push_reservation(
                Reservation(type="DYNAMIC", role=f"{self.role}/never")), id=op_id))
        if self.misuse and self.misuse_sent < 3 and len(self.ops) >= 3 * (self.misuse_sent + 1):
            # s18 drivem: resources that are not dynamically reserved in a RESERVE (none
            # pushed, then a STATIC one) and in an UNRESERVE: Mesos's validation refuses
            # each (OPERATION_ERROR, nothing changes: OperationFeedbackAgrees)
            op_id = f"{self.name}.m{len(self.ops) + 1}"
            self.ops[op_id] = None
            self.op_agent[op_id] = offer.agent_id
            self.op_sent[op_id] = now
            self.invalid_ops.add(op_id)
            plain = Resources.parse("cpus:0.1")
            kind = self.misuse_sent
            self.misuse_sent += 1
            if kind == 0:
                ops.append(OpReserve(resources=plain, id=op_id))
            elif kind == 1:
                ops.append(OpUnreserve(resources=plain, id=op_id))
            else:
                ops.append(OpReserve(resources=plain.push_reservation(
                    Reservation(type="STATIC", role=self.role)), id=op_id))
        return ops


# s18 drivem (SimConfig.sched_misuse): the user the operator run's ACLs let no principal run
# tasks as (core/sim/world.py sim_acls), and the adversarial schedulers' failover timeout
# (plus the incarnation number)
DENIED_USER = "root"
MISUSE_FAILOVER_TIMEOUT = 30.0

# s16 kdrive: the program of the adversarial framework's custom executors (core/sim/world.py
# runs it: the built-in executor, each task's command coming in its TaskInfo.data)
CUSTOM_EXECUTOR_PROGRAM = "mesotron-sim-custom-executor"

# s12: the reserver's pods: each task, and the DEFAULT executor's own resources (memory
# only: the operator's quota limits the role's cpus, which its reservations nearly fill)
POD_TASK = Resources.parse("mem:16")
POD_EXECUTOR = Resources.parse("mem:32")

class MultiRole(App):
    """s18 drivel (SimConfig.multirole): a MULTI_ROLE framework subscribed to several roles
    (its own `mr` and `mr2`, and `analytics`, the batch framework's), keeping K tasks running
    on offers of any of them (each task's resources allocated to its offer's role, so an
    agent may hold its tasks under two or three roles). Now and then its scheduler fails
    over and re-subscribes with another set of roles (Mesos lets a framework change its
    roles on re-subscription): `mr2` and `analytics` are dropped while tasks may still run
    under them, and added back later. It revives one role at a time or all of them, and
    declines some offers with a negative refuse_seconds (Mesos's allocator then installs a
    filter of the default 5 s)."""

    kind = "multirole"
    ROLE_SETS: tuple[tuple[str, ...], ...] = (
        ("mr", "analytics", "mr2"), ("mr",), ("analytics", "mr2", "mr"), ("mr", "mr2"))

    def __init__(self, name: str, rng: random.Random, **kw: Any) -> None:
        super().__init__(name, rng, role="mr")
        self.plain = Resources.parse(TASK_RESOURCES[self.kind])
        self.k = rng.randint(6, 10)
        self.incarnation = 0
        self.roles: tuple[str, ...] = self.ROLE_SETS[0]
        self.crash_mid_launch_p = 0.15

    def duration(self) -> tuple[float, int]:
        return (self.rng.uniform(20.0, 240.0), 0 if self.rng.random() < 0.8 else 1)

    def wanted(self) -> int:
        return max(0, self.k - len(self.running))

    def failed_over(self) -> None:
        """The world restarts its scheduler: the next subscription names the next roles."""
        self.incarnation += 1
        self.roles = self.ROLE_SETS[self.incarnation % len(self.ROLE_SETS)]

    def revive_call(self) -> CallRevive:
        if self.rng.random() < 0.5:
            return CallRevive(roles=())
        return CallRevive(roles=(self.rng.choice(self.roles),))

    def after_terminal(self, now: float) -> list[Action]:
        if self.wanted() > 0:
            self.suppressed = False
            return [("call", self.revive_call())]
        return []

    def on_offers(self, now: float, offers: tuple[Any, ...]) -> list[Action]:
        out: list[Action] = []
        want = self.wanted()
        for offer in offers:
            need = self.plain.allocate(offer.role)
            avail = offer.resources
            tasks: list[TaskInfo] = []
            # at most two per offer: the rest of the agent goes round the roles again, so
            # its tasks end up under several roles
            while want > 0 and len(tasks) < 2 and avail.contains(need):
                self.need = need
                tasks.append(self.new_task(now, offer.agent_id))
                avail = avail - need
                want -= 1
            if tasks:
                out.append(("call", CallAccept(offer_ids=(offer.id,),
                                               operations=(OpLaunch(task_infos=tuple(tasks)),),
                                               filters=Filters(refuse_seconds=5.0))))
                if self.rng.random() < self.crash_mid_launch_p:
                    out.append(("crash", self.rng.uniform(1.0, 20.0)))
                    return out
            else:
                refuse = self.rng.choice((-1.0, 5.0, 30.0))
                out.append(("call", CallDecline(offer_ids=(offer.id,),
                                                filters=Filters(refuse_seconds=refuse))))
        if want == 0 and not self.suppressed:
            self.suppressed = True
            out.append(("call", self.suppress_call()))
        return out


APPS = {"batch": Batch, "service": Service, "gang": Gang, "adversarial": Adversarial,
        "reserver": Reserver, "multirole": MultiRole}


def odd_task_id(tid: str, n: int) -> str:
    """s17 killa: the n-th odd id of a ladder of ids Mesos's validateID admits (at most
    NAME_MAX bytes, no '/', no control character) but that are no plain short name."""
    shape = n % 6
    if shape == 0:
        return (tid + "-" + "x" * 200)[:200]  # exactly 200 bytes: the longest plain name
    if shape == 1:
        return (tid + "-" + "y" * 201)[:201]  # 201 bytes: hashed
    if shape == 2:
        return (tid + "-" + "z" * 230)[:230]
    if shape == 3:
        return tid + "-d\u00e9j\u00e0-\u2713"  # non-ASCII
    if shape == 4:
        return tid + " a:b@c+d_e"  # spaces and punctuation
    return "." + tid + ".."  # dots at both ends


def make_app(kind: str, name: str, rng: random.Random) -> App:
    return APPS[kind](name, rng)
