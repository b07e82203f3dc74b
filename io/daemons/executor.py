"""`mesotron executor` / `python -m mesotron.io.daemons.executor`: the built-in command executor.

Runs the pure `core.executor.CommandExecutor` machine as a real process speaking the v1
executor HTTP API to its agent (`MESOS_AGENT_ENDPOINT`): SUBSCRIBE as a RecordIO stream,
UPDATEs as POSTs on one keep-alive connection (in order). ONE such process runs all of a
framework's command tasks on an agent (executor id `mesotron-command-<framework id>`).

Each task runs as `/bin/sh -c <value>` (or argv) in its own process group (the executor's
session, so destroying the container reaches every task), spawned without a Python
pre-exec hook (subprocess then uses vfork), in its own sandbox
`<executor sandbox>/tasks/<task id>/` with `stdout`/`stderr` files there (the layout of
Mesos's default executor, which also runs many tasks); MESOS_SANDBOX points at it. Its exit
is awaited on a pidfd (no thread), and reported with the real exit status or signal.

Start-up cost matters less now (one executor per framework and agent), but imports are
still kept to trio, h11 and the spec/core modules the machine needs.
"""

from __future__ import annotations

import argparse
import math
import os
import signal as sig
import subprocess
import sys
import time
import zlib
from typing import Any

import trio
from google.protobuf.message import DecodeError
from mesotron.core.agent.isolation import task_sandbox_name
from mesotron.core.effects import CancelTimer, Disconnected, Log, Received, Send, SetTimer
from mesotron.core.executor import (
    CommandExecutor,
    CommandExecutorConfig,
    ExitExecutor,
    SignalTaskProcess,
    Start,
    StartTaskProcess,
    TaskProcessExited,
)
from mesotron.core.health import HealthCheckResult, RunHealthCheck
from mesotron.core.ids import IdSource
from mesotron.core.messages import ExecutorSubscribe
from mesotron.io.daemons.loop import EffectLoop
from mesotron.io.http.client import H11Client, HTTPError
from mesotron.io.http.tls import client_context_from_env
from mesotron.io.wire.transport import driver_frame
from mesotron.spec import codec_executor, executor_pb2
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import PROTOBUF, RecordIOReader, WireError, from_protobuf

AGENT = "agent"
UPDATE_LANES = 4
DRIVER_ENDPOINT_ENV = "MESOTRON_AGENT_DRIVER_ENDPOINT"  # io/agent_driver.ENV_ENDPOINT
# protobuf on the wire, as Mesos's executor library: protobuf's JSON mapping costs ~0.5 ms
# per message to parse (pure Python), the binary format a few microseconds, on both sides
HEADERS = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default="info")


