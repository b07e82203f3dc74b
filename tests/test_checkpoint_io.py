"""Checkpoint I/O round trips on a real disk (io/store/disk.py), as Mesos's SlaveStateTest."""

from __future__ import annotations

import os

from mesotron.core.effects import Persist
from mesotron.core.values import FrameworkInfo, TaskState, TaskStatus
from mesotron.io.store.disk import CheckpointStore, atomic_write


def test_checkpoint_string(tmp_path) -> None:
    """SlaveStateTest.CheckpointString: bytes written atomically read back the same,
    and a second write replaces the first whole."""
    path = os.path.join(tmp_path, "a", "pid")
    os.makedirs(os.path.dirname(path))
    atomic_write(path, b"slave(1)@127.0.0.1:5051")
    atomic_write(path, b"slave(2)@127.0.0.1:5051")
    with open(path, "rb") as f:
        assert f.read() == b"slave(2)@127.0.0.1:5051"
    assert os.listdir(os.path.dirname(path)) == ["pid"]  # no temp file left behind


def test_checkpoint_protobuf_message(tmp_path) -> None:
    """SlaveStateTest.CheckpointProtobufMessage: a checkpointed message (a FrameworkInfo)
    is recovered equal, in a fresh store on the same directory."""
    info = FrameworkInfo(user="u", name="fw", id="fw-1", failover_timeout=60.0, checkpoint=True)
    CheckpointStore(str(tmp_path)).persist_many([Persist(key=("framework", "fw-1"), record=info)])
    assert CheckpointStore(str(tmp_path)).recover().checkpoints[("framework", "fw-1")] == info


def test_checkpoint_repeated_protobuf_messages(tmp_path) -> None:
    """SlaveStateTest.CheckpointRepeatedProtobufMessages: messages appended one by one to
    the same checkpoint are recovered all, in order."""
    statuses = [TaskStatus(task_id="t1", state=s, uuid=bytes([i]) * 16)
                for i, s in enumerate((TaskState.TASK_STARTING, TaskState.TASK_RUNNING,
                                       TaskState.TASK_FINISHED))]
    store = CheckpointStore(str(tmp_path))
    for s in statuses:
        store.persist_many([Persist(key=("updates", "fw-1", "t1"), record=s, append=True)])
    assert CheckpointStore(str(tmp_path)).recover().logs[("updates", "fw-1", "t1")] == statuses
