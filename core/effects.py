"""Inputs every machine accepts and effects every machine returns.

`effects = machine.step(now, input)`: `now` is float seconds supplied by the driver.

Addressing: every process has a name (a libprocess-like pid string): "master" is whichever
master currently leads (the shell/simulator resolves it); agents are "agent@<host>:<port>"
or whatever name the driver gives them; HTTP scheduler streams are named by their
Mesos-Stream-Id; executors by the name the agent's shell gives their connection.
Messages arrive as `Received(sender, message)` and leave as `Send(to, message)`.

ORDERING RULES the shell (io/) and the simulator (core/sim/) must keep:
1. Effects are interpreted in list order.
2. A `Persist` must be durable (fsync'd) before any effect that follows it in the same list
   is carried out. In particular an agent acknowledges an executor's update (a `Send` of an
   acknowledgement) only after the `Persist` of that update, which precedes it.
3. A `RegistryWrite` is asynchronous: the machine is told the outcome by a
   `RegistryResult` input with the same `op_id`; nothing after it in the list depends on it.
4. `SetTimer` with a key that is already set replaces it; `CancelTimer` of an unset key is a
   no-op. A fired timer arrives as `TimerFired(key)`.
5. `Respond` answers exactly one request (`request` id) of a request/response API (HTTP);
   every such request input gets exactly one `Respond`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.values import fast_inits

frozen = attrs.frozen(kw_only=True, slots=True)

TimerKey = tuple[str, ...]


# ---------------------------------------------------------------- inputs (common)
@attrs.frozen(kw_only=True, slots=True)
class Received:
    """A message from a peer process (already decoded to a core message value). `principal`:
    who the connection it came on authenticated as (CRAM-MD5, io/wire/handshake.py), None
    when it did not authenticate."""

    sender: str
    message: Any
    principal: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class Disconnected:
    """The connection to `peer` broke (or its HTTP stream closed)."""

    peer: str


@attrs.frozen(kw_only=True, slots=True)
class TimerFired:
    key: TimerKey


@attrs.frozen(kw_only=True, slots=True)
class RegistryResult:
    """Outcome of a `RegistryWrite` (ok=False: the write was fenced or failed)."""

    op_id: int
    ok: bool
    message: str = ""


# ---------------------------------------------------------------- effects (common)
@attrs.frozen(kw_only=True, slots=True)
class Send:
    """Send `message` to process `to`. Fire-and-forget: links may drop it."""

    to: str
    message: Any


@attrs.frozen(kw_only=True, slots=True)
class Close:
    """Close the connection/stream to `peer` (after any preceding Send to it)."""

    peer: str


@attrs.frozen(kw_only=True, slots=True)
class Respond:
    """Answer request `request` with an HTTP-like `status` (200/202 ok, 4xx rejection).

    For a scheduler SUBSCRIBE that opens a stream, `stream_id` names the new stream; events
    for it then arrive as `Send(to=stream_id, ...)`.
    """

    request: str
    status: int
    message: str = ""
    stream_id: str | None = None
    body: Any = None


@attrs.frozen(kw_only=True, slots=True)
class SetTimer:
    key: TimerKey
    at: float


@attrs.frozen(kw_only=True, slots=True)
class CancelTimer:
    key: TimerKey


@attrs.frozen(kw_only=True, slots=True)
class Persist:
    """Write `record` durably under `key`.

    append=False: replace the checkpoint at `key` atomically (None deletes it).
    append=True: append `record` to the log at `key` (status-update streams).
    """

    key: tuple[str, ...]
    record: Any
    append: bool = False


@attrs.frozen(kw_only=True, slots=True)
class RegistryWrite:
    """Master registry operation: op is ("admit", agent_info) | ("unreachable", agent_id, time)
    | ("reachable", agent_id) | ("gone", agent_id, time) | ("remove", agent_id).
    Written with compare-and-set on the registry version the machine last saw (fencing).
    The exact tuples are documented in core/registry.py (`apply`); note that the master's
    "reachable" op carries the whole AgentInfo: ("reachable", agent_info).
    The master's registrar may also write ("batch", (op, ...)): several operations as ONE
    compare-and-set that commits or fails as a whole (core/registry.py)."""

    op_id: int
    op: tuple[Any, ...]


@attrs.frozen(kw_only=True, slots=True)
class Metric:
    """Set (or increment when inc=True) a metric by its Mesos name, e.g. master/tasks_running."""

    name: str
    value: float
    inc: bool = False


@attrs.frozen(kw_only=True, slots=True)
class Log:
    """A structured log line (the shell routes it to structlog)."""

    level: str
    event: str
    fields: tuple[tuple[str, Any], ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class Reject:
    """A peer's input was rejected; the state is unchanged. The shell logs it (and a
    request/response API answers with `status`)."""

    sender: str
    status: int
    message: str
    input: Any = None


# attrs classes of this module: slot-storing __init__s (core/values.py fast_init; hot path)
fast_inits(globals())
