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

Not done (docs/security.md): SUPPORT_DOWNGRADE (plaintext and TLS on one port), the `legacy`
reverse-DNS hostname validation (we validate like `openssl`: the name or IP in the
certificate), CA_DIR, VERIFICATION_DEPTH.
"""

from __future__ import annotations

import argparse
import os
import ssl
from collections.abc import Mapping
from typing import Any

import attrs

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

    def env(self) -> dict[str, str]:
        """The LIBPROCESS_SSL_* variables that describe this configuration (for children)."""
        out = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": self.cert,
               "LIBPROCESS_SSL_KEY_FILE": self.key,
               "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true" if self.verify_peer else "false",
               "LIBPROCESS_SSL_REQUIRE_CLIENT_CERT": "true" if self.require_cert else "false"}
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
    for path in (cert, key, ca):
        if path and not os.path.exists(path):
            raise TlsError(f"TLS file '{path}' does not exist")
    cfg = TlsConfig(cert=cert, key=key, ca=ca, verify_peer=bool(verify), require_cert=bool(require))
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
