"""What the master's and the agent's v1 operator APIs share: GET_FLAGS, GET_METRICS,
GET/SET_LOGGING_LEVEL, LIST_FILES/READ_FILE over a table of virtual paths, GET_VERSION.

Nothing here decides protocol: these calls read the daemon's own flags, metrics, log level
and files (the shell's business, not a machine's)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Any

from mesotron.io.daemons import logs
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.wire import WireError

READ_CAP = 16 * 4096  # Mesos caps a READ_FILE at 16 memory pages
OK = object()  # a call answered 200 with an empty body (Mesos's `OK()`)


def flags(daemon_flags: dict[str, str]) -> list[pb.Flag]:
    return [pb.Flag(name=k, value=str(v)) for k, v in sorted(daemon_flags.items())]


def metrics(snapshot: dict[str, float]) -> list[pb.Metric]:
    return [pb.Metric(name=k, value=float(v)) for k, v in sorted(snapshot.items())
            if isinstance(v, (int, float))]


def version_info(message_type: Any) -> Any:
    """GET_VERSION's VersionInfo (the master's and the agent's are different message types
    with the same fields), from /version's figures."""
    from mesotron.io.http.master import version_json
    from mesotron.spec.wire import from_dict

    v = version_json()
    return from_dict({k: v[k] for k in ("version", "build_date", "build_time", "build_user")},
                     message_type)


def get_logging_level() -> int:
    return logs.verbosity()


def set_logging_level(call: Any) -> None:
    """SET_LOGGING_LEVEL {level, duration}: really changes what the daemon logs (glog
    verbosity 0 = the configured --log-level, >= 1 = debug) until `duration` has passed."""
    if not call.HasField("set_logging_level"):
        raise WireError("Expecting 'set_logging_level' to be present")
    ns = call.set_logging_level.duration.nanoseconds
    if ns <= 0:
        raise WireError("Expecting 'set_logging_level.duration' to be positive")
    logs.set_verbosity(int(call.set_logging_level.level), ns / 1e9)


def resolve(files: dict[str, str], path: str) -> str | None:
    """A virtual path (`/master/log`, `/frameworks/F/executors/E/runs/latest/stdout`,...) ->
    the real path, or None. `files` maps attached virtual prefixes to real paths; nothing
    outside an attached real path is reachable (symlinks resolved)."""
    path = "/" + path.strip("/")
    best = None
    for prefix, target in files.items():
        p = "/" + prefix.strip("/")
        if (path == p or path.startswith(p.rstrip("/") + "/")) and (best is None or len(p) > len(best[0])):
            best = (p, target)
    if best is None:
        return None
    p, root = best
    rest = path[len(p):].lstrip("/")
    root_real = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root_real, rest)) if rest else root_real
    if real != root_real and not real.startswith(root_real.rstrip("/") + "/"):
        return None
    return real if os.path.exists(real) else None


def list_files(call: Any, files: dict[str, str]) -> list[pb.FileInfo]:
    if not call.HasField("list_files"):
        raise WireError("Expecting 'list_files' to be present")
    raw = call.list_files.path
    real = resolve(files, raw)
    if real is None:
        raise WireError(f"Failed to find '{raw}'", 404)
    names = sorted(os.listdir(real)) if os.path.isdir(real) else [None]
    out = []
    for name in names:
        p = real if name is None else os.path.join(real, name)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        vpath = raw.rstrip("/") if name is None else raw.rstrip("/") + "/" + name
        out.append(pb.FileInfo(path=vpath, nlink=st.st_nlink, size=st.st_size,
                               mtime=pb.TimeInfo(nanoseconds=int(st.st_mtime * 1e9)),
                               mode=st.st_mode, uid=str(st.st_uid), gid=str(st.st_gid)))
    return out


def read_file(call: Any, files: dict[str, str]) -> tuple[int, bytes]:
    if not call.HasField("read_file"):
        raise WireError("Expecting 'read_file' to be present")
    raw = call.read_file.path
    real = resolve(files, raw)
    if real is None:
        raise WireError(f"Failed to find '{raw}'", 404)
    if stat.S_ISDIR(os.stat(real).st_mode):
        raise WireError(f"Cannot read a directory: '{raw}'")
    size = os.path.getsize(real)
    length = call.read_file.length if call.read_file.HasField("length") else READ_CAP
    with open(real, "rb") as f:
        f.seek(min(call.read_file.offset, size))
        data = f.read(min(length, READ_CAP))
    return size, data


def unserved(name_of: Callable[[int], str], t: int) -> WireError:
    return WireError(f"Operator call {name_of(t)} is not served by mesotron", 501)


__all__ = [
    "OK",
    "flags",
    "get_logging_level",
    "list_files",
    "metrics",
    "read_file",
    "resolve",
    "set_logging_level",
    "unserved",
]
