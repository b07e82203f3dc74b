"""A Storm-like stream: a source -> transform -> sink topology of long-running tasks, with
acknowledged tuples that survive a task killed mid-stream.

    python examples/stream.py --master 127.0.0.1:5050 --tuples 2000 --dir /tmp/stream

- Three tasks, spread over the agents when there are several: the sink listens on a port
  from its offer, the transform on another and connects to the sink, the source connects to
  the transform. Each tuple is `id value`; the transform squares the value; the sink appends
  `id value` to `DIR/out.txt` (once per id: a replayed tuple it already holds is only
  acknowledged again) and acknowledges it back through the transform.
- The source keeps every tuple until its acknowledgement arrives, records acknowledged ids
  durably (`DIR/acked.txt`, its "offsets"), and after a broken connection reconnects and
  replays every unacknowledged tuple (at-least-once on the wire, exactly-once in the sink).
- The framework relaunches a task that dies (TASK_FAILED/KILLED/LOST) on the same agent and
  port, so its peers reconnect to the same address; when the source has every tuple
  acknowledged it finishes, and the framework kills the transform and the sink.
"""

from __future__ import annotations

import argparse
import os
import sys

import trio
from kit import R, ack, ports_of, py, user
from mesotron.core.messages import (
    CallAccept,
    CallDecline,
    CallKill,
    CallRevive,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

COMMON = r"""
import os, socket, sys, time
def connect(host, port):
    while True:
        try:
            return socket.create_connection((host, port), timeout=30)
        except OSError:
            time.sleep(0.05)
def listen(host, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(8); return s
"""

SINK = COMMON + r"""
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
have = set()
if os.path.exists(out):
    with open(out) as f:
        have = {line.split()[0] for line in f if line.strip()}
srv = listen(host, port)
with open(out, "a") as f:
    while True:
        c, _ = srv.accept()
        r = c.makefile("r")
        for line in r:
            tid, value = line.split()
            if tid not in have:
                f.write(f"{tid} {value}\n"); f.flush(); os.fsync(f.fileno())
                have.add(tid)
            c.sendall(f"ack {tid}\n".encode())
        c.close()
"""

TRANSFORM = COMMON + r"""
import threading
host, port, shost, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
srv = listen(host, port)
while True:
    c, _ = srv.accept()
    s = connect(shost, sport)
    def back(s=s, c=c):
        try:
            for line in s.makefile("r"):
                c.sendall(line.encode())
        except OSError:
            pass
        for x in (c, s):
            try: x.shutdown(socket.SHUT_RDWR)
            except OSError: pass
    threading.Thread(target=back, daemon=True).start()
    try:
        for line in c.makefile("r"):
            tid, value = line.split()
            s.sendall(f"{tid} {int(value) ** 2}\n".encode())
    except OSError:
        pass
    for x in (c, s):
        try: x.close()
        except OSError: pass
"""

SOURCE = COMMON + r"""
import threading
thost, tport, n, acked_path, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
acked = set()
if os.path.exists(acked_path):
    with open(acked_path) as f:
        acked = {int(x) for x in f.read().split()}
log = open(acked_path, "a")
lock = threading.Lock()
while len(acked) < n:
    c = connect(thost, tport)
    done = threading.Event()
    def reader(c=c, done=done):
        try:
            for line in c.makefile("r"):
                tid = int(line.split()[1])
                with lock:
                    if tid not in acked:
                        acked.add(tid); log.write(f"{tid}\n"); log.flush(); os.fsync(log.fileno())
                if len(acked) >= n:
                    break
        except (OSError, ValueError):
            pass
        done.set()
    threading.Thread(target=reader, daemon=True).start()
    try:
        for tid in range(n):
            if done.is_set():
                break
            with lock:
                skip = tid in acked
            if not skip:
                c.sendall(f"{tid} {tid}\n".encode())
                if pause:
                    time.sleep(pause)
        done.wait(timeout=5)  # the tail of the acks (or a broken link: replay)
    except OSError:
        pass
    try: c.close()
    except OSError: pass
print(f"source: all {n} tuples acknowledged", flush=True)
"""

ROLES = ("sink", "transform", "source")
RES = "cpus:0.1;mem:32"


async def stream(master: str, n: int, work: str, *, pause: float = 0.002, role: str = "*",
                 out=print) -> bool:  # type: ignore[no-untyped-def]
    """Run the topology until the source has every tuple acknowledged."""
    os.makedirs(work, exist_ok=True)
    acked_path = os.path.join(work, "acked.txt")
    out_path = os.path.join(work, "out.txt")
    info = FrameworkInfo(user=user(), name="stream", roles=(role,))
    place: dict[str, tuple[str, str, int]] = {}  # role -> (agent id, host, port)
    live: dict[str, str] = {}  # task id -> role
    gen = {r: 0 for r in ROLES}
    async with SchedulerClient.connect(master, info) as s:
        out(f"stream: framework {s.framework_id}, {n} tuples")

        def command(role: str) -> str:
            if role == "sink":
                _, h, p = place["sink"]
                return py(SINK, h, str(p), out_path)
            if role == "transform":
                _, h, p = place["transform"]
                _, sh, sp = place["sink"]
                return py(TRANSFORM, h, str(p), sh, str(sp))
            _, th, tp = place["transform"]
            return py(SOURCE, th, str(tp), str(n), acked_path, str(pause))

        async for ev in s.events():
            if isinstance(ev, EventOffers):
                for o in ev.offers:
                    avail = o.resources.unallocate()
                    launch: list[TaskInfo] = []
                    relaunched: set[str] = set()
                    for part in ROLES:
                        if part in live.values() or not avail.contains(R(RES)):
                            continue
                        if part == "transform" and "sink" not in place or \
                                part == "source" and "transform" not in place:
                            break  # downstream first: upstream needs its address
                        if part in place:  # a relaunch: same agent, same port
                            aid, _host, port = place[part]
                            if aid != o.agent_id or port not in ports_of(avail):
                                continue
                            relaunched.add(part)
                        else:
                            # one new part per offer of a batch: spreads them over agents
                            if any(live[t.task_id] not in relaunched for t in launch):
                                break
                            ports = [p for p in ports_of(avail)
                                     if all(p != q for _, _, q in place.values())]
                            if not ports:
                                continue
                            place[part] = (o.agent_id, o.hostname, ports[0])
                        port = place[part][2]
                        gen[part] += 1
                        tid = f"{part}-{gen[part]}"
                        res = R(RES) + R(f"ports:[{port}-{port}]")
                        launch.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id,
                                               resources=res, command=CommandInfo(value=command(part))))
                        live[tid] = part
                        avail = avail - res
                    if launch:
                        await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(launch)),),
                                                filters=Filters(refuse_seconds=0.2)))
                        out("stream: launched " + ", ".join(
                            f"{t.task_id} on {o.hostname}:{place[live[t.task_id]][2]}" for t in launch))
                    else:
                        await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=0.2)))
                if len(live) == len(ROLES):
                    await s.call(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                await ack(s, st)
                role = live.get(st.task_id)
                if role is None or not st.state.is_terminal:
                    continue
                del live[st.task_id]
                if role == "source" and st.state is TaskState.TASK_FINISHED:
                    out(f"stream: {st.task_id} finished: every tuple acknowledged")
                    for tid, r in list(live.items()):
                        await s.call(CallKill(task_id=tid, agent_id=place[r][0]))
                    await s.call(CallTeardown())
                    return True
                out(f"stream: {st.task_id} {st.state.name}: relaunching {role} on the same port")
                await s.call(CallRevive())
    return False



def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True)
    p.add_argument("--tuples", type=int, default=2000)
    p.add_argument("--dir", required=True, help="where the sink's output and the source's offsets go")
    p.add_argument("--pause", type=float, default=0.002, help="seconds between two tuples")
    a = p.parse_args(argv)
    ok = trio.run(lambda: stream(a.master, a.tuples, a.dir, pause=a.pause))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
