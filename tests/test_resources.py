"""Resources: algebraic laws, text/JSON round trips, parse errors, and a stateful model check.

The model is deliberately dumb: a dict keyed by (name, reservations, allocation_role) whose
values are integer milli-units (scalars), frozensets of port numbers (ranges) or frozensets of
strings (sets). Every Resources value the machine makes is compared against it.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
)
from mesotron.core.resources import InvalidResources, Reservation, Resource, Resources

CI = bool(os.environ.get("CI"))
SETTINGS = settings(derandomize=CI, database=None, deadline=None, max_examples=150)

# ----------------------------------------------------------------------------- strategies

STATIC_ENG = Reservation(type="STATIC", role="eng")
STACKS: list[tuple[Reservation, ...]] = [
    (),
    (STATIC_ENG,),
    (Reservation(type="STATIC", role="ops"),),
    (Reservation(type="DYNAMIC", role="eng", principal="alice"),),
    (STATIC_ENG, Reservation(type="DYNAMIC", role="eng/dev", principal="bob")),
    (
        Reservation(type="DYNAMIC", role="eng", labels=(("k", "v"), ("flag", None))),
        Reservation(type="DYNAMIC", role="eng/dev"),
    ),
]
ALLOCS: list[str | None] = [None, "eng", "ops"]
SCALAR_NAMES = ["cpus", "mem", "disk", "gpus"]
PORT_MAX = 63
SET_ITEMS = ["a", "b", "c", "d"]

stacks = st.sampled_from(STACKS)
allocs = st.sampled_from(ALLOCS)
millis = st.integers(min_value=0, max_value=5000)
port_range = st.tuples(
    st.integers(min_value=0, max_value=PORT_MAX), st.integers(min_value=0, max_value=8)
).map(lambda t: (t[0], min(PORT_MAX, t[0] + t[1])))


@st.composite
def resource_st(draw: Any) -> Resource:
    stack, alloc = draw(stacks), draw(allocs)
    kind = draw(st.sampled_from(["scalar", "ranges", "set"]))
    if kind == "scalar":
        return Resource(
            name=draw(st.sampled_from(SCALAR_NAMES)),
            scalar=draw(millis) / 1000,
            reservations=stack,
            allocation_role=alloc,
        )
    if kind == "ranges":
        return Resource(
            name="ports",
            ranges=tuple(draw(st.lists(port_range, max_size=3))),
            reservations=stack,
            allocation_role=alloc,
        )
    return Resource(
        name="disks",
        set=frozenset(draw(st.lists(st.sampled_from(SET_ITEMS), max_size=3))),
        reservations=stack,
        allocation_role=alloc,
    )


specs = st.lists(resource_st(), max_size=6)
resources = specs.map(Resources)


# ----------------------------------------------------------------------------- the model

Model = dict  # key -> int | frozenset[int] | frozenset[str]


def mkey(r: Resource) -> tuple:
    return (r.name, r.reservations, r.allocation_role)


def model_from_spec(spec: Iterable[Resource]) -> Model:
    m: dict = {}
    for r in spec:
        k = mkey(r)
        if r.scalar is not None:
            m[k] = m.get(k, 0) + round(r.scalar * 1000)
        elif r.ranges is not None:
            ports = frozenset(p for b, e in r.ranges for p in range(b, e + 1))
            m[k] = m.get(k, frozenset()) | ports
        else:
            m[k] = m.get(k, frozenset()) | r.set
    return {k: v for k, v in m.items() if v}


def model_of(rs: Resources) -> Model:
    """Read a Resources back through its public API only."""
    out: dict = {}
    for r in rs:
        k = mkey(r)
        assert k not in out, f"duplicate entry for {k} in {rs!r}"
        if r.scalar is not None:
            out[k] = round(r.scalar * 1000)
        elif r.ranges is not None:
            out[k] = frozenset(p for b, e in r.ranges for p in range(b, e + 1))
        else:
            out[k] = r.set
    return out


def model_add(a: Model, b: Model) -> Model:
    out = dict(a)
    for k, v in b.items():
        if k not in out:
            out[k] = v
        elif isinstance(v, int):
            out[k] = out[k] + v
        else:
            out[k] = out[k] | v
    return out


def model_contains(a: Model, b: Model) -> bool:
    for k, v in b.items():
        if k not in a:
            return False
        if isinstance(v, int):
            if a[k] < v:
                return False
        elif not v <= a[k]:
            return False
    return True


def model_sub(a: Model, b: Model) -> Model:
    out = dict(a)
    for k, v in b.items():
        out[k] = out[k] - v
    return {k: v for k, v in out.items() if v}


def model_map_alloc(a: Model, alloc: str | None) -> Model:
    out: Model = {}
    for (n, s, _), v in a.items():
        out = model_add(out, {(n, s, alloc): v})
    return out


def check_canonical(rs: Resources) -> None:
    """Ranges coalesced (sorted, disjoint, non-adjacent); scalars > 0; sets non-empty."""
    for r in rs:
        if r.ranges is not None:
            assert r.ranges, rs
            for (b1, e1), (b2, _e2) in pairwise(r.ranges):
                assert b1 <= e1 < b2 - 1, r.ranges
        elif r.scalar is not None:
            assert r.scalar > 0
        else:
            assert r.set


# ----------------------------------------------------------------------------- laws


@SETTINGS
@given(resources, resources)
def test_addition_commutes(a: Resources, b: Resources) -> None:
    assert a + b == b + a
    assert hash(a + b) == hash(b + a)


@SETTINGS
@given(resources, resources, resources)
def test_addition_associates(a: Resources, b: Resources, c: Resources) -> None:
    assert (a + b) + c == a + (b + c)


@SETTINGS
@given(resources)
def test_zero_is_identity(a: Resources) -> None:
    zero = Resources()
    assert a + zero == a == zero + a
    assert a - zero == a
    assert (a - a).is_empty() and not (a - a)
    assert a.contains(zero) and a.contains(a)


@SETTINGS
@given(specs)
def test_add_then_subtract_scalars(spec: list[Resource]) -> None:
    # (a + b) - b == a needs + to be a multiset sum: always so for scalars; ranges and sets
    # union, so for them see test_add_sub_law_when_disjoint.
    a = Resources(spec)
    b = Resources(r for r in spec if r.scalar is not None)
    assert (a + b) - b == a
    assert (a + b).contains(a) and (a + b).contains(b)


@SETTINGS
@given(resources, resources)
def test_add_sub_law_when_disjoint(a: Resources, b: Resources) -> None:
    ma, mb = model_of(a), model_of(b)
    disjoint = all(isinstance(v, int) or not (v & ma.get(k, frozenset())) for k, v in mb.items())
    assert (a + b).contains(a)
    if disjoint:
        assert (a + b) - b == a


@SETTINGS
@given(resources, resources)
def test_contains_iff_subtraction_defined(a: Resources, b: Resources) -> None:
    contained = a.contains(b)
    assert contained == model_contains(model_of(a), model_of(b))
    try:
        d = a - b
    except InvalidResources as e:
        assert not contained
        assert isinstance(e, ValueError)
        assert "not contained" in str(e)
    else:
        assert contained
        assert d + b == a
        assert model_of(d) == model_sub(model_of(a), model_of(b))


@SETTINGS
@given(specs, specs)
def test_matches_model(s1: list[Resource], s2: list[Resource]) -> None:
    a, b = Resources(s1), Resources(s2)
    assert model_of(a) == model_from_spec(s1)
    assert model_of(a + b) == model_add(model_from_spec(s1), model_from_spec(s2))
    check_canonical(a + b)


@SETTINGS
@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_rounding_is_idempotent_and_3_decimals(x: float) -> None:
    r1 = Resources.from_scalars({"cpus": x}).scalar("cpus")
    assert abs(r1 - x) <= 0.0005 + 1e-9 * x
    assert Resources.from_scalars({"cpus": r1}).scalar("cpus") == r1
    assert Resources.parse(str(Resources.from_scalars({"cpus": x}))).scalar("cpus") == r1
    # Mesos: llround(x * 1000), the product taken in double precision.
    want = int(Decimal(x * 1000.0).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert Resources.from_scalars({"cpus": x}).milli("cpus") == want


@SETTINGS
@given(st.integers(min_value=0, max_value=10**6))
def test_rounding_half_milli_goes_up(k: int) -> None:
    x = (2 * k + 1) / 2000  # k.5 milli-units, as near as a double gets
    want = int(Decimal(x * 1000.0).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert Resources.from_scalars({"mem": x}).milli("mem") == want


def test_fixed_point_sums_are_exact() -> None:
    tenth = Resources.from_scalars({"cpus": 0.1})
    total = Resources()
    for _ in range(10):
        total = total + tenth
    assert total == Resources.from_scalars({"cpus": 1})
    assert total.scalar("cpus") == 1.0
    for _ in range(10):
        total = total - tenth
    assert total.is_empty()
    assert Resources.parse("cpus:0.0015").scalar("cpus") == 0.002  # half away from zero
    assert Resources.parse("cpus:0.0025").scalar("cpus") == 0.003  # not banker's rounding
    assert Resources.parse("cpus:0.0005").scalar("cpus") == 0.001
    assert Resources.parse("cpus:0.0004").is_empty()  # rounds to zero -> dropped


@SETTINGS
@given(resources)
def test_text_round_trip(a: Resources) -> None:
    labelled = any(any(r.labels for r in x.reservations) for x in a)
    if not labelled:
        assert Resources.parse(str(a)) == a
    ns = {"Resources": Resources, "Resource": Resource, "Reservation": Reservation}
    assert eval(repr(a), ns) == a


@SETTINGS
@given(resources)
def test_json_round_trip(a: Resources) -> None:
    j = a.to_json()
    assert Resources.from_json(json.loads(json.dumps(j))) == a
    assert Resources.parse(json.dumps(j)) == a  # Mesos also parses JSON text
    if all(len(r.reservations) <= 1 for r in a):
        assert Resources.from_json(a.to_json(refinement=False)) == a
    else:
        with pytest.raises(InvalidResources, match="pre-refinement"):
            a.to_json(refinement=False)


@SETTINGS
@given(st.lists(port_range, max_size=8))
def test_ranges_coalesce(rs: list[tuple[int, int]]) -> None:
    a = Resources([Resource(name="ports", ranges=((b, e),)) for b, e in rs])
    want = {p for b, e in rs for p in range(b, e + 1)}
    got = a.ranges("ports")
    assert {p for b, e in got for p in range(b, e + 1)} == want
    for (_b1, e1), (b2, _e2) in pairwise(got):
        assert e1 + 1 < b2
    text = "ports:[" + ",".join(f"{b}-{e}" for b, e in rs) + "]"
    assert Resources.parse(text) == a


@SETTINGS
@given(resources)
def test_pickle_copy_hash(a: Resources) -> None:
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) is a
    assert hash(Resources(list(a))) == hash(a)
    with pytest.raises(AttributeError):
        a._m = {}  # type: ignore[misc]


@SETTINGS
@given(resources)
def test_role_views_partition(a: Resources) -> None:
    assert a.unreserved() + a.reserved() == a
    assert a.unallocate().allocate("eng").unallocate() == a.unallocate()
    for role in ("eng", "ops", "eng/dev"):
        fr = a.for_role(role)
        assert a.contains(fr)
        for r in fr:
            assert r.role == "*" or r.role == role or role.startswith(r.role + "/")
        assert a.reserved(role) + a.unreserved() == a.unreserved() + a.reserved(role)
        assert all(r.allocation_role == role for r in a.allocated_to(role))
    assert a.flatten().scalars() == a.scalars()


# ----------------------------------------------------------------------------- examples


def test_examples_from_the_contract() -> None:
    a = Resources.parse("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(eng):2")
    assert a.scalar("cpus") == 6.0
    assert a.scalars() == {"cpus": 6.0, "mem": 2048.0}
    assert a.names() == {"cpus", "mem", "ports", "disks"}
    assert a.ranges("ports") == ((31000, 32000),)
    assert a.set_items("disks") == frozenset({"a", "b"})
    assert a.ranges("nope") == () and a.set_items("nope") == frozenset()
    assert a.scalar("gpus") == 0.0
    assert str(a) == "cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(eng):2"
    assert repr(a) == f"Resources.parse({str(a)!r})"
    assert a.reserved("eng") == Resources.parse("cpus(eng):2")
    assert a.unreserved() == Resources.parse("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b}")
    assert a.for_role("ops") == a.unreserved()
    assert a.for_role("eng/dev") == a  # reserved to an ancestor role is allocatable
    b = a.allocate("eng")
    assert b != a and b.allocated_to("eng") == b and b.unallocate() == a
    assert not a.contains(b) and not b.contains(a)
    assert Resources.parse("ports:[1-2,5-9]") + Resources.parse("ports:[3-4]") == Resources.parse(
        "ports:[1-9]"
    )
    assert Resources.parse("cpus:1", default_role="eng") == Resources.parse("cpus(eng):1")
    assert Resources.from_scalars({"cpus": 1, "mem": 128}) == Resources.parse("cpus:1;mem:128")
    assert Resources.parse(" cpus : 1 ; ; mem:2 ;") == Resources.parse("cpus:1;mem:2")
    assert Resources.parse("cpus:1;cpus:2") == Resources.parse("cpus:3")
    r = Resource(name="cpus", scalar=1, role="eng")
    assert r.reservations == (STATIC_ENG,) and r.role == "eng"
    assert Resource(name="cpus", scalar=1, reservations=STACKS[4]).role == "eng/dev"


def test_json_formats() -> None:
    pre = [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.0}, "role": "*",
         "allocation_info": {"role": "eng"}},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]},
         "role": "*"},
        {"name": "disks", "type": "SET", "set": {"item": ["sda", "sdb"]}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}, "role": "eng",
         "reservation": {"principal": "alice", "labels": {"labels": [{"key": "k", "value": "v"}]}}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}, "role": "eng"},
    ]
    refined = [
        pre[0], pre[1], pre[2],
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 64},
         "reservations": [{"type": "DYNAMIC", "role": "eng", "principal": "alice",
                           "labels": {"labels": [{"key": "k", "value": "v"}]}}]},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 32},
         "reservations": [{"type": "STATIC", "role": "eng"}]},
    ]
    a, b = Resources.from_json(pre), Resources.from_json(refined)
    assert a == b
    assert Resources.from_json(a.to_json(refinement=False)) == a
    assert a.to_json(refinement=False)[0]["role"] == "*"
    assert a.scalar("mem") == 96.0
    # protobuf-JSON style: enum numbers, uint64 as strings
    c = Resources.from_json([{"name": "ports", "type": 1,
                              "ranges": {"range": [{"begin": "1", "end": "5"}]}}])
    assert c == Resources.parse("ports:[1-5]")


BAD_TEXT = [
    ("cpus", "'cpus'"),
    ("cpus:abc", "invalid scalar value 'abc'"),
    ("cpus:-1", "'-1'"),
    ("cpus:nan", "'nan'"),
    ("cpus:1_000", "'1_000'"),
    ("cpus:", "missing value"),
    ("ports:[1-]", "invalid range '1-'"),
    ("ports:[5-1]", "invalid range '5-1'"),
    ("ports:[1-2", "missing ']'"),
    ("ports:[1-2,,4-5]", "empty range"),
    ("ports:[1-99999999999999999999999]", "2**64"),
    ("disks:{a,", "missing '}'"),
    ("disks:{a,}", "invalid set item ''"),
    ("cpus(:1", "'cpus(:1'"),
    ("cpus( ):1", "role"),
    ("cpus(-x):1", "'-x'"),
    ("cpus(reservations: [(DYNAMIC,eng),(DYNAMIC,ops)]):1", "sub-role"),
    ("cpus(reservations: [(BOGUS,eng)]):1", "(BOGUS,eng)"),
    ("cpus:1;cpus:[1-2]", "cannot be both SCALAR and RANGES"),
    ("[not json", "invalid resources JSON"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_TEXT)
def test_parse_errors_name_the_bad_part(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as ei:
        Resources.parse(text)
    assert isinstance(ei.value, InvalidResources)
    assert fragment in str(ei.value), str(ei.value)


BAD_JSON: list[tuple[Any, str]] = [
    ("cpus:1", "list"),
    ([1], "expected an object"),
    ([{"type": "SCALAR", "scalar": {"value": 1}}], "name"),
    ([{"name": "cpus", "type": "TEXT"}], "type must be"),
    ([{"name": "cpus", "type": "SCALAR"}], "SCALAR needs"),
    ([{"name": "cpus", "type": "SCALAR", "scalar": {"value": "x"}}], "'x'"),
    ([{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}], "negative"),
    ([{"name": "cpus", "type": "SCALAR", "scalar": {"value": True}}], "number"),
    ([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 1}]}}], "[5-1]"),
    ([{"name": "p", "type": "RANGES", "ranges": {"range": [{"begin": 5}]}}], "invalid range"),
    ([{"name": "s", "type": "SET", "set": {"item": [1]}}], "strings"),
    ([{"name": "c", "type": "SCALAR", "scalar": {"value": 1}, "role": "*",
       "reservation": {"principal": "p"}}], "role other than '*'"),
    ([{"name": "c", "type": "SCALAR", "scalar": {"value": 1},
       "reservations": [{"type": "STATIC", "role": "*"}]}], "'*'"),
    ([{"name": "c", "type": "SCALAR", "scalar": {"value": 1},
       "reservations": [{"type": "DYNAMIC", "role": "a"}, {"type": "STATIC", "role": "a/b"}]}],
     "STATIC"),
    ([{"name": "c", "type": "SCALAR", "scalar": {"value": 1}, "revocable": {"x": 1}}],
     "'revocable'"),
    ([{"name": "c", "type": "SCALAR", "scalar": {"value": 1}},
      {"name": "c", "type": "SET", "set": {"item": ["a"]}}], "cannot be both"),
]


@pytest.mark.parametrize(("data", "fragment"), BAD_JSON)
def test_json_errors_name_the_bad_part(data: Any, fragment: str) -> None:
    with pytest.raises(InvalidResources) as ei:
        Resources.from_json(data)
    assert fragment in str(ei.value), str(ei.value)


def test_bad_resource_values_raise() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Resource(name="cpus", scalar=1, set=frozenset({"a"}))
    with pytest.raises(ValueError, match="disagrees"):
        Resource(name="cpus", scalar=1, role="ops", reservations=(STATIC_ENG,))
    with pytest.raises(ValueError, match="sub-role"):
        Resources.parse("cpus(eng):1").push_reservation(Reservation(type="DYNAMIC", role="ops"))
    with pytest.raises(ValueError, match="not reserved"):
        Resources.parse("cpus:1").pop_reservation()
    with pytest.raises(ValueError, match="not contained"):
        _ = Resources.parse("cpus:1") - Resources.parse("cpus:2")
    with pytest.raises(ValueError, match="cannot be both"):
        _ = Resources.parse("x:1") + Resources.parse("x(eng):[1-2]")
    dyn = Reservation(type="DYNAMIC", role="eng/dev", principal="p")
    a = Resources.parse("cpus(eng):1").push_reservation(dyn)
    assert a.reserved("eng/dev").scalar("cpus") == 1 and a.pop_reservation() == Resources.parse(
        "cpus(eng):1"
    )


# ----------------------------------------------------------------------------- stateful


class Entry:
    """A pool member: the value, its model, and a snapshot to detect mutation."""

    def __init__(self, value: Resources, model: Model) -> None:
        self.value = value
        self.model = model
        self.snapshot = self.take()

    def take(self) -> tuple:
        v = self.value
        return (str(v), json.dumps(v.to_json(), sort_keys=True), hash(v), tuple(v._m.items()))

    def __repr__(self) -> str:
        return f"Entry({self.value!r})"


@settings(derandomize=CI, database=None, deadline=None, max_examples=60, stateful_step_count=30)
class ResourcesMachine(RuleBasedStateMachine):
    """Resources values checked against a plain model after every rule; inputs never change
    (pyrsistent's verify_inputs_unmodified habit)."""

    values = Bundle("values")

    def __init__(self) -> None:
        super().__init__()
        self.pool: list[Entry] = []

    def track(self, value: Resources, model: Model, *inputs: Entry) -> Entry:
        note(f"-> {value!r}")
        for e in inputs:
            assert e.take() == e.snapshot, f"input mutated: {e.snapshot} -> {e.take()}"
        assert model_of(value) == model, (value, model)
        check_canonical(value)
        e = Entry(value, model)
        self.pool.append(e)
        return e

    @rule(target=values, spec=specs)
    def create(self, spec: list[Resource]) -> Entry:
        return self.track(Resources(spec), model_from_spec(spec))

    @rule(target=values, text=st.sampled_from(
        ["", "cpus:1;mem:128", "ports:[0-10,20-30]", "disks:{a,b}", "cpus(eng):0.5;ports(eng):[5-6]",
         "cpus(allocated: ops):2"]))
    def parse(self, text: str) -> Entry:
        v = Resources.parse(text)
        return self.track(v, model_of(Resources.from_json(v.to_json())))

    @rule(target=values, a=values, b=values)
    def add(self, a: Entry, b: Entry) -> Entry:
        return self.track(a.value + b.value, model_add(a.model, b.model), a, b)

    @rule(target=values, a=values, b=values)
    def subtract(self, a: Entry, b: Entry) -> Any:
        if model_contains(a.model, b.model):
            return self.track(a.value - b.value, model_sub(a.model, b.model), a, b)
        try:
            a.value - b.value
        except InvalidResources:
            pass
        else:
            raise AssertionError("subtraction of a non-contained value succeeded")
        self.track(a.value, a.model, a, b)
        return multiple()

    @rule(target=values, a=values, b=values)
    def subtract_part(self, a: Entry, b: Entry) -> Entry:
        """(a + b) - b: always defined; equals a when b's discrete parts are disjoint."""
        s = a.value + b.value
        return self.track(s - b.value, model_sub(model_add(a.model, b.model), b.model), a, b)

    @rule(a=values, b=values)
    def contains(self, a: Entry, b: Entry) -> None:
        assert a.value.contains(b.value) == model_contains(a.model, b.model)
        assert (a.value == b.value) == (a.model == b.model)
        if a.value == b.value:
            assert hash(a.value) == hash(b.value)
        self.track(a.value, a.model, a, b)

    @rule(target=values, a=values, role=st.sampled_from(["eng", "ops"]))
    def allocate(self, a: Entry, role: str) -> Entry:
        return self.track(a.value.allocate(role), model_map_alloc(a.model, role), a)

    @rule(target=values, a=values)
    def unallocate(self, a: Entry) -> Entry:
        return self.track(a.value.unallocate(), model_map_alloc(a.model, None), a)

    @rule(target=values, a=values, role=st.sampled_from(["eng", "ops", "eng/dev"]))
    def for_role(self, a: Entry, role: str) -> Entry:
        def ok(stack: tuple[Reservation, ...]) -> bool:
            return not stack or stack[-1].role == role or role.startswith(stack[-1].role + "/")

        model = {k: v for k, v in a.model.items() if ok(k[1])}
        return self.track(a.value.for_role(role), model, a)

    @rule(target=values, a=values)
    def unreserved(self, a: Entry) -> Entry:
        return self.track(a.value.unreserved(), {k: v for k, v in a.model.items() if not k[1]}, a)

    @rule(a=values)
    def round_trips(self, a: Entry) -> None:
        v = a.value
        assert Resources.from_json(json.loads(json.dumps(v.to_json()))) == v
        assert pickle.loads(pickle.dumps(v)) == v
        if not any(r.labels for x in v for r in x.reservations):
            assert Resources.parse(str(v)) == v
        for name in SCALAR_NAMES:
            want = sum(m for k, m in a.model.items() if k[0] == name)
            assert v.milli(name) == want and v.scalar(name) == want / 1000
        ports = frozenset().union(*(m for k, m in a.model.items() if k[0] == "ports"))
        assert {p for b, e in v.ranges("ports") for p in range(b, e + 1)} == ports
        self.track(v, a.model, a)

    @invariant()
    def pool_unchanged(self) -> None:
        for e in self.pool:
            assert e.take() == e.snapshot
            assert model_of(e.value) == e.model


TestResourcesMachine = ResourcesMachine.TestCase


def test_allocation_to_default_role_star() -> None:
    # Mesos offers to frameworks of the default role carry allocation_info.role "*"
    r = Resources.parse("cpus:1;mem:128").allocate("*")
    assert r.allocated_to("*") == r
    assert str(r) == "cpus(allocated: *):1;mem(allocated: *):128"
    assert Resources.parse(str(r)) == r
    assert Resources.from_json(r.to_json()) == r
    assert r.to_json()[0]["allocation_info"] == {"role": "*"}
    assert r.unallocate() == Resources.parse("cpus:1;mem:128")


@SETTINGS
@given(resources, st.sampled_from(["eng", "ops", "*", "eng/dev"]))
def test_fast_paths_equal_the_validated_ones(a: Resources, role: str) -> None:
    """Iteration builds each Resource without re-validating it, and (un)allocate merges
    entries without `_merge_into`'s checks: the results equal the validated constructions."""
    items = list(a)
    for r in items:
        again = Resource(name=r.name, scalar=r.scalar, ranges=r.ranges, set=r.set,
                         role=r.role, reservations=r.reservations,
                         allocation_role=r.allocation_role)
        assert again == r and hash(again) == hash(r)
    assert Resources(items) == a
    assert a.unallocate() == a._map_keys(lambda k: (k[0], k[1], None))
    assert a.allocate(role) == a._map_keys(lambda k: (k[0], k[1], role))
    assert a.placements() == {(r.reservations[-1].role if r.reservations else None,
                               r.allocation_role) for r in items}


@SETTINGS
@given(resources)
def test_str_is_kept_once_asked_and_equals_a_fresh_rendering(a: Resources) -> None:
    """(s22 speed) str() of a Resources is computed once and kept with the value (it is
    immutable): the kept text is what rendering its entries again gives, for values from
    every constructor path (arithmetic, (un)allocation, copies, pickling)."""
    import copy
    import pickle

    from mesotron.core.resources import _item_str

    for v in (a, a + a, a.allocate("eng"),
              a.allocate("eng").unallocate(), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        fresh = ";".join(_item_str(k, x) for k, x in v._sorted())
        first = str(v)
        assert first == fresh
        assert str(v) is first  # kept
        assert v._str is first


@SETTINGS
@given(st.lists(resources, max_size=6))
def test_sum_of_equals_the_fold(parts: list[Resources]) -> None:
    """resources.sum_of (the simulator's books) is `Resources() + p1 + p2 + ...`."""
    from mesotron.core.resources import sum_of

    want = Resources()
    for p in parts:
        want = want + p
    got = sum_of(parts)
    assert got == want and hash(got) == hash(want)
    check_canonical(got)


def test_sum_of_refuses_mixed_kinds_as_add_does() -> None:
    from mesotron.core.resources import sum_of

    a, b = Resources.parse("x:2"), Resources.parse("x:{p}")
    with pytest.raises(InvalidResources):
        _ = a + b
    with pytest.raises(InvalidResources):
        sum_of([a, Resources.parse("cpus:1"), b])


@settings(max_examples=150, deadline=None)
@given(values=st.lists(resources, min_size=1, max_size=3),
       counts=st.lists(st.integers(min_value=1, max_value=12), min_size=3, max_size=3),
       order=st.randoms(use_true_random=False))
def test_sum_shared_equals_the_plain_sum(values: list[Resources], counts: list[int], order: Any) -> None:
    """`sum_shared` (distinct values by identity, k copies by doubling, memoised per value and
    count: core/resources.py `_times`) equals adding the items one by one, mapped by `each`
    or not, the first time and when its memo answers."""
    from mesotron.core.resources import sum_shared

    items = [v for v, k in zip(values, counts) for _ in range(k)]
    order.shuffle(items)
    for each in (None, Resources.unallocate):
        plain = Resources()
        for r in items:
            plain = plain + (each(r) if each is not None else r)
        assert sum_shared(items, each) == plain
        assert sum_shared(list(items), each) == plain  # again: k copies from the memo
