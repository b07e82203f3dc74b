"""Real daemons on loopback for tests and benchmarks: free ports, readiness by polling
/health with a deadline (never sleeps as synchronization), clean teardown by pid.

    with Cluster(agents=3, tmp=path) as c:
        c.master_url, c.agents[0].kill9(), c.agents[0].start(), c.state()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

# Ports for daemons a test starts. Asking the kernel for an ephemeral port (bind to 0, close,
# pass the number to a daemon) races with every other process that asks, and with two pytest
# workers (`make test` runs pytest-xdist) each would race the other. So each worker draws from
# its own block of 15000-30000, below the kernel's ephemeral range (32768-60999: outgoing
# connections and bind-to-0 never land there) and below the agents' offered ports
# (31000-32000), never hands the same port out twice, and skips a port something holds.
PORTS_LO, PORTS_HI = 15000, 30000
_issued: set[int] = set()


def _port_block() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gwN under xdist
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    span = (PORTS_HI - PORTS_LO) // max(count, 1)
    lo = PORTS_LO + index * span
    return lo, lo + span - 16  # room for test_examples_workloads' ranges of 11 from a base


def free_port() -> int:
    import random

    lo, hi = _port_block()
    rng = random.Random()  # another run of the suite on this machine draws other ports
    for _ in range(1000):
        port = rng.randrange(lo, hi)
        if port in _issued:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # held (or in TIME_WAIT) by something else
        _issued.add(port)
        return port
    raise RuntimeError(f"no free port in {lo}-{hi} after 1000 draws")


def basic_auth(principal: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{principal}:{secret}".encode()).decode()


def http_get(port: int, path: str, timeout: float = 2.0, auth: tuple[str, str] | None = None
             ) -> tuple[int, bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if auth is not None:
        req.add_header("Authorization", basic_auth(*auth))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


async def blocking(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking helper of this module (HTTP polls, process control) off the Trio loop."""
    import trio

    return await trio.to_thread.run_sync(fn, *args)


def wait_for(pred: Callable[[], Any], limit: float, what: str, interval: float = 0.02) -> Any:
    """Poll `pred` until it returns something truthy, or raise TimeoutError after `limit` s."""
    deadline = time.monotonic() + limit
    while True:
        try:
            v = pred()
        except (OSError, ValueError):
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {limit}s waiting for {what}")
        time.sleep(interval)


class Daemon:
    def __init__(self, argv: list[str], port: int, log_path: str) -> None:
        self.argv = argv
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 20.0) -> Daemon:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", *self.argv],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        if wait:
            self.wait_healthy(wait)
        return self

    def wait_healthy(self, limit: float = 20.0) -> None:
        def ok() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                with open(self.log_path) as f:
                    tail = f.read()[-2000:]
                raise RuntimeError(f"{self.argv[0]} exited with {self.proc.returncode}: {tail}")
            return http_get(self.port, "/health", 0.5)[0] == 200

        wait_for(ok, limit, f"{self.argv[0]} on port {self.port} to be healthy")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill9()

    def get_json(self, path: str, auth: tuple[str, str] | None = None) -> Any:
        status, body = http_get(self.port, path, 5.0, auth)
        if status != 200:
            raise OSError(f"GET {path}: {status}")
        return json.loads(body)

    def agent_id(self, limit: float = 20.0) -> str:
        """An agent's id once it knows it: the master admits the agent (and shows it in
        /master/state) a moment before the agent handles its AgentRegistered, so /state's
        `id` may still be empty right after Cluster.wait_agents."""
        return wait_for(lambda: self.get_json("/state")["id"], limit,  # type: ignore[no-any-return]
                        f"the agent on port {self.port} to know its id")


