"""CRAM-MD5 on our connections (the driver wire and the internal master<->agent link), as
Mesos's CRAM-MD5 authenticator (src/authentication/cram_md5/*, SECURITY.md §2), with the
standard library's hmac. Nothing secret crosses the wire: the server sends a fresh challenge,
the client answers `<principal> <hex HMAC-MD5(secret, challenge)>`.

    client                                   server
    Hello(sender)                    ->
    Authentication(START, CRAM-MD5)  ->
                                     <-      Authentication(STEP, challenge)
    Authentication(STEP, response)   ->
                                     <-      COMPLETED | FAILED | ERROR(error)

The exchange happens right after Hello and before any other frame; its result is bound to
the connection (Mesos binds it to a pid string, which a peer can claim; a connection cannot
be claimed). The transport (io/wire/transport.py) runs the server side and records the
principal on the link; the machines get it as an input (`Received.principal`,
`SchedulerCall.principal`) and decide. A failed exchange closes the link; the client raises
`AuthenticationRefused` ("Master refused authentication", Mesos's text) or
`AuthenticationFailure` (an ERROR, or a link that broke) which a client may retry.

Secrets and digests are never logged (Authentication's repr hides its data).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from typing import Any

import trio
from mesotron.spec import codec_internal
from mesotron.spec.codec_internal import Authentication
from mesotron.spec.codec_values import CodecError

MECHANISM = "CRAM-MD5"
_LEN = struct.Struct(">I")
# compared against when the principal is unknown: same work as a wrong secret
_DUMMY_SECRET = b"\0" * 32


class AuthenticationFailure(Exception):
    """The exchange did not complete (an ERROR from the server, a broken link)."""


class AuthenticationRefused(AuthenticationFailure):
    """The server refused the credential (FAILED): Mesos's drivers give up."""


def digest(secret: bytes, challenge: bytes) -> str:
    return hmac.new(secret, challenge, hashlib.md5).hexdigest()


def response(principal: str, secret: str, challenge: bytes) -> bytes:
    return f"{principal} {digest(secret.encode(), challenge)}".encode()


def new_challenge(host: str = "mesotron") -> bytes:
    """RFC 2195's form: `<random.timestamp@host>` (random from the OS)."""
    return f"<{os.urandom(16).hex()}@{host}>".encode()


def verify(credentials: dict[str, str], challenge: bytes, answer: bytes) -> str | None:
    """The principal `answer` proves, or None. Constant time in the secret."""
    try:
        text = answer.decode()
    except UnicodeDecodeError:
        return None
    principal, sep, hexdigest = text.rpartition(" ")
    if not sep or not principal:
        return None
    secret = credentials.get(principal)
    want = digest(secret.encode() if secret is not None else _DUMMY_SECRET, challenge)
    ok = hmac.compare_digest(want.encode(), hexdigest.encode())
    return principal if ok and secret is not None else None


def frame(msg: Any) -> bytes:
    payload = codec_internal.encode(msg)
    return _LEN.pack(len(payload)) + payload


# ------------------------------------------------------------------ server (in the transport)
async def serve(link: Any, first: Authentication, credentials: dict[str, str], *,
                decode: Any, timeout: float = 15.0) -> tuple[str | None, str]:
    """Run the server side on `link` (whose START is `first`): (principal or None, reason).
    Replies go through `link.send_frame`; on failure the caller closes the link. `timeout`:
    Mesos's --authentication_v0_timeout (15secs)."""
    if first.kind != "START":
        link.send_frame(codec_internal.encode(Authentication(
            kind="ERROR", error=f"Unexpected authentication message {first.kind}")))
        return None, f"unexpected {first.kind}"
    if first.mechanism != MECHANISM:
        link.send_frame(codec_internal.encode(Authentication(kind="MECHANISMS", mechanisms=(MECHANISM,))))
        link.send_frame(codec_internal.encode(Authentication(
            kind="ERROR", error=f"Unsupported authentication mechanism '{first.mechanism}'")))
        return None, "unsupported mechanism"
    challenge = new_challenge()
    link.send_frame(codec_internal.encode(Authentication(kind="STEP", data=challenge)))
    with trio.move_on_after(timeout):
        data = await link.next_frame()
        if data is None:
            return None, "closed during authentication"
        msg = decode(data)
        if not isinstance(msg, Authentication) or msg.kind != "STEP":
            link.send_frame(codec_internal.encode(Authentication(
                kind="ERROR", error="Expected an authentication step")))
            return None, "unexpected frame during authentication"
        principal = verify(credentials, challenge, msg.data)
        if principal is None:
            link.send_frame(codec_internal.encode(Authentication(kind="FAILED")))
            return None, "bad principal or secret"
        link.send_frame(codec_internal.encode(Authentication(kind="COMPLETED")))
        return principal, "ok"
    link.send_frame(codec_internal.encode(Authentication(kind="ERROR", error="Authentication timed out")))
    return None, "authentication timed out"


# ------------------------------------------------------------------ client
async def authenticate(stream: trio.abc.Stream, buf: bytearray, principal: str, secret: str) -> None:
    """The client side, on a fresh connection whose Hello is already written: returns when
    the server COMPLETED; raises AuthenticationRefused (FAILED) or AuthenticationFailure.
    `buf`: the link's receive buffer (bytes after the exchange stay in it). The caller wraps
    this in its own deadline (trio.fail_after)."""
    await stream.send_all(frame(Authentication(kind="START", mechanism=MECHANISM)))
    msg = await _read(stream, buf)
    if msg.kind == "MECHANISMS":
        msg = await _read(stream, buf)
    if msg.kind == "ERROR":
        raise AuthenticationFailure(msg.error or "authentication error")
    if msg.kind != "STEP":
        raise AuthenticationFailure(f"unexpected {msg.kind}")
    await stream.send_all(frame(Authentication(kind="STEP", data=response(principal, secret, msg.data))))
    msg = await _read(stream, buf)
    if msg.kind == "COMPLETED":
        return
    if msg.kind == "FAILED":
        raise AuthenticationRefused("Master refused authentication")
    raise AuthenticationFailure(msg.error or f"unexpected {msg.kind}")


async def _read(stream: trio.abc.Stream, buf: bytearray) -> Authentication:
    while True:
        if len(buf) >= 4:
            (n,) = _LEN.unpack_from(buf, 0)
            if n > 65536:
                raise AuthenticationFailure("oversized authentication frame")
            if len(buf) >= 4 + n:
                data = bytes(buf[4:4 + n])
                del buf[:4 + n]
                try:
                    msg = codec_internal.decode(data)
                except CodecError as e:
                    raise AuthenticationFailure(f"bad frame: {e}") from None
                if not isinstance(msg, Authentication):
                    raise AuthenticationFailure(f"unexpected {type(msg).__name__} during authentication")
                return msg
        chunk = await stream.receive_some(65536)
        if not chunk:
            raise AuthenticationFailure("connection closed during authentication")
        buf += chunk
