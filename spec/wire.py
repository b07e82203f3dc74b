"""Mesos JSON <-> protobuf, and RecordIO framing (MESOS-V1-API.md §1).

- Encoding: field names preserved (snake_case), 64-bit integers as JSON numbers (protobuf's
  json_format writes them as strings), compact output.
- Parsing: unknown keys ignored, `null` means unset, 64-bit integers as numbers or strings;
  required fields are checked after parsing (Mesos answers 400 when one is missing).
- RecordIO: `<decimal length>\\n<payload>` records; `RecordIOReader` buffers arbitrary chunks.

Errors are `WireError(status, message)`: the HTTP status Mesos gives for that problem.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

M = TypeVar("M", bound=Message)

JSON = "application/json"
PROTOBUF = "application/x-protobuf"


class WireError(Exception):
    """A request body that cannot be decoded: `status` is the HTTP answer (400/415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ------------------------------------------------------------------ content types
def media_type(header: str | None) -> str | None:
    """`application/json; charset=utf-8` -> `application/json`; None when absent/blank."""
    if header is None:
        return None
    mt = header.split(";", 1)[0].strip().lower()
    return mt or None


def request_format(content_type: str | None) -> str:
    """The body format of a request, or WireError: missing -> 400, unsupported -> 415."""
    mt = media_type(content_type)
    if mt is None:
        raise WireError("Expecting 'Content-Type' to be present", 400)
    if mt not in (JSON, PROTOBUF):
        raise WireError(
            f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}, got '{content_type}'", 415
        )
    return mt


def response_format(accept: str | None, default: str = JSON) -> str | None:
    """The response format for an `Accept` header: JSON, protobuf, or None (406)."""
    if not accept:
        return default
    kinds = [media_type(part) for part in accept.split(",")]
    for k in kinds:
        if k in (JSON, PROTOBUF):
            return k
    if any(k in ("*/*", "application/*") for k in kinds):
        return default
    return None


# ------------------------------------------------------------------ 64-bit integer fix-up
_INT64 = {
    FieldDescriptor.CPPTYPE_INT64,
    FieldDescriptor.CPPTYPE_UINT64,
}
_plan_cache: dict[str, tuple[frozenset[str], dict[str, Descriptor]]] = {}


def _plan(desc: Descriptor) -> tuple[frozenset[str], dict[str, Descriptor]]:
    plan = _plan_cache.get(desc.full_name)
    if plan is None:
        ints = frozenset(f.name for f in desc.fields if f.cpp_type in _INT64)
        subs = {
            f.name: f.message_type
            for f in desc.fields
            if f.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE
            and not f.message_type.GetOptions().map_entry
        }
        plan = (ints, subs)
        _plan_cache[desc.full_name] = plan
    return plan


def _fix_ints(d: dict[str, Any], desc: Descriptor) -> None:
    ints, subs = _plan(desc)
    for key, value in d.items():
        if key in ints:
            d[key] = [int(v) for v in value] if isinstance(value, list) else int(value)
        elif key in subs:
            sub = subs[key]
            if isinstance(value, list):
                for v in value:
                    _fix_ints(v, sub)
            else:
                _fix_ints(value, sub)


# ------------------------------------------------------------------ encode
def to_dict(msg: Message) -> dict[str, Any]:
    """Mesos JSON object for a message (field names preserved, 64-bit ints as numbers)."""
    d = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    _fix_ints(d, msg.DESCRIPTOR)
    return d


def to_json(msg: Message) -> bytes:
    return json.dumps(to_dict(msg), separators=(",", ":")).encode()


def encode(msg: Message, fmt: str) -> bytes:
    return msg.SerializeToString() if fmt == PROTOBUF else to_json(msg)


# ------------------------------------------------------------------ decode
def _check_required(msg: Message, what: str) -> None:
    if not msg.IsInitialized():
        missing = ", ".join(msg.FindInitializationErrors())
        raise WireError(f"Failed to convert JSON into {what} protobuf: missing required fields {missing}")


def from_dict(d: Any, cls: type[M]) -> M:
    what = cls.DESCRIPTOR.name
    if not isinstance(d, dict):
        raise WireError(f"Failed to convert JSON into {what} protobuf: expecting a JSON object")
    msg = cls()
    try:
        json_format.ParseDict(d, msg, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as e:
        raise WireError(f"Failed to convert JSON into {what} protobuf: {e}") from None
    _check_required(msg, what)
    return msg


def from_json(body: bytes, cls: type[M]) -> M:
    try:
        d = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise WireError(f"Failed to parse body into JSON: {e}") from None
    return from_dict(d, cls)


def from_protobuf(body: bytes, cls: type[M]) -> M:
    msg = cls()
    try:
        msg.ParseFromString(body)
    except (DecodeError, ValueError, RuntimeError, RecursionError) as e:
        raise WireError(f"Failed to parse body into {cls.DESCRIPTOR.name}: {e}") from None
    if not msg.IsInitialized():
        missing = ", ".join(msg.FindInitializationErrors())
        raise WireError(f"Failed to parse body into {cls.DESCRIPTOR.name}: missing {missing}")
    return msg


def decode(body: bytes, fmt: str, cls: type[M]) -> M:
    return from_protobuf(body, cls) if fmt == PROTOBUF else from_json(body, cls)


# ------------------------------------------------------------------ RecordIO
def record(payload: bytes) -> bytes:
    """One RecordIO record: `<len>\\n<payload>`."""
    return b"%d\n" % len(payload) + payload


class RecordIOReader:
    """Incremental RecordIO parser: `feed(chunk)` returns the complete records so far."""

    __slots__ = ("_buf", "max_record")

    def __init__(self, max_record: int = 64 * 1024 * 1024) -> None:
        self._buf = bytearray()
        self.max_record = max_record

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        out: list[bytes] = []
        while True:
            nl = self._buf.find(b"\n", 0, 21)
            if nl < 0:
                if len(self._buf) > 20:
                    raise WireError("RecordIO: record length too long")
                return out
            head = bytes(self._buf[:nl])
            if not head.isdigit():
                raise WireError(f"RecordIO: bad record length {head[:20]!r}")
            n = int(head)
            if n > self.max_record:
                raise WireError(f"RecordIO: record of {n} bytes exceeds the limit")
            if len(self._buf) < nl + 1 + n:
                return out
            out.append(bytes(self._buf[nl + 1 : nl + 1 + n]))
            del self._buf[: nl + 1 + n]

    @property
    def pending(self) -> int:
        return len(self._buf)
