"""The master's registry backends in the shell: `memory` and `local` (a file in work_dir).

Both keep a `core.registry.RegistryState` and change it only through the pure
`core.registry.apply` (compare-and-set on the version); `local` writes the new state
atomically (temp, fsync, rename, fsync dir) before the write is reported committed.
"""

from __future__ import annotations

import os
import pickle

from mesotron.core import registry as reg
from mesotron.io.disk import atomic_write


class MemoryRegistry:
    kind = "memory"

    def __init__(self) -> None:
        self.state = reg.RegistryState()

    def load(self) -> reg.RegistryState:
        return self.state

    def _store(self, state: reg.RegistryState) -> None:
        pass

    def write(self, op: tuple, expected_version: int | None = None) -> bool:
        """Apply `op` (CAS on `expected_version`, default: the current version)."""
        ev = self.state.version if expected_version is None else expected_version
        new = reg.apply(self.state, op, ev)
        if new is None:
            return False
        self._store(new)
        self.state = new
        return True


class LocalRegistry(MemoryRegistry):
    kind = "local"

    def __init__(self, work_dir: str) -> None:
        super().__init__()
        self.path = os.path.join(work_dir, "registry.pickle")

    def load(self) -> reg.RegistryState:
        try:
            with open(self.path, "rb") as f:
                self.state = pickle.loads(f.read())
        except FileNotFoundError:
            self.state = reg.RegistryState()
        return self.state

    def _store(self, state: reg.RegistryState) -> None:
        atomic_write(self.path, pickle.dumps(state, protocol=5))


def open_registry(kind: str, work_dir: str) -> MemoryRegistry:
    if kind == "memory":
        return MemoryRegistry()
    if kind == "local":
        os.makedirs(work_dir, exist_ok=True)
        return LocalRegistry(work_dir)
    raise ValueError(f"unknown registry {kind!r} (memory|local)")
