"""Scale: N emulated agents with T tasks re-registering with a real master after a failover
(issue 5, Performance). Target: <= 4.5 s from election to all agents re-registered at
10,000 agents x 100,000 tasks; master RSS <= 1.5 GB.

- The master's local registry (work dir in a temp dir) is pre-seeded with the N admitted
  agents (the file `io/registry_store.LocalRegistry` writes), so the bench does not
  pay N registration round-trips first.
- Round 1 starts a real `mesotron master --registry local` on it: a failover from the
  registry (the master recovers N admitted agents it has no other record of); round 2+
  `kill -9`s the previous master and starts a new one on the same ports and work dir.
- A load generator (`--procs` worker processes, N/procs agents each, every agent on its own
  TCP connection, one selector loop per process) speaks the real internal protocol: the
  same framing (`io.transport`, `<u32 len><Envelope>`) and protobuf messages
  (`spec.codec_internal`): `Hello(agent pid)` then `ReregisterAgent` with the agent's tasks
  (TASK_RUNNING, command executor, resources with their allocation role as launched from an
  offer) and frameworks; each agent reads its connection's frames until its own
  `AgentReregistered`. Frames are encoded before the master starts.
- reregister_s: from the moment the new master answers GET /internal/endpoint with a port
  (it leads: registry recovered = "elected") to the last AgentReregistered received
  (CLOCK_MONOTONIC, system-wide, so comparable across processes).
- master_rss_mb: psutil RSS of the master once all agents are re-registered.
- File descriptors: the bench raises its fd limit (the master and the workers inherit it)
  to one per agent + 1,024 where it may. Where it may not (this container: hard limit
  20,000, no CAP_SYS_RESOURCE) the master cannot hold one connection per agent: at most
  (limit - 2,048) / procs connections per worker are open, the agent answered longest
  ago closing its connection to make room for the next (`--max-open K`; `--close-after-ack`:
  every agent closes once answered). The master then also handles those disconnections
  (`agents_closed` in the JSON line).

    .venv/bin/python bench/reregister_scale.py [--agents 10000] [--tasks 100000] [--procs 2]
        [--rounds 2] [--profile out.prof] [--py-spy OUT] [--perf OUT] [--max-open K]
        [--close-after-ack]

Prints one JSON line per round ({"round": ...}) to stderr and the final (last round) one,
{"agents", "tasks", "reregister_s", "master_rss_mb", ...}, to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

# Linux's IP_BIND_ADDRESS_NO_PORT (socket module lacks it): bind picks the port at connect
IP_BIND_ADDRESS_NO_PORT = 24
SOURCE_ADDRESSES = 8
AGENT_RESOURCES = "cpus:16;mem:65536;disk:100000;ports:[31000-32000]"
# as a real agent reports them: tasks launched from offers carry their allocation role
TASK_RESOURCES = "cpus(allocated: *):0.1;mem(allocated: *):32"


def agent_id(i: int) -> str:
    return f"bench-S{i}"


def agent_infos(n: int) -> list[Any]:
    from mesotron.core.resources import Resources
    from mesotron.core.values import AgentInfo

    res = Resources.parse(AGENT_RESOURCES)
    return [AgentInfo(hostname=f"agent{i}.bench", id=agent_id(i), port=20000 + i, resources=res)
            for i in range(n)]


def seed_registry(work_dir: str, n: int) -> None:
    from mesotron.core import registry as reg
    from mesotron.io.store.registry import LocalRegistry

    infos = sorted(agent_infos(n), key=lambda a: a.id or "")
    store = LocalRegistry(work_dir)
    store.book = reg.RegistryBook(reg.RegistryState(version=n, admitted=tuple(infos)))
    store.snapshot()


# ---------------------------------------------------------------------- load generator
def encode_agents(lo: int, hi: int, n: int, tasks: int, frameworks: int) -> list[tuple[str, bytes]]:
    """(pid, Hello + ReregisterAgent frames) for agents lo..hi-1; tasks spread evenly."""
    from mesotron.core import messages as cm
    from mesotron.core.resources import Resources
    from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo, TaskState
    from mesotron.io.wire.transport import _LEN
    from mesotron.spec import codec_internal

    fws = [FrameworkInfo(user="bench", name=f"fw{k}", id=f"bench-fw-{k}", failover_timeout=3600.0)
           for k in range(frameworks)]
    tres = Resources.parse(TASK_RESOURCES)
    infos = agent_infos(n)
    out = []
    for i in range(lo, hi):
        a, b = i * tasks // n, (i + 1) * tasks // n  # this agent's task numbers
        records = []
        for t in range(a, b):
            fw = fws[t % frameworks]
            tid = f"task-{t}"
            info = TaskInfo(name=tid, task_id=tid, agent_id=agent_id(i), resources=tres,
                            command=CommandInfo(value="sleep 1000"))
            records.append(cm.TaskRecord(framework_id=fw.id or "", task=info,
                                         state=TaskState.TASK_RUNNING, executor_id=tid))
        used = sorted({r.framework_id for r in records})
        msg = cm.ReregisterAgent(agent_info=infos[i], tasks=tuple(records),
                                 frameworks=tuple(f for f in fws if f.id in used))
        pid = f"slave(1)@127.0.0.1:{20000 + i}"
        frames = b""
        for m in (codec_internal.Hello(sender=pid), msg):
            payload = codec_internal.encode(m)
            frames += _LEN.pack(len(payload)) + payload
        out.append((pid, frames))
    return out


def encode_agents_fast(lo: int, hi: int, n: int, tasks: int, frameworks: int) -> list[tuple[str, bytes]]:
    """The same frames as `encode_agents`, built from protobuf templates (agent 0's message
    through the real codec, then ids substituted per agent and task): ~20x faster, which
    matters at 40,000 agents x 400,000 tasks on a loaded 2-core box. Checked byte for byte
    against `encode_agents` on sampled agents (first, last, a middle one) before use."""
    from mesotron.io.wire.transport import _LEN
    from mesotron.spec import internal_pb2 as ipb

    def envelopes(frames: bytes) -> list[Any]:
        out = []
        while frames:
            (k,) = _LEN.unpack_from(frames, 0)
            env = ipb.Envelope()
            env.ParseFromString(frames[4:4 + k])
            out.append(env)
            frames = frames[4 + k:]
        return out

    # a template agent with one task of every framework (its records and framework infos)
    _, tframes = encode_agents(0, 1, 1, frameworks, frameworks)[0]
    hello_t, rr_t = envelopes(tframes)
    rec_t = {r.framework_id.value: r for r in rr_t.reregister_agent.tasks}
    fw_t = {f.id.value: f for f in rr_t.reregister_agent.frameworks}
    out = []
    for i in range(lo, hi):
        a, b = i * tasks // n, (i + 1) * tasks // n
        aid = agent_id(i)
        pid = f"slave(1)@127.0.0.1:{20000 + i}"
        hello = ipb.Envelope()
        hello.CopyFrom(hello_t)
        hello.hello.sender = pid
        env = ipb.Envelope()
        rr = env.reregister_agent
        rr.CopyFrom(rr_t.reregister_agent)
        del rr.tasks[:]
        del rr.frameworks[:]
        rr.agent_info.hostname = f"agent{i}.bench"
        rr.agent_info.id.value = aid
        rr.agent_info.port = 20000 + i
        used = set()
        for t in range(a, b):
            fid = f"bench-fw-{t % frameworks}"
            used.add(fid)
            rec = rr.tasks.add()
            rec.CopyFrom(rec_t[fid])
            tid = f"task-{t}"
            rec.task.name = tid
            rec.task.task_id.value = tid
            rec.task.agent_id.value = aid
            rec.executor_id.value = tid
        for fid in sorted(used):
            rr.frameworks.add().CopyFrom(fw_t[fid])
        frames = b""
        for e in (hello, env):
            payload = e.SerializeToString()
            frames += _LEN.pack(len(payload)) + payload
        out.append((pid, frames))
    for i in sorted({lo, hi - 1, (lo + hi) // 2}):
        if lo <= i < hi and out[i - lo] != encode_agents(i, i + 1, n, tasks, frameworks)[0]:
            raise AssertionError(f"template encoding differs from the codec's for agent {i}")
    return out


class _Conn:
    """One emulated agent's TCP connection (its own socket, as a real agent has)."""

    __slots__ = ("connected", "done", "inbuf", "index", "out", "sock")

    def __init__(self, sock: Any, index: int, frames: bytes) -> None:
        self.sock = sock
        self.index = index
        self.out = memoryview(frames)
        self.inbuf = bytearray()
        self.connected = False
        self.done = False


