"""The master's in-process share of a re-registration storm (issue 17 §4), without sockets or
Trio: N agents' ReregisterAgent frames (bench/reregister_scale.py's, 10 tasks each) decoded
as the transport does (`decode_frame`), fed to a `Master` that recovered the N agents from its
registry, registry writes answered every 256 inputs (as batches commit in the daemon), and
every Send effect encoded. Optionally each answered agent disconnects (`--disconnect`).
Prints CPU seconds (process time) per part and per agent. Used to tell the master's own
cost from the daemon's per-connection cost (`reregister_scale.py` measures both).

    .venv/bin/python bench/reregister_core.py --agents 10000 [--disconnect] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from typing import Any


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=10_000)
    p.add_argument("--frameworks", type=int, default=10)
    p.add_argument("--disconnect", action="store_true", help="each answered agent disconnects")
    p.add_argument("--profile", action="store_true", help="cProfile, top 30 by own time")
    args = p.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reregister_scale as rs
    from mesotron.core import registry as reg
    from mesotron.core.effects import Disconnected, Received, RegistryResult, RegistryWrite, Send
    from mesotron.core.ids import IdSource
    from mesotron.core.master.base import LeadershipGained
    from mesotron.core.master.machine import Master, MasterConfig
    from mesotron.core.messages import AgentReregistered
    from mesotron.core.values import MasterInfo
    from mesotron.io.daemons.master import GC_THRESHOLDS
    from mesotron.io.wire.transport import _LEN, decode_frame
    from mesotron.spec import codec_internal

    n = args.agents
    frames = []
    for pid, fr in rs.encode_agents_fast(0, n, n, 10 * n, args.frameworks):
        (k,) = _LEN.unpack_from(fr, 0)
        frames.append((pid, fr[4 + k + 4:]))  # the ReregisterAgent (after the Hello)
    infos = sorted(rs.agent_infos(n), key=lambda a: a.id or "")
    m = Master(master_info=MasterInfo(id="m", hostname="h", ip="127.0.0.1", port=5050),
               ids=IdSource(seed="00"), config=MasterConfig(agent_ping_timeout=60.0))
    now = 1000.0
    m.step(now, LeadershipGained(registry=reg.RegistryState(version=n, admitted=tuple(infos))))
    gc.freeze()  # as the daemon does (io/daemons/master.py run)
    gc.set_threshold(*GC_THRESHOLDS)
    t = {"decode": 0.0, "step": 0.0, "encode": 0.0, "disconnect": 0.0}
    pending: list[Any] = []
    answered: list[str] = []

    def effects(out: list[Any]) -> None:
        c = time.process_time()
        for e in out:
            if type(e) is RegistryWrite:
                pending.append(e)
            elif type(e) is Send:
                codec_internal.encode(e.message)
                if args.disconnect and type(e.message) is AgentReregistered:
                    answered.append(e.to)
        t["encode"] += time.process_time() - c

    def commit() -> None:
        while pending:
            w = pending.pop()
            c = time.process_time()
            out = m.step(now, RegistryResult(op_id=w.op_id, ok=True))
            t["step"] += time.process_time() - c
            effects(out)

    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    c0 = time.process_time()
    for i, (pid, payload) in enumerate(frames):
        c = time.process_time()
        msg = decode_frame(payload)
        c1 = time.process_time()
        out = m.step(now, Received(sender=pid, message=msg))
        t["decode"] += c1 - c
        t["step"] += time.process_time() - c1
        effects(out)
        if answered:
            c = time.process_time()
            for peer in answered:
                effects(m.step(now, Disconnected(peer=peer)))
            answered.clear()
            t["disconnect"] += time.process_time() - c
        if i % 256 == 255:
            commit()
    commit()
    total = time.process_time() - c0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    assert len(m.agents) == n, "not every agent was re-admitted"
    parts = " ".join(f"{k} {v:.2f}s" for k, v in t.items())
    print(f"agents {n}: {total:.2f} CPU-s ({1e6 * total / n:.0f} us per agent): {parts}; "
          f"load1 {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
