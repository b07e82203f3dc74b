"""The simulator checker's memoised inputs equal a straightforward recount.

The checker (core/sim/checker.py) memoises parts of what it feeds the catalog so that it can
evaluate it after every event cheaply: DrfOrder's recomputed shares read each allocation
value's scalars once (`_role_scalars`), the agents' totals are summed once per set of totals,
and the per-(framework, role) sums are running sums updated from the agents whose allocations
changed (`_allocation_sums`, s11). This runs seeded simulations whose checker, at every
DrfOrder evaluation, also recounts the shares the plain way (every entry of every agent's
allocations, as before the memo) and asserts they agree: the speed-up changes how the input
is computed, never what DrfOrder is evaluated on.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.sim.checker import Checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate


def recount_shares(al: Any, weights: dict[str, float]) -> list[tuple[str, float, float]]:
    total: dict[str, int] = {}
    by: dict[tuple[str, str], dict[str, int]] = {}
    role_q: dict[str, dict[str, int]] = {}
    for ag in al._agents.values():
        for name, q in ag.total._scalar_map().items():
            total[name] = total.get(name, 0) + q
        for fid, res in ag.alloc.items():
            for k, v in res._m.items():
                if type(v) is int:
                    role = k[2] or ""
                    d = by.setdefault((fid, role), {})
                    d[k[0]] = d.get(k[0], 0) + v
                    rq = role_q.setdefault(role, {})
                    rq[k[0]] = rq.get(k[0], 0) + v

    def share(d: dict[str, int] | None) -> float:
        best = 0.0
        for n, q in (d or {}).items():
            t = total.get(n, 0)
            if t > 0 and q / t > best:
                best = q / t
        return best

    out = [(f"framework {fid} in role {role}", rec, share(by.get((fid, role))))
           for role, idx in al._fw_index.items() for fid, rec in idx._share.items()]
    out += [(f"role {role}", rec, share(role_q.get(role)) / weights.get(role, 1.0))
            for role, rec in al._role_index._share.items()]
    return out


class RecountingChecker(Checker):
    def __init__(self) -> None:
        super().__init__()
        self.compared = 0

    def share_books(self, al: Any, weights: dict[str, float] | None = None
                    ) -> list[tuple[str, float, float]]:
        got = super().share_books(al, weights)
        assert got == recount_shares(al, self.weights if weights is None else weights)
        self.compared += 1
        return got


def test_share_books_equal_a_plain_recount() -> None:
    for faults in ("none", "all"):
        chk = RecountingChecker()
        r = simulate(SimConfig(seed=7, events=3000, agents=8, frameworks=5, faults=faults),
                     checker=chk)
        assert r.failure_name is None, r.failure
        assert chk.compared > 50, chk.compared


def test_a_stale_memo_is_caught(monkeypatch: Any) -> None:
    """The comparison can fail: a memo keyed by id only (no identity check) would describe
    a newer allocation value with an older one's scalars; planted here as a memo that
    never refreshes once it knows a framework's first value."""
    first: dict[int, Any] = {}
    real = Checker._role_scalars

    def stale(self: Checker, res: Any) -> dict[str, dict[str, int]]:
        out = real(self, res)
        return first.setdefault(len(out), out)

    monkeypatch.setattr(Checker, "_role_scalars", stale)
    chk = RecountingChecker()
    try:
        simulate(SimConfig(seed=7, events=3000, agents=8, frameworks=5, faults="none"),
                 checker=chk)
    except AssertionError:
        return
    raise AssertionError("a stale share memo went unnoticed")


def test_running_sums_that_alias_the_allocator_are_caught() -> None:
    """DrfOrder's recount keeps running sums per (framework, role), updated from the agents
    whose allocation dicts changed since the previous evaluation (`_allocation_sums`). The
    comparison with the plain recount can fail: planted here, the sums remember each agent's
    live allocation dict instead of a copy, so a later change is never seen."""

    class Aliasing(RecountingChecker):
        def _allocation_sums(self, al: Any) -> dict[tuple[str, str], dict[str, int]]:
            out = super()._allocation_sums(al)
            for aid, ag in al._agents.items():
                self._sums_seen[aid] = ag.alloc
            return out

    try:
        simulate(SimConfig(seed=7, events=3000, agents=8, frameworks=5, faults="none"),
                 checker=Aliasing())
    except AssertionError:
        return
    raise AssertionError("running sums that missed a change went unnoticed")


def test_a_share_memo_that_misses_a_change_is_caught() -> None:
    """s12: share_books computes a share again only for the (framework, role) and role sums
    that changed since its previous evaluation (`_share_dirty`, filled by the running sums)
    or when the totals changed. Planted here: the changes are never recorded, so a share
    stays at its first value; the plain recount notices."""

    class Forgetful(RecountingChecker):
        @property  # type: ignore[override]
        def _share_dirty(self) -> set[Any]:
            return set()  # every change recorded into a set nobody reads

        @_share_dirty.setter
        def _share_dirty(self, value: set[Any]) -> None:
            pass

    try:
        simulate(SimConfig(seed=7, events=3000, agents=8, frameworks=5, faults="none"),
                 checker=Forgetful())
    except AssertionError:
        return
    raise AssertionError("a share memo that missed a change went unnoticed")
