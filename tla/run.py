"""Run every TLC model, broken variant and the trace checks; print a summary table.

    .venv/bin/python tla/run.py                  # everything (make tla)
    .venv/bin/python tla/run.py --only Allocator # models whose name contains "Allocator"
    .venv/bin/python tla/run.py --list
    .venv/bin/python tla/run.py --update         # record new distinct-state counts
    .venv/bin/python tla/run.py --deep           # also the slow models (deep=true)
    .venv/bin/python tla/run.py --sim-traces-only  # only the simulator trace batches (make test)

Expected outcomes live in tla/expected.json: exit code, distinct-state count (complete runs)
or violated invariant (broken variants).  Exit status is non-zero on any unexpected outcome.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import tlcrun

EXPECTED = HERE / "expected.json"
OUTCOME = {0: "ok", 11: "deadlock", 12: "safety violation", 13: "liveness violation"}


def load_expected() -> dict:
    return json.loads(EXPECTED.read_text())


def check_model(entry: dict) -> tuple[bool, str, tlcrun.TLCResult]:
    """Run one model; return (as expected?, explanation, result)."""
    res = tlcrun.run_tlc(entry["module"], entry["cfg"])
    problems = []
    if res.exit_code != entry["exit"]:
        problems.append(f"exit {res.exit_code} != expected {entry['exit']}")
    if entry["exit"] == 0 and entry.get("distinct_states") is not None \
            and res.distinct_states != entry["distinct_states"]:
        problems.append(f"{res.distinct_states} distinct states != expected {entry['distinct_states']}")
    if "violated" in entry and res.violated != entry["violated"]:
        problems.append(f"violated {res.violated!r} != expected {entry['violated']!r}")
    if entry["exit"] == 0 and entry.get("distinct_states") is None:
        problems.append("no distinct_states recorded (run with --update)")
    return not problems, "; ".join(problems), res


def check_trace_batch(spec: dict) -> tuple[bool, str, int, float]:
    """Demo traces must all be accepted and the planted-bug trace rejected at its bad event."""
    import tracecheck
    import tracegen_demo

    traces = [tracegen_demo.generate(spec["seed"] + i, max_steps=spec["max_steps"])
              for i in range(spec["count"])]
    bad, bad_index = tracegen_demo.planted_bug_trace(spec["seed"])
    start = time.monotonic()
    results = tracecheck.check_traces([*traces, bad])
    seconds = time.monotonic() - start
    problems = [r.describe() for r in results[:-1] if not r.accepted]
    last = results[-1]
    if last.accepted or last.first_bad_index != bad_index:
        problems.append(f"planted bug: expected rejection at event {bad_index}, got {last.describe()}")
    events = sum(len(t) for t in traces) + len(bad)
    summary = (f"{len(traces)} traces accepted, planted bug rejected at event {bad_index} "
               f"({results[-1].first_bad_event and results[-1].first_bad_event['action']})")
    return not problems, "; ".join(problems) or summary, events, seconds


def check_sim_trace_batch(entry: dict) -> tuple[bool, str, int, float]:
    """Simulator runs over every fault kind, abstracted by core/sim/spectrace.py, must all be
    behaviours of the spec; a run with the spec's planted bug must be rejected exactly at
    the event the bug produced. One TLC run for the whole batch."""
    import tracecheck
    from mesotron.core.sim import spectrace

    spec = entry["spec"]
    traces, by_kind = spectrace.collect(spec, entry["count"], events=entry["events"],
                                        max_events=entry["max_events"])
    bad, bad_index, bug = spectrace.planted_bug_trace(spec)
    start = time.monotonic()
    results = tracecheck.check_spec_traces(spec, [*traces, bad])
    seconds = time.monotonic() - start
    problems = [r.describe()[:300] for r in results[:-1] if not r.accepted]
    last = results[-1]
    if last.accepted or last.first_bad_index != bad_index:
        problems.append(f"planted bug {bug}: expected rejection at event {bad_index}, got "
                        f"{last.describe()[:300]}")
    events = sum(len(t) for t in traces) + len(bad)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
    summary = (f"{len(traces)} simulator traces accepted ({kinds}); planted bug {bug} "
               f"rejected at event {bad_index} ({bad[bad_index]['action']})")
    return not problems, "; ".join(problems[:3]) or summary, events, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", metavar="NAME", help="run only models/traces whose name contains NAME")
    ap.add_argument("--list", action="store_true", help="list models and exit")
    ap.add_argument("--deep", action="store_true", help="also run the slow models (deep=true)")
    ap.add_argument("--update", action="store_true",
                    help="record the distinct-state counts of complete runs in expected.json")
    ap.add_argument("--sim-traces-only", action="store_true",
                    help="only the simulator trace batches (`make test`: its pytest run checks "
                    "every other model and the demo traces, tests/test_tla.py)")
    args = ap.parse_args(argv)
    expected = load_expected()
    models = [m for m in expected["models"]
              if (not args.only or args.only.lower() in m["name"].lower())
              and (args.deep or not m.get("deep")) and not args.sim_traces_only]
    trace_spec = expected["traces"]
    run_traces = (not args.only or args.only.lower() in trace_spec["name"].lower()) \
        and not args.sim_traces_only
    sim_traces = [e for e in expected.get("sim_traces", [])
                  if not args.only or args.only.lower() in e["name"].lower()]
    if args.list:
        for m in expected["models"]:
            deep = "  (deep)" if m.get("deep") else ""
            print(f"{m['name']:24} {m['module']}/{m['cfg']}  expect exit {m['exit']}{deep}")
        print(f"{trace_spec['name']:24} trace validation")
        for e in expected.get("sim_traces", []):
            print(f"{e['name']:24} trace validation of {e['count']} simulator runs")
        return 0
    try:
        tlcrun.find_java(), tlcrun.find_jar()
    except tlcrun.TLCUnavailable as e:
        print(f"cannot run TLC: {e}", file=sys.stderr)
        return 2

    rows, failed = [], 0
    total_start = time.monotonic()
    for m in models:
        ok, why, res = check_model(m)
        if args.update and res.exit_code == m["exit"] == 0 and res.distinct_states is not None:
            if m.get("distinct_states") != res.distinct_states:
                m["distinct_states"] = res.distinct_states
            ok, why = True, "recorded"
        result = OUTCOME.get(res.exit_code, f"exit {res.exit_code}")
        if res.violated and res.exit_code != 0:
            result += f" ({res.violated})"
        rows.append((m["name"], f"{res.distinct_states:,}" if res.distinct_states else "-",
                     f"{res.seconds:.1f}", result, "PASS" if ok else "FAIL", why))
        failed += not ok
        if not ok:
            print(f"--- {m['name']}: {why}\n{res.output[-3000:]}", file=sys.stderr)
    if run_traces:
        ok, why, events, seconds = check_trace_batch(trace_spec)
        rows.append((trace_spec["name"], f"{events:,} events", f"{seconds:.1f}",
                     "traces checked", "PASS" if ok else "FAIL", why))
        failed += not ok
    for entry in sim_traces:
        ok, why, events, seconds = check_sim_trace_batch(entry)
        rows.append((entry["name"], f"{events:,} events", f"{seconds:.1f}",
                     "traces checked", "PASS" if ok else "FAIL", why))
        failed += not ok
    if args.update:
        EXPECTED.write_text(json.dumps(expected, indent=2) + "\n")

    headers = ("model", "states", "seconds", "result", "verdict", "note")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers).rstrip())
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line.format(*r).rstrip())
    print(f"\n{len(rows) - failed}/{len(rows)} as expected in {time.monotonic() - total_start:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
