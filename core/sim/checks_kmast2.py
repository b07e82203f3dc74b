"""s19 kmast2: master-side properties of the simulator's checker (a framework's
re-subscription: its books and the FrameworkInfo its agents are told).

Each function is called from one line of core/sim/checker.py tagged `# s19 kmast2`; each
judges one step of a real master against behaviour Mesos has (the property's docstring in
core/invariants.py cites the Mesos source), and reports through `chk.run` with the
(property, framework, what) rows of `ClusterSnapshot.s17_killa`.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Respond, Send
from mesotron.core.messages import CallSubscribe, EventSubscribed, UpdateFramework


def _fail(chk: Any, world: Any, name: str, fid: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, fid, what),)))


# ================================================================== a SUBSCRIBE at the master
def before_subscribe(chk: Any, node: Any, inp: Any) -> None:
    """What the master holds of the framework a SUBSCRIBE names, before it handles it:
    (request, id, FrameworkInfo, recovered), or None (a new id, or one it does not hold)."""
    fid = inp.call.framework_info.id
    fw = node.machine._frameworks.get(fid) if fid is not None else None
    chk.__dict__["_kmast2_pre"] = None if fw is None else (inp.request, fid, fw.info,
                                                           fw.recovered)


def after_call(chk: Any, world: Any, node: Any, inp: Any, ct: Any, effects: list[Any]) -> None:
    """ResubscriptionsUpdateFramework, after a master step on a SUBSCRIBE of a framework the
    master held that it answered SUBSCRIBED."""
    if ct is not CallSubscribe:
        return
    pre = chk.__dict__.pop("_kmast2_pre", None)
    if pre is None or pre[0] != inp.request or not effects \
            or type(effects[0]) is not Respond or effects[0].status != 200:
        return
    _req, fid, old_info, was_recovered = pre
    if not any(type(e) is Send and type(e.message) is EventSubscribed for e in effects):
        return  # refused (an ERROR event): nothing changed
    m = node.machine
    fw = m._frameworks.get(fid)
    if fw is None:
        return
    name = "ResubscriptionsUpdateFramework"
    if fw.recovered:
        _fail(chk, world, name, fid, "subscribed to the master but is still booked recovered "
                                     "(as learnt from its agents only)")
    if not was_recovered and fw.reregistered_time != m.now:
        _fail(chk, world, name, fid, (f"re-subscribed at {m.now:g} but its reregistered_time "
                                      f"is {fw.reregistered_time!r}"))
    if fw.info == old_info:
        return
    where = {t.agent_id for t in fw.tasks.values()} | {a for a, _e in fw.executors}
    for aid in sorted(where):
        agent = m._agents.get(aid)
        if agent is None or not agent.connected:
            continue
        if not any(type(e) is Send and e.to == agent.pid and type(e.message) is UpdateFramework
                   and e.message.framework_info == fw.info for e in effects):
            _fail(chk, world, name, fid, (
                f"re-subscribed with a changed FrameworkInfo but its agent {aid}, connected, "
                "running its tasks or executors, is not sent the new one (UpdateFramework)"))
