"""Durable agent state on disk (ARCHITECTURE.md §5 "Disk").

- Checkpoints (`Persist(key, record)`): one file per key under `<work_dir>/meta/`, written
  atomically: temp file, fsync, rename over the old one, fsync the directory.
- Logs (`Persist(key, record, append=True)`, status-update streams): append-only files of
  records `<u32 length><u32 crc32><payload>`; on recovery a torn or corrupt tail is dropped
  (and truncated away) so appends continue on a clean boundary.
- Records are core values serialized with pickle (protocol 5); the key components are
  percent-encoded into path segments. A component longer than SEG_MAX (a 300-character
  task id) is cut into directories `<200 chars>+/.../<rest>` (an encoded segment never
  holds a '+', so the split is unambiguous and undone on recovery).

`CheckpointStore.persist_many(effects)` writes a batch and fsyncs each touched file/dir once
before returning: the ORDERING RULE 2 of core/effects.py (durable before what follows).
`CheckpointStore.recover()` rebuilds `core.checkpoint.Recovered`.
"""

from __future__ import annotations

import os
import pickle
import struct
import urllib.parse
import zlib
from collections.abc import Iterable
from typing import Any

from mesotron.core.checkpoint import Recovered

_HDR = struct.Struct(">II")
CK_SUFFIX = ".ck"
LOG_SUFFIX = ".log"


def _seg(s: str) -> str:
    q = urllib.parse.quote(str(s), safe="")
    return q if q not in (".", "..", "") else "%2E" * len(q) or "%00"


def _unseg(s: str) -> str:
    return urllib.parse.unquote(s)


SEG_MAX = 200  # NAME_MAX is 255: room for suffixes and temp names


def _parts(s: str) -> list[str]:
    """The path components of one key component (see the module docstring)."""
    q = _seg(s)
    if len(q) <= SEG_MAX:
        return [q]
    chunks = [q[i:i + SEG_MAX] for i in range(0, len(q), SEG_MAX)]
    return [c + "+" for c in chunks[:-1]] + [chunks[-1]]


def _unparts(parts: list[str]) -> tuple[list[str], str]:
    """Key components of path components; the pending '+' prefix for the file name."""
    out: list[str] = []
    buf = ""
    for p in parts:
        if p.endswith("+"):
            buf += p[:-1]
        else:
            out.append(_unseg(buf + p))
            buf = ""
    return out, buf


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to `path` atomically: temp, fsync, rename, fsync dir."""
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if sync:
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if sync:
        fsync_dir(d)


def encode_record(payload: bytes) -> bytes:
    return _HDR.pack(len(payload), zlib.crc32(payload)) + payload


def read_records(path: str, *, repair: bool = True) -> list[bytes]:
    """All intact records of a log; a torn/corrupt tail is dropped (and truncated if repair)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out: list[bytes] = []
    pos = 0
    while pos + _HDR.size <= len(data):
        n, crc = _HDR.unpack_from(data, pos)
        end = pos + _HDR.size + n
        if end > len(data):
            break
        payload = data[pos + _HDR.size : end]
        if zlib.crc32(payload) != crc:
            break
        out.append(payload)
        pos = end
    if repair and pos != len(data):
        with open(path, "r+b") as f:
            f.truncate(pos)
            f.flush()
            os.fsync(f.fileno())
    return out


class CheckpointStore:
    """The agent's `Persist` effects on a real disk under `root` (= <work_dir>/meta)."""

    def __init__(self, root: str, *, sync: bool = True) -> None:
        self.root = root
        self.sync = sync
        os.makedirs(root, exist_ok=True)

    def _path(self, key: tuple[str, ...], suffix: str) -> str:
        if not key:
            raise ValueError("empty checkpoint key")
        segs = [p for k in key for p in _parts(k)]
        return os.path.join(self.root, *segs[:-1], segs[-1] + suffix)

    def persist_many(self, effects: Iterable[Any]) -> None:
        dirty_files: set[str] = set()
        dirty_dirs: set[str] = set()
        for e in effects:
            if e.append:
                path = self._path(e.key, LOG_SUFFIX)
                d = os.path.dirname(path)
                if not os.path.isdir(d):
                    os.makedirs(d, exist_ok=True)
                    dirty_dirs.add(d)
                if not os.path.exists(path):
                    dirty_dirs.add(d)
                with open(path, "ab") as f:
                    f.write(encode_record(pickle.dumps(e.record, protocol=5)))
                dirty_files.add(path)
            elif e.record is None:
                for suffix in (CK_SUFFIX, LOG_SUFFIX):
                    p = self._path(e.key, suffix)
                    try:
                        os.unlink(p)
                        dirty_dirs.add(os.path.dirname(p))
                    except FileNotFoundError:
                        pass
            else:
                path = self._path(e.key, CK_SUFFIX)
                atomic_write(path, pickle.dumps(e.record, protocol=5), sync=self.sync)
        if self.sync:
            for p in dirty_files:
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            for d in dirty_dirs:
                fsync_dir(d)

    def recover(self) -> Recovered:
        checkpoints: dict[tuple[str, ...], Any] = {}
        logs: dict[tuple[str, ...], list[Any]] = {}
        for dirpath, _dirs, files in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            segs, pending = _unparts([] if rel == "." else rel.split(os.sep))
            prefix = tuple(segs)
            for name in files:
                path = os.path.join(dirpath, name)
                if name.endswith(CK_SUFFIX):
                    key = prefix + (_unseg(pending + name[: -len(CK_SUFFIX)]),)
                    with open(path, "rb") as f:
                        checkpoints[key] = pickle.loads(f.read())
                elif name.endswith(LOG_SUFFIX):
                    key = prefix + (_unseg(pending + name[: -len(LOG_SUFFIX)]),)
                    logs[key] = [pickle.loads(r) for r in read_records(path)]
                elif ".tmp." in name:
                    os.unlink(path)  # an interrupted atomic write: the old file is intact
        return Recovered(checkpoints=checkpoints, logs=logs)
