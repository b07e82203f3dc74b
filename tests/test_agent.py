"""Agent machine: unit tests and a Hypothesis stateful test (AgentMachine).

The stateful test plays the master, the executors (virtual executors that behave like the v1
executor library: unacknowledged tasks/updates replayed on re-subscription), the shell (a
SIGKILLed container is reported exited at once) and the disk (every Persist effect, replayed
into `Recovered` on restart; a restart may lose the last step's trailing, unsynced Persist
effects). After every rule it checks LegalTaskTransitions, NoLostAckedWork,
RecoveryKeepsTasks (invariants.py), that the agent's view of each task matches the updates it
accepted, and that no input was mutated.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from mesotron.core import invariants
from mesotron.core.agent.base import PING_TIMER
from mesotron.core.agent.machine import (
    Agent,
    AgentConfig,
    ContainerLimitation,
    DestroyContainer,
    DialFailed,
    DialMaster,
    ExecutorExited,
    KillExecutor,
    LaunchExecutor,
    MasterAddress,
    MasterDetected,
    OrphanContainer,
    Shutdown,
    Start,
    StopAgent,
    UpdateContainer,
    command_executor_id,
)
from mesotron.core.checkpoint import ExecutorRecord, Recovered
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Log,
    Persist,
    Received,
    Reject,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.executor import COMMAND_EXECUTOR_PROGRAM
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    ExecutorAcknowledged,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    ExitedExecutor,
    KillTask,
    Ping,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    RunTask,
    ShutdownFramework,
    StatusUpdate,
    StatusUpdateAcknowledgement,
    StatusUpdateMessage,
)
from mesotron.core.resources import Resources
from mesotron.core.status_updates import AckRecord, UpdateRecord
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    ExecutorInfo,
    FrameworkInfo,
    KillPolicy,
    Reason,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)

S = TaskState
AGENT_PID = "agent@10.0.0.2:5051"
FW = FrameworkInfo(user="u", name="fw1", id="fw1", checkpoint=True)
CX = command_executor_id("fw1")  # fw1's command executor on an agent
FW_KILLING = FrameworkInfo(user="u", name="fw2", id="fw2", checkpoint=True,
                           capabilities=frozenset({Capability.TASK_KILLING_STATE}))


def make_agent(seed: str = "a", **cfg: Any) -> Agent:
    info = AgentInfo(hostname="h1", resources=Resources.parse("cpus:4;mem:4096"))
    return Agent(pid=AGENT_PID, agent_info=info, ids=IdSource(seed=seed),
                 config=AgentConfig(**cfg))


def task(task_id: str, agent_id: str = "S1", executor: ExecutorInfo | None = None) -> TaskInfo:
    return TaskInfo(name=task_id, task_id=task_id, agent_id=agent_id,
                    resources=Resources.from_scalars({"cpus": 1, "mem": 32}),
                    command=None if executor else CommandInfo(value="sleep 1"),
                    executor=executor)


def registered(agent: Agent, now: float = 0.0) -> list[Any]:
    out = agent.step(now, Start())
    out += agent.step(now, MasterDetected(pid="master"))
    out += agent.step(now, Received(sender="master", message=AgentRegistered(agent_id="S1")))
    return out


def of(effects: list[Any], cls: type) -> list[Any]:
    return [e for e in effects if isinstance(e, cls)]


def sends(effects: list[Any], cls: type) -> list[Any]:
    return [e.message for e in effects if isinstance(e, Send) and isinstance(e.message, cls)]


def status(task_id: str, state: TaskState, ids: IdSource, ex: str | None = None) -> TaskStatus:
    return TaskStatus(task_id=task_id, state=state, source=Source.SOURCE_EXECUTOR,
                      executor_id=ex or CX, uuid=ids.next_uuid())


def launched(agent: Agent, task_id: str = "t1", fw: FrameworkInfo = FW) -> list[Any]:
    out = agent.step(1.0, Received(sender="master", message=RunTask(framework_info=fw,
                                                                   task=task(task_id))))
    out += agent.step(1.0, Received(sender=f"exec-{task_id}", message=ExecutorSubscribe(
        framework_id=fw.id or "", executor_id=command_executor_id(fw.id or ""))))
    return out


def custom_executor_launched(agent: Agent) -> tuple[ExecutorInfo, str]:
    """Registers `agent` and gives it task t1 of custom executor e1 (./ex): the executor and
    the container the agent launches it in."""
    registered(agent)
    ex = ExecutorInfo(executor_id="e1", command=CommandInfo(value="./ex"))
    out = agent.step(1, Received(sender="master", message=RunTask(
        framework_info=FW, task=task("t1", executor=ex))))
    return ex, of(out, LaunchExecutor)[0].container_id


# ====================================================================== unit tests
def test_inputs_before_start_are_caller_errors() -> None:
    agent = make_agent()
    with pytest.raises(LocalError):
        agent.step(0, MasterDetected(pid="master"))
    agent.step(0, Start())
    with pytest.raises(LocalError):
        agent.step(0, Start())
    with pytest.raises(LocalError):
        agent.step(0, object())


def test_registers_with_backoff_and_checkpoints_its_id() -> None:
    agent = make_agent(registration_backoff_factor=2.0)
    agent.step(0, Start())
    out = agent.step(0, MasterDetected(pid="master"))
    assert sends(out, RegisterAgent)
    assert SetTimer(key=("agent-register",), at=2.0) in out
    out = agent.step(2, TimerFired(key=("agent-register",)))
    assert sends(out, RegisterAgent) and SetTimer(key=("agent-register",), at=6.0) in out
    out = agent.step(3, Received(sender="master", message=AgentRegistered(agent_id="S1")))
    persist = of(out, Persist)[0]
    assert persist.key == ("agent",) and persist.record.info.id == "S1"
    assert agent.state == "running" and agent.metrics()["slave/registered"] == 1.0


def test_dialling_the_master_is_the_agents_decision() -> None:
    """The shell only carries out DialMaster and reports the outcome; when to dial again
    (x1.5 from 0.05 s, at most 0.25 s for the first 10 s of failing, then 2 s; 0.05 s after
    the link broke) is the machine's, and a late success at an old address is dropped."""
    dial = ("agent-dial",)
    agent = make_agent()
    agent.step(0, Start())
    assert agent.step(0, MasterAddress(address="m1:5050"))[-1] == DialMaster(address="m1:5050")
    waits, now = [], 0.0
    for _ in range(12):
        (timer,) = of(agent.step(now, DialFailed(address="m1:5050", error="refused")), SetTimer)
        waits.append(round(timer.at - now, 4))
        now = timer.at
        assert agent.step(now, TimerFired(key=dial)) == [DialMaster(address="m1:5050")]
        # a second timer firing while a dial is out does not dial twice
        assert agent.step(now, TimerFired(key=dial)) == []
    assert waits[:5] == [0.05, 0.075, 0.1125, 0.1687, 0.25] and max(waits) == 0.25
    now = 20.0
    for _ in range(8):
        (timer,) = of(agent.step(now, DialFailed(address="m1:5050")), SetTimer)
        now = timer.at
        agent.step(now, TimerFired(key=dial))
    assert agent.dial_backoff == 2.0
    out = agent.step(now, MasterDetected(pid="master@m1", address="m1:5050"))
    assert sends(out, RegisterAgent) and agent.dial_backoff == 0.05
    # the link breaks: dial again 0.05 s later
    out = agent.step(now, Disconnected(peer="master@m1"))
    assert SetTimer(key=dial, at=now + 0.05) in out
    # a new leader: dial it at once; the old address's late success is dropped
    out = agent.step(now, MasterAddress(address="m2:5050"))
    assert out[-1] == DialMaster(address="m2:5050")
    assert agent.step(now, MasterDetected(pid="master@m0", address="m1:5050")) == \
        [Close(peer="master@m0")]
    assert agent.step(now, DialFailed(address="m1:5050")) == []


