"""`mesotron ps`: one request to the master (`/master/state`), a table of tasks."""

from __future__ import annotations

import argparse
import sys

import httpx
from mesotron.io.daemons.flags import host_port
from mesotron.io.http import tls


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--master", required=True, help="master HOST:PORT or https://HOST:PORT")
    p.add_argument("--all", action="store_true", help="include completed tasks")
    tls.add_client_flags(p)


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
    host, port = host_port(args.master, 5050)
    try:
        ctx = tls.cli_context(args.master, args)  # io/http/tls.py: https://, --ssl-*, LIBPROCESS_SSL_*
    except tls.TlsError as e:
        print(f"mesotron ps: {e}", file=sys.stderr)
        return 2
    scheme = "https" if ctx is not None else "http"
    try:
        auth = (args.principal, args.secret or "") if args.principal else None
        r = httpx.get(f"{scheme}://{host}:{port}/master/state", verify=ctx if ctx is not None else False,
                      timeout=10.0, follow_redirects=True, trust_env=False, auth=auth)
        r.raise_for_status()
    except httpx.HTTPError as e:
        print(f"mesotron ps: {e}", file=sys.stderr)
        return 1
    table = rows(r.json(), args.all)
    head = ("FRAMEWORK", "FRAMEWORK ID", "TASK ID", "NAME", "STATE", "AGENT", "HOST")
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    print(fmt.format(*head))
    for row in table:
        print(fmt.format(*row))
    return 0
