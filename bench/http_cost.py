"""The master's CPU cost per v1 HTTP scheduler call, per HTTP server (issue 14 §HTTP path).

A master process (optionally under cProfile), one framework subscribed over HTTP, then N
calls on one keep-alive connection: RECONCILE with no tasks (the master machine does almost
nothing for it, so what is measured is the HTTP path: parsing, the ASGI app, the effect
loop's request/response). Prints the master's CPU µs per call (user+sys, psutil) and, with
--profile, the top functions by cumulative and internal time.

    .venv/bin/python bench/http_cost.py [--calls 5000] [--server hypercorn|h11|both] [--profile DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from testkit import free_port, http_get, wait_for


def run(server: str, calls: int, profile: str | None) -> float:
    port = free_port()
    work = tempfile.mkdtemp(prefix="http-cost-")
    prof = ["-m", "cProfile", "-o", os.path.join(profile, f"master-{server}.prof")] if profile else []
    proc = subprocess.Popen([sys.executable, *prof, "-m", "mesotron.io.cli.main", "master", "--ip", "127.0.0.1",
                             "--port", str(port), "--work-dir", work, "--http-server", server,
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: http_get(port, "/health", 0.5)[0] == 200, 30, "master")
        sub = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sub.request("POST", "/api/v1/scheduler", body=json.dumps({"type": "SUBSCRIBE", "subscribe": {
            "framework_info": {"user": "u", "name": "cost"}}}),
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        r = sub.getresponse()
        sid = r.getheader("Mesos-Stream-Id")
        first = r.read1(4096)
        size, _, rest = first.partition(b"\n")  # RecordIO: <length>\n<record>
        fid = json.loads(rest[:int(size)])["subscribed"]["framework_id"]["value"]
        body = json.dumps({"type": "RECONCILE", "framework_id": {"value": fid}, "reconcile": {"tasks": []}})
        hdrs = {"Content-Type": "application/json", "Accept": "application/json", "Mesos-Stream-Id": sid}
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        p = psutil.Process(proc.pid)
        for _ in range(200):  # warm up
            c.request("POST", "/api/v1/scheduler", body=body, headers=hdrs)
            assert c.getresponse().read() == b""
        t0 = p.cpu_times()
        w0 = time.perf_counter()
        for _ in range(calls):
            c.request("POST", "/api/v1/scheduler", body=body, headers=hdrs)
            resp = c.getresponse()
            resp.read()
            assert resp.status == 202, resp.status
        wall = time.perf_counter() - w0
        t1 = p.cpu_times()
        cpu = (t1.user - t0.user) + (t1.system - t0.system)
        print(f"{server}: {calls} calls, {calls / wall:.0f} calls/s, master CPU {cpu / calls * 1e6:.0f} µs/call")
        c.close()
        sub.close()
        return cpu / calls
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--server", choices=("hypercorn", "h11", "both"), default="both")
    ap.add_argument("--profile", metavar="DIR", default=None)
    args = ap.parse_args()
    servers = ("hypercorn", "h11") if args.server == "both" else (args.server,)
    for s in servers:
        run(s, args.calls, args.profile)
        if args.profile:
            st = pstats.Stats(os.path.join(args.profile, f"master-{s}.prof"))
            print(f"--- {s}: top 12 by internal time")
            st.sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
