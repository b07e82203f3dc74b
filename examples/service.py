"""A long-running service, Marathon style: keep N instances of a command running.

    python examples/service.py --master 127.0.0.1:5050 --instances 3 --command 'python3 -m http.server $PORT0' \
        --constraint hostname:UNIQUE --constraint rack:GROUP_BY --state /tmp/svc.json

Then type on its standard input (one command a line):
    scale N            run N instances (up or down)
    upgrade COMMAND    rolling upgrade to COMMAND (at least --min-healthy of N stay up)
    status             print the instances

- Health: an instance is healthy while its task is TASK_RUNNING (process liveness; the
  agent's health checks are the isolation issue's and can replace it).
- Restart on failure with backoff: a failed or lost instance is replaced after `--backoff`
  seconds, doubling per consecutive failure (up to `--max-backoff`), reset when a replacement
  runs.
- Placement constraints (Marathon's): `FIELD:UNIQUE`, `FIELD:GROUP_BY[:N]`, `FIELD:LIKE:REGEX`,
  `FIELD:UNLIKE:REGEX`, FIELD being `hostname` or an agent attribute (`--attributes
  rack:r1`). Decided framework-side, offer by offer (two-level scheduling).
- Rolling upgrade: new instances are started with the new command and old ones killed one
  by one, never letting running instances drop below ceil(N x min_healthy).
- Failover: the framework id and the desired state live in `--state`; a restarted service
  re-subscribes with the same id (the master keeps its tasks for `--failover-timeout`) and
  reconciles, so it neither loses nor duplicates instances. A master failover is followed
  by the scheduler client (zk:// masters) and reconciled the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from typing import Any

import attrs
import trio
from kit import R, ack, ports_of, user
from mesotron.core.messages import (
    CallAccept,
    CallDecline,
    CallKill,
    CallReconcile,
    CallRevive,
    CallSuppress,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.values import CommandInfo, Filters, FrameworkInfo, TaskInfo, TaskState
from mesotron.io.wire.scheduler_client import SchedulerClient

ALIVE = {TaskState.TASK_STAGING, TaskState.TASK_STARTING, TaskState.TASK_RUNNING,
         TaskState.TASK_KILLING}


@attrs.define
class Instance:
    task_id: str
    agent_id: str
    hostname: str
    fields: dict[str, str]  # constraint fields of its agent
    version: int
    state: TaskState = TaskState.TASK_STAGING
    killing: bool = False


def parse_constraint(text: str) -> tuple[str, str, str | None]:
    parts = text.split(":", 2)
    if len(parts) < 2 or parts[1] not in ("UNIQUE", "GROUP_BY", "LIKE", "UNLIKE"):
        raise ValueError(f"bad constraint {text!r}: want FIELD:UNIQUE|GROUP_BY[:N]|LIKE:RE|UNLIKE:RE")
    if parts[1] in ("LIKE", "UNLIKE"):
        if len(parts) < 3:
            raise ValueError(f"bad constraint {text!r}: {parts[1]} needs a regular expression")
        re.compile(parts[2])
    return parts[0], parts[1], parts[2] if len(parts) > 2 else None


def fits(constraints: list[tuple[str, str, str | None]], fields: dict[str, str],
         placed: list[dict[str, str]]) -> bool:
    """Marathon's constraint semantics for one more instance on an agent with `fields`,
    given where the live instances are (`placed`)."""
    for field, op, arg in constraints:
        value = fields.get(field)
        if op == "UNIQUE":
            if value is None or any(p.get(field) == value for p in placed):
                return False
        elif op == "LIKE":
            if value is None or not re.fullmatch(arg or "", value):
                return False
        elif op == "UNLIKE":
            if value is not None and re.fullmatch(arg or "", value):
                return False
        elif op == "GROUP_BY":
            if value is None:
                return False
            counts: dict[str, int] = {}
            for p in placed:
                if p.get(field) is not None:
                    counts[p[field]] = counts.get(p[field], 0) + 1
            # spread evenly: never put one more where there are already more than elsewhere
            groups = int(arg) if arg else 0
            if groups and value not in counts and len(counts) >= groups:
                return False
            if counts and counts.get(value, 0) > min(counts.values()) and \
                    (len(counts) >= groups if groups else True):
                return False
    return True


class Service:
    def __init__(self, master: str, *, name: str, command: str, instances: int,
                 resources: str = "cpus:0.1;mem:32", constraints: list[str] = (),  # type: ignore[assignment]
                 state_file: str | None = None, min_healthy: float = 0.5, backoff: float = 1.0,
                 max_backoff: float = 30.0, failover_timeout: float = 3600.0, role: str = "*",
                 out=print) -> None:  # type: ignore[no-untyped-def]
        self.master = master
        self.name = name
        self.resources = resources
        self.constraints = [parse_constraint(c) for c in constraints]
        self.state_file = state_file
        self.min_healthy = min_healthy
        self.backoff0, self.max_backoff = backoff, max_backoff
        self.failover_timeout = failover_timeout
        self.role = role
        self.out = out
        self.framework_id: str | None = None
        self.target = instances
        self.versions: dict[int, str] = {1: command}
        self.version = 1
        self.instances: dict[str, Instance] = {}
        self.seq = 0
        self.failures = 0
        self.not_before = 0.0
        self.load()
        self.s: Any = None
        self.reviving: bool | None = None
        self.changed = trio.Event()

    # ------------------------------------------------------------ durable state
    def load(self) -> None:
        if self.state_file and os.path.exists(self.state_file):
            with open(self.state_file) as f:
                d = json.load(f)
            self.framework_id = d["framework_id"]
            self.target = d["target"]
            self.versions = {int(k): v for k, v in d["versions"].items()}
            self.version = d["version"]
            self.seq = d["seq"]
            for t in d["instances"]:
                self.instances[t["task_id"]] = Instance(
                    task_id=t["task_id"], agent_id=t["agent_id"], hostname=t["hostname"],
                    fields=t["fields"], version=t["version"], state=TaskState[t["state"]])

    def save(self) -> None:
        if not self.state_file:
            return
        d = {"framework_id": self.framework_id, "target": self.target,
             "versions": self.versions, "version": self.version, "seq": self.seq,
             "instances": [{"task_id": i.task_id, "agent_id": i.agent_id, "hostname": i.hostname,
                            "fields": i.fields, "version": i.version, "state": i.state.name}
                           for i in self.instances.values()]}
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.replace(tmp, self.state_file)

    # ------------------------------------------------------------ commands
    def scale(self, n: int) -> None:
        self.target = max(0, n)
        self.out(f"service: scale to {self.target}")
        self.save()
        self.changed.set()

    def upgrade(self, command: str) -> None:
        self.version += 1
        self.versions[self.version] = command
        self.out(f"service: rolling upgrade to version {self.version}")
        self.save()
        self.changed.set()

    def live(self, version: int | None = None) -> list[Instance]:
        return [i for i in self.instances.values() if i.state in ALIVE and not i.killing
                and (version is None or i.version == version)]

    def healthy(self) -> list[Instance]:
        return [i for i in self.live() if i.state is TaskState.TASK_RUNNING]

    def status(self) -> list[str]:
        return [f"{i.task_id} v{i.version} {i.state.name} on {i.hostname}"
                for i in sorted(self.instances.values(), key=lambda x: x.task_id)
                if i.state in ALIVE]

    # ------------------------------------------------------------ the loop
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        info = FrameworkInfo(user=user(), name=self.name, id=self.framework_id,
                             failover_timeout=self.failover_timeout, checkpoint=True,
                             roles=(self.role,))
        async with SchedulerClient.connect(self.master, info) as s:
            self.s = s
            self.framework_id = s.framework_id
            self.save()
            self.out(f"service: framework {s.framework_id}"
                     + (" (failed over)" if info.id else ""))
            await self.reconcile()
            task_status.started(self)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.converge_loop)
                async for ev in s.events():
                    await self.handle(ev)

    async def reconcile(self) -> None:
        known = tuple((i.task_id, i.agent_id) for i in self.instances.values()
                      if i.state in ALIVE)
        if known:
            await self.s.call(CallReconcile(tasks=known))
        await self.s.call(CallRevive())
        self.reviving = True

    async def converge_loop(self) -> None:
        while True:
            await self.converge()
            self.changed = trio.Event()
            with trio.move_on_after(0.2):
                await self.changed.wait()

    def wanted(self) -> int:
        """Instances to launch now (0 while backing off)."""
        if trio.current_time() < self.not_before:
            return 0
        live_new = len(self.live(self.version))
        live_all = len(self.live())
        # during an upgrade, one instance over the target at most (Marathon's over-capacity)
        return max(0, min(self.target - live_new, self.target + 1 - live_all))

    async def converge(self) -> None:
        """Scale down and roll: an old-version instance is killed only while at least
        ceil(N x min_healthy) instances stay healthy; extra current ones go newest first."""
        floor = math.ceil(self.target * self.min_healthy)
        healthy = len(self.healthy())
        for inst in sorted((i for i in self.live() if i.version != self.version),
                           key=lambda i: i.task_id):
            after = healthy - (1 if inst.state is TaskState.TASK_RUNNING else 0)
            if after >= floor:
                await self.kill(inst, f"upgrade to version {self.version}")
                healthy = after
        new = sorted(self.live(self.version), key=lambda i: i.task_id)
        for inst in reversed(new[self.target:]):
            await self.kill(inst, "scale down")
        want = self.wanted() > 0
        if want != self.reviving:
            self.reviving = want
            await self.s.call(CallRevive() if want else CallSuppress())

    async def kill(self, inst: Instance, why: str) -> None:
        inst.killing = True
        self.out(f"service: killing {inst.task_id} ({why})")
        await self.s.call(CallKill(task_id=inst.task_id, agent_id=inst.agent_id))

    async def handle(self, ev: Any) -> None:
        s = self.s
        if isinstance(ev, EventSubscribed):  # re-subscribed (master failover): reconcile
            self.framework_id = ev.framework_id
            await self.reconcile()
        elif isinstance(ev, EventOffers):
            for o in ev.offers:
                await self.offer(o)
        elif isinstance(ev, EventUpdate):
            st = ev.status
            await ack(s, st)
            inst = self.instances.get(st.task_id)
            if inst is None:
                return
            was = inst.state
            inst.state = st.state
            if st.state is TaskState.TASK_RUNNING and was is not TaskState.TASK_RUNNING:
                self.failures = 0
                self.out(f"service: {st.task_id} v{inst.version} running on {inst.hostname}")
            if st.state.is_terminal:
                del self.instances[st.task_id]
                if not inst.killing:
                    self.failures += 1
                    delay = min(self.backoff0 * 2 ** (self.failures - 1), self.max_backoff)
                    self.not_before = trio.current_time() + delay
                    self.out(f"service: {st.task_id} {st.state.name}; replacing it in {delay:g} s")
            self.save()
            self.changed.set()

    async def offer(self, o: Any) -> None:
        s = self.s
        need = R(self.resources)
        avail = o.resources.unallocate()
        fields = {"hostname": o.hostname}
        for a in o.attributes:
            fields[a.name] = str(a.value)
        tasks = []
        for _ in range(self.wanted()):
            placed = [i.fields for i in self.live()]
            ports = ports_of(avail)
            if not avail.contains(need) or not ports or not fits(self.constraints, fields, placed):
                break
            port = ports[0]
            res = need + R(f"ports:[{port}-{port}]")
            self.seq += 1
            tid = f"{self.name}-{self.seq}"
            cmd = self.versions[self.version].replace("$PORT0", str(port))
            tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=res,
                                  command=CommandInfo(value=cmd)))
            self.instances[tid] = Instance(task_id=tid, agent_id=o.agent_id, hostname=o.hostname,
                                           fields=fields, version=self.version)
            avail = avail - res
        if tasks:
            self.save()
            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                    filters=Filters(refuse_seconds=0.5)))
        else:
            await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=1.0)))


async def control(service: Service) -> None:
    """Commands on standard input (see the module docstring)."""
    stdin = trio.wrap_file(sys.stdin)
    async for line in stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "scale" and arg.strip().isdigit():
            service.scale(int(arg))
        elif cmd == "upgrade" and arg.strip():
            service.upgrade(arg.strip())
        elif cmd == "status":
            for ln in service.status():
                print(ln)
        elif cmd:
            print("service: commands are 'scale N', 'upgrade COMMAND', 'status'")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True)
    p.add_argument("--name", default="service")
    p.add_argument("--command", required=True, help="the instance's command ($PORT0: its port)")
    p.add_argument("--instances", type=int, default=1)
    p.add_argument("--resources", default="cpus:0.1;mem:32")
    p.add_argument("--constraint", action="append", default=[])
    p.add_argument("--state", default=None, help="file keeping the framework id and instances")
    p.add_argument("--min-healthy", type=float, default=0.5)
    p.add_argument("--backoff", type=float, default=1.0)
    a = p.parse_args(argv)
    try:
        svc = Service(a.master, name=a.name, command=a.command, instances=a.instances,
                      resources=a.resources, constraints=a.constraint, state_file=a.state,
                      min_healthy=a.min_healthy, backoff=a.backoff)
    except (ValueError, re.error) as e:
        print(f"service: {e}")
        return 2

    async def both() -> None:
        async with trio.open_nursery() as n:
            await n.start(svc.run)
            n.start_soon(control, svc)

    try:
        trio.run(both)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
