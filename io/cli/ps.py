"""`mesotron ps`: one request to the master (`/master/state`), a table of tasks."""

from __future__ import annotations

import argparse
import sys

from mesotron.io.cli.master_client import CliError, Http, add_master_flags
from mesotron.io.http import tls


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_master_flags(p)
    p.add_argument("--all", action="store_true", help="include completed tasks")


def rows(state: dict, include_completed: bool) -> list[tuple[str, ...]]:
    out = []
    hosts = {s["id"]: s.get("hostname", "") for s in state.get("slaves", [])}
    for f in state.get("frameworks", []) + (state.get("completed_frameworks", []) if include_completed else []):
        tasks = list(f.get("tasks", [])) + list(f.get("unreachable_tasks", []))
        if include_completed:
            tasks += f.get("completed_tasks", [])
        for t in tasks:
            out.append((f.get("name", ""), f["id"], t.get("id", ""), t.get("name", ""),
                        t.get("state", ""), t.get("slave_id", ""), hosts.get(t.get("slave_id", ""), "")))
    return out


def run(args: argparse.Namespace) -> int:
    try:
        with Http.from_args(args) as http:  # io/http/tls.py: https://, --ssl-*, LIBPROCESS_SSL_*
            state = http.get_json(f"{http.resolve(args.master)}/master/state")
    except tls.TlsError as e:
        print(f"mesotron ps: {e}", file=sys.stderr)
        return 2
    except CliError as e:
        print(f"mesotron ps: {e}", file=sys.stderr)
        return 1
    table = rows(state, args.all)
    head = ("FRAMEWORK", "FRAMEWORK ID", "TASK ID", "NAME", "STATE", "AGENT", "HOST")
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print(fmt.format(*head))
    for row in table:
        print(fmt.format(*row))
    return 0