def test_agent_uses_the_ping_timeout_the_master_tells_it() -> None:
    """Mesos MasterSlaveConnection.total_ping_timeout_seconds: without it the agent waits its
    own 75 s before looking for a master again (OneWayPartitionTest.MasterToSlave)."""
    agent = make_agent(master_ping_timeout=75.0)
    agent.step(0, Start())
    agent.step(0, MasterDetected(pid="master"))
    out = agent.step(1, Received(sender="master", message=AgentRegistered(agent_id="S1", ping_timeout=1.5)))
    assert SetTimer(key=PING_TIMER, at=2.5) in out
    assert SetTimer(key=PING_TIMER, at=11.5) in agent.step(10, Received(sender="master", message=Ping()))
    out = agent.step(11.5, TimerFired(key=PING_TIMER))
    assert agent.state == "disconnected"
    # a master that does not say keeps the agent on its own flag
    out = agent.step(12, Received(sender="master", message=AgentReregistered(agent_id="S1")))
    assert SetTimer(key=PING_TIMER, at=87.0) in out


def test_run_task_checkpoints_before_launching_the_command_executor() -> None:
    agent = make_agent()
    registered(agent)
    out = agent.step(1, Received(sender="master", message=RunTask(framework_info=FW,
                                                                 task=task("t1"))))
    kinds = [type(e).__name__ for e in out]
    assert kinds.index("LaunchExecutor") > max(i for i, k in enumerate(kinds) if k == "Persist")
    launch = of(out, LaunchExecutor)[0]
    assert launch.executor_info.executor_id == CX == "mesotron-command-fw1"
    assert launch.command.value == COMMAND_EXECUTOR_PROGRAM
    env = dict(launch.env)
    assert env["MESOS_FRAMEWORK_ID"] == "fw1" and env["MESOS_EXECUTOR_ID"] == CX
    assert env["MESOS_AGENT_ENDPOINT"] == "10.0.0.2:5051" and env["MESOS_CHECKPOINT"] == "1"
    assert env["MESOS_DIRECTORY"].endswith("/".join(launch.sandbox))
    assert launch.sandbox[:2] == ("slaves", "S1") and launch.sandbox[-1] == launch.container_id
    assert agent.tasks[("fw1", "t1")].queued


def test_non_checkpointing_framework_is_not_checkpointed() -> None:
    agent = make_agent()
    registered(agent)
    fw = FrameworkInfo(user="u", name="nc", id="nc", checkpoint=False)
    out = launched(agent, "t1", fw)
    assert not of(out, Persist)
    env = dict(of(out, LaunchExecutor)[0].env)
    assert "MESOS_CHECKPOINT" not in env  # pymesos reads bool(env): "0" would be true


def test_command_tasks_of_a_framework_share_one_executor_until_it_is_idle() -> None:
    agent = make_agent()
    registered(agent)
    out = launched(agent, "t1")
    assert len(of(out, LaunchExecutor)) == 1
    # a second command task goes to the subscribed executor at once: no second executor
    out = agent.step(2, Received(sender="master", message=RunTask(framework_info=FW,
                                                                 task=task("t2"))))
    assert not of(out, LaunchExecutor)
    assert [m.task.task_id for m in sends(out, ExecutorLaunch)] == ["t2"]
    assert of(out, UpdateContainer)[0].resources == Resources.from_scalars({"cpus": 2, "mem": 64})
    assert agent.executors[("fw1", CX)].task_ids == ("t1", "t2")
    ids = IdSource(seed="x")

    def finish(t: str, now: float) -> list[Any]:
        st_ = status(t, S.TASK_FINISHED, ids)
        agent.step(now, Received(sender="exec-t1", message=ExecutorUpdate(
            framework_id="fw1", executor_id=CX, status=st_)))
        assert st_.uuid is not None
        return agent.step(now, Received(sender="master", message=StatusUpdateAcknowledgement(
            agent_id="S1", framework_id="fw1", task_id=t, uuid=st_.uuid)))

    assert not of(finish("t1", 3), SetTimer)  # t2 still runs
    out = finish("t2", 4)
    idle = ("executor-idle", "fw1", CX, agent.executors[("fw1", CX)].container_id)
    assert SetTimer(key=idle, at=4 + agent.config.command_executor_idle_timeout) in out
    assert not sends(out, ExecutorShutdown)
    # a task within the idle period cancels the timer and reuses the executor
    out = agent.step(5, Received(sender="master", message=RunTask(framework_info=FW,
                                                                 task=task("t3"))))
    assert CancelTimer(key=idle) in out and sends(out, ExecutorLaunch)
    out = finish("t3", 6)
    out = agent.step(11, TimerFired(key=idle))
    assert sends(out, ExecutorShutdown)
    # while it shuts down, a new command task starts the framework's next command executor
    out = agent.step(12, Received(sender="master", message=RunTask(framework_info=FW,
                                                                  task=task("t4"))))
    assert [e.executor_info.executor_id for e in of(out, LaunchExecutor)] == [CX + "-2"]
    # an executor crash fails only that executor's live tasks
    cid = agent.executors[("fw1", CX + "-2")].container_id
    out = agent.step(13, ExecutorExited(framework_id="fw1", executor_id=CX + "-2",
                                        container_id=cid, status=9))
    failed = sends(out, StatusUpdateMessage)
    assert [(u.update.status.task_id, u.update.status.reason) for u in failed] == \
        [("t4", Reason.REASON_EXECUTOR_TERMINATED)]


def test_executor_update_is_acked_only_after_it_is_persisted() -> None:
    agent = make_agent()
    registered(agent)
    out = launched(agent)
    assert sends(out, ExecutorLaunch)[0].task.task_id == "t1"
    ids = IdSource(seed="x")
    st_ = status("t1", S.TASK_RUNNING, ids)
    out = agent.step(2, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=st_)))
    i_persist = next(i for i, e in enumerate(out) if isinstance(e, Persist))
    i_ack = next(i for i, e in enumerate(out)
                 if isinstance(e, Send) and isinstance(e.message, ExecutorAcknowledged))
    assert i_persist < i_ack
    fwd = sends(out, StatusUpdateMessage)[0].update
    assert fwd.status.agent_id == "S1" and fwd.latest_state is S.TASK_RUNNING
    # a duplicate is acknowledged again without a second Persist
    again = agent.step(3, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=st_)))
    assert not of(again, Persist) and sends(again, ExecutorAcknowledged)


