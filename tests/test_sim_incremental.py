"""The simulator checker's incremental books equal a full recount.

The checker keeps some of its inputs incrementally (core/sim/checker.py) so that it can
evaluate the catalog after every event cheaply. Each test here runs a seeded simulation with
a checker that, at every evaluation, also recomputes the same input from scratch the
straightforward way and asserts they agree: the speed-ups change when and how a book is
kept, never what a property is evaluated on.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.sim.checker import Checker
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

CFG = SimConfig(seed=7, events=4000, agents=8, frameworks=5)


def recount_shares(al: Any, weights: dict[str, float]) -> list[tuple[str, float, float]]:
    """The share books recounted from every agent's allocations (the pre-incremental code)."""
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
        return max([q / total[n] for n, q in (d or {}).items() if total.get(n, 0) > 0],
                   default=0.0)

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


def test_share_books_equal_a_full_recount() -> None:
    for faults in ("none", "all"):
        chk = RecountingChecker()
        r = simulate(SimConfig(seed=CFG.seed, events=CFG.events, agents=CFG.agents,
                               frameworks=CFG.frameworks, faults=faults), checker=chk)
        assert r.failure_name is None
        assert chk.compared > 100, chk.compared
