"""TLS for the daemons and clients: flags, libprocess's environment variables, SSL contexts.

Facts (SECURITY.md §4, Mesos docs/ssl.md): with TLS on, every component speaks TLS both ways
on its one port: here the HTTP servers (io/http/server.py on trio.SSLStream; hypercorn with an SSL context), the internal
master<->agent transport and the driver wire (trio.SSLStream), and the clients (agents,
executors, our scheduler client, `mesotron execute/ps` with an https:// master).

Flags (master and agent): --ssl-cert, --ssl-key, --ssl-ca, --ssl-verify-peer (we verify the
peer's certificate when we are the client), --ssl-require-cert (as a server, ask for and
verify client certificates). Environment (aliases, read when the flag is absent):
LIBPROCESS_SSL_ENABLED, _CERT_FILE, _KEY_FILE, _CA_FILE, _VERIFY_SERVER_CERT (legacy
_VERIFY_CERT), _REQUIRE_CLIENT_CERT (legacy _REQUIRE_CERT); the deprecated `SSL_*` names are
read too and lose on a clash. TLS is on when a certificate flag is given or
LIBPROCESS_SSL_ENABLED is true; then certificate and key are required (else: exit). A daemon
with TLS on exports the LIBPROCESS_SSL_* variables so that its executors inherit them.

Command-line clients (`mesotron execute`, `mesotron ps`; `cli_context`): TLS when the master
URL is https://, when --ssl-ca/--ssl-ca-dir is given, or when LIBPROCESS_SSL_ENABLED is true;
the CA from --ssl-ca / LIBPROCESS_SSL_CA_FILE and --ssl-ca-dir / LIBPROCESS_SSL_CA_DIR (a
c_rehash'ed directory, as OpenSSL reads it); a client certificate from --ssl-cert/--ssl-key
(or LIBPROCESS_SSL_CERT_FILE/_KEY_FILE with TLS enabled) for servers that require one.

SUPPORT_DOWNGRADE: `sniff`, `downgrading` below (the h11 server and the internal transport).

Not done (docs/security.md): the `legacy` reverse-DNS hostname validation (we validate like
`openssl`: the name or IP in the certificate), VERIFICATION_DEPTH (Python's ssl module has
no setter for it).
"""

from __future__ import annotations

import argparse
import os
import ssl
from collections.abc import Mapping
from typing import Any

import attrs
import trio

_TRUE = {"1", "true", "yes", "on"}


class TlsError(ValueError):
    """TLS settings that cannot be used (the daemon exits with this message)."""


@attrs.frozen(kw_only=True, slots=True)
class TlsConfig:
    cert: str
    key: str
    ca: str | None = None
    verify_peer: bool = False  # client side: verify the server's certificate
    require_cert: bool = False  # server side: require and verify client certificates
    downgrade: bool = False  # server side: accept plaintext too, on the same port (peek)

    def env(self) -> dict[str, str]:
        """The LIBPROCESS_SSL_* variables that describe this configuration (for children)."""
        out = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": self.cert,
               "LIBPROCESS_SSL_KEY_FILE": self.key,
               "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true" if self.verify_peer else "false",
               "LIBPROCESS_SSL_REQUIRE_CLIENT_CERT": "true" if self.require_cert else "false",
               "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "true" if self.downgrade else "false"}
        if self.ca:
            out["LIBPROCESS_SSL_CA_FILE"] = self.ca
        return out


def add_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("TLS (also LIBPROCESS_SSL_* environment variables)")
    g.add_argument("--ssl-cert", default=None, help="certificate (PEM): turns TLS on")
    g.add_argument("--ssl-key", default=None, help="private key (PEM)")
    g.add_argument("--ssl-ca", default=None, help="CA bundle (PEM) to verify peers with")
    g.add_argument("--ssl-verify-peer", action="store_true", default=None,
                   help="as a client, verify the server's certificate")
    g.add_argument("--ssl-require-cert", action="store_true", default=None,
                   help="as a server, require a client certificate signed by --ssl-ca")
    g.add_argument("--ssl-support-downgrade", action="store_true", default=None,
                   help="as a server, accept plaintext connections too on the same port "
                        "(LIBPROCESS_SSL_SUPPORT_DOWNGRADE; peer verification can be bypassed)")