@pytest.mark.parametrize("bad", [
    Received(sender="exec-zz", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX,
        status=TaskStatus(task_id="t1", state=S.TASK_RUNNING, uuid=b"u" * 16))),
    Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX,
        status=TaskStatus(task_id="t1", state=S.TASK_STAGING, uuid=b"u" * 16))),
    Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX,
        status=TaskStatus(task_id="t1", state=S.TASK_RUNNING, uuid=None))),
    Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX,
        status=TaskStatus(task_id="t9", state=S.TASK_RUNNING, uuid=b"u" * 16))),
    Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX,
        status=TaskStatus(task_id="t1", state=S.TASK_RUNNING, uuid=b"u" * 16,
                          source=Source.SOURCE_MASTER))),
    Received(sender="exec-q", message=ExecutorSubscribe(framework_id="fw9", executor_id=CX)),
    Received(sender="master@evil:5050", message=RunTask(framework_info=FW, task=task("t2"))),
    Received(sender="master", message=RunTask(framework_info=FW, task=task("t1"))),
    Received(sender="master", message=RunTask(framework_info=FW, task=task("t3", "S7"))),
    Received(sender="master", message=Pong()),
])
def test_peer_nonsense_is_rejected_and_changes_nothing(bad: Received) -> None:
    agent = make_agent()
    registered(agent)
    launched(agent)
    ids = IdSource(seed="y")
    agent.step(2, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", S.TASK_FINISHED, ids))))
    before = agent.describe()
    counter = agent.ids.counter
    out = agent.step(3, bad)
    assert of(out, Reject), out
    assert [e for e in out if not isinstance(e, (Reject, Log))] == []
    assert agent.describe() == before and agent.ids.counter == counter


def test_illegal_executor_transition_is_rejected() -> None:
    agent = make_agent()
    registered(agent)
    launched(agent)
    ids = IdSource(seed="z")
    agent.step(2, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", S.TASK_RUNNING, ids))))
    before = agent.describe()
    out = agent.step(3, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", S.TASK_STARTING, ids))))
    assert of(out, Reject) and agent.describe() == before


def test_update_after_terminal_is_forwarded_but_absorbed() -> None:
    agent = make_agent()
    registered(agent)
    launched(agent)
    ids = IdSource(seed="w")
    for s in (S.TASK_FINISHED, S.TASK_FAILED):
        out = agent.step(2, Received(sender="exec-t1", message=ExecutorUpdate(
            framework_id="fw1", executor_id=CX, status=status("t1", s, ids))))
        assert sends(out, ExecutorAcknowledged)
    assert agent.tasks[("fw1", "t1")].state is S.TASK_FINISHED


def test_executor_exit_fails_live_tasks_and_reports_custom_executors() -> None:
    agent = make_agent()
    _ex, container = custom_executor_launched(agent)
    agent.step(1, Received(sender="exec-e1", message=ExecutorSubscribe(framework_id="fw1",
                                                                      executor_id="e1")))
    out = agent.step(2, ExecutorExited(framework_id="fw1", executor_id="e1",
                                       container_id=container, status=3))
    upd = of(out, Persist)[1].record.update.status
    assert (upd.state, upd.reason, upd.source) == (
        S.TASK_FAILED, Reason.REASON_EXECUTOR_TERMINATED, Source.SOURCE_AGENT)
    assert sends(out, ExitedExecutor)[0].status == 3
    assert of(out, DestroyContainer)


def test_kill_with_running_executor_and_task_killing_capability_goes_to_executor() -> None:
    agent = make_agent()
    registered(agent)
    launched(agent, "t1", FW_KILLING)
    out = agent.step(2, Received(sender="master", message=KillTask(framework_id="fw2",
                                                                  task_id="t1")))
    assert sends(out, ExecutorKill) == [ExecutorKill(task_id="t1")]


def test_shutdown_framework_then_executor_grace_then_sigkill() -> None:
    agent = make_agent(executor_shutdown_grace_period=4.0)
    registered(agent)
    out = launched(agent)
    container = of(out, LaunchExecutor)[0].container_id
    out = agent.step(2, Received(sender="master", message=ShutdownFramework(framework_id="fw1")))
    assert sends(out, ExecutorShutdown) == [ExecutorShutdown(grace_period=4.0)]
    timer = of(out, SetTimer)[0]
    out = agent.step(timer.at, TimerFired(key=timer.key))
    assert out == [KillExecutor(container_id=container, signal="SIGKILL")]
    out = agent.step(7, ExecutorExited(framework_id="fw1", executor_id=CX,
                                       container_id=container, status=9))
    assert not sends(out, StatusUpdateMessage)  # the framework is gone: no updates
    assert "fw1" not in agent.frameworks


def test_shutdown_agent_stops_after_executors_and_forgets_its_id() -> None:
    agent = make_agent()
    registered(agent)
    out = launched(agent)
    container = of(out, LaunchExecutor)[0].container_id
    out = agent.step(2, Shutdown())
    assert Persist(key=("agent",), record=None) in out and not of(out, StopAgent)
    out = agent.step(3, ExecutorExited(framework_id="fw1", executor_id=CX,
                                       container_id=container, status=0))
    assert of(out, StopAgent) and agent.state == "stopped"
    assert of(agent.step(4, Received(sender="master", message=Ping())), Log)


def test_recovery_reconnect_keeps_live_executor_and_cleanup_kills_it() -> None:
    for mode in ("reconnect", "cleanup"):
        agent = make_agent()
        effects = registered(agent) + launched(agent)
        container = of(effects, LaunchExecutor)[0].container_id
        disk = Recovered.empty().apply(effects)
        snapshot = copy.deepcopy(disk)
        again = make_agent(seed="b", recover=mode)
        out = again.step(10, Start(recovered=disk))
        assert disk == snapshot  # inputs are never mutated
        if mode == "cleanup":
            assert KillExecutor(container_id=container, signal="SIGKILL") in out
            assert again.agent_info.id is None and not again.frameworks
            continue
        assert not of(out, KillExecutor) and again.state == "recovering"
        out = again.step(11, Received(sender="exec-t1-new", message=ExecutorSubscribe(
            framework_id="fw1", executor_id=CX, unacknowledged_tasks=(task("t1"),))))
        assert not of(out, KillExecutor)
        out += again.step(11, MasterDetected(pid="master"))
        rr = sends(out, ReregisterAgent)[0]
        assert [t.task.task_id for t in rr.tasks] == ["t1"]


def test_same_inputs_same_effects_and_clone_is_independent() -> None:
    def run(agent: Agent) -> list[Any]:
        return registered(agent) + launched(agent)

    a, b = make_agent(), make_agent()
    assert run(a) == run(b)
    c = copy.deepcopy(a)
    c.step(5, Received(sender="master", message=KillTask(framework_id="fw1", task_id="t1")))
    assert a.describe() != c.describe() or True
    assert a.describe() == b.describe()


def test_state_json_and_metrics_shape() -> None:
    agent = make_agent()
    registered(agent)
    launched(agent)
    sj = agent.state_json()
    assert sj["id"] == "S1" and sj["pid"] == AGENT_PID and sj["hostname"] == "h1"
    ex = sj["frameworks"][0]["executors"][0]
    assert {"id", "name", "source", "container", "directory", "resources", "tasks",
            "queued_tasks", "completed_tasks"} <= set(ex)
    assert ex["tasks"][0]["state"] == "TASK_STAGING"
    m = agent.metrics()
    assert m["slave/executors_running"] == 1.0 and m["slave/tasks_staging"] == 1.0


# ====================================================================== stateful test
@attrs.define
class VExec:
    """A virtual executor, behaving like the v1 executor library."""

    fw: str
    ex: str
    container: str
    pid: str
    custom: bool
    alive: bool = True
    subscribed: bool = False
    shutting_down: bool = False
    tasks: dict[str, TaskState] = attrs.field(factory=dict)
    infos: dict[str, TaskInfo] = attrs.field(factory=dict)
    unacked_tasks: set[str] = attrs.field(factory=set)
    unacked: dict[bytes, StatusUpdate] = attrs.field(factory=dict)
    kills: set[str] = attrs.field(factory=set)
    doomed: bool = False  # the master asked for its shutdown


EXTERNAL = (Send, Close, LaunchExecutor, KillExecutor, DestroyContainer, UpdateContainer,
            StopAgent)
NEXT_STATES = {
    S.TASK_STAGING: [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_FAILED],
    S.TASK_STARTING: [S.TASK_RUNNING, S.TASK_FINISHED],
    S.TASK_RUNNING: [S.TASK_FINISHED, S.TASK_FAILED, S.TASK_RUNNING],
    S.TASK_KILLING: [S.TASK_KILLED],
}


class AgentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.incarnation = 0
        self.persisted: list[Persist] = []
        self.unsynced = 0
        self.timers: dict[tuple[str, ...], float] = {}
        self.execs: dict[str, VExec] = {}  # by container id
        self.ids = IdSource(seed="executors")
        self.next_task = 0
        self.agent_ids = 0
        self.agent_id: str | None = None
        self.registration: Any = None  # the last RegisterAgent/ReregisterAgent not answered
        self.forwarded: dict[tuple[str, str], StatusUpdate] = {}
        self.master_tasks: dict[tuple[str, str], str] = {}  # task -> agent id it went to
        self.master_done: set[tuple[str, str]] = set()
        self.acked_to_executor: set[tuple[str, str, bytes]] = set()
        self.acked_by_master: set[tuple[str, str, bytes]] = set()
        self.abandoned: set[tuple[str, str]] = set()
        self.accepted: dict[tuple[str, str], list[tuple[bytes, TaskState, str]]] = {}
        self.recovery_kills: list[tuple[str, str, bool]] = []
        self.restarted_at = -100.0
        self.superseded: set[bytes] = set()  # executor updates the agent refused as superseded
        self.nested: dict[str, set[str]] = {}  # container -> tasks with a nested cgroup (the shell's)
        self.agent: Agent

    # ------------------------------------------------------------------ plumbing
    def step(self, input: Any) -> list[Any]:
        frozen_input = copy.deepcopy(input)
        was_recovering = self.agent.recovering
        busy = {self.agent.frameworks[k[0]].executors[t.executor_id].container_id
                for k, t in self.agent.tasks.items() if not t.state.is_terminal}
        effects = self.agent.step(self.now, input)
        assert input == frozen_input, "the agent mutated its input"
        for e in effects:  # refused as superseded (acknowledged only so that it is not resent)
            if isinstance(e, Log) and e.event == "agent.update.superseded":
                self.superseded.add(dict(e.fields)["uuid"])
        follow: list[Any] = []
        last_external = max((i for i, e in enumerate(effects) if isinstance(e, EXTERNAL)),
                            default=-1)
        self.unsynced = sum(1 for e in effects[last_external + 1:] if isinstance(e, Persist))
        recovering = was_recovering or (isinstance(input, Start)
                                        and self.agent.config.recover == "reconnect")
        # a container over its limits is destroyed for that cause, recovering or not
        recovering = recovering and not isinstance(input, ContainerLimitation)
        for e in effects:
            if isinstance(e, KillExecutor) and recovering:
                # alive and able to re-subscribe in time: subscribed already, or the
                # re-registration window is still open
                v = self.execs.get(e.container_id)
                window = self.now < self.restarted_at + self.agent.config.executor_reregistration_timeout
                alive = (v is not None and v.alive and not v.doomed
                         and (v.subscribed or window) and e.container_id in busy)
                self.recovery_kills.append((self.agent_id or "", e.container_id, alive))
            follow += self.interpret(e)
        for f in follow:
            self.step(f)
        return effects

    def interpret(self, e: Any) -> list[Any]:
        if isinstance(e, UpdateContainer):
            n = self.nested.setdefault(e.container_id, set())
            n |= {t for t, _r in e.nested_add}
            n -= set(e.nested_remove)
        elif isinstance(e, DestroyContainer):
            self.nested.pop(e.container_id, None)
        if isinstance(e, Persist):
            self.persisted.append(e)
            self.book_persist(e)
        elif isinstance(e, SetTimer):
            self.timers[e.key] = e.at
        elif isinstance(e, CancelTimer):
            self.timers.pop(e.key, None)
        elif isinstance(e, LaunchExecutor):
            custom = e.command.value != COMMAND_EXECUTOR_PROGRAM
            ex = e.executor_info.executor_id
            self.execs[e.container_id] = VExec(fw=e.framework_id, ex=ex, container=e.container_id,
                                               pid=f"exec-{ex}-{len(self.execs)}", custom=custom)
        elif isinstance(e, KillExecutor):
            v = self.execs.get(e.container_id)
            if v is not None and v.alive and e.signal == "SIGKILL":
                v.alive = v.subscribed = False
                return [ExecutorExited(framework_id=v.fw, executor_id=v.ex,
                                       container_id=v.container, status=9)]
            if v is None:
                return []
        elif isinstance(e, Close):
            for v in self.execs.values():
                if v.pid == e.peer:
                    v.subscribed = False
        elif isinstance(e, Send):
            self.deliver(e)
        elif isinstance(e, Reject):
            pass
        return []

    def book_persist(self, e: Persist) -> None:
        if e.key[0] != "updates" or not isinstance(e.record, UpdateRecord):
            return
        st_ = e.record.update.status
        producer = "executor" if st_.source is Source.SOURCE_EXECUTOR else "agent"
        self.accepted.setdefault((e.key[1], e.key[2]), []).append(
            (e.record.update.uuid, st_.state, producer))

    def deliver(self, e: Send) -> None:
        m = e.message
        if e.to == "master":
            if isinstance(m, (RegisterAgent, ReregisterAgent)):
                self.registration = m
            elif isinstance(m, StatusUpdateMessage):
                u = m.update
                self.forwarded[(u.framework_id, u.status.task_id)] = u
            return
        v = next((x for x in self.execs.values() if x.pid == e.to and x.alive), None)
        if v is None:
            return
        if isinstance(m, ExecutorSubscribed):
            v.subscribed = True
        elif not v.subscribed:
            return  # the stream is closed: the message is lost
        elif isinstance(m, ExecutorLaunch):
            v.tasks[m.task.task_id] = S.TASK_STAGING
            v.infos[m.task.task_id] = m.task
            v.unacked_tasks.add(m.task.task_id)
        elif isinstance(m, ExecutorLaunchGroup):
            for t in m.tasks:
                v.tasks[t.task_id] = S.TASK_STAGING
                v.infos[t.task_id] = t
                v.unacked_tasks.add(t.task_id)
        elif isinstance(m, ExecutorAcknowledged):
            upd = v.unacked.pop(m.uuid, None)
            if upd is not None:
                if m.uuid not in self.superseded:
                    self.acked_to_executor.add((v.fw, m.task_id, m.uuid))
                v.unacked_tasks.discard(m.task_id)
        elif isinstance(m, ExecutorKill):
            v.kills.add(m.task_id)
        elif isinstance(m, ExecutorShutdown):
            v.shutting_down = True

    def restart_disk(self, drop: bool) -> Recovered:
        if drop and self.unsynced:
            dropped = self.persisted[-self.unsynced:]
            self.persisted = self.persisted[:-self.unsynced]
            lost = {e.record.update.uuid for e in dropped if isinstance(e.record, UpdateRecord)}
            for k, lst in self.accepted.items():
                self.accepted[k] = [x for x in lst if x[0] not in lost]
        self.unsynced = 0
        return Recovered.empty().apply(self.persisted)

    # ------------------------------------------------------------------ setup
    @initialize()
    def start(self) -> None:
        self.agent = self.new_agent("reconnect")
        self.step(Start())
        self.step(MasterDetected(pid="master"))
        self.master_answers()

    def new_agent(self, mode: str) -> Agent:
        self.incarnation += 1
        info = AgentInfo(hostname="h1", resources=Resources.parse("cpus:8;mem:4096"))
        return Agent(pid=AGENT_PID, agent_info=info, ids=IdSource(seed=f"agent{self.incarnation}"),
                     config=AgentConfig(recover=mode, executor_registration_timeout=30.0))

    # ------------------------------------------------------------------ master side
    @precondition(lambda self: self.registration is not None)
    @rule()
    def master_answers(self) -> None:
        m, self.registration = self.registration, None
        note(f"master answers {type(m).__name__}")
        if isinstance(m, RegisterAgent):
            self.agent_ids += 1
            self.agent_id = f"S{self.agent_ids}"
            self.step(Received(sender="master", message=AgentRegistered(agent_id=self.agent_id)))
        else:
            reported = {(t.framework_id, t.task.task_id) for t in m.tasks}
            recon = tuple((k[0], k[1], S.TASK_RUNNING) for k, a in sorted(self.master_tasks.items())
                          if a == m.agent_info.id and k not in reported and k not in self.master_done)
            self.agent_id = m.agent_info.id
            self.step(Received(sender="master", message=AgentReregistered(
                agent_id=m.agent_info.id, reconciliations=recon)))

    @precondition(lambda self: self.agent.state == "running")
    @rule(custom=st.booleans(), group_into_existing=st.booleans())
    def run_task(self, custom: bool, group_into_existing: bool) -> None:
        self.next_task += 1
        tid = f"t{self.next_task}"
        ex = ExecutorInfo(executor_id="e1", command=CommandInfo(value="./ex")) if custom else None
        fw = FW_KILLING if custom and group_into_existing else FW
        note(f"run {tid} custom={custom}")
        self.master_tasks[(fw.id or "", tid)] = self.agent_id or ""
        self.step(Received(sender="master", message=RunTask(
            framework_info=fw, task=task(tid, self.agent_id or "", ex))))

    @precondition(lambda self: self.forwarded)
    @rule(data=st.data())
    def master_acks(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.forwarded)))
        u = self.forwarded.pop(key)
        note(f"ack {key} {u.status.state.name}")
        effects = self.step(Received(sender="master", message=StatusUpdateAcknowledgement(
            agent_id=self.agent_id or "", framework_id=key[0], task_id=key[1], uuid=u.uuid)))
        if any(isinstance(e, Persist) and isinstance(e.record, AckRecord) for e in effects) \
                or not any(isinstance(e, Log) and "unknown_stream" in e.event for e in effects):
            self.acked_by_master.add((key[0], key[1], u.uuid))
            if u.status.state.is_terminal:
                self.master_done.add(key)

    def master_kills(self, data: st.DataObject) -> None:
        if not self.agent.tasks:
            return
        key = data.draw(st.sampled_from(sorted(self.agent.tasks)))
        note(f"kill {key}")
        self.step(Received(sender="master", message=KillTask(framework_id=key[0],
                                                             task_id=key[1])))

    def master_side_events(self, kind: str) -> None:
        """Rarer master-side events, folded into one rule so they do not dominate."""
        note(f"master event {kind}")
        if kind == "link":
            self.step(Disconnected(peer="master"))
        elif kind == "redetect":
            self.step(MasterDetected(pid="master"))
        elif kind == "ping":
            self.step(Received(sender="master", message=Ping()))
        elif kind == "shutdown_fw" and "fw1" in self.agent.frameworks:
            for key in list(self.accepted) + list(self.agent.tasks):
                if key[0] == "fw1":
                    self.abandoned.add(key)
            for key in list(self.master_tasks):
                if key[0] == "fw1":
                    self.master_done.add(key)
            for v in self.execs.values():
                if v.fw == "fw1":
                    v.doomed = True
            self.step(Received(sender="master", message=ShutdownFramework(framework_id="fw1")))

    # ------------------------------------------------------------------ executors
    def live_execs(self) -> list[VExec]:
        return sorted((v for v in self.execs.values() if v.alive), key=lambda v: v.pid)

    @precondition(lambda self: any(not v.subscribed for v in self.live_execs()))
    @rule(data=st.data())
    def executor_subscribes(self, data: st.DataObject) -> None:
        v = data.draw(st.sampled_from([v for v in self.live_execs() if not v.subscribed]))
        note(f"{v.pid} subscribes")
        self.step(Received(sender=v.pid, message=ExecutorSubscribe(
            framework_id=v.fw, executor_id=v.ex,
            unacknowledged_tasks=tuple(v.infos[t] for t in sorted(v.unacked_tasks)),
            unacknowledged_updates=tuple(v.unacked.values()))))

    def updatable(self) -> list[tuple[VExec, str]]:
        return [(v, t) for v in self.live_execs() if v.subscribed
                for t, s in sorted(v.tasks.items()) if not s.is_terminal]

    @precondition(lambda self: self.updatable())
    @rule(data=st.data(), count=st.integers(1, 3))
    def executor_updates(self, data: st.DataObject, count: int) -> None:
        v, t = data.draw(st.sampled_from(self.updatable()))
        for _ in range(count):
            cur = v.tasks[t]
            if cur.is_terminal or not v.subscribed or not v.alive:
                return
            choices = [S.TASK_KILLED] if t in v.kills else NEXT_STATES.get(cur, [S.TASK_FINISHED])
            new = data.draw(st.sampled_from(choices))
            v.tasks[t] = new
            uuid = self.ids.next_uuid()
            status_ = TaskStatus(task_id=t, state=new, source=Source.SOURCE_EXECUTOR,
                                 executor_id=v.ex, uuid=uuid, timestamp=self.now)
            v.unacked[uuid] = StatusUpdate(framework_id=v.fw, status=status_, uuid=uuid)
            note(f"{v.pid} sends {t} {new.name}")
            self.step(Received(sender=v.pid, message=ExecutorUpdate(
                framework_id=v.fw, executor_id=v.ex, status=status_)))

    def executor_fault(self, data: st.DataObject, kind: str) -> None:
        if not self.live_execs():
            return
        v = data.draw(st.sampled_from(self.live_execs()))
        note(f"{v.pid} {kind}")
        if kind == "link":
            if v.subscribed:
                v.subscribed = False
                self.step(Disconnected(peer=v.pid))
            return
        v.alive = v.subscribed = False
        self.step(ExecutorExited(framework_id=v.fw, executor_id=v.ex, container_id=v.container,
                                 status=0 if kind == "exit0" else 137))

    # ------------------------------------------------------------------ isolation
    @precondition(lambda self: any(not t.state.is_terminal for t in self.agent.tasks.values()))
    @rule(data=st.data(), whole=st.booleans(), resource=st.sampled_from(["mem", "disk"]))
    def container_limitation(self, data: st.DataObject, whole: bool, resource: str) -> None:
        """An isolator reports OOM / disk over quota for a live task's nested container, or
        for its executor's whole container (the shell kills it then: KillExecutor)."""
        live = sorted(k for k, t in self.agent.tasks.items() if not t.state.is_terminal)
        fw, tid = data.draw(st.sampled_from(live))
        view = self.agent.tasks[(fw, tid)]
        cid = self.agent.frameworks[fw].executors[view.executor_id].container_id
        note(f"limitation {resource} {'container' if whole else 'task'} {tid}")
        out = self.step(ContainerLimitation(container_id=cid, task_id=None if whole else tid,
                                            resource=resource, requested=64 << 20, used=65 << 20))
        if not whole:
            assert self.agent.tasks[(fw, tid)].state is S.TASK_FAILED
            assert not any(isinstance(e, KillExecutor) for e in out)

    @precondition(lambda self: self.agent.state != "stopped")
    @rule(known=st.booleans())
    def orphan_found(self, known: bool) -> None:
        """The shell reports a container at recovery that the checkpoints may not know."""
        cids = sorted(self.agent.by_container)
        if known and not cids:
            return
        cid = cids[0] if known else f"orphan-{len(self.execs)}"
        out = self.step(OrphanContainer(container_id=cid))
        killed = [e for e in out if isinstance(e, (KillExecutor, DestroyContainer))]
        assert bool(killed) is not known, out

    # ------------------------------------------------------------------ time, crashes
    @rule(dt=st.sampled_from([0.5, 2.0, 10.0, 40.0]))
    def tick(self, dt: float) -> None:
        target = self.now + dt
        while self.agent.state != "stopped":
            due = sorted((at, k) for k, at in self.timers.items() if at <= target)
            if not due:
                break
            at, key = due[0]
            del self.timers[key]
            self.now = max(self.now, at)
            self.step(TimerFired(key=key))
        self.now = target

    @rule(data=st.data(), kind=st.sampled_from(
        ["master:kill", "master:kill", "master:link", "master:redetect", "master:ping", "master:shutdown_fw",
         "exec:link", "exec:exit0", "exec:exit1", "restart", "restart:drop", "restart:drop",
         "restart:cleanup", "agent:shutdown"]))
    def fault(self, data: st.DataObject, kind: str) -> None:
        """Faults and rarer events, folded into one rule so they do not dominate."""
        if kind == "agent:shutdown":
            note("agent shuts down")
            self.abandoned |= set(self.accepted) | set(self.agent.tasks) | set(self.master_tasks)
            self.master_done |= set(self.master_tasks)
            for v in self.execs.values():
                v.doomed = True
            self.step(Shutdown())
        elif kind == "master:kill":
            self.master_kills(data)
        elif kind.startswith("master:"):
            self.master_side_events(kind.split(":")[1])
        elif kind.startswith("exec:"):
            self.executor_fault(data, kind.split(":")[1])
        else:
            self.agent_restarts(drop=kind.endswith("drop"), cleanup=kind.endswith("cleanup"))

    def agent_restarts(self, drop: bool, cleanup: bool) -> None:
        note(f"agent restarts drop={drop} cleanup={cleanup}")
        disk = self.restart_disk(drop)
        self.timers.clear()
        self.registration = None
        for v in self.execs.values():
            v.subscribed = False  # every stream to the old agent is broken
        if cleanup:
            self.abandoned |= set(self.accepted) | set(self.agent.tasks) | set(self.master_tasks)
            self.master_done |= set(self.master_tasks)
        self.agent = self.new_agent("cleanup" if cleanup else "reconnect")
        self.restarted_at = self.now
        self.step(Start(recovered=None if disk.is_empty() else disk))
        self.step(MasterDetected(pid="master"))

    # ------------------------------------------------------------------ invariants
    def transitions(self) -> dict[tuple[str, str], tuple[tuple[TaskState, str], ...]]:
        out = {}
        for key, lst in self.accepted.items():
            steps: list[tuple[TaskState, str]] = [(S.TASK_STAGING, "agent")]
            for _uuid, state, producer in lst:
                if steps[-1][0].is_terminal:
                    continue  # absorbed
                steps.append((state, producer))
            out[key] = tuple(steps)
        return out

    @invariant()
    def catalog_holds(self) -> None:
        if not hasattr(self, "agent"):
            return
        disk = Recovered.empty().apply(self.persisted)
        pending: dict[tuple[str, str], tuple[bytes, ...]] = {}
        for key, records in disk.logs.items():
            if key[0] == "updates":
                pending[(key[1], key[2])] = tuple(r.update.uuid for r in records
                                                  if isinstance(r, UpdateRecord))
        produced: dict[tuple[str, str], tuple[tuple[bytes, TaskState], ...]] = {}
        states = {u: s for lst in self.accepted.values() for u, s, _p in lst}
        for fw, t, u in sorted(self.acked_to_executor):
            produced[(fw, t)] = produced.get((fw, t), ()) + ((u, states.get(u, S.TASK_RUNNING)),)
        snap = invariants.ClusterSnapshot(
            transitions=self.transitions(), produced=produced, pending=pending,
            acked=frozenset(self.acked_by_master), abandoned=frozenset(self.abandoned),
            recovery_kills=tuple(self.recovery_kills))
        problems = (invariants.LegalTaskTransitions(snap) + invariants.NoLostAckedWork(snap)
                    + invariants.RecoveryKeepsTasks(snap))
        assert not problems, problems

    @invariant()
    def agent_view_matches_accepted_updates(self) -> None:
        if not hasattr(self, "agent"):
            return
        trans = self.transitions()
        for key, view in self.agent.tasks.items():
            expected = trans[key][-1][0] if key in trans else S.TASK_STAGING
            assert view.state is expected, (key, view.state, expected)

    @invariant()
    def nested_containers_follow_tasks(self) -> None:
        if not hasattr(self, "agent"):
            return
        problems = nested_mismatch(self.agent, self.nested)
        assert not problems, problems

    @invariant()
    def indexes_are_consistent(self) -> None:
        if not hasattr(self, "agent"):
            return
        a = self.agent
        for pid, (fw, ex) in a.by_pid.items():
            assert a.frameworks[fw].executors[ex].pid == pid
        for fw_id, fw in a.frameworks.items():
            for ex_id, ex in fw.executors.items():
                assert a.by_container[ex.container_id] == (fw_id, ex_id)
                for t in ex.tasks:
                    assert fw.task_executor[t] == ex_id
                # the incrementally kept container resources equal a fresh sum
                fresh = ex.info.resources
                for t in ex.tasks.values():
                    if not t.terminal:
                        fresh = fresh + t.info.resources
                assert ex.resources() == fresh
            assert set(fw.task_executor) == {t for ex in fw.executors.values() for t in ex.tasks}
        assert a.awaiting == sum(ex.recovered for fw in a.frameworks.values()
                                 for ex in fw.executors.values())
        records = Recovered.empty().apply(self.persisted)
        for fw_id, fw in a.frameworks.items():
            for ex_id, ex in fw.executors.items():
                rec = records.checkpoints.get(("executor", fw_id, ex_id))
                if ex.checkpoint and ex.state != "terminated":
                    assert isinstance(rec, ExecutorRecord) and rec.container_id == ex.container_id


def nested_mismatch(agent: Agent, nested: dict[str, set[str]]) -> list[str]:
    """NestedContainersFollowTasks: every live command executor's nested containers (as the
    shell keeps them from UpdateContainer/DestroyContainer) are exactly its non-terminal
    tasks: a task never runs outside its own limits, a finished task's limits are released."""
    out = []
    for fw in agent.frameworks.values():
        for ex in fw.executors.values():
            if not ex.command_executor or ex.state == "terminated":
                continue
            live = {t for t, e in ex.tasks.items() if not e.terminal}
            have = nested.get(ex.container_id, set())
            if have != live:
                out.append(f"container {ex.container_id}: nested {sorted(have)} != live tasks {sorted(live)}")
    return out


def _track_nested(nested: dict[str, set[str]], effects: list[Any]) -> None:
    for e in effects:
        if isinstance(e, UpdateContainer):
            n = nested.setdefault(e.container_id, set())
            n |= {t for t, _r in e.nested_add}
            n -= set(e.nested_remove)
        elif isinstance(e, DestroyContainer):
            nested.pop(e.container_id, None)


@pytest.mark.parametrize("plant", [False, True])
def test_nested_check_fails_on_planted_bug(monkeypatch: Any, plant: bool) -> None:
    """Plant: the agent forgets to shrink containers when tasks end -> the check names it."""
    from mesotron.core.agent.containers import ContainersMixin

    agent = make_agent()
    nested: dict[str, set[str]] = {}
    _track_nested(nested, registered(agent))
    _track_nested(nested, launched(agent, "t1"))
    _track_nested(nested, agent.step(1.5, Received(sender="master", message=RunTask(
        framework_info=FW, task=task("t2")))))
    assert nested_mismatch(agent, nested) == [] and len(next(iter(nested.values()))) == 2
    if plant:
        monkeypatch.setattr(ContainersMixin, "_flush_container_updates", lambda self: [])
    cid = agent.executors[("fw1", CX)].container_id
    _track_nested(nested, agent.step(2, ContainerLimitation(container_id=cid, task_id="t1")))
    problems = nested_mismatch(agent, nested)
    if plant:
        assert problems and "nested ['t1', 't2'] != live tasks ['t2']" in problems[0]
    else:
        assert problems == []


AgentMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("AGENT_EXAMPLES", "200" if os.environ.get("CI") else "300")),
    stateful_step_count=60,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestAgentMachine = AgentMachine.TestCase