class Cluster:
    """A master and N agents as separate processes (so an agent can be kill -9'd)."""

    def __init__(self, tmp: str, agents: int = 1, resources: str = "cpus:4;mem:4096;disk:10000;ports:[31000-32000]",
                 master_flags: tuple[str, ...] = (), agent_flags: tuple[str, ...] = (),
                 auth: tuple[str, str] | None = None) -> None:
        self.tmp = tmp
        self.auth = auth  # Basic credentials for state() (a master with --authenticate-http-readonly)
        self.n_agents = agents
        self.resources = resources
        self.master_flags = master_flags
        self.agent_flags = agent_flags
        self.master: Daemon | None = None
        self.agents: list[Daemon] = []

    @property
    def master_port(self) -> int:
        assert self.master is not None
        return self.master.port

    @property
    def master_addr(self) -> str:
        return f"127.0.0.1:{self.master_port}"

    def agent(self, i: int, port: int | None = None) -> Daemon:
        port = port or free_port()
        wd = os.path.join(self.tmp, f"agent{i}")
        return Daemon(["agent", "--master", self.master_addr, "--ip", "127.0.0.1", "--port", str(port),
                       "--work-dir", wd, "--resources", self.resources, *self.agent_flags],
                      port, os.path.join(self.tmp, f"agent{i}.log"))

    def __enter__(self) -> Cluster:  # noqa: PYI034
        mp = free_port()
        self.master = Daemon(["master", "--ip", "127.0.0.1", "--port", str(mp), "--work-dir",
                              os.path.join(self.tmp, "master"), *self.master_flags],
                             mp, os.path.join(self.tmp, "master.log"))
        self.master.start()
        self.agents = [self.agent(i).start() for i in range(self.n_agents)]
        self.wait_agents(self.n_agents)
        return self

    def wait_agents(self, n: int, limit: float = 20.0) -> None:
        wait_for(lambda: sum(1 for s in self.state()["slaves"] if s.get("active", True)) >= n,
                 limit, f"{n} active agents")

    def state(self) -> Any:
        assert self.master is not None
        return self.master.get_json("/master/state", self.auth)

    def __exit__(self, *exc: object) -> None:
        for a in self.agents:
            a.stop(5)
        if self.master is not None:
            self.master.stop(5)
        kill_executors(self.tmp)


def kill_executors(work_root: str) -> None:
    """SIGKILL executor process groups recorded under `work_root` (they outlive agents by design)."""
    for dirpath, _dirs, files in os.walk(work_root):
        if not dirpath.endswith(os.path.join("meta", "containers")):
            continue
        for name in files:
            if not name.endswith(".pid"):
                continue
            try:
                with open(os.path.join(dirpath, name)) as f:
                    pid = int(f.read().split(" ", 1)[0])
                os.killpg(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYMESOS_DIR = os.path.join(ROOT, ".venv", "pymesos-compat")


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def pymesos_pins() -> tuple[list[str], str]:
    """The pins of the pymesos compatibility client, from pyproject.toml [tool.mesotron]:
    (packages installed with pip --no-deps, the http-parser sdist whose pure-Python modules
    are used)."""
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        conf = tomllib.load(f)["tool"]["mesotron"]
    return list(conf["pymesos-compat"]), str(conf["pymesos-compat-sdist"])


def install_pymesos(target: str = PYMESOS_DIR) -> str:
    """Install pymesos and its pure-Python dependencies, as pinned in pyproject.toml, into
    `target` with the ordinary pip client (`make venv` runs this; the tests never install).
    http-parser's C extension does not build on Python 3.11, so its pure-Python modules
    are taken from the pinned sdist. Does nothing when `target` holds these pins already."""
    import glob
    import shutil
    import tarfile
    import tempfile

    pins, sdist_pin = pymesos_pins()
    stamp = "\n".join([*pins, sdist_pin])
    marker = os.path.join(target, ".pins")
    if _read(marker) == stamp:
        return target
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--target", target, *pins], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*pip, "download", "--no-deps", "--no-binary", ":all:", "-d", tmp, sdist_pin],
                       check=True)
        sdist = glob.glob(os.path.join(tmp, "http*parser-*.tar.gz"))[0]
        with tarfile.open(sdist) as tf:
            members = [m for m in tf.getmembers() if m.name.count("/") == 2
                       and m.name.split("/")[1] == "http_parser" and m.name.endswith(".py")]
            tf.extractall(tmp, members=members, filter="data")
        src = os.path.join(tmp, os.path.basename(sdist)[: -len(".tar.gz")], "http_parser")
        shutil.copytree(src, os.path.join(target, "http_parser"))
    with open(marker, "w") as f:
        f.write(stamp)
    return target


