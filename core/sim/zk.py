"""A ZooKeeper model sufficient for Mesos leader election and detection.

- Sessions with a timeout: a session stays alive while its client can reach the ensemble;
  once it cannot (client crashed or partitioned from "zk"), the server expires it after
  `timeout` seconds of silence. The client learns of the expiry only when it reaches the
  ensemble again (as with a real client).
- Ephemeral sequential nodes under the Mesos election path: `/mesos/json.info_NNNNNNNNNN`
  holding the MasterInfo; deleted when their session expires or is closed.
- Watches: every change of the children of `/mesos` notifies the watchers (the world
  delivers the new leader to contenders and detectors).
- Leader = owner of the lowest sequence number (Mesos's `LeaderContender`/`MasterDetector`).

The registry lives beside it in the world (compare-and-set on a version, fencing a
deposed leader: see core/registry.py and world.py).
"""

from __future__ import annotations

from typing import Any

ELECTION_PATH = "/mesos"


class ZooKeeper:
    """Invariant: every node belongs to a live (not expired) session."""

    def __init__(self, session_timeout: float = 10.0) -> None:
        self.session_timeout = session_timeout
        self.next_session = 0
        self.next_seq = 0
        # session id -> [owner, alive, expire_at or None]
        self.sessions: dict[int, list[Any]] = {}
        # seq -> (session id, data)
        self.nodes: dict[int, tuple[int, Any]] = {}
        self.expirations = 0

    def open_session(self, owner: str) -> int:
        self.next_session += 1
        self.sessions[self.next_session] = [owner, True, None]
        return self.next_session

    def create_ephemeral_sequential(self, session: int, data: Any) -> str:
        s = self.sessions.get(session)
        if s is None or not s[1]:
            raise ValueError(f"zk: session {session} is not alive")
        self.next_seq += 1
        self.nodes[self.next_seq] = (session, data)
        return f"{ELECTION_PATH}/json.info_{self.next_seq:010d}"

    def alive(self, session: int) -> bool:
        s = self.sessions.get(session)
        return s is not None and s[1]

    def close_session(self, session: int) -> bool:
        """Returns True when children of the election path changed."""
        s = self.sessions.get(session)
        if s is None or not s[1]:
            return False
        s[1] = False
        before = len(self.nodes)
        self.nodes = {q: v for q, v in self.nodes.items() if v[0] != session}
        return len(self.nodes) != before

    def expire(self, session: int) -> bool:
        changed = self.close_session(session)
        if session in self.sessions:
            self.expirations += 1
        return changed

    def leader(self) -> tuple[int, Any] | None:
        """(session, data) of the lowest sequence node, or None."""
        if not self.nodes:
            return None
        q = min(self.nodes)
        return self.nodes[q]

    def children(self) -> list[str]:
        return [f"json.info_{q:010d}" for q in sorted(self.nodes)]

    def describe(self) -> str:
        live = sorted(k for k, v in self.sessions.items() if v[1])
        return f"zk sessions={live} children={self.children()}"
