"""Word count, MapReduce style, as a mesotron framework (Mesos v1 scheduler API), and the
real-cluster part of `make demo` (`main()`: a local cluster, the word count, where to look).

Map tasks count the words of one piece of a text each and partition the counts by word hash;
then reduce tasks add up one partition each. Tasks are command tasks (`python -c ...`)
sharing a directory on this machine, as on `mesotron local`. `examples/wordcount.py` is the
command-line front end.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile

import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallRevive,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

DEFAULT_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wordcount.txt")
TASK_RES = Resources.parse("cpus:0.25;mem:32")

MAP = r"""
import json, re, sys, zlib
src, out, reduces = sys.argv[1], sys.argv[2], int(sys.argv[3])
parts = [dict() for _ in range(reduces)]
for word in re.findall(r"[a-z']+", open(src).read().lower()):
    p = parts[zlib.crc32(word.encode()) % reduces]
    p[word] = p.get(word, 0) + 1
for r, counts in enumerate(parts):
    json.dump(counts, open(f"{out}-{r}.json", "w"))
"""

REDUCE = r"""
import glob, json, sys
work, r = sys.argv[1], sys.argv[2]
total = {}
for f in glob.glob(f"{work}/map-*-{r}.json"):
    for w, n in json.load(open(f)).items():
        total[w] = total.get(w, 0) + n
json.dump(total, open(f"{work}/reduce-{r}.json", "w"))
"""


def split_text(path: str, n: int, work: str) -> list[str]:
    with open(path) as f:
        lines = f.readlines()
    size = max(1, -(-len(lines) // n))
    pieces = []
    for i in range(n):
        p = os.path.join(work, f"piece-{i}.txt")
        with open(p, "w") as f:
            f.writelines(lines[i * size:(i + 1) * size])
        pieces.append(p)
    return pieces


def py(code: str, *args: str) -> str:
    return " ".join(shlex.quote(x) for x in (sys.executable, "-c", code, *args))


async def wordcount(master: str, text: str, maps: int, reduces: int, work: str, out=print,
                    role: str = "*") -> dict[str, int]:  # type: ignore[no-untyped-def]
    pieces = split_text(text, maps, work)
    phases = [
        [(f"map-{i}", py(MAP, p, os.path.join(work, f"map-{i}"), str(reduces))) for i, p in enumerate(pieces)],
        [(f"reduce-{r}", py(REDUCE, work, str(r))) for r in range(reduces)],
    ]
    info = FrameworkInfo(user=os.environ.get("USER", "mesotron"), name="wordcount", roles=(role,))
    async with SchedulerClient.connect(master, info) as s:
        out(f"wordcount: framework {s.framework_id}: {maps} map tasks, then {reduces} reduce tasks")
        for phase, tasks in zip(("map", "reduce"), phases, strict=True):
            pending = list(tasks)
            done = 0
            failed: list[str] = []
            await s.call(CallRevive())
            async for ev in s.events():
                if isinstance(ev, EventOffers):
                    for o in ev.offers:
                        avail = o.resources.unallocate()
                        launch = []
                        while pending and avail.contains(TASK_RES):
                            tid, cmd = pending.pop(0)
                            launch.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=TASK_RES,
                                                   command=CommandInfo(value=cmd)))
                            avail = avail - TASK_RES
                        if launch:
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(launch)),),
                                                    filters=Filters(refuse_seconds=1.0)))
                        else:
                            await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=5.0)))
                    if not pending:
                        await s.call(CallSuppress())
                elif isinstance(ev, EventUpdate):
                    st = ev.status
                    if st.uuid is not None and st.agent_id is not None:
                        await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                    if st.state.is_terminal:
                        done += 1
                        if st.state is not TaskState.TASK_FINISHED:
                            failed.append(f"{st.task_id}: {st.state.name} {st.message}")
                        out(f"  {phase} {done}/{len(tasks)}: {st.task_id} {st.state.name} on {st.agent_id}")
                        if done == len(tasks):
                            break
            if failed:
                await s.call(CallTeardown())
                raise RuntimeError(f"{phase} tasks failed: {failed}")
        await s.call(CallTeardown())
    return read_results(work, reduces)


def read_results(work: str, reduces: int) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in range(reduces):
        with open(os.path.join(work, f"reduce-{r}.json")) as f:
            total.update(json.load(f))
    return total


def top_words(counts: dict[str, int], n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


async def demo_async(agents: int = 2) -> int:
    from mesotron.io.daemons import local as local_main

    work = tempfile.mkdtemp(prefix="mesotron-demo-")  # kept: the sandboxes are worth a look
    p = argparse.ArgumentParser()
    local_main.add_arguments(p)
    largs = p.parse_args(["--agents", str(agents), "--port", "0", "--work-dir", os.path.join(work, "cluster"),
                          "--allocation-interval", "100ms", "--log-level", "error"])
    async with trio.open_nursery() as nursery:
        master, _agents, url, stop = await nursery.start(local_main.main_async, largs)
        addr = f"{master.ip}:{master.port}"
        print(f"  look while it runs: {url}/master/state, `mesotron ps --master {addr} --all`")
        shared = os.path.join(work, "wordcount")
        os.makedirs(shared)
        counts = await wordcount(addr, DEFAULT_TEXT, 4, 2, shared)
        print(f"  {sum(counts.values())} words, {len(counts)} distinct; most frequent:")
        for w, n in top_words(counts, 8):
            print(f"    {n:4d}  {w}")
        print(f"  sandboxes (stdout/stderr of every task, kept): "
              f"{largs.work_dir}/agent*/slaves/*/frameworks/*/executors/*/runs/latest/tasks/<task id>/")
        stop.set()
    return 0


def main() -> int:
    return trio.run(demo_async)
