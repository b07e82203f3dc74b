"""s17 kdrive2: the quiescence books of a framework being torn down, judged as Mesos keeps
them. With the adversarial framework's custom executors (s16 kdrive) a framework that tears
itself down can have several executors on one agent, some still shutting down:
- MasterExecutorsAgree: Mesos's `Master::removeFramework` stops booking the framework's
  executors at once and sends ShutdownFrameworkMessage; the agent runs them until they exit
  (smoke seed 1065 flagged such an executor 2.6 s after the TEARDOWN);
- CheckpointAgrees: when one executor of a framework being shut down is removed, the tasks
  dropped with it keep their status-update streams in memory until the framework goes
  (`TaskStatusUpdateManager::cleanup` at `Slave::removeFramework`) while recovery skips a
  completed run's updates (`TaskStatusUpdateManager::recover`); smoke seed 1145 flagged them
  as held but not checkpointed just before the agent crashed.
Both are checked on stub books (the row builders read only these fields), each case with the
framework running as its control: the same books are then flagged."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
from mesotron.core.sim.checker import checkpoint_rows, master_executor_rows

FID, EID, AID, NODE = "fw-1", "fw-1.t1.x", "agent-1", "slave(1)@10.0.1.1:5051"


def _agent(fw_state: str, **extra: object) -> NS:
    fw = NS(id=FID, state=fw_state, info=NS(checkpoint=True), executors={},
            task_executor={})
    return NS(state="running", agent_id=AID, frameworks={FID: fw}, **extra)


@pytest.mark.parametrize("fw_state,flagged", [("terminating", False), ("running", True)])
def test_master_executors_agree_skips_executors_of_a_framework_shut_down(fw_state, flagged):
    """The agent runs a custom executor the leader does not book: a violation unless the
    agent is shutting the executor's framework down."""
    a = _agent(fw_state, executors={(FID, EID): NS(command_executor=False,
                                                   state="terminating")})
    ma = NS(id=AID, pid=NODE, connected=True, executors={})
    master = NS(_frameworks={}, _agents={AID: ma})
    world = NS(live_leader=lambda: NS(machine=master),
               agents=[NS(name=NODE, alive=True, machine=a)])
    rows = master_executor_rows(world)
    assert bool(rows) == flagged, rows
    if flagged:
        assert rows == ((AID, f"{FID}/{EID}", "run by the agent, not booked by the leader"),)


@pytest.mark.parametrize("fw_state,flagged", [("terminating", False), ("running", True)])
def test_checkpoint_agrees_skips_streams_of_tasks_dropped_with_their_executor(fw_state,
                                                                               flagged):
    """A pending checkpointed stream whose log is gone and whose task the agent no longer
    books: held but not checkpointed unless its framework is being shut down."""
    stream = NS(checkpoint=True, pending=[NS(uuid=bytes(range(16)))])
    a = _agent(fw_state, sum=NS(streams={(FID, "fw-1.t1"): stream}))
    n = NS(name=NODE, alive=True, machine=a, disk=NS(checkpoints={}, logs={}))
    books = {book: (live, disk) for _, book, live, disk in checkpoint_rows(n)}
    live, disk = books["streams"]
    assert not disk
    assert bool(live) == flagged, live
