"""pymesos 0.3.15 (unchanged) with a `zk://` master URI follows two consecutive master
failovers of real mesotron daemons and keeps launching tasks; and the HA command-line
surface: standbys answer 307/503, `mesotron local --masters 3 --zk auto`.

Real ZooKeeper (io/zk/server.py), real processes (tests/testkit.HaCluster); every wait has a
deadline.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import pytest
from mesotron.io.zk.server import ZkServer, zookeeper_available
from testkit import HaCluster, free_port, http_get, pymesos_path, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FRAMEWORK = r'''
import json, sys, threading
from pymesos import MesosSchedulerDriver, Scheduler

class F(Scheduler):
    def __init__(self):
        self.n = 0
        self.inflight = set()
        self.lock = threading.Lock()
    def say(self, **kw):
        print(json.dumps(kw), flush=True)
    def registered(self, driver, framework_id, master_info):
        self.say(registered=framework_id["value"], master=master_info["port"])
    def reregistered(self, driver, master_info):
        with self.lock:
            self.inflight.clear()  # a launch the old leader never forwarded gets no update
        self.say(reregistered=master_info["port"])
    def resourceOffers(self, driver, offers):
        for offer in offers:
            with self.lock:
                if len(self.inflight) >= 2:  # a steady trickle, not a flood
                    driver.declineOffer(offer["id"], {"refuse_seconds": 0.1})
                    continue
                self.n += 1
                tid = "p%d" % self.n
                self.inflight.add(tid)
            task = {"task_id": {"value": tid}, "agent_id": {"value": offer["agent_id"]["value"]},
                    "name": tid, "command": {"value": "true"},
                    "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                                  {"name": "mem", "type": "SCALAR", "scalar": {"value": 16}}]}
            driver.launchTasks(offer["id"], [task], {"refuse_seconds": 0.05})
    def statusUpdate(self, driver, update):
        if update["state"] in ("TASK_FINISHED", "TASK_FAILED", "TASK_LOST", "TASK_KILLED", "TASK_ERROR"):
            with self.lock:
                self.inflight.discard(update["task_id"]["value"])
        if update["state"] == "TASK_FINISHED":
            self.say(finished=update["task_id"]["value"])
    def error(self, driver, message):
        self.say(error=message)

driver = MesosSchedulerDriver(F(), {"user": "test", "name": "pymesos-ha", "failover_timeout": 3600.0},
                              sys.argv[1])
driver.run()
'''


@pytest.fixture(scope="module")
def compat_path() -> str:
    return pymesos_path()  # raises (the test fails) when `make venv` did not install it


class Lines:
    """A child's JSON stdout lines, read by a thread into a queue."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.q: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert proc.stdout is not None
        self.t = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self.t.start()

    def _read(self, f: Any) -> None:
        for line in f:
            if line.startswith("{"):
                self.q.put(json.loads(line))

    def until(self, pred: Any, limit: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out after {limit}s waiting for {what}; seen {self.seen[-5:]}")
            try:
                m = self.q.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(m)
            if pred(m):
                return m


def test_pymesos_zk_follows_two_failovers(zk_server: ZkServer, compat_path: str, tmp_path: Any) -> None:
    zk = zk_server.url("/pymesos")
    script = tmp_path / "fw.py"
    script.write_text(FRAMEWORK)
    with HaCluster(str(tmp_path), zk, masters=3, agents=1, session_timeout=1.0,
                   master_flags=("--allocation-interval", "50ms"), agent_flags=("--no-fsync",)) as c:
        env = dict(os.environ, PYTHONPATH=compat_path)
        p = subprocess.Popen([sys.executable, str(script), zk], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, start_new_session=True)
        try:
            lines = Lines(p)
            fid = lines.until(lambda m: "registered" in m, 30, "registered")["registered"]
            lines.until(lambda m: "finished" in m, 30, "a task finished")
            killed: set[int] = set()
            for round_ in (1, 2):
                old = c.wait_leader(exclude=killed)
                c.masters[old].kill9()
                killed.add(old)
                new = c.wait_agents(1, 30.0, killed)
                port = c.masters[new].port
                # pymesos re-subscribes with its framework id (reregistered) and launches again
                lines.until(lambda m, port=port: m.get("reregistered") == port, 30, f"re-registration {round_}")
                lines.until(lambda m: "finished" in m, 30, f"a task finished after failover {round_}")
                state = c.masters[new].get_json("/master/state")
                assert fid in [f["id"] for f in state["frameworks"]], state["frameworks"]
            assert not any("error" in m for m in lines.seen), lines.seen
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait(10)
            if p.stdout:
                p.stdout.close()
            if p.stderr:
                p.stderr.close()


def test_standbys_redirect_to_the_leader(zk_server: ZkServer, tmp_path: Any) -> None:
    zk = zk_server.url("/redirects")
    with HaCluster(str(tmp_path), zk, masters=2, agents=0, session_timeout=5.0) as c:
        leader = c.wait_leader()
        standby = 1 - leader

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a: Any, **k: Any) -> None:
                return None

        leader_pid = f"master@127.0.0.1:{c.masters[leader].port}"
        # a standby serves HTTP before its detector has read the group (503 until then)
        wait_for(lambda: c.masters[standby].get_json("/master/state")["leader"] == leader_pid, 20,
                 "the standby to know the leader")
        opener = urllib.request.build_opener(NoRedirect)
        req = urllib.request.Request(f"http://127.0.0.1:{c.masters[standby].port}/api/v1/scheduler?x=1",
                                     data=b"{}", headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(req, timeout=5)
        assert e.value.code == 307
        assert e.value.headers["Location"] == f"//127.0.0.1:{c.masters[leader].port}/master/api/v1/scheduler?x=1"  # Mesos rewrites the path
        assert http_get(c.masters[standby].port, "/health")[0] == 200
        # the leader gone cleanly (SIGTERM closes its session): the standby leads at once
        c.masters[leader].stop(5)
        assert c.wait_leader(limit=10) == standby


def test_local_masters_3_zk_auto(tmp_path: Any) -> None:
    reason = zookeeper_available()
    if reason is not None:
        pytest.skip(reason)
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "local", "--masters", "3", "--zk", "auto",
                          "--agents", "1", "--port", str(port), "--work-dir", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out: list[str] = []
        deadline = time.monotonic() + 60
        while not any("try: mesotron execute" in ln for ln in out):
            assert time.monotonic() < deadline, out
            line = p.stdout.readline() if p.stdout else ""
            assert line or p.poll() is None, ("mesotron local exited", out)
            out.append(line)
        head = next(ln for ln in out if "masters electing in zk://" in ln)
        zk_pid = int(re.search(r"ZooKeeper pid (\d+)", head).group(1))  # type: ignore[union-attr]
        masters = [ln for ln in out if ln.strip().startswith("master http://")]
        assert len(masters) == 3 and sum("<- leader" in ln for ln in masters) == 1, out
        lport = int(re.search(r":(\d+)\s+<- leader", "".join(masters)).group(1))  # type: ignore[union-attr]
        wait_for(lambda: len(json.loads(http_get(lport, "/master/state")[1])["slaves"]) == 1, 20, "agent")
        os.kill(p.pid, signal.SIGINT)
        assert p.wait(20) == 0
        wait_for(lambda: not os.path.exists(f"/proc/{zk_pid}") or _zombie(zk_pid), 10, "ZooKeeper stopped")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if p.stdout:
            p.stdout.close()


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