class _Log:
    """A minimal logger: key=value lines on stderr (the executor's stderr file in its
    sandbox). Not structlog: importing it (and its dependencies) costs the command
    executor's start-up budget, and every task launch of a new framework on an agent waits
    for that start-up. Every line carries `daemon=executor` and the ids the agent gave the
    executor (framework_id, executor_id, agent_id); `task=` is written `task_id=`."""

    def __init__(self, level: str = "info", env: dict[str, str] | None = None) -> None:
        self.debug_on = level == "debug"
        env = os.environ if env is None else env
        ids = (("framework_id", env.get("MESOS_FRAMEWORK_ID")),
               ("executor_id", env.get("MESOS_EXECUTOR_ID")),
               ("agent_id", env.get("MESOS_SLAVE_ID") or env.get("MESOS_AGENT_ID")))
        self.ids = " ".join(f"{k}={v}" for k, v in ids if v)

    def _emit(self, level: str, event: str, **kw: Any) -> None:
        if "task" in kw:
            kw["task_id"] = kw.pop("task")
        fields = " ".join(f"{k}={v}" for k, v in kw.items())
        print(f"{time.strftime('%H:%M:%S')} {level} {event} daemon=executor {self.ids} {fields}",
              file=sys.stderr, flush=True)

    def debug(self, event: str, **kw: Any) -> None:
        if self.debug_on:
            self._emit("debug", event, **kw)

    def info(self, event: str, **kw: Any) -> None:
        self._emit("info", event, **kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._emit("warning", event, **kw)

    warn = warning

    def error(self, event: str, **kw: Any) -> None:
        self._emit("error", event, **kw)


class ExecutorProcess:
    def __init__(self, env: dict[str, str], log: _Log) -> None:
        self.env = env
        self.log = log
        self.endpoint = env["MESOS_AGENT_ENDPOINT"]
        host, _, port = self.endpoint.rpartition(":")
        self.path = "/api/v1/executor"
        # SUBSCRIBE's stream on its own connection; UPDATEs on UPDATE_LANES keep-alive
        # connections, a task's updates always on the same one (in order), so that one slow
        # round trip does not hold up every other task's updates
        # TLS when the agent runs with it (its LIBPROCESS_SSL_* variables, inherited)
        ssl_ctx = self.ssl_ctx = client_context_from_env(env)
        self.http = H11Client(host, int(port), ssl_context=ssl_ctx)
        self.lanes = [H11Client(host, int(port), ssl_context=ssl_ctx) for _ in range(UPDATE_LANES)]
        # the agent's driver wire (io/wire/agent_driver.py), when it offers one: SUBSCRIBE and
        # every call as frames on one persistent connection, events back on it
        self.driver_endpoint = env.get(DRIVER_ENDPOINT_ENV) or None
        self.link: Any = None  # the driver connection while subscribed on it
        self.framework_id = env["MESOS_FRAMEWORK_ID"]
        self.executor_id = env["MESOS_EXECUTOR_ID"]
        self.sandbox = env.get("MESOS_SANDBOX") or os.getcwd()
        self.machine = CommandExecutor(
            pid=f"executor({self.executor_id})", framework_id=self.framework_id,
            executor_id=self.executor_id, agent_pid=AGENT,
            ids=IdSource(seed=os.urandom(8).hex()), config=CommandExecutorConfig.from_env(env))
        self.loop = EffectLoop(self.machine, log, name="executor")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}  # task id -> its running process
        self.base_env = dict(os.environ)
        # unbounded: an update is never dropped (the machine holds it until acknowledged)
        self.channels = [trio.open_memory_channel[Any](math.inf) for _ in range(UPDATE_LANES)]
        self.exit_status: int | None = None
        self.done = trio.Event()
        self.nursery: trio.Nursery | None = None
        lp = self.loop
        lp.on(Send, self._send)
        lp.on(StartTaskProcess, self._start_task)
        lp.on(SignalTaskProcess, self._signal_task)
        lp.on(ExitExecutor, self._exit)
        lp.on(RunHealthCheck, self._health_check)
        lp.on(SetTimer, lp._set_timer)
        lp.on(CancelTimer, lp._cancel_timer)
        lp.on(Log, lambda e: getattr(log, e.level if e.level != "warn" else "warning", log.info)(
            e.event, **dict(e.fields)))

    # ------------------------------------------------------------------ effects
    def _send(self, e: Send) -> None:
        if isinstance(e.message, ExecutorSubscribe):
            # one connection per SUBSCRIBE; the machine sends at most one at a time and is
            # told (Disconnected) when its connection ends, whatever the outcome
            assert self.nursery is not None
            self.nursery.start_soon(self._subscribe, e.message)
        elif self.link is not None:
            # fire-and-forget, in order on the one connection; a refusal comes back as a
            # driver_error frame (logged); an update lost with a broken connection is still
            # in the machine's unacknowledged updates and goes out again with the SUBSCRIBE
            self.link.send_frame(driver_frame(
                "executor_call", codec_executor.encode_call(e.message).SerializeToString()))
        else:
            task_id = getattr(getattr(e.message, "status", None), "task_id", "")
            lane = zlib.crc32(task_id.encode()) % UPDATE_LANES
            self.channels[lane][0].send_nowait(e.message)

    def _start_task(self, e: StartTaskProcess) -> None:
        cmd = e.command
        join = _task_cgroups(self.base_env, e.task_id)
        if cmd.shell:
            # the task's shell joins its nested cgroups itself, before the command runs
            # (a cgroup move can sleep in the kernel: better there than in this event loop)
            argv = ["/bin/sh", "-c", _join_prefix(join) + (cmd.value or "")]
            join = []
        else:
            argv = [cmd.value or "", *cmd.arguments[1:]] if cmd.arguments else [cmd.value or ""]
        env = self.base_env.copy()
        env.update(dict(cmd.environment))
        env.update(dict(e.env))
        # the task's own sandbox (Mesos's default executor layout): tasks/<task id>/
        task_dir = os.path.join(self.sandbox, "tasks", task_sandbox_name(e.task_id))
        env["MESOS_SANDBOX"] = task_dir
        try:
            os.makedirs(task_dir, exist_ok=True)
            out = os.open(os.path.join(task_dir, "stdout"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                err = os.open(os.path.join(task_dir, "stderr"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    # its own process group (so that a kill reaches the shell's children) but
                    # the executor's session: the agent destroys a container by its session.
                    # No preexec_fn: subprocess can vfork.
                    if join:  # the task inherits its nested cgroups: step in to spawn it
                        _join(join)
                    try:
                        proc = subprocess.Popen(argv, cwd=task_dir, env=env, stdin=subprocess.DEVNULL,
                                                stdout=out, stderr=err, process_group=0, close_fds=True)
                    finally:
                        if join:
                            _join(self.base_env.get(CGROUPS_HOME_ENV, "").split(os.pathsep))
                finally:
                    os.close(err)
            finally:
                os.close(out)
        except (OSError, subprocess.SubprocessError) as exc:
            self.log.error("task.start_failed", task=e.task_id, error=str(exc))
            self.loop.submit(TaskProcessExited(task_id=e.task_id, exit_status=127))
            return
        self.procs[e.task_id] = proc
        assert self.nursery is not None
        self.nursery.start_soon(self._wait_task, e.task_id, proc)

    async def _wait_task(self, task_id: str, proc: subprocess.Popen[bytes]) -> None:
        # a pidfd turns readable when the task exits: no thread (starting one costs more
        # than the rest of a short task's bookkeeping); a thread when pidfds are missing
        try:
            fd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            fd = -1
        if fd >= 0:
            try:
                await trio.lowlevel.wait_readable(fd)
            finally:
                os.close(fd)
            rc = proc.wait()
        else:
            rc = await trio.to_thread.run_sync(proc.wait, abandon_on_cancel=True)
        self.procs.pop(task_id, None)
        if rc < 0:
            self.loop.submit(TaskProcessExited(task_id=task_id, exit_status=128 - rc, signal=-rc))
        else:
            self.loop.submit(TaskProcessExited(task_id=task_id, exit_status=rc))

    def _signal_task(self, e: SignalTaskProcess) -> None:
        signum = getattr(sig, e.signal, sig.SIGKILL)
        targets = [self.procs[e.task_id]] if e.task_id in self.procs else \
            (list(self.procs.values()) if not e.task_id else [])
        for proc in targets:
            if proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signum)
            except OSError:
                try:
                    proc.send_signal(signum)
                except OSError:
                    pass

    # ------------------------------------------------------------------ health checks
    def _health_check(self, e: RunHealthCheck) -> None:
        assert self.nursery is not None
        self.nursery.start_soon(self._run_health_check, e)

    async def _run_health_check(self, e: RunHealthCheck) -> None:
        """Run one check (core/health.py decides when and what it means) and report it."""
        check = e.check
        ok, message = False, ""
        timeout = check.timeout_seconds if check.timeout_seconds > 0 else math.inf
        try:
            with trio.fail_after(timeout):
                ok, message = await _probe(check, os.path.join(self.sandbox, "tasks", task_sandbox_name(e.task_id)),
                                           self.base_env)
        except trio.TooSlowError:
            ok, message = False, f"{check.type} health check timed out after {check.timeout_seconds:g}s"
        self.loop.submit(HealthCheckResult(task_id=e.task_id, seq=e.seq, healthy=ok, message=message))

    async def _exit(self, e: ExitExecutor) -> None:
        # let queued updates go out first ("after the effects before it are done")
        with trio.move_on_after(5):
            while any(r.statistics().current_buffer_used for _s, r in self.channels):
                await trio.sleep(0.01)
        self.exit_status = e.status
        self.done.set()

    # ------------------------------------------------------------------ driver wire
    async def _subscribe_driver(self, msg: ExecutorSubscribe) -> bool:
        """SUBSCRIBE on the agent's driver wire; False if its endpoint cannot be reached
        (then HTTP is tried)."""
        from mesotron.io.wire.transport import DriverFrame, Link, decode_frame
        from mesotron.spec import codec_internal

        assert self.driver_endpoint is not None
        host, _, port = self.driver_endpoint.rpartition(":")
        try:
            with trio.fail_after(5):
                stream = await trio.open_tcp_stream(host, int(port))
            if self.ssl_ctx is not None:  # a TLS agent: its driver wire is TLS (tls_connect)
                from mesotron.io.wire.transport import tls_connect

                stream = await tls_connect(stream, self.ssl_ctx, host)
        except (OSError, trio.TooSlowError, trio.BrokenResourceError, ValueError) as exc:
            self.log.debug("driver.unreachable", error=str(exc) or type(exc).__name__)
            return False
        link = Link(stream)
        link.send_frame(codec_internal.encode(codec_internal.Hello(
            sender=f"executor({self.executor_id})@{host}")))
        link.send_frame(driver_frame("executor_call", codec_executor.encode_call(msg).SerializeToString()))
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(link.writer)
                while (frame := await link.next_frame()) is not None:
                    m = decode_frame(frame)
                    if type(m) is not DriverFrame:
                        self.log.warning("driver.unexpected_frame", frame=type(m).__name__)
                        continue
                    if m.kind == "driver_error":
                        self.log.warning("call.refused", status=m.payload.status,
                                         call=m.payload.call_type, body=m.payload.message[:200])
                        continue
                    ev = codec_executor.decode_event(executor_pb2.Event.FromString(m.payload))
                    self.link = link  # the connection that carries events carries calls
                    if ev != codec_executor.HEARTBEAT:
                        self.loop.submit(Received(sender=AGENT, message=ev))
                link.close()
                nursery.cancel_scope.cancel()
        except* (OSError, WireError, CodecError, DecodeError, trio.BrokenResourceError,
                 trio.ClosedResourceError) as group:
            # the nursery wraps what its writer or reader raised (a reset by the peer) in an
            # ExceptionGroup (trio's strict exception groups): the connection ended, no crash
            self.log.debug("driver.error", error=_describe(group))
        finally:
            link.close()
            if self.link is link:
                self.link = None
            with trio.CancelScope(shield=True):
                try:
                    await stream.aclose()
                except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
                    pass
        return True

    # ------------------------------------------------------------------ HTTP
    async def _subscribe(self, msg: ExecutorSubscribe) -> None:
        """One subscription connection; when it ends, however it ends (refused, reset,
        closed), the machine is told `Disconnected` and decides what that means."""
        try:
            if self.driver_endpoint is None or not await self._subscribe_driver(msg):
                await self._subscribe_http(msg)
        finally:
            self.loop.submit(Disconnected(peer=AGENT))

    async def _subscribe_http(self, msg: ExecutorSubscribe) -> None:
        body = codec_executor.encode_call(msg).SerializeToString()
        reader = RecordIOReader()
        try:
            async with self.http.stream_post(self.path, body, HEADERS) as (status, chunks):
                if status != 200:
                    self.log.warning("subscribe.refused", status=status)
                else:
                    async for chunk in chunks:
                        for rec in reader.feed(chunk):
                            ev = codec_executor.decode_event(
                                from_protobuf(rec, executor_pb2.Event))
                            if ev != codec_executor.HEARTBEAT:
                                self.loop.submit(Received(sender=AGENT, message=ev))
        except* (HTTPError, OSError, WireError, CodecError, DecodeError, trio.TooSlowError,
                 trio.BrokenResourceError, trio.ClosedResourceError) as group:
            self.log.debug("subscribe.error", error=_describe(group))

    async def _updates(self, lane: int) -> None:
        http = self.lanes[lane]
        async for msg in self.channels[lane][1]:
            body = codec_executor.encode_call(msg).SerializeToString()
            try:
                with trio.fail_after(10):
                    status, text = await http.post(self.path, body, HEADERS)
                if status >= 300:
                    self.log.warning("call.refused", status=status, body=text[:200])
            except (HTTPError, OSError, trio.TooSlowError) as exc:
                self.log.debug("call.error", error=str(exc) or type(exc).__name__)

    async def run(self) -> int:
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            await nursery.start(self.loop.run)
            for lane in range(UPDATE_LANES):
                nursery.start_soon(self._updates, lane)
            self.loop.submit(Start())
            await self.done.wait()
            nursery.cancel_scope.cancel()
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, sig.SIGKILL)
                except OSError:
                    pass
        return self.exit_status or 0


def _describe(group: BaseExceptionGroup) -> str:
    """The leaf exceptions of a group, for a log line."""
    leaves: list[str] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for x in e.exceptions:
                walk(x)
        else:
            leaves.append(str(e) or type(e).__name__)
    walk(group)
    return "; ".join(leaves)
# ---------------------------------------------------------------------- health checks
async def _probe(check: Any, sandbox: str, env: dict[str, str]) -> tuple[bool, str]:
    """One COMMAND / HTTP / TCP check against the task (Mesos: the command in the task's
    sandbox, exit 0; HTTP GET on 127.0.0.1, a status in `statuses` or 200-399; TCP connect)."""
    if check.type == "COMMAND":
        cmd = check.command
        argv = ["/bin/sh", "-c", cmd.value or ""] if cmd.shell else \
            [cmd.value or cmd.arguments[0], *cmd.arguments[1:]]
        penv = dict(env)
        penv.update(dict(cmd.environment))
        try:
            p = await trio.run_process(argv, cwd=sandbox if os.path.isdir(sandbox) else None, env=penv,
                                       check=False, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            return False, f"Command health check could not run: {exc}"
        if p.returncode == 0:
            return True, ""
        return False, f"Command health check failed: exited with status {p.returncode}"
    if check.type == "HTTP":
        import httpx

        url = f"{check.http_scheme}://127.0.0.1:{check.http_port}{check.http_path}"
        try:
            async with httpx.AsyncClient(verify=False, trust_env=False, timeout=None) as client:
                r = await client.get(url)
        except (httpx.HTTPError, OSError) as exc:
            return False, f"HTTP health check failed: {url}: {exc or type(exc).__name__}"
        good = r.status_code in check.http_statuses if check.http_statuses else 200 <= r.status_code < 400
        return good, "" if good else f"HTTP health check failed: {url} returned {r.status_code}"
    try:
        stream = await trio.open_tcp_stream("127.0.0.1", check.tcp_port)
    except OSError as exc:
        return False, f"TCP health check failed: 127.0.0.1:{check.tcp_port}: {exc.strerror or exc}"
    await stream.aclose()
    return True, ""


# ---------------------------------------------------------------------- isolation
# The agent runs this executor in a cgroup per container (io/containers/isolator.py) and
# creates a nested cgroup per command task before the task reaches us. A shell task's
# `/bin/sh -c` moves itself into them before it runs the command (everything the command
# starts is inside); an argv task is spawned with the executor stepped into the task's
# cgroups (the child inherits them from its first instruction; no pre-exec hook, so
# subprocess keeps using vfork), and the executor steps back into its own.
CGROUPS_ENV = "MESOTRON_CGROUPS"  # io/containers/isolator.ENV_CGROUPS
CGROUPS_HOME_ENV = "MESOTRON_CGROUPS_HOME"  # io/containers/isolator.ENV_CGROUPS_HOME


def _task_cgroups(env: dict[str, str], task_id: str) -> list[str]:
    dirs = env.get(CGROUPS_ENV)
    if not dirs:
        return []
    from mesotron.core.agent.isolation import nested_name

    name = nested_name(task_id)
    out = []
    for d in dirs.split(os.pathsep):
        procs = os.path.join(d, name, "cgroup.procs")
        if os.path.exists(procs):
            out.append(procs)
    return out


def _join_prefix(files: list[str]) -> str:
    """Shell lines that move the shell into these cgroups (or fail the task, status 125)."""
    if not files:
        return ""
    import shlex

    moves = " && ".join(f"echo $$ > {shlex.quote(f)}" for f in files)
    return (f"{{ {moves}; }} 2>/dev/null || {{ echo 'mesotron: cannot join the task cgroups' >&2; "
            "exit 125; }\n")


def _join(files: list[str]) -> None:
    """Move this process (every thread) into the cgroups of these cgroup.procs files."""
    pid = str(os.getpid()).encode()
    for f in files:
        if not f:
            continue
        fd = os.open(f, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)


def run(args: argparse.Namespace | None = None) -> int:
    log = _Log(getattr(args, "log_level", "info") if args else "info")
    missing = [v for v in ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
               if v not in os.environ]
    if missing:
        print(f"mesotron executor: missing environment {', '.join(missing)}", file=sys.stderr)
        return 2
    if os.environ.get("MESOTRON_EXECUTOR_PROFILE"):  # CPU profile into the sandbox (perf work)
        import cProfile

        prof = cProfile.Profile(time.process_time)
        try:
            return prof.runcall(trio.run, ExecutorProcess(dict(os.environ), log).run)
        finally:
            prof.dump_stats(os.path.join(os.environ["MESOTRON_EXECUTOR_PROFILE"], f"{os.getpid()}.prof"))
    t0 = time.process_time()
    try:
        return trio.run(ExecutorProcess(dict(os.environ), log).run)
    finally:
        if os.environ.get("MESOTRON_EXECUTOR_CPU"):
            log.info("executor.cpu", ms=round(1000 * (time.process_time() - t0), 1),
                     total_ms=round(1000 * time.process_time(), 1))


if __name__ == "__main__":
    sys.exit(run())
