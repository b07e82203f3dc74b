"""HTTP authentication: Mesos's `basic` HTTP authenticator, as an ASGI wrapper.

Facts (SECURITY.md §1-2, libprocess src/authenticator.cpp, src/master/http.cpp):
- Credentials: `--credentials=PATH|file://PATH`, JSON `{"credentials":[{"principal","secret"}]}`
  (Mesos 1.11: the old text form is gone). An empty file or bad JSON stops the daemon. A file
  whose "others" permission bits are set gets a warning ("... are too open"), never a refusal.
- Each endpoint belongs to one realm (`mesos-master-readonly`, `-readwrite`, `-scheduler`,
  `mesos-agent-readonly`, `-readwrite`); a realm whose flag is off lets requests through
  unauthenticated (the header is ignored). A realm that is on answers 401 with body
  `401 Unauthorized.` and `WWW-Authenticate: Basic realm="<realm>"` when the header is missing,
  is not exactly `Basic <base64>`, does not decode, does not split on ':' into exactly two
  parts, or names an unknown principal or a wrong secret.
- The authenticated principal travels in the ASGI scope (`scope["mesotron.principal"]`), from
  where the apps hand it to the machines (SchedulerCall.principal) and to the authorizer.

Secrets are compared in constant time (`hmac.compare_digest`; Mesos uses `!=`); nothing here
logs a header or a secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import stat
from collections.abc import Callable, Iterable
from typing import Any

PRINCIPAL_KEY = "mesotron.principal"

# ---------------------------------------------------------------- realms per endpoint
MASTER_READONLY = frozenset({
    "/frameworks", "/flags", "/roles", "/slaves", "/state", "/state.json", "/state-summary",
    "/tasks", "/tasks.json", "/maintenance/status", "/metrics/snapshot", "/metrics",
    # ours (Mesos has none): they show what /state shows, so they are read-only like it
    "/why", "/ui/snapshot", "/ui/events", "/ui/drf", "/ui/sandbox", "/ui/files/browse",
    "/ui/files/read",
})
MASTER_READWRITE = frozenset({
    "/api/v1", "/create-volumes", "/destroy-volumes", "/reserve", "/unreserve", "/teardown",
    "/maintenance/schedule", "/machine/down", "/machine/up", "/weights", "/quota",
    "/logging/toggle",
})
AGENT_READONLY = frozenset({
    "/state", "/state.json", "/flags", "/monitor/statistics", "/containers",
    "/containerizer/debug", "/metrics/snapshot", "/metrics",
})
AGENT_READWRITE = frozenset({"/api/v1"})


def _norm(path: str, prefixes: Iterable[str]) -> str:
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix):] or "/"
            break
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def master_realm(path: str) -> str | None:
    """The realm of a master endpoint, without its realm prefix ("readonly", "readwrite",
    "scheduler"), or None for endpoints Mesos never authenticates (/health, /version,
    /redirect, ...)."""
    p = _norm(path, ("/master",))
    if p == "/api/v1/scheduler":
        return "scheduler"
    if p in MASTER_READWRITE:
        return "readwrite"
    if p in MASTER_READONLY or p == "/files" or p.startswith("/files/"):
        return "readonly"
    return None


def agent_realm(path: str) -> str | None:
    """The realm of an agent endpoint ("readonly", "readwrite", "executor") or None."""
    p = _norm(path, ("/slave(1)", "/agent"))
    if p == "/api/v1/executor":
        return "executor"
    if p in AGENT_READWRITE:
        return "readwrite"
    if p in AGENT_READONLY or p == "/files" or p.startswith("/files/"):
        return "readonly"
    return None


# ---------------------------------------------------------------- credentials
class CredentialsError(Exception):
    """A credentials file that cannot be used (the daemon exits with this message)."""


def _path(value: str) -> str:
    return value.removeprefix("file://")


def too_open(path: str) -> bool:
    """Mesos warns when any "others" bit is set on a credentials file (group bits ignored)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH))


