"""Fault injection: a seeded schedule of faults, each a plain tuple (printable, replayable,
shrinkable), and the code that applies one to the world.

| kind | faults |
| --- | --- |
| net | `("executor-link-breaks",)` at time 0: from then on the connection of 1 executor in 24 (a hash) to its agent breaks right after the agent sends it its first launch (lost with it; the executor subscribes again); (once per run, at 35 + seed % 20 s, `("break", "leader", "agent:<(seed + 1) % agents>")`, no random draw) `("partition", a, b, oneway, secs)` (hosts; one-way blocks a->b only), `("lossy", drop, dup, reorder, secs)`, `("break", a, b)` (a connection breaks: Disconnected at both ends) |
| crash | `("memory-hogs",)` at time 0: from then on 1 task in 12 and 1 command executor in 24 outgrow their memory (World.memory_hog, chosen by hashes); `("decommission-agent", i)`: the operator shuts agent i down (SIGUSR1: it unregisters, kills its executors, stops; it is started again as a new agent), once per run at 25 + seed % 20 s (agent seed % agents, no random draw); `("crash-master", "leader" or i, downtime)`, `("crash-agent", i, "reconnect" or "cleanup", downtime)` (downtimes: `agent_downtime`, half of them 0.5-8 s around the executor re-registration window), `("crash-executor", i, pick)`, `("crash-scheduler", i, downtime)` |
| disk | `("power-agent", i, downtime)`: the agent's machine loses power: unsynced writes are lost, the last record may be torn; it restarts in reconnect mode; for half the agent incarnations (a hash) the host reboots: its executor processes die unreported and its boot id changes |
| oom | `("oom", i, pick, whole, resource)`: an isolator on agent i reports a container limitation (resource "mem" or "disk") for a running task's nested container (the kernel kills the task's process) or, `whole`, for its executor's container (opt-in: not in "all") |
| zk | `("zk-partition", "leader" or i, secs)`: a master cut from ZooKeeper (its session expires, a standby is elected while it may still believe it leads), `("isolate", "leader", agents, secs)`: the same plus cut from some agents (so the deposed leader tries registry writes), `("zk-expire", "leader")` |

The schedule comes from its own RNG stream (seeded from the run seed), so it does not depend
on what the world does; the shrinker replays sub-lists of it.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

ZK = "zk"
Fault = tuple[Any, ...]


def generate(seed: int, kinds: frozenset[str], *, n_agents: int, n_masters: int,
             n_frameworks: int, interval: float, horizon: float) -> list[tuple[float, Fault]]:
    """Faults at exponentially distributed times in [interval, horizon)."""
    if not kinds:
        return []
    rng = random.Random(f"faults/{seed}")
    order = sorted(kinds)
    out: list[tuple[float, Fault]] = []
    t = rng.uniform(interval * 0.5, interval * 1.5)
    while t < horizon:
        kind = rng.choice(order)
        out.append((round(t, 6), _one(rng, kind, n_agents, n_masters, n_frameworks)))
        t += rng.expovariate(1.0 / interval)
    if "crash" in kinds:
        # from the start, some tasks and executors outgrow their memory (World.memory_hog)
        out.insert(0, (0.0, ("memory-hogs",)))
    if "crash" in kinds and n_agents:
        # once per run the operator shuts an agent down (its time and agent from the seed,
        # no random draw: the other faults stay the same)
        out.append((DECOMMISSION_AT + seed % 20, ("decommission-agent", seed % n_agents)))
    if "net" in kinds:
        # from the start, some executors' connections to their agent break right after a
        # launch (World.break_executor_link)
        out.insert(0, (0.0, ("executor-link-breaks",)))
    if "net" in kinds and n_agents:
        # and the leader's connection to one agent breaks (a TCP reset): the agent redials
        out.append((DECOMMISSION_AT + 10.0 + seed % 20,
                    ("break", "leader", f"agent:{(seed + 1) % n_agents}")))
    out.sort(key=lambda tf: tf[0])
    return out


#: virtual seconds into a run (plus seed % 20) of the operator's agent shutdown
DECOMMISSION_AT = 25.0


#: the agents' default --executor-reregistration-timeout (core/agent/model.py AgentConfig)
EXECUTOR_REREGISTRATION_TIMEOUT = 2.0


def agent_downtime(rng: random.Random) -> float:
    """How long a crashed agent stays down: half the time within a few executor
    re-registration windows (0.5 s to 4 x the 2 s timeout: short restarts and restarts just
    longer than the window, where an executor's re-SUBSCRIBE schedule must still fit the
    window, issue 11), else up to 90 s (long enough for the master's ping timeout)."""
    if rng.random() < 0.5:
        return round(rng.uniform(0.5, 4 * EXECUTOR_REREGISTRATION_TIMEOUT), 3)
    return round(rng.uniform(4 * EXECUTOR_REREGISTRATION_TIMEOUT, 90.0), 3)


def _host(rng: random.Random, n_agents: int, n_masters: int, n_frameworks: int,
          allow_zk: bool = False) -> str:
    choices = ["leader"] + [f"agent:{i}" for i in range(n_agents)]
    choices += [f"scheduler:{i}" for i in range(n_frameworks)]
    if allow_zk:
        choices.append(ZK)
    return rng.choice(choices)


def _one(rng: random.Random, kind: str, n_agents: int, n_masters: int,
         n_frameworks: int) -> Fault:
    if kind == "net":
        r = rng.random()
        if r < 0.45:
            a = "leader"
            b = _host(rng, n_agents, n_masters, n_frameworks, allow_zk=False)
            if b == "leader":
                b = f"agent:{rng.randrange(n_agents)}" if n_agents else ZK
            if rng.random() < 0.5:
                a, b = b, a
            # long enough, often, for the master's ping timeout (75 s) to remove the agent
            return ("partition", a, b, rng.random() < 0.5, round(rng.uniform(1, 200), 3))
        if r < 0.75:
            return ("lossy", round(rng.uniform(0.01, 0.2), 3), round(rng.uniform(0, 0.1), 3),
                    round(rng.uniform(0, 0.3), 3), round(rng.uniform(1, 60), 3))
        b = f"agent:{rng.randrange(n_agents)}" if n_agents and rng.random() < 0.6 else \
            f"scheduler:{rng.randrange(max(1, n_frameworks))}"
        return ("break", "leader", b)
    if kind == "crash":
        r = rng.random()
        if r < 0.25:
            return ("crash-master", "leader" if rng.random() < 0.7 else rng.randrange(n_masters),
                    round(rng.uniform(1, 60), 3))
        if r < 0.55 and n_agents:
            mode = "cleanup" if rng.random() < 0.15 else "reconnect"
            return ("crash-agent", rng.randrange(n_agents), mode, agent_downtime(rng))
        if r < 0.8 and n_agents:
            return ("crash-executor", rng.randrange(n_agents), rng.randrange(1000))
        return ("crash-scheduler", rng.randrange(max(1, n_frameworks)),
                round(rng.uniform(0.5, 60), 3))
    if kind == "disk":
        return ("power-agent", rng.randrange(max(1, n_agents)), agent_downtime(rng))
    if kind == "oom":
        return ("oom", rng.randrange(max(1, n_agents)), rng.randrange(1000), rng.random() < 0.2,
                "mem" if rng.random() < 0.8 else "disk")
    if kind == "zk":
        r = rng.random()
        if r < 0.4:
            return ("zk-partition", "leader", round(rng.uniform(5, 90), 3))
        if r < 0.8 and n_agents:
            k = rng.randint(1, n_agents)
            return ("isolate", "leader", tuple(sorted(rng.sample(range(n_agents), k))),
                    round(rng.uniform(60, 150), 3))
        return ("zk-expire", "leader")
    raise ValueError(kind)


class Injector:
    """Applies faults to a World; remembers what it injected (for reports and shrinking)."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.injected: list[tuple[float, Fault]] = []
        self.cut_id = 0
        self.zk_cut: dict[str, int] = {}  # host -> cut id while cut from zk

    # ------------------------------------------------------------------ scheduling
    def schedule(self, faults: list[tuple[float, Fault]]) -> None:
        from mesotron.core.sim.world import FN

        w = self.world
        for t, f in faults:
            w.seq += 1
            import heapq

            heapq.heappush(w.heap, (t, w.seq, FN, self.apply, (t, f), None, None))

    def host(self, ref: Any) -> str | None:
        w = self.world
        if ref == "leader":
            m = w.leader
            return m.host if m is not None else None
        if ref == ZK:
            return ZK
        if isinstance(ref, int):
            return w.masters[ref % len(w.masters)].host
        kind, _, i = str(ref).partition(":")
        if kind == "agent" and w.agents:
            return w.agents[int(i) % len(w.agents)].host
        if kind == "scheduler" and w.schedulers:
            return w.schedulers[int(i) % len(w.schedulers)].host
        return None

    # ------------------------------------------------------------------ applying
    def apply(self, t: float, f: Fault) -> None:
        w = self.world
        if w.quiescent:
            return
        self.injected.append((t, f))
        w.events += 1  # a fault is an event (a dropped one, in quiescence, is not)
        w.count("faults")
        w.count(f"fault_{f[0]}")
        getattr(self, "do_" + f[0].replace("-", "_"))(*f[1:])

    def do_partition(self, a: Any, b: Any, oneway: bool, secs: float) -> None:
        w = self.world
        ha, hb = self.host(a), self.host(b)
        if ha is None or hb is None or ha == hb:
            return
        pairs = [(ha, hb)] if oneway else [(ha, hb), (hb, ha)]
        w.note(f"fault: partition {ha} {'->' if oneway else '<->'} {hb} for {secs:g}s")
        for p in pairs:
            w.blocked.add(p)
        if ZK in (ha, hb):
            self.cut_from_zk(hb if ha == ZK else ha)
        w.at(secs, 3, self.heal_pairs, (pairs,))

    def heal_pairs(self, pairs: list[tuple[str, str]]) -> None:
        w = self.world
        for p in pairs:
            w.blocked.discard(p)
        for a, b in pairs:
            for h in (a, b):
                if ZK in (a, b) and h != ZK and (h, ZK) not in w.blocked \
                        and (ZK, h) not in w.blocked:
                    self.rejoin_zk(h)

    def do_lossy(self, drop: float, dup: float, reorder: float, secs: float) -> None:
        w = self.world
        w.note(f"fault: lossy network drop={drop:g} dup={dup:g} reorder={reorder:g} "
               f"for {secs:g}s")
        w.drop_p, w.dup_p, w.reorder_p = drop, dup, reorder
        w.at(secs, 3, self.calm, ())

    def calm(self) -> None:
        w = self.world
        w.drop_p = w.dup_p = w.reorder_p = 0.0

    def do_break(self, a: Any, b: Any) -> None:
        w = self.world
        ha, hb = self.host(a), self.host(b)
        na, nb = w.nodes.get(ha or ""), w.nodes.get(hb or "")
        if na is None or nb is None or not na.alive or not nb.alive:
            return
        w.note(f"fault: connection {na.name} <-> {nb.name} breaks")
        w.break_link(na, nb)

    def do_crash_master(self, which: Any, downtime: float) -> None:
        w = self.world
        n = w.leader if which == "leader" else w.masters[which % len(w.masters)]
        if n is not None:
            w.crash_master(n, restart_after=downtime)

    def do_crash_agent(self, i: int, mode: str, downtime: float) -> None:
        w = self.world
        n = w.agents[i % len(w.agents)]
        if n.alive:
            w.note(f"fault: crash {n.name} (restarts in {mode} mode after {downtime:g}s)")
            w.crash_agent(n, restart_after=downtime, lossy=False, mode=mode)

    def do_executor_link_breaks(self) -> None:
        self.world.link_breaks = True

    def do_memory_hogs(self) -> None:
        self.world.hogs = True

    def do_decommission_agent(self, i: int) -> None:
        w = self.world
        if w.agents:
            w.decommission_agent(w.agents[i % len(w.agents)])

    def do_power_agent(self, i: int, downtime: float) -> None:
        w = self.world
        if not w.agents:
            return
        n = w.agents[i % len(w.agents)]
        if not n.alive:
            return
        if i % 2:
            w.note(f"fault: power loss on {n.name} (unsynced writes lost)")
            w.crash_agent(n, restart_after=downtime, lossy=True, mode="reconnect")
            self.maybe_reboot(n)
            return
        # the worst moment: right after a step that left writes unsynced (or within 30 s)
        w.power_armed[n.name] = downtime
        w.at(30.0, 3, self.power_deadline, (n, n.inc, downtime))

    def power_deadline(self, n: Any, inc: int, downtime: float) -> None:
        w = self.world
        if w.power_armed.pop(n.name, None) is not None and n.alive and n.inc == inc:
            w.note(f"fault: power loss on {n.name} (unsynced writes lost)")
            w.crash_agent(n, restart_after=downtime, lossy=True, mode="reconnect")
            self.maybe_reboot(n)

    def maybe_reboot(self, n: Any) -> None:
        """A power loss reboots the host (its executors die, its boot id changes) for half
        the agent incarnations, chosen by a hash so the RNG streams are untouched; the other
        half lose the agent process and its unsynced writes only."""
        if zlib.crc32(f"{n.name}/{n.inc}".encode()) % 2:
            self.world.note(f"fault: {n.name}'s host reboots (its executors die with it)")
            self.world.reboot_host(n)

    def do_crash_executor(self, i: int, pick: int) -> None:
        w = self.world
        if not w.agents:
            return
        a = w.agents[i % len(w.agents)]
        live = [x for _, x in sorted(w.executors.items()) if x.alive and x.agent is a]
        if live:
            x = live[pick % len(live)]
            w.note(f"fault: executor {x.container} on {a.name} dies")
            w.executor_exit(x, -9)

    def do_oom(self, i: int, pick: int, whole: bool, resource: str) -> None:
        """A container limitation on agent i: a running task's nested container (its
        process is killed, as the kernel's OOM killer does, around when the agent hears of
        it) or the whole container of one of its executors."""
        from mesotron.core.agent.model import ContainerLimitation
        from mesotron.core.sim.world import CALL

        w = self.world
        if not w.agents:
            return
        a = w.agents[i % len(w.agents)]
        live = [x for _, x in sorted(w.executors.items()) if x.alive and x.agent is a]
        if not a.alive or not live:
            return
        x = live[pick % len(live)]
        tasks = sorted(x.task_proc)
        if whole or not tasks:
            w.note(f"fault: container {x.container} on {a.name} over its {resource} limit")
            w.deliver(a, ContainerLimitation(container_id=x.container, resource=resource,
                                             requested=64 << 20, used=65 << 20))
            return
        tid = tasks[pick % len(tasks)]
        w.note(f"fault: task {tid} on {a.name} over its {resource} limit")
        w.count("oom_task")
        proc = x.task_proc[tid]
        # which comes first, the agent's limitation or the executor's exit report, varies
        w.at(w.rng.uniform(0.0, 0.05), CALL, w.task_exit, (x, proc, None, 9))
        w.deliver(a, ContainerLimitation(container_id=x.container, task_id=tid,
                                         resource=resource, requested=64 << 20, used=65 << 20))

    def do_crash_scheduler(self, i: int, downtime: float) -> None:
        w = self.world
        if w.schedulers:
            w.crash_scheduler(w.schedulers[i % len(w.schedulers)], restart_after=downtime)

    def do_zk_partition(self, which: Any, secs: float) -> None:
        h = self.host(which)
        if h is not None:
            self.do_partition(h, ZK, False, secs)

    def do_isolate(self, which: Any, agents: Any, secs: float) -> None:
        """The leader loses ZooKeeper and some agents (both ways) but still reaches the
        registry: a standby is elected while the old leader, believing it still leads,
        sees those agents miss their pings and tries to mark them unreachable."""
        w = self.world
        h = self.host(which)
        if h is None:
            return
        hosts = [ZK] + [w.agents[i % len(w.agents)].host for i in agents]
        pairs = [p for other in hosts for p in ((h, other), (other, h))]
        w.note(f"fault: {h} isolated from zk and {len(hosts) - 1} agents for {secs:g}s")
        for p in pairs:
            w.blocked.add(p)
        self.cut_from_zk(h)
        w.at(secs, 3, self.heal_pairs, (pairs,))

    def do_zk_expire(self, which: Any) -> None:
        w = self.world
        n = w.leader if which == "leader" else w.masters[which % len(w.masters)]
        if n is None or not n.alive:
            return
        w.note(f"fault: zk expires the session of {n.name}")
        w.expire(n.session)
        # the client learns of it at once (it is connected): the master loses leadership
        self.lost_session(n)

    # ------------------------------------------------------------------ zookeeper links
    def cut_from_zk(self, host: str) -> None:
        w = self.world
        self.cut_id += 1
        self.zk_cut[host] = self.cut_id
        node = w.nodes.get(host)
        if node is not None and node.kind == "master":
            w.at(w.zk.session_timeout, 3, self.zk_timeout, (node, self.cut_id))

    def zk_timeout(self, node: Any, cut: int) -> None:
        if self.zk_cut.get(node.host) == cut:
            self.world.expire(node.session)

    def rejoin_zk(self, host: str) -> None:
        w = self.world
        self.zk_cut.pop(host, None)
        node = w.nodes.get(host)
        if node is None or not node.alive:
            return
        if node.kind == "master":
            if not w.zk.alive(node.session):
                self.lost_session(node)
            else:
                w.maybe_contend(node)
        elif node.kind == "agent":
            w.at(0.005, 2, w.detect, (node, node.inc))

    def lost_session(self, n: Any) -> None:
        """The master learns its session expired: it loses leadership and (as Mesos does)
        exits; its supervisor restarts it as a fresh contender."""
        from mesotron.core.master.base import LeadershipLost

        w = self.world
        if not n.alive:
            return
        if n.leader:
            w.note(f"{n.name} learns its zk session expired: leadership lost")
            n.leader = False
            w.deliver(n, LeadershipLost())
        w.crash_master(n, restart_after=w.rng.uniform(1.0, 5.0))

    def heal_all(self) -> None:
        w = self.world
        pairs = sorted(w.blocked)
        w.blocked.clear()
        self.calm()
        for a, b in pairs:
            for h in (a, b):
                if ZK in (a, b) and h != ZK:
                    self.rejoin_zk(h)
