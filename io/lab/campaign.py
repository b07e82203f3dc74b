"""A Jepsen-style campaign on a lab (`mesotron lab chaos`, `make chaos SEED=...`).

Workload: `--frameworks` frameworks (our scheduler client following the leader through
ZooKeeper from the host, and `--pymesos` of them pymesos 0.3.15 processes in the lab's client
namespace, io/lab/pymesos_framework.py; checkpointing; every other one partition-aware)
launch `--tasks` short tasks in total while the nemesis injects `--faults` faults drawn from the seed (one
at a time, each reverted before the next): kill -9 and restart of an agent, of the leading
master, of a ZooKeeper server; loss of the ZooKeeper quorum; SIGSTOP/SIGCONT of an agent or
the leader; the leader partitioned from the other masters and ZooKeeper; an agent cut one
way from the masters; an agent's link down; an agent's disk full. Every client operation
and every update received goes to the history (io/lab/checker.py's format); at the end the
faults are healed, the frameworks reconcile until every task is terminal in their view (or
a deadline), the final master state is recorded, and the checker runs. The report
directory (history, report.txt: the faults and the checker's verdict) is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import subprocess
import sys
import time
from typing import Any

import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallReconcile,
    CallRevive,
    CallTeardown,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import Capability, CommandInfo, Filters, FrameworkInfo, TaskInfo
from mesotron.io.lab import checker
from mesotron.io.lab.cluster import Lab
from mesotron.io.wire.scheduler_client import SchedulerClient

TASK_RES = Resources.parse("cpus:0.05;mem:8")


class History:
    def __init__(self, path: str) -> None:
        self.t0 = time.monotonic()
        self.f = open(path, "w")  # noqa: SIM115 - closed by close()
        self.records: list[dict[str, Any]] = []

    def add(self, **rec: Any) -> None:
        rec["t"] = round(time.monotonic() - self.t0, 3)
        self.records.append(rec)
        self.f.write(json.dumps(rec, sort_keys=True) + "\n")
        self.f.flush()

    def close(self) -> None:
        self.f.close()


async def framework(lab: Lab, name: str, n: int, rng: random.Random, hist: History,
                    done: trio.Event, *, partition_aware: bool,
                    task_sleep: tuple[float, float] = (0.05, 1.5)) -> None:
    caps = (Capability.PARTITION_AWARE,) if partition_aware else ()
    info = FrameworkInfo(user="root", name=name, checkpoint=True, failover_timeout=3600.0,
                         capabilities=caps)
    pending = [(f"{name}-t{i}", f"sleep {rng.uniform(*task_sleep):.2f}") for i in range(n)]
    state: dict[str, str] = {}
    agent_of: dict[str, str] = {}
    def issued(call: Any) -> None:  # every acknowledgement the driver issues, as it issues it
        if isinstance(call, CallAcknowledge):
            hist.add(fw=name, op="ack", task=call.task_id, uuid=call.uuid.hex())

    async with SchedulerClient.connect(lab.zk_url, info, zk_session_timeout=4.0) as s:
        s.on_call = issued
        hist.add(fw=name, op="subscribed", framework_id=s.framework_id)
        last_reconcile = trio.current_time()
        async for ev in s.events():
            if isinstance(ev, EventSubscribed):
                hist.add(fw=name, op="subscribed", framework_id=ev.framework_id)
                hist.add(fw=name, op="reconcile", tasks=[t for t, st in state.items() if st not in checker.TERMINAL])
                await s.call(CallReconcile(tasks=tuple((t, agent_of.get(t)) for t, st in state.items()
                                                       if st not in checker.TERMINAL)))
            elif isinstance(ev, EventOffers):
                for o in ev.offers:
                    avail = o.resources.unallocate()
                    launch = []
                    while pending and avail.contains(TASK_RES) and len(launch) < 20:
                        tid, cmd = pending.pop(0)
                        launch.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id,
                                               resources=TASK_RES, command=CommandInfo(value=cmd)))
                        avail = avail - TASK_RES
                    try:
                        if launch:
                            for t in launch:
                                hist.add(fw=name, op="launch", task=t.task_id, agent=o.agent_id)
                                state[t.task_id] = "TASK_STAGING"
                                agent_of[t.task_id] = o.agent_id
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(launch)),),
                                                    filters=Filters(refuse_seconds=0.1)))
                        else:
                            await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=1.0)))
                    except Exception as e:  # noqa: BLE001 - a call lost in a fault: the master will say
                        hist.add(fw=name, op="call_failed", error=repr(e)[:200])
            elif isinstance(ev, EventUpdate):
                st = ev.status
                hist.add(fw=name, op="update", task=st.task_id, state=st.state.name,
                         agent=st.agent_id, uuid=st.uuid.hex() if st.uuid else None,
                         reason=st.reason.name if st.reason else None)
                state[st.task_id] = st.state.name
                if st.uuid is not None and st.agent_id is not None:
                    try:
                        await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                    except Exception as e:  # noqa: BLE001 - retried by the agent
                        hist.add(fw=name, op="call_failed", error=repr(e)[:200])
            now = trio.current_time()
            open_tasks = [t for t, st in state.items() if st not in checker.TERMINAL]
            if not pending and not open_tasks:
                hist.add(fw=name, op="all_terminal")
                await s.call(CallTeardown())
                done.set()
                return
            if done.is_set() or now - last_reconcile > 5.0:  # the end game: reconcile often
                last_reconcile = now
                if open_tasks:
                    try:
                        hist.add(fw=name, op="reconcile", tasks=open_tasks)
                        await s.call(CallReconcile(tasks=tuple((t, agent_of.get(t)) for t in open_tasks)))
                        if pending:
                            await s.call(CallRevive())
                    except Exception as e:  # noqa: BLE001
                        hist.add(fw=name, op="call_failed", error=repr(e)[:200])


async def guarded(lab: Lab, name: str, n: int, rng: random.Random, hist: History,
                  done: trio.Event, partition_aware: bool,
                  task_sleep: tuple[float, float] = (0.05, 1.5)) -> None:
    """A framework that dies (its client gave up) is recorded, not fatal to the campaign:
    its unfinished tasks then show as `Terminated` violations."""
    try:
        await framework(lab, name, n, rng, hist, done, partition_aware=partition_aware,
                        task_sleep=task_sleep)
    except Exception as e:  # noqa: BLE001
        hist.add(fw=name, op="framework_error", error=repr(e)[:300])
        done.set()


def pymesos_dir() -> str:
    """Where `make venv` installed pymesos 0.3.15 (tests/testkit.install_pymesos), or
    $MESOTRON_PYMESOS_PATH. ValueError with the remedy when it is not there."""
    d = os.environ.get("MESOTRON_PYMESOS_PATH") or os.path.join(sys.prefix, "pymesos-compat")
    if not os.path.isfile(os.path.join(d, "pymesos", "scheduler.py")):
        raise ValueError(f"pymesos is not installed in {d}: run `make venv` "
                         "(or set MESOTRON_PYMESOS_PATH), or use --pymesos 0")
    return d


async def pymesos_framework(lab: Lab, name: str, n: int, seed: int, hist: History, done: trio.Event,
                            partition_aware: bool, task_sleep: tuple[float, float],
                            deadline: float) -> None:
    """A pymesos framework (io/lab/pymesos_framework.py) as a process in the lab's client
    namespace; each JSON line it prints becomes a history record of framework `name`. Its
    exit, or a line that is not a record, is recorded; it never takes the campaign down."""
    argv = [*lab.net.exec_prefix(lab.client), sys.executable, "-m", "mesotron.io.lab.pymesos_framework",
            lab.zk_url, "--name", name, "--tasks", str(n), "--seed", str(seed),
            "--task-sleep", f"{task_sleep[0]},{task_sleep[1]}", "--deadline", str(deadline),
            *(["--partition-aware"] if partition_aware else [])]
    env = {**os.environ, "PYTHONPATH": pymesos_dir()}
    log = open(os.path.join(lab.root, f"{name}.log"), "ab")  # noqa: SIM115, ASYNC230 - closed below; a local file
    try:
        proc = await trio.lowlevel.open_process(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                stderr=log, env=env)
        try:
            assert proc.stdout is not None
            buf = b""
            async for chunk in proc.stdout:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    try:
                        rec = json.loads(line)
                        if not isinstance(rec, dict) or "op" not in rec:
                            raise ValueError("not a record")
                    except ValueError:
                        hist.add(fw=name, op="framework_output", line=line[:200].decode(errors="replace"))
                        continue
                    rec.pop("t", None)
                    rec["fw"] = name
                    hist.add(**rec)
            rc = await proc.wait()
            if rc != 0:
                hist.add(fw=name, op="framework_error", error=f"pymesos framework exited {rc}")
        finally:
            with trio.CancelScope(shield=True):
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    except OSError as e:
        hist.add(fw=name, op="framework_error", error=repr(e)[:300])
    finally:
        log.close()
        done.set()


FAULTS = ("crash_agent", "crash_leader", "crash_zk", "zk_quorum_loss", "pause_agent",
          "pause_leader", "partition_leader", "one_way_agent", "link_down_agent", "full_disk")
# with relays in front of the masters (`--relay`, io/lab/relay.py): the link between an agent
# (or the frameworks, "host") and the leader slowed, made lossy, or its status updates
# duplicated / reordered across a reconnection; each bounded and cleared after the fault
RELAY_FAULTS = ("delay_links", "lossy_agent", "duplicate_updates", "reorder_updates")


async def nemesis(lab: Lab, rng: random.Random, n: int, interval: float, hist: History,
                  kinds: tuple[str, ...] = FAULTS) -> int:
    done = 0
    run = trio.to_thread.run_sync
    for _ in range(n):
        await trio.sleep(rng.uniform(0.5, 1.5) * interval)
        # a daemon that exited by itself (a master that lost ZooKeeper exits, as Mesos's
        # does) is restarted, as its supervisor (systemd Restart=always) would
        for name in [*lab.names("zk"), *lab.names("master"), *lab.names("agent")]:
            if not lab.running(name):
                hist.add(op="supervisor_restart", node=name)
                await run(lab.start, name)
        kind = rng.choice(kinds)
        agent = rng.choice(lab.names("agent"))
        fallback = rng.choice(lab.names("master"))  # always drawn: the seed alone fixes the faults
        leader = await run(lab.leader) or fallback
        d = rng.uniform(1.0, 4.0)
        what = {"crash_agent": f"kill -9 {agent}, restart after {d:.1f} s",
                "crash_leader": f"kill -9 leader {leader}, restart after {d:.1f} s",
                "crash_zk": "kill -9 zk1, restart after 2 s",
                "zk_quorum_loss": "kill -9 zk1 and zk2 (quorum lost), restart after 3 s",
                "pause_agent": f"SIGSTOP {agent} for {d:.1f} s",
                "pause_leader": f"SIGSTOP leader {leader} for {d:.1f} s",
                "partition_leader": f"leader {leader} cut from masters and ZooKeeper for {d:.1f} s",
                "one_way_agent": f"{agent} cannot reach the masters for {d:.1f} s (one way)",
                "link_down_agent": f"{agent} link down for {d:.1f} s",
                "full_disk": f"{agent} work dir full for {d:.1f} s"}.get(kind, kind)
        mode: dict[str, Any] = {}
        if kind in RELAY_FAULTS:
            if kind == "delay_links":
                mode = {"delay_ms": round(rng.uniform(50, 400)), "jitter_ms": round(rng.uniform(0, 100))}
            elif kind == "lossy_agent":
                mode = {"loss": round(rng.uniform(0.1, 0.4), 2), "rto_ms": 300}
            else:
                mode = {kind.split("_")[0]: 0.5, "kinds": ["status_update_message"], "budget": 2}
            what = f"{agent}{' and the frameworks' if kind == 'delay_links' else ''} <-> leader " \
                   f"{leader}: {mode} for {d:.1f} s"
        if kind == "zk_quorum_loss" and lab.counts["zk"] < 3:
            kind, what = "crash_zk", "kill -9 zk1, restart after 2 s"
        hist.add(op="fault", fault=what, kind=kind)
        try:
            if kind == "crash_agent":
                await run(lab.kill9, agent)
                await trio.sleep(d)
                await run(lab.start, agent)
            elif kind == "crash_leader":
                await run(lab.kill9, leader)
                await trio.sleep(d)
                await run(lab.start, leader)
            elif kind == "crash_zk":
                await run(lab.kill9, "zk1")
                await trio.sleep(2.0)
                await run(lab.start, "zk1")
            elif kind == "zk_quorum_loss":
                await run(lab.kill9, "zk1")
                await run(lab.kill9, "zk2")
                await trio.sleep(3.0)
                await run(lab.start, "zk1")
                await run(lab.start, "zk2")
            elif kind in ("pause_agent", "pause_leader"):
                who = agent if kind == "pause_agent" else leader
                await run(lab.pause, who)
                await trio.sleep(d)
                await run(lab.resume, who)
            elif kind == "partition_leader":
                others = [m for m in lab.names("master") if m != leader] + lab.names("zk")
                await run(lambda ld=leader, o=others: lab.partition([ld], o))
                await trio.sleep(d)
                await run(lab.heal)
            elif kind == "one_way_agent":
                await run(lambda a=agent: lab.partition([a], lab.names("master"), one_way=True))
                await trio.sleep(d)
                await run(lab.heal)
            elif kind == "link_down_agent":
                await run(lab.net.link_down, agent)
                await trio.sleep(d)
                await run(lab.net.link_up, agent)
            elif kind in RELAY_FAULTS:
                peers = [agent, "host", *([lab.client] if lab.client else [])] \
                    if kind == "delay_links" else [agent]
                for p in peers:
                    await run(functools.partial(lab.link_mode, p, leader, **mode))
                await trio.sleep(d)
                for p in peers:
                    await run(lab.link_mode, p, leader)
            elif kind == "full_disk":
                await run(lab.fill_disk, agent)
                await trio.sleep(d)
                await run(lab.free_disk, agent)
            done += 1
        except Exception as e:  # noqa: BLE001 - a fault that could not be injected is reported
            hist.add(op="fault_failed", fault=what, error=repr(e)[:200])
        hist.add(op="heal", fault=what)
    return done


async def restore(lab: Lab) -> None:
    def fix() -> None:
        lab.heal()
        for name in [*lab.names("zk"), *lab.names("master"), *lab.names("agent")]:
            if name in lab.paused:
                lab.resume(name)
            if not lab.running(name):
                lab.start(name)
        for a in lab.names("agent"):
            lab.free_disk(a)
        if lab.relay:
            for m in lab.names("master"):
                lab.relay_call(m, {"cmd": "clear"})
    await trio.to_thread.run_sync(fix)


def final_state(lab: Lab) -> dict[str, Any]:
    """The leader's final view: every task's state, and every framework's id -> name."""
    m = lab.leader()
    if m is None:
        return {"master_tasks": {}, "master_frameworks": {}}
    st = lab.get(m, "/master/state", timeout=5)
    out: dict[str, str] = {}
    fws: dict[str, str] = {}
    for f in st.get("frameworks", []) + st.get("completed_frameworks", []):
        fws[f["id"]] = f.get("name", "")
        for t in f.get("tasks", []) + f.get("completed_tasks", []) + f.get("unreachable_tasks", []):
            out[t["id"]] = t["state"]
    return {"master_tasks": out, "master_frameworks": fws}