# ====================================================================== more unit tests
def test_task_group_launches_together_on_subscription() -> None:
    from mesotron.core.messages import RunTaskGroup

    agent = make_agent()
    registered(agent)
    ex = ExecutorInfo(executor_id="d1", type="DEFAULT", command=CommandInfo(value="default"))
    group = (task("g1", executor=None), task("g2", executor=None))
    out = agent.step(1, Received(sender="master", message=RunTaskGroup(
        framework_info=FW, executor=ex, tasks=group)))
    assert len(of(out, LaunchExecutor)) == 1
    out = agent.step(2, Received(sender="exec-d1", message=ExecutorSubscribe(
        framework_id="fw1", executor_id="d1")))
    (lg,) = sends(out, ExecutorLaunchGroup)
    assert [t.task_id for t in lg.tasks] == ["g1", "g2"]
    assert sorted(k[1] for k in agent.tasks) == ["g1", "g2"]


def test_messages_between_framework_and_executor_are_relayed() -> None:
    from mesotron.core.messages import (
        ExecutorFrameworkMessage,
        ExecutorMessage,
        ExecutorToFramework,
        FrameworkToExecutor,
    )

    agent = make_agent()
    registered(agent)
    launched(agent)
    out = agent.step(2, Received(sender="master", message=FrameworkToExecutor(
        framework_id="fw1", executor_id=CX, data=b"hi")))
    assert out == [Send(to="exec-t1", message=ExecutorFrameworkMessage(data=b"hi"))]
    out = agent.step(2, Received(sender="exec-t1", message=ExecutorMessage(
        framework_id="fw1", executor_id=CX, data=b"yo")))
    assert sends(out, ExecutorToFramework)[0].data == b"yo"
    out = agent.step(2, Received(sender="exec-zz", message=ExecutorMessage(
        framework_id="fw1", executor_id=CX, data=b"yo")))
    assert of(out, Reject)


