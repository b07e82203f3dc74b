"""The built-in command executor machine: unit tests, an agent+executor integration run
(including an agent restart the executor survives), and a small stateful test."""

from __future__ import annotations

import copy
import itertools
import os
from typing import Any

import pytest
from hypothesis import Phase, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from mesotron.core import lifecycle
from mesotron.core.agent.machine import Agent, AgentConfig, LaunchExecutor, MasterDetected
from mesotron.core.agent.machine import Start as AgentStart
from mesotron.core.checkpoint import Recovered
from mesotron.core.effects import Disconnected, Persist, Received, Send, SetTimer, TimerFired
from mesotron.core.errors import LocalError
from mesotron.core.executor import (
    EXIT_TIMER,
    RECOVERY_TIMER,
    SUBSCRIBE_TIMER,
    CommandExecutor,
    CommandExecutorConfig,
    ExitExecutor,
    SignalTaskProcess,
    Start,
    StartTaskProcess,
    TaskProcessExited,
    escalate_timer,
    format_duration,
    parse_duration,
    subscription_backoff_max_for,
)
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    ExecutorAcknowledged,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    RunTask,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    KillPolicy,
    Source,
    TaskInfo,
    TaskState,
)

S = TaskState
AGENT = "agent@10.0.0.2:5051"
FW = FrameworkInfo(user="u", name="f", id="fw1", checkpoint=True)
FW_KILLING = FrameworkInfo(user="u", name="f", id="fw1", checkpoint=True,
                           capabilities=frozenset({Capability.TASK_KILLING_STATE}))


EX = "mesotron-command-fw1"
PID = f"exec-{EX}"
ESC1 = escalate_timer("t1")


def make(checkpoint: bool = True, **cfg: Any) -> CommandExecutor:
    return CommandExecutor(pid="exec-1", framework_id="fw1", executor_id=EX, agent_pid=AGENT,
                           ids=IdSource(seed="e"),
                           config=CommandExecutorConfig(checkpoint=checkpoint, **cfg))


def task(grace: float | None = None, task_id: str = "t1") -> TaskInfo:
    return TaskInfo(name=task_id, task_id=task_id, agent_id="S1",
                    command=CommandInfo(value="sleep 9"),
                    kill_policy=KillPolicy(grace_period=grace) if grace is not None else None)


def subscribed(ex: CommandExecutor, fw: FrameworkInfo = FW, now: float = 0.0) -> list[Any]:
    out = ex.step(now, Start())
    out += ex.step(now, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id=EX), framework_info=fw,
        agent_info=AgentInfo(hostname="h", id="S1"), container_id="c1")))
    return out


def updates(effects: list[Any]) -> list[Any]:
    return [e.message.status for e in effects
            if isinstance(e, Send) and isinstance(e.message, ExecutorUpdate)]


def running(fw: FrameworkInfo = FW, **kw: Any) -> tuple[CommandExecutor, list[Any]]:
    ex = make(**kw)
    subscribed(ex, fw)
    out = ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task())))
    return ex, out


def ack_all(ex: CommandExecutor, now: float) -> list[Any]:
    out: list[Any] = []
    for uuid, u in list(ex.unacked.items()):
        out += ex.step(now, Received(sender=AGENT, message=ExecutorAcknowledged(
            task_id=u.status.task_id, uuid=uuid)))
    return out


# ====================================================================== unit tests
def test_misuse_raises() -> None:
    ex = make()
    with pytest.raises(LocalError):
        ex.step(0, Received(sender=AGENT, message=ExecutorShutdown()))
    ex.step(0, Start())
    with pytest.raises(LocalError):
        ex.step(0, Start())
    with pytest.raises(LocalError):
        ex.step(0, TaskProcessExited(task_id="t1", exit_status=0))


def fail_attempts(ex: CommandExecutor, now: float, out: list[Any]) -> list[float]:
    """Fire the SUBSCRIBE timer `n` times from `now`, each attempt's connection failing at
    once (the shell's Disconnected); returns the times of the SUBSCRIBEs sent."""
    sent: list[float] = []
    at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    while at <= now:
        out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
        if any(isinstance(e, Send) and isinstance(e.message, ExecutorSubscribe) for e in out):
            sent.append(at)
            out += ex.step(at, Disconnected(peer=AGENT))
        at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    return sent


