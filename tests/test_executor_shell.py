"""The command executor's shell (io/daemons/executor.py) against connection resets (issue 11
§3), and a scan of io/ for the pattern behind that bug: a plain `except` around a nursery
(Trio wraps what a nursery raises in an ExceptionGroup, strict_exception_groups=True), so
the `except` never matches and the process crashes on a reset by the peer."""

from __future__ import annotations

import ast
import socket
import struct
from pathlib import Path

import trio
from mesotron.core.effects import Disconnected
from mesotron.core.messages import ExecutorSubscribe
from mesotron.io.daemons.executor import ExecutorProcess, _Log

IO = Path(__file__).resolve().parent.parent / "io"


def _reset(sock: trio.socket.SocketType) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST instead of FIN: "Connection reset by peer" on the other end


def test_driver_wire_reset_by_the_agent_ends_the_subscription_without_crashing() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            listener = trio.socket.socket()
            await listener.bind(("127.0.0.1", 0))
            listener.listen()
            port = listener.getsockname()[1]

            async def agent() -> None:
                conn, _ = await listener.accept()
                await conn.recv(1)  # the executor's Hello / SUBSCRIBE arrived
                await trio.sleep(0.05)
                _reset(conn)

            env = {"MESOS_AGENT_ENDPOINT": f"127.0.0.1:{port}", "MESOS_FRAMEWORK_ID": "fw1",
                   "MESOS_EXECUTOR_ID": "ex1", "MESOS_CHECKPOINT": "1",
                   "MESOTRON_AGENT_DRIVER_ENDPOINT": f"127.0.0.1:{port}"}
            proc = ExecutorProcess(env, _Log("info"))
            submitted: list[object] = []
            proc.loop.submit = submitted.append  # type: ignore[method-assign]
            async with trio.open_nursery() as nursery:
                proc.nursery = nursery
                nursery.start_soon(agent)
                # the whole subscription, as the shell runs it: ends, tells the machine
                await proc._subscribe(ExecutorSubscribe(framework_id="fw1", executor_id="ex1"))
            listener.close()
            assert submitted[-1] == Disconnected(peer="agent")
    trio.run(main)


def _nursery_owners(tree: ast.AST) -> set[str]:
    """Names of functions in io/ whose body opens a nursery (context managers such as
    open_zk wrap what escapes their body the same way)."""
    out = set()
    for f in ast.walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(n, ast.AsyncWith) and "open_nursery" in ast.unparse(n)
                for n in ast.walk(f)):
            out.add(f.name)
    return out


def plain_excepts_around_nurseries(root: Path) -> list[str]:
    trees = {p: ast.parse(p.read_text()) for p in sorted(root.rglob("*.py"))}
    owners = {"open_nursery"} | {n for t in trees.values() for n in _nursery_owners(t)}
    found = []
    for path, tree in trees.items():
        for t in ast.walk(tree):
            if type(t) is not ast.Try or not t.handlers:  # ast.TryStar is the except* form
                continue
            for stmt in t.body:
                for w in ast.walk(stmt):
                    if isinstance(w, ast.AsyncWith) and any(
                            isinstance(c, ast.Call) and (getattr(c.func, "attr", None) or
                                                         getattr(c.func, "id", None)) in owners
                            for item in w.items for c in [item.context_expr]):
                        found.append(f"{path.relative_to(root.parent)}:{t.lineno}")
    return sorted(set(found))


def test_no_plain_except_around_a_nursery_in_io() -> None:
    assert plain_excepts_around_nurseries(IO) == []


def test_the_scan_sees_the_old_pattern(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(
        "import trio\n"
        "async def f(link):\n"
        "    try:\n"
        "        async with trio.open_nursery() as n:\n"
        "            n.start_soon(link.writer)\n"
        "    except (OSError, trio.BrokenResourceError):\n"
        "        pass\n"
        "async def g(link):\n"
        "    try:\n"
        "        async with trio.open_nursery() as n:\n"
        "            n.start_soon(link.writer)\n"
        "    except* (OSError, trio.BrokenResourceError):\n"
        "        pass\n")
    assert plain_excepts_around_nurseries(tmp_path) == [f"{tmp_path.name}/x.py:3"]
