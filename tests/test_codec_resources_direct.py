"""spec/codec_values.py decodes protobuf resources straight into core Resources (no
json_format walk) and memoises decoded values by their bytes: it must agree with the
reference decoder (protobuf's JSON mapping + Resources.from_json) on every input, valid or
not, and a memoised value must be the value a fresh decode gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core.values import CommandInfo, FrameworkInfo
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import (
    CodecError,
    _resources_from_pb_via_json,
    command_from_pb,
    command_to_pb,
    framework_from_pb,
    framework_to_pb,
    resources_from_pb,
)


def _decode(decoder, items: list[pb.Resource]) -> tuple[str, object]:
    try:
        return "ok", decoder(items)
    except CodecError:
        return "error", None


def _labels(draw, target: pb.Labels) -> None:
    for k in draw(st.lists(st.sampled_from(["k", "l", ""]), max_size=2)):
        lb = target.labels.add(key=k)
        if draw(st.booleans()):
            lb.value = draw(st.sampled_from(["v", ""]))


@st.composite
def resource_msgs(draw) -> pb.Resource:
    r = pb.Resource(name=draw(st.sampled_from(["cpus", "mem", "ports", "gpus", "", "bad name"])))
    kind = draw(st.sampled_from(["SCALAR", "RANGES", "SET", "unset"]))
    if kind != "unset":
        r.type = getattr(pb.Value, kind)
    if draw(st.booleans()):
        r.scalar.value = draw(st.sampled_from([0.0, 0.1, 1.0, 2.5, -1.0, 1e-4]))
    elif draw(st.booleans()):
        r.scalar.SetInParent()
    if draw(st.booleans()):
        r.ranges.SetInParent()
        for b, e in draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=3)):
            r.ranges.range.add(begin=b, end=e)
    if draw(st.booleans()):
        r.set.SetInParent()
        r.set.item.extend(draw(st.lists(st.sampled_from(["a", "b"]), max_size=2)))
    if draw(st.booleans()):
        r.role = draw(st.sampled_from(["*", "r1", "a/b", "", "-x"]))
    if draw(st.booleans()):
        r.allocation_info.SetInParent()
        if draw(st.booleans()):
            r.allocation_info.role = draw(st.sampled_from(["*", "r1", ""]))
    if draw(st.booleans()):
        r.reservation.SetInParent()
        if draw(st.booleans()):
            r.reservation.principal = "p"
        if draw(st.booleans()):
            _labels(draw, r.reservation.labels)
    for _ in range(draw(st.integers(0, 2))):
        rv = r.reservations.add()
        if draw(st.booleans()):
            rv.type = draw(st.sampled_from([1, 2]))
        if draw(st.booleans()):
            rv.role = draw(st.sampled_from(["r1", "r1/x", "*", ""]))
        if draw(st.booleans()):
            rv.principal = "p"
        if draw(st.booleans()):
            _labels(draw, rv.labels)
    extra = draw(st.sampled_from(["", "revocable", "shared", "disk", "provider"]))
    if extra in ("revocable", "shared"):
        getattr(r, extra).SetInParent()
    elif extra == "disk":
        r.disk.persistence.id = "v1"
    elif extra == "provider":
        r.provider_id.value = "rp"
    return r


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(resource_msgs(), max_size=3))
def test_direct_decoding_agrees_with_the_json_mapping(items: list[pb.Resource]) -> None:
    ref = _decode(_resources_from_pb_via_json, items)
    assert _decode(resources_from_pb, items) == ref
    assert _decode(resources_from_pb, items) == ref  # memoised (or still an error)


@pytest.mark.parametrize("text", ["cpus:1;mem:128", "cpus(r1):2;ports:[1-5,7-9];disk:10",
                                  "cpus(allocated: *):0.1;mem(allocated: *):32", "x:{a,b}"])
def test_round_trip_and_shared_values(text: str) -> None:
    from mesotron.core.resources import Resources
    from mesotron.spec.codec_values import resources_to_pb

    res = Resources.parse(text)
    msgs = resources_to_pb(res)
    assert resources_from_pb(msgs) == res
    copies = [pb.Resource() for _ in msgs]
    for c, m in zip(copies, msgs, strict=True):
        c.CopyFrom(m)
    assert resources_from_pb(copies) is resources_from_pb(msgs)  # one value per distinct list


def test_memoised_frameworks_and_commands_are_the_decoded_values() -> None:
    fw = FrameworkInfo(user="u", name="n", id="f1", roles=("r1",), failover_timeout=5.0)
    cmd = CommandInfo(value="sleep 1", arguments=("a",), environment=(("K", "V"),))
    assert framework_from_pb(framework_to_pb(fw)) == fw
    assert framework_from_pb(framework_to_pb(fw)) is framework_from_pb(framework_to_pb(fw))
    assert command_from_pb(command_to_pb(cmd)) == cmd
    other = FrameworkInfo(user="u", name="n", id="f2", roles=("r1",), failover_timeout=5.0)
    assert framework_from_pb(framework_to_pb(other)).id == "f2"
