"""`mesotron execute`: run a command as one or more tasks, like `mesos-execute`.

Prints the same lines as mesos-execute ("Subscribed with ID ...", "Submitted task '...' to
agent '...'", "Received status update TASK_... for task '...'"), acknowledges every update,
and exits 0 only if every task finished.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys

import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallSuppress,
    CallTeardown,
    EventError,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    Capability,
    CommandInfo,
    Filters,
    FrameworkInfo,
    TaskInfo,
    TaskState,
)
from mesotron.io.daemons import flags as fl
from mesotron.io.wire.scheduler_client import SchedulerClient, SubscribeError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--master", required=True, help="master HOST:PORT")
    p.add_argument("--name", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--resources", default="cpus:1;mem:128")
    p.add_argument("--instances", type=int, default=1)
    p.add_argument("--checkpoint", action="store_true")
    p.add_argument("--kill-after", type=fl.duration, default=None,
                   help="kill each task this long after it is RUNNING")
    p.add_argument("--role", default="*")
    p.add_argument("--timeout", type=fl.duration, default=None,
                   help="give up (exit 1) after this long")


async def execute(args: argparse.Namespace, out=print) -> int:  # type: ignore[no-untyped-def]
    res = Resources.parse(args.resources)
    names = [args.name] if args.instances == 1 else [f"{args.name}-{i}" for i in range(args.instances)]
    pending = list(names)
    states: dict[str, TaskState] = {}
    info = FrameworkInfo(user=getpass.getuser(), name=f"mesotron-execute {args.name}",
                         roles=(args.role,), checkpoint=args.checkpoint,
                         hostname=socket.gethostname(),
                         capabilities=frozenset({Capability.TASK_KILLING_STATE}))
    async with SchedulerClient.connect(args.master, info) as s, trio.open_nursery() as nursery:
        async for ev in s.events():
            if isinstance(ev, EventSubscribed):
                out(f"Subscribed with ID {ev.framework_id}")
            elif isinstance(ev, EventOffers):
                for offer in ev.offers:
                    avail = offer.resources.unallocate() if hasattr(offer.resources, "unallocate") else offer.resources
                    tasks = []
                    while pending and avail.contains(res):
                        name = pending.pop(0)
                        tasks.append(TaskInfo(name=name, task_id=name, agent_id=offer.agent_id,
                                              resources=res, command=CommandInfo(value=args.command)))
                        avail = avail - res
                    if tasks:
                        await s.call(CallAccept(offer_ids=(offer.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                                filters=Filters(refuse_seconds=1.0)))
                        for t in tasks:
                            out(f"Submitted task '{t.name}' to agent '{offer.agent_id}'")
                    else:
                        await s.call(CallDecline(offer_ids=(offer.id,), filters=Filters(refuse_seconds=60.0)))
                if not pending:
                    await s.call(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                out(f"Received status update {st.state.name} for task '{st.task_id}'")
                if st.message:
                    out(f"  message: '{st.message}'")
                if st.source is not None:
                    out(f"  source: {st.source.name}")
                if st.reason is not None:
                    out(f"  reason: {st.reason.name}")
                if st.uuid is not None and st.agent_id is not None:
                    await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                states[st.task_id] = st.state
                if st.state is TaskState.TASK_RUNNING and args.kill_after is not None:
                    nursery.start_soon(_kill_later, s, st.task_id, st.agent_id, args.kill_after)
                if len(names) == sum(1 for n in names if n in states and states[n].is_terminal):
                    await s.call(CallTeardown())
                    break
            elif isinstance(ev, EventError):
                out(f"Received an ERROR event: {ev.message}")
                return 1
        nursery.cancel_scope.cancel()
    ok = all(states.get(n) is TaskState.TASK_FINISHED for n in names)
    return 0 if ok else 1


async def _kill_later(s: SchedulerClient, task_id: str, agent_id: str | None, delay: float) -> None:
    await trio.sleep(delay)
    await s.call(CallKill(task_id=task_id, agent_id=agent_id))


def run(args: argparse.Namespace) -> int:
    async def main() -> int:
        if args.timeout:
            with trio.move_on_after(args.timeout):
                return await execute(args)
            print("mesotron execute: timed out", file=sys.stderr)
            return 1
        return await execute(args)

    try:
        return trio.run(main)
    except SubscribeError as e:
        print(f"mesotron execute: subscription refused: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"mesotron execute: {e}", file=sys.stderr)
        return 1
