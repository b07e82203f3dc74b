"""CPU per pipelined request of the HTTP parsers, in one process (issue 14 §HTTP path):

- server side: h11 (parse Request + Data + EndOfMessage, answer 202 with a kept Response +
  EndOfMessage, next cycle: what io/http/server.py does per request) vs httptools'
  HttpRequestParser (callbacks only: no answer built);
- client side: h11 (told of a request, then Response + EndOfMessage parsed, next cycle: what
  io/http/client.H11Pipeline did per answer until s12) vs httptools' HttpResponseParser
  (what it does now, io/http/client._Answers).

    nice .venv/bin/python bench/http_parse.py [--requests 40] [--rounds 200]
"""

from __future__ import annotations

import argparse
import time

import h11
import httptools

BODY = b"x" * 120
REQUEST = (b"POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1:5050\r\nContent-Length: 120\r\n"
           b"Content-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\n"
           b"Mesos-Stream-Id: 0123456789abcdef0123456789abcdef\r\n\r\n" + BODY)
ANSWER = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
KEPT = h11.Response(status_code=202, headers=[(b"content-length", b"0")])
BLANK = h11.Request(method="POST", target="/", headers=[("Host", "-"), ("Content-Length", "0")])


class _Calls:
    def __init__(self) -> None:
        self.n = 0
        self.parts: list[bytes] = []

    def on_url(self, url: bytes) -> None:
        self.parts.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.parts.append(value)

    def on_body(self, body: bytes) -> None:
        self.parts.append(body)

    def on_message_complete(self) -> None:
        self.n += 1
        self.parts = []


def server_h11(data: bytes, n: int) -> None:
    c = h11.Connection(h11.SERVER)
    c.receive_data(data)
    for _ in range(n):
        assert type(c.next_event()) is h11.Request
        assert type(c.next_event()) is h11.Data
        assert type(c.next_event()) is h11.EndOfMessage
        c.send(KEPT)
        c.send(h11.EndOfMessage())
        c.start_next_cycle()


def server_httptools(data: bytes, n: int) -> None:
    calls = _Calls()
    httptools.HttpRequestParser(calls).feed_data(data)
    assert calls.n == n


def client_h11(data: bytes, n: int) -> None:
    c = h11.Connection(h11.CLIENT)
    c.receive_data(data)
    for _ in range(n):
        c.send(BLANK)
        c.send(h11.EndOfMessage())
        assert type(c.next_event()) is h11.Response
        assert type(c.next_event()) is h11.EndOfMessage
        c.start_next_cycle()


def client_httptools(data: bytes, n: int) -> None:
    calls = _Calls()
    httptools.HttpResponseParser(calls).feed_data(data)
    assert calls.n == n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=40, help="pipelined together")
    p.add_argument("--rounds", type=int, default=200)
    args = p.parse_args()
    n = args.requests
    for name, f, data in (("server h11", server_h11, REQUEST * n), ("server httptools", server_httptools, REQUEST * n),
                          ("client h11", client_h11, ANSWER * n), ("client httptools", client_httptools, ANSWER * n)):
        t = time.process_time()
        for _ in range(args.rounds):
            f(data, n)
        print(f"{name}: {1e6 * (time.process_time() - t) / args.rounds / n:.1f} us per request")


if __name__ == "__main__":
    main()
