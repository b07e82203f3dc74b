"""`mesotron lab`: masters, agents and a real ZooKeeper ensemble, each in its own network
namespace with its own address on a bridge (io/lab/net.py), started and faulted from here.

    lab = Lab("/tmp/mesotron-lab", masters=3, agents=5, zk=3)
    lab.up()            # namespaces, the ensemble (quorum reached), masters, agents registered
    lab.kill9("agent2"); lab.start("agent2"); lab.pause("master1"); lab.resume("master1")
    lab.partition(["master1"], ["zk1", "zk2", "zk3", "agent1"])   # two-way; one_way=True too
    lab.heal()
    lab.down()          # every process, namespace, link and mount gone

The lab's description (ids, namespaces, pids, mounts) is written to `<dir>/lab.json` at
every change, so `mesotron lab down --dir DIR` (or `--all`) cleans up after a crashed
harness. Agents' work dirs are small tmpfs mounts (`--agent-disk-mb`), so a full disk is a
fault we can inject (`fill_disk`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from mesotron.io.lab.net import LabNet, cleanup_all, kill_netns_processes
from mesotron.io.zk.server import find_zookeeper, four_letter_word

ZK_PORT, MASTER_PORT, AGENT_PORT = 2181, 5050, 5051
INTERNAL_PORT = 5060  # the masters' internal transport, fixed when relayed (io/lab/relay.py)


class LabError(RuntimeError):
    pass


class Lab:
    def __init__(self, root: str, *, masters: int = 3, agents: int = 5, zk: int = 3,
                 lab_id: str | None = None, agent_disk_mb: int = 64,
                 agent_resources: str = "cpus:4;mem:2048;disk:32;ports:[31000-31100]",
                 zk_session_timeout: str = "4secs", daemon_env: dict[str, str] | None = None,
                 relay: bool = False, relay_seed: int = 0, clients: int = 0) -> None:
        if zk < 1 or masters < 1 or agents < 0:
            raise ValueError("a lab needs at least one ZooKeeper server and one master")
        self.root = os.path.abspath(root)
        self.id = lab_id or format(os.getpid() % 1296, "x")[:3]
        self.net = LabNet(self.id)
        # clients: namespaces with no daemon, for framework processes (the campaign's pymesos
        # frameworks) that reach the cluster over the bridge like another host
        self.counts = {"zk": zk, "master": masters, "agent": agents, "client": clients}
        self.agent_disk_mb = agent_disk_mb
        self.agent_resources = agent_resources
        self.zk_session_timeout = zk_session_timeout
        self.daemon_env = dict(daemon_env or {})  # extra environment of masters and agents
        # relay=True: each master is reached through a relay on a second address
        # (io/lab/relay.py): delay, loss, duplication, reordering, one-way cuts of streams
        self.relay = relay
        self.agent_ping_timeout = "1secs"
        self.relay_seed = relay_seed
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.mounts: list[str] = []
        self.paused: set[str] = set()
        self.cut: list[tuple[str, str]] = []  # (from node, to node) blackholed

    # ------------------------------------------------------------------ naming
    def names(self, kind: str) -> list[str]:
        return [f"{kind}{i}" for i in range(1, self.counts[kind] + 1)]

    @property
    def zk_hosts(self) -> str:
        return ",".join(f"{self.net.addr(z)}:{ZK_PORT}" for z in self.names("zk"))

    @property
    def zk_url(self) -> str:
        return f"zk://{self.zk_hosts}/mesos"

    @property
    def client(self) -> str | None:
        """The first client namespace's node name (None without clients)."""
        return "client1" if self.counts["client"] else None

    def http(self, name: str) -> str:
        port = MASTER_PORT if name.startswith("master") else AGENT_PORT
        return f"{self.net.addr(name)}:{port}"

    def dir(self, name: str) -> str:
        return os.path.join(self.root, name)

    # ------------------------------------------------------------------ lifecycle
    def up(self, timeout: float = 90.0) -> None:
        os.makedirs(self.root, exist_ok=True)
        self.net.up()
        self.save()
        try:
            for kind in ("zk", "master", "agent", "client"):
                for name in self.names(kind):
                    self.net.add_node(name)
            self.save()
            for z in self.names("zk"):
                self.start(z)
            self.wait(lambda: all(self.zk_mode(z) for z in self.names("zk")), timeout, "ZooKeeper quorum")
            for m in self.names("master"):
                if self.relay:
                    from mesotron.io.lab.net import ip

                    ip("addr", "add", f"{self.relay_addr(m)}/24", "dev", "eth0", ns=self.net.ns(m))
                    self.start(f"relay-{m}")
                    self.wait(lambda m=m: os.path.exists(self.relay_sock(m)), timeout, f"relay of {m}")
                self.start(m)
            self.wait(lambda: self.leader() is not None, timeout, "a leading master")
            for a in self.names("agent"):
                os.makedirs(self.dir(a), exist_ok=True)
                subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.agent_disk_mb}m", "tmpfs",
                                self.dir(a)], check=True, timeout=10)
                self.mounts.append(self.dir(a))
                self.save()
                self.start(a)
            self.wait(lambda: self.active_agents() >= self.counts["agent"], timeout, "agents registered")
            # a client resolves the masters' hostnames (a master's redirect names its leader
            # by hostname, as Mesos's does; pymesos follows it) to their advertised addresses
            for c in self.names("client"):
                self.net.hosts(c, {m: self.relay_addr(m) if self.relay else self.net.addr(m)
                                   for m in self.names("master")})
        except BaseException:
            self.down()
            raise

    def relay_addr(self, master: str) -> str:
        """The second address of a relayed master: where its relay listens."""
        return f"10.77.{self.net.n}.{100 + self.net.nodes[master][2]}"

    def relay_sock(self, master: str) -> str:
        return os.path.join(self.root, f"relay-{master}.sock")

    def peer_addr(self, node: str) -> str:
        """The source address a relay sees for `node` ("host": the harness, on the bridge)."""
        return self.net.gateway if node == "host" else self.net.addr(node)

    def relay_call(self, master: str, req: dict[str, Any]) -> dict[str, Any]:
        from mesotron.io.lab.relay import relay_call

        if not self.relay:
            raise LabError("this lab has no relays (Lab(relay=True))")
        return relay_call(self.relay_sock(master), req)

    def link_mode(self, peer: str, master: str, **mode: Any) -> None:
        """Set the mode of the link between `peer` (a node or "host") and `master` (see
        io/lab/relay.py: delay_ms, jitter_ms, loss, rto_ms, cut, duplicate, reorder, kinds,
        budget); `link_mode(peer, master)` clears it."""
        if mode:
            self.relay_call(master, {"cmd": "set", "peer": self.peer_addr(peer), "mode": mode})
        else:
            self.relay_call(master, {"cmd": "clear", "peer": self.peer_addr(peer)})

    def relay_stats(self, master: str, peer: str) -> dict[str, Any]:
        links = self.relay_call(master, {"cmd": "stats"})["links"]
        return links.get(self.peer_addr(peer), {"mode": {}, "stats": {}, "open": 0})

    def argv(self, name: str) -> list[str]:
        if name.startswith("relay-"):
            m = name.removeprefix("relay-")
            return [sys.executable, "-m", "mesotron.io.lab.relay", "--listen", self.relay_addr(m),
                    "--target", self.net.addr(m), "--ports", f"{MASTER_PORT},{INTERNAL_PORT}:framed",
                    "--control", self.relay_sock(m), "--seed", str(self.relay_seed)]
        me = self.net.addr(name)
        if name.startswith("zk"):
            java, cp = find_zookeeper()
            d = self.dir(name)
            os.makedirs(os.path.join(d, "data"), exist_ok=True)
            with open(os.path.join(d, "data", "myid"), "w") as f:
                f.write(name.removeprefix("zk"))
            cfg = {"tickTime": 500, "initLimit": 10, "syncLimit": 5, "dataDir": os.path.join(d, "data"),
                   "clientPort": ZK_PORT, "clientPortAddress": me, "minSessionTimeout": 1000,
                   "maxSessionTimeout": 60000, "maxClientCnxns": 0, "admin.enableServer": "false",
                   "4lw.commands.whitelist": "srvr,ruok,mntr,stat", "quorumListenOnAllIPs": "false"}
            for z in self.names("zk"):
                cfg[f"server.{z.removeprefix('zk')}"] = f"{self.net.addr(z)}:2888:3888"
            with open(os.path.join(d, "zoo.cfg"), "w") as f:
                f.write("".join(f"{k}={v}\n" for k, v in cfg.items()))
            return [java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dzookeeper.jmx.log4j.disable=true", "-cp", cp,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", os.path.join(d, "zoo.cfg")]
        py = [sys.executable, "-m", "mesotron.io.cli.main"]
        if name.startswith("master"):
            return [*py, "master", "--ip", me, "--port", str(MASTER_PORT), "--hostname", name,
                    "--zk", self.zk_url, "--registry", "zk", "--work-dir", self.dir(name),
                    "--zk-session-timeout", self.zk_session_timeout, "--allocation-interval", "100ms",
                    "--agent-ping-timeout", self.agent_ping_timeout, "--max-agent-ping-timeouts", "5",
                    *(["--advertise-ip", self.relay_addr(name), "--internal-port", str(INTERNAL_PORT)]
                      if self.relay else [])]
        return [*py, "agent", "--master", self.zk_url, "--ip", me, "--port", str(AGENT_PORT),
                "--hostname", name, "--work-dir", self.dir(name), "--resources", self.agent_resources,
                "--recover", "reconnect", "--zk-session-timeout", self.zk_session_timeout,
                "--registration-backoff-factor", "0.2"]

    def start(self, name: str) -> None:
        if name in self.procs and self.procs[name].poll() is None:
            raise LabError(f"{name} is already running")
        os.makedirs(self.dir(name), exist_ok=True)
        log = open(os.path.join(self.root, f"{name}.log"), "ab")  # noqa: SIM115 - the child owns it
        ns_of = name.removeprefix("relay-")  # a relay runs in its master's namespace
        try:
            self.procs[name] = subprocess.Popen([*self.net.exec_prefix(ns_of), *self.argv(name)],
                                                stdin=subprocess.DEVNULL, stdout=log,
                                                stderr=subprocess.STDOUT, cwd=self.dir(name),
                                                start_new_session=True,
                                                env=None if name.startswith("zk") or not self.daemon_env
                                                else {**os.environ, **self.daemon_env})
        finally:
            log.close()
        self.paused.discard(name)
        self.save()

    def signal(self, name: str, sig: int) -> None:
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            raise LabError(f"{name} is not running")
        os.kill(p.pid, sig)

    def kill9(self, name: str) -> None:
        self.signal(name, signal.SIGKILL)
        self.procs[name].wait(timeout=10)
        self.paused.discard(name)
        self.save()

    def pause(self, name: str) -> None:
        self.signal(name, signal.SIGSTOP)
        self.paused.add(name)

    def resume(self, name: str) -> None:
        self.signal(name, signal.SIGCONT)
        self.paused.discard(name)

    def running(self, name: str) -> bool:
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    # ------------------------------------------------------------------ network faults
    def partition(self, side_a: list[str], side_b: list[str], *, one_way: bool = False) -> None:
        """side_a stops reaching side_b (and, unless one_way, side_b stops reaching side_a)."""
        for a in side_a:
            self.net.blackhole(a, [x for b in side_b for x in self.addrs(b)])
            self.cut += [(a, b) for b in side_b]
        if not one_way:
            for b in side_b:
                self.net.blackhole(b, [x for a in side_a for x in self.addrs(a)])
                self.cut += [(b, a) for a in side_a]
        self.save()

    def addrs(self, node: str) -> list[str]:
        """Every address of `node` (a relayed master has two)."""
        if self.relay and node.startswith("master"):
            return [self.net.addr(node), self.relay_addr(node)]
        return [self.net.addr(node)]

    def heal(self) -> None:
        self.net.heal()
        self.cut = []
        self.save()

    def fill_disk(self, agent: str) -> None:
        with open(os.path.join(self.dir(agent), "FILL"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
            except OSError:
                pass

    def free_disk(self, agent: str) -> None:
        try:
            os.unlink(os.path.join(self.dir(agent), "FILL"))
        except FileNotFoundError:
            pass

    # ------------------------------------------------------------------ observation
    def get(self, name: str, path: str, timeout: float = 2.0) -> Any:
        with urllib.request.urlopen(f"http://{self.http(name)}{path}", timeout=timeout) as r:
            return json.load(r)

    def zk_mode(self, name: str) -> str | None:
        try:
            out = four_letter_word(self.net.addr(name), ZK_PORT, "srvr")
        except OSError:
            return None
        for line in out.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def leader(self) -> str | None:
        for m in self.names("master"):
            if not self.running(m) or m in self.paused:
                continue
            try:
                st = self.get(m, "/master/state", timeout=1.0)
            except (OSError, ValueError):
                continue
            if st.get("leader") and st.get("leader") == st.get("pid"):
                return m
        return None

    def active_agents(self) -> int:
        m = self.leader()
        if m is None:
            return 0
        try:
            st = self.get(m, "/master/state")
        except (OSError, ValueError):
            return 0
        return sum(1 for s in st.get("slaves", []) if s.get("active", True))

    @staticmethod
    def wait(pred: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.2)
        raise LabError(f"timed out after {timeout:g} s waiting for {what}")

    # ------------------------------------------------------------------ state and teardown
    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "root": self.root, "bridge": self.net.bridge,
                "nodes": {n: {"netns": ns, "addr": a, "pid": self.procs[n].pid if n in self.procs else None}
                          for n, (ns, a, _) in self.net.nodes.items()},
                "mounts": self.mounts, "cut": self.cut,
                "zk": self.zk_url if all(z in self.net.nodes for z in self.names("zk")) else None}

    def save(self) -> None:
        os.makedirs(self.root, exist_ok=True)
        tmp = os.path.join(self.root, "lab.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.describe(), f, indent=1)
        os.replace(tmp, os.path.join(self.root, "lab.json"))

    def down(self) -> None:
        for name in list(self.procs):
            p = self.procs[name]
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        self.net.down()  # kills what is left in the namespaces: executors and their tasks
        for m in self.mounts:
            subprocess.run(["umount", "-l", m], check=False, timeout=10)
        self.mounts = []
        try:
            os.unlink(os.path.join(self.root, "lab.json"))
        except FileNotFoundError:
            pass


def down_from_file(root: str) -> str:
    """Tear down the lab described in `<root>/lab.json` (after a crash), then any leftover."""
    path = os.path.join(root, "lab.json")
    said = []
    if os.path.exists(path):
        with open(path) as f:
            d = json.load(f)
        for node in d.get("nodes", {}).values():
            if node.get("pid"):
                try:
                    os.kill(node["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
            kill_netns_processes(node["netns"])
        for m in d.get("mounts", []):
            subprocess.run(["umount", "-l", m], check=False, timeout=10)
        said.append(f"lab {d.get('id')} from {path}")
        os.unlink(path)
    nss, links = cleanup_all()
    said.append(f"{nss} namespaces and {links} links removed")
    if os.path.isdir(root) and not os.listdir(root):
        shutil.rmtree(root, ignore_errors=True)
    return "; ".join(said)
