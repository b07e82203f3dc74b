"""io/http/client.H11Client.post: no retry policy in the shell. A POST that fails is not
sent again (the caller's machine decides); an idle keep-alive connection the server closed
is noticed before sending and replaced. Real sockets on loopback, a server speaking h11."""

from __future__ import annotations

import h11
import pytest
import trio
from mesotron.io.http.client import H11Client, HTTPError


async def _server(listeners: list, behaviour: str, seen: list[int], closed: trio.Event) -> None:
    """Per connection: read requests with h11; "answer-then-close": answer and close (a
    keep-alive timeout); "close-unanswered": close without answering."""

    async def handle(stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                ev = conn.next_event()
                if ev is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    conn.receive_data(data)
                    continue
                if isinstance(ev, h11.EndOfMessage):
                    seen.append(1)
                    if behaviour == "close-unanswered":
                        return
                    await stream.send_all(conn.send(h11.Response(
                        status_code=202, headers=[("Content-Length", "0")])) +
                        conn.send(h11.EndOfMessage()))
                    return  # close after answering
        finally:
            await trio.aclose_forcefully(stream)
            closed.set()

    await trio.serve_listeners(handle, listeners)


@pytest.mark.parametrize("behaviour", ["answer-then-close", "close-unanswered"])
def test_post_is_never_sent_twice(behaviour: str) -> None:
    async def main() -> None:
        with trio.fail_after(10):
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            port = listeners[0].socket.getsockname()[1]
            seen: list[int] = []
            closed = trio.Event()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_server, listeners, behaviour, seen, closed)
                client = H11Client("127.0.0.1", port)
                if behaviour == "close-unanswered":
                    with pytest.raises(HTTPError):
                        await client.post("/", b"x", {})
                    assert seen == [1]  # sent once, not retried
                else:
                    assert (await client.post("/", b"x", {}))[0] == 202
                    await closed.wait()  # the server closed the idle connection
                    assert (await client.post("/", b"y", {}))[0] == 202  # on a new one
                    assert seen == [1, 1]
                await client.aclose_connection()
                nursery.cancel_scope.cancel()

    trio.run(main)


def test_without_the_idle_check_the_stale_connection_fails(monkeypatch) -> None:
    """The check above is what keeps the second POST working (planted: no idle check)."""
    from mesotron.io.http import client as client_mod

    monkeypatch.setattr(client_mod, "_idle_and_open", lambda stream: True)
    with pytest.raises(BaseExceptionGroup) as err:  # from the test's nursery
        test_post_is_never_sent_twice("answer-then-close")
    assert err.group_contains(HTTPError)