def _read(value: str, warn: Callable[[str], None] | None) -> Any:
    path = _path(value)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CredentialsError(f"Failed to read credentials file '{path}': {e.strerror}") from None
    if warn is not None and too_open(path):
        warn(f"Permissions on credentials file '{path}' are too open; it is recommended that "
             "your credentials file is NOT accessible by others")
    if not text.strip():
        raise CredentialsError(f"Empty credentials file '{path}'")
    try:
        return json.loads(text)
    except ValueError as e:
        raise CredentialsError(f"Failed to parse credentials file '{path}' as JSON: {e}") from None


def _credential(obj: Any, where: str) -> tuple[str, str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("principal"), str) or not obj["principal"]:
        raise CredentialsError(f"{where}: each credential needs a non-empty string 'principal'")
    secret = obj.get("secret", "")
    if not isinstance(secret, str):
        raise CredentialsError(f"{where}: 'secret' must be a string")
    return obj["principal"], secret


def load_credentials(value: str, warn: Callable[[str], None] | None = None) -> dict[str, str]:
    """`--credentials` (master) / `--http-credentials` (agent): principal -> secret."""
    data = _read(value, warn)
    if not isinstance(data, dict) or not isinstance(data.get("credentials"), list):
        raise CredentialsError(f"Failed to parse credentials file '{_path(value)}': expected "
                               '{"credentials": [{"principal": ..., "secret": ...}]}')
    out: dict[str, str] = {}
    for item in data["credentials"]:
        p, s = _credential(item, _path(value))
        out[p] = s
    return out


def load_credential(value: str, warn: Callable[[str], None] | None = None) -> tuple[str, str]:
    """`--credential` (agent, scheduler): one `{"principal","secret"}` object."""
    return _credential(_read(value, warn), _path(value))


# ---------------------------------------------------------------- the authenticator
class BasicAuthenticator:
    """Mesos's basic HTTP authenticator over one credentials table.

    `check(header)` -> the principal, or None when the request must get a 401."""

    # compared against when the principal is unknown, so that an unknown principal and a
    # wrong secret take the same time
    _DUMMY = b"\0" * 32

    def __init__(self, credentials: dict[str, str]) -> None:
        self._creds = {p.encode(): s.encode() for p, s in credentials.items()}

    def check(self, header: str | None) -> str | None:
        if header is None:
            return None
        parts = header.split(" ")
        if len(parts) != 2 or parts[0] != "Basic":
            return None
        try:
            decoded = base64.b64decode(parts[1].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
        pair = decoded.split(b":")
        if len(pair) != 2:
            return None
        principal, secret = pair
        ok = False
        found = None
        for known, known_secret in self._creds.items():  # every entry: no early exit
            same = hmac.compare_digest(known, principal)
            if same:
                found = known_secret
        ok = hmac.compare_digest(found if found is not None else self._DUMMY, secret)
        if found is None or not ok:
            return None
        try:
            return principal.decode()
        except UnicodeDecodeError:
            return None


class HttpAuth:
    """Which realms are on (by their short names) and the authenticator they use."""

    def __init__(self, prefix: str, realms: Iterable[str], credentials: dict[str, str] | None) -> None:
        self.prefix = prefix  # "mesos-master" or "mesos-agent"
        self.realms = frozenset(realms)
        self.authenticator = BasicAuthenticator(credentials or {})

    def realm_name(self, realm: str) -> str:
        return f"{self.prefix}-{realm}"


UNAUTHORIZED_BODY = b"401 Unauthorized."


def with_http_auth(app: Any, auth: HttpAuth | None, classify: Callable[[str], str | None]) -> Any:
    """Wrap an ASGI app: requests to an authenticated realm without valid Basic credentials
    get 401 (+ WWW-Authenticate); the others reach `app` with the principal (or None) in
    `scope["mesotron.principal"]`. Without `auth` (no realm on) the app is returned as is."""
    if auth is None or not auth.realms:
        return app

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        realm = classify(scope.get("path", ""))
        header = None
        for k, v in scope.get("headers", ()):
            if k.lower() == b"authorization":
                header = v.decode("latin-1")
                break
        if realm is None or realm not in auth.realms:
            # unauthenticated realm: Mesos ignores the header there (the principal stays None)
            return await app(scope, receive, send)
        principal = auth.authenticator.check(header)
        if principal is None:
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"www-authenticate", f'Basic realm="{auth.realm_name(realm)}"'.encode()),
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(UNAUTHORIZED_BODY)).encode()),
            ]})
            await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY, "more_body": False})
            return None
        scope = dict(scope)
        scope[PRINCIPAL_KEY] = principal
        return await app(scope, receive, send)

    inner = getattr(app, "direct", None)
    if inner is not None:

        async def direct(path: str, headers: Any, body: bytes) -> Any:
            """The server's direct path (io/http/server._direct) under the same rule: a
            request without valid credentials in an authenticated realm is not handled
            here (None): the ASGI path above answers it 401."""
            realm = classify(path)
            if realm is None or realm not in auth.realms:
                return await inner(path, headers, body, None)
            header = None
            for k, v in headers:
                if k.lower() == b"authorization":
                    header = v.decode("latin-1")
                    break
            principal = auth.authenticator.check(header)
            if principal is None:
                return None
            return await inner(path, headers, body, principal)

        wrapped.direct = direct  # type: ignore[attr-defined]

    return wrapped


