"""`mesotron cat|tail|ls TASK [FILE|PATH]`: a task's sandbox over the agent's /files API.

As Mesos's mesos-cat / mesos-tail / mesos-ls: the task is found in the master's /state
(live, unreachable and completed tasks of live and completed frameworks), its agent's
address in the master's agent list, its sandbox directory in the agent's /state (the
executor that ran it; `<that>/tasks/<task id>/` when the executor runs many tasks and gave
the task a sandbox of its own, as our command executor and Mesos's default executor do), and
the file is read with `/files/read?path&offset&length`, paged
(`CHUNK` bytes a request). `tail -f` polls every 0.5 s from the last offset, as mesos-tail.

Errors (exit 1, one line): unknown task id, an id that several frameworks used (names the
frameworks; `--framework` picks one), an agent the master no longer knows, a sandbox the
agent no longer has, a file that is not there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs
from mesotron.core.agent.isolation import task_sandbox_name
from mesotron.io.cli.master_client import CliError, Http, add_master_flags
from mesotron.io.http import tls

CHUNK = 64 * 1024
POLL = 0.5


@attrs.frozen(kw_only=True)
class Sandbox:
    task_id: str
    framework_id: str
    agent_id: str
    agent_url: str
    directory: str
    status: str  # the task's last known state, e.g. TASK_FINISHED


def _master_tasks(state: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(framework, task) for every task the master knows."""
    out = []
    for f in state.get("frameworks", []) + state.get("completed_frameworks", []):
        for key in ("tasks", "unreachable_tasks", "completed_tasks"):
            for t in f.get(key, []):
                out.append((f, t))
    return out


def find_task(state: dict[str, Any], task_id: str, framework_id: str | None) -> tuple[str, dict[str, Any]]:
    """(framework id, task JSON) of the one task with this id, or CliError."""
    hits: dict[str, dict[str, Any]] = {}
    for f, t in _master_tasks(state):
        if t.get("id") == task_id and (framework_id is None or f.get("id") == framework_id):
            hits.setdefault(f["id"], t)  # a framework's live entry wins over an older one
    if not hits:
        where = f" of framework {framework_id}" if framework_id else ""
        raise CliError(f"no task with id {task_id!r}{where} (see `mesotron ps --all`)")
    if len(hits) > 1:
        fws = ", ".join(f"{fid} ({t.get('state', '?')})" for fid, t in sorted(hits.items()))
        raise CliError(f"task id {task_id!r} is ambiguous: used by frameworks {fws}; "
                       "pick one with --framework FRAMEWORK_ID")
    (fid, task), = hits.items()
    return fid, task


def agent_url(state: dict[str, Any], agent_id: str, scheme: str = "http") -> str:
    for s in state.get("slaves", []):
        if s.get("id") == agent_id:
            pid = s.get("pid", "")
            addr = pid.split("@", 1)[1] if "@" in pid else f"{s.get('hostname')}:{s.get('port')}"
            return f"{scheme}://{addr}"
    raise CliError(f"agent {agent_id} is not registered with the master (gone, unreachable "
                   "or removed): its sandboxes cannot be reached")


def sandbox_directory(agent_state: dict[str, Any], framework_id: str, task_id: str) -> str:
    """The run directory of the executor that ran (or runs) the task on this agent."""
    found = None
    for f in agent_state.get("frameworks", []) + agent_state.get("completed_frameworks", []):
        if f.get("id") != framework_id:
            continue
        for ex in f.get("executors", []) + f.get("completed_executors", []):
            for key in ("tasks", "queued_tasks", "completed_tasks"):
                if any(t.get("id") == task_id for t in ex.get(key, [])):
                    found = ex.get("directory")
                    if key != "completed_tasks":
                        return str(found)
    if found is None:
        raise CliError(f"the agent has no sandbox for task {task_id!r} (garbage-collected, or "
                       "the agent was restarted with --recover=cleanup)")
    return str(found)


def locate(http: Http, master: str, task_id: str, framework_id: str | None) -> Sandbox:
    base = http.resolve(master)
    state = http.get_json(f"{base}/master/state")
    fid, task = find_task(state, task_id, framework_id)
    aid = task.get("slave_id", "")
    url = agent_url(state, aid, http.scheme)  # with TLS on, the agents speak it too
    directory = sandbox_directory(http.get_json(f"{url}/state"), fid, task_id)
    # an executor that runs many tasks (our command executor, Mesos's default executor)
    # gives each its own sandbox <executor sandbox>/tasks/<task id>/
    own = f"{directory}/tasks/{task_sandbox_name(task_id)}"
    try:
        http.get_json(f"{url}/files/browse", {"path": own})
        directory = own
    except CliError:
        pass
    return Sandbox(task_id=task_id, framework_id=fid, agent_id=aid, agent_url=url,
                   directory=directory, status=task.get("state", ""))


