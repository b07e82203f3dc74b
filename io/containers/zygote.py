"""A fork server for the built-in command executor (`python -m mesotron.io.containers.zygote`).

Starting a Python process costs ~0.3 s of CPU (interpreter start-up and imports). The agent
keeps one pre-imported "zygote" process and asks it to fork command executors: a fork of a
warm process costs about a millisecond. (One command executor now runs all of a framework's
command tasks on an agent, so this saves ~0.3 s of latency for a framework's first task
rather than CPU per task.) Each forked executor calls `setsid()` (its own session/process
group, as every executor), moves to its sandbox, points stdout/stderr at the sandbox files,
takes the MESOS_* environment, and runs `executor_main` exactly as a freshly exec'd
`mesotron executor` would.

Protocol on stdin/stdout (JSON lines):
  agent -> zygote  {"op": "spawn", "id": C, "env": {...}, "cwd": D, "stdout": P, "stderr": P,
                    "cgroups": [cgroup.procs files the executor joins first]}
  zygote -> agent  {"op": "started", "id": C, "pid": N} | {"op": "failed", "id": C, "error": E}
                   {"op": "exited", "id": C, "pid": N, "status": S}   (S < 0: killed by -S)
The zygote exits when its stdin closes (the agent died); executors live on (own sessions)
and a restarted agent adopts them through their pid files.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import sys

# pre-import everything an executor needs, so that forks start warm
from mesotron.io.daemons import executor as executor_main


def _child(req: dict, fds: list[int]) -> None:
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in fds:
            os.close(fd)
        # join the container's cgroups before anything else runs (io/containers/isolator.py)
        for procs in req.get("cgroups") or ():
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        os.setsid()
        os.chdir(req["cwd"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (devnull, out, err):
            os.close(fd)
        sys.stdin = open(0)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1)  # noqa: SIM115
        os.environ.clear()
        os.environ.update(req["env"])
        code = executor_main.run(None)
    except BaseException as e:  # noqa: BLE001 - the child must never return into the zygote
        try:
            print(f"executor crashed: {e!r}", file=sys.stderr, flush=True)
        finally:
            os._exit(70)
    os._exit(int(code or 0))


def warm_up() -> None:
    """Run the code paths every executor runs, once, here (lazy imports and first-use
    initialisation would otherwise be paid by every forked executor: ~20 ms of CPU each with
    httpx), protobuf's JSON mapping builds its tables on first use."""
    import trio
    from mesotron.core.messages import ExecutorSubscribe, ExecutorUpdate
    from mesotron.core.values import Source, TaskState, TaskStatus
    from mesotron.spec import codec_executor, executor_pb2
    from mesotron.spec.wire import RecordIOReader, from_json, from_protobuf, record, to_json

    st = TaskStatus(task_id="t", state=TaskState.TASK_RUNNING, source=Source.SOURCE_EXECUTOR,
                    uuid=b"0123456789abcdef")
    for call in (ExecutorSubscribe(framework_id="f", executor_id="e"),
                 ExecutorUpdate(framework_id="f", executor_id="e", status=st)):
        codec_executor.decode_call(from_json(to_json(codec_executor.encode_call(call)), executor_pb2.Call))
        codec_executor.decode_call(from_protobuf(codec_executor.encode_call(call).SerializeToString(),
                                                 executor_pb2.Call))
    from mesotron.core.messages import ExecutorAcknowledged, ExecutorLaunch, ExecutorSubscribed
    from mesotron.core.resources import Resources
    from mesotron.core.values import AgentInfo, CommandInfo, ExecutorInfo, FrameworkInfo, TaskInfo

    res = Resources.parse("cpus:0.1;mem:32;ports:[31000-31001]")
    task = TaskInfo(name="t", task_id="t", agent_id="a", resources=res, command=CommandInfo(value="true"))
    for event in (ExecutorSubscribed(executor_info=ExecutorInfo(executor_id="e", resources=res,
                                                                command=CommandInfo(value="x")),
                                     framework_info=FrameworkInfo(user="u", name="n", id="f"),
                                     agent_info=AgentInfo(hostname="h", id="a", resources=res),
                                     container_id="c"),
                  ExecutorLaunch(task=task), ExecutorAcknowledged(task_id="t", uuid=b"0123456789abcdef")):
        for rec in RecordIOReader().feed(record(to_json(codec_executor.encode_event(event)))):
            codec_executor.decode_event(from_json(rec, executor_pb2.Event))
        for rec in RecordIOReader().feed(record(codec_executor.encode_event(event).SerializeToString())):
            codec_executor.decode_event(from_protobuf(rec, executor_pb2.Event))
    ev = to_json(codec_executor.encode_event(codec_executor.HEARTBEAT))
    RecordIOReader().feed(record(ev))
    import subprocess

    subprocess.Popen(["true"], process_group=0, close_fds=True, stdin=subprocess.DEVNULL).wait()

    async def serve_once() -> None:
        from mesotron.io.http.client import H11Client

        async def handler(stream: trio.SocketStream) -> None:
            try:
                await stream.receive_some(65536)
                await stream.send_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                                      + b"%x\r\n" % len(record(ev)) + record(ev) + b"\r\n0\r\n\r\n")
            finally:
                await stream.aclose()

        with trio.move_on_after(5):
            async with trio.open_nursery() as nursery:
                listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
                port = listeners[0].socket.getsockname()[1]
                nursery.start_soon(trio.serve_listeners, handler, listeners)
                client = H11Client("127.0.0.1", port)
                await client.post("/", b"{}", {"Content-Type": "application/json"})
                async with client.stream_post("/", b"{}", {"Content-Type": "application/json"}) as (_s, chunks):
                    async for _ in chunks:
                        pass
                await client.aclose_connection()
                nursery.cancel_scope.cancel()

    try:
        trio.run(serve_once)
    except Exception as e:  # noqa: BLE001 - warming up is an optimization only
        print(f"zygote warm-up failed: {e!r}", file=sys.stderr, flush=True)


def main() -> int:
    warm_up()
    # copy-on-write friendliness: move everything imported so far out of the collector's
    # reach, so that a forked executor's garbage collections do not touch (and copy) the
    # zygote's whole heap
    gc.collect()
    gc.freeze()
    r_wake, w_wake = os.pipe()
    os.set_blocking(w_wake, False)
    os.set_blocking(r_wake, False)
    signal.set_wakeup_fd(w_wake)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin = sys.stdin.buffer
    out = sys.stdout
    ids: dict[int, str] = {}
    buf = b""

    def emit(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            cid = ids.pop(pid, None)
            if cid is not None:
                emit({"op": "exited", "id": cid, "pid": pid, "status": os.waitstatus_to_exitcode(status)})

    emit({"op": "ready", "pid": os.getpid()})
    fd_in = stdin.fileno()
    while True:
        try:
            ready, _, _ = select.select([fd_in, r_wake], [], [])
        except InterruptedError:
            continue
        if r_wake in ready:
            try:
                os.read(r_wake, 4096)
            except BlockingIOError:
                pass
            reap()
        if fd_in in ready:
            chunk = os.read(fd_in, 65536)
            if not chunk:
                return 0
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                req = json.loads(line)
                if req.get("op") != "spawn":
                    continue
                try:
                    pid = os.fork()
                except OSError as e:
                    emit({"op": "failed", "id": req["id"], "error": str(e)})
                    continue
                if pid == 0:
                    _child(req, [r_wake, w_wake])
                ids[pid] = req["id"]
                emit({"op": "started", "id": req["id"], "pid": pid})
            reap()


if __name__ == "__main__":
    sys.exit(main())
