"""The master's CPU cost per v1 HTTP scheduler call, per HTTP server (issue 14 §HTTP path).

A master process (optionally under cProfile), one framework subscribed over HTTP, then N
calls on one keep-alive connection: RECONCILE with no tasks (the master machine does almost
nothing for it, so what is measured is the HTTP path: parsing, the ASGI app, the effect
loop's request/response). Prints the master's CPU µs per call (user+sys, psutil) and, with
--profile, the top functions by cumulative and internal time.

    .venv/bin/python bench/http_cost.py [--calls 5000] [--server hypercorn|h11|both] [--profile DIR] [--tls]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pstats
import signal
import ssl
import subprocess
import sys
import tempfile
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from testkit import free_port, http_get, wait_for


def _pki(work: str) -> tuple[list[str], ssl.SSLContext]:
    """A throwaway CA (trustme): the master's TLS flags and a client context trusting it."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    paths = {n: os.path.join(work, n) for n in ("ca.pem", "cert.pem", "key.pem")}
    ca.cert_pem.write_to_path(paths["ca.pem"])
    cert.cert_chain_pems[0].write_to_path(paths["cert.pem"])
    cert.private_key_pem.write_to_path(paths["key.pem"])
    return (["--ssl-cert", paths["cert.pem"], "--ssl-key", paths["key.pem"]],
            ssl.create_default_context(cafile=paths["ca.pem"]))


def _conn(port: int, ctx: ssl.SSLContext | None) -> http.client.HTTPConnection:
    if ctx is not None:
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ctx)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def run(server: str, calls: int, profile: str | None, use_tls: bool = False) -> float:
    port = free_port()
    work = tempfile.mkdtemp(prefix="http-cost-")
    tls_flags, ctx = _pki(work) if use_tls else ([], None)
    prof = ["-m", "cProfile", "-o", os.path.join(profile, f"master-{server}.prof")] if profile else []
    proc = subprocess.Popen([sys.executable, *prof, "-m", "mesotron.io.cli.main", "master", "--ip", "127.0.0.1",
                             "--port", str(port), "--work-dir", work, "--http-server", server,
                             "--log-level", "warning", *tls_flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def healthy() -> bool:
            if ctx is None:
                return http_get(port, "/health", 0.5)[0] == 200
            try:
                c = _conn(port, ctx)
                c.request("GET", "/health")
                return c.getresponse().status == 200
            except OSError:
                return False

        wait_for(healthy, 30, "master")
        sub = _conn(port, ctx)
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
        c = _conn(port, ctx)
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
        print(f"{server}{' TLS' if use_tls else ''}: {calls} calls, {calls / wall:.0f} calls/s, master CPU {cpu / calls * 1e6:.0f} µs/call")
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
    ap.add_argument("--tls", action="store_true", help="HTTPS (a throwaway CA made by trustme)")
    args = ap.parse_args()
    servers = ("hypercorn", "h11") if args.server == "both" else (args.server,)
    for s in servers:
        run(s, args.calls, args.profile, args.tls)
        if args.profile:
            st = pstats.Stats(os.path.join(args.profile, f"master-{s}.prof"))
            print(f"--- {s}: top 12 by internal time")
            st.sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
