"""Sibling timers (docs/timers.md): every pair of timers where one side's retry schedule
must fit the other side's timeout, checked over the daemons' flag defaults and the machines'
own schedules (driven through `step`, not read from constants)."""

from __future__ import annotations

import argparse
import itertools
from typing import Any

from mesotron.core.agent.machine import Agent, AgentConfig, MasterDetected
from mesotron.core.agent.machine import Start as AgentStart
from mesotron.core.effects import Disconnected, Received, Send, SetTimer, TimerFired
from mesotron.core.executor import (
    SUBSCRIBE_TIMER,
    CommandExecutor,
    CommandExecutorConfig,
    Start,
    format_duration,
    subscription_backoff_max_for,
)
from mesotron.core.ids import IdSource
from mesotron.core.master.base import MasterConfig
from mesotron.core.messages import ExecutorSubscribe, ExecutorSubscribed
from mesotron.core.resources import Resources
from mesotron.core.scheduler import RETRY_TIMER, CallResponse, SchedulerConfig, SchedulerDriver
from mesotron.core.scheduler import Start as SchedulerStart
from mesotron.core.values import AgentInfo, ExecutorInfo, FrameworkInfo
from mesotron.io.daemons import agent as agent_daemon
from mesotron.io.daemons import master as master_daemon


def defaults(add_arguments: Any) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    return argparse.Namespace(**{a.dest: p.get_default(a.dest) for a in p._actions
                                 if a.dest != "help"})


AGENT = defaults(agent_daemon.add_arguments)
MASTER = defaults(master_daemon.add_arguments)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# ---------------------------------------------------------------- executor vs agent
def executor_attempts(cfg: CommandExecutorConfig, seed: str, lost_at: float = 10.0,
                      until: float = 200.0) -> list[float]:
    """A checkpointing executor loses its agent at `lost_at`; every re-SUBSCRIBE is refused
    (the agent is down). Returns `lost_at` and the times of its attempts."""
    ex = CommandExecutor(pid="e", framework_id="f", executor_id="x", agent_pid="a",
                         ids=IdSource(seed=seed), config=cfg)
    ex.step(0, Start())
    ex.step(0, Received(sender="a", message=ExecutorSubscribed(
        executor_info=ExecutorInfo(executor_id="x"), framework_info=FrameworkInfo(
            user="u", name="n", id="f", checkpoint=True), agent_info=AgentInfo(hostname="h"),
        container_id="c")))
    out = ex.step(lost_at, Disconnected(peer="a"))
    times = [lost_at]
    while True:
        at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == SUBSCRIBE_TIMER)
        if at > until:
            return times
        out = ex.step(at, TimerFired(key=SUBSCRIBE_TIMER))
        assert isinstance(out[0], Send) and isinstance(out[0].message, ExecutorSubscribe)
        times.append(at)
        out += ex.step(at, Disconnected(peer="a"))


def test_executor_resubscribe_gap_fits_executor_reregistration_timeout() -> None:
    """gap(executor re-SUBSCRIBE) < MESOS_SUBSCRIPTION_BACKOFF_MAX = W/2 < W
    (W = the agent's --executor-reregistration-timeout, default 2 s)."""
    w = AGENT.executor_reregistration_timeout
    assert w == AgentConfig().executor_reregistration_timeout == 2.0
    env = {"MESOS_CHECKPOINT": "1",
           "MESOS_SUBSCRIPTION_BACKOFF_MAX": format_duration(subscription_backoff_max_for(w))}
    cfg = CommandExecutorConfig.from_env(env)
    assert cfg.subscription_backoff_max == w / 2
    for seed in map(str, range(30)):
        assert max(gaps(executor_attempts(cfg, seed))) < w / 2
    # an executor started without that variable (another agent, pymesos) still fits: < 2 s
    for seed in map(str, range(30)):
        assert max(gaps(executor_attempts(CommandExecutorConfig(checkpoint=True), seed))) < w


def test_executor_waits_for_its_agent_as_long_as_the_agent_may_take_to_recover() -> None:
    """executor recovery_timeout (MESOS_RECOVERY_TIMEOUT) == agent --recovery-timeout."""
    assert CommandExecutorConfig().recovery_timeout == AgentConfig().recovery_timeout == 900.0


