"""The registry model: a pure, versioned compare-and-set (core/registry.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core.registry import RegistryBook, RegistryState, apply
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo

A1 = AgentInfo(hostname="h1", id="S1", resources=Resources.parse("cpus:1;mem:128"))
A2 = AgentInfo(hostname="h2", id="S2", resources=Resources.parse("cpus:2;mem:256"))


def _apply_all(state: RegistryState, *ops: tuple) -> RegistryState:
    for op in ops:
        new = apply(state, op, state.version)
        assert new is not None
        state = new
    return state


def test_admit_unreachable_reachable_gone_remove() -> None:
    s = _apply_all(RegistryState(), ("admit", A1), ("admit", A2))
    assert s.version == 2 and s.admitted_ids() == {"S1", "S2"}
    s = _apply_all(s, ("unreachable", "S1", 10.0))
    assert s.admitted_ids() == {"S2"} and s.unreachable == (("S1", 10.0),)
    s = _apply_all(s, ("reachable", A1))
    assert s.admitted_ids() == {"S1", "S2"} and s.unreachable == ()
    s = _apply_all(s, ("gone", "S2", 20.0), ("remove", "S1"))
    assert s.admitted == () and s.gone == (("S2", 20.0),) and s.version == 6
    s = _apply_all(s, ("prune", ("S2",)))
    assert s.gone == () and s.version == 7


def test_stale_version_is_fenced() -> None:
    """OneLeaderWrites: a deposed leader's write (stale expected version) never commits."""
    s0 = RegistryState()
    s1 = apply(s0, ("admit", A1), 0)
    assert s1 is not None and s1.version == 1
    # a second master that read version 0 tries to write: fenced
    assert apply(s1, ("admit", A2), 0) is None
    assert apply(s1, ("unreachable", "S1", 5.0), 2) is None
    # the current version works
    s2 = apply(s1, ("admit", A2), 1)
    assert s2 is not None and s2.version == 2


def test_noop_write_still_advances_the_version() -> None:
    s = _apply_all(RegistryState(), ("admit", A1))
    again = apply(s, ("admit", A1), s.version)
    assert again is not None and again.version == s.version + 1 and again.admitted == s.admitted


@pytest.mark.parametrize("op", [
    (), ("frobnicate",), ("admit", "S1"), ("admit", AgentInfo(hostname="h")),
    ("unreachable", "S1"), ("unreachable", "", 1.0), ("gone", "S1", "soon"), ("remove", 3),
    ("prune", ["S1"]), ("reachable", None),
])
def test_malformed_ops_are_caller_bugs(op: tuple) -> None:
    with pytest.raises(ValueError):
        apply(RegistryState(), op, 0)


def test_describe_is_canonical() -> None:
    a = _apply_all(RegistryState(), ("admit", A2), ("admit", A1))
    b = _apply_all(RegistryState(), ("admit", A1), ("admit", A2))
    assert a == b and a.describe() == b.describe()
    assert "admitted S1 h1" in a.describe()


ids = st.sampled_from(["S1", "S2", "S3"])
infos = ids.map(lambda i: AgentInfo(hostname=f"h{i}", id=i))
ops = st.one_of(
    st.tuples(st.just("admit"), infos),
    st.tuples(st.just("reachable"), infos),
    st.tuples(st.just("unreachable"), ids, st.floats(0, 100)),
    st.tuples(st.just("gone"), ids, st.floats(0, 100)),
    st.tuples(st.just("remove"), ids),
    st.tuples(st.just("prune"), st.lists(ids, max_size=2).map(tuple)),
    # the operator's settings (issue 18: weights, quota, drains, reservations, operations)
    st.tuples(st.just("set"), st.sampled_from([("weight", "eng"), ("quota", "eng"), ("drain", "S1"),
                                               ("operation", "f1", "op1")]),
              st.one_of(st.none(), st.floats(0.5, 3.0),
                        st.tuples(st.sampled_from(["DRAINING", "DRAINED"]), st.none(), st.booleans()))),
)


@settings(max_examples=200)
@given(st.lists(st.tuples(ops, st.integers(-1, 1)), max_size=30))
def test_random_histories_keep_invariants(history: list[tuple[tuple, int]]) -> None:
    """Each id is in at most one list; a write commits iff its expected version is current,
    and then the version advances by exactly one."""
    s = RegistryState()
    for op, skew in history:
        new = apply(s, op, s.version + skew)
        if skew != 0:
            assert new is None
            continue
        assert new is not None and new.version == s.version + 1
        s = new
        adm, unr, gone = s.admitted_ids(), s.unreachable_ids(), s.gone_ids()
        assert not (adm & unr) and not (adm & gone) and not (unr & gone)
        assert len(adm) == len(s.admitted)


# ------------------------------------------------------------------ the registrar's batches
@settings(max_examples=200)
@given(st.lists(ops, min_size=1, max_size=12), st.lists(ops, max_size=6))
def test_a_batch_is_its_operations_in_order_as_one_write(batch: list[tuple],
                                                         before: list[tuple]) -> None:
    """("batch", ops) commits exactly what the ops would one by one, with ONE version step;
    the book (O(ops) backends) agrees with `apply`."""
    s = _apply_all(RegistryState(), *before)
    one_by_one = _apply_all(s, *batch)
    batched = apply(s, ("batch", tuple(batch)), s.version)
    assert batched is not None and batched.version == s.version + 1
    assert (batched.admitted, batched.unreachable, batched.gone) == (
        one_by_one.admitted, one_by_one.unreachable, one_by_one.gone)
    book = RegistryBook(s)
    assert book.write(("batch", tuple(batch)), s.version) and book.state() == batched


