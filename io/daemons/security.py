"""Security flags of the master and the agent (authentication, authorization) and what the
daemons build from them. Flag names as Mesos's (SECURITY.md §1); the underscore spellings
(`--authenticate_http_readonly`) are accepted by the CLI (io/cli/main.py).

Master:
  --authenticate-frameworks       frameworks must authenticate: CRAM-MD5 on the driver wire
                                  and (mesotron) Basic on /api/v1/scheduler; Mesos keeps the
                                  HTTP half under --authenticate-http-frameworks, accepted too
  --authenticate-http-frameworks  Basic on /api/v1/scheduler only
  --authenticate-agents           agents must authenticate (CRAM-MD5 on the internal link)
  --authenticate-http-readonly    Basic on the readonly endpoints (/state, /flags, ...)
  --authenticate-http-readwrite   Basic on /api/v1 and the other mutating endpoints
  --credentials PATH|file://PATH  {"credentials":[{"principal","secret"}]}
  --acls JSON|PATH|file://PATH    Mesos ACLs (core/authorizer.py)
Agent:
  --credential PATH               {"principal","secret"}: the agent's own (CRAM-MD5 to the master)
  --http-credentials PATH         Basic credentials of the agent's own HTTP endpoints
  --authenticate-http-readonly / --authenticate-http-readwrite
  --acls                          as the master's
"""

from __future__ import annotations

import argparse
from typing import Any

from mesotron.io.http.auth import (
    CredentialsError,
    HttpAuth,
    load_credential,
    load_credentials,
)


def add_master_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("authentication and authorization")
    g.add_argument("--authenticate-frameworks", action="store_true",
                   help="frameworks must authenticate (driver wire: CRAM-MD5; HTTP: Basic)")
    g.add_argument("--authenticate-http-frameworks", action="store_true",
                   help="Basic authentication on /api/v1/scheduler")
    g.add_argument("--authenticate-agents", action="store_true",
                   help="agents must authenticate (CRAM-MD5 on the internal link)")
    g.add_argument("--authenticate-http-readonly", action="store_true",
                   help="Basic authentication on the readonly endpoints")
    g.add_argument("--authenticate-http-readwrite", action="store_true",
                   help="Basic authentication on the readwrite endpoints (/api/v1, ...)")
    g.add_argument("--credentials", default=None,
                   help='PATH or file://PATH: {"credentials":[{"principal":..,"secret":..}]}')
    g.add_argument("--acls", default=None, help="Mesos ACLs: JSON text, PATH or file://PATH")
    g.add_argument("--authentication-v0-timeout", type=_duration, default=15.0,
                   help="time a peer has to finish CRAM-MD5 on the internal link / driver wire "
                        "(Mesos: 15secs)")


def _duration(text: str) -> float:
    from mesotron.io.daemons.flags import duration

    return duration(text)


def add_agent_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("authentication and authorization")
    g.add_argument("--credential", default=None,
                   help='PATH or file://PATH: {"principal":..,"secret":..} to authenticate with the master')
    g.add_argument("--http-credentials", default=None,
                   help='PATH or file://PATH: {"credentials":[...]} for the agent\'s own HTTP endpoints')
    g.add_argument("--authenticate-http-readonly", action="store_true")
    g.add_argument("--authenticate-http-readwrite", action="store_true")
    g.add_argument("--acls", default=None, help="Mesos ACLs: JSON text, PATH or file://PATH")


def add_limit_flags(p: argparse.ArgumentParser) -> None:
    """Limits against hostile peers (the fuzz campaign, tests/test_fuzz_campaign.py), and the
    choice of HTTP server."""
    add_http_server_flag(p)
    g = p.add_argument_group("limits")
    g.add_argument("--max-body-size", type=_positive_int, default=16 * 1024 * 1024,
                   help="largest HTTP request body in bytes (larger: 413)")
    g.add_argument("--max-frame-size", type=_positive_int, default=64 * 1024 * 1024,
                   help="largest frame on the internal link / driver wire in bytes (larger: "
                        "the connection is closed)")
    g.add_argument("--max-connections-per-peer", type=_non_negative_int, default=0,
                   help="internal-link/driver-wire connections open at once from one IP address "
                        "(0, the default: no limit; the scale benches run 40,000 agents from "
                        "one address)")
    g.add_argument("--max-http-connections-per-peer", type=_non_negative_int, default=0,
                   help="HTTP connections open at once from one IP address; past it: 503 and "
                        "closed (0, the default: no limit; uses the h11 server)")
    g.add_argument("--max-streams-per-peer", type=_non_negative_int, default=0,
                   help="event streams (SUBSCRIBE) open at once from one IP address; past it "
                        "the SUBSCRIBE gets 503 (0, the default: no limit)")


