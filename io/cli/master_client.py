"""Reaching a cluster from the command line: `--master HOST:PORT` or `--master zk://...`.

A zk:// address is resolved once to the current leader (the lowest `json.info_` member, as
Mesos's detector does); then plain HTTP with httpx (redirects followed: a standby answers
307 to the leader)."""

from __future__ import annotations

from typing import Any

import httpx
from mesotron.io.daemons.flags import host_port


class CliError(Exception):
    """A user-facing error: printed as `mesotron <cmd>: <message>`, exit 1."""


def resolve_master(text: str, timeout: float = 10.0) -> str:
    """`HOST:PORT`, `http://HOST:PORT` or `zk://...` -> the leading master's base URL."""
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
        return f"http://{host}:{port}"
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
    return f"http://{info.hostname}:{info.port}"


class Http:
    """A small blocking client for the CLI: JSON GETs with user-facing errors."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.client = httpx.Client(timeout=timeout, follow_redirects=True)

    def __enter__(self) -> Http:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        try:
            r = self.client.get(url, params=params)
        except httpx.HTTPError as e:
            raise CliError(f"GET {url}: {e or type(e).__name__}") from None
        if r.status_code != 200:
            body = r.text.strip()[:300]
            raise CliError(f"GET {url}: {r.status_code}" + (f" {body}" if body else ""))
        try:
            return r.json()
        except ValueError:
            raise CliError(f"GET {url}: not JSON") from None
