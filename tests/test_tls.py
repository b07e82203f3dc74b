"""TLS (io/http/tls.py) with real daemons and a throwaway CA made at test time (trustme):
HTTPS on the master's and agent's HTTP servers, TLS on the internal master<->agent link,
the driver wire and the executors' HTTP API (a command task runs to TASK_FINISHED), client
certificates required and a client with a wrong certificate refused, the LIBPROCESS_SSL_*
variables as aliases of the flags."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import trio
import trustme
from mesotron.core.messages import CallAccept, CallAcknowledge, EventOffers, EventUpdate, OpLaunch
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo
from mesotron.io.http import tls
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import Daemon, free_port, kill_executors, pymesos_path, wait_for

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")

LIMIT = 60


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    other_ca = trustme.CA()
    out = {"dir": str(d)}
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    out["ca"] = str(d / "ca.pem")
    for name, authority in (("server", ca), ("client", ca), ("rogue", other_ca)):
        cert = authority.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(d / f"{name}.key"))
        cert.cert_chain_pems[0].write_to_path(str(d / f"{name}.pem"))
        out[name] = (str(d / f"{name}.pem"), str(d / f"{name}.key"))
    return out


def _ctx(pki, cert: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=pki["ca"])
    if cert:
        ctx.load_cert_chain(*pki[cert])
    return ctx


def _https_get(port: int, path: str, ctx: ssl.SSLContext) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", timeout=5, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _start(d: Daemon, pki) -> Daemon:
    d.start(wait=0)
    ctx = _ctx(pki, "client")

    def healthy() -> bool:
        if d.proc is not None and d.proc.poll() is not None:
            with open(d.log_path) as f:
                raise RuntimeError(f"exited: {f.read()[-2000:]}")
        try:
            return _https_get(d.port, "/health", ctx)[0] == 200
        except (OSError, ssl.SSLError):
            return False

    wait_for(healthy, 20, "HTTPS /health")
    return d


@pytest.fixture(scope="module")
def tls_cluster(pki, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("tls"))
    cert, key = pki["server"]
    common = ["--ssl-cert", cert, "--ssl-key", key, "--ssl-ca", pki["ca"], "--ssl-verify-peer"]
    mp = free_port()
    master = _start(Daemon(["master", "--ip", "127.0.0.1", "--port", str(mp), "--work-dir",
                            os.path.join(tmp, "master"), "--allocation-interval", "50ms",
                            *common, "--ssl-require-cert"], mp, os.path.join(tmp, "master.log")), pki)
    ap = free_port()
    # the agent: its TLS from LIBPROCESS_SSL_* (the flags' aliases), inherited by the
    # daemon from our environment for this one process
    env_backup = dict(os.environ)
    os.environ.update({"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": pki["client"][0],
                       "LIBPROCESS_SSL_KEY_FILE": pki["client"][1], "LIBPROCESS_SSL_CA_FILE": pki["ca"],
                       "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true"})
    try:
        agent = Daemon(["agent", "--master", f"127.0.0.1:{mp}", "--ip", "127.0.0.1", "--port", str(ap),
                        "--work-dir", os.path.join(tmp, "agent"), "--no-fsync",
                        "--resources", "cpus:2;mem:1024"], ap, os.path.join(tmp, "agent.log"))
        agent.start(wait=0)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    _start_wait = _ctx(pki, "client")

    def registered() -> bool:
        st, body = _https_get(mp, "/master/state", _start_wait)
        return st == 200 and len(json.loads(body)["slaves"]) == 1

    try:
        wait_for(registered, 20, "the agent registered over TLS")
        yield {"master": master, "agent": agent, "tmp": tmp}
    finally:
        agent.stop(5)
        master.stop(5)
        kill_executors(tmp)


def test_https_and_plaintext_refused(tls_cluster, pki) -> None:
    mp = tls_cluster["master"].port
    st, body = _https_get(mp, "/master/state", _ctx(pki, "client"))
    assert st == 200 and json.loads(body)["slaves"][0]["hostname"] == "127.0.0.1"
    with pytest.raises((OSError, urllib.error.URLError)):  # plaintext HTTP to the TLS port
        urllib.request.urlopen(f"http://127.0.0.1:{mp}/health", timeout=5)
    # the agent's own HTTP server speaks TLS too (no client certificate required there)
    ap = tls_cluster["agent"].port
    assert _https_get(ap, "/health", _ctx(pki))[0] == 200


def test_client_certificates_required_and_wrong_one_refused(tls_cluster, pki) -> None:
    mp = tls_cluster["master"].port
    for ctx in (_ctx(pki), _ctx(pki, "rogue")):  # no certificate; one from another CA
        with pytest.raises((ssl.SSLError, OSError, urllib.error.URLError)):
            _https_get(mp, "/health", ctx)
    # a client that does not trust the server's CA refuses the server
    wrong_trust = ssl.create_default_context()
    wrong_trust.load_cert_chain(*pki["client"])
    with pytest.raises((ssl.SSLError, urllib.error.URLError)):
        _https_get(mp, "/health", wrong_trust)


@pytest.mark.parametrize("wire", ["http", "driver"])
def test_framework_over_tls_runs_a_command_task(tls_cluster, pki, wire) -> None:
    """Our scheduler client over TLS (HTTPS, or TLS on the driver wire); the task's command
    executor subscribes on the agent's driver wire over TLS and talks HTTPS to it
    (LIBPROCESS_SSL_* inherited): TASK_FINISHED."""
    cfg = tls.TlsConfig(cert=pki["client"][0], key=pki["client"][1], ca=pki["ca"], verify_peer=True)
    master = f"https://127.0.0.1:{tls_cluster['master'].port}"

    async def main() -> list[str]:
        states: list[str] = []
        with trio.fail_after(LIMIT):
            async with SchedulerClient.connect(master, FrameworkInfo(user="t", name=f"tls-{wire}"), wire=wire,
                                               ssl_context=tls.client_context(cfg)) as s:
                launched = False
                async for ev in s.events():
                    if isinstance(ev, EventOffers) and not launched:
                        o = ev.offers[0]
                        task = TaskInfo(name="t", task_id=f"tls-{wire}", agent_id=o.agent_id,
                                        resources=Resources.parse("cpus:0.1;mem:32"),
                                        command=CommandInfo(value="true"))
                        await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(task,)),)))
                        launched = True
                    elif isinstance(ev, EventUpdate):
                        states.append(ev.status.state.name)
                        if ev.status.uuid is not None:
                            await s.call(CallAcknowledge(agent_id=ev.status.agent_id,
                                                         task_id=ev.status.task_id, uuid=ev.status.uuid))
                        if ev.status.state.is_terminal:
                            break
        return states

    states = trio.run(main)
    with open(os.path.join(tls_cluster["tmp"], "agent.log")) as f:
        full = f.read()
    log = full[-3000:]
    assert states and states[-1] == "TASK_FINISHED", (states, log)
    # the command executor subscribed on the agent's driver wire, over TLS
    subscribed = [line for line in full.splitlines() if "driver.executor_subscribed" in line]
    assert subscribed and all("tls=True" in line for line in subscribed), log


def test_tls_settings_from_flags_and_environment(pki, tmp_path) -> None:
    cert, key = pki["server"]
    assert tls.from_args(None, {}) is None
    cfg = tls.from_args(None, {"SSL_ENABLED": "1", "SSL_CERT_FILE": cert, "SSL_KEY_FILE": key,
                               "LIBPROCESS_SSL_REQUIRE_CERT": "true"})
    assert cfg is not None and cfg.require_cert and not cfg.verify_peer
    # LIBPROCESS_SSL_* wins over the deprecated SSL_* on a clash
    cfg = tls.from_args(None, {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": cert,
                               "LIBPROCESS_SSL_KEY_FILE": key, "SSL_CERT_FILE": "/nope"})
    assert cfg is not None and cfg.cert == cert
    with pytest.raises(tls.TlsError, match="certificate or key is missing"):
        tls.from_args(None, {"LIBPROCESS_SSL_ENABLED": "true"})
    # the daemon exits with the message
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--port", "0",
                        "--ssl-cert", cert], capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "certificate or key is missing" in r.stderr


def _cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LIBPROCESS_SSL_", "SSL_"))}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *argv], capture_output=True,
                          text=True, timeout=120, check=False, env=full)


def test_cli_ps_and_execute_over_tls(tls_cluster, pki, tmp_path) -> None:
    """`mesotron ps` and `mesotron execute` reach a TLS master (one that requires client
    certificates): an https:// URL with --ssl-ca/--ssl-cert/--ssl-key, or a plain HOST:PORT
    with LIBPROCESS_SSL_* (the CA from a hashed LIBPROCESS_SSL_CA_DIR); a client certificate
    from another CA, or none, is refused; an unusable CA file is a clear message (exit 2)."""
    mp = tls_cluster["master"].port
    client = ("--ssl-cert", pki["client"][0], "--ssl-key", pki["client"][1])
    r = _cli("ps", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", pki["ca"], *client)
    assert r.returncode == 0 and r.stdout.startswith("FRAMEWORK"), r.stderr
    # the environment alone, the CA from a directory hashed as OpenSSL reads it
    ca_dir = tmp_path / "cas"
    ca_dir.mkdir()
    (ca_dir / "ca.pem").write_bytes(Path(pki["ca"]).read_bytes())
    subprocess.run(["openssl", "rehash", str(ca_dir)], check=True, capture_output=True)
    env = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": pki["client"][0],
           "LIBPROCESS_SSL_KEY_FILE": pki["client"][1], "LIBPROCESS_SSL_CA_DIR": str(ca_dir),
           "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true"}
    r = _cli("ps", "--master", f"127.0.0.1:{mp}", env=env)
    assert r.returncode == 0 and r.stdout.startswith("FRAMEWORK"), r.stderr
    # refused: a client certificate from another CA; no client certificate; plaintext
    r = _cli("ps", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", pki["ca"],
             "--ssl-cert", pki["rogue"][0], "--ssl-key", pki["rogue"][1])
    assert r.returncode == 1 and r.stderr.startswith("mesotron ps:"), r.stderr
    r = _cli("ps", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", pki["ca"])
    assert r.returncode == 1 and r.stderr.startswith("mesotron ps:"), r.stderr
    # a server certificate the client does not trust (the rogue CA as the only one)
    r = _cli("ps", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", pki["rogue"][0], *client)
    assert r.returncode == 1, r.stderr
    r = _cli("ps", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", str(tmp_path / "missing.pem"))
    assert r.returncode == 2 and "cannot load TLS files" in r.stderr, r.stderr
    # execute: a command task to TASK_FINISHED over TLS (its executor speaks HTTPS to the agent)
    r = _cli("execute", "--master", f"https://127.0.0.1:{mp}", "--ssl-ca", pki["ca"], *client,
             "--name", "tls-cli", "--command", "true", "--resources", "cpus:0.1;mem:32",
             "--timeout", "60secs")
    assert r.returncode == 0 and "TASK_FINISHED" in r.stdout, (r.stdout, r.stderr)


def test_support_downgrade_accepts_plaintext_and_tls_on_one_port(pki, tmp_path) -> None:
    """LIBPROCESS_SSL_SUPPORT_DOWNGRADE (--ssl-support-downgrade): a TLS master also accepts
    plaintext on the same port, by the first byte (HTTP and the internal link): HTTPS and
    plain HTTP both answer /health; a plaintext agent registers; a plaintext framework
    subscribes; pymesos 0.3.15 (which cannot speak TLS) runs two tasks; the master warns at
    start-up. Without it plaintext is refused
    (test_https_and_plaintext_refused)."""
    cert, key = pki["server"]
    mp = free_port()
    master = _start(Daemon(["master", "--ip", "127.0.0.1", "--port", str(mp), "--work-dir",
                            str(tmp_path / "master"), "--ssl-cert", cert, "--ssl-key", key,
                            "--ssl-ca", pki["ca"], "--ssl-support-downgrade"],
                           mp, str(tmp_path / "master.log")), pki)
    ap = free_port()
    agent = Daemon(["agent", "--master", f"127.0.0.1:{mp}", "--ip", "127.0.0.1", "--port", str(ap),
                    "--work-dir", str(tmp_path / "agent"), "--no-fsync", "--resources", "cpus:1;mem:256"],
                   ap, str(tmp_path / "agent.log"))
    try:
        assert _https_get(mp, "/health", _ctx(pki))[0] == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{mp}/health", timeout=5) as r:
            assert r.status == 200
        agent.start()  # plaintext: its HTTP and its internal link to the TLS master

        def registered() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{mp}/master/state", timeout=5) as r:
                return len(json.loads(r.read())["slaves"]) == 1

        wait_for(registered, 20, "a plaintext agent registered with a TLS master")

        async def main() -> str | None:
            with trio.fail_after(LIMIT):
                async with SchedulerClient.connect(f"127.0.0.1:{mp}", FrameworkInfo(user="t", name="plain")) as s:
                    await s.subscribed.wait()
                    return s.framework_id

        assert trio.run(main)
        # pymesos 0.3.15 (no TLS at all) runs tasks through the TLS master's plaintext side
        env = dict(os.environ, PYTHONPATH=pymesos_path())
        r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "pymesos_framework.py"), f"127.0.0.1:{mp}",
                            "2", "--timeout", "50"], capture_output=True, text=True, timeout=60, env=env,
                           check=False)
        summary = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        assert r.returncode == 0 and summary and json.loads(summary[-1])["finished"] == 2, r.stderr[-2000:]
        with open(tmp_path / "master.log") as f:
            assert "tls.downgrade_enabled" in f.read()
    finally:
        agent.stop(5)
        master.stop(5)
    cfg = tls.from_args(None, {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": cert,
                               "LIBPROCESS_SSL_KEY_FILE": key, "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "true"})
    assert cfg is not None and cfg.downgrade and cfg.env()["LIBPROCESS_SSL_SUPPORT_DOWNGRADE"] == "true"


def test_every_cli_command_over_tls(tls_cluster, pki, tmp_path) -> None:
    """`mesotron cat/tail/ls/why/top/record` take the same TLS flags and LIBPROCESS_SSL_*
    variables as `ps`/`execute` (io/cli/master_client.py): an https:// master that requires
    client certificates, and the agent's /files over HTTPS; a rogue client certificate is a
    one-line error (exit 1), an unusable CA file exit 2, never a traceback."""
    mp = tls_cluster["master"].port
    m = f"https://127.0.0.1:{mp}"
    tls_flags = ("--ssl-ca", pki["ca"], "--ssl-cert", pki["client"][0], "--ssl-key", pki["client"][1])
    r = _cli("execute", "--master", m, *tls_flags, "--name", "tls-cat", "--command", "echo over tls",
             "--resources", "cpus:0.1;mem:32", "--timeout", "60secs")
    assert r.returncode == 0 and "TASK_FINISHED" in r.stdout, (r.stdout, r.stderr)
    r = _cli("cat", "--master", m, *tls_flags, "tls-cat")
    assert r.returncode == 0 and r.stdout == "over tls\n", r.stderr
    r = _cli("tail", "--master", m, *tls_flags, "-n", "1", "tls-cat")
    assert r.returncode == 0 and r.stdout == "over tls\n", r.stderr
    r = _cli("ls", "--master", m, *tls_flags, "tls-cat")
    assert r.returncode == 0 and "stdout" in r.stdout, r.stderr
    r = _cli("top", "--master", m, *tls_flags, "--once")
    assert r.returncode == 0 and "agents" in r.stdout, r.stderr
    r = _cli("why", "--master", m, *tls_flags, "nope")  # reached the master: its 404
    assert r.returncode == 1 and "no framework nope is subscribed" in r.stderr, r.stderr
    rec = tmp_path / "rec.jsonl"
    r = _cli("record", "--master", m, *tls_flags, "--duration", "1", str(rec))
    assert r.returncode == 0 and rec.read_text().strip(), r.stdout
    # the environment alone (HOST:PORT, LIBPROCESS_SSL_*)
    env = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": pki["client"][0],
           "LIBPROCESS_SSL_KEY_FILE": pki["client"][1], "LIBPROCESS_SSL_CA_FILE": pki["ca"],
           "LIBPROCESS_SSL_VERIFY_SERVER_CERT": "true"}
    r = _cli("cat", "--master", f"127.0.0.1:{mp}", "tls-cat", env=env)
    assert r.returncode == 0 and r.stdout == "over tls\n", r.stderr
    rogue = ("--ssl-ca", pki["ca"], "--ssl-cert", pki["rogue"][0], "--ssl-key", pki["rogue"][1])
    for cmd in (("cat", "tls-cat"), ("ls", "tls-cat"), ("why", "x"), ("top", "--once")):
        r = _cli(cmd[0], "--master", m, *rogue, *cmd[1:])
        assert r.returncode == 1 and r.stderr.startswith(f"mesotron {cmd[0]}:"), (cmd, r.stderr)
        assert "Traceback" not in r.stderr, r.stderr
        r = _cli(cmd[0], "--master", m, "--ssl-ca", str(tmp_path / "missing.pem"), *cmd[1:])
        assert r.returncode == 2 and "cannot load TLS files" in r.stderr, (cmd, r.stderr)


def test_tls_versions_schemes_and_depth_from_the_environment(pki, tmp_path) -> None:
    """LIBPROCESS_SSL_ENABLE_TLS_V1_* (only TLS 1.2 on by default, as libprocess), the
    hostname validation scheme (legacy|openssl; legacy accepted with a warning: we validate as
    openssl) and VERIFICATION_DEPTH (accepted with a warning: Python's ssl module cannot set
    it); bad values are a TlsError; the daemon logs the warnings once and refuses bad values."""
    cert, key = pki["server"]
    base = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": cert, "LIBPROCESS_SSL_KEY_FILE": key}
    cfg = tls.from_args(None, base)
    assert cfg is not None and (cfg.min_version, cfg.max_version, cfg.notes) == ("TLSv1_2", "TLSv1_2", ())
    ctx = tls.server_context(cfg)
    assert ctx.minimum_version == ctx.maximum_version == ssl.TLSVersion.TLSv1_2
    assert cfg.env()["LIBPROCESS_SSL_ENABLE_TLS_V1_3"] == "false"
    cfg = tls.from_args(None, {**base, "LIBPROCESS_SSL_ENABLE_TLS_V1_3": "true",
                               "LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME": "openssl"})
    assert cfg is not None and (cfg.min_version, cfg.max_version, cfg.notes) == ("TLSv1_2", "TLSv1_3", ())
    assert tls.client_context(cfg).maximum_version == ssl.TLSVersion.TLSv1_3
    assert cfg.env()["LIBPROCESS_SSL_ENABLE_TLS_V1_3"] == "true"
    cfg = tls.from_args(None, {**base, "LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME": "legacy",
                               "LIBPROCESS_SSL_VERIFICATION_DEPTH": "4"})
    assert cfg is not None and len(cfg.notes) == 2
    assert "legacy is not supported" in cfg.notes[0] and "DEPTH=4 is not enforced" in cfg.notes[1]
    for bad, match in ((("HOSTNAME_VALIDATION_SCHEME", "dns"), "unknown hostname validation scheme 'dns'"),
                       (("VERIFICATION_DEPTH", "deep"), "VERIFICATION_DEPTH must be a non-negative number"),
                       (("ENABLE_TLS_V1_2", "false"), "no TLS version is enabled")):
        with pytest.raises(tls.TlsError, match=match):
            tls.from_args(None, {**base, f"LIBPROCESS_SSL_{bad[0]}": bad[1]})
    # a TLS 1.2-only server refuses a TLS 1.3-only client; one that enables 1.3 accepts it
    only13 = ssl.create_default_context(cafile=pki["ca"])
    only13.minimum_version = ssl.TLSVersion.TLSv1_3
    for enabled, ok in (("false", False), ("true", True)):
        port = free_port()
        env_backup = dict(os.environ)
        os.environ.update({**base, "LIBPROCESS_SSL_ENABLE_TLS_V1_3": enabled,
                           "LIBPROCESS_SSL_VERIFICATION_DEPTH": "4"})
        try:
            d = Daemon(["master", "--ip", "127.0.0.1", "--port", str(port), "--work-dir",
                        str(tmp_path / f"m{enabled}")], port, str(tmp_path / f"m{enabled}.log"))
            _start(d, pki)
        finally:
            os.environ.clear()
            os.environ.update(env_backup)
        try:
            if ok:
                assert _https_get(port, "/health", only13)[0] == 200
            else:
                with pytest.raises((ssl.SSLError, OSError, urllib.error.URLError)):
                    _https_get(port, "/health", only13)
        finally:
            d.stop(5)
        with open(d.log_path) as f:
            log = f.read()
        assert log.count("tls.not_enforced") == 1 and "VERIFICATION_DEPTH=4" in log, log[-2000:]
    # bad values: the daemon exits with the message; a CLI client too (exit 2)
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--port", "0"],
                       capture_output=True, text=True, timeout=30, check=False,
                       env={**os.environ, **base, "LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME": "dns"})
    assert r.returncode == 2 and "unknown hostname validation scheme 'dns'" in r.stderr, r.stderr
    r = _cli("ps", "--master", "127.0.0.1:1", env={**base, "LIBPROCESS_SSL_VERIFICATION_DEPTH": "x"})
    assert r.returncode == 2 and "VERIFICATION_DEPTH must be" in r.stderr, r.stderr
    r = _cli("ps", "--master", "127.0.0.1:1", env={**base, "LIBPROCESS_SSL_VERIFICATION_DEPTH": "4"})
    assert r.returncode == 1 and r.stderr.count("warning: LIBPROCESS_SSL_VERIFICATION_DEPTH=4 is not enforced") == 1