def add_http_server_flag(p: argparse.ArgumentParser) -> None:
    import os

    p.add_argument("--http-server", choices=("hypercorn", "h11"),
                   default=os.environ.get("MESOTRON_HTTP_SERVER", "h11"),
                   help="HTTP server for the ASGI apps: h11 (io/http/server.py: keep-alive, "
                        "pipelining) or hypercorn; default from MESOTRON_HTTP_SERVER, else h11")


def http_server(args: argparse.Namespace, tls: Any = None, log: Any = None) -> Any:
    """The serve function `--http-server` names (io/http/asgi.serve_http's contract). With
    TLS downgrade on (io/http/tls.py) or --max-http-connections-per-peer, the h11 server:
    hypercorn can neither sniff a connection nor count them per peer."""
    limit = getattr(args, "max_http_connections_per_peer", 0) or 0
    if getattr(args, "http_server", "h11") == "h11" or getattr(tls, "downgrade", False) or limit:
        from functools import partial

        from mesotron.io.http.server import serve_h11

        return partial(serve_h11, max_connections_per_peer=limit, log=log) if limit else serve_h11
    from mesotron.io.http.asgi import serve_http

    return serve_http


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not an integer") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be >= 0")
    return n


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not an integer") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be > 0")
    return n


def apply_limits(args: argparse.Namespace, transport: Any) -> None:
    """Set the limits of the process (HTTP bodies, frames) and of its transport."""
    from mesotron.io.http import asgi
    from mesotron.io.wire import transport as transport_module

    asgi.MAX_BODY = getattr(args, "max_body_size", asgi.MAX_BODY)
    transport_module.MAX_FRAME = getattr(args, "max_frame_size", transport_module.MAX_FRAME)
    if transport is not None:
        transport.max_connections_per_peer = getattr(args, "max_connections_per_peer", 0)


class SecurityConfig:
    """What a daemon built from its security flags."""

    def __init__(self) -> None:
        self.http_auth: HttpAuth | None = None
        self.credentials: dict[str, str] = {}  # principal -> secret (master: CRAM-MD5 and Basic)
        self.credential: tuple[str, str] | None = None  # agent: its own
        self.authenticate_frameworks = False
        self.authenticate_agents = False
        self.acls: Any = None  # core.authorizer.Acls or None


def _need(creds: dict[str, str] | None, prefix: str, realms: list[str]) -> None:
    if realms and not creds:
        raise CredentialsError(
            f"No credentials provided for the default 'basic' HTTP authenticator for realm "
            f"'{prefix}-{realms[0]}'")


def master_security(args: argparse.Namespace, warn: Any) -> SecurityConfig:
    """Raises CredentialsError (the daemon exits with its message)."""
    cfg = SecurityConfig()
    creds = load_credentials(args.credentials, warn) if getattr(args, "credentials", None) else None
    cfg.credentials = creds or {}
    realms = []
    if getattr(args, "authenticate_http_readonly", False):
        realms.append("readonly")
    if getattr(args, "authenticate_http_readwrite", False):
        realms.append("readwrite")
    if getattr(args, "authenticate_frameworks", False) or getattr(args, "authenticate_http_frameworks", False):
        realms.append("scheduler")
    _need(creds, "mesos-master", realms)
    cfg.http_auth = HttpAuth("mesos-master", realms, creds) if realms else None
    cfg.authenticate_frameworks = bool(getattr(args, "authenticate_frameworks", False))
    cfg.authenticate_agents = bool(getattr(args, "authenticate_agents", False))
    cfg.acls = load_acls_flag(getattr(args, "acls", None))
    return cfg


def agent_security(args: argparse.Namespace, warn: Any) -> SecurityConfig:
    cfg = SecurityConfig()
    hc = getattr(args, "http_credentials", None)
    creds = load_credentials(hc, warn) if hc else None
    realms = []
    if getattr(args, "authenticate_http_readonly", False):
        realms.append("readonly")
    if getattr(args, "authenticate_http_readwrite", False):
        realms.append("readwrite")
    _need(creds, "mesos-agent", realms)
    cfg.http_auth = HttpAuth("mesos-agent", realms, creds) if realms else None
    if getattr(args, "credential", None):
        cfg.credential = load_credential(args.credential, warn)
    cfg.acls = load_acls_flag(getattr(args, "acls", None))
    return cfg


def load_acls_flag(value: str | None) -> Any:
    """`--acls`: JSON text, or a path (`file://` optional) to it. None when absent."""
    if not value:
        return None
    from mesotron.core.authorizer import AclError, parse_acls

    text = value
    if not value.lstrip().startswith("{"):
        path = value.removeprefix("file://")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise CredentialsError(f"Failed to read ACLs file '{path}': {e.strerror}") from None
    try:
        return parse_acls(text)
    except AclError as e:
        raise CredentialsError(f"Invalid ACLs: {e}") from None
