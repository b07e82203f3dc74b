"""What the lab's relay (io/lab/relay.py) costs: round trips to a master straight and through
its relay, and the relay's own CPU (root: builds a lab of 1 ZooKeeper and 1 master).

    nice .venv/bin/python bench/lab_relay.py --requests 300

Prints, for each path, the median and 90th percentile of a keep-alive GET /health round
trip (wall clock, so say the machine's load with it), and the relay process's CPU seconds
(user+sys, psutil) per 1,000 requests through it.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time

import psutil
from mesotron.io.lab.cluster import MASTER_PORT, Lab


def round_trips(host: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection(host, MASTER_PORT, timeout=20)
    out = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", "/health")
            conn.getresponse().read()
            out.append(time.perf_counter() - t0)
    finally:
        conn.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=300)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as root:
        lab = Lab(root, masters=1, agents=0, zk=1, relay=True)
        try:
            lab.up()
            relay = psutil.Process(lab.procs["relay-master1"].pid)
            for name, host in (("straight", lab.net.addr("master1")), ("relay", lab.relay_addr("master1"))):
                round_trips(host, 20)  # warm up
                c0 = sum(relay.cpu_times()[:2])
                rt = sorted(round_trips(host, a.requests))
                cpu = sum(relay.cpu_times()[:2]) - c0
                print(f"{name:9s} median {statistics.median(rt) * 1000:6.2f} ms  "
                      f"p90 {rt[int(len(rt) * 0.9)] * 1000:6.2f} ms  "
                      f"relay CPU {cpu * 1000 / a.requests:.2f} s per 1,000 requests")
        finally:
            lab.down()
    print(f"load: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