async def campaign(lab: Lab, *, seed: int, tasks: int, faults: int, frameworks: int,
                   interval: float, report: str, deadline: float = 600.0,
                   kinds: tuple[str, ...] = FAULTS,
                   task_sleep: tuple[float, float] = (0.05, 1.5), pymesos: int = 0) -> int:
    """`frameworks` frameworks share the tasks; the last `pymesos` of them are pymesos
    processes in the lab's client namespace (named p<i>), the others ours (f<i>)."""
    rng = random.Random(seed)
    hist = History(os.path.join(report, "history.jsonl"))
    hist.add(op="start", seed=seed, tasks=tasks, faults=faults, frameworks=frameworks, pymesos=pymesos)
    injected = 0
    try:
        with trio.move_on_after(deadline) as cs:
            async with trio.open_nursery() as n:
                dones = []
                per = [tasks // frameworks + (1 if i < tasks % frameworks else 0) for i in range(frameworks)]
                for i in range(frameworks):
                    d = trio.Event()
                    dones.append(d)
                    if i >= frameworks - pymesos:
                        n.start_soon(pymesos_framework, lab, f"p{i + 1}", per[i], seed * 100 + i,
                                     hist, d, i % 2 == 1, task_sleep, deadline)
                    else:
                        n.start_soon(guarded, lab, f"f{i + 1}", per[i], random.Random(seed * 100 + i),
                                     hist, d, i % 2 == 1, task_sleep)
                injected = await nemesis(lab, rng, faults, interval, hist, kinds)
                await restore(lab)
                hist.add(op="healed")
                for d in dones:
                    await d.wait()
        if cs.cancelled_caught:
            hist.add(op="deadline", seconds=deadline)
        await restore(lab)
        await trio.sleep(2.0)
        hist.add(op="final", **await trio.to_thread.run_sync(final_state, lab))
        for m in lab.names("master"):  # every committed registry write: OneWriterPerVersion
            log = os.path.join(lab.root, f"{m}.log")
            if os.path.exists(log):
                for rec in checker.registry_writes(await trio.Path(log).read_text(errors="replace"), m):
                    hist.add(**rec)
    finally:
        hist.close()
    result = checker.check(hist.records)
    lines = checker.summary(hist.records, result)
    faults_done = [r for r in hist.records if r.get("op") == "fault"]
    launched = sum(1 for r in hist.records if r.get("op") == "launch")
    text = [f"seed {seed}: {injected} faults injected, {launched} tasks", "", "faults:"]
    text += [f"  {r['t']:8.2f}  {r['kind']:18s} {r['fault']}" for r in faults_done]
    await trio.Path(report, "report.txt").write_text("\n".join([*text, "", *lines]) + "\n")
    for line in lines:
        print(line)
    print(f"chaos: seed {seed}, {injected} faults, "
          f"{sum(1 for r in hist.records if r.get('op') == 'launch')} tasks; report in {report}")
    return 0 if not any(result.values()) and not cs.cancelled_caught else 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tasks", type=int, default=1000)
    p.add_argument("--faults", type=int, default=25)
    p.add_argument("--frameworks", type=int, default=3)
    p.add_argument("--pymesos", type=int, default=1,
                   help="how many of the --frameworks are pymesos 0.3.15 frameworks (processes in "
                        "the lab's client namespace, io/lab/pymesos_framework.py); default 1")
    p.add_argument("--interval", type=float, default=4.0, help="mean seconds between faults")
    p.add_argument("--masters", type=int, default=3)
    p.add_argument("--agents", type=int, default=5)
    p.add_argument("--zk", type=int, default=3)
    p.add_argument("--dir", default=None, help="report directory (default: a new one in /tmp)")
    p.add_argument("--deadline", type=float, default=900.0, help="give up after this many seconds")
    p.add_argument("--relay", action="store_true",
                   help="put a relay in front of each master (io/lab/relay.py) and add its faults "
                        f"({', '.join(RELAY_FAULTS)}) to the nemesis's choice")
    p.add_argument("--fault-kinds", type=fault_kinds, default=None,
                   help=f"comma-separated subset of the nemesis's faults ({', '.join(FAULTS + RELAY_FAULTS)})")
    # tests only: masters and agents run with a planted bug (io/daemons/planted.py); refused
    # unless the test-only environment switch is set
    p.add_argument("--plant-bug", default=None, help=argparse.SUPPRESS)
    p.add_argument("--task-sleep", type=seconds_range, default=(0.05, 1.5),
                   help="each task sleeps a seeded time in MIN,MAX seconds (default 0.05,1.5)")


def seconds_range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: MIN,MAX seconds") from None
    if not 0 <= lo <= hi <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= MIN <= MAX <= 3600")
    return lo, hi


def fault_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in FAULTS + RELAY_FAULTS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"unknown fault kinds {bad} (known: {', '.join(FAULTS + RELAY_FAULTS)})")
    return kinds
