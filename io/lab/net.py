"""Network namespaces, veth pairs and a bridge: a cluster of "hosts" on one machine (root).

Every lab gets an id (two lowercase letters or digits) and a /24 (`10.77.<n>.0/24`, n from
the id); its bridge is `mtl<id>br` with address `.1` (the host side: the harness reaches
every lab address through it), and each node `k` gets a namespace `mtl<id>-<name>`, a veth
pair `mtl<id>h<k>` (on the bridge) / `eth0` (inside, address `.<10+k>`). Everything we
create starts with `mtl`, so `cleanup_all()` can remove what a crashed harness left behind.

Faults, all reversible:
- `blackhole(node, addr)`: the node drops its packets to `addr` (one-way: replies from
  `addr` still arrive; both directions for a two-way partition);
- `link_down(node)` / `link_up(node)`: the node's cable.
(No netem and no packet filters on this kernel: delay, loss, duplication and reordering
are not done at this layer.)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence

PREFIX = "mtl"
ETC_NETNS = "/etc/netns"  # per-namespace /etc files (`ip netns exec` bind-mounts them)


class NetError(RuntimeError):
    pass


def ip(*args: str, ns: str | None = None, check: bool = True) -> str:
    argv = ["ip", *(["netns", "exec", ns, "ip"] if ns else []), *args]
    r = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
    if check and r.returncode != 0:
        raise NetError(f"{' '.join(argv)}: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


def subnet_of(lab_id: str) -> int:
    return 1 + sum(ord(c) for c in lab_id) % 250


class LabNet:
    def __init__(self, lab_id: str) -> None:
        if not (1 <= len(lab_id) <= 4 and lab_id.isalnum() and lab_id.islower() or lab_id.isdigit()):
            raise ValueError(f"lab id {lab_id!r}: 1-4 lowercase letters or digits")
        self.id = lab_id
        self.n = subnet_of(lab_id)
        self.bridge = f"{PREFIX}{lab_id}br"
        self.gateway = f"10.77.{self.n}.1"
        self.nodes: dict[str, tuple[str, str, int]] = {}  # name -> (netns, address, k)

    def ns(self, name: str) -> str:
        return self.nodes[name][0]

    def addr(self, name: str) -> str:
        return self.nodes[name][1]

    def up(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def add_node(self, name: str) -> str:
        k = len(self.nodes) + 1
        ns = f"{PREFIX}{self.id}-{name}"
        addr = f"10.77.{self.n}.{10 + k}"
        host, peer = f"{PREFIX}{self.id}h{k}", f"{PREFIX}{self.id}p{k}"
        ip("netns", "add", ns)
        ip("link", "add", host, "type", "veth", "peer", "name", peer)
        ip("link", "set", peer, "netns", ns)
        ip("link", "set", peer, "name", "eth0", ns=ns)
        ip("addr", "add", f"{addr}/24", "dev", "eth0", ns=ns)
        ip("link", "set", "eth0", "up", ns=ns)
        ip("link", "set", "lo", "up", ns=ns)
        ip("link", "set", host, "master", self.bridge)
        ip("link", "set", host, "up")
        self.nodes[name] = (ns, addr, k)
        return addr

    def hosts(self, name: str, entries: dict[str, str]) -> None:
        """Names the node resolves (hostname -> address): `/etc/netns/<netns>/hosts`, which
        `ip netns exec` bind-mounts over /etc/hosts for what runs there."""
        d = os.path.join(ETC_NETNS, self.ns(name))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n" + "".join(f"{a} {h}\n" for h, a in entries.items()))

    def exec_prefix(self, name: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(name)]

    # ------------------------------------------------------------------ faults
    def blackhole(self, name: str, addrs: Sequence[str]) -> None:
        for a in addrs:
            ip("route", "replace", "blackhole", f"{a}/32", ns=self.ns(name))

    def unblackhole(self, name: str, addrs: Sequence[str] | None = None) -> None:
        routes = ip("route", "show", "type", "blackhole", ns=self.ns(name)).split("\n")
        for line in routes:
            parts = line.split()
            if len(parts) >= 2 and (addrs is None or parts[1].split("/")[0] in addrs):
                ip("route", "del", "blackhole", parts[1], ns=self.ns(name), check=False)

    def link_down(self, name: str) -> None:
        ip("link", "set", f"{PREFIX}{self.id}h{self.nodes[name][2]}", "down")

    def link_up(self, name: str) -> None:
        ip("link", "set", f"{PREFIX}{self.id}h{self.nodes[name][2]}", "up")

    def heal(self) -> None:
        for name in self.nodes:
            self.unblackhole(name)
            self.link_up(name)

    def down(self) -> None:
        for ns, _, k in self.nodes.values():
            kill_netns_processes(ns)
            ip("netns", "del", ns, check=False)
            # the pair goes with the namespace only once its last process is gone: delete our
            # end now, so the link never outlives the teardown
            ip("link", "del", f"{PREFIX}{self.id}h{k}", check=False)
            shutil.rmtree(os.path.join(ETC_NETNS, ns), ignore_errors=True)
        ip("link", "del", self.bridge, check=False)


def kill_netns_processes(ns: str) -> None:
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def leftovers() -> tuple[list[str], list[str]]:
    """Namespaces and links of any lab (ours start with `mtl`)."""
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    nss = [ln.split()[0] for ln in r.stdout.splitlines() if ln.startswith(PREFIX)]
    r = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=False)
    links = []
    for ln in r.stdout.splitlines():
        parts = ln.split(": ")
        if len(parts) > 1:
            name = parts[1].split("@")[0]
            if name.startswith(PREFIX):
                links.append(name)
    return nss, links


def leftovers_of(lab_id: str) -> list[str]:
    """The namespaces, links and /etc/netns dirs of one lab still present (none after its
    teardown)."""
    nss, links = leftovers()
    etc = sorted(os.listdir(ETC_NETNS)) if os.path.isdir(ETC_NETNS) else []
    return [n for n in nss if n.startswith(f"{PREFIX}{lab_id}-")] + \
        [x for x in links if re.fullmatch(rf"{PREFIX}{lab_id}(br|h\d+)", x)] + \
        [os.path.join(ETC_NETNS, d) for d in etc if d.startswith(f"{PREFIX}{lab_id}-")]


def cleanup_all() -> tuple[int, int]:
    """Remove every lab namespace (killing its processes) and link: after a harness crash."""
    nss, links = leftovers()
    for ns in nss:
        kill_netns_processes(ns)
        ip("netns", "del", ns, check=False)
    for link in leftovers()[1]:
        ip("link", "del", link, check=False)
    if os.path.isdir(ETC_NETNS):
        for d in os.listdir(ETC_NETNS):
            if d.startswith(PREFIX):
                shutil.rmtree(os.path.join(ETC_NETNS, d), ignore_errors=True)
    return len(nss), len(links)
