"""One placement problem solved three ways (docs/tutorial/07-mesos-vs-yarn.md): GPU jobs must
run only on the GPU agents, batch jobs must stay off them.

1. `attributes`: agents carry `gpu:true` (`mesotron agent --attributes gpu:true`); each
   framework filters offers itself (two-level scheduling): the GPU framework declines
   non-GPU offers, the batch framework declines GPU offers. Nothing enforces it: a
   framework that does not filter lands anywhere.
2. `reservation`: the GPU agent's resources are reserved for role `gpu`
   (`--resources "cpus(gpu):2;mem(gpu):512"`): only frameworks in role `gpu` are offered
   them; the master enforces it, but reserved resources stay idle when the GPU role does
   not use them (YARN's *exclusive* node label).
3. `constraints`: each framework subscribes with offer constraints (Mesos 1.11's
   `OfferConstraints`; here attribute predicates): GPU `gpu equals true`, batch
   `gpu not_exists`. The allocator never offers the other agents to it (YARN's queue access
   to a label), but a framework without constraints may still use the GPU agent (YARN's
   *non-exclusive* label).

    python examples/placement.py --master HOST:PORT --way attributes|constraints
    python examples/placement.py --master HOST:PORT --way reservation

Each run launches two GPU tasks and two batch tasks and prints where each ran.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio
from kit import R, ack, attr, user
from mesotron.core.messages import (
    CallAccept,
    CallDecline,
    CallSubscribe,
    CallTeardown,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.values import AttributeConstraint, CommandInfo, Filters, FrameworkInfo, TaskInfo
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.spec import codec_scheduler, scheduler_pb2
from mesotron.spec.wire import JSON, RecordIOReader, decode, encode

TASK = "cpus:0.1;mem:32"


class RawScheduler:
    """The v1 scheduler API spoken directly (httpx), to send SUBSCRIBE with offer
    constraints: the same calls and events as SchedulerClient, nothing hidden."""

    def __init__(self, master: str, call: CallSubscribe) -> None:
        self.base = f"http://{master}/api/v1/scheduler"
        self.subscribe = call
        self.framework_id: str | None = None
        self.stream_id = ""
        self.client = httpx.AsyncClient(timeout=None)
        self._send, self._recv = trio.open_memory_channel[Any](1000)

    @classmethod
    @asynccontextmanager
    async def open(cls, master: str, call: CallSubscribe) -> AsyncIterator[RawScheduler]:
        self = cls(master, call)
        async with self.client, trio.open_nursery() as n:
            subscribed = trio.Event()
            n.start_soon(self._read, subscribed)
            await subscribed.wait()
            yield self
            n.cancel_scope.cancel()

    async def _read(self, subscribed: trio.Event) -> None:
        body = encode(codec_scheduler.encode_call(None, self.subscribe), JSON)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        async with self.client.stream("POST", self.base, content=body, headers=headers) as r:
            if r.status_code != 200:
                raise RuntimeError(f"SUBSCRIBE: {r.status_code} {(await r.aread())!r}")
            self.stream_id = r.headers["Mesos-Stream-Id"]
            reader = RecordIOReader()
            async for chunk in r.aiter_bytes():
                for rec in reader.feed(chunk):
                    ev = codec_scheduler.decode_event(decode(rec, JSON, scheduler_pb2.Event))
                    if isinstance(ev, EventSubscribed):
                        self.framework_id = ev.framework_id
                        subscribed.set()
                    await self._send.send(ev)

    def events(self) -> trio.MemoryReceiveChannel[Any]:
        return self._recv

    async def call(self, call: Any) -> None:
        body = encode(codec_scheduler.encode_call(self.framework_id, call), JSON)
        r = await self.client.post(self.base, content=body, headers={
            "Content-Type": "application/json", "Mesos-Stream-Id": self.stream_id})
        if r.status_code not in (200, 202):
            raise RuntimeError(f"{type(call).__name__}: {r.status_code} {r.text}")


async def job(s: Any, name: str, n: int, wants_gpu: bool | None, placed: dict[str, str],
              task: str = TASK) -> None:
    """Launch `n` tasks; `wants_gpu` True/False filters offers framework-side, None takes any."""
    need = R(task)
    launched = done = 0
    async for ev in s.events():
        if isinstance(ev, EventOffers):
            for o in ev.offers:
                gpu = attr(o, "gpu") == "true"
                avail = o.resources.unallocate()
                if launched < n and (wants_gpu is None or gpu == wants_gpu) and avail.contains(need):
                    tid = f"{name}-{launched}"
                    launched += 1
                    placed[tid] = o.hostname
                    await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(
                        TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=need,
                                 command=CommandInfo(value="true")),)),),
                        filters=Filters(refuse_seconds=0.1)))
                else:
                    await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=0.2)))
        elif isinstance(ev, EventUpdate):
            await ack(s, ev.status)
            if ev.status.state.is_terminal:
                done += 1
                if done == n:
                    await s.call(CallTeardown())
                    return


async def run(master: str, way: str) -> dict[str, str]:
    """Two GPU tasks and two batch tasks placed the `way` way: {task id: hostname}."""
    placed: dict[str, str] = {}
    if way == "attributes":
        async with trio.open_nursery() as n:
            for name, gpu in (("gpu", True), ("batch", False)):
                async def one(name: str = name, gpu: bool = gpu) -> None:
                    async with SchedulerClient.connect(master, FrameworkInfo(user=user(), name=name)) as s:
                        await job(s, name, 2, gpu, placed)
                n.start_soon(one)
    elif way == "reservation":
        async with trio.open_nursery() as n:
            for name, role in (("gpu", "gpu"), ("batch", "*")):
                async def one(name: str = name, role: str = role) -> None:
                    info = FrameworkInfo(user=user(), name=name, roles=(role,))
                    async with SchedulerClient.connect(master, info) as s:
                        await job(s, name, 2, None, placed, task=TASK if role == "*" else f"cpus({role}):0.1;mem({role}):32")
                n.start_soon(one)
    elif way == "constraints":
        cons = {"gpu": AttributeConstraint(attribute="gpu", predicate="equals", value="true"),
                "batch": AttributeConstraint(attribute="gpu", predicate="not_exists")}
        async with trio.open_nursery() as n:
            for name in ("gpu", "batch"):
                async def one(name: str = name) -> None:
                    call = CallSubscribe(framework_info=FrameworkInfo(user=user(), name=name),
                                         offer_constraints=(("*", (cons[name],)),))
                    async with RawScheduler.open(master, call) as s:
                        await job(s, name, 2, None, placed)
                n.start_soon(one)
    else:
        raise ValueError(f"unknown way {way!r}: attributes, reservation or constraints")
    return placed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True)
    p.add_argument("--way", choices=("attributes", "reservation", "constraints"), required=True)
    a = p.parse_args(argv)
    placed = trio.run(run, a.master, a.way)
    for tid, host in sorted(placed.items()):
        print(f"{tid} ran on {host}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
