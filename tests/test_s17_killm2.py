"""s17 killm2: the two clean-run failures of s17-killm merged with main, both checker false
alarms the non-partition-aware failovers' new trajectories reached (the core does what Mesos
does in both):

- SettingsAgree (seed 6 of the operator run): three CheckpointResources the leader sent agent
  master3-1-S0 were dropped in a 53-second master -> agent partition (shorter than the ping
  timeout: no re-registration followed, so no resend: Mesos `Master::_reregisterSlave` is
  the only place the master resends them); the agent kept no reservations while the master
  booked cpus:0.5;mem:64 for role resv.
- UpdatesInOrder (seed 28, `--events 20000 --faults all --operator`, event 11,078): an
  operator restart in cleanup mode deleted adversarial1.t35's update stream (TASK_KILLING,
  TASK_KILLED, never delivered: its TASK_RUNNING was unacknowledged), a power loss cut the
  cleanup short before the agent record's delete, the agent reconnected under its id and
  answered the master's reconciliation TASK_LOST, "task unknown to the agent" (Mesos
  `Slave::reregistered`): the framework saw STARTING, RUNNING, LOST, as Mesos shows it.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
from mesotron.core.messages import StatusUpdate
from mesotron.core.sim import checks_killm
from mesotron.core.sim.checker import Checker
from mesotron.core.sim.run import simulate
from mesotron.core.status_updates import UpdateRecord
from mesotron.core.values import TaskState, TaskStatus
from test_s17_longrun import operator_config


def test_lost_checkpoint_is_what_seed_6_needs() -> None:
    """Without the exemption the same run fails SettingsAgree on the agent whose
    CheckpointResources were dropped; with it the run is clean and that agent is the one
    booked as missing one. (s18 killm3: seed 6 no longer loses one after the agent's ignored
    updates of terminating frameworks moved the runs, nor do operator seeds 0-52; the world
    here drops every CheckpointResources sent between 100 s and 300 s, as a lossy link does
    while its connection stays up, through the world's own drop path)"""
    from mesotron.core.messages import CheckpointResources
    from mesotron.core.sim.world import World

    real_send = World.send

    def send(self, src, dst_name, inp, **kw):  # type: ignore[no-untyped-def]
        if type(getattr(inp, "message", None)) is CheckpointResources and 100 <= self.now <= 300:
            return self._dropped(self.nodes.get(dst_name), inp, kw.get("tm"))
        return real_send(self, src, dst_name, inp, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(World, "send", send)
    try:
        mp.setattr(checks_killm, "checkpoint_lost", lambda world, node: False)
        res = simulate(operator_config(6))
        mp.undo()
        mp.setattr(World, "send", send)
        assert res.failure_name == "SettingsAgree", res.failure
        assert "master1-1-S1's checkpointed reservations" in res.failure
        res = simulate(operator_config(6))
    finally:
        mp.undo()
    assert res.failure is None, res.failure
    node = next(n for n in res.world.agents if n.machine.agent_id == "master1-1-S1")
    assert checks_killm.checkpoint_lost(res.world, node)


def test_checkpoint_received_clears_the_lost_mark() -> None:
    chk = Checker()
    world = NS(obs=chk)
    a, b = NS(name="a"), NS(name="b")
    checks_killm.on_dropped_checkpoint(chk, a)
    checks_killm.on_dropped_checkpoint(chk, None)  # an agent that is gone: nothing
    assert checks_killm.checkpoint_lost(world, a) and not checks_killm.checkpoint_lost(world, b)
    checks_killm.on_checkpoint_received(chk, a)
    assert not checks_killm.checkpoint_lost(world, a)


def test_deleted_updates_are_what_seed_28_needs() -> None:
    """(s18 killm3: seed 28 no longer reaches the case after the agent's ignored updates of
    terminating frameworks moved the runs; the same gap now shows at test_s17_longrun's
    reboot seed 0: batch1.t49's TASK_FINISHED, in the update log an operator's cleanup
    restart deleted before a power loss cut it short)"""
    from test_s17_longrun import reboot_config

    mp = pytest.MonkeyPatch()
    mp.setattr(checks_killm, "forget_deleted_updates", lambda *a: None)
    try:
        res = simulate(reboot_config(0))
    finally:
        mp.undo()
    assert res.failure_name == "UpdatesInOrder", res.failure
    assert "batch1.t49" in res.failure
    res = simulate(reboot_config(0))
    assert res.failure is None, res.failure


def test_forget_deleted_updates_keeps_delivered_and_recorded() -> None:
    """Only at a reconnecting start right after a cleanup-mode start (cut short: the agent
    record kept), and only the updates neither on the agent's disk nor seen by a scheduler
    are forgotten."""
    chk = Checker()
    key = ("f", "t")
    u = [bytes([i]) * 16 for i in range(4)]
    states = [TaskState.TASK_STARTING, TaskState.TASK_RUNNING, TaskState.TASK_KILLING,
              TaskState.TASK_KILLED]
    chk.produced[key] = list(zip(u, states, strict=True))
    chk.agent_keys["agent"] = {key}
    chk.delivered.add(("f", "t", u[0]))  # seen by the framework
    kept = UpdateRecord(update=StatusUpdate(framework_id="f", status=TaskStatus(
        task_id="t", state=states[1], uuid=u[1]), uuid=u[1]))
    rec = NS(logs={("updates", "f", "t"): [kept]}, checkpoints={}, agent=lambda: NS(info=NS(id="S1")))
    checks_killm.forget_deleted_updates(chk, NS(), NS(name="agent", mode="reconnect"), rec)
    assert len(chk.produced[key]) == 4  # no cleanup start before: nothing forgotten
    checks_killm.forget_deleted_updates(chk, NS(), NS(name="agent", mode="cleanup"), rec)
    assert len(chk.produced[key]) == 4
    checks_killm.forget_deleted_updates(chk, NS(), NS(name="agent", mode="reconnect"), rec)
    assert [x for x, _ in chk.produced[key]] == [u[0], u[1]]
