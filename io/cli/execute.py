"""`mesotron execute`: run a command as one or more tasks, like `mesos-execute`.

Prints the same lines as mesos-execute ("Subscribed with ID ...", "Submitted task '...' to
agent '...'", "Received status update TASK_... for task '...'"), acknowledges every update,
and exits 0 only if every task finished.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import socket
import sys
from typing import Any

import attrs
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
    OpLaunchGroup,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    Capability,
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    TaskInfo,
    TaskState,
)
from mesotron.io.cli.master_client import add_master_flags
from mesotron.io.daemons import flags as fl
from mesotron.io.http import tls
from mesotron.io.wire.scheduler_client import SchedulerClient, SubscribeError
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import CodecError, task_from_pb
from mesotron.spec.wire import WireError, from_dict


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_master_flags(p, help="master HOST:PORT or https://HOST:PORT")
    p.add_argument("--name", default=None, help="task name (required with --command)")
    p.add_argument("--command", default=None, help="shell command to run as the task")
    p.add_argument("--env", default=None,
                   help='shell command environment as JSON, e.g. {"NAME":"value"}')
    p.add_argument("--task", default=None,
                   help="a TaskInfo as JSON, or a path (file:///p or /p) to a file holding it")
    p.add_argument("--task_group", "--task-group", dest="task_group", default=None,
                   help="a TaskGroupInfo as JSON, or a path to it: launched as one group by "
                        "the default executor")
    p.add_argument("--framework_capabilities", "--framework-capabilities",
                   dest="framework_capabilities", default="",
                   help="comma-separated extra framework capabilities (e.g. PARTITION_AWARE)")
    p.add_argument("--resources", default="cpus:1;mem:128")
    p.add_argument("--instances", type=int, default=1)
    p.add_argument("--checkpoint", action="store_true")
    p.add_argument("--kill-after", type=fl.duration, default=None,
                   help="kill each task this long after it is RUNNING")
    p.add_argument("--role", default="*")
    p.add_argument("--timeout", type=fl.duration, default=None,
                   help="give up (exit 1) after this long")


class UsageError(ValueError):
    """A bad flag value: printed as one line, exit 2."""


def _json_arg(text: str, what: str) -> Any:
    """Inline JSON, or a path (`file:///p` or `/p`) to a file holding it (mesos-execute)."""
    raw = text
    text = text.removeprefix("file://")
    if text.startswith("/"):
        try:
            with open(text, encoding="utf-8") as f:
                raw = f.read()
        except OSError as e:
            raise UsageError(f"{what}: cannot read {text}: {e.strerror}") from None
    try:
        return json.loads(raw)
    except ValueError as e:
        raise UsageError(f"{what}: not valid JSON: {e}") from None


def _task_from_json(d: Any, agent_id: str, what: str) -> TaskInfo:
    if not isinstance(d, dict):
        raise UsageError(f"{what}: expecting a JSON object (a TaskInfo)")
    d = dict(d, agent_id={"value": agent_id})
    try:
        return task_from_pb(from_dict(d, pb.TaskInfo))
    except (WireError, CodecError, ValueError) as e:
        raise UsageError(f"{what}: invalid TaskInfo: {e}") from None


class Plan:
    """What to launch: `--command` instances, one `--task`, or one `--task_group`."""

    def __init__(self, args: argparse.Namespace) -> None:
        given = [x for x in ("command", "task", "task_group") if getattr(args, x)]
        if len(given) != 1:
            raise UsageError("exactly one of --command, --task, --task_group is required")
        self.group: list[dict[str, Any]] | None = None
        self.task: dict[str, Any] | None = None
        env: dict[str, str] = {}
        if args.env:
            env_json = _json_arg(args.env, "--env")
            if not isinstance(env_json, dict) or not all(isinstance(v, str) for v in env_json.values()):
                raise UsageError('--env: expecting a JSON object of strings, e.g. {"NAME":"value"}')
            env = env_json
        self.env = tuple(sorted(env.items()))
        self.caps = {Capability.TASK_KILLING_STATE, Capability.RESERVATION_REFINEMENT}
        for c in filter(None, (x.strip() for x in (args.framework_capabilities or "").split(","))):
            if c not in Capability.__members__:
                raise UsageError(f"--framework_capabilities: unknown capability {c!r}")
            self.caps.add(Capability[c])
        if args.command:
            if not args.name:
                raise UsageError("--name is required with --command")
            self.res = Resources.parse(args.resources)
            self.names = [args.name] if args.instances == 1 else [
                f"{args.name}-{i}" for i in range(args.instances)]
        elif args.task:
            self.task = _json_arg(args.task, "--task")
            t = _task_from_json(self.task, "-", "--task")
            self.res, self.names = t.resources, [t.task_id]
        else:
            g = _json_arg(args.task_group, "--task_group")
            tasks = g.get("tasks") if isinstance(g, dict) else None
            if not isinstance(tasks, list) or not tasks:
                raise UsageError("--task_group: expecting a TaskGroupInfo {\"tasks\": [TaskInfo, ...]}")
            self.group = tasks
            parsed = [_task_from_json(t, "-", "--task_group") for t in tasks]
            self.res = Resources()
            for t in parsed:
                self.res = self.res + t.resources
            self.names = [t.task_id for t in parsed]
        self.name = args.name or self.names[0]

    def with_env(self, t: TaskInfo) -> TaskInfo:
        if not self.env or t.command is None:
            return t
        env = dict(t.command.environment)
        env.update(self.env)
        return attrs.evolve(t, command=attrs.evolve(t.command, environment=tuple(sorted(env.items()))))

    def operation(self, args: argparse.Namespace, names: list[str], agent_id: str, fid: str) -> Any:
        if self.group is not None:
            tasks = tuple(self.with_env(_task_from_json(t, agent_id, "--task_group")) for t in self.group)
            ex = ExecutorInfo(executor_id=f"default-{self.names[0]}", framework_id=fid, type="DEFAULT",
                              resources=Resources.parse("cpus:0.1;mem:32"))
            return OpLaunchGroup(executor=ex, tasks=tasks)
        if self.task is not None:
            return OpLaunch(task_infos=(self.with_env(_task_from_json(self.task, agent_id, "--task")),))
        return OpLaunch(task_infos=tuple(
            self.with_env(TaskInfo(name=n, task_id=n, agent_id=agent_id, resources=self.res,
                                   command=CommandInfo(value=args.command))) for n in names))


async def execute(args: argparse.Namespace, out=print) -> int:  # type: ignore[no-untyped-def]
    plan = Plan(args)
    res = plan.res
    if plan.group is not None:
        res = res + Resources.parse("cpus:0.1;mem:32")  # the default executor's own share
    names = plan.names
    pending = list(names)
    states: dict[str, TaskState] = {}
    info = FrameworkInfo(user=getpass.getuser(), name=f"mesotron-execute {plan.name}",
                         roles=(args.role,), checkpoint=args.checkpoint,
                         hostname=socket.gethostname(), capabilities=frozenset(plan.caps))
    framework_id = ""
    ctx = tls.cli_context(args.master, args)  # io/http/tls.py: https://, --ssl-*, LIBPROCESS_SSL_*
    async with SchedulerClient.connect(args.master, info, ssl_context=ctx, principal=args.principal,
                                       secret=args.secret) as s, \
            trio.open_nursery() as nursery:
        async for ev in s.events():
            if isinstance(ev, EventSubscribed):
                framework_id = ev.framework_id
                out(f"Subscribed with ID {ev.framework_id}")
            elif isinstance(ev, EventOffers):
                for offer in ev.offers:
                    avail = offer.resources.unallocate() if hasattr(offer.resources, "unallocate") else offer.resources
                    tasks: list[str] = []
                    if plan.group is not None or plan.task is not None:
                        if pending and avail.contains(res):
                            tasks, pending = list(pending), []
                    else:
                        while pending and avail.contains(res):
                            tasks.append(pending.pop(0))
                            avail = avail - res
                    if tasks:
                        op = plan.operation(args, tasks, offer.agent_id, framework_id)
                        await s.call(CallAccept(offer_ids=(offer.id,), operations=(op,),
                                                filters=Filters(refuse_seconds=1.0)))
                        for t in tasks:
                            out(f"Submitted task '{t}' to agent '{offer.agent_id}'")
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


def _run_quietly(main: Any) -> int:
    """trio.run, with Ctrl-C (possibly wrapped in a nursery's exception group) a one-line
    message and exit status 130 instead of a traceback."""
    try:
        result: int = trio.run(main)
        return result
    except BaseException as e:
        interrupted = isinstance(e, KeyboardInterrupt) or (
            isinstance(e, BaseExceptionGroup) and e.subgroup(KeyboardInterrupt) is not None)
        if not interrupted:
            raise
    print("mesotron execute: interrupted", file=sys.stderr)
    return 130


async def _until_interrupted(work: Any) -> int:
    """Run `work()`; SIGINT (Ctrl-C) cancels it at once and gives 130 (as
    KeyboardInterrupt would, but without depending on where Trio delivers it: a task
    inside the HTTP client could otherwise see it first)."""
    result: list[int] = []
    failure: list[Exception] = []
    interrupted = False
    async with trio.open_nursery() as nursery:
        async def watch() -> None:
            nonlocal interrupted
            with trio.open_signal_receiver(signal.SIGINT) as signals:
                async for _ in signals:
                    interrupted = True
                    nursery.cancel_scope.cancel()
                    return

        async def body() -> None:
            try:
                result.append(await work())
            except Exception as e:  # noqa: BLE001  (re-raised as itself below, not wrapped in a group)
                failure.append(e)
            nursery.cancel_scope.cancel()

        nursery.start_soon(watch)
        nursery.start_soon(body)
    if failure and not interrupted:
        raise failure[0]
    if interrupted or not result:
        raise KeyboardInterrupt
    return result[0]


def run(args: argparse.Namespace) -> int:
    async def timed() -> int:
        if args.timeout:
            with trio.move_on_after(args.timeout):
                return await execute(args)
            print("mesotron execute: timed out", file=sys.stderr)
            return 1
        return await execute(args)

    async def main() -> int:
        return await _until_interrupted(timed)

    try:
        return _run_quietly(main)
    except (UsageError, tls.TlsError) as e:
        print(f"mesotron execute: {e}", file=sys.stderr)
        return 2
    except SubscribeError as e:
        print(f"mesotron execute: subscription refused: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"mesotron execute: {e}", file=sys.stderr)
        return 1
