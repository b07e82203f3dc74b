"""HTTP authentication (io/http/auth.py, io/daemons/security.py) and the principal rules of
the master machine.

Ported cases (apache/mesos 1.11, named): SchedulerHttpApiTest.AuthenticationRequired,
MasterTest.EndpointsBadAuthentication, MasterTest.ReadonlyEndpointsNoAuthentication,
AuthenticationTest.MismatchedFrameworkInfoPrincipal, AuthenticationTest.UnspecifiedFrameworkInfoPrincipal,
HttpFaultToleranceTest.FrameworkPrincipalChangeFails, TeardownTest.BadCredentials/NoHeader
(the 401 half; the ACL half is in tests/test_authorizer.py)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys

import pytest
from mesotron.core.effects import Close, Respond, Send
from mesotron.core.messages import CallSubscribe, EventError, EventSubscribed, SchedulerCall
from mesotron.core.values import FrameworkInfo
from mesotron.io.cli.main import dashed_flags
from mesotron.io.http.auth import (
    BasicAuthenticator,
    CredentialsError,
    agent_realm,
    load_credential,
    load_credentials,
    master_realm,
)
from testkit import Cluster, Daemon, basic_auth, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ------------------------------------------------------------------ the basic authenticator
AUTH = BasicAuthenticator({"ops": "s3cret", "other": "x"})


@pytest.mark.parametrize(("header", "principal"), [
    (None, None),                                   # no header
    ("Basic", None),                                # no credentials part
    ("Bearer " + b64("ops:s3cret"), None),          # another scheme
    ("basic " + b64("ops:s3cret"), None),           # Mesos compares "Basic" exactly
    ("Basic  " + b64("ops:s3cret"), None),          # not exactly two parts
    ("Basic !!notbase64!!", None),                  # bad base64
    ("Basic " + b64("ops"), None),                  # no ':'
    ("Basic " + b64("ops:s3:cret"), None),          # more than one ':' never works
    ("Basic " + b64("nobody:s3cret"), None),        # unknown principal
    ("Basic " + b64("ops:wrong"), None),            # wrong secret
    ("Basic " + b64("ops:x"), None),                # another principal's secret
    ("Basic " + b64("ops:s3cret"), "ops"),
    ("Basic " + b64("other:x"), "other"),
])
def test_basic_authenticator_cases(header, principal) -> None:
    assert AUTH.check(header) == principal


def test_realms_follow_the_reference_table() -> None:
    for p in ("/frameworks", "/flags", "/roles", "/slaves", "/state", "/state-summary", "/tasks",
              "/maintenance/status", "/metrics/snapshot", "/files/read", "/master/state",
              "/master/frameworks/"):
        assert master_realm(p) == "readonly", p
    for p in ("/api/v1", "/master/api/v1", "/teardown", "/reserve", "/unreserve", "/quota",
              "/weights", "/machine/down", "/machine/up", "/maintenance/schedule",
              "/create-volumes", "/destroy-volumes", "/logging/toggle"):
        assert master_realm(p) == "readwrite", p
    assert master_realm("/api/v1/scheduler") == master_realm("/master/api/v1/scheduler") == "scheduler"
    for p in ("/health", "/version", "/redirect", "/master/health", "/internal/endpoint"):
        assert master_realm(p) is None, p
    for p in ("/state", "/slave(1)/state", "/flags", "/monitor/statistics", "/containers",
              "/containerizer/debug", "/files/browse", "/metrics/snapshot"):
        assert agent_realm(p) == "readonly", p
    assert agent_realm("/api/v1") == "readwrite"
    assert agent_realm("/api/v1/executor") == "executor"
    assert agent_realm("/health") is None and agent_realm("/version") is None


# ------------------------------------------------------------------ credential files
def _write(path, text: str, mode: int = 0o600) -> str:
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_credentials_file_json_and_file_url(tmp_path) -> None:
    p = _write(tmp_path / "c.json", json.dumps({"credentials": [
        {"principal": "a", "secret": "1"}, {"principal": "b", "secret": "2"}]}))
    warned: list[str] = []
    assert load_credentials(p, warned.append) == {"a": "1", "b": "2"}
    assert load_credentials("file://" + p, warned.append) == {"a": "1", "b": "2"}
    assert warned == []  # 0600: no warning
    one = _write(tmp_path / "one.json", json.dumps({"principal": "agent", "secret": "z"}))
    assert load_credential(one) == ("agent", "z")


def test_credentials_file_too_open_warns_but_loads(tmp_path) -> None:
    p = _write(tmp_path / "c.json", json.dumps({"credentials": [{"principal": "a", "secret": "1"}]}),
               0o604)
    warned: list[str] = []
    assert load_credentials(p, warned.append) == {"a": "1"}
    assert len(warned) == 1 and "too open" in warned[0] and "1" not in warned[0].split("'")[-1]
    # group bits are ignored, as in Mesos
    os.chmod(p, 0o640)
    warned.clear()
    load_credentials(p, warned.append)
    assert warned == []


@pytest.mark.parametrize("text", ["", "   \n", "{not json", "principal secret\n",
                                  '{"credentials": {}}', '{"credentials": [{"secret": "x"}]}'])
def test_bad_credentials_files_are_refused(tmp_path, text) -> None:
    p = _write(tmp_path / "c.json", text)
    with pytest.raises(CredentialsError):
        load_credentials(p)


def test_underscore_flag_spellings() -> None:
    import argparse

    from mesotron.io.daemons import master

    p = argparse.ArgumentParser()
    master.add_arguments(p)
    argv = dashed_flags(p, ["--authenticate_http_readonly", "--credentials=/x", "--work_dir", "/w",
                            "--not_a_flag", "value_with_underscores"])
    assert argv == ["--authenticate-http-readonly", "--credentials=/x", "--work-dir", "/w",
                    "--not_a_flag", "value_with_underscores"]
    args = p.parse_args(argv[:4])
    assert args.authenticate_http_readonly and args.work_dir == "/w"


# ------------------------------------------------------------------ the master machine
def _master():
    from mesotron.core.ids import IdSource
    from mesotron.core.master.machine import LeadershipGained, Master, MasterConfig
    from mesotron.core.values import MasterInfo

    m = Master(master_info=MasterInfo(id="m1", hostname="m"), ids=IdSource(seed="t"), config=MasterConfig())
    m.step(0.0, LeadershipGained())
    return m


def _subscribe(m, principal, claimed, fid=None, n=[0]):  # noqa: B006 - request counter
    n[0] += 1
    info = FrameworkInfo(user="u", name="fw", principal=claimed, id=fid)
    return m.step(1.0, SchedulerCall(request=f"r{n[0]}", stream_id=None, framework_id=fid,
                                     call=CallSubscribe(framework_info=info), principal=principal))


def test_mismatched_framework_info_principal() -> None:
    # AuthenticationTest.MismatchedFrameworkInfoPrincipal (HTTP form: 400, nothing changes)
    m = _master()
    before = m.describe()
    out = _subscribe(m, "ops", "someone-else")
    assert out == [Respond(request=out[0].request, status=400, message=(
        "Failed to validate scheduler::Call: Authenticated principal 'ops' does not match "
        "principal 'someone-else' set in `FrameworkInfo`"))]
    assert m.describe() == before


def test_unspecified_framework_info_principal_is_filled() -> None:
    # AuthenticationTest.UnspecifiedFrameworkInfoPrincipal
    m = _master()
    out = _subscribe(m, "ops", None)
    sub = [e.message for e in out if isinstance(e, Send) and isinstance(e.message, EventSubscribed)]
    assert sub
    fw = m.state_json()["frameworks"][0]
    assert fw["principal"] == "ops"


def test_framework_principal_change_fails() -> None:
    # HttpFaultToleranceTest.FrameworkPrincipalChangeFails
    m = _master()
    out = _subscribe(m, None, "first")
    fid = next(e.message.framework_id for e in out if isinstance(e, Send)
               and isinstance(e.message, EventSubscribed))
    out = _subscribe(m, None, "second", fid=fid)
    errors = [e.message.message for e in out if isinstance(e, Send) and isinstance(e.message, EventError)]
    assert errors == ["Changing framework's principal is not allowed."]
    assert any(isinstance(e, Close) for e in out)


def test_later_calls_must_come_from_the_framework_principal() -> None:
    from mesotron.core.messages import CallRevive

    m = _master()
    out = _subscribe(m, "ops", "ops")
    ev = next(e for e in out if isinstance(e, Send) and isinstance(e.message, EventSubscribed))
    before = m.describe()
    out = m.step(2.0, SchedulerCall(request="x", stream_id=ev.to, framework_id=ev.message.framework_id,
                                    call=CallRevive(), principal="other"))
    assert out == [Respond(request="x", status=400, message=(
        "Authenticated principal 'other' does not match principal 'ops' set in `FrameworkInfo`"))]
    assert m.describe() == before


# ------------------------------------------------------------------ real daemons
def _creds(tmp_path) -> str:
    p = tmp_path / "credentials.json"
    p.write_text(json.dumps({"credentials": [{"principal": "ops", "secret": "s3cret"},
                                             {"principal": "fw", "secret": "fwsecret"}]}))
    os.chmod(p, 0o600)
    return str(p)


def _req(port, method, path, body=None, auth=None, ctype="application/json"):
    h = {"Content-Type": ctype, "Accept": "application/json"}
    if auth:
        h["Authorization"] = auth
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read(4096) if r.status != 200 or method != "POST" else b""
        return r.status, r.getheader("WWW-Authenticate"), data
    finally:
        c.close()


SUB = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
    "user": "root", "name": "auth", "principal": "fw"}}})


@pytest.fixture(scope="module")
def auth_cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    creds = _creds(tmp)
    with Cluster(str(tmp), agents=1, auth=("ops", "s3cret"),
                 master_flags=("--authenticate_frameworks", "--authenticate_http_readonly",
                               "--authenticate-http-readwrite", "--credentials", creds),
                 agent_flags=("--no-fsync",)) as c:
        yield c


def test_endpoints_bad_authentication(auth_cluster) -> None:
    # MasterTest.EndpointsBadAuthentication + SchedulerHttpApiTest.AuthenticationRequired
    p = auth_cluster.master_port
    for method, path, body, realm in (
        ("GET", "/master/state", None, "mesos-master-readonly"),
        ("GET", "/state", None, "mesos-master-readonly"),
        ("GET", "/master/flags", None, "mesos-master-readonly"),
        ("GET", "/metrics/snapshot", None, "mesos-master-readonly"),
        ("POST", "/api/v1", json.dumps({"type": "GET_HEALTH"}), "mesos-master-readwrite"),
        ("POST", "/api/v1/scheduler", SUB, "mesos-master-scheduler"),
    ):
        for auth in (None, basic_auth("ops", "nope"), basic_auth("nobody", "s3cret"), "Basic ???"):
            status, www, data = _req(p, method, path, body, auth)
            assert (status, www, data) == (401, f'Basic realm="{realm}"', b"401 Unauthorized."), \
                (method, path, auth)


def test_right_credentials_and_unauthenticated_endpoints(auth_cluster) -> None:
    # MasterTest.ReadonlyEndpointsNoAuthentication's converse: /health, /version, /redirect
    # never ask; the right credentials pass everywhere
    p = auth_cluster.master_port
    assert _req(p, "GET", "/health")[0] == 200
    assert _req(p, "GET", "/version")[0] == 200
    assert _req(p, "GET", "/master/redirect")[0] == 307
    assert _req(p, "GET", "/master/state", auth=basic_auth("ops", "s3cret"))[0] == 200
    assert _req(p, "POST", "/api/v1", json.dumps({"type": "GET_HEALTH"}),
                auth=basic_auth("ops", "s3cret"))[0] == 200
    # the agent registered although the master's readonly endpoints need credentials
    assert len(auth_cluster.state()["slaves"]) == 1


def test_subscribe_principal_rules_over_http(auth_cluster) -> None:
    p = auth_cluster.master_port
    before = auth_cluster.state()["frameworks"]
    # authenticated as "ops", FrameworkInfo says "fw": Mesos's 400
    status, _www, data = _req(p, "POST", "/api/v1/scheduler", SUB, basic_auth("ops", "s3cret"))
    assert status == 400
    assert data.decode() == ("Failed to validate scheduler::Call: Authenticated principal 'ops' "
                             "does not match principal 'fw' set in `FrameworkInfo`")
    assert auth_cluster.state()["frameworks"] == before


def test_readonly_endpoints_no_authentication(tmp_path) -> None:
    # MasterTest.ReadonlyEndpointsNoAuthentication: flags off, header ignored
    port = free_port()
    d = Daemon(["master", "--ip", "127.0.0.1", "--port", str(port), "--work-dir", str(tmp_path / "m"),
                "--credentials", _creds(tmp_path)], port, str(tmp_path / "m.log")).start()
    try:
        assert _req(port, "GET", "/master/state")[0] == 200
        assert _req(port, "GET", "/master/state", auth=basic_auth("ops", "wrong"))[0] == 200
    finally:
        d.stop(5)


def test_http_auth_without_credentials_exits(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--port", "0",
                        "--authenticate-http-readonly"], capture_output=True, text=True, timeout=30,
                       check=False)
    assert r.returncode == 2
    assert ("No credentials provided for the default 'basic' HTTP authenticator for realm "
            "'mesos-master-readonly'") in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("")
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--port", "0",
                        "--credentials", str(bad)], capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "Empty credentials file" in r.stderr


def test_secrets_never_logged(auth_cluster) -> None:
    _req(auth_cluster.master_port, "GET", "/master/state", auth=basic_auth("ops", "s3cret"))
    with open(os.path.join(auth_cluster.tmp, "master.log")) as f:
        log = f.read()
    assert "s3cret" not in log and "fwsecret" not in log
    assert b64("ops:s3cret") not in log


@pytest.fixture(scope="module")
def compat_path():
    from testkit import pymesos_path

    return pymesos_path()  # installed by `make venv`; a missing client fails, never skips


def test_pymesos_authenticated(auth_cluster, compat_path) -> None:
    """pymesos 0.3.15 unchanged, with principal/secret: Basic on every scheduler call; its
    framework gets the authenticated principal. Without credentials it gets 401."""
    env = dict(os.environ, PYTHONPATH=compat_path)
    script = os.path.join(ROOT, "examples", "pymesos_framework.py")
    r = subprocess.run([sys.executable, script, auth_cluster.master_addr, "3", "--timeout", "40",
                        "--principal", "fw", "--secret", "fwsecret"],
                       capture_output=True, text=True, timeout=60, env=env, check=False)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert r.returncode == 0 and lines, (r.stdout[-2000:], r.stderr[-3000:])
    summary = json.loads(lines[-1])
    assert summary["finished"] == 3
    st = auth_cluster.state()
    fws = [f for f in st["frameworks"] + st["completed_frameworks"] if f["id"] == summary["framework_id"]]
    assert fws and fws[0]["principal"] == "fw"
    r = subprocess.run([sys.executable, script, auth_cluster.master_addr, "1", "--timeout", "5"],
                       capture_output=True, text=True, timeout=30, env=env, check=False)
    # refused: no new framework. (pymesos means to raise "Failed with HTTP 401: ..." but its
    # error path concatenates str to bytes when the body arrives after the headers, which
    # hypercorn's separate writes cause: docs/security.md)
    assert r.returncode != 0, r.stderr[-2000:]
    after = auth_cluster.state()
    assert len(after["frameworks"] + after["completed_frameworks"]) == \
        len(st["frameworks"] + st["completed_frameworks"])


def _cli(*argv: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *argv], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_every_cli_command_authenticates(auth_cluster, tmp_path) -> None:
    """`mesotron execute/ps/why/top/cat/tail/ls/record` share one set of connection flags
    (io/cli/master_client.py add_master_flags/Http.from_args): with --principal/--secret they
    pass a master that authenticates every endpoint; a wrong secret is one line naming the
    principal and exit 1 (no traceback); no credentials say that they are required."""
    m = auth_cluster.master_addr
    r = _cli("execute", "--master", m, "--principal", "fw", "--secret", "fwsecret", "--name", "authcli",
             "--command", "echo authenticated", "--resources", "cpus:0.1;mem:16", "--timeout", "60secs")
    assert r.returncode == 0 and "TASK_FINISHED" in r.stdout, (r.stdout, r.stderr)
    ok = ("--master", m, "--principal", "ops", "--secret", "s3cret")
    bad = ("--master", m, "--principal", "ops", "--secret", "wrong")
    r = _cli("ps", *ok, "--all")
    assert r.returncode == 0 and "authcli" in r.stdout, r.stderr
    r = _cli("cat", *ok, "authcli")
    assert r.returncode == 0 and r.stdout == "authenticated\n", r.stderr
    r = _cli("tail", *ok, "-n", "1", "authcli")
    assert r.returncode == 0 and r.stdout == "authenticated\n", r.stderr
    r = _cli("ls", *ok, "authcli")
    assert r.returncode == 0 and "stdout" in r.stdout, r.stderr
    r = _cli("top", *ok, "--once")
    assert r.returncode == 0 and "agents" in r.stdout, r.stderr
    r = _cli("why", *ok, "no-such-framework")  # past authentication: the master's 404
    assert r.returncode == 1 and "no framework no-such-framework is subscribed" in r.stderr, r.stderr
    rec = tmp_path / "rec.jsonl"
    r = _cli("record", *ok, "--duration", "1", str(rec))
    assert r.returncode == 0 and rec.read_text().strip(), r.stdout
    for cmd in (("ps",), ("cat", "authcli"), ("tail", "authcli"), ("ls", "authcli"), ("top", "--once"),
                ("why", "x"), ("record", "--duration", "5", str(rec))):
        r = _cli(cmd[0], *bad, *cmd[1:])
        err = r.stderr + r.stdout
        assert r.returncode == 1, (cmd, err)
        assert f"mesotron {cmd[0]}: " in err and "401 Unauthorized" in err, (cmd, err)
        assert "principal 'ops' were refused" in err and "Traceback" not in err, (cmd, err)
        assert "wrong" not in err  # the secret is never echoed
    r = _cli("ps", "--master", m)
    assert r.returncode == 1 and "authentication is required" in r.stderr, r.stderr
    r = _cli("execute", "--master", m, "--principal", "fw", "--secret", "nope", "--name", "x",
             "--command", "true", "--timeout", "30secs")
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.startswith("mesotron execute:"), r.stderr
