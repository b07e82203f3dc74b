"""s16 lead: MessagesRelayed, framework messages (the v1 MESSAGE call and an executor's
MESSAGE) relayed as Mesos relays them, checked step by step by the simulator's Checker.

The adversarial framework sends MESSAGE calls to the executors of its tasks and the
simulated executor program echoes each one back (core/sim/frameworks.py, core/sim/world.py),
so every hop runs: scheduler -> master (`Master::message`) -> agent
(`Slave::schedulerMessage`) -> executor -> agent (`Slave::executorMessage`) -> master
(`Master::executorMessage`) -> scheduler. Each hop is judged against Mesos's rules from the
books of the machine that took the step (a message changes no book but a counter):

- master, MESSAGE call answered 202: forwarded once, unchanged, to the pid of the agent the
  call names when the master holds it registered and connected, else dropped; counted in
  master/valid_framework_to_executor_messages or master/invalid_...; a call refused
  forwards nothing;
- master, an agent's ExecutorToFramework: sent once on the framework's stream as an
  EventMessage (the agent's id, the executor id, the data) when the sender is a registered
  agent and the framework is connected, else dropped; counted in
  master/valid_executor_to_framework_messages or master/invalid_...;
- agent, FrameworkToExecutor: delivered once to the executor's pid when the agent runs
  (registered), the framework runs and the executor runs, else dropped; counted in the
  agent's valid_framework_messages / invalid_framework_messages;
- agent, an executor's MESSAGE on its own subscription: forwarded once to the master with
  the agent's id when the agent runs, else dropped (both counted as above);
- scheduler: every EventMessage a framework hears echoes a message it sent, from the agent
  and executor it sent it to.

Pure: reads the machines' books and the step's effects, keeps its own tallies."""

from __future__ import annotations

from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.agent.base import MASTER
from mesotron.core.effects import Respond, Send
from mesotron.core.invariants import ClusterSnapshot
from mesotron.core.messages import (
    EventMessage,
    ExecutorFrameworkMessage,
    ExecutorToFramework,
    FrameworkToExecutor,
)

ECHO = b"echo:"


def _sends(effects: list[Any], kind: type) -> list[Any]:
    return [e for e in effects if type(e) is Send and type(e.message) is kind]


def _fail(chk: Any, world: Any, where: str, what: str) -> None:
    chk.run(world, inv.MessagesRelayed, ClusterSnapshot(relayed_messages=((where, what),)))


def _counted(chk: Any, world: Any, where: str, key: Any, counters: Any,
             names: tuple[str, str], valid: bool) -> None:
    """The machine's valid/invalid counters moved by exactly this one message (tallied per
    counters object: a restarted machine, or a master's reset, starts new ones)."""
    kept = chk.msg_tally.get(key)
    if kept is None or kept[0] is not counters:
        # first sight of these counters: trust what they held before this step
        tally = [counters.get(names[0], 0), counters.get(names[1], 0)]
        tally[0 if valid else 1] -= 1
        chk.msg_tally[key] = kept = (counters, tally)
    tally = kept[1]
    tally[0 if valid else 1] += 1
    got = [counters.get(names[0], 0), counters.get(names[1], 0)]
    if got != tally:
        _fail(chk, world, where, f"counts {names[0]}={got[0]:g}, {names[1]}={got[1]:g}; "
                                 f"the messages it handled make {tally[0]:g}, {tally[1]:g}")
        kept[1][:] = got


