"""Shared pieces of the daemon benchmarks (bench/launch.py, bench/updates.py): run once per
value of a flag, start and stop `mesotron local`, CPU seconds from getrusage."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile

LOCAL_RESOURCES = "cpus:4;mem:4096;disk:1000;ports:[31000-32000]"


def run_each(flag: str, values: tuple[str, ...], label: str) -> int:
    """Run this very command again once per value of `flag` (the last one given wins), with
    a `== <label> on the <value> wire` heading; nonzero if any run failed."""
    rc = 0
    for value in values:
        print(f"== {label} on the {value} wire", flush=True)
        rc |= subprocess.call([sys.executable, *sys.argv, flag, value])
    return rc


def tls_env(work: str) -> tuple[dict[str, str], object]:
    """TLS on for `mesotron local` and everything it starts (LIBPROCESS_SSL_* environment, a
    throwaway CA made by trustme): (environment, a client ssl.SSLContext trusting the CA)."""
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {n: os.path.join(work, n) for n in ("ca.pem", "cert.pem", "key.pem")}
    ca.cert_pem.write_to_path(paths["ca.pem"])
    cert.cert_chain_pems[0].write_to_path(paths["cert.pem"])
    cert.private_key_pem.write_to_path(paths["key.pem"])
    env = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CERT_FILE": paths["cert.pem"],
           "LIBPROCESS_SSL_KEY_FILE": paths["key.pem"], "LIBPROCESS_SSL_CA_FILE": paths["ca.pem"]}
    return env, ssl.create_default_context(cafile=paths["ca.pem"])


def start_local(agents: int, port: int, python_args: tuple[str, ...] = (),
                local_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                work: str | None = None) -> subprocess.Popen[str]:
    """`mesotron local` with `agents` agents on `port` in a fresh temp work dir (no fsync,
    10 ms allocation interval), in its own session; its first stdout line says it is ready.
    `env`: added to the environment (tls_env's for TLS)."""
    work = work or tempfile.mkdtemp(prefix="mesotron-bench-")
    return subprocess.Popen([sys.executable, *python_args, "-m", "mesotron.io.cli.main", "local",
                             "--agents", str(agents), "--port", str(port), "--work-dir", work,
                             "--no-fsync", "--allocation-interval", "10ms", "--resources", LOCAL_RESOURCES,
                             *local_args],
                            stdout=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, **(env or {})})


def stop_local(local: subprocess.Popen[str]) -> None:
    """Ctrl-C to the whole session, SIGKILL if it has not stopped within 20 s."""
    os.killpg(local.pid, signal.SIGINT)
    try:
        local.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(local.pid, signal.SIGKILL)


def cpu(who: int) -> float:
    """User + system CPU seconds of `resource.RUSAGE_SELF` or `RUSAGE_CHILDREN` (reaped)."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