def pymesos_path() -> str:
    """The directory to put on PYTHONPATH for pymesos (installed by `make venv`). Raises
    RuntimeError when it is missing: a compatibility test that cannot run its client fails."""
    pins, sdist_pin = pymesos_pins()
    marker = os.path.join(PYMESOS_DIR, ".pins")
    if _read(marker) != "\n".join([*pins, sdist_pin]):
        raise RuntimeError(f"pymesos ({', '.join(pins)}) is not installed in {PYMESOS_DIR}: "
                           "run `make venv` (make test does)")
    return PYMESOS_DIR


class HaCluster:
    """N masters electing a leader in ZooKeeper (`--zk URL`) and M agents following it
    (`--master URL`), each a separate process; ZooKeeper itself is the caller's
    (io/zk/server.py.ZkServer).

        with HaCluster(tmp, zk_url, masters=3, agents=2, session_timeout=2.0) as c:
            i = c.leader_index(); c.masters[i].kill9(); c.wait_leader(exclude={i})
    """

    def __init__(self, tmp: str, zk_url: str, masters: int = 3, agents: int = 1,
                 session_timeout: float = 2.0,
                 resources: str = "cpus:4;mem:4096;disk:10000;ports:[31000-32000]",
                 master_flags: tuple[str, ...] = (), agent_flags: tuple[str, ...] = (),
                 auth: tuple[str, str] | None = None) -> None:
        self.tmp = tmp
        self.auth = auth  # Basic credentials for state() (a master with --authenticate-http-readonly)
        self.zk_url = zk_url
        self.n_masters = masters
        self.n_agents = agents
        self.session_timeout = session_timeout
        self.resources = resources
        self.master_flags = master_flags
        self.agent_flags = agent_flags
        self.masters: list[Daemon] = []
        self.agents: list[Daemon] = []

    def master(self, i: int, port: int | None = None) -> Daemon:
        port = port or free_port()
        return Daemon(["master", "--ip", "127.0.0.1", "--port", str(port), "--zk", self.zk_url,
                       "--zk-session-timeout", f"{self.session_timeout}secs",
                       "--work-dir", os.path.join(self.tmp, f"master{i}"), *self.master_flags],
                      port, os.path.join(self.tmp, f"master{i}.log"))

    def agent(self, i: int, port: int | None = None) -> Daemon:
        port = port or free_port()
        return Daemon(["agent", "--master", self.zk_url, "--zk-session-timeout", f"{self.session_timeout}secs",
                       "--ip", "127.0.0.1", "--port", str(port),
                       "--work-dir", os.path.join(self.tmp, f"agent{i}"), "--resources", self.resources,
                       *self.agent_flags],
                      port, os.path.join(self.tmp, f"agent{i}.log"))

    def is_leading(self, i: int) -> bool:
        m = self.masters[i]
        if m.proc is None or m.proc.poll() is not None:
            return False
        return bool(m.get_json("/metrics/snapshot").get("master/elected"))

    def leader_index(self, exclude: set[int] = frozenset(), limit: float = 0.0) -> int | None:  # type: ignore[assignment]
        for i in range(len(self.masters)):
            if i not in exclude:
                try:
                    if self.is_leading(i):
                        return i
                except (OSError, ValueError):
                    pass
        return None

    def wait_leader(self, exclude: set[int] = frozenset(), limit: float = 30.0) -> int:  # type: ignore[assignment]
        found = wait_for(lambda: (self.leader_index(exclude),) if self.leader_index(exclude) is not None else None,
                         limit, "an elected leader")
        return int(found[0])

    def state(self, i: int | None = None) -> Any:
        i = self.wait_leader(limit=30.0) if i is None else i
        return self.masters[i].get_json("/master/state")

    def wait_agents(self, n: int, limit: float = 30.0, exclude: set[int] = frozenset()) -> int:  # type: ignore[assignment]
        """Until the leader (not in `exclude`) has n active agents; returns its index."""
        def ok() -> tuple[int] | None:
            i = self.leader_index(exclude)
            if i is None:
                return None
            active = sum(1 for s in self.masters[i].get_json("/master/state")["slaves"] if s.get("active", True))
            return (i,) if active >= n else None

        return int(wait_for(ok, limit, f"{n} active agents on the leader")[0])

    def __enter__(self) -> HaCluster:  # noqa: PYI034
        self.masters = [self.master(i).start() for i in range(self.n_masters)]
        self.wait_leader()
        # every standby has read the group (it serves HTTP before that: 503s, no 307s)
        wait_for(lambda: all(m.get_json("/master/state").get("leader") for m in self.masters), 30,
                 "every master to know the leader")
        self.agents = [self.agent(i).start() for i in range(self.n_agents)]
        self.wait_agents(self.n_agents)
        return self

    def __exit__(self, *exc: object) -> None:
        for a in self.agents:
            a.stop(5)
        for m in self.masters:
            m.stop(5)
        kill_executors(self.tmp)