def test_master_loss_pauses_updates_and_reregistration_resumes_them() -> None:
    agent = make_agent()
    registered(agent)
    launched(agent)
    ids = IdSource(seed="v")
    agent.step(2, Received(sender="master", message=Ping(connected=False)))
    assert agent.state == "disconnected"
    out = agent.step(3, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", S.TASK_RUNNING, ids))))
    assert not sends(out, StatusUpdateMessage) and sends(out, ExecutorAcknowledged)
    out = agent.step(4, Received(sender="master", message=AgentReregistered(agent_id="S1")))
    assert [m.update.status.state for m in sends(out, StatusUpdateMessage)] == [S.TASK_RUNNING]
    from mesotron.core.agent.machine import NoMasterDetected

    out = agent.step(5, NoMasterDetected())
    assert agent.state == "disconnected" and agent.master is None


def test_shutdown_agent_from_master_with_no_executors_stops_at_once() -> None:
    from mesotron.core.messages import ShutdownAgent

    agent = make_agent()
    registered(agent)
    out = agent.step(1, Received(sender="master", message=ShutdownAgent(message="gone")))
    assert of(out, StopAgent) and Persist(key=("agent",), record=None) in out
    assert not sends(out, ExecutorShutdown)


def test_shutdown_during_recovery_kills_executors_that_did_not_resubscribe() -> None:
    agent = make_agent()
    effects = registered(agent) + launched(agent)
    container = of(effects, LaunchExecutor)[0].container_id
    again = make_agent(seed="c")
    again.step(5, Start(recovered=Recovered.empty().apply(effects)))
    assert again.recovering
    out = again.step(6, Shutdown())
    assert KillExecutor(container_id=container, signal="SIGKILL") in out
    out = again.step(7, ExecutorExited(framework_id="fw1", executor_id=CX,
                                       container_id=container, status=9))
    assert of(out, StopAgent)


def test_checkpointed_resources_persist_and_survive_a_reconnect_restart_not_cleanup() -> None:
    """Mesos `Slave::checkpointResources`: CheckpointResources replaces the agent's dynamic
    reservations, persisted under ("resources",); a restart in reconnect mode recovers them
    (the agent's total and /state show them), cleanup mode (a new agent id) drops them."""
    from mesotron.core.messages import CheckpointResources
    from mesotron.core.resources import Reservation

    agent = make_agent()
    effects = registered(agent)
    dyn = Resources.parse("cpus:1;mem:64").push_reservation(Reservation(type="DYNAMIC", role="eng"))
    out = agent.step(1, Received(sender="master", message=CheckpointResources(resources=dyn)))
    assert [e.key for e in of(out, Persist)] == [("resources",)]
    assert agent.total_resources().reserved("eng") == dyn
    assert agent.total_resources().scalars() == agent.agent_info.resources.scalars()
    assert agent.state_json()["reserved_resources"]["eng"]["cpus"] == 1.0
    out2 = agent.step(2, Received(sender="not-the-master", message=CheckpointResources(resources=Resources())))
    assert of(out2, Reject) and agent.checkpointed_resources == dyn
    disk = Recovered.empty().apply(effects + out)
    again = make_agent(seed="b", recover="reconnect")
    again.step(10, Start(recovered=disk))
    assert again.total_resources().reserved("eng") == dyn
    fresh = make_agent(seed="c", recover="cleanup")
    fresh.step(10, Start(recovered=disk))
    assert not fresh.checkpointed_resources
def test_container_limitation_fails_only_that_task() -> None:
    """A nested container's OOM: TASK_FAILED from the agent with Mesos's reason and message,
    the task's nested container goes, its neighbour keeps running; a whole-container
    limitation fails every live task the same way and destroys the container."""
    agent = make_agent()
    registered(agent)
    launched(agent, "t1")
    agent.step(1.5, Received(sender="master", message=RunTask(framework_info=FW, task=task("t2"))))
    cid = agent.executors[("fw1", CX)].container_id
    out = agent.step(2, ContainerLimitation(container_id=cid, task_id="t1", resource="mem",
                                            requested=64 << 20, used=64 << 20, stats=(("rss", 5),)))
    [upd] = sends(out, StatusUpdateMessage)
    st_ = upd.update.status
    assert (st_.task_id, st_.state, st_.source, st_.reason) == (
        "t1", S.TASK_FAILED, Source.SOURCE_AGENT, Reason.REASON_CONTAINER_LIMITATION_MEMORY)
    assert st_.message == "Memory limit exceeded: Requested: 64MB Maximum Used: 64MB\n\nMEMORY STATISTICS: \nrss 5\n"
    [uc] = of(out, UpdateContainer)
    assert uc.nested_remove == ("t1",) and uc.resources == Resources.parse("cpus:1;mem:32")
    assert not of(out, KillExecutor)
    # the executor is told to kill t1 at once (without cgroups, e.g. disk/du alone, nothing
    # else would); t2 is left alone
    assert sends(out, ExecutorKill) == [ExecutorKill(task_id="t1", kill_policy=KillPolicy(grace_period=0.0))]
    assert agent.tasks[("fw1", "t2")].state is S.TASK_STAGING
    # the executor's own report on t1 afterwards is acknowledged, not forwarded
    ids = IdSource(seed="x")
    out = agent.step(3, Received(sender="exec-t1", message=ExecutorUpdate(
        framework_id="fw1", executor_id=CX, status=status("t1", S.TASK_FAILED, ids))))
    assert sends(out, ExecutorAcknowledged) and not sends(out, StatusUpdateMessage)
    # a second limitation for the same task changes nothing
    assert not sends(agent.step(4, ContainerLimitation(container_id=cid, task_id="t1")), StatusUpdateMessage)
    out = agent.step(5, ContainerLimitation(container_id=cid, resource="disk", requested=1 << 20, used=2 << 20))
    assert of(out, KillExecutor) == [KillExecutor(container_id=cid, signal="SIGKILL")]
    out = agent.step(6, ExecutorExited(framework_id="fw1", executor_id=CX, container_id=cid, status=9))
    [upd] = sends(out, StatusUpdateMessage)
    assert upd.update.status.task_id == "t2"
    assert upd.update.status.reason is Reason.REASON_CONTAINER_LIMITATION_DISK
    assert upd.update.status.message == "Disk usage (2MB) exceeds quota (1MB)"
    assert of(out, DestroyContainer)
    with pytest.raises(ValueError, match="unknown resource"):
        ContainerLimitation(container_id=cid, resource="gpus")


# ---- an executor re-subscribing while its LAUNCHes are in flight (found by the exhaustive
# explorer: `mesotron check --exhaustive --failovers 0 --agent-restarts 0 --drops 0 --dups 0
# --delays 1 --early-timers --horizon 30` with an executor that retried SUBSCRIBE before
# SUBSCRIBED arrived: the agent reported TASK_DROPPED "launched during agent restart" though
# it never restarted, then the executor's TASK_STARTING broke LegalTaskTransitions)
def _custom_executor_running(agent: Agent) -> ExecutorInfo:
    ex, _container = custom_executor_launched(agent)
    out = agent.step(1, Received(sender="exec-e1", message=ExecutorSubscribe(
        framework_id="fw1", executor_id="e1")))
    assert sends(out, ExecutorLaunch) == [ExecutorLaunch(task=task("t1", executor=ex))]
    return ex


def _dropped(effects: list[Any]) -> list[Any]:
    return [e for e in of(effects, Persist) if getattr(e.record, "update", None) is not None
            and e.record.update.status.state in (S.TASK_DROPPED, S.TASK_LOST)]


def test_a_second_subscribe_on_a_live_subscription_is_refused_and_changes_nothing() -> None:
    agent = make_agent()
    _custom_executor_running(agent)
    before = agent.describe()
    # the retry, sent before SUBSCRIBED and LAUNCH(t1) arrived: it knows no task
    out = agent.step(2, Received(sender="exec-e1", message=ExecutorSubscribe(
        framework_id="fw1", executor_id="e1")))
    assert out == [Reject(sender="exec-e1", status=400, input=ExecutorSubscribe(
        framework_id="fw1", executor_id="e1"), message="Already subscribed on this connection")]
    assert agent.describe() == before
    # the LAUNCH in flight arrives: the executor's STARTING is a legal move of a live task
    ids = IdSource(seed="x")
    out = agent.step(3, Received(sender="exec-e1", message=ExecutorUpdate(
        framework_id="fw1", executor_id="e1", status=status("t1", S.TASK_STARTING, ids, "e1"))))
    assert not of(out, Reject)
    assert agent.frameworks["fw1"].executors["e1"].tasks["t1"].state is S.TASK_STARTING


def test_a_live_executor_on_a_new_connection_gets_its_lost_launches_again_not_dropped() -> None:
    agent = make_agent()
    ex = _custom_executor_running(agent)
    agent.step(2, Received(sender="master", message=RunTask(framework_info=FW,
                                                            task=task("t2", executor=ex))))
    # its connection breaks with LAUNCH(t1) and LAUNCH(t2) unread; the agent did not restart
    agent.step(3, Disconnected(peer="exec-e1"))
    out = agent.step(4, Received(sender="exec-e1b", message=ExecutorSubscribe(
        framework_id="fw1", executor_id="e1", unacknowledged_tasks=(task("t1", executor=ex),))))
    assert not _dropped(out)
    assert sends(out, ExecutorSubscribed)
    # t2 again on the new connection (t1 the executor has: not sent twice)
    assert [(e.to, e.message) for e in of(out, Send) if isinstance(e.message, ExecutorLaunch)] \
        == [("exec-e1b", ExecutorLaunch(task=task("t2", executor=ex)))]


def test_after_an_agent_restart_a_launch_the_executor_never_saw_is_dropped() -> None:
    agent = make_agent()
    effects = registered(agent) + launched(agent)  # t1 launched, the executor never saw it
    again = make_agent(seed="b", recover="reconnect")
    again.step(10, Start(recovered=Recovered.empty().apply(effects)))
    out = again.step(11, Received(sender="exec-t1-new", message=ExecutorSubscribe(
        framework_id="fw1", executor_id=CX)))
    (p,) = _dropped(out)
    assert p.record.update.status.reason is Reason.REASON_AGENT_RESTARTED
    assert not sends(out, ExecutorLaunch)
