"""s18 killm3: a checker exemption for a gap Mesos has, reached by the smoke campaign's seed
1009 once the agent ignored executor updates of terminating frameworks (core/agent/
executors.py, Mesos `Slave::statusUpdate`) and the trajectories moved.

Called from one line of core/sim/checker.py tagged `# s18 killm3`.

- A RunTask (RunTaskGroup) that reaches an agent before the AgentRegistered giving it the
  id the tasks name (the network lost or reordered that answer: TCP never does, the
  simulator does) is ignored by the agent (Mesos `Slave::run`: "ignoring running ...
  because it was intended for old agent"; the agent has no id yet). The master books those
  tasks STAGING, and no re-registration follows to reconcile them (the agent registers again
  and the master only re-sends AgentRegistered: Mesos `Master::registerSlave`), so they stay
  STAGING until a framework kills them: the gap of a RunTask lost in transit
  (Checker.on_dropped), and booked the same way (`chk.lost_in_transit`: the quiescence books
  skip the task). A disconnected agent that has the tasks' id (it lost its master and will
  re-register) is NOT exempted: its re-registration reconciles the tasks the master books
  and it does not report.

Cost: one type test on the first effect of each RunTask step.
"""

from __future__ import annotations

from typing import Any

from mesotron.core.effects import Log
from mesotron.core.messages import RunTask

# the agent's log event for a RunTask it ignores while not registered (core/agent/executors.py)
RUN_TASK_NOT_REGISTERED = "agent.run_task.not_registered"


def on_run(chk: Any, node: Any, msg: Any, effects: list[Any]) -> None:
    """An agent step on a RunTask or RunTaskGroup `msg` with its `effects`."""
    if not effects:
        return
    first = effects[0]
    if type(first) is not Log or first.event != RUN_TASK_NOT_REGISTERED:
        return
    own = node.machine.agent_info.id
    tasks = (msg.task,) if type(msg) is RunTask else msg.tasks
    chk.lost_in_transit.update((msg.framework_info.id, t.task_id) for t in tasks
                               if t.agent_id != own)


# ------------------------------------------------------------------ KillsTakeEffect
def on_shutdown(chk: Any, world: Any, node: Any, framework_id: str | None) -> None:
    """An agent step on a ShutdownFramework (`framework_id`) or a shutdown of the whole agent
    (None: the operator's SIGUSR1 or the master's ShutdownAgent): from now on the agent
    ignores the framework's executor updates (Mesos `Slave::statusUpdate`: "We don't send
    update when a framework is terminating because it cannot send acknowledgements") and
    its executors are shut down, so a KILL of one of its tasks ends with no update the
    agent produces (KillsTakeEffect reads those)."""
    chk.__dict__.setdefault("killm3_shutdowns", {})[(node.name, framework_id)] = world.now


def kill_ended_by_shutdown(chk: Any, key: tuple[str, str]) -> bool:
    """KillsTakeEffect (Checker.quiescence_kills): the task's framework, or its whole agent,
    was shut down on the agent that runs the task after the task started there."""
    shutdowns = chk.__dict__.get("killm3_shutdowns")
    name = chk.key_agent.get(key)
    if not shutdowns or name is None:
        return False
    prod = chk.produced.get(key)
    started = chk.produced_at.get(prod[0][0], 0.0) if prod else 0.0
    return any(at >= started for at in (shutdowns.get((name, key[0])),
                                        shutdowns.get((name, None))) if at is not None)
