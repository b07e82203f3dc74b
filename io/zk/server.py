"""A private ZooKeeper server on loopback, from the Debian `zookeeper` package's jars.

Used by the HA tests (one server per test module) and by `mesotron local --masters 3 --zk
auto`. No systemd, no `zkServer.sh`: the JVM runs `ZooKeeperServerMain` in the foreground, so
the process we spawn IS the server and we stop it by that PID only (never by name).

    with ZkServer() as zk:              # temp dir, free port on 127.0.0.1, waits for `srvr`
        zk.hosts                         # "127.0.0.1:PORT" (the kazoo/zk:// host list)
        zk.kill(); zk.start()            # SIGKILL then restart on the SAME port and data dir:
                                         # sessions persisted in the data dir survive
    # stopped (SIGTERM, SIGKILL after a grace) and the temp dir removed

Readiness: `ruok` answers `imok` before the server serves requests, so we poll the `srvr`
four-letter word until it reports `Mode:` (OPERATIONS.md §5).

Session timeouts: ZooKeeper clamps a client's requested timeout into
[minSessionTimeout, maxSessionTimeout]; we set them explicitly (default 0.4 s .. 60 s, with a
200 ms tick) so tests may ask for a 1-4 s session and daemons for Mesos's default 10 s.

The blocking API (`start`, `stop`, `kill`, `wait_ready_sync`) is for pytest fixtures and
other synchronous callers; Trio callers use `spawn()` + `await wait_ready()` inside their own
`trio.fail_after` (this module imports trio lazily for that one coroutine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Self

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
SLF4J_SIMPLE_JAR = Path("/usr/share/java/slf4j-simple.jar")
INSTALL_HINT = (
    "ZooKeeper is not installed: run `make sysdeps` (or `apt-get install zookeeper "
    "default-jre-headless` on Debian/Ubuntu); mesotron needs only its jars and a JRE"
)


class ZkUnavailable(RuntimeError):
    """The ZooKeeper jars or a Java runtime are missing on this machine."""


class ZkServerError(RuntimeError):
    """The server process failed to start or to become ready."""


def find_zookeeper() -> tuple[str, str]:
    """(java executable, classpath) or ZkUnavailable with a hint on how to install."""
    java = shutil.which("java")
    if java is None or not ZOOKEEPER_JAR.exists():
        raise ZkUnavailable(INSTALL_HINT)
    cp = str(ZOOKEEPER_JAR)  # its manifest Class-Path brings netty, jute, slf4j-api, ...
    if SLF4J_SIMPLE_JAR.exists():
        cp += os.pathsep + str(SLF4J_SIMPLE_JAR)  # else the server logs nothing at all
    return java, cp


def zookeeper_available() -> str | None:
    """None when a server can be started here, else the reason (for pytest skips)."""
    try:
        find_zookeeper()
    except ZkUnavailable as e:
        return str(e)
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def four_letter_word(host: str, port: int, word: str = "srvr", *, io_timeout: float = 1.0) -> str:
    """Send a ZooKeeper four-letter command; the reply text, or "" if it could not be read.

    `io_timeout` bounds each socket operation of this single probe (loopback); it is not a
    readiness deadline (callers poll with their own deadline)."""
    try:
        with socket.create_connection((host, port), timeout=io_timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                b = s.recv(4096)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def server_mode(host: str, port: int) -> str | None:
    """`standalone`/`leader`/`follower` once the server serves requests, else None."""
    for line in four_letter_word(host, port, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


class ZkServer:
    """One standalone ZooKeeper server in its own temp dir (see the module docstring)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        tick_time: float = 0.2,
        min_session_timeout: float | None = None,
        max_session_timeout: float = 60.0,
        heap_mb: int = 256,
        base_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.java, self.classpath = find_zookeeper()
        self.host = host
        self._auto_port = port is None  # a port we picked may be taken meanwhile: re-pick
        self.port = port if port is not None else free_port(host)
        self.tick_time = tick_time
        self.min_session_timeout = (
            min_session_timeout if min_session_timeout is not None else 2 * tick_time
        )
        self.max_session_timeout = max_session_timeout
        self.heap_mb = heap_mb
        self._own_dir = base_dir is None
        self.dir = Path(tempfile.mkdtemp(prefix="mesotron-zk-") if base_dir is None else base_dir)
        self.data_dir = self.dir / "data"
        self.config_path = self.dir / "zoo.cfg"
        self.log_path = self.dir / "zookeeper.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.last_start_seconds: float | None = None  # spawn -> `srvr` reports a mode
        self._spawned_at = 0.0

    # ------------------------------------------------------------------ facts
    @property
    def hosts(self) -> str:
        """The connection string for kazoo and inside zk:// URLs."""
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/mesos") -> str:
        return f"zk://{self.hosts}{path}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def mode(self) -> str | None:
        return server_mode(self.host, self.port)

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    # ------------------------------------------------------------------ lifecycle
    def write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cfg = {
            "tickTime": int(self.tick_time * 1000),
            "initLimit": 10,
            "syncLimit": 5,
            "dataDir": str(self.data_dir),
            "clientPort": self.port,
            "clientPortAddress": self.host,
            "minSessionTimeout": int(self.min_session_timeout * 1000),
            "maxSessionTimeout": int(self.max_session_timeout * 1000),
            "maxClientCnxns": 0,
            "admin.enableServer": "false",  # else Jetty grabs :8080 (clashes in parallel)
            "4lw.commands.whitelist": "srvr,ruok,mntr,stat",
            "autopurge.purgeInterval": 0,
        }
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in cfg.items()))

    def spawn(self) -> None:
        """Start the JVM (non-blocking). Follow with `wait_ready_sync` or `wait_ready`."""
        if self.running():
            raise ZkServerError(f"ZooKeeper already running (pid {self.pid})")
        self.write_config()
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        cmd = [
            self.java,
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            "-Dzookeeper.jmx.log4j.disable=true",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp",
            self.classpath,
            "org.apache.zookeeper.server.ZooKeeperServerMain",
            str(self.config_path),
        ]
        self._spawned_at = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            start_new_session=True,  # a Ctrl-C to the parent's group does not hit the JVM
        )

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise ZkServerError(
                f"ZooKeeper exited with {self.proc.returncode} before serving on "
                f"{self.hosts}; log tail:\n{self.log_tail()}"
            )

    def _probe(self) -> bool:
        self._check_alive()
        if self.mode() is not None:
            self.last_start_seconds = time.monotonic() - self._spawned_at
            return True
        return False

    def wait_ready_sync(self, deadline: float = 30.0) -> None:
        """Block until `srvr` reports a mode; ZkServerError after `deadline` seconds."""
        end = time.monotonic() + deadline
        while not self._probe():
            if time.monotonic() > end:
                raise ZkServerError(
                    f"ZooKeeper on {self.hosts} not serving after {deadline:g}s; "
                    f"log tail:\n{self.log_tail()}"
                )
            time.sleep(0.02)  # polling interval of a readiness probe, not synchronisation

    async def wait_ready(self) -> None:
        """Trio: wait until `srvr` reports a mode. No timeout: wrap in `trio.fail_after`."""
        import trio

        while not await trio.to_thread.run_sync(self._probe, abandon_on_cancel=True):
            await trio.sleep(0.02)

    def start(self, deadline: float = 30.0) -> Self:
        """Spawn and wait until serving (blocking). If we chose the port and another
        process took it before the JVM bound it the first time, retry on a fresh port."""
        for attempt in range(3):
            self.spawn()
            try:
                self.wait_ready_sync(deadline)
                return self
            except ZkServerError:
                self.kill()
                taken = "Address already in use" in self.log_tail(200)
                # never move a server that already served: clients know its port
                if not (
                    self._auto_port and self.last_start_seconds is None and taken and attempt < 2
                ):
                    raise
                self.port = free_port(self.host)
            except BaseException:
                self.kill()
                raise
        raise AssertionError("unreachable")

    def _signal(self, sig: int, grace: float) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)  # our own child, by its PID only
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.proc = None
        return proc.returncode

    def kill(self) -> int | None:
        """SIGKILL the server (a crash): the data dir stays, so `start()` resumes sessions."""
        return self._signal(signal.SIGKILL, 10.0)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds. Returns the exit code (or None)."""
        return self._signal(signal.SIGTERM, grace)

    def close(self) -> None:
        """Stop the server and remove its temp dir (if we created it)."""
        try:
            self.stop()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            if self._own_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
            return self
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def running_zookeeper(**kwargs: object) -> Iterator[ZkServer]:
    """`with running_zookeeper() as zk:` for module-scoped pytest fixtures (see ZkServer)."""
    server = ZkServer(**kwargs)  # type: ignore[arg-type]
    with server:
        yield server
