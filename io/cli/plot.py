"""`mesotron plot RECORD DIR`: pictures of a run (matplotlib, files only, no display).

A run's record is a list of dicts, one per event, each with `t` (seconds) and `kind`:

    shares   frameworks {name: dominant share}, roles {role: share}, master, agents (connected)
    offer    framework, offer, agent           an offer a framework received
    accept   framework, offers, tasks          an ACCEPT launching `tasks` tasks
    decline  framework, offers                 a DECLINE (or an ACCEPT launching nothing)
    rescind  framework, offer
    update   framework, task, state, agent     a status update the framework heard
    leader   master (None: no leader)
    fault    text                              a fault injected (simulator) or seen
    zk       text                              a ZooKeeper event

`mesotron sim --plot DIR` records the simulated run (core/sim/world.py `World.rec`);
`mesotron local --record FILE` records a real cluster; both give JSON lines this command
reads. Charts written (PNG and SVG each, named for what they show):

    dominant-shares.png   dominant share per framework (solid) and per role (dashed)
    offers-timeline.png   offers, accepts, declines and rescinds per framework
    tasks-gantt.png       every task's life on its agent, coloured by state
    failover-timeline.png the leading master, connected agents and the faults
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

TASK_COLOURS = {
    "TASK_STAGING": "#c7c7c7", "TASK_STARTING": "#9ecae1", "TASK_RUNNING": "#3182bd",
    "TASK_KILLING": "#fdae6b", "TASK_FINISHED": "#31a354", "TASK_FAILED": "#de2d26",
    "TASK_KILLED": "#e6550d", "TASK_LOST": "#756bb1", "TASK_ERROR": "#a50f15",
    "TASK_DROPPED": "#9e9ac8", "TASK_UNREACHABLE": "#bcbddc", "TASK_GONE": "#54278f",
    "TASK_GONE_BY_OPERATOR": "#54278f", "TASK_UNKNOWN": "#636363",
}
CHARTS = ("dominant-shares", "offers-timeline", "tasks-gantt", "failover-timeline")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("record", help="a run's record (JSON lines, from `mesotron local --record` "
                                  "or `mesotron sim --plot`)")
    p.add_argument("dir", help="directory for the charts (created)")


def run(args: argparse.Namespace) -> int:
    try:
        records = load(args.record)
    except (OSError, ValueError) as e:
        print(f"mesotron plot: cannot read {args.record}: {e}")
        return 2
    for path in plot_all(records, args.dir):
        print(path)
    return 0


def load(path: str) -> list[dict[str, Any]]:
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"line {n}: {e}") from None
            if not isinstance(r, dict) or "t" not in r or "kind" not in r:
                raise ValueError(f"line {n}: not a record (needs 't' and 'kind')")
            out.append(r)
    return out


def dump(records: Iterable[dict[str, Any]], path: str) -> None:
    with open(path, "w") as f:
        f.writelines(json.dumps(r, sort_keys=True, default=str) + "\n" for r in records)


def plot_all(records: list[dict[str, Any]], out_dir: str, *, title: str = "") -> list[str]:
    """Write every chart (PNG and SVG); return the PNG paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, fn in (("dominant-shares", shares_chart), ("offers-timeline", offers_chart),
                     ("tasks-gantt", gantt_chart), ("failover-timeline", failover_chart)):
        fig = fn(plt, records)
        if title:
            fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        png = os.path.join(out_dir, f"{name}.png")
        fig.savefig(png, dpi=110)
        fig.savefig(os.path.join(out_dir, f"{name}.svg"))
        plt.close(fig)
        paths.append(png)
    return paths


def _empty(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this run", ha="center", va="center",
            transform=ax.transAxes, color="#777777")


