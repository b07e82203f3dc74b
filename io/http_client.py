"""A small HTTP/1.1 client on Trio streams for the hot paths: the command executor's calls
to its agent and a scheduler's calls to the master.

httpx costs ~2-3 ms of CPU per request (proxy detection, cookie handling, its connection
pool, async-generator plumbing), h11 ~0.3 ms (a general state machine, header validation on
both directions); this client writes the request itself and parses the response head
(status line, `name: value` lines) and its Content-Length, chunked or until-close body.

    conn = H11Client("127.0.0.1", 5051)
    status, body = await conn.post("/api/v1/executor", body, {"Content-Type": ...})
    async with conn.stream_post(path, body, headers) as (status, chunks): ...
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

MAX_HEAD = 64 * 1024


class HTTPError(OSError):
    pass


def _ip_family(host: str) -> int | None:
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(fam, host)
            return fam
        except OSError:
            pass
    return None


class _Reader:
    """Buffered reads from a stream: response heads, lines, exact byte counts."""

    __slots__ = ("buf", "stream")

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.buf = bytearray()

    async def fill(self) -> bool:
        data = await self.stream.receive_some(65536)
        if not data:
            return False
        self.buf += data
        return True

    async def line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return out
            if len(self.buf) > MAX_HEAD or not await self.fill():
                raise HTTPError("connection closed in the middle of a response")

    async def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not await self.fill():
                raise HTTPError("connection closed in the middle of a response")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def head(self) -> tuple[int, dict[bytes, bytes]]:
        """The next final response's status and headers (1xx responses are skipped)."""
        while True:
            while True:
                end = self.buf.find(b"\r\n\r\n")
                if end >= 0:
                    break
                if len(self.buf) > MAX_HEAD:
                    raise HTTPError("response head too large")
                if not await self.fill():
                    raise HTTPError("connection closed")
            lines = bytes(self.buf[:end]).split(b"\r\n")
            del self.buf[: end + 4]
            parts = lines[0].split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                raise HTTPError(f"malformed status line {lines[0][:100]!r}")
            status = int(parts[1])
            headers: dict[bytes, bytes] = {}
            for ln in lines[1:]:
                k, sep, v = ln.partition(b":")
                if not sep:
                    raise HTTPError("malformed header line")
                headers[k.strip().lower()] = v.strip()
            if parts[0] == b"HTTP/1.0" and b"keep-alive" not in headers.get(b"connection", b"").lower():
                headers[b"connection"] = b"close"
            if 100 <= status < 200:
                continue
            return status, headers

    async def body(self, status: int, headers: dict[bytes, bytes]) -> AsyncIterator[bytes]:
        """The response body's pieces, by its framing."""
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            while True:
                try:
                    n = int((await self.line()).split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise HTTPError("bad chunk size") from None
                if n == 0:
                    while await self.line():  # trailers
                        pass
                    return
                yield await self.exact(n)
                if await self.line():
                    raise HTTPError("bad chunk terminator")
        elif b"content-length" in headers:
            n = int(headers[b"content-length"])
            if n:
                yield await self.exact(n)
        elif status in (204, 304):
            return
        else:  # until the server closes
            while self.buf or await self.fill():
                data = bytes(self.buf)
                self.buf.clear()
                yield data


class H11Client:
    """One keep-alive connection at a time (reconnects when the server closes it). (The
    name is historical: it used h11.)"""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 5.0) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self._reader: _Reader | None = None
        self._lock = trio.Lock()
        self._host_hdr = f"Host: {host}:{port}\r\n".encode("latin-1")
        self._family = _ip_family(host)

    async def _connect(self) -> trio.SocketStream:
        with trio.fail_after(self.connect_timeout):
            if self._family is None:
                return await trio.open_tcp_stream(self.host, self.port)
            sock = trio.socket.socket(self._family, socket.SOCK_STREAM)
            try:
                await sock.connect((self.host, self.port))
            except BaseException:
                sock.close()
                raise
            return trio.SocketStream(sock)  # sets TCP_NODELAY

    def _request_bytes(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        head = [b"POST ", path.encode("latin-1"), b" HTTP/1.1\r\n", self._host_hdr,
                b"Content-Length: %d\r\n" % len(body)]
        for k, v in headers.items():
            head.append(f"{k}: {v}\r\n".encode("latin-1"))
        head.append(b"\r\n")
        head.append(body)
        return b"".join(head)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST on the keep-alive connection; returns (status, body)."""
        data = self._request_bytes(path, body, headers)
        async with self._lock:
            for attempt in (0, 1):
                if self._reader is None:
                    try:
                        self._reader = _Reader(await self._connect())
                    except OSError as e:
                        if attempt == 1:
                            raise HTTPError(str(e) or type(e).__name__) from None
                        continue
                r = self._reader
                try:
                    await r.stream.send_all(data)
                    status, hdrs = await r.head()
                    out = [piece async for piece in r.body(status, hdrs)]
                    if b"close" in hdrs.get(b"connection", b"").lower() or (
                            b"content-length" not in hdrs and b"transfer-encoding" not in hdrs
                            and status not in (204, 304)):
                        await self.aclose_connection()
                    return status, b"".join(out)
                except (OSError, ValueError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
                    await self.aclose_connection()
                    if attempt == 1:
                        raise HTTPError(str(e) or type(e).__name__) from None
            raise AssertionError("unreachable")

    @asynccontextmanager
    async def stream_post(self, path: str, body: bytes, headers: dict[str, str]
                          ) -> AsyncIterator[tuple[int, AsyncIterator[bytes]]]:
        """POST on a fresh connection and stream the response body (RecordIO streams)."""
        try:
            stream = await self._connect()
        except (OSError, trio.TooSlowError) as e:
            raise HTTPError(str(e) or type(e).__name__) from None
        r = _Reader(stream)
        try:
            try:
                await stream.send_all(self._request_bytes(path, body, headers))
                status, hdrs = await r.head()
            except (ValueError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
                raise HTTPError(str(e) or type(e).__name__) from None

            async def chunks() -> AsyncIterator[bytes]:
                try:
                    async for piece in r.body(status, hdrs):
                        yield piece
                except (ValueError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
                    raise HTTPError(str(e) or type(e).__name__) from None

            yield status, chunks()
        finally:
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)

    async def aclose_connection(self) -> None:
        if self._reader is not None:
            stream, self._reader = self._reader.stream, None
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)


__all__ = ["H11Client", "HTTPError"]