def test_new_executor_subscribes_well_within_executor_registration_timeout() -> None:
    """gap(first SUBSCRIBEs of a new executor) < 2 s << --executor-registration-timeout."""
    cfg = CommandExecutorConfig(checkpoint=False)
    ex = CommandExecutor(pid="e", framework_id="f", executor_id="x", agent_pid="a",
                         ids=IdSource(seed="s"), config=cfg)
    out = ex.step(0, Start())
    first = next(e.at for e in out if isinstance(e, SetTimer))
    assert first < 1.0 < cfg.subscription_backoff_max < AgentConfig().executor_registration_timeout


# ---------------------------------------------------------------- agent vs master
def test_agent_reregistration_retry_fits_agent_reregister_timeout() -> None:
    """gap(agent (re-)registration attempts) <= --registration-backoff max (60 s)
    < master --agent-reregister-timeout (600 s)."""
    cfg = AgentConfig(registration_backoff_factor=AGENT.registration_backoff_factor)
    a = Agent(pid="slave(1)@h:5051", agent_info=AgentInfo(hostname="h", port=5051,
              resources=Resources.parse("cpus:1;mem:64")), ids=IdSource(seed="a"), config=cfg)
    a.step(0, AgentStart())
    out = a.step(0, MasterDetected(pid="master"))
    times = [0.0]
    for _ in range(20):
        at = next(e.at for e in out if isinstance(e, SetTimer) and e.key == ("agent-register",))
        out = a.step(at, TimerFired(key=("agent-register",)))
        times.append(at)
    assert max(gaps(times)) <= cfg.registration_backoff_max == 60.0
    assert cfg.registration_backoff_max < MASTER.agent_reregister_timeout == \
        MasterConfig().agent_reregister_timeout == 600.0


def test_agent_and_master_agree_on_the_ping_timeout() -> None:
    """agent master_ping_timeout == master agent_ping_timeout x max_agent_ping_timeouts."""
    total = MASTER.agent_ping_timeout * MASTER.max_agent_ping_timeouts
    assert total == MasterConfig().agent_ping_timeout * MasterConfig().max_agent_ping_timeouts
    assert AgentConfig().master_ping_timeout == total == 75.0


def test_zookeeper_session_is_shorter_than_the_ping_timeouts() -> None:
    """--zk-session-timeout (10 s) < agent_ping_timeout (15 s) < ping total (75 s): a master
    cut from ZooKeeper loses its session, and a standby takes over, before the cut-off master
    could miss even one agent ping round and mark agents unreachable."""
    assert MASTER.zk_session_timeout == AGENT.zk_session_timeout == 10.0
    assert MASTER.zk_session_timeout < MASTER.agent_ping_timeout < \
        MASTER.agent_ping_timeout * MASTER.max_agent_ping_timeouts


# ---------------------------------------------------------------- framework vs master
def test_framework_resubscribe_gap_is_bounded_for_failover_timeout() -> None:
    """gap(scheduler re-SUBSCRIBE attempts) <= backoff_max + subscribe_timeout (70 s): a
    framework keeps its tasks across a scheduler/master disconnection only if its
    failover_timeout exceeds that (Mesos's default failover_timeout 0 tears the framework
    down at once)."""
    info = FrameworkInfo(user="u", name="n", failover_timeout=120.0)
    cfg = SchedulerConfig(framework_info=info)
    d = SchedulerDriver(name="s", config=cfg)
    out = d.step(0, SchedulerStart())
    times = [0.0]
    now = 0.0
    for k in range(30):
        sub = next(e.message for e in out if isinstance(e, Send))
        if k % 2:  # the master refuses at once (503: no leader yet) ...
            out = d.step(now, CallResponse(request=sub.request, status=503, message="no"))
        else:  # ... or never answers: the subscribe times out
            now = next(e.at for e in out if isinstance(e, SetTimer) and e.key == RETRY_TIMER)
            out = d.step(now, TimerFired(key=RETRY_TIMER))
        now = next(e.at for e in out if isinstance(e, SetTimer) and e.key == RETRY_TIMER)
        out = d.step(now, TimerFired(key=RETRY_TIMER))
        assert any(isinstance(e, Send) for e in out)
        times.append(now)
    assert max(gaps(times)) <= cfg.backoff_max + cfg.subscribe_timeout == 70.0
    assert info.failover_timeout > cfg.backoff_max + cfg.subscribe_timeout