def test_subscribe_is_retried_with_backoff_until_subscribed() -> None:
    ex = make(subscription_backoff_max=4.0)
    out = ex.step(0, Start())
    assert isinstance(out[0].message, ExecutorSubscribe)
    timer = out[1].at
    assert 0 <= timer < 1.0  # uniform in [0, 1 s) at start-up
    assert not any(isinstance(e, Send) for e in ex.step(timer, TimerFired(key=SUBSCRIBE_TIMER)))
    out = ex.step(0.5, Disconnected(peer=AGENT))  # the first connection is refused
    sent = [0.5, *fail_attempts(ex, 60.0, out)]
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    # uniform in [0, backoff), backoff from first_retry doubling up to the 4 s cap
    assert all(0 <= g < b for g, b in zip(gaps, [0.1, 0.2, 0.4, 0.8, 1.6, 3.2] + [4.0] * 100))
    assert len(gaps) > 12 and max(gaps) > 2.0
    subscribed(make())
    assert ex.step(60, TimerFired(key=("nope",)))  # a Log, not a crash


def test_resubscribe_after_agent_loss_is_soon_then_backs_off_with_jitter() -> None:
    firsts = []
    for seed in ("a", "b", "c"):
        ex, _ = running(subscription_backoff_max=2.0)
        ex.ids = IdSource(seed=seed)
        out = ex.step(10, Disconnected(peer=AGENT))
        first = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
        assert 10.0 <= first < 10.1  # first_retry 0.1 s x a jitter in [0, 1)
        sent = [10.0, *fail_attempts(ex, 30.0, out)]
        gaps = [b - a for a, b in itertools.pairwise(sent)]
        assert all(0 <= g < b for g, b in zip(gaps, [0.1, 0.2, 0.4, 0.8, 1.6] + [2.0] * 100))
        firsts.append(first)
    assert len(set(firsts)) == 3  # different executors spread out


def test_a_subscribe_in_flight_is_not_doubled() -> None:
    """Mesos's executor library drops a SUBSCRIBE while one is in flight: the retry timer
    only re-arms until that attempt's connection ends (issue 10: this was shell state)."""
    ex, _ = running()
    out = ex.step(2, Disconnected(peer=AGENT))
    at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
    assert isinstance(out[0].message, ExecutorSubscribe) and ex.subscribing
    at2 = next(e.at for e in out if isinstance(e, SetTimer))
    out = ex.step(at2, TimerFired(key=SUBSCRIBE_TIMER))
    assert not any(isinstance(e, Send) for e in out)  # still in flight: dropped
    ex.step(at2, Disconnected(peer=AGENT))  # that connection ended without SUBSCRIBED
    assert not ex.subscribing and ex.phase == "connecting"
    at3 = next(e.at for e in out if isinstance(e, SetTimer))
    out = ex.step(at3, TimerFired(key=SUBSCRIBE_TIMER))
    assert isinstance(out[0].message, ExecutorSubscribe)


def test_first_subscribe_refused_is_retried_not_fatal_with_checkpointing() -> None:
    ex = make()
    out = ex.step(0, Start())
    out = ex.step(0.1, Disconnected(peer=AGENT))  # the first connection was refused
    assert ex.phase == "connecting" and SetTimer(key=RECOVERY_TIMER, at=900.1) in out
    assert fail_attempts(ex, 5.0, out)


@settings(max_examples=300, deadline=None, database=None,
          derandomize=bool(os.environ.get("CI")))
@given(seed=st.text(min_size=1, max_size=8), window=st.floats(0.2, 30.0),
       down=st.floats(0.0, 120.0), lost_at=st.floats(0.0, 1000.0),
       from_agent=st.booleans())
