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
