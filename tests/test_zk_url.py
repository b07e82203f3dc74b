"""Pure parts of the ZooKeeper layer (no server): zk:// URLs, member names and MasterInfo
JSON in Mesos's layout, leader choice agreeing with pymesos, registry serialization."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core.registry import RegistryState, apply
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo, Attribute, MasterInfo
from mesotron.io.zk.election import (
    ZkUrl,
    ZkUrlError,
    is_zk_url,
    leader_child,
    master_info_json,
    parse_master_info,
    parse_zk_url,
    pymesos_leader_child,
    sequence_of,
)
from mesotron.io.zk.registry import (
    MAX_ZNODE_BYTES,
    RegistryError,
    decode_registry,
    default_registry_path,
    encode_registry,
)

# ------------------------------------------------------------------ zk:// URLs


def test_parse_examples() -> None:
    u = parse_zk_url("zk://h1:2181,h2:2182/mesos")
    assert u.servers == (("h1", 2181), ("h2", 2182))
    assert u.path == "/mesos"
    assert u.hosts == "h1:2181,h2:2182"
    assert u.credentials is None
    assert str(u) == "zk://h1:2181,h2:2182/mesos"
    assert parse_zk_url("zk://10.0.0.1/a/b").servers == (("10.0.0.1", 2181),)
    assert parse_zk_url("ZK://u:p@[::1]:3000/x").servers == (("::1", 3000),)
    assert parse_zk_url("zk://u:p@[::1]:3000/x").credentials == ("u", "p")
    assert parse_zk_url("zk://u:p@[::1]:3000/x").hosts == "[::1]:3000"
    assert parse_zk_url("  zk://h:1/m  ").path == "/m"
    assert is_zk_url("zk://h/m") and not is_zk_url("127.0.0.1:5050")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("127.0.0.1:5050", "not a zk:// URL"),
        ("http://h:1/m", "unsupported scheme"),
        ("zk://h:2181", "no path"),
        ("zk:///mesos", "names no ZooKeeper server"),
        ("zk://h:2181/", "must not be the root"),
        ("zk://h:2181/mesos/", "must not end with"),
        ("zk://h:2181//mesos", "empty component"),
        ("zk://h:2181/a/../b", "relative component"),
        ("zk://h:abc/m", "bad port"),
        ("zk://h:0/m", "out of range"),
        ("zk://h:70000/m", "out of range"),
        ("zk://h1,,h2/m", "empty host"),
        ("zk://bad host/m", "bad host name"),
        ("zk://[::1/m", "unclosed"),
        ("zk://[zz]:1/m", "bad IPv6"),
        ("zk://user@h/m", "user:password@"),
        ("zk://h/zookeeper", "reserved"),
        ("zk://h/m\x01", "invalid character"),
        ("zk://h/m?x=1", "query strings"),
    ],
)
def test_parse_errors_are_clear(url: str, fragment: str) -> None:
    with pytest.raises(ZkUrlError, match=None) as e:
        parse_zk_url(url)
    assert fragment in str(e.value), str(e.value)


_label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
_hostname = st.lists(_label, min_size=1, max_size=3).map(".".join)
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_ipv6 = st.sampled_from(["::1", "fe80::1", "2001:db8::2:1"])
_server = st.tuples(st.one_of(_hostname, _ipv4, _ipv6), st.integers(1, 65535))
_component = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=10).filter(
    lambda c: c not in (".", "..")
)
_path = (
    st.lists(_component, min_size=1, max_size=4)
    .map(lambda cs: "/" + "/".join(cs))
    .filter(lambda p: p != "/zookeeper" and not p.startswith("/zookeeper/"))
)
_creds = st.none() | st.tuples(_label, st.text(string.ascii_letters + string.digits, max_size=6))


@settings(max_examples=300)
@given(servers=st.lists(_server, min_size=1, max_size=4), path=_path, creds=_creds)
def test_url_round_trip(
    servers: list[tuple[str, int]], path: str, creds: tuple[str, str] | None
) -> None:
    url = ZkUrl(servers=tuple(servers), path=path, credentials=creds)
    assert parse_zk_url(str(url)) == url


@settings(max_examples=500)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(max_size=30).map(lambda s: "zk://" + s),
        st.text(string.printable, max_size=30).map(lambda s: "zk://h:1/" + s),
    )
)
def test_parser_total(text: str) -> None:
    """Any text: a ZkUrl that survives a round trip, or a ZkUrlError (never anything else)."""
    try:
        url = parse_zk_url(text)
    except ZkUrlError as e:
        assert str(e)
        return
    assert url.path.startswith("/") and url.servers
    assert parse_zk_url(str(url)) == url


# ------------------------------------------------------------------ layout facts


def test_master_info_json_is_mesos_shape() -> None:
    info = MasterInfo(id="3e1c9f6a", hostname="m1", ip="10.0.0.1", port=5050, version="1.11.0")
    raw = master_info_json(info)
    assert b" " not in raw  # compact, as Mesos's JSON::protobuf
    d = json.loads(raw)
    assert list(d)[:7] == ["id", "ip", "port", "pid", "hostname", "version", "address"]
    assert d["ip"] == 16777226  # 10.0.0.1 in network order read little-endian
    assert d["pid"] == "master@10.0.0.1:5050"
    assert d["address"] == {"hostname": "m1", "ip": "10.0.0.1", "port": 5050}
    assert {"type": "AGENT_UPDATE"} in d["capabilities"]
    assert parse_master_info(raw) == info
    # a Mesos-written node (from the fact sheet) parses too
    mesos = (
        b'{"id":"x","ip":16777226,"port":5050,"pid":"master@10.0.0.1:5050","hostname":"m1",'
        b'"version":"1.11.0","address":{"hostname":"m1","ip":"10.0.0.1","port":5050},'
        b'"capabilities":[{"type":"AGENT_UPDATE"},{"type":"QUOTA_V2"}]}'
    )
    assert parse_master_info(mesos).ip == "10.0.0.1"
    for bad in (b"", b"[]", b"{", b"\xff", b'{"id": 3}'):
        with pytest.raises(ValueError, match="MasterInfo"):
            parse_master_info(bad)


def test_sequence_of() -> None:
    assert sequence_of("json.info_0000000003") == 3
    assert sequence_of("log_replicas") is None
    assert sequence_of("info_0000000001") is None  # legacy binary label: never ours
    assert sequence_of("json.info_") is None
    assert sequence_of("json.info_12a") is None


@settings(max_examples=300)
@given(st.sets(st.integers(0, 2**31 - 1), max_size=8), st.booleans())
def test_leader_agrees_with_pymesos(seqs: set[int], log_replicas: bool) -> None:
    children = [f"json.info_{s:010d}" for s in seqs]
    if log_replicas:
        children.append("log_replicas")
    mine = leader_child(children)
    assert mine == pymesos_leader_child(children)
    assert mine == (f"json.info_{min(seqs):010d}" if seqs else None)


def test_foreign_children_would_break_pymesos() -> None:
    """Why we never write other children: a legacy `info_` node sorts first for pymesos."""
    children = ["json.info_0000000002", "info_0000000001"]
    assert leader_child(children) == "json.info_0000000002"
    assert pymesos_leader_child(children) == "info_0000000001"


# ------------------------------------------------------------------ registry format


def _agent(i: int) -> AgentInfo:
    return AgentInfo(
        hostname=f"agent-{i}.example",
        id=f"b1c2d3e4-0000-4000-8000-{i:012d}-S{i}",
        port=5051,
        resources=Resources.parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]"),
        attributes=(Attribute(name="rack", value=f"r{i % 40}"),),
    )


def test_registry_round_trip() -> None:
    state = RegistryState()
    ops = [
        ("admit", _agent(1)),
        ("admit", _agent(2)),
        ("admit", _agent(3)),
        ("unreachable", _agent(2).id, 1700000000.25),
        ("gone", _agent(3).id, 1700000001.5),
    ]
    for op in ops:
        nxt = apply(state, op, state.version)
        assert nxt is not None
        state = nxt
    assert decode_registry(encode_registry(state)) == state
    assert decode_registry(encode_registry(RegistryState())) == RegistryState()


def test_registry_garbage_is_an_error() -> None:
    for bad in (b"", b"{}", b"MTRZ1\nnot zlib", b'{"format":"x","version":1}', b"\xff\xfe"):
        with pytest.raises(RegistryError):
            decode_registry(bad)


def test_registry_of_10000_agents_fits_a_znode() -> None:
    admitted = tuple(sorted((_agent(i) for i in range(10_000)), key=lambda a: a.id or ""))
    data = encode_registry(RegistryState(version=7, admitted=admitted))
    print(f"\nregistry with 10,000 agents: {len(data)} bytes compressed")
    assert len(data) < MAX_ZNODE_BYTES


def test_default_registry_path_is_outside_the_group() -> None:
    assert default_registry_path("/mesos") == "/mesos-registry"
    assert not default_registry_path("/a/b").startswith("/a/b/")
