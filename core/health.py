"""Health checks of the built-in command executor (Mesos `src/checks/health_checker.cpp`,
docs/health-checks.md), as part of the pure executor machine (core/executor.py mixes it in).

Timers in, checks out: the machine arms a timer per checked task; when it fires it asks the
shell to run the check once (`RunHealthCheck`, the shell applies `timeout_seconds` with
`trio.fail_after` and runs COMMAND / HTTP / TCP checks, io/daemons/executor.py); the shell
answers with `HealthCheckResult`. Everything else is decided here:

- The first check runs `delay_seconds` after the task starts; each next one
  `interval_seconds` after the previous result.
- `grace_period_seconds` (counted from the task's start, so it covers the delay) ignores
  failures until the grace period is over or the first success, whichever comes first.
- A success after none (or after failures) sends TASK_RUNNING with `healthy=true`; every
  counted failure sends TASK_RUNNING with `healthy=false` (reason
  REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, the message says what failed).
- After `consecutive_failures` failures in a row the executor kills the task with its kill
  policy (TASK_KILLING when the framework has TASK_KILLING_STATE, SIGTERM, SIGKILL after the
  grace); its terminal TASK_KILLED carries `healthy=false`.
- A result for an older run of the check (a stale `seq`) or a task no longer running is
  dropped.

Reads/writes: `CommandExecutor.tasks` (read), `health` (its own state).
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.effects import CancelTimer, Log, SetTimer
from mesotron.core.values import HealthCheck, Reason, TaskState

HEALTH = "exec-health"  # timer key (HEALTH, task_id)


def health_timer(task_id: str) -> tuple[str, str]:
    return (HEALTH, task_id)


@attrs.frozen(kw_only=True, slots=True)
class RunHealthCheck:
    """Effect: run `check` once for the task (in its sandbox for COMMAND checks, against
    127.0.0.1 for HTTP/TCP), within `check.timeout_seconds` (0: no timeout), and answer with
    `HealthCheckResult(task_id, seq, ...)`."""

    task_id: str
    check: HealthCheck
    seq: int


@attrs.frozen(kw_only=True, slots=True)
class HealthCheckResult:
    """Input: the outcome of the `RunHealthCheck` numbered `seq` for the task."""

    task_id: str
    seq: int
    healthy: bool
    message: str = ""


@attrs.define(slots=True)
class HealthState:
    check: HealthCheck
    started_at: float
    seq: int = 0
    consecutive: int = 0
    healthy: bool | None = None  # last reported
    succeeded: bool = False  # a check succeeded once (the grace period is over)
    killed: bool = False  # the executor killed the task for failing its checks


class HealthMixin:
    """Health-check state and transitions for CommandExecutor (see the module docstring)."""

    tasks: dict[str, Any]
    health: dict[str, HealthState]
    framework_info: Any

    def _update(self, now: float, run: Any, state: TaskState, message: str, *,
                healthy: bool | None = None, reason: Reason | None = None) -> list[Any]:
        raise NotImplementedError  # CommandExecutor

    def _kill(self, now: float, run: Any, grace: float, *, killing_update: bool) -> list[Any]:
        raise NotImplementedError  # CommandExecutor

    def _health_start(self, now: float, run: Any) -> list[Any]:
        check = run.info.health_check
        if check is None:
            return []
        tid = run.info.task_id
        self.health[tid] = HealthState(check=check, started_at=now)
        return [SetTimer(key=health_timer(tid), at=now + check.delay_seconds)]

    def _health_stop(self, task_id: str) -> list[Any]:
        if self.health.pop(task_id, None) is None:
            return []
        return [CancelTimer(key=health_timer(task_id))]

    def _health_killed(self, task_id: str) -> bool:
        st = self.health.get(task_id)
        return st is not None and st.killed

    def _health_live(self, task_id: str) -> Any:
        run = self.tasks.get(task_id)
        if run is None or run.process != "running" or run.killing or run.terminal_sent:
            return None
        return run

    def _health_timer(self, now: float, task_id: str) -> list[Any]:
        st = self.health.get(task_id)
        if st is None or st.killed or self._health_live(task_id) is None:
            return []
        st.seq += 1
        return [RunHealthCheck(task_id=task_id, check=st.check, seq=st.seq)]

    def _health_result(self, now: float, r: HealthCheckResult) -> list[Any]:
        st = self.health.get(r.task_id)
        run = self._health_live(r.task_id)
        if st is None or run is None or st.killed or r.seq != st.seq:
            return [Log(level="debug", event="executor.health.stale", fields=(("task", r.task_id),))]
        check = st.check
        out: list[Any] = [SetTimer(key=health_timer(r.task_id), at=now + check.interval_seconds)]
        if r.healthy:
            st.succeeded = True
            st.consecutive = 0
            if st.healthy is not True:
                st.healthy = True
                out += self._update(now, run, TaskState.TASK_RUNNING, "", healthy=True,
                                    reason=Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED)
            return out
        if not st.succeeded and now < st.started_at + check.grace_period_seconds:
            return out + [Log(level="info", event="executor.health.failure_in_grace_period",
                              fields=(("task", r.task_id), ("message", r.message)))]
        st.consecutive += 1
        st.healthy = False
        out += self._update(now, run, TaskState.TASK_RUNNING, r.message, healthy=False,
                            reason=Reason.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED)
        if st.consecutive >= check.consecutive_failures:
            st.killed = True
            out.append(CancelTimer(key=health_timer(r.task_id)))
            grace = self._health_kill_grace(run)
            out.append(Log(level="warn", event="executor.health.kill",
                           fields=(("task", r.task_id), ("failures", st.consecutive))))
            out += self._kill(now, run, grace, killing_update=True)
        return out

    def _health_kill_grace(self, run: Any) -> float:
        kp = run.info.kill_policy
        if kp is not None and kp.grace_period is not None:
            return float(kp.grace_period)
        return float(getattr(self, "config").default_kill_grace)  # noqa: B009 - CommandExecutor's
