"""s19 kmast3: master-side properties of the simulator's checker for the offer calls
(core/master/offers.py).

Each function is called from one line of core/sim/checker.py tagged `# s19 kmast3`, from a
branch the checker already takes for that input; each judges one master step against
behaviour Mesos has (the property's docstring in core/invariants.py cites the Mesos
source) and reports through `chk.run` with the (property, master, what) rows of
`ClusterSnapshot.s17_killa`. Nothing here changes a machine or the world.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Log
from mesotron.core.sim.checks_kproto import taken_from_subscribed


def _fail(chk: Any, world: Any, name: str, master: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, master, what),)))


# ================================================================== DECLINE
def check_decline(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any],
                  pre_offers: dict[str, Any]) -> None:
    """DeclinesAsMesos, after a master step on a DECLINE it took (202) from a subscribed
    framework: each offer named that the framework held before the step is gone from the
    master's offers; each other one (unknown, rescinded, another framework's) is logged
    `decline_invalid_offer` naming it, and another framework's offer stays outstanding."""
    fw = taken_from_subscribed(node, inp, effects)
    if fw is None:
        return
    offers = node.machine._offers
    logged: set[str] | None = None
    for oid in dict.fromkeys(inp.call.offer_ids):
        pre = pre_offers.get(oid)
        if pre is not None and pre.framework_id == fw.id:
            if oid in offers:
                _fail(chk, world, "DeclinesAsMesos", node.name,
                      f"kept offer {oid} that framework {fw.id} declined")
            continue
        if logged is None:
            logged = {str(dict(e.fields).get("offer_id")) for e in effects
                      if type(e) is Log and e.event == "decline_invalid_offer"}
        if oid not in logged:
            _fail(chk, world, "DeclinesAsMesos", node.name,
                  f"did not log the decline of offer {oid} by framework {fw.id}, which "
                  "it does not hold")
        if pre is not None and oid not in offers:
            _fail(chk, world, "DeclinesAsMesos", node.name,
                  f"dropped offer {oid} of framework {pre.framework_id} that framework "
                  f"{fw.id} declined")
