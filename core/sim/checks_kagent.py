"""s19 kagent: the agent's registration with its master, judged on each step that sends a
(Re)RegisterAgent or arms its retry (Mesos `Slave::doReliableRegistration`).

Called from one line of core/sim/checker.py tagged `# s19 kagent`; reports through
`chk.run` with the (property, agent, what) rows of `ClusterSnapshot.s17_killa` (only on a
failure: the checker's counts stay as they were).
"""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent.base import REGISTER_TIMER
from mesotron.core.agent.model import ExecutorExited, KillExecutor, OrphanContainer
from mesotron.core.agent.model import Start as AgentStart
from mesotron.core.effects import Send, SetTimer, TimerFired
from mesotron.core.messages import RegisterAgent, ReregisterAgent

# Mesos REGISTER_RETRY_INTERVAL_MAX (src/slave/constants.hpp): 1 minute
REGISTER_RETRY_INTERVAL_MAX = 60.0
_REGISTRATIONS = (RegisterAgent, ReregisterAgent)


def _fail(chk: Any, world: Any, name: str, agent: str, what: str) -> None:
    chk.run(world, getattr(inv, name), inv.ClusterSnapshot(s17_killa=((name, agent, what),)))


def _retries(chk: Any) -> dict[str, int]:
    """agent node -> how many retries of its current registration round it armed."""
    b = chk.__dict__.get("_kagent_retries")
    if b is None:
        b = chk.__dict__["_kagent_retries"] = {}
    return b


def _exited(chk: Any) -> dict[str, set[str]]:
    """agent node -> the containers whose exit (ExecutorExited) its current run was told."""
    b = chk.__dict__.get("_kagent_exited")
    if b is None:
        b = chk.__dict__["_kagent_exited"] = {}
    return b


def after_agent_step(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """RegistersOnlyWhenDisconnected, RegistrationRetriesBounded, KillsOnlyLiveExecutors."""
    ag = node.machine
    if ag is None:
        return
    tin = type(inp)
    exited = _exited(chk)
    if tin is AgentStart:
        exited[node.name] = set()  # a new run: what the last one was told is gone with it
    gone = exited.get(node.name)
    timer = None
    for e in effects:
        t = type(e)
        if t is KillExecutor:
            if gone and e.container_id in gone and tin is not OrphanContainer:
                _fail(chk, world, "KillsOnlyLiveExecutors", node.name,
                      f"kills container {e.container_id[:8]} after it was told that executor "
                      f"exited (on {tin.__name__})")
            continue
        if t is Send and type(e.message) in _REGISTRATIONS:
            if ag.master is None or ag.recovering or ag.state != "disconnected":
                _fail(chk, world, "RegistersOnlyWhenDisconnected", node.name,
                      f"sends {type(e.message).__name__} while {ag.state}"
                      f"{' (recovering)' if ag.recovering else ''} with "
                      f"{'no master detected' if ag.master is None else 'master ' + ag.master}")
        elif t is SetTimer and e.key == REGISTER_TIMER:
            timer = e
    if tin is ExecutorExited:
        if gone is None:
            gone = exited[node.name] = set()
        gone.add(inp.container_id)
    if timer is None:
        return
    retries = _retries(chk)
    if type(inp) is not TimerFired or inp.key != REGISTER_TIMER:
        retries[node.name] = 0  # a new round (its first retry: RegistrationBackoffResets)
        return
    n = retries.get(node.name)
    if n is None:
        return  # a round this checker did not see start
    n += 1
    retries[node.name] = n
    factor = ag.config.registration_backoff_factor
    cap = max(REGISTER_RETRY_INTERVAL_MAX, ag.config.registration_backoff_max)
    bound = min(factor * 2.0 ** min(n + 1, 64), cap)
    if timer.at - world.now > bound + 1e-9:
        _fail(chk, world, "RegistrationRetriesBounded", node.name,
              f"arms its registration retry {n + 1} {timer.at - world.now:g} s away (at most "
              f"{bound:g} s: --registration_backoff_factor {factor:g} doubled per retry)")