def reregister_all(agents: list[tuple[str, bytes]], ip: str, port: int,
                   max_dialing: int = 256, max_open: int | None = None,
                   ) -> tuple[list[float], int, list[Any], int]:
    """Every agent dials the master on its own connection, sends its Hello + ReregisterAgent
    frames and reads frames (`<u32 len><Envelope>`, each decoded as a protobuf Envelope)
    until its own AgentReregistered arrives. One selector loop drives all of this process's
    agents (non-blocking sockets: a Trio task per agent cost more CPU than the master's work
    per agent, on the master's 2 cores). At most `max_dialing` connections are being set up
    at once (the listener backlog is finite). Returns (the monotonic time each agent was
    answered, dial errors, the open sockets: the agents stay connected, the number of
    connections closed). With `max_open` (when the fd limit cannot hold one connection per
    agent in the master: see `main`) this process holds at most that many connections open
    (answered or not): to dial the next agent, the one answered longest ago closes its
    connection (0: each closes once answered, as many in flight as the dialling allows)."""
    import errno
    import selectors
    import socket
    import struct
    from collections import deque

    from mesotron.spec import internal_pb2 as ipb

    length = struct.Struct(">I")
    sel = selectors.DefaultSelector()
    todo = list(range(len(agents)))
    todo.reverse()
    dialing = 0
    done_times: list[float] = []
    errors = 0
    conns: deque[_Conn] = deque()  # answered, still connected (oldest first)
    closed = 0
    opened = 0  # connections this process holds open (answered or not)

    def close_oldest() -> None:
        nonlocal closed, opened
        old = conns.popleft()
        sel.unregister(old.sock)
        old.sock.close()
        closed += 1
        opened -= 1

    def dial(i: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ip.startswith("127."):
            # one source address per 8th agent (127.0.0.2-9): the ephemeral port range
            # (~28,000 ports) is per source address, 40,000 agents need more than one
            sock.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((f"127.0.0.{2 + i % SOURCE_ADDRESSES}", 0))
        err = sock.connect_ex((ip, port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        sel.register(sock, selectors.EVENT_WRITE, _Conn(sock, i, agents[i][1]))

    def redial(c: _Conn) -> None:
        nonlocal dialing, errors, opened
        errors += 1
        opened -= 1
        sel.unregister(c.sock)
        c.sock.close()
        if not c.connected or c.out:
            dialing -= 1
        todo.append(c.index)

    while len(done_times) < len(agents):
        while todo and dialing < max_dialing:
            if max_open and opened >= max_open:  # the fd budget: make room, or wait
                if not conns:
                    break
                close_oldest()
            dial(todo.pop())
            dialing += 1
            opened += 1
        for key, mask in sel.select(1.0):
            c: _Conn = key.data
            if mask & selectors.EVENT_WRITE:
                if not c.connected:
                    if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        redial(c)
                        continue
                    c.connected = True
                try:
                    sent = c.sock.send(c.out)
                except BlockingIOError:
                    continue
                except OSError:
                    redial(c)
                    continue
                c.out = c.out[sent:]
                if not c.out:
                    dialing -= 1
                    sel.modify(c.sock, selectors.EVENT_READ, c)
            if mask & selectors.EVENT_READ:
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    if not c.done:
                        redial(c)
                    else:
                        sel.unregister(c.sock)
                    continue
                buf = c.inbuf
                buf += data
                while len(buf) >= 4:
                    (n,) = length.unpack_from(buf, 0)
                    if len(buf) < 4 + n:
                        break
                    env = ipb.Envelope()
                    env.ParseFromString(bytes(buf[4:4 + n]))
                    del buf[:4 + n]
                    if env.WhichOneof("body") == "agent_reregistered" and not c.done:
                        c.done = True
                        done_times.append(time.monotonic())
                        conns.append(c)
                        if max_open == 0:  # --close-after-ack
                            close_oldest()
                            break
                        # Ping and anything else: ignored (ping timeout 60 s x 5)
    sel.close()
    return done_times, errors, [c.sock for c in conns], closed


def worker(conn: Any, lo: int, hi: int, n: int, tasks: int, frameworks: int,
           max_open: int | None) -> None:
    """One load-generator process: agents lo..hi-1. Commands over `conn`:
    ("go", ip, port) -> re-register all, answer ("done", last_monotonic, first_monotonic,
    errors, cpu seconds); ("close",) -> drop the connections; ("exit",)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    agents = encode_agents_fast(lo, hi, n, tasks, frameworks)
    import gc

    gc.freeze()  # the encoded frames: nothing to collect there
    conn.send(("ready", len(agents)))
    while True:
        cmd = conn.recv()
        if cmd[0] == "exit":
            return
        if cmd[0] == "go":
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            done_times, errors, socks, closed = reregister_all(agents, cmd[1], cmd[2],
                                                               max_open=max_open)
            ru = resource.getrusage(resource.RUSAGE_SELF)
            cpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
            conn.send(("done", max(done_times), min(done_times), errors, cpu, closed))
            assert conn.recv()[0] == "close"
            for sock in socks:
                sock.close()
            conn.send(("closed",))


# ---------------------------------------------------------------------- master
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_zk_registry(hosts: str, n: int) -> None:
    """The registry znode (`--registry zk`, beside the election group /mesos) with N agents."""
    from kazoo.client import KazooClient
    from mesotron.core import registry as reg
    from mesotron.io.zk.registry import default_registry_path, encode_registry

    infos = sorted(agent_infos(n), key=lambda a: a.id or "")
    zk = KazooClient(hosts=hosts)
    zk.start(timeout=15)
    try:
        zk.create(default_registry_path("/mesos"),
                  encode_registry(reg.RegistryState(version=n, admitted=tuple(infos))), makepath=True)
    finally:
        zk.stop()
        zk.close()


def start_master(work_dir: str, port: int, iport: int, log_path: str, profile: str | None,
                 registry: str = "local", zk: str | None = None) -> subprocess.Popen[bytes]:
    argv = [sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-o", profile]
    argv += ["-m", "mesotron.io.cli.main", "master", "--ip", "127.0.0.1", "--port", str(port),
             "--internal-port", str(iport), "--work-dir", work_dir, "--registry", registry,
             "--log-level", "warning", "--agent-ping-timeout", "60secs"]
    if zk is not None:  # a 2 s session: the kill -9'd leader's node goes quickly
        argv += ["--zk", f"zk://{zk}/mesos", "--zk-session-timeout", "2secs"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_leading(proc: subprocess.Popen[bytes], port: int, log_path: str, limit: float = 120.0) -> tuple[float, dict[str, Any]]:
    """Poll GET /internal/endpoint until it names a port: (monotonic time, endpoint)."""
    import http.client

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log_path) as f:
                raise RuntimeError(f"master exited with {proc.returncode}: {f.read()[-2000:]}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
            c.request("GET", "/internal/endpoint")
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200:
                ep = json.loads(body)
                if ep.get("port") is not None:
                    return time.monotonic(), ep
        except OSError:
            pass
        time.sleep(0.005)
    raise TimeoutError("master did not lead in time")


def kill9(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def raise_nofile(want: int) -> bool:
    """The bench's fd limit (the master and the generator workers are children: they
    inherit it): one fd per agent in the master, one per agent across the workers. The soft
    limit goes up to `want`; the hard limit too when it is lower and we may raise it (root:
    CAP_SYS_RESOURCE, up to /proc/sys/fs/nr_open). Only this process tree; the daemon's
    defaults are unchanged. False when the limit stays below `want` (a container without
    CAP_SYS_RESOURCE: this machine's hard limit is 20,000)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return True
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return True
        except (ValueError, OSError):
            print(f"# cannot raise the fd hard limit {hard} to {want} (no CAP_SYS_RESOURCE)",
                  file=sys.stderr)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return False


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=10_000)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--frameworks", type=int, default=10)
    p.add_argument("--procs", type=int, default=2, help="load-generator processes")
    p.add_argument("--rounds", type=int, default=2,
                   help="master starts: round 1 on the pre-seeded registry, then kill -9 + restart")
    p.add_argument("--timeout", type=float, default=1080.0,
                   help="per-round limit (s); the 40k acceptance check allows 1200 s in all")
    p.add_argument("--profile", default=None,
                   help="run the LAST round's master under cProfile, write this file (SIGTERM at the end)")
    p.add_argument("--py-spy", default=None, metavar="OUT",
                   help="sample the LAST round's master with py-spy (needs `pip install py-spy` "
                        "in the venv; not a dependency) from the election to the last answer; "
                        "collapsed stacks to OUT")
    p.add_argument("--perf", default=None, metavar="OUT",
                   help="sample the LAST round's master with `perf record -g` (CPU time, kernel "
                        "included: where py-spy shows wall time under load) from the election "
                        "to the last answer; perf.data to OUT (`perf report -i OUT`)")
    p.add_argument("--registry", choices=("local", "memory", "zk"), default="local",
                   help="local: the master's registry file (default); zk: a private ZooKeeper "
                        "(io/zk/server.py), the master elected through it (`--zk`) with the "
                        "registry znode pre-seeded; memory: diagnostic only (no registry "
                        "record): the master re-admits agents it never heard of")
    p.add_argument("--close-after-ack", action="store_true",
                   help="each agent closes its connection once answered (the master then also "
                        "handles N disconnections: allocator DeactivateAgent each)")
    p.add_argument("--max-open", type=int, default=None, metavar="K",
                   help="each generator process holds at most K connections (K > 0; to dial "
                        "the next agent, the one answered longest ago closes its connection); "
                        "default: no limit when the fd limit allows one fd per agent, else "
                        "(limit - 2048) / procs")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (master logs)")
    args = p.parse_args()
    n, t = args.agents, args.tasks
    import psutil

    procs = max(1, min(args.procs, n))
    fits = raise_nofile(n + 1024)
    max_open: int | None = args.max_open
    if args.close_after_ack:
        max_open = 0
    elif max_open is None and not fits:
        # the master inherits this limit: the workers hold (limit - 2048) connections at
        # most between them (2048: the master's listeners and files, and connections it has
        # not yet seen closed)
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        max_open = max(1, (limit - 2048) // procs)
        print(f"# fd limit {limit} below one per agent: each generator process holds at most "
              f"{max_open} connections, the agent answered longest ago closes to make room",
              file=sys.stderr)
    keep = max_open is None or max_open * procs >= n

    tmp = tempfile.mkdtemp(prefix="mesotron-rereg-")
    work = os.path.join(tmp, "master")
    os.makedirs(work)
    log_path = os.path.join(tmp, "master.log")
    ctx = mp.get_context("spawn")
    workers: list[tuple[Any, Any]] = []
    master: subprocess.Popen[bytes] | None = None
    results: list[dict[str, Any]] = []
    stack = contextlib.ExitStack()
    zk_hosts: str | None = None
    try:
        t0 = time.monotonic()
        if args.registry == "zk":
            from mesotron.io.zk.server import running_zookeeper, zookeeper_available

            why = zookeeper_available()
            if why is not None:
                raise SystemExit(f"--registry zk: {why}")
            zk_hosts = stack.enter_context(running_zookeeper()).hosts
            seed_zk_registry(zk_hosts, n)
        else:
            seed_registry(work, n)
        for w in range(procs):
            lo, hi = w * n // procs, (w + 1) * n // procs
            a, b = ctx.Pipe()
            pr = ctx.Process(target=worker, args=(b, lo, hi, n, t, args.frameworks, max_open),
                                daemon=True)
            pr.start()
            workers.append((pr, a))
        for _, c in workers:
            assert c.recv()[0] == "ready"
        print(f"# seeded registry and encoded frames in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        port, iport = free_port(), free_port()
        for rnd in range(1, args.rounds + 1):
            kill9(master)  # the previous leader dies (no-op in round 1)
            prof = os.path.abspath(args.profile) if args.profile and rnd == args.rounds else None
            spawned = time.monotonic()
            master = start_master(work, port, iport, log_path, prof, args.registry, zk_hosts)
            ready, ep = wait_leading(master, port, log_path)
            spy = None
            if args.py_spy and rnd == args.rounds:  # sampling profile of the round itself
                spy = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"),
                                        "record", "--pid", str(master.pid), "--format", "raw",
                                        "--rate", "250", "--nonblocking", "--threads",
                                        "-o", os.path.abspath(args.py_spy)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if args.perf and rnd == args.rounds:
                spy = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(master.pid),
                                        "-o", os.path.abspath(args.perf)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ct0 = psutil.Process(master.pid).cpu_times()
            for _, c in workers:
                c.send(("go", ep["ip"], ep["port"]))
            lasts, firsts, errors, gen_cpu, closed = [], [], 0, 0.0, 0
            for _, c in workers:
                if not c.poll(args.timeout):
                    raise TimeoutError(f"round {rnd}: agents not re-registered in {args.timeout}s")
                _, last, first, err, cpu, cl = c.recv()
                closed += cl
                lasts.append(last)
                firsts.append(first)
                errors += err
                gen_cpu += cpu
            end = max(lasts)
            mp_ = psutil.Process(master.pid)
            rss = mp_.memory_info().rss / 2**20
            ct = mp_.cpu_times()
            master_cpu = ct.user + ct.system - ct0.user - ct0.system
            master_sys = ct.system - ct0.system
            r = {"round": rnd, "registry": args.registry, "agents": n, "tasks": t, "reregister_s": round(end - ready, 3),
                 "first_ack_s": round(min(firsts) - ready, 3),
                 "start_to_leading_s": round(ready - spawned, 3),
                 "master_rss_mb": round(rss, 1), "dial_errors": errors,
                 "master_cpu_s": round(master_cpu, 2), "master_sys_s": round(master_sys, 2),
                 "generator_cpu_s": round(gen_cpu, 2),
                 "agents_stay_connected": keep, "max_open_per_process": max_open,
                 "agents_closed": closed, "load1": round(os.getloadavg()[0], 2)}
            print(json.dumps(r), file=sys.stderr, flush=True)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
            results.append(r)
            for _, c in workers:
                c.send(("close",))
            for _, c in workers:
                c.recv()
            if prof:
                master.send_signal(signal.SIGTERM)
                try:
                    master.wait(60)
                except subprocess.TimeoutExpired:
                    kill9(master)
        last = dict(results[-1])
        last.pop("round")
        last["rounds"] = [r["reregister_s"] for r in results]
        print(json.dumps(last), flush=True)
    finally:
        kill9(master)
        stack.close()
        for pr, c in workers:
            try:
                c.send(("exit",))
            except OSError:
                pass
        for pr, _ in workers:
            pr.join(5)
            if pr.is_alive():
                pr.kill()
                pr.join()
        if args.keep:
            print(f"# kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
