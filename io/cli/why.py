"""`mesotron why --master HOST:PORT|zk://... FRAMEWORK_ID`: why a framework is not being
offered resources, or why its tasks stay pending.

Asks the leading master (`GET /master/why`), which answers from the allocator's explain
mode in core (core/master/why.py, core/allocator/why.py), and prints the verdict, the DRF
ranking of the roles and frameworks, decline filters, held offers, unreachable or inactive
agents and the reason per agent. `--json` prints the master's answer as it is."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from mesotron.io.cli.master_client import CliError, Http, add_master_flags
from mesotron.io.http import tls


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_master_flags(p)
    p.add_argument("--json", action="store_true", help="print the master's JSON answer")
    p.add_argument("--agents", type=int, default=20, help="agents to list (default 20)")
    p.add_argument("framework_id", metavar="FRAMEWORK_ID")


def render(w: dict[str, Any], now: float) -> str:
    fid = w.get("framework_id", "")
    lines = [f"framework {fid}" + (f" ({w['name']})" if w.get("name") else "")
             + f": {w.get('verdict', '?').upper()}", f"  {w.get('summary', '')}"]
    if w.get("roles"):
        sup = ", ".join(w.get("suppressed_roles", [])) or "none"
        lines.append(f"roles: {', '.join(w['roles'])}   suppressed: {sup}   "
                     f"connected: {w.get('connected')}   active: {w.get('active')}")
    if "share" in w:
        lines.append(f"dominant share: {w['share']:.4f}")
    if w.get("roles_drf"):
        lines.append("DRF order of the next cycle (roles below quota first, then by weighted share):")
        for r in w["roles_drf"]:
            q = f"  quota {r['quota']}{' (below)' if r['below_quota'] else ''}" if r.get("quota") else ""
            lines.append(f"  role {r['role']}: weight {r['weight']:g}  share {r['share']:.4f}  "
                         f"weighted {r['weighted_share']:.4f}{q}")
            for f in r["frameworks"]:
                mark = "   <- this framework" if f["id"] == fid else ""
                lines.append(f"    {f['rank']}. {f['id']}  share {f['share']:.4f}{mark}")
    for o in w.get("offers", []):
        lines.append(f"holds offer {o['id']} on agent {o['agent_id']} (role {o['role']}): {o['resources']}")
    for f in w.get("filters", []):
        lines.append(f"decline filter: agent {f['agent_id']} role {f['role']} until {f['until']:g} "
                     f"({max(0.0, f['until'] - now):.0f}s from now): {f['resources']}")
    for t in w.get("staging_tasks", []):
        lines.append(f"task {t['task_id']} still staging on agent {t['agent_id']}")
    for a in w.get("agents_unreachable", []):
        lines.append(f"agent {a['agent_id']} unreachable since {a['since']:g}")
    for key, what in (("agents_recovered", "not re-registered since failover"),
                      ("agents_disconnected", "disconnected"), ("agents_inactive", "deactivated/draining")):
        for a in w.get(key, []):
            lines.append(f"agent {a} {what}")
    if w.get("reason_counts"):
        lines.append("per agent and role: " + ", ".join(f"{k} {n}" for k, n in w["reason_counts"].items()))
    agents = w.get("agents", [])
    if agents:
        lines.append(f"agents ({len(agents)} of {w.get('agents_total', len(agents))}):")
        for a in agents:
            lines.append(f"  {a['agent_id']} [{a['role']}] {a['reason']}: {a['message']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        with Http.from_args(args) as http:
            base = http.resolve(args.master)
            try:
                w = http.get_json(f"{base}/master/why", {"framework_id": args.framework_id,
                                                         "max_agents": args.agents})
            except CliError as e:
                if " 404" in str(e):
                    raise CliError(f"no framework {args.framework_id} is subscribed to the "
                                   "leading master (see `mesotron ps` / the web UI)") from None
                raise
    except tls.TlsError as e:
        print(f"mesotron why: {e}", file=sys.stderr)
        return 2
    except CliError as e:
        print(f"mesotron why: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(w, indent=2))
    else:
        print(render(w, time.time()))
    return 0
