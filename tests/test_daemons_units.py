"""Unit tests of the shell's pieces: durations, the checkpoint store (atomic checkpoints,
CRC-framed logs whose torn tail is dropped), the internal transport (frames, Hello, a broken
connection becomes exactly one Disconnected), the effect loop (order, timers, requests)."""

from __future__ import annotations

import os

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core.checkpoint import Recovered
from mesotron.core.effects import CancelTimer, Persist, Respond, SetTimer, TimerFired
from mesotron.core.messages import Ping, Pong, RegisterAgent
from mesotron.core.values import AgentInfo
from mesotron.io.daemons.flags import parse_duration, rate_limit
from mesotron.io.daemons.loop import EffectLoop
from mesotron.io.store.disk import CheckpointStore, read_records
from mesotron.io.wire.transport import Transport


@pytest.mark.parametrize("text,secs", [("500ms", 0.5), ("10secs", 10.0), ("2mins", 120.0), ("1.5", 1.5),
                                       ("3", 3.0), ("1hrs", 3600.0), ("250us", 0.00025), ("1days", 86400.0)])
def test_durations(text, secs) -> None:
    assert parse_duration(text) == pytest.approx(secs)


@pytest.mark.parametrize("bad", ["", "ms", "10 parsecs", "-1secs", "1e"])
def test_bad_durations(bad) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_agent_removal_rate_limit_flag() -> None:
    # --agent_removal_rate_limit (MasterTest.RateLimitRecoveredSlaveRemoval's flag): N/duration
    assert rate_limit("1/20mins") == (1, 1200.0)
    assert rate_limit("5/1secs") == (5, 1.0)
    for bad in ("", "1", "0/1secs", "x/1secs", "1/", "1/0secs", "-1/2mins"):
        with pytest.raises(Exception, match="invalid rate limit"):
            rate_limit(bad)


records = st.one_of(st.integers(), st.text(max_size=20), st.binary(max_size=30),
                    st.builds(AgentInfo, hostname=st.text(min_size=1, max_size=5)))
keys = st.tuples(st.sampled_from(["task", "executor", "updates"]), st.text(min_size=1, max_size=6),
                 st.text(min_size=1, max_size=6))
ops = st.lists(st.tuples(keys, st.one_of(st.none(), records), st.booleans()), max_size=12)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_store_matches_reference_replay(tmp_path_factory, ops_) -> None:
    """What the store recovers equals core.checkpoint.Recovered.apply of the same effects."""
    root = str(tmp_path_factory.mktemp("ck"))
    effects = [Persist(key=k, record=r, append=a and r is not None) for k, r, a in ops_]
    CheckpointStore(root, sync=False).persist_many(effects)
    assert CheckpointStore(root).recover() == Recovered.empty().apply(effects)


@settings(max_examples=30, deadline=None)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=250, max_size=700),
       st.lists(st.text(min_size=1, max_size=60), max_size=2), records)
def test_long_key_components_round_trip(tmp_path_factory, long_id, more, record) -> None:
    """A key component longer than a file name may be (a 300-character task id) is cut into
    directories and recovered whole, for checkpoints and logs alike (the whole path stays
    under PATH_MAX: ids of printable ASCII up to 700 characters)."""
    root = str(tmp_path_factory.mktemp("ck"))
    ids = [long_id, *more]
    effects = [Persist(key=("task", "fw", *ids), record=record),
               Persist(key=("updates", *ids), record=record, append=True)]
    CheckpointStore(root, sync=False).persist_many(effects)
    assert CheckpointStore(root).recover() == Recovered.empty().apply(effects)


def test_torn_log_tail_is_dropped(tmp_path) -> None:
    store = CheckpointStore(str(tmp_path))
    key = ("updates", "fw", "t1")
    store.persist_many([Persist(key=key, record=f"u{i}", append=True) for i in range(3)])
    path = store._path(key, ".log")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:  # a crash in the middle of the last append
        f.truncate(size - 3)
    assert CheckpointStore(str(tmp_path)).recover().logs[key] == ["u0", "u1"]
    # the tail was truncated away: appends continue on a record boundary
    store.persist_many([Persist(key=key, record="u2'", append=True)])
    assert CheckpointStore(str(tmp_path)).recover().logs[key] == ["u0", "u1", "u2'"]


