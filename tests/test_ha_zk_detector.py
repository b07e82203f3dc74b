"""The leader detector across a REAL session expiry that it only learns about late (issue 5).

A SIGSTOPped agent (a partition) wakes up with its ZooKeeper session expired; kazoo reports
LOST and at once opens a new session (CONNECTED), and both state changes reach the Trio
thread before the detector task runs. Mesos's detector reports "no leader" on expiration
whatever happens next, so the agent re-detects the (same) leader and re-registers; a detector
that only looks at the current state (CONNECTED, same leader) reports nothing, and a
partitioned agent stays unreachable (seen as a hang in tests/test_ha_partition.py).

Here the Trio thread is blocked (as SIGSTOP blocks the agent) while the session is expired
for real from another thread and kazoo reconnects with a new session.
"""

from __future__ import annotations

import threading
import time

import trio
from mesotron.core.values import MasterInfo
from mesotron.io.zk.bridge import expire_session, open_zk
from mesotron.io.zk.election import contend, detect_leader
from mesotron.io.zk.server import ZkServer


def test_detector_reports_no_leader_after_an_expiry_it_saw_late(zk_server: ZkServer) -> None:
    path = "/late-expiry/mesos"
    leader = MasterInfo(id="m0", hostname="m0", ip="127.0.0.1", port=15050)

    async def main() -> None:
        with trio.fail_after(30):
            async with open_zk(zk_server.hosts, session_timeout=4.0) as zm, contend(zm, path, leader) as c, \
                    open_zk(zk_server.hosts, session_timeout=1.5) as zk, detect_leader(zk, path) as d:
                await c.elected.wait()
                assert await d.detect(None) == leader
                old = zk.client_id
                assert old is not None

                def frozen() -> None:  # the Trio thread does not run meanwhile
                    t = threading.Thread(target=trio.run, args=(expire_session, zk_server.hosts, old))
                    t.start()
                    t.join(20)
                    deadline = time.monotonic() + 20
                    while not (zk.kazoo.connected and zk.kazoo.client_id and zk.kazoo.client_id[0] != old[0]):
                        assert time.monotonic() < deadline, "kazoo did not open a new session"
                        time.sleep(0.01)

                frozen()
                # the LOST and CONNECTED (new session) callbacks are both queued by now
                assert await d.detect(leader) is None
                assert await d.detect(None) == leader
                assert [ch.info for ch in d.changes] == [leader, None, leader] or \
                    [ch.info for ch in d.changes] == [None, leader, None, leader]

    trio.run(main)
