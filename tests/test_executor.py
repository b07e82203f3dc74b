"""The built-in command executor machine: unit tests, an agent+executor integration run
(including an agent restart the executor survives), and a small stateful test."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from mesotron.core import lifecycle
from mesotron.core.agent import Agent, AgentConfig, LaunchExecutor, MasterDetected
from mesotron.core.agent import Start as AgentStart
from mesotron.core.checkpoint import Recovered
from mesotron.core.effects import Disconnected, Persist, Received, Send, SetTimer, TimerFired
from mesotron.core.errors import LocalError
from mesotron.core.executor import (
    ESCALATE_TIMER,
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
    format_duration,
    parse_duration,
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


def make(checkpoint: bool = True, **cfg: Any) -> CommandExecutor:
    return CommandExecutor(pid="exec-t1", framework_id="fw1", executor_id="t1", agent_pid=AGENT,
                           ids=IdSource(seed="e"),
                           config=CommandExecutorConfig(checkpoint=checkpoint, **cfg))


def task(grace: float | None = None) -> TaskInfo:
    return TaskInfo(name="t1", task_id="t1", agent_id="S1", command=CommandInfo(value="sleep 9"),
                    kill_policy=KillPolicy(grace_period=grace) if grace is not None else None)


def subscribed(ex: CommandExecutor, fw: FrameworkInfo = FW, now: float = 0.0) -> list[Any]:
    out = ex.step(now, Start())
    out += ex.step(now, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id="t1"), framework_info=fw,
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
        ex.step(0, TaskProcessExited(exit_status=0))


def test_subscribe_is_retried_with_backoff_until_subscribed() -> None:
    ex = make(subscription_backoff_max=4.0)
    out = ex.step(0, Start())
    assert isinstance(out[0].message, ExecutorSubscribe) and out[1] == SetTimer(
        key=SUBSCRIBE_TIMER, at=1.0)
    ats = []
    now = 1.0
    for _ in range(4):
        out = ex.step(now, TimerFired(key=SUBSCRIBE_TIMER))
        assert isinstance(out[0].message, ExecutorSubscribe)
        ats.append(out[1].at - now)
        now = out[1].at
    assert ats == [2.0, 4.0, 4.0, 4.0]
    subscribed(make())
    assert ex.step(now, TimerFired(key=("nope",)))  # a Log, not a crash


def test_launch_sends_starting_then_running_with_fresh_uuids() -> None:
    _ex, out = running()
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["Send", "StartTaskProcess", "Send"]
    st1, st2 = updates(out)
    assert (st1.state, st2.state) == (S.TASK_STARTING, S.TASK_RUNNING)
    assert st1.uuid != st2.uuid and len(st1.uuid) == 16
    assert st1.source is Source.SOURCE_EXECUTOR and st1.executor_id == "t1"
    assert ("MESOS_TASK_ID", "t1") in out[1].env


@pytest.mark.parametrize("exit_status,signal,state,message", [
    (0, None, S.TASK_FINISHED, "Command exited with status 0"),
    (3, None, S.TASK_FAILED, "Command exited with status 3"),
    (0, 9, S.TASK_FAILED, "Command terminated with signal 9"),
])
def test_process_exit_outcomes(exit_status: int, signal: int | None, state: TaskState,
                               message: str) -> None:
    ex, _ = running()
    ack_all(ex, 2)
    out = ex.step(3, TaskProcessExited(exit_status=exit_status, signal=signal))
    (st_,) = updates(out)
    assert (st_.state, st_.message) == (state, message)
    assert SetTimer(key=EXIT_TIMER, at=13.0) in out
    assert ack_all(ex, 4)[-1] == ExitExecutor(status=0)
    assert ex.phase == "exited"


def test_kill_with_killing_state_term_then_kill_after_grace() -> None:
    ex, _ = running(FW_KILLING)
    out = ex.step(5, Received(sender=AGENT, message=ExecutorKill(
        task_id="t1", kill_policy=KillPolicy(grace_period=1.5))))
    assert [s.state for s in updates(out)] == [S.TASK_KILLING]
    assert SignalTaskProcess(signal="SIGTERM") in out and SetTimer(key=ESCALATE_TIMER,
                                                                   at=6.5) in out
    assert ex.step(6.5, TimerFired(key=ESCALATE_TIMER)) == [SignalTaskProcess(signal="SIGKILL")]
    out = ex.step(7, TaskProcessExited(exit_status=0, signal=9))
    assert [s.state for s in updates(out)] == [S.TASK_KILLED]


def test_kill_without_capability_uses_task_policy_then_default() -> None:
    ex = make()
    subscribed(ex)
    ex.step(1, Received(sender=AGENT, message=ExecutorLaunch(task=task(grace=2.0))))
    out = ex.step(5, Received(sender=AGENT, message=ExecutorKill(task_id="t1")))
    assert not updates(out) and SetTimer(key=ESCALATE_TIMER, at=7.0) in out
    ex2, _ = running()
    out = ex2.step(5, Received(sender=AGENT, message=ExecutorKill(task_id="t1")))
    assert SetTimer(key=ESCALATE_TIMER, at=8.0) in out
    # a second kill may only shorten the grace period
    out = ex2.step(6, Received(sender=AGENT, message=ExecutorKill(
        task_id="t1", kill_policy=KillPolicy(grace_period=0.5))))
    assert out == [SetTimer(key=ESCALATE_TIMER, at=6.5)]


def test_reconnect_replays_unacked_updates_and_tasks() -> None:
    ex, out = running()
    first = updates(out)[0]
    ex.step(2, Received(sender=AGENT, message=ExecutorAcknowledged(task_id="t1",
                                                                   uuid=first.uuid)))
    out = ex.step(3, Disconnected(peer=AGENT))
    assert SetTimer(key=RECOVERY_TIMER, at=903.0) in out
    assert not updates(ex.step(4, TaskProcessExited(exit_status=0)))  # not sent while away
    out = ex.step(4, TimerFired(key=SUBSCRIBE_TIMER))
    sub = out[0].message
    assert isinstance(sub, ExecutorSubscribe)
    assert [u.status.state for u in sub.unacknowledged_updates] == [S.TASK_RUNNING,
                                                                     S.TASK_FINISHED]
    assert sub.unacknowledged_tasks == ()  # acked once: no longer replayed
    subscribed_again = ex.step(5, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id="t1"), framework_info=FW,
        agent_info=AgentInfo(hostname="h"), container_id="c1")))
    assert SetTimer(key=EXIT_TIMER, at=15.0) in subscribed_again
    assert ack_all(ex, 6)[-1] == ExitExecutor(status=0)


def test_recovery_timeout_kills_the_task_and_exits() -> None:
    ex, _ = running(recovery_timeout=30.0)
    ex.step(2, Disconnected(peer=AGENT))
    out = ex.step(32, TimerFired(key=RECOVERY_TIMER))
    assert SignalTaskProcess(signal="SIGKILL") in out and out[-1] == ExitExecutor(status=1)
    assert ex.step(33, TimerFired(key=SUBSCRIBE_TIMER))[0].event == "executor.exited.ignored"


def test_without_checkpointing_agent_loss_means_exit() -> None:
    ex, _ = running(checkpoint=False)
    out = ex.step(2, Disconnected(peer=AGENT))
    assert SignalTaskProcess(signal="SIGKILL") in out and out[-1] == ExitExecutor(status=0)


def test_shutdown_kills_with_shutdown_grace_and_exits_after_ack() -> None:
    ex, _ = running()
    out = ex.step(2, Received(sender=AGENT, message=ExecutorShutdown(grace_period=4.0)))
    assert not updates(out) and SetTimer(key=ESCALATE_TIMER, at=6.0) in out
    out = ex.step(3, TaskProcessExited(exit_status=0, signal=15))
    assert [s.state for s in updates(out)] == [S.TASK_KILLED]
    assert ack_all(ex, 4)[-1] == ExitExecutor(status=0)
    idle = make()
    subscribed(idle)
    assert idle.step(1, Received(sender=AGENT, message=ExecutorShutdown()))[-1] == \
        ExitExecutor(status=0)


def test_second_launch_is_refused() -> None:
    ex, _ = running()
    other = TaskInfo(name="t2", task_id="t2", agent_id="S1", command=CommandInfo(value="x"))
    out = ex.step(2, Received(sender=AGENT, message=ExecutorLaunch(task=other)))
    assert [(s.task_id, s.state) for s in updates(out)] == [("t2", S.TASK_ERROR)]
    assert ex.states == [S.TASK_STARTING, S.TASK_RUNNING]


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
    ex = w.execs["exec-t1"]
    assert ex.states == [S.TASK_STARTING, S.TASK_RUNNING] and not ex.unacked
    assert any(isinstance(e, StartTaskProcess) for e in w.exec_effects)
    w.master_acks()
    w.pump([("exec-t1", TaskProcessExited(exit_status=0))])
    assert ex.phase == "exited"  # exits once the agent acknowledged its terminal update
    w.master_acks()
    assert w.agent.tasks == {} and w.agent.executors[("fw1", "t1")].state == "terminating"


def test_executor_survives_agent_restart_and_its_update_is_delivered() -> None:
    w = Wire()
    w.to_agent(AgentStart())
    w.to_agent(MasterDetected(pid="master"))
    w.to_agent(Received(sender="master", message=AgentRegistered(agent_id="S1")))
    w.to_agent(Received(sender="master", message=RunTask(framework_info=FW, task=task())))
    w.master_acks()
    ex = w.execs["exec-t1"]
    # the agent crashes; the executor notices and finishes its task while it is away
    disk = Recovered.empty().apply(w.persisted)
    w.agent = w.new_agent("b")
    w.pump([("exec-t1", Disconnected(peer=AGENT)),
            ("exec-t1", TaskProcessExited(exit_status=0))])
    assert [u.status.state for u in ex.unacked.values()] == [S.TASK_FINISHED]
    w.to_agent(AgentStart(recovered=disk))
    w.to_agent(MasterDetected(pid="master"))
    w.now = 1.0
    w.pump([("exec-t1", TimerFired(key=SUBSCRIBE_TIMER))])
    assert ex.phase == "exited" and not ex.unacked
    w.to_agent(Received(sender="master", message=AgentReregistered(agent_id="S1")))
    finished = [m.update.status.state for m in w.master if isinstance(m, StatusUpdateMessage)]
    assert finished == [S.TASK_FINISHED]


# ====================================================================== stateful
class ExecutorMachine(RuleBasedStateMachine):
    """Random agent-side inputs; the executor's updates must follow the lifecycle table,
    `unacked` must be exactly the unacknowledged updates, and nothing is sent after exit."""

    @initialize(killing=st.booleans(), checkpoint=st.booleans())
    def start(self, killing: bool, checkpoint: bool) -> None:
        self.now = 0.0
        self.ex = make(checkpoint=checkpoint)
        self.sent: list[Any] = []
        self.acked: set[bytes] = set()
        self.exited = False
        self.feed(Start())
        self.feed(Received(sender=AGENT, message=ExecutorSubscribed(
            executor_info=ExecutorInfo(executor_id="t1"),
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
            if isinstance(e, ExitExecutor):
                assert not self.exited, "exited twice"
                self.exited = True

    @precondition(lambda self: not self.exited)
    @rule()
    def launch(self) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorLaunch(task=task(grace=1.0))))

    @precondition(lambda self: self.ex.process == "running")
    @rule(status=st.sampled_from([0, 1]), signal=st.sampled_from([None, 9, 15]))
    def process_exits(self, status: int, signal: int | None) -> None:
        self.feed(TaskProcessExited(exit_status=status, signal=signal))

    @precondition(lambda self: not self.exited)
    @rule(grace=st.sampled_from([None, 0.0, 2.0]))
    def kill(self, grace: float | None) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorKill(
            task_id="t1", kill_policy=KillPolicy(grace_period=grace) if grace is not None
            else None)))

    @precondition(lambda self: self.ex.unacked and not self.exited)
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        uuid = data.draw(st.sampled_from(sorted(self.ex.unacked)))
        self.acked.add(uuid)
        self.feed(Received(sender=AGENT, message=ExecutorAcknowledged(task_id="t1", uuid=uuid)))

    @precondition(lambda self: not self.exited)
    @rule()
    def shutdown(self) -> None:
        self.feed(Received(sender=AGENT, message=ExecutorShutdown(grace_period=1.0)))

    @precondition(lambda self: not self.exited)
    @rule()
    def disconnect_and_resubscribe(self) -> None:
        self.feed(Disconnected(peer=AGENT))
        self.feed(Received(sender=AGENT, message=ExecutorSubscribed(
            executor_info=ExecutorInfo(executor_id="t1"), framework_info=FW,
            agent_info=AgentInfo(hostname="h"), container_id="c1")))

    @rule(dt=st.sampled_from([0.5, 2.0, 20.0]))
    def tick(self, dt: float) -> None:
        self.now += dt
        for key in (ESCALATE_TIMER, EXIT_TIMER, SUBSCRIBE_TIMER, RECOVERY_TIMER):
            self.feed(TimerFired(key=key))

    @invariant()
    def updates_follow_the_lifecycle(self) -> None:
        state: TaskState | None = S.TASK_STAGING
        for s in (x for x in self.sent if x.task_id == "t1"):
            assert lifecycle.is_legal(state, s.state, "executor"), (state, s.state)
            state = s.state
        assert len({x.uuid for x in self.sent}) == len(self.sent)
        assert not (set(self.ex.unacked) & self.acked)
        note(self.ex.describe())


ExecutorMachine.TestCase.settings = settings(
    max_examples=100 if os.environ.get("CI") else 200, stateful_step_count=30, deadline=None,
    derandomize=bool(os.environ.get("CI")), database=None)
TestExecutorMachine = ExecutorMachine.TestCase
