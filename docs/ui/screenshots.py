"""Regenerate the web UI screenshots in docs/ui/ (`make ui-screenshots`).

Starts a real master and three agents on loopback (tests/testkit.py), runs a finished task
and two long-running frameworks in two roles, then opens each page of the UI in Debian's
chromium (Playwright, the system executable: no browser is downloaded) and saves a PNG per
page. Needs /usr/bin/chromium (`make sysdeps`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))

from testkit import Cluster, wait_for


def execute(c: Cluster, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                             c.master_addr, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, \
            Cluster(tmp, agents=3, resources="cpus:4;mem:4096;disk:10000;ports:[31000-32000]",
                    master_flags=("--allocation-interval", "200ms")) as c:
        done = execute(c, "--name", "hello", "--command", "echo hello from mesotron; date",
                       "--resources", "cpus:0.5;mem:64", "--timeout", "60")
        assert done.wait(60) == 0
        procs = [
            execute(c, "--name", "web", "--instances", "3", "--role", "web", "--resources",
                    "cpus:1;mem:512", "--command",
                    "i=0; while true; do i=$((i+1)); echo serving request $i; sleep 0.5; done"),
            execute(c, "--name", "batch", "--instances", "2", "--role", "analytics", "--resources",
                    "cpus:2;mem:1024", "--command", "for i in $(seq 1 1000); do echo step $i; sleep 1; done"),
        ]
        try:
            wait_for(lambda: sum(1 for f in c.state()["frameworks"] for t in f["tasks"]
                                 if t["state"] == "TASK_RUNNING") == 5, 60, "5 running tasks")
            base = f"http://127.0.0.1:{c.master_port}/"
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = b.new_page(viewport={"width": 1280, "height": 800})
                fid = next(f["id"] for f in c.state()["frameworks"] if f["name"].endswith(" web"))

                def shot(route: str, name: str, wait: str, pause: int = 600) -> None:
                    page.goto(base + route)
                    page.wait_for_selector(wait, state="attached", timeout=20000)
                    page.wait_for_timeout(pause)
                    page.screenshot(path=os.path.join(HERE, name), full_page=True)
                    print(f"docs/ui/{name}: {route}")

                shot("#/", "overview.png", '[data-resource="cpus"]')
                shot("#/agents", "agents.png", "[data-agent]")
                shot("#/frameworks", "frameworks.png", "[data-framework]")
                shot(f"#/frameworks/{fid}", "framework.png", "[data-verdict]")
                shot("#/tasks", "tasks.png", "[data-task]")
                shot(f"#/tasks/{fid}/web-0", "sandbox.png", '#sb-log:has-text("serving")', 2500)
                shot("#/offers", "offers.png", "h1")
                shot("#/drf", "drf.png", 'svg[data-plot="frameworks"] path', 4000)
                b.close()
        finally:
            for pr in procs:
                pr.kill()
                pr.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