def principal_of(scope: dict) -> str | None:
    """The principal a request was authenticated as (None: not authenticated)."""
    return scope.get(PRINCIPAL_KEY)


# ---------------------------------------------------------------- views (authorization)
class Viewer:
    """A daemon as `principal` sees it: `state_json()` filtered by the ACLs (core/authorizer.py
    filter_state); the daemon's own methods run against this view (so `state_summary()` and
    anything else built on `state_json()` is filtered too); every other attribute is the
    daemon's. Without ACLs `viewer()` returns the daemon itself."""

    __slots__ = ("_d", "_principal")

    def __init__(self, daemon: Any, principal: str | None) -> None:
        object.__setattr__(self, "_d", daemon)
        object.__setattr__(self, "_principal", principal)

    def state_json(self) -> dict[str, Any]:
        from mesotron.core.authorizer import filter_state

        d = self._d
        return filter_state(acls_of(d), self._principal, d.state_json())

    def __getattr__(self, name: str) -> Any:
        fn = getattr(type(self._d), name, None)
        if callable(fn) and not isinstance(fn, (type, staticmethod, classmethod)) and \
                hasattr(fn, "__get__") and not isinstance(fn, property):
            return fn.__get__(self)
        return getattr(self._d, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._d, name, value)


def acls_of(daemon: Any) -> Any:
    """The daemon's parsed --acls (io/daemons/security.py), or None."""
    return getattr(getattr(daemon, "security", None), "acls", None)


def viewer(daemon: Any, principal: str | None) -> Any:
    return daemon if acls_of(daemon) is None else Viewer(daemon, principal)


def may(daemon: Any, action: str, principal: str | None, obj: str | None = None) -> bool:
    """The daemon's ACLs allow `action` (core/authorizer.py)."""
    from mesotron.core.authorizer import authorized

    return authorized(acls_of(daemon), action, principal, obj)


def can(d: Any, action: str, obj: str | None) -> bool:
    """For a view built from `viewer(daemon, principal)`: may that principal do `action` on
    `obj`? The daemon itself (no ACLs, or an unfiltered caller) may do everything."""
    if isinstance(d, Viewer):
        return may(d._d, action, d._principal, obj)
    return True


FORBIDDEN_BODY = "403 Forbidden."


def sandbox_user(daemon: Any, real_path: str) -> str | None:
    """The user of the framework whose sandbox holds `real_path` (access_sandboxes' object):
    `.../frameworks/<framework id>/executors/...` looked up in the agent's state; None when
    the path is in no known framework's sandbox."""
    parts = real_path.split("/")
    try:
        fid = parts[parts.index("frameworks") + 1]
    except (ValueError, IndexError):
        return None
    state = daemon.state_json()
    for f in state.get("frameworks", []) + state.get("completed_frameworks", []):
        if f.get("id") == fid:
            user = f.get("user")
            return user if isinstance(user, str) else None
    return None