# ------------------------------------------------------------------ partitions, failover
def pause(d: Daemon) -> None:
    """SIGSTOP the daemon's process (a partition: it neither reads nor answers; its TCP
    connections and ZooKeeper session stay open until peers time out)."""
    if d.proc is not None and d.proc.poll() is None:
        os.kill(d.proc.pid, signal.SIGSTOP)


def resume(d: Daemon) -> None:
    """SIGCONT the daemon's process (heal a `pause`); harmless if it is not stopped."""
    if d.proc is not None and d.proc.poll() is None:
        os.kill(d.proc.pid, signal.SIGCONT)


class paused:
    """`pause(d)` on entry; `resume(d)` on exit whatever happens (unless already resumed),
    so a failing test never leaves a stopped process behind for teardown to wait on."""

    def __init__(self, d: Daemon) -> None:
        self.d = d

    def __enter__(self) -> Daemon:
        pause(self.d)
        return self.d

    def __exit__(self, *exc: object) -> None:
        resume(self.d)


def kill_leader(c: HaCluster, limit: float = 30.0) -> tuple[int, int]:
    """SIGKILL the elected master; wait for another to lead. Returns (old, new) indexes."""
    old = c.wait_leader(limit=limit)
    c.masters[old].kill9()
    return old, c.wait_leader(exclude={old}, limit=limit)


def flat_resources(res: Any) -> dict[str, Any]:
    """A core Resources value in the flattened form of /master/state (`resources`,
    `used_resources`, `offered_resources`): cpus/gpus/mem/disk always present, ranges as
    "[a-b, ...]"; allocation roles dropped (an offer's resources carry them)."""
    out: dict[str, Any] = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
    for name in sorted(res.names()):
        ranges = res.ranges(name)
        out[name] = "[" + ", ".join(f"{a}-{b}" for a, b in ranges) + "]" if ranges else res.scalar(name)
    return out


def slave_json(state: Any, agent_id: str) -> Any:
    """The /master/state `slaves` entry of `agent_id`, or None."""
    return next((s for s in state.get("slaves", []) if s["id"] == agent_id), None)


class EventRecorder:
    """Drains a `SchedulerClient`'s events in a background Trio task (`nursery.start(r.run)`):
    keeps every event in order in `events`, acknowledges each status update that carries a
    uuid (unless `ack=False`; a failed acknowledgement during a failover is dropped: the agent
    retries the update), and lets a test wait, without sleeps, for an event matching a
    predicate (`await r.wait_for(pred, since=i)` returns its index).

    "No answer" is checked with a barrier, never with a timeout: a call whose answer is
    known to come AFTER the one under test (same stream, calls processed in order)."""

    def __init__(self, client: Any, *, ack: bool = True) -> None:
        import trio

        self.client = client
        self.ack = ack
        self.events: list[Any] = []
        self._changed = trio.Event()

    async def run(self, *, task_status: Any = None) -> None:
        import trio
        from mesotron.core.messages import CallAcknowledge, EventUpdate
        from mesotron.io.http.client import HTTPError

        if task_status is not None:
            task_status.started()
        async for ev in self.client.events():
            self.events.append(ev)
            self._changed.set()
            self._changed = trio.Event()
            if self.ack and isinstance(ev, EventUpdate) and ev.status.uuid:
                st = ev.status
                try:
                    await self.client.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id,
                                                           uuid=st.uuid))
                except (OSError, HTTPError, trio.TooSlowError):
                    pass

    async def wait_for(self, pred: Callable[[Any], Any], since: int = 0) -> int:
        i = since
        while True:
            while i < len(self.events):
                if pred(self.events[i]):
                    return i
                i += 1
            await self._changed.wait()

    def updates(self, task_id: str, since: int = 0, until: int | None = None) -> list[Any]:
        """TaskStatus values of `task_id` among events[since:until], in order."""
        from mesotron.core.messages import EventUpdate

        return [e.status for e in self.events[since:until]
                if isinstance(e, EventUpdate) and e.status.task_id == task_id]

    async def wait_update(self, task_id: str, state: Any, since: int = 0) -> int:
        """Index of the first update of `task_id` to `state` at or after `since`."""
        from mesotron.core.messages import EventUpdate

        return await self.wait_for(lambda e: isinstance(e, EventUpdate) and e.status.task_id == task_id
                                   and e.status.state is state, since)


