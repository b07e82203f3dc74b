"""Deterministic identifiers.

A machine never draws randomness: ids and uuids come from an `IdSource` handed in at
construction, seeded by the driver (the shell seeds it from the OS once per process
incarnation; the simulator from its run seed). Same seed -> same ids.
"""

from __future__ import annotations

import hashlib
import uuid

import attrs


@attrs.define(slots=True)
class IdSource:
    """A seeded counter that mints ids and 16-byte uuids.

    Invariant: `counter` only grows; every value minted is distinct for a given seed.
    """

    seed: str
    counter: int = 0

    def next_int(self) -> int:
        self.counter += 1
        return self.counter

    def next_uuid(self) -> bytes:
        """16 bytes, formatted as a version-4 UUID (what Mesos puts in TaskStatus.uuid)."""
        n = self.next_int()
        b = bytearray(hashlib.sha256(f"{self.seed}/{n}".encode()).digest()[:16])
        # uuid.UUID(bytes=b, version=4).bytes, without building the UUID: version 4 in the
        # high nibble of byte 6, the RFC 4122 variant in the top bits of byte 8
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return bytes(b)

    def next_uuid_str(self) -> str:
        return str(uuid.UUID(bytes=self.next_uuid()))

    def choice_index(self, n: int) -> int:
        """A deterministic index in [0, n): for tie-breaking that must not depend on dict order."""
        if n <= 0:
            raise ValueError("choice_index needs n > 0")
        k = self.next_int()
        return int.from_bytes(hashlib.sha256(f"{self.seed}#{k}".encode()).digest()[:8], "big") % n
