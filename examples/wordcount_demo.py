"""Word count, MapReduce style, as a mesotron framework (Mesos v1 scheduler API), and the
real-cluster part of `make demo` (`main()`: a local cluster, the word count, where to look).

Map tasks count the words of one split of a text each (with a combiner: one count per
distinct word) and partition the counts by word hash into their own sandboxes; then reduce
tasks fetch their partition of every map's output over the agents' /files API and add them
up. With `nodes`, input splits live on named agents (attribute `node:n<i>`) and map tasks
prefer them (delay scheduling, Zaharia et al. 2010): a map declines other agents' offers
until it has waited `locality_wait`. Tasks are command tasks (`python -c ...`); the input
splits and the final reduce outputs are in a directory on this machine, as on
`mesotron local`. `examples/wordcount.py` is the command-line front end.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import urllib.parse
import urllib.request
from typing import Any

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
src, reduces = sys.argv[1], int(sys.argv[2])
# the combiner: counts are summed per word inside the map (one record per distinct word, not
# one per occurrence) before they are partitioned by word hash for the reducers
parts = [dict() for _ in range(reduces)]
for word in re.findall(r"[a-z']+", open(src).read().lower()):
    p = parts[zlib.crc32(word.encode()) % reduces]
    p[word] = p.get(word, 0) + 1
for r, counts in enumerate(parts):  # in the task's own sandbox (its working directory)
    json.dump(counts, open(f"part-{r}.json", "w"))
print("map: %d words, %d distinct" % (sum(sum(c.values()) for c in parts), sum(len(c) for c in parts)))
"""

REDUCE = r"""
import json, sys, urllib.request
out, urls = sys.argv[1], sys.argv[2:]
total = {}
for url in urls:  # each map's partition, read over its agent's /files API
    with urllib.request.urlopen(url, timeout=30) as r:
        for w, n in json.load(r).items():
            total[w] = total.get(w, 0) + n
json.dump(total, open(out, "w"))
print("reduce: %d map outputs, %d distinct words" % (len(urls), len(total)))
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


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def map_output_urls(master: str, done: dict[str, str], reduces: int) -> list[list[str]]:
    """For each partition, the /files/download URLs of every map's output: the agent's
    address from the master's state, the task's sandbox from the agent's state."""
    slaves = {s["id"]: s["pid"].split("@", 1)[1] for s in http_json(f"http://{master}/master/state")["slaves"]}
    sandbox: dict[str, str] = {}
    for agent in set(done.values()):
        st = http_json(f"http://{slaves[agent]}/state")
        for fw in st.get("frameworks", []) + st.get("completed_frameworks", []):
            for ex in fw.get("executors", []) + fw.get("completed_executors", []):
                for t in ex.get("tasks", []) + ex.get("completed_tasks", []):
                    sandbox[t["id"]] = f"{ex['directory']}/tasks/{t['id']}"
    urls: list[list[str]] = [[] for _ in range(reduces)]
    for task, agent in sorted(done.items()):
        for r in range(reduces):
            path = urllib.parse.quote(f"{sandbox[task]}/part-{r}.json")
            urls[r].append(f"http://{slaves[agent]}/files/download?path={path}")
    return urls


def home(split: int, nodes: int | None) -> str | None:
    """The agent (attribute `node`) that holds input split `split`, as HDFS would say."""
    return f"n{split % nodes}" if nodes else None


async def wordcount(master: str, text: str, maps: int, reduces: int, work: str, out=print,
                    role: str = "*", nodes: int | None = None,
                    locality_wait: float = 1.0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Map tasks run where their split lives (agents with attribute `node:n<i>`, split i on
    n<i % nodes>) when they can: delay scheduling declines other agents' offers for a map
    task until it has waited `locality_wait` seconds, then takes any. Reduce tasks fetch the
    maps' outputs over the agents' /files API."""
    pieces = split_text(text, maps, work)
    info = FrameworkInfo(user=os.environ.get("USER", "mesotron"), name="wordcount", roles=(role,))
    async with SchedulerClient.connect(master, info) as s:
        out(f"wordcount: framework {s.framework_id}: {maps} map tasks, then {reduces} reduce tasks")
        map_tasks = [(f"map-{i}", py(MAP, p, str(reduces)), home(i, nodes)) for i, p in enumerate(pieces)]
        done_on: dict[str, str] = {}
        local = 0
        for phase in ("map", "reduce"):
            if phase == "map":
                tasks = map_tasks
            else:
                urls = await trio.to_thread.run_sync(map_output_urls, master, done_on, reduces)
                tasks = [(f"reduce-{r}", py(REDUCE, os.path.join(work, f"reduce-{r}.json"), *urls[r]), None)
                         for r in range(reduces)]
            pending = list(tasks)
            since = trio.current_time()
            done = 0
            failed: list[str] = []
            await s.call(CallRevive())
            async for ev in s.events():
                if isinstance(ev, EventOffers):
                    waited = trio.current_time() - since
                    for o in ev.offers:
                        node = next((str(a.value) for a in o.attributes if a.name == "node"), None)
                        avail = o.resources.unallocate()
                        launch = []
                        # local tasks first, then (after the wait) anyone's
                        for tid, cmd, where in sorted(pending, key=lambda t: t[2] != node):
                            if not avail.contains(TASK_RES):
                                break
                            if where is not None and where != node and waited < locality_wait:
                                continue
                            pending.remove((tid, cmd, where))
                            if where is not None and where == node:
                                local += 1
                            launch.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=TASK_RES,
                                                   command=CommandInfo(value=cmd)))
                            avail = avail - TASK_RES
                        if launch:
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(launch)),),
                                                    filters=Filters(refuse_seconds=1.0)))
                        else:
                            # a short filter: a delayed task may take this agent once it waited
                            await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(
                                refuse_seconds=0.2 if pending else 5.0)))
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
                        elif st.agent_id is not None:
                            done_on[st.task_id] = st.agent_id
                        out(f"  {phase} {done}/{len(tasks)}: {st.task_id} {st.state.name} on {st.agent_id}")
                        if done == len(tasks):
                            break
            if failed:
                await s.call(CallTeardown())
                raise RuntimeError(f"{phase} tasks failed: {failed}")
            if phase == "map" and nodes:
                out(f"  locality: {local}/{maps} map tasks ran where their split lives")
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


async def demo_async(agents: int = 2, plots: str | None = None) -> int:
    from mesotron.io.daemons import local as local_main

    work = tempfile.mkdtemp(prefix="mesotron-demo-")  # kept: the sandboxes are worth a look
    p = argparse.ArgumentParser()
    local_main.add_arguments(p)
    record = os.path.join(plots, "cluster-record.jsonl") if plots else None
    largs = p.parse_args(["--agents", str(agents), "--port", "0", "--work-dir", os.path.join(work, "cluster"),
                          "--allocation-interval", "100ms", "--log-level", "error",
                          *(["--record", record] if record else [])])
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
    if record:
        from mesotron.io.cli.plot import load, plot_all

        print("  pictures of the real cluster's run (`mesotron plot` redraws them):")
        for path in plot_all(load(record), os.path.join(plots, "cluster"), title="make demo: word count"):
            print(f"    {path}")
    return 0


def main(plots: str | None = None) -> int:
    return trio.run(demo_async, 2, plots)
