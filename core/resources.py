"""Resources algebra (PLACEHOLDER being replaced by the full implementation; see API below).

API CONTRACT (other modules code against exactly this):
- `Resource`: frozen attrs: name: str; scalar: float | None; ranges: tuple[tuple[int,int],...] | None;
  set: frozenset[str] | None (exactly one kind); role: str = "*"; reservations:
  tuple[Reservation, ...] = () (static/dynamic, refinement format); allocation_role: str | None.
- `Resources`: immutable, hashable collection of Resource, normalised (same name+role+
  reservations+allocation_role merge; zero scalars dropped; ranges coalesced; scalars rounded
  to 3 decimals as Mesos does).
  - `Resources.parse("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(eng):2", default_role="*")`
  - `Resources.from_json(list_of_dicts)`, `.to_json() -> list[dict]` (Mesos v1 JSON form)
  - `Resources.from_scalars({"cpus": 1, "mem": 128})`
  - `a + b`, `a - b` (raises ValueError if not a.contains(b)), `a.contains(b)`, `a.is_empty()`,
    bool(a), `a == b`, iteration over Resource
  - `a.scalar(name) -> float` (0.0 if absent), `a.scalars() -> dict[str, float]`,
    `a.names() -> set[str]`, `a.ranges(name)`, `a.set_items(name)`
  - `a.allocate(role) -> Resources` (set allocation_role), `a.unallocate()`,
    `a.allocated_to(role)`, `a.reserved(role=None)`, `a.unreserved()`,
    `a.for_role(role)` (unreserved + reserved to role)
  - `str(a)` gives the `cpus:4;mem:2048;ports:[31000-32000]` form; repr is valid Python.
"""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class Resources:
    items: tuple = ()

    def scalar(self, name: str) -> float:
        return 0.0