def _env(env: Mapping[str, str], *names: str) -> str | None:
    for prefix in ("LIBPROCESS_SSL_", "SSL_"):  # LIBPROCESS_ wins on a clash
        for name in names:
            v = env.get(prefix + name)
            if v is not None:
                return v
    return None


def from_args(args: Any, env: Mapping[str, str] | None = None) -> TlsConfig | None:
    """The daemon's TLS configuration (None: TLS off). Raises TlsError."""
    env = os.environ if env is None else env
    cert = getattr(args, "ssl_cert", None) or _env(env, "CERT_FILE")
    key = getattr(args, "ssl_key", None) or _env(env, "KEY_FILE")
    enabled = bool(getattr(args, "ssl_cert", None)) or (_env(env, "ENABLED") or "").lower() in _TRUE
    if not enabled:
        return None
    if not cert or not key:
        raise TlsError("TLS is on but the certificate or key is missing (--ssl-cert/--ssl-key or "
                       "LIBPROCESS_SSL_CERT_FILE/LIBPROCESS_SSL_KEY_FILE)")
    ca = getattr(args, "ssl_ca", None) or _env(env, "CA_FILE")
    verify = getattr(args, "ssl_verify_peer", None)
    if verify is None:
        verify = (_env(env, "VERIFY_SERVER_CERT", "VERIFY_CERT") or "").lower() in _TRUE
    require = getattr(args, "ssl_require_cert", None)
    if require is None:
        require = (_env(env, "REQUIRE_CLIENT_CERT", "REQUIRE_CERT") or "").lower() in _TRUE
    downgrade = getattr(args, "ssl_support_downgrade", None)
    if downgrade is None:
        downgrade = (_env(env, "SUPPORT_DOWNGRADE") or "").lower() in _TRUE
    for path in (cert, key, ca):
        if path and not os.path.exists(path):
            raise TlsError(f"TLS file '{path}' does not exist")
    cfg = TlsConfig(cert=cert, key=key, ca=ca, verify_peer=bool(verify), require_cert=bool(require),
                    downgrade=bool(downgrade))
    server_context(cfg)  # fail at start-up on unusable files
    return cfg


def server_context(cfg: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cfg.cert, cfg.key)
        if cfg.ca:
            ctx.load_verify_locations(cfg.ca)
    except (OSError, ssl.SSLError) as e:
        raise TlsError(f"cannot load TLS files: {e}") from None
    if cfg.require_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def client_context(cfg: TlsConfig | None, *, verify: bool | None = None) -> ssl.SSLContext:
    """A client context: our certificate (servers may require one), the CA, and verification
    of the server as --ssl-verify-peer says (`verify` overrides)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    check = (cfg.verify_peer if cfg is not None else True) if verify is None else verify
    if cfg is not None:
        ctx.load_cert_chain(cfg.cert, cfg.key)
        if cfg.ca:
            ctx.load_verify_locations(cfg.ca)
    else:
        ctx.load_default_certs()
    if not check:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_context_from_env(env: Mapping[str, str] | None = None) -> ssl.SSLContext | None:
    """For executors and tools: a client context when LIBPROCESS_SSL_ENABLED says TLS is on."""
    try:
        cfg = from_args(None, env)
    except TlsError:
        return None
    return client_context(cfg) if cfg is not None else None


# ---------------------------------------------------------------- command-line clients
def add_client_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument_group("authentication (HTTP Basic; on the driver wire CRAM-MD5)")
    a.add_argument("--principal", default=None, help="authenticate as this principal (as mesos-execute)")
    a.add_argument("--secret", default=None, help="its secret (as mesos-execute)")
    g = p.add_argument_group("TLS (also LIBPROCESS_SSL_* environment variables)")
    g.add_argument("--ssl-ca", default=None, help="CA bundle (PEM) to verify the master with; implies TLS")
    g.add_argument("--ssl-ca-dir", default=None, help="directory of hashed CA certificates; implies TLS")
    g.add_argument("--ssl-cert", default=None, help="client certificate (PEM), for masters that require one")
    g.add_argument("--ssl-key", default=None, help="client key (PEM)")


def cli_context(master: str, args: Any, env: Mapping[str, str] | None = None) -> ssl.SSLContext | None:
    """The SSL context a command-line client uses to reach `master`, or None (plaintext).
    TLS when the URL is https://, a CA is named (flag), or LIBPROCESS_SSL_ENABLED is true.
    The server is verified when a CA is named (flag or environment) or
    LIBPROCESS_SSL_VERIFY_SERVER_CERT is true; an https:// URL with no TLS settings at all is
    verified against the system's trust store. Raises TlsError for unusable files."""
    env = os.environ if env is None else env
    enabled = (_env(env, "ENABLED") or "").lower() in _TRUE
    https = master.strip().lower().startswith("https://")
    ca = getattr(args, "ssl_ca", None) or (_env(env, "CA_FILE") if enabled or https else None)
    ca_dir = getattr(args, "ssl_ca_dir", None) or (_env(env, "CA_DIR") if enabled or https else None)
    named = bool(getattr(args, "ssl_ca", None) or getattr(args, "ssl_ca_dir", None))
    if not (https or enabled or named):
        return None
    cert = getattr(args, "ssl_cert", None) or (_env(env, "CERT_FILE") if enabled else None)
    key = getattr(args, "ssl_key", None) or (_env(env, "KEY_FILE") if enabled else None)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if cert:
            ctx.load_cert_chain(cert, key or None)
        if ca or ca_dir:
            if ca_dir and not os.path.isdir(ca_dir):
                raise TlsError(f"CA directory '{ca_dir}' does not exist")
            ctx.load_verify_locations(cafile=ca or None, capath=ca_dir or None)
        elif not enabled:
            ctx.load_default_certs()
    except (OSError, ssl.SSLError) as e:
        raise TlsError(f"cannot load TLS files: {e}") from None
    verify_env = (_env(env, "VERIFY_SERVER_CERT", "VERIFY_CERT") or "").lower() in _TRUE
    if not (ca or ca_dir or verify_env or (https and not enabled)):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ---------------------------------------------------------------- SUPPORT_DOWNGRADE