def test_resubscribe_schedule_fits_the_agent_window(seed: str, window: float, down: float,
                                                    lost_at: float, from_agent: bool) -> None:
    """Issue 11 §1, as a property: whatever the jitters (the executor's seed), however long
    the agent is down, a checkpointing executor sends a SUBSCRIBE within the restarted
    agent's --executor-reregistration-timeout window [back, back + window): with the
    environment the agent gives it (MESOS_SUBSCRIPTION_BACKOFF_MAX = window / 2, so within
    the first half), and with the executor's own default (2 s) against the agent's default
    window (2 s). Attempts made while the agent is down fail at once (connection refused)."""
    if from_agent:
        env = {"MESOS_CHECKPOINT": "1", "MESOS_SUBSCRIPTION_BACKOFF_MAX":
               format_duration(subscription_backoff_max_for(window))}
        cfg = CommandExecutorConfig.from_env(env)
        bound = window / 2 * (1 + 1e-5)  # format_duration keeps 6 significant digits
    else:
        window = 2.0
        cfg = CommandExecutorConfig(checkpoint=True)
        bound = window
    ex = CommandExecutor(pid="e", framework_id="fw1", executor_id=EX, agent_pid=AGENT,
                         ids=IdSource(seed=seed), config=cfg)
    subscribed(ex, now=lost_at - 1.0)
    out = ex.step(lost_at, Disconnected(peer=AGENT))
    back = lost_at + down
    at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    while True:
        assert at >= lost_at
        out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
        assert isinstance(out[0], Send) and isinstance(out[0].message, ExecutorSubscribe)
        if at >= back:
            break
        out += ex.step(at, Disconnected(peer=AGENT))  # refused: the agent is down
        at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    assert back <= at < back + bound <= back + window * (1 + 1e-5), (at - back, window)


def test_update_produced_while_subscribe_in_flight_is_sent_on_subscribed() -> None:
    """Issue 11 §2: disconnect, the retry fires (SUBSCRIBE in flight), the task exits,
    SUBSCRIBED arrives: TASK_FINISHED must go out then, not wait for a next SUBSCRIBE."""
    ex, out = running()
    ack_all(ex, 1.5)
    out = ex.step(2, Disconnected(peer=AGENT))
    at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
    assert out[0].message.unacknowledged_updates == ()
    assert not updates(ex.step(at + 0.01, TaskProcessExited(task_id="t1", exit_status=0)))
    out = ex.step(at + 0.02, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id=EX), framework_info=FW,
        agent_info=AgentInfo(hostname="h"), container_id="c1")))
    assert [s.state for s in updates(out)] == [S.TASK_FINISHED]
    ack_all(ex, at + 0.03)
    assert not ex.unacked and not ex.tasks


def test_updates_carried_by_the_subscribe_are_not_sent_twice() -> None:
    ex, _ = running()
    out = ex.step(2, Disconnected(peer=AGENT))
    at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
    out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
    assert len(out[0].message.unacknowledged_updates) == 2  # STARTING, RUNNING
    out = ex.step(at + 0.02, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id=EX), framework_info=FW,
        agent_info=AgentInfo(hostname="h"), container_id="c1")))
    assert not updates(out)


def test_launch_sends_starting_then_running_with_fresh_uuids() -> None:
    _ex, out = running()
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["Send", "StartTaskProcess", "Send"]
    st1, st2 = updates(out)
    assert (st1.state, st2.state) == (S.TASK_STARTING, S.TASK_RUNNING)
    assert st1.uuid != st2.uuid and len(st1.uuid) == 16
    assert st1.source is Source.SOURCE_EXECUTOR and st1.executor_id == EX
    assert out[1].task_id == "t1" and ("MESOS_TASK_ID", "t1") in out[1].env


@pytest.mark.parametrize("exit_status,signal,state,message", [
    (0, None, S.TASK_FINISHED, "Command exited with status 0"),
    (3, None, S.TASK_FAILED, "Command exited with status 3"),
    (0, 9, S.TASK_FAILED, "Command terminated with signal 9"),
])
def test_process_exit_outcomes(exit_status: int, signal: int | None, state: TaskState,
                               message: str) -> None:
    ex, _ = running()
    ack_all(ex, 2)
    out = ex.step(3, TaskProcessExited(task_id="t1", exit_status=exit_status, signal=signal))
    (st_,) = updates(out)
    assert (st_.state, st_.message) == (state, message)
    assert not [e for e in out if isinstance(e, ExitExecutor)]  # it stays for more tasks
    ack_all(ex, 4)
    assert ex.phase == "subscribed" and not ex.tasks and ex.done == 1


