"""Dominant Resource Fairness bookkeeping for the allocator (pure, incremental).

Quantities are kept as integer milli-units (`int(round(x * 1000))`: Mesos rounds scalars to 3
decimals) so that allocate-then-recover cycles never drift. Only scalar resources count
towards shares, as in Mesos's DRF sorter.

- `Ledger`: a dict name -> milli-units with add/subtract of another ledger.
- `dominant_share(alloc, total)`: max over resources of alloc/total (resources with a zero
  total are ignored).
- `ShareIndex`: keys kept sorted by `(share, key)`; updating one key's share costs a bisect
  and two list moves (C memmove), so picking "the lowest share first" never re-sorts.
- `drf_order_holds(decision)`: the DrfOrder policy for one recorded decision.

Books read: none.
Books written: none.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping

from mesotron.core.books import AllocationDecision

Ledger = dict[str, int]


def to_milli(x: float) -> int:
    return round(x * 1000.0)


def ledger_add(into: Ledger, other: Mapping[str, int], sign: int = 1) -> None:
    """into += sign * other (entries that reach zero are dropped)."""
    for name, v in other.items():
        n = into.get(name, 0) + sign * v
        if n:
            into[name] = n
        else:
            into.pop(name, None)


def dominant_share(alloc: Mapping[str, int], total: Mapping[str, int]) -> float:
    best = 0.0
    for name, v in alloc.items():
        t = total.get(name, 0)
        if t > 0:
            s = v / t
            best = max(best, s)
    return best


class ShareIndex:
    """Keys sorted by (share, key). Invariant: `_order` is sorted and holds exactly one
    `(share, key)` per key, with `share == _share[key]`."""

    __slots__ = ("_order", "_share")

    def __init__(self) -> None:
        self._order: list[tuple[float, str]] = []
        self._share: dict[str, float] = {}

    def __deepcopy__(self, memo: dict) -> ShareIndex:
        # (s21) by structure: (share, key) tuples and the shares are immutable
        new = ShareIndex.__new__(ShareIndex)
        new._order = list(self._order)
        new._share = dict(self._share)
        return new

    def __contains__(self, key: str) -> bool:
        return key in self._share

    def __len__(self) -> int:
        return len(self._share)

    def __iter__(self) -> Iterator[str]:
        return (k for _s, k in self._order)

    def items(self) -> list[tuple[float, str]]:
        """A snapshot of (share, key) in order."""
        return list(self._order)

    def share(self, key: str) -> float:
        return self._share[key]

    def set(self, key: str, share: float) -> None:
        old = self._share.get(key)
        if old is not None:
            if old == share:
                return
            order = self._order
            i = bisect.bisect_left(order, (old, key))
            del order[i]
        self._share[key] = share
        bisect.insort(self._order, (share, key))

    def discard(self, key: str) -> None:
        old = self._share.pop(key, None)
        if old is not None:
            i = bisect.bisect_left(self._order, (old, key))
            del self._order[i]

    def keys(self) -> list[str]:
        return [k for _s, k in self._order]

    def rebuild(self, shares: Mapping[str, float]) -> None:
        self._share = dict(shares)
        self._order = sorted((s, k) for k, s in self._share.items())


def drf_order_holds(decision: AllocationDecision) -> bool:
    """DrfOrder for one decision: the chosen key has the lowest sort key among the eligible
    ones (ties broken by id, as the allocator does). Quota-stage decisions are exempt."""
    if decision.quota or not decision.eligible:
        return True
    best = min((share, key) for key, share in decision.eligible)
    return best[1] == decision.chosen
