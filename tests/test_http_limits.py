"""Per-peer HTTP limits (io/http/limits.py) on a real master: --max-streams-per-peer (scheduler
and operator SUBSCRIBE streams open at once from one IP: past it 503 with the message, the
master unchanged) and --max-http-connections-per-peer (HTTP connections open at once from one
IP: past it 503 with the message, then closed); both free up when a stream or connection
closes. Plus the counter itself."""

from __future__ import annotations

import http.client
import json

from mesotron.io.http.limits import PerPeer
from test_authorizer import _post
from testkit import Cluster, wait_for

SUB = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "lim"}}})


def test_per_peer_counter() -> None:
    c = PerPeer(2)
    assert c.acquire("a") and c.acquire("a") and not c.acquire("a") and c.acquire("b")
    c.release("a")
    assert c.acquire("a") and c.counts == {"a": 2, "b": 1}
    unlimited = PerPeer(0)
    assert all(unlimited.acquire("a") for _ in range(1000))


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers={"Content-Type": "application/json",
                                                   "Accept": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def _get(port: int, path: str) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return _request(c, "GET", path)
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        c.close()


def test_streams_and_connections_per_peer(tmp_path) -> None:
    with Cluster(str(tmp_path), agents=0, master_flags=(
            "--max-streams-per-peer", "2", "--max-http-connections-per-peer", "3")) as c:
        p = c.master_port
        streams: list[http.client.HTTPConnection] = []
        for _ in range(2):
            st, body = _post(p, "/api/v1/scheduler", SUB, keep=streams)
            assert st == 200 and b"SUBSCRIBED" in body
        # a third stream from this address: 503 with the reason, before the master sees it
        third = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
        st, body = _request(third, "POST", "/api/v1/scheduler", SUB)
        assert (st, body) == (503, b"Too many event streams from 127.0.0.1 (--max-streams-per-peer=2)")
        st, body = _request(third, "POST", "/api/v1", json.dumps({"type": "SUBSCRIBE"}))
        assert st == 503 and b"--max-streams-per-peer=2" in body
        # the third connection stays open (keep-alive): a fourth one is refused
        st, body = _get(p, "/health")
        assert (st, body) == (503, b"Too many HTTP connections from 127.0.0.1 (--max-http-connections-per-peer=3)")
        third.close()
        wait_for(lambda: _get(p, "/health")[0] == 200, 10, "a connection slot freed")
        st, body = wait_for(lambda: (r := _get(p, "/master/state"))[0] == 200 and r, 10, "the state")
        assert len(json.loads(body)["frameworks"]) == 2, "a refused SUBSCRIBE changed the master"
        # a stream closes: an operator SUBSCRIBE is accepted again
        streams.pop().close()

        def operator_stream_ok() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
            try:
                conn.request("POST", "/api/v1", body=json.dumps({"type": "SUBSCRIBE"}),
                             headers={"Content-Type": "application/json", "Accept": "application/json"})
                return conn.getresponse().status == 200
            finally:
                conn.close()

        wait_for(operator_stream_ok, 10, "a stream slot freed")
        for s in streams:
            s.close()