def test_many_tasks_run_side_by_side_and_a_kill_reaches_only_its_task() -> None:
    ex, _ = running(FW_KILLING)
    out = ex.step(2, Received(sender=AGENT, message=ExecutorLaunch(task=task(task_id="t2"))))
    assert [(s.task_id, s.state) for s in updates(out)] == [("t2", S.TASK_STARTING),
                                                            ("t2", S.TASK_RUNNING)]
    assert ex.running() == ["t1", "t2"]
    out = ex.step(3, Received(sender=AGENT, message=ExecutorKill(task_id="t2")))
    assert SignalTaskProcess(task_id="t2", signal="SIGTERM") in out
    assert not [e for e in out if isinstance(e, SignalTaskProcess) and e.task_id != "t2"]
    assert [(s.task_id, s.state) for s in updates(out)] == [("t2", S.TASK_KILLING)]
    out = ex.step(4, TaskProcessExited(task_id="t2", exit_status=0, signal=15))
    assert [(s.task_id, s.state) for s in updates(out)] == [("t2", S.TASK_KILLED)]
    assert ex.running() == ["t1"]
    # a duplicate LAUNCH of a known task is ignored
    out = ex.step(5, Received(sender=AGENT, message=ExecutorLaunch(task=task())))
    assert not updates(out) and not [e for e in out if isinstance(e, StartTaskProcess)]


def _group(ex: CommandExecutor, *ids: str, grace: float | None = None) -> list[Any]:
    from mesotron.core.messages import ExecutorLaunchGroup

    return ex.step(1, Received(sender=AGENT, message=ExecutorLaunchGroup(
        tasks=tuple(task(grace, task_id=t) for t in ids))))


def test_default_executor_a_failed_task_kills_its_group_once() -> None:
    """DefaultExecutorTest.KillTaskGroupOnTaskFailure: one task of the group fails, the
    executor kills the others (TASK_KILLING, SIGTERM, their own grace), a task outside the
    group is untouched; the group is killed once."""
    ex = make()
    subscribed(ex, FW_KILLING)
    _group(ex, "g1", "g2", "g3", grace=2.0)
    ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task(task_id="solo"))))
    out = ex.step(2, TaskProcessExited(task_id="g2", exit_status=1, signal=None))
    assert [(s.task_id, s.state) for s in updates(out)] == [
        ("g2", S.TASK_FAILED), ("g1", S.TASK_KILLING), ("g3", S.TASK_KILLING)]
    sigs = sorted((e.task_id, e.signal) for e in out if isinstance(e, SignalTaskProcess))
    assert sigs == [("g1", "SIGTERM"), ("g3", "SIGTERM")]
    assert SetTimer(key=escalate_timer("g1"), at=4.0) in out
    out = ex.step(3, TaskProcessExited(task_id="g1", exit_status=0, signal=15))
    assert [(s.task_id, s.state) for s in updates(out)] == [("g1", S.TASK_KILLED)]
    assert not [e for e in out if isinstance(e, SignalTaskProcess)]
    assert "solo" in ex.running()


def test_default_executor_a_killed_task_kills_its_group_a_finished_one_does_not() -> None:
    """DefaultExecutorTest.KillTask (the scheduler kills one task: the group goes) and
    TaskGroup tasks that finish leave the others running."""
    ex = make()
    subscribed(ex, FW)
    _group(ex, "a1", "a2")
    out = ex.step(2, TaskProcessExited(task_id="a1", exit_status=0, signal=None))
    assert [(s.task_id, s.state) for s in updates(out)] == [("a1", S.TASK_FINISHED)]
    assert ex.running() == ["a2"]
    _group(ex, "b1", "b2")
    ex.step(3, Received(sender=AGENT, message=ExecutorKill(task_id="b1")))
    out = ex.step(4, TaskProcessExited(task_id="b1", exit_status=0, signal=15))
    assert [(s.task_id, s.state) for s in updates(out)] == [("b1", S.TASK_KILLED)]
    assert SignalTaskProcess(task_id="b2", signal="SIGTERM") in out
    assert "a2" in ex.running()


def test_kill_with_killing_state_term_then_kill_after_grace() -> None:
    ex, _ = running(FW_KILLING)
    out = ex.step(5, Received(sender=AGENT, message=ExecutorKill(
        task_id="t1", kill_policy=KillPolicy(grace_period=1.5))))
    assert [s.state for s in updates(out)] == [S.TASK_KILLING]
    assert SignalTaskProcess(task_id="t1", signal="SIGTERM") in out \
        and SetTimer(key=ESC1, at=6.5) in out
    assert ex.step(6.5, TimerFired(key=ESC1)) == [SignalTaskProcess(task_id="t1", signal="SIGKILL")]
    out = ex.step(7, TaskProcessExited(task_id="t1", exit_status=0, signal=9))
    assert [s.state for s in updates(out)] == [S.TASK_KILLED]


