"""The simulated agent disk: replays the agent's `Persist` effects, loses unsynced writes.

Ordering rule 2 (core/effects.py): a `Persist` is durable before the effects that FOLLOW it
in the same list are carried out. The world therefore calls `sync()` before it carries out
any non-Persist effect of an agent; the Persists at the tail of an effect list (nothing
after them yet) stay *unsynced* until the agent's next carried-out effect. A crash
(`crash(rng)`) keeps a random prefix of the unsynced writes and may tear the last kept
appended record; a torn record fails its CRC on recovery and is dropped, as io/'s disk
layer does. What survives is handed back as `Recovered(checkpoints, logs)`.

So a correct agent (Persist, then the executor's acknowledgement) never loses an update it
acknowledged, and an agent that acknowledges first and persists after can.
"""

from __future__ import annotations

import random
from typing import Any

from mesotron.core.checkpoint import Recovered

_ABSENT = object()


class Disk:
    """Invariant: `checkpoints`/`logs` include every write, synced or not; `unsynced` holds
    undo records for the writes not yet synced, oldest first."""

    __slots__ = ("checkpoints", "logs", "lost", "torn", "unsynced", "writes")

    def __init__(self) -> None:
        self.checkpoints: dict[tuple[str, ...], Any] = {}
        self.logs: dict[tuple[str, ...], list[Any]] = {}
        # (key, append, previous checkpoint value or _ABSENT, previous log or None)
        self.unsynced: list[tuple[tuple[str, ...], bool, Any, Any]] = []
        self.writes = 0
        self.lost = 0
        self.torn = 0

    def persist(self, key: tuple[str, ...], record: Any, append: bool) -> None:
        self.writes += 1
        if append:
            self.unsynced.append((key, True, _ABSENT, None))
            log = self.logs.get(key)
            if log is None:
                self.logs[key] = [record]
            else:
                log.append(record)
            return
        prev_log = self.logs.get(key)
        self.unsynced.append((key, False, self.checkpoints.get(key, _ABSENT), prev_log))
        if record is None:
            self.checkpoints.pop(key, None)
            self.logs.pop(key, None)
        else:
            self.checkpoints[key] = record

    def sync(self) -> None:
        if self.unsynced:
            self.unsynced.clear()

    def crash(self, rng: random.Random, *, lossy: bool = True) -> None:
        """Power loss: keep a random prefix of the unsynced writes (all of them when not
        lossy), maybe tear the last kept append (it is then dropped at recovery)."""
        pending = self.unsynced
        self.unsynced = []
        if not pending or not lossy:
            return
        keep = rng.randint(0, len(pending))
        tear = keep > 0 and pending[keep - 1][1] and rng.random() < 0.5
        if tear:
            keep -= 1
            self.torn += 1
        for key, append, prev, prev_log in reversed(pending[keep:]):
            self.lost += 1
            if append:
                log = self.logs.get(key)
                if log:
                    log.pop()
                    if not log:
                        del self.logs[key]
            else:
                if prev is _ABSENT:
                    self.checkpoints.pop(key, None)
                else:
                    self.checkpoints[key] = prev
                if prev_log is not None:
                    self.logs[key] = prev_log

    def wipe(self) -> None:
        self.checkpoints.clear()
        self.logs.clear()
        self.unsynced.clear()

    def recovered(self) -> Recovered:
        return Recovered(checkpoints=dict(self.checkpoints),
                         logs={k: list(v) for k, v in self.logs.items()})
