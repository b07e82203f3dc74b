"""An MPI-style gang: all ranks start together or none does, and they compute an allreduce.

    python examples/gang.py --master 127.0.0.1:5050 --ranks 4

- All-or-nothing: the framework HOLDS offers (answers none of them) until the held offers
  have room for every rank (cpus, mem and one port each), then launches all ranks at once,
  one ACCEPT per agent. Holding forever would deadlock two gangs that each hold half of a
  cluster, so after `--hold` seconds without a full gang it declines everything it holds
  (with a short filter) and tries again: another gang may complete meanwhile.
- Rendezvous over TCP: rank 0 listens on a port from its offer's `ports` resource; every
  rank learns rank 0's address from the framework (command-line arguments built from the
  offer), connects, sends its value; rank 0 sums, sends the sum back to every rank
  (a real allreduce of `rank + 1`), and each rank checks it and prints it.
- If any rank fails (or is lost), the framework kills every other rank of that attempt and
  launches the whole gang again (`--attempts`).

`--fail-rank R --fail-times K`: rank R exits 1 in the first K attempts (to watch a retry).
"""

from __future__ import annotations

import argparse
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
    EventRescind,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

RANK = r"""
import socket, sys, time
rank, n, host, port, attempt, fail_rank, fail_times = sys.argv[1:8]
rank, n, port, attempt = int(rank), int(n), int(port), int(attempt)
if rank == int(fail_rank) and attempt <= int(fail_times):
    print(f"rank {rank}: planted failure in attempt {attempt}", flush=True); sys.exit(1)
value = rank + 1
def recv_int(c):
    buf = b""
    while not buf.endswith(b"\n"):
        b = c.recv(64)
        if not b: raise SystemExit("peer closed")
        buf += b
    return int(buf)
if rank == 0:
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port)); srv.listen(n); srv.settimeout(60)
    peers = [srv.accept()[0] for _ in range(n - 1)]
    total = value + sum(recv_int(c) for c in peers)
    for c in peers: c.sendall(b"%d\n" % total); c.close()
else:
    deadline = time.monotonic() + 60
    while True:
        try:
            c = socket.create_connection((host, port), timeout=5); break
        except OSError:
            if time.monotonic() > deadline: raise
            time.sleep(0.05)
    c.sendall(b"%d\n" % value); total = recv_int(c); c.close()
want = n * (n + 1) // 2
print(f"rank {rank}/{n}: allreduce(sum) = {total} (expected {want})", flush=True)
sys.exit(0 if total == want else 2)
"""

RANK_RES = "cpus:0.1;mem:32"


def plan(offers: list, n: int) -> list[tuple[object, int]] | None:
    """Ranks per held offer, rank 0 first: (offer, ranks) or None if the gang does not fit."""
    need = R(RANK_RES)
    out: list[tuple[object, int]] = []
    left = n
    for o in offers:
        avail = o.resources.unallocate()
        k = 0
        ports = len(ports_of(avail))
        while left and avail.contains(need) and k < ports:
            avail = avail - need
            k += 1
            left -= 1
        if k:
            out.append((o, k))
    return out if left == 0 else None


async def gang(master: str, n: int, *, attempts: int = 3, hold: float = 3.0, fail_rank: int = -1,
               fail_times: int = 0, role: str = "*", out=print) -> int:  # type: ignore[no-untyped-def]
    """Run one gang to completion; returns the attempt that succeeded (0: none did)."""
    info = FrameworkInfo(user=user(), name=f"gang-{n}", roles=(role,))
    async with SchedulerClient.connect(master, info) as s:
        out(f"gang: framework {s.framework_id}, {n} ranks")
        attempt = 0
        held: dict[str, object] = {}
        running: dict[str, str] = {}  # task id -> agent id, this attempt's ranks
        finished: set[str] = set()
        holding_since: float | None = None
        launched = False
        while launched or attempt < attempts:
            with trio.move_on_after(0.5):
                ev = await s.next_event()
                if isinstance(ev, EventOffers):
                    for o in ev.offers:
                        if launched:
                            await s.call(CallDecline(offer_ids=(o.id,)))
                        else:
                            held[o.id] = o
                            holding_since = holding_since or trio.current_time()
                elif isinstance(ev, EventRescind):
                    held.pop(ev.offer_id, None)
                elif isinstance(ev, EventUpdate):
                    st = ev.status
                    await ack(s, st)
                    if st.task_id in running and st.state.is_terminal:
                        if st.state is TaskState.TASK_FINISHED:
                            finished.add(st.task_id)
                            if finished == set(running):
                                out(f"gang: all {n} ranks finished in attempt {attempt}")
                                await s.call(CallTeardown())
                                return attempt
                        else:
                            out(f"gang: {st.task_id} {st.state.name} ({st.message.strip()}): "
                                f"killing the gang of attempt {attempt}")
                            for tid, aid in running.items():
                                if tid != st.task_id and tid not in finished:
                                    await s.call(CallKill(task_id=tid, agent_id=aid))
                            running, finished, launched = {}, set(), False
                            if attempt < attempts:
                                await s.call(CallRevive())
                            continue
            if launched or not held:
                continue
            p = plan(list(held.values()), n)
            if p is not None:
                attempt += 1
                first = p[0][0]
                host = first.hostname
                port = ports_of(first.resources.unallocate())[0]
                rank = 0
                for o, k in p:
                    tasks = []
                    avail_ports = ports_of(o.resources.unallocate())
                    for j in range(k):
                        tid = f"rank-{rank}-a{attempt}"
                        res = R(RANK_RES) + R(f"ports:[{avail_ports[j]}-{avail_ports[j]}]")
                        cmd = py(RANK, str(rank), str(n), host, str(port), str(attempt),
                                 str(fail_rank), str(fail_times))
                        tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id,
                                              resources=res, command=CommandInfo(value=cmd)))
                        running[tid] = o.agent_id
                        rank += 1
                    await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(tasks)),)))
                used = {o.id for o, _ in p}
                rest = [oid for oid in held if oid not in used]
                if rest:
                    await s.call(CallDecline(offer_ids=tuple(rest)))
                out(f"gang: attempt {attempt}: {n} ranks in {len(p)} offer(s), rendezvous {host}:{port}")
                held, holding_since, launched = {}, None, True
                await s.call(CallSuppress())
            elif holding_since is not None and trio.current_time() - holding_since > hold:
                out(f"gang: {len(held)} offers do not fit {n} ranks after {hold:g} s: releasing them")
                await s.call(CallDecline(offer_ids=tuple(held), filters=Filters(refuse_seconds=1.0)))
                held, holding_since = {}, None
        out(f"gang: no attempt of {attempts} succeeded")
        await s.call(CallTeardown())
        return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True)
    p.add_argument("--ranks", type=int, default=4)
    p.add_argument("--attempts", type=int, default=3)
    p.add_argument("--hold", type=float, default=3.0, help="seconds to hold offers for a full gang")
    p.add_argument("--fail-rank", type=int, default=-1)
    p.add_argument("--fail-times", type=int, default=0)
    a = p.parse_args(argv)
    if a.ranks < 1:
        print("gang: --ranks must be at least 1")
        return 2
    ok = trio.run(lambda: gang(a.master, a.ranks, attempts=a.attempts, hold=a.hold,
                              fail_rank=a.fail_rank, fail_times=a.fail_times))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