def _path(sb: Sandbox, rel: str) -> str:
    rel = rel.strip("/")
    return f"{sb.directory}/{rel}" if rel else sb.directory


def read(http: Http, sb: Sandbox, rel: str, offset: int, length: int = CHUNK) -> str:
    try:
        d = http.get_json(f"{sb.agent_url}/files/read",
                          {"path": _path(sb, rel), "offset": offset, "length": length})
    except CliError as e:
        if " 404" in str(e):
            raise CliError(f"no file {rel!r} in the sandbox of task {sb.task_id}") from None
        raise
    return str(d.get("data", ""))


def size_of(http: Http, sb: Sandbox, rel: str) -> int:
    d = http.get_json(f"{sb.agent_url}/files/read", {"path": _path(sb, rel), "offset": -1})
    return int(d.get("offset", 0))


def cat(http: Http, sb: Sandbox, rel: str, write: Callable[[str], Any]) -> int:
    """Write the whole file, page by page; returns the offset reached."""
    offset = 0
    while True:
        data = read(http, sb, rel, offset)
        if not data:
            return offset
        write(data)
        offset += len(data.encode("utf-8", "surrogateescape"))


def tail(http: Http, sb: Sandbox, rel: str, lines: int, write: Callable[[str], Any]) -> int:
    """Write the last `lines` lines; returns the offset reached (the file's size)."""
    size = size_of(http, sb, rel)
    start = size
    text = ""
    # read backwards a chunk at a time until enough newlines (or the start of the file)
    while start > 0 and text.count("\n") <= lines:
        start = max(0, start - CHUNK)
        text = read(http, sb, rel, start, size - start)
    keep = text.splitlines(keepends=True)[-lines:] if lines > 0 else []
    write("".join(keep))
    return size


# ------------------------------------------------------------------ subcommands
def _common(p: argparse.ArgumentParser) -> None:
    add_master_flags(p)
    p.add_argument("--framework", default=None, help="framework id (when the task id is ambiguous)")
    p.add_argument("task", metavar="TASK", help="task id")


class _Cmd:
    def __init__(self, name: str) -> None:
        self.name = name

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        _common(p)
        if self.name == "ls":
            p.add_argument("path", metavar="PATH", nargs="?", default="",
                           help="directory inside the sandbox (default: the sandbox)")
            return
        p.add_argument("file", metavar="FILE", nargs="?", default="stdout",
                       help="file inside the sandbox (default: stdout)")
        if self.name == "tail":
            p.add_argument("-f", "--follow", action="store_true", help="keep printing what is appended")
            p.add_argument("-n", "--lines", type=int, default=10, help="lines to print (default 10)")

    def run(self, args: argparse.Namespace) -> int:
        out = sys.stdout
        try:
            with Http.from_args(args) as http:
                sb = locate(http, args.master, args.task, args.framework)
                if self.name == "cat":
                    cat(http, sb, args.file, out.write)
                elif self.name == "ls":
                    ls(http, sb, args.path, print)
                else:
                    offset = tail(http, sb, args.file, args.lines, out.write)
                    out.flush()
                    while args.follow:
                        time.sleep(POLL)
                        data = read(http, sb, args.file, offset)
                        if data:
                            out.write(data)
                            out.flush()
                            offset += len(data.encode("utf-8", "surrogateescape"))
        except tls.TlsError as e:
            print(f"mesotron {self.name}: {e}", file=sys.stderr)
            return 2
        except CliError as e:
            out.flush()
            print(f"mesotron {self.name}: {e}", file=sys.stderr)
            return 1
        out.flush()
        return 0


def ls(http: Http, sb: Sandbox, rel: str, write: Callable[[str], Any]) -> None:
    try:
        entries = http.get_json(f"{sb.agent_url}/files/browse", {"path": _path(sb, rel)})
    except CliError as e:
        if " 404" in str(e):
            raise CliError(f"no directory {rel!r} in the sandbox of task {sb.task_id}") from None
        raise
    for e in entries:
        mtime = time.strftime("%b %d %H:%M", time.localtime(float(e.get("mtime", 0))))
        name = str(e.get("path", "")).rsplit("/", 1)[-1]
        write(f"{e.get('mode', ''):<10} {e.get('nlink', 0):>3} {e.get('uid', ''):<8} "
              f"{e.get('gid', ''):<8} {e.get('size', 0):>10} {mtime} {name}")


cat_cmd = _Cmd("cat")
tail_cmd = _Cmd("tail")
ls_cmd = _Cmd("ls")
