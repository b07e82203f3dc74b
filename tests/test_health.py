"""Health checks of the command executor: the pure part (core/health.py inside
core/executor.py) on virtual time, and real COMMAND / HTTP / TCP checks run by the real
executor against a real task.

Ports of Mesos's HealthCheckTest (src/tests/health_check_tests.cpp), named per test:
HealthyTask, HealthyTaskViaHTTP, HealthyTaskViaTCP, ConsecutiveFailures, HealthStatusChange,
HealthyToUnhealthyTransitionWithinGracePeriod (grace period), and PartitionTest
FailHealthChecksTwice (two failures in a row kill a task whose consecutive_failures is 2).
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest
import trio
from mesotron.core.effects import CancelTimer, Received, Send, SetTimer, TimerFired
from mesotron.core.executor import (
    CommandExecutor,
    CommandExecutorConfig,
    SignalTaskProcess,
    Start,
    TaskProcessExited,
)
from mesotron.core.health import HealthCheckResult, RunHealthCheck, health_timer
from mesotron.core.ids import IdSource
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    ExecutorLaunch,
    ExecutorSubscribed,
    ExecutorUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    HealthCheck,
    KillPolicy,
    Reason,
    TaskInfo,
    TaskState,
    TaskStatus,
)

S = TaskState
AGENT = "agent"
EX = "mesotron-command-fw1"
FW = FrameworkInfo(user="u", name="f", id="fw1", checkpoint=True)
HT = health_timer("t1")


def cmd_check(**kw: Any) -> HealthCheck:
    return HealthCheck(type="COMMAND", command=CommandInfo(value="true"), **kw)


def started(check: HealthCheck, fw: FrameworkInfo = FW, grace: float | None = None) -> tuple[CommandExecutor, list[Any]]:
    ex = CommandExecutor(pid="exec-1", framework_id="fw1", executor_id=EX, agent_pid=AGENT,
                         ids=IdSource(seed="h"), config=CommandExecutorConfig(checkpoint=True))
    ex.step(0, Start())
    ex.step(0, Received(sender=AGENT, message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id=EX), framework_info=fw,
        agent_info=AgentInfo(hostname="h", id="S1"), container_id="c1")))
    t = TaskInfo(name="t1", task_id="t1", agent_id="S1", command=CommandInfo(value="sleep 100"),
                 health_check=check, kill_policy=KillPolicy(grace_period=grace) if grace is not None else None)
    return ex, ex.step(0, Received(sender=AGENT, message=ExecutorLaunch(task=t)))


def updates(effects: list[Any]) -> list[TaskStatus]:
    return [e.message.status for e in effects if isinstance(e, Send) and isinstance(e.message, ExecutorUpdate)]


def check_once(ex: CommandExecutor, now: float, healthy: bool, message: str = "") -> list[Any]:
    out = ex.step(now, TimerFired(key=HT))
    [run] = [e for e in out if isinstance(e, RunHealthCheck)]
    return out + ex.step(now, HealthCheckResult(task_id="t1", seq=run.seq, healthy=healthy, message=message))


# ------------------------------------------------------------------ the machine
def test_first_check_after_delay_then_interval_and_healthy_forwarded_once() -> None:
    """HealthCheckTest.HealthyTask / HealthStatusChange: the first success is forwarded
    (healthy=true, REASON_TASK_HEALTH_CHECK_STATUS_UPDATED), later successes are not; every
    failure is, and the first success after it again."""
    ex, out = started(cmd_check(delay_seconds=2, interval_seconds=5, grace_period_seconds=0,
                                consecutive_failures=3))
    assert SetTimer(key=HT, at=2) in out
    out = check_once(ex, 2, True)
    [u] = updates(out)
    assert (u.state, u.healthy, u.reason) == (S.TASK_RUNNING, True, Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED)
    assert SetTimer(key=HT, at=7) in out
    assert updates(check_once(ex, 7, True)) == []
    [u] = updates(check_once(ex, 12, False, "Command health check failed: exited with status 1"))
    assert (u.healthy, u.message) == (False, "Command health check failed: exited with status 1")
    [u] = updates(check_once(ex, 17, False))
    assert u.healthy is False  # every unhealthy one is forwarded
    [u] = updates(check_once(ex, 22, True))
    assert u.healthy is True


def test_consecutive_failures_kill_with_the_kill_policy() -> None:
    """HealthCheckTest.ConsecutiveFailures and PartitionTest.FailHealthChecksTwice: after
    `consecutive_failures` failures in a row the executor kills the task (TASK_KILLING with
    the capability, SIGTERM, SIGKILL after the task's grace); TASK_KILLED carries healthy=false."""
    fw = FrameworkInfo(user="u", name="f", id="fw1", checkpoint=True,
                       capabilities=frozenset({Capability.TASK_KILLING_STATE}))
    ex, _ = started(cmd_check(delay_seconds=0, interval_seconds=1, grace_period_seconds=0,
                              consecutive_failures=2), fw=fw, grace=1.5)
    check_once(ex, 0, False)
    out = check_once(ex, 1, True)  # a success resets the count
    out = check_once(ex, 2, False)
    assert SignalTaskProcess(task_id="t1", signal="SIGTERM") not in out
    out = check_once(ex, 3, False)
    assert [u.state for u in updates(out)] == [S.TASK_RUNNING, S.TASK_KILLING]
    assert SignalTaskProcess(task_id="t1", signal="SIGTERM") in out and CancelTimer(key=HT) in out
    assert ex.step(4, TimerFired(key=HT)) == []  # no more checks once killed
    out = ex.step(4.5, TaskProcessExited(task_id="t1", exit_status=143, signal=15))
    [u] = updates(out)
    assert (u.state, u.healthy) == (S.TASK_KILLED, False)


def test_grace_period_ignores_failures_until_first_success_or_its_end() -> None:
    """HealthCheckTest grace period: failures within grace_period_seconds of the start are
    not counted (not forwarded, no kill); after the first success, they count at once."""
    ex, _ = started(cmd_check(delay_seconds=0, interval_seconds=1, grace_period_seconds=5,
                              consecutive_failures=1))
    for t in (0, 1, 2, 3, 4):
        out = check_once(ex, t, False)
        assert updates(out) == [] and not any(isinstance(e, SignalTaskProcess) for e in out)
    out = check_once(ex, 5, False)  # the grace period is over
    assert [u.healthy for u in updates(out)] == [False]
    assert SignalTaskProcess(task_id="t1", signal="SIGTERM") in out
    ex2, _ = started(cmd_check(delay_seconds=0, interval_seconds=1, grace_period_seconds=60,
                               consecutive_failures=1))
    check_once(ex2, 0, True)  # first success ends the grace period
    out = check_once(ex2, 1, False)
    assert [u.healthy for u in updates(out)] == [False] and any(isinstance(e, SignalTaskProcess) for e in out)


def test_stale_results_and_dead_tasks_are_ignored() -> None:
    ex, _ = started(cmd_check(delay_seconds=0, grace_period_seconds=0, consecutive_failures=1))
    out = ex.step(0, TimerFired(key=HT))
    [run] = [e for e in out if isinstance(e, RunHealthCheck)]
    ex.step(1, TimerFired(key=HT))  # a newer run of the check is in flight
    out = ex.step(2, HealthCheckResult(task_id="t1", seq=run.seq, healthy=False))
    assert updates(out) == [] and not any(isinstance(e, SignalTaskProcess) for e in out)
    ex.step(3, TaskProcessExited(task_id="t1", exit_status=0))
    assert ex.step(4, TimerFired(key=HT)) == []
    assert updates(ex.step(4, HealthCheckResult(task_id="t1", seq=run.seq + 1, healthy=False))) == []
    assert ex.step(4, HealthCheckResult(task_id="nope", seq=1, healthy=True))[0].event == "executor.health.stale"


def test_health_check_values_validate_themselves() -> None:
    for bad in ({"type": "COMMAND"}, {"type": "HTTP"}, {"type": "TCP", "tcp_port": 70000},
                {"type": "HTTP", "http_port": 80, "http_scheme": "gopher"}, {"type": "UDP"},
                {"type": "TCP", "tcp_port": 1, "interval_seconds": -1}):
        with pytest.raises(ValueError):
            HealthCheck(**bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------ real checks
@pytest.fixture(autouse=True)
def _collect() -> Any:
    yield
    gc.collect()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_real_command_http_and_tcp_checks(tmp_path: Any) -> None:
    """HealthCheckTest.HealthyTaskViaHTTP / HealthyTaskViaTCP / ConsecutiveFailures with real
    processes: a task serving HTTP on its port is healthy by HTTP and TCP checks; a task
    whose command check fails is killed after 2 failures (healthy=false updates first)."""
    from mesotron.io.wire.scheduler_client import SchedulerClient
    from testkit import Cluster

    seen: dict[str, list[TaskStatus]] = {}
    with Cluster(str(tmp_path), agents=1, resources="cpus:4;mem:1024;ports:[31000-31100]",
                 master_flags=("--allocation-interval", "50ms")) as c:
        async def main() -> None:
            info = FrameworkInfo(user="root", name="health")
            fast = {"delay_seconds": 0.2, "interval_seconds": 0.3, "timeout_seconds": 5, "grace_period_seconds": 0}
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, info) as s:
                    launched = False
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            for o in ev.offers:
                                if launched:
                                    await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=60)))
                                    continue
                                launched = True
                                port = o.resources.ranges("ports")[0][0]
                                serve = f"{sys.executable} -m http.server {port} --bind 127.0.0.1"
                                tasks = (
                                    TaskInfo(name="web", task_id="web", agent_id=o.agent_id,
                                             resources=Resources.parse(f"cpus:0.1;mem:32;ports:[{port}-{port + 1}]"),
                                             command=CommandInfo(value=serve),
                                             health_check=HealthCheck(type="HTTP", http_port=port, **fast)),
                                    TaskInfo(name="tcp", task_id="tcp", agent_id=o.agent_id,
                                             resources=Resources.parse("cpus:0.1;mem:32"),
                                             command=CommandInfo(value="sleep 60"),
                                             health_check=HealthCheck(type="TCP", tcp_port=port, **fast)),
                                    TaskInfo(name="sick", task_id="sick", agent_id=o.agent_id,
                                             resources=Resources.parse("cpus:0.1;mem:32"),
                                             command=CommandInfo(value="sleep 60"),
                                             kill_policy=KillPolicy(grace_period=0.5),
                                             health_check=HealthCheck(
                                                 type="COMMAND", command=CommandInfo(value="test -f nonexistent"),
                                                 consecutive_failures=2, **fast)),
                                )
                                await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                            await s.call(CallSuppress())
                        elif isinstance(ev, EventUpdate):
                            st = ev.status
                            seen.setdefault(st.task_id, []).append(st)
                            if st.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                            healthy = {t for t, sts in seen.items() if any(x.healthy for x in sts)}
                            done = any(x.state.is_terminal for x in seen.get("sick", []))
                            if {"web", "tcp"} <= healthy and done:
                                await s.call(CallTeardown())
                                return

        trio.run(main)
    sick = seen["sick"]
    assert [x.healthy for x in sick if x.state is S.TASK_RUNNING and x.healthy is not None] == [False, False]
    assert sick[-1].state is S.TASK_KILLED and sick[-1].healthy is False
    assert "exited with status 1" in next(x for x in sick if x.healthy is False).message
    for t in ("web", "tcp"):
        first = next(x for x in seen[t] if x.healthy is not None)
        assert first.healthy is True and first.reason is Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
