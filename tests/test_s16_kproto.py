"""s16 kproto (mutation campaign, protocol side): agent executors and status updates,
master reconciliation, acknowledgements and removed frameworks. Each property is shown
failing on a planted bug of its own (core/sim/bugs.py) and passing on the real code."""

from __future__ import annotations

import test_sim_bugs
from mesotron.core.agent.model import ExecutorExited
from mesotron.core.messages import ExitedExecutor
from test_agent import custom_executor_launched, make_agent, sends

# (bug, SimConfig options, the property that must fire by name)
CASES_S16_KPROTO = [
    # the agent acknowledges an executor's update without checkpointing it
    ("executor_updates_unpersisted", {"faults": "all"}, "ExecutorAcksCheckpointed"),
    # a checkpointing framework's executor is shut down when its connection breaks
    ("checkpointing_executors_shut_down", {"faults": "all"}, "ExecutorDisconnectionsTolerated"),
    # an implicit reconciliation leaves out the tasks the master books TASK_STAGING
    ("implicit_reconcile_skips_staging", {"faults": "all"}, "ImplicitReconcileAnswered"),
    # a framework the operator tore down subscribes again with its id and is admitted
    # (the simulated frameworks do so only after an operator TEARDOWN: --operator)
    ("removed_frameworks_resubscribe", {"faults": "all", "operator": True},
     "RemovedFrameworksRefused"),
    # the master books a terminal update's state but not its uuid (the s12 check, which
    # compares with the booked uuid, cannot see it)
    ("terminal_uuid_unbooked", {"faults": "all"}, "AckedTerminalTaskRemoved"),
    # the allocator's explain mode allocates without recording its decisions
    ("explain_mode_unrecorded", {"faults": "all"}, "DrfOrder"),
    # a killed custom executor's exit is not reported to the master (custom executors: the
    # reserver framework's pods, --operator)
    ("killed_executors_unreported", {"faults": "all", "operator": True},
     "ExitedExecutorsReported"),
    # a removed framework's live tasks join its completed tasks unkilled
    ("removed_framework_tasks_left_running", {"faults": "all"}, "CompletedTasksTerminal"),
]


test_s16_kproto_planted_bug_fires_its_property = test_sim_bugs.planted_bug_test(CASES_S16_KPROTO)


def test_custom_executor_dying_unsubscribed_is_reported() -> None:
    """A custom executor whose process exits before it ever subscribed (it crashed on
    start) is reported to the master as Mesos's Slave::executorTerminated does for every
    custom executor (the core used to report only a subscribed or terminating one: the
    master kept booking the executor and its resources)."""
    agent = make_agent()
    _ex, container = custom_executor_launched(agent)
    out = agent.step(2, ExecutorExited(framework_id="fw1", executor_id="e1",
                                       container_id=container, status=1))
    assert [m.executor_id for m in sends(out, ExitedExecutor)] == ["e1"]