def test_corrupt_record_and_leftover_temp(tmp_path) -> None:
    store = CheckpointStore(str(tmp_path))
    store.persist_many([Persist(key=("agent",), record="A1"), Persist(key=("l",), record=1, append=True),
                        Persist(key=("l",), record=2, append=True)])
    path = store._path(("l",), ".log")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[-1] ^= 0xFF  # flip a bit of the last payload: its CRC fails
    with open(path, "wb") as f:
        f.write(bytes(data))
    with open(store._path(("agent",), ".ck") + ".tmp.123", "wb") as f:  # an interrupted write
        f.write(b"half")
    rec = CheckpointStore(str(tmp_path)).recover()
    assert rec.logs[("l",)] == [1] and rec.checkpoints[("agent",)] == "A1"
    assert len(read_records(path)) == 1
    assert not [n for n in os.listdir(tmp_path) if ".tmp." in n]


def test_transport_round_trip_and_disconnect() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            got_m: list = []
            got_a: list = []
            gone_m: list = []
            gone_a: list = []
            master = Transport("master@x", lambda p, m: got_m.append((p, m)), gone_m.append)
            agent = Transport("agent@y", lambda p, m: got_a.append((p, m)), gone_a.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                await n.start(agent.run)
                await agent.connect("127.0.0.1", port, "master@x")
                reg = RegisterAgent(agent_info=AgentInfo(hostname="h"))
                for _ in range(50):
                    agent.send("master@x", reg)
                while len(got_m) < 50:
                    await trio.sleep(0.001)
                assert got_m[0] == ("agent@y", reg)
                assert master.send("agent@y", Ping()) and master.send("agent@y", Pong())
                while len(got_a) < 2:
                    await trio.sleep(0.001)
                assert got_a == [("master@x", Ping()), ("master@x", Pong())]
                master.close("agent@y")  # the master hangs up: one Disconnected on each side
                while not (gone_m and gone_a):
                    await trio.sleep(0.001)
                assert gone_m == ["agent@y"] and gone_a == ["master@x"]
                assert not master.send("agent@y", Ping())
                n.cancel_scope.cancel()

    trio.run(main)


def test_transport_garbage_frame_disconnects() -> None:
    async def main() -> None:
        with trio.fail_after(10):
            gone: list = []
            master = Transport("m", lambda p, m: None, gone.append)
            async with trio.open_nursery() as n:
                port = await n.start(master.serve, "127.0.0.1", 0)
                s = await trio.open_tcp_stream("127.0.0.1", port)
                await s.send_all(b"\x00\x00\x00\x05hello")  # not an Envelope with a Hello
                assert await s.receive_some(10) == b""  # closed on us
                await s.aclose()
                assert gone == []  # it never said who it was
                n.cancel_scope.cancel()

    trio.run(main)


class _Echo:
    """A tiny machine: answers requests, sets/cancels timers, records what it saw."""

    def __init__(self) -> None:
        self.seen: list = []

    def step(self, now, inp):
        self.seen.append(inp)
        if isinstance(inp, str) and inp.startswith("r"):
            return [Respond(request=inp, status=202)]
        if inp == "arm":
            return [SetTimer(key=("a",), at=now + 0.05), SetTimer(key=("b",), at=now + 0.01),
                    SetTimer(key=("c",), at=now + 0.02), CancelTimer(key=("c",))]
        return []


def test_effect_loop_timers_and_requests() -> None:
    class Log:
        def __getattr__(self, name):
            return lambda *a, **k: None

    async def main() -> None:
        with trio.fail_after(10):
            m = _Echo()
            loop = EffectLoop(m, Log())
            async with trio.open_nursery() as n:
                await n.start(loop.run)
                loop.submit("arm")
                resp = await loop.request(lambda rid: rid)
                assert resp.status == 202
                while TimerFired(key=("a",)) not in m.seen:
                    await trio.sleep(0.005)
                fired = [x.key for x in m.seen if isinstance(x, TimerFired)]
                assert fired == [("b",), ("a",)]  # in deadline order; the cancelled one never
                n.cancel_scope.cancel()

    trio.run(main)


def test_effect_loop_request_here_steps_in_the_caller_and_never_interleaves() -> None:
    """request_here / call_here (the HTTP hot paths, io/daemons/loop.py): with nothing being
    fed, the machine steps in the calling task; while the loop task is inside an input (an
    async handler awaits), they wait behind it: one input at a time, whoever feeds."""

    class Log:
        def __getattr__(self, name):
            return lambda *a, **k: None

    class Slow:  # an effect whose handler awaits (as a Persist batch that fsyncs)
        pass

    class M(_Echo):
        def __init__(self) -> None:
            super().__init__()
            self.tasks: list = []

        def step(self, now, inp):
            self.tasks.append(trio.lowlevel.current_task())
            if inp == "slow":
                self.seen.append(inp)
                return [Slow()]
            return super().step(now, inp)

    async def main() -> None:
        with trio.fail_after(10):
            m = M()
            loop = EffectLoop(m, Log())
            gate = trio.Event()

            async def slow_handler(e: Slow) -> None:
                await gate.wait()
                m.seen.append("slow done")

            loop.on(Slow, slow_handler)
            async with trio.open_nursery() as n:
                await n.start(loop.run)
                here = trio.lowlevel.current_task()
                resp = await loop.request_here(lambda rid: rid)
                assert resp.status == 202 and m.tasks == [here]  # stepped in this task
                assert await loop.call_here("x") == [] and m.tasks[-1] is here

                loop.submit("slow")  # the loop task feeds it and waits in its handler
                while "slow" not in m.seen:
                    await trio.sleep(0.001)
                answers: list = []

                async def caller() -> None:
                    answers.append(await loop.request_here(lambda rid: rid))

                n.start_soon(caller)
                await trio.sleep(0.05)
                assert not answers and m.seen[-1] == "slow"  # not stepped inside "slow"
                gate.set()
                while not answers:
                    await trio.sleep(0.001)
                assert m.seen[-3:-1] == ["slow", "slow done"] and m.seen[-1].startswith("r")
                assert answers[0].status == 202
                n.cancel_scope.cancel()

    trio.run(main)


def test_effect_loop_frames_of_pipelined_calls_leave_per_batch() -> None:
    """request_here / call_here leave the step's sends held (io/daemons/loop.py): the frames
    of the calls one task handles without yielding leave in ONE release (one write per
    link), once it yields; a step the loop task feeds meanwhile does not release them early;
    every frame leaves, in order."""

    class Log:
        def __getattr__(self, name):
            return lambda *a, **k: None

    class Frame:
        def __init__(self, n: str) -> None:
            self.n = n

    class Sends:  # a Transport's hold()/release(), recording what leaves in each write
        def __init__(self) -> None:
            self.held: list | None = None
            self.writes: list[list[str]] = []

        def hold(self) -> None:
            if self.held is None:
                self.held = []

        def release(self) -> None:
            held, self.held = self.held, None
            if held:
                self.writes.append(held)

        def send(self, name: str) -> None:
            if self.held is None:
                self.writes.append([name])
            else:
                self.held.append(name)

    class M:
        def step(self, now, inp):
            name = inp if isinstance(inp, str) else "?"
            if name.startswith("r"):
                return [Frame(name), Respond(request=name, status=202)]
            return [Frame(name)]

    async def main() -> None:
        with trio.fail_after(10):
            loop = EffectLoop(M(), Log())
            sends = loop.sends = Sends()
            loop.on(Frame, lambda e: sends.send(e.n))
            async with trio.open_nursery() as n:
                await n.start(loop.run)
                await trio.testing.wait_all_tasks_blocked()
                for i in range(3):  # three pipelined calls handled without yielding
                    assert await loop.call_here(f"c{i}") is not None
                await loop.request_here(lambda rid: rid)
                assert sends.writes == []  # nothing written before this task yields
                await trio.testing.wait_all_tasks_blocked()
                assert sends.writes == [["c0", "c1", "c2", "r1"]]
                loop.submit("q")  # fed by the loop task: its own write
                await trio.testing.wait_all_tasks_blocked()
                assert sends.writes[-1] == ["q"]
                n.cancel_scope.cancel()
            assert sends.held is None

    trio.run(main)