@settings(max_examples=300)
@given(st.lists(ops, max_size=8), st.lists(ops, min_size=1, max_size=4))
def test_changes_says_whether_a_write_changes_the_lists(before: list[tuple], write: list[tuple]) -> None:
    """`RegistryBook.changes` (what the ZooKeeper backend stores or only checks): exact for
    one operation; for a batch False only when the lists stay as they were (a batch that
    changes and restores an entry counts as a change). The book's value after any write
    equals `apply`'s (a write that changes nothing keeps the sorted lists)."""
    s = _apply_all(RegistryState(), *before)
    op = write[0] if len(write) == 1 else ("batch", tuple(write))
    after = apply(s, op, s.version)
    assert after is not None
    book = RegistryBook(s)
    book.state()
    changed = (after.admitted, after.unreachable, after.gone, after.settings) != (
        s.admitted, s.unreachable, s.gone, s.settings)
    if len(write) == 1:
        assert book.changes(op) == changed
    else:
        assert book.changes(op) or not changed
    assert book.write(op, s.version) and book.state() == after


def test_a_fenced_batch_commits_nothing() -> None:
    s = _apply_all(RegistryState(), ("admit", A1))
    batch = ("batch", (("unreachable", "S1", 1.0), ("admit", A2)))
    assert apply(s, batch, s.version - 1) is None
    book = RegistryBook(s)
    assert not book.write(batch, s.version - 1) and book.state() == s


@pytest.mark.parametrize("op", [
    ("batch",), ("batch", ()), ("batch", [("admit", A1)]),
    ("batch", (("batch", (("admit", A1),)),)), ("batch", (("admit", A1), ("remove", 3))),
])
def test_malformed_batches_are_caller_bugs(op: tuple) -> None:
    with pytest.raises(ValueError):
        apply(RegistryState(), op, 0)
    with pytest.raises(ValueError):
        RegistryBook().write(op, 0)


# ------------------------------------------------------------------ the local backend
@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(ops, min_size=1, max_size=4), max_size=25), st.integers(1, 8))
def test_local_registry_recovers_what_it_committed(writes: list[list[tuple]], every: int) -> None:
    """Snapshot + op log (io/store/registry.py): a new LocalRegistry on the same directory
    recovers exactly the committed state, whether or not the log was compacted, and a torn
    tail (a crash mid-append) loses only the uncommitted record."""
    import tempfile

    from mesotron.io.store.registry import LocalRegistry

    with tempfile.TemporaryDirectory() as d:
        store = LocalRegistry(d)
        store.load()
        expected = RegistryState()
        for i, w in enumerate(writes):
            op = w[0] if len(w) == 1 else ("batch", tuple(w))
            assert not store.write(op, store.book.version + 1)  # stale: fenced, no change
            assert store.write(op)
            expected = apply(expected, op, expected.version)
            assert expected is not None and store.state == expected
            if i % every == every - 1:
                store.snapshot()
        assert LocalRegistry(d).load() == expected
        with open(store.log_path, "ab") as f:
            f.write(b"\x00\x00\x00\x09torn")
        assert LocalRegistry(d).load() == expected


def test_local_registry_reads_the_previous_snapshot_format() -> None:
    import os
    import pickle
    import tempfile

    from mesotron.io.store.disk import atomic_write
    from mesotron.io.store.registry import LocalRegistry

    old = _apply_all(RegistryState(), ("admit", A1), ("unreachable", "S1", 3.0), ("admit", A2))
    with tempfile.TemporaryDirectory() as d:
        atomic_write(os.path.join(d, "registry.pickle"), pickle.dumps(old, protocol=5))
        store = LocalRegistry(d)
        assert store.load() == old
        assert store.write(("reachable", A1))
        assert LocalRegistry(d).load().admitted_ids() == {"S1", "S2"}


def test_local_registry_compacts_a_long_log_at_recovery() -> None:
    """More logged operations than max(1000, agents): the snapshot is rewritten when the
    registry is recovered (before the master leads), not by the first write after it."""
    import os
    import tempfile

    from mesotron.io.store.registry import LocalRegistry

    with tempfile.TemporaryDirectory() as d:
        store = LocalRegistry(d)
        store.load()
        store.snapshot = lambda: None  # type: ignore[method-assign]  # e.g. a crash before it
        for k in range(1001):
            assert store.write(("admit", AgentInfo(hostname="h", id=f"S{k % 7}")))
        assert os.path.getsize(store.log_path) > 0
        again = LocalRegistry(d)
        assert again.load() == store.state and os.path.getsize(again.log_path) == 0
        assert again.write(("unreachable", "S1", 2.0))
        assert LocalRegistry(d).load() == again.state


def test_settings_set_overwrite_delete_and_zk_json_round_trip() -> None:
    """`("set", key, value)`: None deletes; the ZooKeeper document keeps settings (tuples
    survive JSON) and an older document without them reads as none."""
    from mesotron.io.zk.registry import registry_from_json, registry_to_json

    s = _apply_all(RegistryState(), ("set", ("weight", "eng"), 2.0), ("set", ("weight", "eng"), 3.0),
                   ("set", ("quota", "eng"), ((("cpus", 1.0),), (("cpus", 2.0),))),
                   ("set", ("drain", "S1"), ("DRAINING", 1.5, False)), ("set", ("weight", "ops"), 1.0),
                   ("set", ("weight", "ops"), None))
    assert s.settings_of("weight") == {"eng": 3.0}
    assert s.setting(("drain", "S1")) == ("DRAINING", 1.5, False)
    assert registry_from_json(registry_to_json(s)) == s
    doc = registry_to_json(s)
    del doc["settings"]
    assert registry_from_json(doc).settings == ()
    with pytest.raises(ValueError):
        apply(s, ("set", ("weight",), object()), s.version)