def test_kill_without_capability_uses_task_policy_then_default() -> None:
    ex = make()
    subscribed(ex)
    ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task(grace=2.0))))
    out = ex.step(5, Received(sender=AGENT, message=ExecutorKill(task_id="t1")))
    assert not updates(out) and SetTimer(key=ESC1, at=7.0) in out
    ex2, _ = running()
    out = ex2.step(5, Received(sender=AGENT, message=ExecutorKill(task_id="t1")))
    assert SetTimer(key=ESC1, at=8.0) in out
    # a second kill may only shorten the grace period
    out = ex2.step(6, Received(sender=AGENT, message=ExecutorKill(
        task_id="t1", kill_policy=KillPolicy(grace_period=0.5))))
    assert out == [SetTimer(key=ESC1, at=6.5)]


def test_reconnect_replays_unacked_updates_and_tasks() -> None:
    ex, out = running()
    ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task(task_id="t2"))))
    first = updates(out)[0]
    ex.step(2, Received(sender=AGENT, message=ExecutorAcknowledged(task_id="t1",
                                                                   uuid=first.uuid)))
    out = ex.step(3, Disconnected(peer=AGENT))
    assert SetTimer(key=RECOVERY_TIMER, at=903.0) in out
    assert not updates(ex.step(4, TaskProcessExited(task_id="t1", exit_status=0)))  # not sent while away
    out = ex.step(4, TimerFired(key=SUBSCRIBE_TIMER))
    sub = out[0].message
    assert isinstance(sub, ExecutorSubscribe)
    assert [(u.status.task_id, u.status.state) for u in sub.unacknowledged_updates] == [
        ("t1", S.TASK_RUNNING), ("t2", S.TASK_STARTING), ("t2", S.TASK_RUNNING),
        ("t1", S.TASK_FINISHED)]
    assert [t.task_id for t in sub.unacknowledged_tasks] == ["t2"]  # t1 acked once: not replayed
    ex.step(5, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id=EX), framework_info=FW,
        agent_info=AgentInfo(hostname="h"), container_id="c1")))
    assert ex.phase == "subscribed" and not ack_all(ex, 6)
    assert list(ex.tasks) == ["t2"]


def test_recovery_timeout_kills_the_tasks_and_exits() -> None:
    ex, _ = running(recovery_timeout=30.0)
    ex.step(2, Disconnected(peer=AGENT))
    out = ex.step(32, TimerFired(key=RECOVERY_TIMER))
    assert SignalTaskProcess(task_id="", signal="SIGKILL") in out and out[-1] == ExitExecutor(status=1)
    assert ex.step(33, TimerFired(key=SUBSCRIBE_TIMER))[0].event == "executor.exited.ignored"


def test_without_checkpointing_agent_loss_means_exit() -> None:
    ex, _ = running(checkpoint=False)
    out = ex.step(2, Disconnected(peer=AGENT))
    assert SignalTaskProcess(task_id="", signal="SIGKILL") in out and out[-1] == ExitExecutor(status=0)


def test_shutdown_kills_every_task_with_shutdown_grace_and_exits_after_ack() -> None:
    ex, _ = running()
    ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task(task_id="t2"))))
    out = ex.step(2, Received(sender=AGENT, message=ExecutorShutdown(grace_period=4.0)))
    assert not updates(out) and SetTimer(key=ESC1, at=6.0) in out
    assert SignalTaskProcess(task_id="t2", signal="SIGTERM") in out
    out = ex.step(3, TaskProcessExited(task_id="t1", exit_status=0, signal=15))
    assert [s.state for s in updates(out)] == [S.TASK_KILLED]
    assert not [e for e in out if isinstance(e, ExitExecutor)]  # t2 still runs
    out = ex.step(3, TaskProcessExited(task_id="t2", exit_status=0, signal=15))
    assert SetTimer(key=EXIT_TIMER, at=13.0) in out
    assert ack_all(ex, 4)[-1] == ExitExecutor(status=0)
    idle = make()
    subscribed(idle)
    assert idle.step(1, Received(sender=AGENT, message=ExecutorShutdown()))[-1] == \
        ExitExecutor(status=0)
    late = make()
    subscribed(late)
    late.step(1, Received(sender=AGENT, message=ExecutorShutdown()))


