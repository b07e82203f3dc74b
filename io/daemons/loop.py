"""The effect interpreter: one Trio task per daemon feeds inputs to a pure machine and
carries out the effects it returns, in order (core/effects.py ORDERING RULES).

- Inputs come from anywhere in the daemon through `submit(input)` (non-blocking, FIFO).
- `now` given to the machine is wall-clock seconds (`time.time()`): statuses carry epoch
  timestamps, as in Mesos. Timers (`SetTimer(key, at)`) are kept in a heap and fire as
  `TimerFired(key)` inputs; a re-set key replaces the old deadline, `CancelTimer` drops it.
- Effects are dispatched by type to handlers registered by the daemon (`on(EffectType, fn)`).
  A handler may be async (e.g. a `Persist` batch that fsyncs); the loop awaits it before
  the next effect, which keeps "durable before what follows".
- Requests (HTTP calls answered by a `Respond` effect) are matched by request id:
  `await loop.request(make_input)` returns the `Respond`; `request_nowait(make_input, fn)`
  calls `fn(respond)` from the loop instead (no task waits).
- `request_here` / `call_here` (the HTTP hot paths): when no input is being fed, the machine
  steps in the CALLING task and its effects are carried out there, under the same lock as
  the loop task's feeding (one input at a time, effects in order, whoever feeds). No task
  switch per request, and the frames the effects queue on links leave together with those
  of the next pipelined requests the caller handles before it yields: such a step leaves
  `sends` held, and the loop's releaser task (which runs once the caller yields, at the
  latest when its connection waits for more bytes) writes them, one write per link for
  the whole batch. An input fed here may go before inputs still queued: they come from
  other peers, with no order between them.
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from mesotron.core.effects import CancelTimer, Log, Respond, SetTimer, TimerFired
from mesotron.io.daemons import logs


class _Call:
    __slots__ = ("callback", "done", "effects", "inp")

    def __init__(self, inp: Any, callback: Callable[[list[Any]], None] | None = None) -> None:
        self.inp = inp
        self.callback = callback
        self.done = trio.Event() if callback is None else None
        self.effects: list[Any] = []


class EffectLoop:
    def __init__(self, machine: Any, log: Any, *, name: str = "machine") -> None:
        self.machine = machine
        self.log = log
        self.name = name
        self._send, self._recv = trio.open_memory_channel[Any](math.inf)
        self._timers: dict[Any, tuple[float, int]] = {}
        self._heap: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._handlers: dict[type, Callable[[Any], Any]] = {}
        self._batch_handlers: dict[type, Callable[[list[Any]], Awaitable[None]]] = {}
        self._pending: dict[str, Any] = {}  # (Event, slot) or a callback
        self._req_ids = itertools.count(1)
        self.steps = 0
        self.on(SetTimer, self._set_timer)
        self.on(CancelTimer, self._cancel_timer)
        self.on(Log, self._log)
        self.on(Respond, self._respond)
        self.before_step: Callable[[Any], None] | None = None
        # an object with hold()/release() (a Transport), or None: the sends of one step's
        # effects leave together after them, one write per connection
        self.sends: Any = None
        self._feeding = trio.Lock()  # held while an input is fed (loop task or request_here)
        # request_here/call_here leave `sends` held; the releaser task writes them once the
        # caller yields (only while run() runs it: otherwise every step releases its own)
        self._held_over = False
        self._release_wake: trio.Event | None = None

    # ----------------------------------------------------------------- wiring
    def on(self, effect_type: type, handler: Callable[[Any], Any]) -> None:
        self._handlers[effect_type] = handler

    def on_batch(self, effect_type: type, handler: Callable[[list[Any]], Awaitable[None]]) -> None:
        """Consecutive effects of this type are handed over together (one fsync for many)."""
        self._batch_handlers[effect_type] = handler

    def submit(self, inp: Any) -> None:
        self._send.send_nowait(inp)

    async def request(self, make_input: Callable[[str], Any]) -> Respond:
        rid = f"r{next(self._req_ids)}"
        ev = trio.Event()
        slot: list[Any] = []
        self._pending[rid] = (ev, slot)
        try:
            self.submit(make_input(rid))
            await ev.wait()
        finally:
            self._pending.pop(rid, None)
        return slot[0]

    def request_nowait(self, make_input: Callable[[str], Any], on_response: Callable[[Respond], None]) -> None:
        """Like `request`, without waiting: `on_response(respond)` is called from the loop
        when the `Respond` is interpreted (the driver wire's fire-and-forget calls)."""
        rid = f"r{next(self._req_ids)}"
        self._pending[rid] = on_response
        self.submit(make_input(rid))

    # ----------------------------------------------------------------- the loop
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            if self.sends is not None:
                nursery.start_soon(self._releaser)
            await self._run(task_status)

    async def _releaser(self) -> None:
        """Write the frames request_here/call_here steps left held, once their caller has
        yielded (this task runs only then)."""
        self._release_wake = trio.Event()
        try:
            while True:
                await self._release_wake.wait()
                self._release_wake = trio.Event()
                if self._held_over:
                    self._held_over = False
                    self.sends.release()
        finally:
            self._release_wake = None
            if self._held_over:
                self._held_over = False
                self.sends.release()

    async def _run(self, task_status: Any) -> None:
        task_status.started()
        while True:
            deadline = self._next_deadline()
            inp = None
            with trio.move_on_at(deadline):
                inp = await self._recv.receive()
            async with self._feeding:
                if inp is not None:
                    await self.feed(inp)
                    # drain what is already queued without re-arming timers each time
                    for _ in range(256):
                        try:
                            inp = self._recv.receive_nowait()
                        except trio.WouldBlock:
                            break
                        await self.feed(inp)
                await self._fire_due()

    async def request_here(self, make_input: Callable[[str], Any]) -> Respond:
        """`request`, stepping the machine in this task when no input is being fed (see the
        module docstring); otherwise queued as `request`."""
        try:
            self._feeding.acquire_nowait()
        except trio.WouldBlock:
            return await self.request(make_input)
        rid = f"r{next(self._req_ids)}"
        ev = trio.Event()
        slot: list[Any] = []
        self._pending[rid] = (ev, slot)
        try:
            try:
                with trio.CancelScope(shield=True):  # effects are carried out whole
                    await self.feed(make_input(rid), hold_over=True)
            finally:
                self._feeding.release()
            if not slot:  # answered by a later step
                await ev.wait()
        finally:
            self._pending.pop(rid, None)
        return slot[0]

    async def call_here(self, inp: Any) -> list[Any]:
        """`call`, stepping the machine in this task when no input is being fed."""
        try:
            self._feeding.acquire_nowait()
        except trio.WouldBlock:
            return await self.call(inp)
        c = _Call(inp)
        try:
            with trio.CancelScope(shield=True):
                await self.feed(c, hold_over=True)
        finally:
            self._feeding.release()
        return c.effects

    async def call(self, inp: Any) -> list[Any]:
        """Submit `inp` and wait until its effects have been carried out; returns them
        (for answering an HTTP request from the effects an input produced)."""
        c = _Call(inp)
        self.submit(c)
        await c.done.wait()
        return c.effects

    def call_nowait(self, inp: Any, on_effects: Callable[[list[Any]], None]) -> None:
        """Like `call`, without waiting: `on_effects(effects)` is called from the loop once
        they have been carried out."""
        self.submit(_Call(inp, on_effects))

    async def feed(self, inp: Any, hold_over: bool = False) -> None:
        """Step the machine with `inp` and carry out its effects; the frames they send leave
        after them, one write per link (with `hold_over`, and while steps so fed wait for
        the releaser, they leave when the releaser runs: see the module docstring)."""
        waiter = None
        if type(inp) is _Call:
            waiter, inp = inp, inp.inp
        now = time.time()
        try:
            effects = self.machine.step(now, inp)
            self.steps += 1
            sends = self.sends
            if sends is None:
                await self.interpret(effects)
            elif self._release_wake is not None and (hold_over or self._held_over):
                sends.hold()
                try:
                    await self.interpret(effects)
                finally:
                    wake = self._release_wake
                    if wake is not None:
                        self._held_over = True
                        wake.set()
                    else:  # the releaser has stopped meanwhile (shutdown): write them now
                        self._held_over = False
                        sends.release()
            else:
                sends.hold()
                try:
                    await self.interpret(effects)
                finally:
                    sends.release()
        finally:
            if waiter is not None:
                waiter.effects = effects if "effects" in locals() else []
                if waiter.callback is not None:
                    waiter.callback(waiter.effects)
                else:
                    waiter.done.set()

    async def interpret(self, effects: list[Any]) -> None:
        i, n = 0, len(effects)
        while i < n:
            e = effects[i]
            t = type(e)
            batch = self._batch_handlers.get(t)
            if batch is not None:
                j = i + 1
                while j < n and type(effects[j]) is t:
                    j += 1
                await batch(effects[i:j])
                i = j
                continue
            handler = self._handlers.get(t)
            if handler is None:
                self.log.warning("effect.unhandled", effect=repr(e)[:300])
            else:
                r = handler(e)
                if r is not None and inspect.isawaitable(r):
                    await r
            i += 1

    def _log(self, e: Log) -> None:
        level = "warning" if e.level == "warn" else e.level
        if not logs.enabled(level):  # below --log-level: skip structlog's processing
            return
        getattr(self.log, level, self.log.info)(e.event, **dict(e.fields))

    # ----------------------------------------------------------------- timers
    def _set_timer(self, e: SetTimer) -> None:
        seq = next(self._seq)
        self._timers[e.key] = (e.at, seq)
        heapq.heappush(self._heap, (e.at, seq, e.key))

    def _cancel_timer(self, e: CancelTimer) -> None:
        self._timers.pop(e.key, None)

    def _next_deadline(self) -> float:
        while self._heap:
            at, seq, key = self._heap[0]
            cur = self._timers.get(key)
            if cur is None or cur[1] != seq:
                heapq.heappop(self._heap)
                continue
            return trio.current_time() + (at - time.time())
        return math.inf

    async def _fire_due(self) -> None:
        now = time.time()
        while self._heap:
            at, seq, key = self._heap[0]
            cur = self._timers.get(key)
            if cur is None or cur[1] != seq:
                heapq.heappop(self._heap)
                continue
            if at > now:
                return
            heapq.heappop(self._heap)
            del self._timers[key]
            await self.feed(TimerFired(key=key))

    # ----------------------------------------------------------------- requests
    def _respond(self, e: Respond) -> None:
        pending = self._pending.get(e.request)
        if pending is None:
            return
        if callable(pending):
            del self._pending[e.request]
            pending(e)
            return
        ev, slot = pending
        if not slot:
            slot.append(e)
            ev.set()