def shares_chart(plt: Any, records: list[dict[str, Any]]) -> Any:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    fw: dict[str, list[tuple[float, float]]] = defaultdict(list)
    roles: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in records:
        if r["kind"] == "shares":
            for k, v in (r.get("frameworks") or {}).items():
                fw[k].append((r["t"], v))
            for k, v in (r.get("roles") or {}).items():
                roles[k].append((r["t"], v))
    end = max((r["t"] for r in records), default=0.0)
    for series in (fw, roles):
        for pts in series.values():
            if pts and pts[-1][0] < end:
                pts.append((end, pts[-1][1]))
    for k, pts in sorted(fw.items()):
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", label=f"framework {k}")
    for k, pts in sorted(roles.items()):
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", linestyle="--",
                alpha=0.7, label=f"role {k}")
    if not fw and not roles:
        _empty(ax, "allocations")
    else:
        ax.legend(fontsize=7, loc="upper right", ncol=2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("dominant share")
    ax.set_ylim(0, 1.05)
    ax.set_title("Dominant share per framework and role (DRF)")
    ax.grid(alpha=0.3)
    return fig


def offers_chart(plt: Any, records: list[dict[str, Any]]) -> Any:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    names = sorted({r["framework"] for r in records
                    if r["kind"] in ("offer", "accept", "decline", "rescind") and "framework" in r})
    row = {n: i for i, n in enumerate(names)}
    style = {"offer": ("o", "#3182bd", -0.2), "accept": ("^", "#31a354", 0.0),
             "decline": ("x", "#de2d26", 0.1), "rescind": ("s", "#756bb1", 0.2)}
    for kind, (marker, colour, dy) in style.items():
        xs = [r["t"] for r in records if r["kind"] == kind and r.get("framework") in row]
        ys = [row[r["framework"]] + dy for r in records
              if r["kind"] == kind and r.get("framework") in row]
        n = len(xs)
        ax.scatter(xs, ys, marker=marker, s=14, color=colour, label=f"{kind} ({n})",
                   linewidths=1)
    if not names:
        _empty(ax, "offers")
    else:
        ax.legend(fontsize=7, loc="upper right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("time (s)")
    ax.set_title("Offers, accepts, declines and rescinds per framework")
    ax.grid(alpha=0.3, axis="x")
    return fig


def task_segments(records: list[dict[str, Any]]) -> dict[str, list[tuple[str, float, float, str]]]:
    """agent -> [(task, start, end, state)]: each task's states as its framework heard them.
    A state lasts until the next update of the task (or the end of the run)."""
    end = max((r["t"] for r in records), default=0.0)
    seen: dict[tuple[str, str], list[tuple[float, str, str]]] = defaultdict(list)
    for r in records:
        if r["kind"] == "update" and r.get("task"):
            seen[(r.get("framework", ""), r["task"])].append(
                (r["t"], r["state"], r.get("agent") or "?"))
    out: dict[str, list[tuple[str, float, float, str]]] = defaultdict(list)
    terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
                "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}
    for (_, task), ups in seen.items():
        ups.sort(key=lambda u: u[0])
        for i, (t, state, agent) in enumerate(ups):
            if state in terminal:
                # a terminal state is an instant: a short tick so it shows
                out[agent].append((task, t, max(end * 0.003, 0.05), state))
                break
            nxt = ups[i + 1][0] if i + 1 < len(ups) else end
            out[agent].append((task, t, max(nxt - t, 0.0), state))
    return out


def gantt_chart(plt: Any, records: list[dict[str, Any]]) -> Any:
    segs = task_segments(records)
    agents = sorted(segs)
    lanes: list[tuple[str, str]] = []  # (agent, task)
    for a in agents:
        for task in sorted({s[0] for s in segs[a]}):
            lanes.append((a, task))
    height = min(max(3.0, 0.12 * len(lanes) + 1.5), 14.0)
    fig, ax = plt.subplots(figsize=(10, height))
    index = {lane: i for i, lane in enumerate(lanes)}
    used: set[str] = set()
    for a in agents:
        for task, start, dur, state in segs[a]:
            ax.broken_barh([(start, dur)], (index[(a, task)] - 0.4, 0.8),
                           facecolors=TASK_COLOURS.get(state, "#000000"))
            used.add(state)
    if not lanes:
        _empty(ax, "tasks")
    # one tick per agent, at the middle of its lanes
    ticks, labels = [], []
    for a in agents:
        rows = [i for (ag, _), i in index.items() if ag == a]
        ticks.append(sum(rows) / len(rows))
        labels.append(a)
        ax.axhline(max(rows) + 0.5, color="#dddddd", linewidth=0.5)
    ax.set_yticks(ticks, labels, fontsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=TASK_COLOURS[s]) for s in sorted(used)]
    if handles:
        ax.legend(handles, [s.removeprefix("TASK_") for s in sorted(used)], fontsize=7,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("time (s)")
    ax.set_title(f"Tasks per agent, coloured by state ({len(lanes)} tasks)")
    return fig


def failover_chart(plt: Any, records: list[dict[str, Any]]) -> Any:
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    leaders = [(r["t"], r.get("master")) for r in records if r["kind"] == "leader"]
    masters = sorted({m for _, m in leaders if m})
    row = {m: i + 1 for i, m in enumerate(masters)}
    if leaders:
        end = max(r["t"] for r in records)
        xs, ys = [], []
        for t, m in leaders:
            xs.append(t)
            ys.append(row.get(m, 0) if m else 0)
        xs.append(end)
        ys.append(ys[-1])
        ax1.step(xs, ys, where="post", color="#3182bd")
    else:
        _empty(ax1, "leader changes")
    ax1.set_yticks([0] + list(row.values()), ["none"] + masters, fontsize=7)
    ax1.set_title("Leading master, connected agents, faults")
    pts = [(r["t"], r["agents"]) for r in records
           if r["kind"] == "shares" and r.get("agents") is not None]
    if pts:
        ax2.step([p[0] for p in pts], [p[1] for p in pts], where="post", color="#31a354",
                 label="agents connected to the leader")
        ax2.legend(fontsize=7, loc="lower right")
    faults = [r for r in records if r["kind"] == "fault"]
    for r in faults:
        for ax in (ax1, ax2):
            ax.axvline(r["t"], color="#de2d26", alpha=0.25, linewidth=0.8)
    ax2.set_xlabel(f"time (s); red lines: {len(faults)} faults")
    ax2.set_ylabel("agents")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return fig