def test_launch_while_shutting_down_is_killed() -> None:
    ex, _ = running()
    ex.step(2, Received(sender=AGENT, message=ExecutorShutdown(grace_period=4.0)))
    out = ex.step(2, Received(sender=AGENT, message=ExecutorLaunch(task=task(task_id="t2"))))
    assert [(s.task_id, s.state) for s in updates(out)] == [("t2", S.TASK_KILLED)]


def test_config_from_env_and_durations() -> None:
    cfg = CommandExecutorConfig.from_env({
        "MESOS_CHECKPOINT": "1", "MESOS_RECOVERY_TIMEOUT": "15mins",
        "MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "250ms"})
    assert (cfg.checkpoint, cfg.recovery_timeout, cfg.subscription_backoff_max,
            cfg.shutdown_grace_period) == (True, 900.0, 2.0, 0.25)
    assert not CommandExecutorConfig.from_env({}).checkpoint
    assert parse_duration(format_duration(2.5)) == 2.5 and parse_duration("7") == 7.0


# ====================================================================== integration
class Wire:
    """An agent and command executors wired in memory (messages delivered at once)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.agent = self.new_agent("a")
        self.execs: dict[str, CommandExecutor] = {}
        self.persisted: list[Persist] = []
        self.master: list[Any] = []
        self.exec_effects: list[Any] = []

    def new_agent(self, seed: str) -> Agent:
        return Agent(pid=AGENT, agent_info=AgentInfo(hostname="h", resources=Resources.parse(
            "cpus:2;mem:512")), ids=IdSource(seed=seed), config=AgentConfig())

    def to_agent(self, inp: Any) -> None:
        self.pump([("agent", inp)])

    def pump(self, queue: list[tuple[str, Any]]) -> None:
        while queue:
            where, inp = queue.pop(0)
            if where == "agent":
                effects = self.agent.step(self.now, inp)
                for e in effects:
                    if isinstance(e, Persist):
                        self.persisted.append(e)
                    elif isinstance(e, LaunchExecutor):
                        ex = CommandExecutor(pid=f"exec-{e.executor_info.executor_id}",
                                             framework_id=e.framework_id,
                                             executor_id=e.executor_info.executor_id,
                                             agent_pid=AGENT, ids=IdSource(seed="x"),
                                             config=CommandExecutorConfig.from_env(dict(e.env)))
                        self.execs[ex.pid] = ex
                        queue.append((ex.pid, Start()))
                    elif isinstance(e, Send) and e.to == "master":
                        self.master.append(e.message)
                    elif isinstance(e, Send) and e.to in self.execs:
                        queue.append((e.to, Received(sender=AGENT, message=e.message)))
            else:
                effects = self.execs[where].step(self.now, inp)
                self.exec_effects += effects
                for e in effects:
                    if isinstance(e, Send):
                        queue.append(("agent", Received(sender=where, message=e.message)))

    def master_acks(self) -> None:
        while True:
            pending = [m for m in self.master if isinstance(m, StatusUpdateMessage)]
            self.master.clear()
            if not pending:
                return
            for m in pending:
                u = m.update
                self.to_agent(Received(sender="master", message=StatusUpdateAcknowledgement(
                    agent_id="S1", framework_id=u.framework_id, task_id=u.status.task_id,
                    uuid=u.uuid)))


def test_agent_and_executor_run_a_command_task_to_finished() -> None:
    w = Wire()
    w.to_agent(AgentStart())
    w.to_agent(MasterDetected(pid="master"))
    w.to_agent(Received(sender="master", message=AgentRegistered(agent_id="S1")))
    w.to_agent(Received(sender="master", message=RunTask(framework_info=FW, task=task())))
    w.to_agent(Received(sender="master", message=RunTask(framework_info=FW,
                                                         task=task(task_id="t2"))))
    assert list(w.execs) == [PID]  # one executor for both command tasks
    ex = w.execs[PID]
    assert ex.tasks["t1"].states == ex.tasks["t2"].states == [S.TASK_STARTING, S.TASK_RUNNING]
    assert not ex.unacked
    assert [e.task_id for e in w.exec_effects if isinstance(e, StartTaskProcess)] == ["t1", "t2"]
    w.master_acks()
    w.pump([(PID, TaskProcessExited(task_id="t1", exit_status=0)),
            (PID, TaskProcessExited(task_id="t2", exit_status=1))])
    w.master_acks()
    assert ex.phase == "subscribed" and ex.done == 2  # stays for the framework's next task
    assert w.agent.tasks == {} and w.agent.executors[("fw1", EX)].state == "running"
    w.now = w.agent.config.command_executor_idle_timeout
    cid = w.agent.executors[("fw1", EX)].container_id
    w.to_agent(TimerFired(key=("executor-idle", "fw1", EX, cid)))
    assert ex.phase == "exited" and w.agent.executors[("fw1", EX)].state == "terminating"


def test_executor_survives_agent_restart_and_its_update_is_delivered() -> None:
    w = Wire()
    w.to_agent(AgentStart())
    w.to_agent(MasterDetected(pid="master"))
    w.to_agent(Received(sender="master", message=AgentRegistered(agent_id="S1")))
    w.to_agent(Received(sender="master", message=RunTask(framework_info=FW, task=task())))
    w.master_acks()
    ex = w.execs[PID]
    # the agent crashes; the executor notices and finishes its task while it is away
    disk = Recovered.empty().apply(w.persisted)
    w.agent = w.new_agent("b")
    w.pump([(PID, Disconnected(peer=AGENT)),
            (PID, TaskProcessExited(task_id="t1", exit_status=0))])
    assert [u.status.state for u in ex.unacked.values()] == [S.TASK_FINISHED]
    w.to_agent(AgentStart(recovered=disk))
    w.to_agent(MasterDetected(pid="master"))
    w.now = 1.0
    w.pump([(PID, TimerFired(key=SUBSCRIBE_TIMER))])
    assert ex.phase == "subscribed" and not ex.unacked and not ex.tasks
    w.to_agent(Received(sender="master", message=AgentReregistered(agent_id="S1")))
    finished = [m.update.status.state for m in w.master if isinstance(m, StatusUpdateMessage)]
    assert finished == [S.TASK_FINISHED]


# ====================================================================== stateful
TASKS = ("t1", "t2", "t3")


class ExecutorMachine(RuleBasedStateMachine):
    """Random agent-side inputs; the executor's updates must follow the lifecycle table,
    `unacked` must be exactly the unacknowledged updates, and nothing is sent after exit."""

    @initialize(killing=st.booleans(), checkpoint=st.booleans())
    def start(self, killing: bool, checkpoint: bool) -> None:
        self.now = 0.0
        self.ex = make(checkpoint=checkpoint)
        self.sent: list[Any] = []
        self.acked: set[bytes] = set()
        self.launched: list[str] = []
        self.exited = False
        # the uuids the current connection carried (in its SUBSCRIBE or as UPDATEs)
        self.on_connection: set[bytes] = set()
        self.feed(Start())
        self.feed(Received(sender=AGENT, message=ExecutorSubscribed(
            executor_info=ExecutorInfo(executor_id=EX),
            framework_info=FW_KILLING if killing else FW,
            agent_info=AgentInfo(hostname="h"), container_id="c1")))

    def feed(self, inp: Any) -> None:
        before = copy.deepcopy(inp)
        out = self.ex.step(self.now, inp)
        assert inp == before
        for e in out:
            if isinstance(e, Send):
                assert not self.exited, "sent after exit"
                if isinstance(e.message, ExecutorUpdate):
                    self.sent.append(e.message.status)
                    self.on_connection.add(e.message.status.uuid)
                if isinstance(e.message, ExecutorSubscribe):
                    self.on_connection = {u.uuid for u in e.message.unacknowledged_updates}
            if isinstance(e, ExitExecutor):
                assert not self.exited, "exited twice"
                self.exited = True

    @precondition(lambda self: not self.exited and len(self.launched) < len(TASKS))
    @rule()
    def launch(self) -> None:
        tid = TASKS[len(self.launched)]
        self.launched.append(tid)
        self.feed(Received(sender=AGENT, message=ExecutorLaunch(task=task(grace=1.0, task_id=tid))))

    @precondition(lambda self: self.ex.running())
    @rule(data=st.data(), status=st.sampled_from([0, 1]), signal=st.sampled_from([None, 9, 15]))
    def process_exits(self, data: st.DataObject, status: int, signal: int | None) -> None:
        tid = data.draw(st.sampled_from(self.ex.running()))
        self.feed(TaskProcessExited(task_id=tid, exit_status=status, signal=signal))

    @precondition(lambda self: not self.exited)
    @rule(tid=st.sampled_from(TASKS), grace=st.sampled_from([None, 0.0, 2.0]))
    def kill(self, tid: str, grace: float | None) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorKill(
            task_id=tid, kill_policy=KillPolicy(grace_period=grace) if grace is not None
            else None)))

    @precondition(lambda self: self.ex.unacked and not self.exited
                  and self.ex.phase == "subscribed")
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        uuid = data.draw(st.sampled_from(sorted(self.ex.unacked)))
        self.acked.add(uuid)
        self.feed(Received(sender=AGENT, message=ExecutorAcknowledged(
            task_id=self.ex.unacked[uuid].status.task_id, uuid=uuid)))

    @precondition(lambda self: not self.exited)
    @rule()
    def shutdown(self) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorShutdown(grace_period=1.0)))

    @precondition(lambda self: not self.exited and self.ex.phase == "subscribed")
    @rule()
    def lose_agent(self) -> None:
        """The connection breaks; the retry timer fires: a SUBSCRIBE is in flight (the
        `subscribed` rule answers it, possibly after tasks exited meanwhile)."""
        self.feed(Disconnected(peer=AGENT))
        self.on_connection = set()
        self.feed(TimerFired(key=SUBSCRIBE_TIMER))

    @precondition(lambda self: not self.exited and self.ex.subscribing)
    @rule()
    def subscribed(self) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorSubscribed(
            executor_info=ExecutorInfo(executor_id=EX), framework_info=FW,
            agent_info=AgentInfo(hostname="h"), container_id="c1")))

    @invariant()
    def subscribed_means_every_unacked_update_was_delivered(self) -> None:
        """Issue 11 §2: once subscribed, each unacknowledged update went out on this
        connection (carried by its SUBSCRIBE or sent as an UPDATE): none waits for a next
        SUBSCRIBE that may never come."""
        if self.ex.phase == "subscribed" and not self.exited:
            assert set(self.ex.unacked) <= self.on_connection, self.ex.describe()

    @rule(dt=st.sampled_from([0.5, 2.0, 20.0]))
    def tick(self, dt: float) -> None:
        self.now += dt
        for key in (*(escalate_timer(t) for t in TASKS), EXIT_TIMER, SUBSCRIBE_TIMER,
                    RECOVERY_TIMER):
            self.feed(TimerFired(key=key))

    @invariant()
    def updates_follow_the_lifecycle(self) -> None:
        for tid in TASKS:
            state: TaskState | None = S.TASK_STAGING
            for s in (x for x in self.sent if x.task_id == tid):
                assert lifecycle.is_legal(state, s.state, "executor"), (tid, state, s.state)
                state = s.state
        # a process runs only for a launched task whose terminal update is not out yet
        for tid in self.ex.running():
            assert not self.ex.tasks[tid].terminal_sent
        assert len({x.uuid for x in self.sent}) == len(self.sent)
        assert not (set(self.ex.unacked) & self.acked)
        for tid, run in self.ex.tasks.items():
            assert run.unacked == sum(u.status.task_id == tid for u in self.ex.unacked.values())
        note(self.ex.describe())


ExecutorMachine.TestCase.settings = settings(
    max_examples=100 if os.environ.get("CI") else 200, stateful_step_count=30, deadline=None,
    derandomize=bool(os.environ.get("CI")), database=None)
TestExecutorMachine = ExecutorMachine.TestCase


def test_stateful_machine_catches_updates_held_after_subscribed() -> None:
    """The planted-bug twin: with the pre-issue-11 behaviour (updates produced while the
    SUBSCRIBE is in flight wait for a next SUBSCRIBE) the stateful test must fail."""
    from hypothesis.stateful import run_state_machine_as_test
    from mesotron.core.sim import bugs

    with bugs.executor_holds_updates_after_subscribed(), \
            pytest.raises(AssertionError, match=r"phase=subscribed .*unacked=\[\w"):
        run_state_machine_as_test(ExecutorMachine, settings=settings(
            max_examples=1500, stateful_step_count=30, deadline=None, database=None,
            derandomize=True, report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.generate)))  # no shrinking: failing is the point
