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

Protocol versions, as libprocess: LIBPROCESS_SSL_ENABLE_TLS_V1_0, _V1_1, _V1_2, _V1_3; only
TLS 1.2 is on by default (the contexts' minimum and maximum version span the enabled ones).

Accepted but not enforced as libprocess does (a warning once, at start-up; docs/security.md):
LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME=legacy (reverse DNS of the peer's IP, then that
name checked against the certificate): we always validate like `openssl`, in the handshake,
the name or IP we dialled against the certificate's SAN/CN, so a peer whose certificate
names only its reverse-DNS name is refused; LIBPROCESS_SSL_VERIFICATION_DEPTH: Python 3.11's
ssl module has no verify-depth setter and no access to the verified chain (no
`SSLContext.verify_depth`; `SSLSocket.get_verified_chain` arrived in 3.13), so OpenSSL's
default depth (100) applies. LIBPROCESS_SSL_VERIFY_IPADD is not read: an IP we dial is always
matched against the certificate's IP SANs. An unknown scheme or a depth that is not a number is a
TlsError.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
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
    min_version: str = "TLSv1_2"  # ssl.TLSVersion names (LIBPROCESS_SSL_ENABLE_TLS_V1_*)
    max_version: str = "TLSv1_2"
    notes: tuple[str, ...] = ()  # settings accepted but not enforced: the daemon warns once

    def env(self) -> dict[str, str]:
        """The LIBPROCESS_SSL_* variables that describe this configuration (for children)."""
        out = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": self.cert,
               "LIBPROCESS_SSL_KEY_FILE": self.key,
               "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true" if self.verify_peer else "false",
               "LIBPROCESS_SSL_REQUIRE_CLIENT_CERT": "true" if self.require_cert else "false",
               "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "true" if self.downgrade else "false"}
        if self.ca:
            out["LIBPROCESS_SSL_CA_FILE"] = self.ca
        lo, hi = _ORDER.index(self.min_version), _ORDER.index(self.max_version)
        for i, name in enumerate(_ORDER):
            out[f"LIBPROCESS_SSL_ENABLE_TLS_V1_{i}"] = "true" if lo <= i <= hi else "false"
        return out


_ORDER = ("TLSv1", "TLSv1_1", "TLSv1_2", "TLSv1_3")
_DEFAULT_ON = {"TLSv1": False, "TLSv1_1": False, "TLSv1_2": True, "TLSv1_3": False}  # libprocess
SCHEMES = ("legacy", "openssl")


def policy(env: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]]:
    """(minimum version, maximum version, notes) from LIBPROCESS_SSL_ENABLE_TLS_V1_*,
    _HOSTNAME_VALIDATION_SCHEME, _VERIFICATION_DEPTH. Raises TlsError."""
    on = []
    for name in _ORDER:
        v = _env(env, f"ENABLE_TLS_V1_{_ORDER.index(name)}")
        if (v.lower() in _TRUE) if v is not None else _DEFAULT_ON[name]:
            on.append(name)
    if not on:
        raise TlsError("no TLS version is enabled (LIBPROCESS_SSL_ENABLE_TLS_V1_0/_1/_2/_3)")
    notes = []
    scheme = (_env(env, "HOSTNAME_VALIDATION_SCHEME") or "legacy").strip().lower()
    if scheme not in SCHEMES:
        raise TlsError(f"unknown hostname validation scheme '{scheme}' "
                       "(LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: legacy or openssl)")
    if _env(env, "HOSTNAME_VALIDATION_SCHEME") is not None and scheme == "legacy":
        notes.append("LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME=legacy is not supported: hostnames "
                     "are validated as with 'openssl' (the dialled name or IP against the "
                     "certificate, in the handshake; no reverse DNS)")
    depth = _env(env, "VERIFICATION_DEPTH")
    if depth is not None:
        try:
            if int(depth) < 0:
                raise ValueError
        except ValueError:
            raise TlsError(f"LIBPROCESS_SSL_VERIFICATION_DEPTH must be a non-negative number, "
                           f"not '{depth}'") from None
        notes.append(f"LIBPROCESS_SSL_VERIFICATION_DEPTH={depth} is not enforced: Python's ssl "
                     "module has no verify-depth setter (OpenSSL's default depth applies)")
    return on[0], on[-1], tuple(notes)


def _versions(ctx: ssl.SSLContext, lo: str, hi: str) -> None:
    ctx.minimum_version = getattr(ssl.TLSVersion, lo)
    ctx.maximum_version = getattr(ssl.TLSVersion, hi)


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
    lo, hi, notes = policy(env)
    cfg = TlsConfig(cert=cert, key=key, ca=ca, verify_peer=bool(verify), require_cert=bool(require),
                    downgrade=bool(downgrade), min_version=lo, max_version=hi, notes=notes)
    server_context(cfg)  # fail at start-up on unusable files
    return cfg


def server_context(cfg: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        _versions(ctx, cfg.min_version, cfg.max_version)
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
    if cfg is not None:
        lo, hi = cfg.min_version, cfg.max_version
    else:
        try:
            lo, hi = policy(os.environ)[:2]
        except TlsError:  # (a daemon or CLI said so already; here: libprocess's default)
            lo = hi = "TLSv1_2"
    _versions(ctx, lo, hi)
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
_WARNED: set[str] = set()


def warn_once(note: str) -> None:
    """A command-line client's warning about a setting it does not enforce: once per process."""
    if note not in _WARNED:
        _WARNED.add(note)
        print(f"mesotron: warning: {note}", file=sys.stderr)


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
    lo, hi, notes = policy(env)
    for note in notes:
        warn_once(note)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        _versions(ctx, lo, hi)
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
