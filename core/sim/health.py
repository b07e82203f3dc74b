"""Health checks in the simulator: the world's side (outcomes drawn from the seed) and the
checker's reference model behind the `HealthChecksKill` property (core/invariants.py).

Opt-in (`SimConfig.health`, `mesotron sim --health-checks`), so existing seeds replay
unchanged: the tasks of the `service` and `batch` frameworks then carry `HEALTH_CHECK`; the
real `CommandExecutor` (core/executor.py + core/health.py) arms its timers and asks for
checks (`RunHealthCheck`); the world answers each with `HealthCheckResult` a few ms later.
A task turns sick at a time drawn when its first check runs (never for most; from the
start for some: those fail inside the grace period and are killed after it), after which
every check fails; a healthy task fails a check now and then (a transient failure). So the
kill path (unhealthy updates, TASK_KILLING, TASK_KILLED with healthy=false) runs under every
fault the run injects, and the whole catalog watches it.

`HealthModel` is the checker's independent reading of Mesos's health checker
(docs/health-checks.md): failures count only after the grace period (from the task's start)
or after a first success; a success resets the count; the executor must kill the task at
the result that brings the count to `consecutive_failures`, and never before.
"""

from __future__ import annotations

import math
import random
from typing import Any

from mesotron.core.health import HealthCheckResult, RunHealthCheck
from mesotron.core.values import CommandInfo, HealthCheck

HEALTH_CHECK = HealthCheck(type="COMMAND", command=CommandInfo(value="check"), delay_seconds=1.0,
                           interval_seconds=3.0, timeout_seconds=2.0, consecutive_failures=3,
                           grace_period_seconds=10.0)
P_SICK = 0.3  # a task turns sick at some point (then every check fails) ...
P_BORN_SICK = 0.4  # ... from its start, for this share of them (never healthy: killed after the grace)
P_TRANSIENT = 0.1  # a healthy task's check fails anyway


class HealthOutcomes:
    """The world's side: when a task turns sick, and each check's outcome (seeded)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sick_at: dict[tuple[str, str], float] = {}

    def result(self, now: float, container: str, e: RunHealthCheck) -> tuple[float, HealthCheckResult]:
        rng = self.rng
        key = (container, e.task_id)
        sick_at = self.sick_at.get(key)
        if sick_at is None:
            if rng.random() < P_SICK:
                sick_at = now if rng.random() < P_BORN_SICK else now + rng.uniform(0.0, 60.0)
            else:
                sick_at = math.inf
            self.sick_at[key] = sick_at
        healthy = now < sick_at and rng.random() >= P_TRANSIENT
        return rng.uniform(0.001, 0.2), HealthCheckResult(
            task_id=e.task_id, seq=e.seq, healthy=healthy,
            message="" if healthy else "Command returned exit status 1")


class HealthModel:
    """The checker's reference: per (executor, task) the failures that count."""

    def __init__(self) -> None:
        # (executor node, task id) -> [check, started at, succeeded once, consecutive]
        self.tasks: dict[tuple[str, str], list[Any]] = {}
        self.results = 0  # results that counted (task live)
        self.kills = 0  # tasks the executor killed for failing their checks

    def on_task_start(self, now: float, x: Any, task_id: str) -> None:
        run = x.machine.tasks.get(task_id)
        check = run.info.health_check if run is not None else None
        if check is not None:
            self.tasks[(x.name, task_id)] = [check, now, False, 0]

    def on_result(self, now: float, x: Any, r: HealthCheckResult,
                  effects: list[Any]) -> tuple[tuple[str, str], int, int, bool] | None:
        """After the executor stepped on `r`: (task, counted consecutive failures, needed,
        killed in this step), or None when the result does not count (task not live)."""
        key = (x.name, r.task_id)
        st = self.tasks.get(key)
        if st is None:
            return None
        killed = any(type(e).__name__ == "SignalTaskProcess" and e.task_id == r.task_id
                     for e in effects)
        run = x.machine.tasks.get(r.task_id)
        live = killed or (run is not None and run.process == "running" and not run.killing
                          and not run.terminal_sent)
        if not live:
            del self.tasks[key]
            return None
        self.results += 1
        check, started, succeeded, consecutive = st
        if r.healthy:
            st[2], st[3] = True, 0
        elif succeeded or now >= started + check.grace_period_seconds:
            st[3] = consecutive = consecutive + 1
        if killed:
            self.kills += 1
            del self.tasks[key]
        return (x.framework_id, r.task_id), st[3], check.consecutive_failures, killed
