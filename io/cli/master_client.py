"""Reaching a cluster from the command line: `--master HOST:PORT`, `https://HOST:PORT` or
`--master zk://...`.

A zk:// address is resolved once to the current leader (the lowest `json.info_` member, as
Mesos's detector does); then HTTP(S) with httpx (redirects followed: a standby answers
307 to the leader).

Every command that talks to a daemon (`ps`, `why`, `top`, `cat`/`tail`/`ls`, `record`,
`execute`) takes its connection options from here, so they are the same everywhere:
`add_master_flags(p)` adds `--master` and the credential and TLS flags
(`--principal/--secret`, `--ssl-ca/--ssl-ca-dir/--ssl-cert/--ssl-key`; io/http/tls.py
`add_client_flags`), and `Http.from_args(args)` builds the client they describe (TLS as
`tls.cli_context` decides: https://, a CA flag, or LIBPROCESS_SSL_ENABLED; HTTP Basic
credentials on every request, to the master and to agents). A refused credential (401) or
a denied principal (403) is a one-line CliError naming the principal; unusable TLS files
are a `tls.TlsError` (the commands exit 2 on it, as `mesotron ps` always did)."""

from __future__ import annotations

import argparse
import ssl
from typing import Any

import httpx
from mesotron.io.daemons.flags import host_port
from mesotron.io.http import tls


class CliError(Exception):
    """A user-facing error: printed as `mesotron <cmd>: <message>`, exit 1."""


def add_master_flags(p: argparse.ArgumentParser,
                     help: str = "master HOST:PORT, https://HOST:PORT or zk://host:port/path") -> None:
    """`--master` plus the credential and TLS flags every daemon-facing command shares."""
    p.add_argument("--master", required=True, help=help)
    tls.add_client_flags(p)


def resolve_master(text: str, timeout: float = 10.0, scheme: str = "http") -> str:
    """`HOST:PORT`, `http(s)://HOST:PORT` or `zk://...` -> the leading master's base URL
    (`scheme`: "https" when the command speaks TLS)."""
    from mesotron.io.zk.election import (
        ZkUrlError,
        is_zk_url,
        leader_child,
        parse_master_info,
        parse_zk_url,
    )

    if not is_zk_url(text):
        try:
            host, port = host_port(text, 5050)
        except ValueError as e:
            raise CliError(f"invalid --master {text!r}: {e}") from None
        return f"{scheme}://{host}:{port}"
    try:
        url = parse_zk_url(text)
    except ZkUrlError as e:
        raise CliError(str(e)) from None
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException, NoNodeError

    zk = KazooClient(hosts=url.hosts, timeout=timeout,
                     auth_data=[("digest", ":".join(url.credentials))] if url.credentials else None)
    try:
        zk.start(timeout=timeout)
    except Exception as e:  # noqa: BLE001 - kazoo raises its own timeout type
        raise CliError(f"cannot reach ZooKeeper at {url.hosts}: {e}") from None
    try:
        try:
            child = leader_child(zk.get_children(url.path))
            if child is None:
                raise CliError(f"no master is leading in {text}")
            data, _ = zk.get(f"{url.path.rstrip('/')}/{child}")
        except NoNodeError:
            raise CliError(f"no master is leading in {text} (no such znode)") from None
        except KazooException as e:
            raise CliError(f"ZooKeeper: {e}") from None
    finally:
        zk.stop()
        zk.close()
    try:
        info = parse_master_info(data)
    except ValueError as e:
        raise CliError(f"leader znode {child}: {e}") from None
    return f"{scheme}://{info.hostname}:{info.port}"


def refusal(status: int, what: str, principal: str | None, body: str = "") -> str | None:
    """The user-facing message for an authentication (401) or authorization (403) refusal,
    else None."""
    body = body.strip()[:300]
    if status == 401:
        if principal:
            return (f"{what}: 401 Unauthorized: the credentials of principal '{principal}' were "
                    "refused (check --principal/--secret)")
        return f"{what}: 401 Unauthorized: authentication is required (give --principal and --secret)"
    if status == 403:
        who = f"principal '{principal}'" if principal else "an unauthenticated client"
        return f"{what}: 403 Forbidden: {who} is not authorized" + (f" ({body})" if body else "")
    return None


class Http:
    """A small blocking client for the CLI: JSON GETs with user-facing errors; TLS and HTTP
    Basic credentials as `from_args` describes (both go to the master and to agents)."""

    def __init__(self, timeout: float = 10.0, *, ssl_context: ssl.SSLContext | None = None,
                 principal: str | None = None, secret: str | None = None) -> None:
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        self.principal = principal
        self.auth = (principal, secret or "") if principal else None
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout, follow_redirects=True, trust_env=False,
                                   verify=ssl_context if ssl_context is not None else False,
                                   auth=self.auth)

    @classmethod
    def from_args(cls, args: argparse.Namespace, timeout: float = 10.0) -> Http:
        """The client the command's flags (`add_master_flags`) and LIBPROCESS_SSL_* describe.
        Raises tls.TlsError for unusable TLS files."""
        ctx = tls.cli_context(args.master, args)
        return cls(timeout, ssl_context=ctx, principal=getattr(args, "principal", None),
                   secret=getattr(args, "secret", None))

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for another httpx client (async, streaming) with the same TLS and
        credentials."""
        return {"verify": self.ssl_context if self.ssl_context is not None else False,
                "auth": self.auth, "trust_env": False, "follow_redirects": True}

    def resolve(self, master: str) -> str:
        """The leading master's base URL, in this client's scheme."""
        return resolve_master(master, scheme=self.scheme)

    def check(self, r: httpx.Response, what: str) -> None:
        """CliError for a refused credential or a denied principal."""
        msg = refusal(r.status_code, what, self.principal, r.text if r.status_code == 403 else "")
        if msg is not None:
            raise CliError(msg)

    def __enter__(self) -> Http:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        try:
            r = self.client.get(url, params=params)
        except httpx.HTTPError as e:
            raise CliError(f"GET {url}: {e or type(e).__name__}") from None
        self.check(r, f"GET {url}")
        if r.status_code != 200:
            body = r.text.strip()[:300]
            raise CliError(f"GET {url}: {r.status_code}" + (f" {body}" if body else ""))
        try:
            return r.json()
        except ValueError:
            raise CliError(f"GET {url}: not JSON") from None
