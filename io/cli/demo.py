"""`mesotron demo` (what `make demo` runs).

Part 1, in-process and deterministic: the real master, agent, allocator, executor and
scheduler machines in the simulator's virtual world (no faults): one master, three agents,
two frameworks with different dominant resources — a CPU-heavy batch job (MapReduce-like:
1 cpu, 128 MB per task) and a memory-heavy service (Spark-like: 0.25 cpu, 512 MB per task).
It prints a readable timeline of offers, declines, launches, status updates, acks and each
framework's dominant share, then the invariants checked.

Part 2 (when the daemons are installed): a real `mesotron local` cluster on loopback runs
the word-count example framework (map tasks, then reduce tasks) — see examples/.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile

INTERESTING = re.compile(
    r"subscribed|offers|declines|launches|TASK_(FINISHED|FAILED|LOST|KILLED)|"
    r"dominant shares|suppresses|revive|elected"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1, help="simulation seed (same seed, same story)")
    p.add_argument("--lines", type=int, default=70, help="timeline lines to show (0: all)")
    p.add_argument("--full", action="store_true", help="show every timeline line")
    p.add_argument("--in-process-only", action="store_true",
                   help="skip the real local cluster part")
    p.add_argument("--plot-dir", default=None,
                   help="where the run's charts go (default: a new directory under /tmp)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the charts")


def in_process(seed: int, max_lines: int, full: bool, plot_dir: str | None = None) -> int:
    from mesotron.core.sim.config import SimConfig
    from mesotron.core.sim.run import simulate

    cfg = SimConfig(seed=seed, events=6000, agents=3, frameworks=2, masters=1, faults="none",
                    kinds=("batch", "service"), quiesce=200.0, timeline=True,
                    record=plot_dir is not None)
    print("== Part 1: DRF in the pure machines (deterministic, virtual time) ==")
    print("   master + 3 agents (cpus:4;mem:4096 each); frameworks: batch1 (CPU-heavy tasks")
    print("   cpus:1;mem:128) and service1 (memory-heavy tasks cpus:0.25;mem:512).")
    print(f"   replay any time: {cfg.command()} --timeline\n")
    res = simulate(cfg)
    shown = 0
    lines = res.timeline or []
    for t, text in lines:
        if not full and not INTERESTING.search(text):
            continue
        print(f"  t={t:8.3f}s  {text}")
        shown += 1
        if not full and max_lines and shown >= max_lines:
            print(f"  ... ({len(lines) - shown} more lines: `mesotron demo --full`)")
            break
    print()
    for line in res.summary():
        print(f"  {line}")
    print()
    print("  DRF: each offer goes to the framework with the lowest dominant share — batch1's")
    print("  dominant resource is cpus, service1's is mem; both converge to similar shares.")
    if plot_dir is not None:
        from mesotron.io.cli.plot import dump, plot_all

        os.makedirs(plot_dir, exist_ok=True)
        dump(res.world.record or [], os.path.join(plot_dir, "record.jsonl"))
        print("\n  pictures of this run (`mesotron plot RECORD DIR` redraws them):")
        for path in plot_all(res.world.record or [], plot_dir, title=cfg.describe()):
            print(f"    {path}")
        print(f"    {os.path.join(plot_dir, 'record.jsonl')}  (the run's record)")
    return 0 if res.failure is None else 1


def real_cluster(plot_dir: str | None = None) -> int | None:
    # the word count lives in examples/ (not in the package): `make demo` runs from the checkout
    path = os.path.join(os.getcwd(), "examples", "wordcount_demo.py")
    if not os.path.isfile(path):
        print("\n(part 2 skipped: run `mesotron demo` from a mesotron checkout to find examples/)")
        return None
    spec = importlib.util.spec_from_file_location("wordcount_demo", path)
    assert spec is not None and spec.loader is not None
    wordcount_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wordcount_demo)

    print("\n== Part 2: a real local cluster (master + agents on loopback) ==")
    return int(wordcount_demo.main(plot_dir))


def run(args: argparse.Namespace) -> int:
    plot_dir = None
    if not args.no_plots:
        plot_dir = args.plot_dir or tempfile.mkdtemp(prefix="mesotron-demo-plots-")
    rc = in_process(args.seed, args.lines, args.full, plot_dir)
    if rc != 0:
        print("demo: the simulation reported a violation (see above)", file=sys.stderr)
        return rc
    if not args.in_process_only:
        rc2 = real_cluster(plot_dir)
        if rc2:
            return rc2
    return 0