def check_message_call(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """A master step on a MESSAGE call."""
    call = inp.call
    m = node.machine
    status = next((e.status for e in effects if type(e) is Respond
                   and e.request == inp.request), None)
    fwd = _sends(effects, FrameworkToExecutor)
    where = f"master {node.name}"
    if status != 202:
        if fwd:
            _fail(chk, world, where, f"forwarded a MESSAGE call it answered {status}")
        return
    agent = m._agents.get(call.agent_id)
    ok = agent is not None and agent.connected
    want = [(agent.pid, FrameworkToExecutor(framework_id=inp.framework_id,
                                            executor_id=call.executor_id,
                                            data=call.data))] if ok else []
    got = [(e.to, e.message) for e in fwd]
    if got != want:
        _fail(chk, world, where, f"relayed a MESSAGE for agent {call.agent_id} "
                                 f"({'connected' if ok else 'not registered or disconnected'}) "
                                 f"as {got!r}, not {want!r}")
    _counted(chk, world, where, (node.name, "call"), m.counters,
             ("master/valid_framework_to_executor_messages",
              "master/invalid_framework_to_executor_messages"), ok)


def check_executor_message_at_master(chk: Any, world: Any, node: Any, inp: Any,
                                     effects: list[Any]) -> None:
    """A master step on an agent's ExecutorToFramework."""
    m = node.machine
    msg = inp.message
    events = _sends(effects, EventMessage)
    where = f"master {node.name}"
    if not m.leader:
        if events:
            _fail(chk, world, where, "relayed an executor's message while not leading")
        return
    agent = m._agents.get(m._pids.get(inp.sender, ""))
    fw = m._frameworks.get(msg.framework_id)
    ok = agent is not None and fw is not None and fw.stream is not None
    want = [(fw.stream, EventMessage(agent_id=agent.id, executor_id=msg.executor_id,  # type: ignore[union-attr]
                                     data=msg.data))] if ok else []
    got = [(e.to, e.message) for e in events]
    if got != want:
        _fail(chk, world, where, f"relayed an executor's message of framework "
                                 f"{msg.framework_id} as {got!r}, not {want!r}")
    _counted(chk, world, where, (node.name, "exec"), m.counters,
             ("master/valid_executor_to_framework_messages",
              "master/invalid_executor_to_framework_messages"), ok)


def check_agent_relay(chk: Any, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
    """An agent step on a FrameworkToExecutor (from its master) or on an executor's MESSAGE."""
    a = node.machine
    msg = inp.message
    where = f"agent {node.name}"
    running = a.state == "running"
    if type(msg) is FrameworkToExecutor:
        fw = a.frameworks.get(msg.framework_id)
        ex = fw.executors.get(msg.executor_id) if fw is not None else None
        ok = running and fw is not None and fw.state == "running" and ex is not None \
            and ex.pid is not None and ex.state == "running"
        want = [(ex.pid, ExecutorFrameworkMessage(data=msg.data))] if ok else []  # type: ignore[union-attr]
        got = [(e.to, e.message) for e in _sends(effects, ExecutorFrameworkMessage)]
        what = f"a message for executor {msg.executor_id} of framework {msg.framework_id}"
    else:
        if a.by_pid.get(inp.sender) != (msg.framework_id, msg.executor_id):
            return  # not its own subscription: refused (HostileExecutorInputRefused)
        ok = running
        want = [(MASTER, ExecutorToFramework(
            agent_id=a.agent_id, framework_id=msg.framework_id,
            executor_id=msg.executor_id, data=msg.data))] if ok else []
        got = [(e.to, e.message) for e in _sends(effects, ExecutorToFramework)]
        what = f"executor {msg.executor_id}'s message"
    if got != want:
        _fail(chk, world, where, f"({a.state}) relayed {what} as {got!r}, not {want!r}")
    _counted(chk, world, where, node.name, a.counters,
             ("valid_framework_messages", "invalid_framework_messages"), ok)


def note_message_call(chk: Any, s: Any, c: Any) -> None:
    """A MESSAGE call the scheduler sends: where its echo may come from."""
    chk.msgs_sent.setdefault((s.name, c.data), set()).add((c.agent_id, c.executor_id))


def check_echo(chk: Any, world: Any, s: Any, ev: Any) -> None:
    """An EventMessage the scheduler hears: the echo of a message it sent, from the agent and
    executor it sent it to."""
    data = ev.data
    sent = chk.msgs_sent.get((s.name, data[len(ECHO):])) if data.startswith(ECHO) else None
    if sent is None or (ev.agent_id, ev.executor_id) not in sent:
        _fail(chk, world, f"scheduler {s.name}",
              f"heard a message {data!r} from executor {ev.executor_id} on agent "
              f"{ev.agent_id} that echoes none it sent there")