TLS_HANDSHAKE = 0x16  # the first byte of a TLS record carrying a handshake (ClientHello)
SNIFF_TIMEOUT = 15.0  # how long an accepted connection may stay silent before it is dropped


class PrefixedStream(trio.abc.Stream):
    """A transport stream whose first bytes were already read (to sniff them): they are
    given back first. `socket` is the underlying socket (servers read peer addresses)."""

    def __init__(self, stream: Any, prefix: bytes) -> None:
        self.transport_stream = stream
        self.socket = getattr(stream, "socket", None)
        self._prefix = prefix

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._prefix:
            n = len(self._prefix) if max_bytes is None else max_bytes
            data, self._prefix = self._prefix[:n], self._prefix[n:]
            await trio.lowlevel.checkpoint()
            return data
        return await self.transport_stream.receive_some(max_bytes)  # type: ignore[no-any-return]

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.transport_stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.transport_stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self.transport_stream.aclose()

    def setsockopt(self, *args: Any) -> None:
        self.transport_stream.setsockopt(*args)


async def sniff(stream: Any, ctx: ssl.SSLContext, *, https_compatible: bool = False,
                timeout: float = SNIFF_TIMEOUT) -> Any:
    """LIBPROCESS_SSL_SUPPORT_DOWNGRADE, as libprocess: peek at the first bytes of an accepted
    connection; a TLS handshake record (0x16) -> a trio.SSLStream over it, anything else ->
    the plaintext stream (with those bytes given back). None when the peer closed or stayed
    silent for `timeout`."""
    with trio.move_on_after(timeout):
        try:
            first = await stream.receive_some(4096)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            return None
        if not first:
            return None
        prefixed = PrefixedStream(stream, first)
        if first[0] == TLS_HANDSHAKE:
            return trio.SSLStream(prefixed, ctx, server_side=True, https_compatible=https_compatible)
        return prefixed
    return None


def downgrading(handler: Any, ctx: ssl.SSLContext, *, https_compatible: bool = True) -> Any:
    """Wrap a per-connection handler of plain accepted streams: each is sniffed (TLS or not)
    before `handler` gets it; silent or closed connections are dropped."""

    async def handle(stream: Any) -> None:
        sniffed = await sniff(stream, ctx, https_compatible=https_compatible)
        if sniffed is None:
            await trio.aclose_forcefully(stream)
            return
        await handler(sniffed)

    return handle
