"""The seed's picture: MapReduce, a service, an MPI gang and a stream side by side on ONE
cluster, each framework in its own role, with role weights; DRF decides who gets what.

    python examples/all_at_once.py [--agents 1] [--weights analytics=2,web=1,hpc=1,streaming=1] [--plots DIR]

It starts `mesotron local` (master + agents, recording the run), runs the four example
frameworks at once (examples/wordcount_demo.py in role `analytics`, examples/service.py in
`web`, examples/gang.py in `hpc`, examples/stream.py in `streaming`), prints each role's
dominant share every second, and at the end draws the run (`mesotron plot`): the shares
the roles converge to while they compete, the offers, every task on every agent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import trio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gang
import service
import stream
import wordcount_demo

SLEEPER = f"{sys.executable} -c 'import time; time.sleep(1000)'"


# The tasks' ports lie below Linux's ephemeral range (32768-60999): every daemon, executor
# and test server on this host that binds port 0 is given a port in that range (bind(0)
# takes the odd ones), and when one took a task's fixed port first, that gang rank or stream
# stage could never bind it (the stream relaunches its stage on the same port forever). Not
# 31000-32000 either: other clusters on this loopback (the tests' own) offer that range.
def start_local(agents: int, weights: str, record: str, work: str) -> tuple[subprocess.Popen, str]:
    """Start `mesotron local` and return it with its master's address. Its output is copied to
    <work>.log by a thread for the whole run: a pipe nobody reads fills up (64 KiB) and the
    cluster then blocks on its next log line."""
    p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "local", "--agents", str(agents),
                          "--port", "0", "--work-dir", work, "--allocation-interval", "100ms",
                          "--weights", weights, "--record", record,
                          "--resources", "cpus:4;mem:4096;disk:4096;ports:[30000-30100]"],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        if line.startswith("mesotron local: master http://"):
            threading.Thread(target=_drain, args=(p.stdout, work + ".log"), daemon=True).start()
            return p, line.split("http://", 1)[1].split()[0]
    p.terminate()
    raise RuntimeError("mesotron local did not start")


def _drain(stream, path: str) -> None:  # type: ignore[no-untyped-def]
    with open(path, "a") as log:
        for line in stream:
            log.write(line)
            log.flush()


def role_shares(master: str) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{master}/master/state", timeout=2) as r:
        st = json.load(r)
    totals: dict[str, float] = {}
    for a in st.get("slaves", []):
        for k in ("cpus", "mem"):
            totals[k] = totals.get(k, 0.0) + float(a["resources"].get(k, 0))
    use: dict[str, dict[str, float]] = {}
    for f in st.get("frameworks", []):
        u = use.setdefault(f.get("role", "*"), {})
        for k in totals:
            u[k] = u.get(k, 0.0) + float(f["resources"].get(k, 0))
    return {r: max((u[k] / totals[k] for k in totals if totals[k]), default=0.0)
            for r, u in sorted(use.items())}


async def together(master: str, work: str, *, tuples: int, deadline: float = 240.0,  # type: ignore[no-untyped-def]
                   out=print) -> dict[str, object]:
    results: dict[str, object] = {}
    svc = service.Service(master, name="web", command=SLEEPER + " all-at-once-web", instances=3,
                          resources="cpus:0.5;mem:256", role="web", backoff=0.5,
                          out=lambda s: out(f"[web] {s}"))
    async with trio.open_nursery() as n:
        await n.start(svc.run)

        async def batch() -> None:
            counts = await wordcount_demo.wordcount(
                master, wordcount_demo.DEFAULT_TEXT, 6, 2, os.path.join(work, "wc"),
                out=lambda s: out(f"[analytics] {s}"), role="analytics")
            results["wordcount"] = sum(counts.values())

        async def hpc() -> None:
            results["gang"] = await gang.gang(master, 4, role="hpc", out=lambda s: out(f"[hpc] {s}"))

        async def flow() -> None:
            results["stream"] = await stream.stream(master, tuples, os.path.join(work, "stream"),
                                                    role="streaming", out=lambda s: out(f"[streaming] {s}"))

        async def shares() -> None:
            while True:
                try:
                    sh = await trio.to_thread.run_sync(role_shares, master)
                    out("shares: " + ", ".join(f"{r} {v:.2f}" for r, v in sh.items()))
                except OSError:
                    pass
                await trio.sleep(1.0)

        n.start_soon(shares)
        os.makedirs(os.path.join(work, "wc"), exist_ok=True)
        with trio.move_on_after(deadline) as limit:
            async with trio.open_nursery() as jobs:
                jobs.start_soon(batch)
                jobs.start_soon(hpc)
                jobs.start_soon(flow)
        if limit.cancelled_caught:
            late = [k for k in ("wordcount", "gang", "stream") if k not in results]
            out(f"deadline: {deadline:g} s passed and {', '.join(late)} had not finished "
                f"(the cluster's logs: {work}/cluster*)")
        results["service"] = len(svc.healthy())
        n.cancel_scope.cancel()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=1,
                   help="agents share the loopback: their port ranges overlap, so more than one "
                        "agent can give two tasks the same port")
    p.add_argument("--weights", default="analytics=2,web=1,hpc=1,streaming=1")
    p.add_argument("--tuples", type=int, default=2000)
    p.add_argument("--deadline", type=float, default=240.0,
                   help="seconds the batch, gang and stream jobs have to finish")
    p.add_argument("--plots", default=None, help="directory for the charts (default: a temp dir)")
    a = p.parse_args(argv)
    work = tempfile.mkdtemp(prefix="mesotron-all-at-once-")
    record = os.path.join(work, "record.jsonl")
    local, master = start_local(a.agents, a.weights, record, os.path.join(work, "cluster"))
    try:
        res = trio.run(lambda: together(master, work, tuples=a.tuples, deadline=a.deadline))
    finally:
        local.send_signal(2)
        local.wait(timeout=60)
    print(f"results: {res}")
    plots = a.plots or os.path.join(work, "plots")
    from mesotron.io.cli.plot import load, plot_all

    for path in plot_all(load(record), plots, title="all at once: " + a.weights):
        print(f"picture: {path}")
    ok = res.get("gang") and res.get("stream") and res.get("wordcount") and res.get("service") == 3
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
