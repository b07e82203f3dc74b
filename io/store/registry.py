"""The master's registry backends in the shell: `memory` and `local` (files in work_dir).

Both keep a `core.registry.RegistryBook` (the registry as dicts, changed only by the pure
compare-and-set rules of core/registry.py) so that a write costs O(its operations), not
O(registry): after a failover the registrar's batches re-admit thousands of agents while the
master goes on working, and the writer thread must not hold the GIL for a whole-registry
rebuild per write.

`local` is durable before a write is reported committed:
- `registry.log`: one record per write, `(version, op)` pickled, framed and checksummed as
  the agent's logs are (io/store/disk.py `encode_record`; a torn tail is dropped on recovery),
  appended and fsync'd;
- `registry.pickle`: a snapshot `(FORMAT, version, (agent blob, ...), unreachable, gone)`
  (each blob an AgentInfo's own pickle, kept per agent and reused while its info is
  unchanged), rewritten atomically when the log has grown past the registry's size (so
  writing snapshots costs O(1) per operation amortised), after which the log is emptied;
  a long log is compacted at recovery (before the master leads) rather than in the middle
  of a re-registration burst.
  Recovery: the snapshot, then the log's records with a newer version, in order. A plain
  pickled `RegistryState` snapshot (the previous format) is still read.
"""

from __future__ import annotations

import os
import pickle

from mesotron.core import registry as reg
from mesotron.core.values import AgentInfo
from mesotron.io.store.disk import atomic_write, encode_record, fsync_dir, read_records


class MemoryRegistry:
    kind = "memory"

    def __init__(self) -> None:
        self.book = reg.RegistryBook()

    @property
    def state(self) -> reg.RegistryState:
        return self.book.state()

    def load(self) -> reg.RegistryState:
        return self.book.state()

    def _store(self, version: int, op: tuple) -> None:
        pass

    def write(self, op: tuple, expected_version: int | None = None) -> bool:
        """Apply `op` (CAS on `expected_version`, default: the current version); durable
        (local) before it returns True."""
        ev = self.book.version if expected_version is None else expected_version
        reg.validate_op(op)  # a malformed op is never stored
        if ev != self.book.version:
            return False
        self._store(ev + 1, op)
        ok = self.book.write(op, ev)
        assert ok
        return True


class LocalRegistry(MemoryRegistry):
    kind = "local"
    FORMAT = "mesotron-registry/2"

    def __init__(self, work_dir: str) -> None:
        super().__init__()
        self.path = os.path.join(work_dir, "registry.pickle")
        self.log_path = os.path.join(work_dir, "registry.log")
        self._blobs: dict[str, tuple[AgentInfo, bytes]] = {}  # agent id -> (info, pickle)
        self._log_ops = 0  # operations in registry.log since the snapshot
        self._log_synced = False  # registry.log known to exist durably

    # ------------------------------------------------------------------ recovery
    def load(self) -> reg.RegistryState:
        try:
            with open(self.path, "rb") as f:
                data = pickle.loads(f.read())
        except FileNotFoundError:
            data = reg.RegistryState()
        if isinstance(data, reg.RegistryState):
            state = data
        elif isinstance(data, tuple) and len(data) in (5, 6) and data[0] == self.FORMAT:
            _, version, blobs, unreachable, gone = data[:5]
            settings = data[5] if len(data) == 6 else ()
            infos = [pickle.loads(b) for b in blobs]
            self._blobs = {i.id: (i, b) for i, b in zip(infos, blobs, strict=True)}
            state = reg.RegistryState(version=version, admitted=tuple(infos),
                                      unreachable=tuple(unreachable), gone=tuple(gone),
                                      settings=tuple(settings))
        else:
            raise ValueError(f"{self.path}: not a registry snapshot")
        self.book = reg.RegistryBook(state)
        self._log_ops = 0
        for payload in read_records(self.log_path):
            version, op = pickle.loads(payload)
            if version <= self.book.version:
                continue  # already in the snapshot (a crash between snapshot and truncation)
            if not self.book.write(op, version - 1):
                raise ValueError(f"{self.log_path}: record for version {version} after "
                                 f"version {self.book.version}")
            self._log_ops += len(reg.ops_of(op))
        if self._log_ops > self._log_limit():
            self.snapshot()  # compact now, before leading, rather than in the first write
        return self.book.state()

    def _log_limit(self) -> int:
        return max(1000, len(self.book.admitted))

    # ------------------------------------------------------------------ writes
    def _store(self, version: int, op: tuple) -> None:
        record = encode_record(pickle.dumps((version, op), protocol=5))
        new = not self._log_synced and not os.path.exists(self.log_path)
        with open(self.log_path, "ab") as f:
            f.write(record)
            f.flush()
            os.fsync(f.fileno())
        if new:
            fsync_dir(os.path.dirname(self.log_path) or ".")
        self._log_synced = True  # the log's directory entry is durable
        self._log_ops += len(reg.ops_of(op))

    def write(self, op: tuple, expected_version: int | None = None) -> bool:
        if not super().write(op, expected_version):
            return False
        if self._log_ops > self._log_limit():
            self.snapshot()
        return True

    def _blob(self, info: AgentInfo) -> bytes:
        cached = self._blobs.get(info.id or "")
        if cached is not None:
            if cached[0] is info:
                return cached[1]
            if cached[0] == info:  # an equal value (e.g. a re-admitted agent's): keep it
                self._blobs[info.id or ""] = (info, cached[1])
                return cached[1]
        blob = pickle.dumps(info, protocol=5)
        self._blobs[info.id or ""] = (info, blob)
        return blob

    def snapshot(self) -> None:
        """Write the whole registry atomically, then empty the log."""
        state = self.book.state()
        blobs = tuple(self._blob(a) for a in state.admitted)
        if len(self._blobs) > len(blobs):
            keep = {a.id for a in state.admitted}
            self._blobs = {k: v for k, v in self._blobs.items() if k in keep}
        data = (self.FORMAT, state.version, blobs, state.unreachable, state.gone, state.settings)
        atomic_write(self.path, pickle.dumps(data, protocol=5))
        atomic_write(self.log_path, b"")
        self._log_ops = 0


def open_registry(kind: str, work_dir: str) -> MemoryRegistry:
    if kind == "memory":
        return MemoryRegistry()
    if kind == "local":
        os.makedirs(work_dir, exist_ok=True)
        return LocalRegistry(work_dir)
    raise ValueError(f"unknown registry {kind!r} (memory|local)")