class TcpProxy:
    """A TCP relay from a free loopback port to `target_host:target_port`, in threads (for
    real-process tests). `freeze()` stalls the link: no byte is relayed in either direction
    (they wait in kernel buffers or in the relay) until `thaw()`; connections stay open, as
    on a congested or briefly partitioned network. Used to stall one daemon's ZooKeeper link
    while the others talk to ZooKeeper directly.

        with TcpProxy("127.0.0.1", zk_port) as p: url = f"zk://127.0.0.1:{p.port}/mesos"
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        import threading

        self.target = (target_host, target_port)
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name=f"proxy:{self.port}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.target, timeout=5.0)
                up.settimeout(None)
            except OSError:
                down.close()
                continue
            with self._lock:
                if self._closed:
                    down.close()
                    up.close()
                    return
                self._socks += [down, up]
            for src, dst in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                self._flowing.wait()
                data = src.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # a chunk read just before a freeze waits here
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            socks, self._socks = self._socks, []
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        except OSError:
            pass
        self.listener.close()
        self._flowing.set()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def __enter__(self) -> TcpProxy:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":  # `make venv`: python tests/testkit.py install-pymesos
    if sys.argv[1:] == ["install-pymesos"]:
        print(install_pymesos())
    else:
        sys.exit("usage: testkit.py install-pymesos")


# ------------------------------------------------------------------ simulation campaigns
def _sim_outcome(cfg: Any) -> tuple[int, str | None]:
    from mesotron.core.sim.run import replay_command, simulate

    res = simulate(cfg)
    if res.failure is None:
        return res.events, None
    return res.events, f"seed {cfg.seed}: {res.failure}\n  replay: {replay_command(cfg)}"


def sim_campaign(configs: list[Any], jobs: int = 2) -> list[tuple[int, str | None]]:
    """Run independent seeded simulations, `jobs` at a time in fresh (spawned) interpreters;
    (events, failure text or None) per config, in the order given. Each run is a pure
    function of its config, so the outcome does not depend on `jobs`; pytest itself runs on
    one core, so a campaign may use the machine's second one."""
    jobs = max(1, min(jobs, os.cpu_count() or 1, len(configs)))
    if jobs == 1:
        return [_sim_outcome(c) for c in configs]
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    with ctx.Pool(processes=jobs) as pool:
        return pool.map(_sim_outcome, configs, chunksize=max(1, len(configs) // (jobs * 8)))


# ------------------------------------------------------------------ simulated scenarios
def busiest_agent(world: Any) -> int:
    """The index (in `world.agents`, as the `crash-agent` fault takes it) of the live agent
    that runs the most non-terminal tasks of frameworks that acknowledge their updates (the
    scripted batch/service/gang apps; ties: the lowest index). Scenario tests crash this
    agent instead of a hard-coded index, so a trajectory change elsewhere (which agent got
    which offer) does not move them off their scenario; raises if no agent runs such a task."""
    acking = {s.app.framework_id for s in world.schedulers
              if s.app.acks and s.app.framework_id is not None}

    def live(n: Any) -> int:
        if not n.alive or n.machine is None:
            return 0
        return sum(1 for fid, fw in n.machine.frameworks.items() if fid in acking
                   for ex in fw.executors.values() for t in ex.tasks.values()
                   if not t.state.is_terminal)

    counts = [live(n) for n in world.agents]
    if not counts or max(counts) == 0:
        raise AssertionError(f"no agent runs a task of an acknowledging framework at "
                             f"t={world.now:g}: the scenario needs one")
    return counts.index(max(counts))
