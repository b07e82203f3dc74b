"""`mesotron agent`: the agent daemon (the agent machine in a Trio shell).

Components: the effect loop, the master link (discovers the master's internal transport at
GET /internal/endpoint, dials it, re-dials with backoff when it breaks), the containerizer
(executor processes), the checkpoint store (<work_dir>/meta) and the HTTP server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from functools import partial
from typing import Any

import trio
import trio.lowlevel
from mesotron.core.agent.isolation import IsolationFlagError, parse_isolation
from mesotron.core.effects import Close, Disconnected, Metric, Persist, Received, Reject, Send
from mesotron.core.ids import IdSource
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo, Attribute
from mesotron.io.containers.cgroups import CgroupError
from mesotron.io.containers.isolator import Isolator
from mesotron.io.containers.launcher import Containerizer, sigchld_pump
from mesotron.io.containers.stats import container_statistics
from mesotron.io.daemons import flags as fl
from mesotron.io.daemons import security
from mesotron.io.daemons.logs import configure_from, daemon_ids
from mesotron.io.daemons.loop import EffectLoop
from mesotron.io.daemons.planted import run_daemon
from mesotron.io.http import tls
from mesotron.io.http.agent import AgentApp
from mesotron.io.http.asgi import EventStream, bind_socket
from mesotron.io.http.auth import CredentialsError, agent_realm, with_http_auth
from mesotron.io.store.disk import CheckpointStore
from mesotron.io.wire.agent_driver import AgentDriver, stream_callbacks
from mesotron.io.wire.handshake import AuthenticationFailure, AuthenticationRefused
from mesotron.io.wire.transport import Transport
from mesotron.io.zk.bridge import open_zk, save_session
from mesotron.io.zk.election import ZkDetector, ZkUrlError, is_zk_url, parse_zk_url
from mesotron.spec import codec_executor
from mesotron.spec.wire import encode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--master", required=True,
                   help="master HOST:PORT, or zk://host1:port1[,host2:port2...]/path to follow "
                        "the leader elected in ZooKeeper")
    p.add_argument("--zk-session-timeout", type=fl.duration, default=10.0,
                   help="ZooKeeper session timeout with --master zk://... (default 10secs)")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5051, help="HTTP port (0: any free port)")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--resources", default=None,
                   help='e.g. "cpus:4;mem:4096;disk:10000;ports:[31000-32000]" (default: detected)')
    p.add_argument("--attributes", default="", help='e.g. "rack:r1;zone:a"')
    p.add_argument("--recover", choices=("reconnect", "cleanup"), default="reconnect")
    p.add_argument("--hostname", default=None)
    p.add_argument("--executor-registration-timeout", type=fl.duration, default=60.0)
    p.add_argument("--executor-reregistration-timeout", type=fl.duration, default=2.0)
    p.add_argument("--gc-delay", type=fl.duration, default=604800.0,
                   help="delete a finished executor's run directory this long after it was "
                        "removed (Mesos --gc_delay; default 1weeks)")
    p.add_argument("--executor-shutdown-grace-period", type=fl.duration, default=5.0)
    p.add_argument("--registration-backoff-factor", type=fl.duration, default=1.0)
    p.add_argument("--isolation", default="",
                   help="comma-separated isolators: posix/cpu,posix/mem (measure only, the "
                        "default) | cgroups/cpu,cgroups/mem[,cgroups/pids] | disk/du")
    p.add_argument("--cgroups-root", default="mesotron",
                   help="name of the agent's cgroup under each hierarchy (default mesotron)")
    p.add_argument("--cgroups-enable-cfs", action="store_true",
                   help="hard CPU cap (CFS quota = cpus x 100ms) with cgroups/cpu")
    p.add_argument("--enforce-container-disk-quota", action="store_true",
                   help="with disk/du: a container over its disk fails (REASON_CONTAINER_LIMITATION_DISK)")
    p.add_argument("--container-disk-watch-interval", type=fl.duration, default=15.0,
                   help="how often disk/du measures sandboxes (default 15secs)")
    p.add_argument("--no-zygote", action="store_true",
                   help="start each command executor as a fresh interpreter (no fork server)")
    p.add_argument("--no-fsync", action="store_true",
                   help="skip fsync of checkpoints (tests/benchmarks only)")
    p.add_argument("--no-executor-driver", action="store_true",
                   help="do not offer executors the driver wire (they all speak the v1 HTTP API)")
    p.add_argument("--kill-executors-on-exit", action="store_true",
                   help="kill every executor when the agent stops on SIGINT/SIGTERM (`mesotron "
                        "local`; a real agent leaves them running for its restart to recover)")
    security.add_agent_flags(p)
    security.add_limit_flags(p)
    tls.add_flags(p)
    fl.add_logging_flags(p)


def _previous_driver_port(path: str, ip: str) -> int:
    """The driver port this agent's work dir recorded, if it can be bound again; else 0."""
    import socket

    try:
        with open(path) as f:
            port = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0
    try:
        with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, port))
    except OSError:
        return 0
    return port


def _save_driver_port(path: str, port: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, path)


def default_resources(work_dir: str) -> Resources:
    import psutil

    cpus = float(os.cpu_count() or 1)
    mem_mb = max(psutil.virtual_memory().total // (1024 * 1024) - 1024, 512)
    try:
        disk_mb = max(shutil.disk_usage(work_dir).free // (1024 * 1024) - 5 * 1024, 1024)
    except OSError:
        disk_mb = 1024
    return Resources.parse(f"cpus:{cpus:g};mem:{mem_mb};disk:{disk_mb};ports:[31000-32000]")


def make_isolator(args: argparse.Namespace, log: Any, submit: Any) -> Isolator:
    """The isolators --isolation names (IsolationFlagError / CgroupError: a clear message at
    start, see main_async)."""
    iso = parse_isolation(getattr(args, "isolation", "") or "",
                          cfs=getattr(args, "cgroups_enable_cfs", False),
                          enforce_disk=getattr(args, "enforce_container_disk_quota", False))
    root = getattr(args, "cgroups_root", "mesotron") or "mesotron"
    if "/" in root.strip("/") or root.strip("/") in ("", ".", ".."):
        raise IsolationFlagError(f"--cgroups-root {root!r}: one cgroup name expected")
    isolator = Isolator(iso, root=root.strip("/"), submit=submit, log=log,
                        disk_interval=getattr(args, "container_disk_watch_interval", 15.0))
    if isolator.backend is not None:
        log.info("agent.isolation", isolators=",".join(iso.names),
                 cgroups=f"v{isolator.backend.version}", root=root)
    return isolator


class AgentDaemon:
    def __init__(self, args: argparse.Namespace, log: Any, http_sock: Any) -> None:
        from mesotron.core.agent.machine import Agent, AgentConfig

        self.args = args
        self.log = log
        # authentication/authorization flags (io/daemons/security.py); CredentialsError: exit
        self.security = security.agent_security(
            args, lambda text: log.warning("credentials.too_open", message=text))
        # with --log-dir, the log is served as /slave/log (operator LIST_FILES/READ_FILE, as
        # Mesos attaches it; guarded by access_mesos_logs, io/http/agent_operator.py)
        log_dir = getattr(args, "log_dir", None)
        self.log_file = os.path.join(log_dir, "mesotron-agent.log") if log_dir else None
        self.tls = tls.from_args(args)  # TlsError: exit (io/http/tls.py)
        if self.tls is not None and self.tls.downgrade:  # as libprocess warns
            log.warning("tls.downgrade_enabled", message="Plaintext connections are accepted "
                        "on the TLS port: peer verification can be bypassed")
        for note in self.tls.notes if self.tls is not None else ():  # accepted, not enforced
            log.warning("tls.not_enforced", message=note)
        if self.tls is not None:
            os.environ.update(self.tls.env())  # executors inherit them (io/containers/launcher.py)
        self.http_sock = http_sock
        self.ip = args.ip
        self.port = http_sock.getsockname()[1]
        self.hostname = args.hostname or args.ip
        self.pid = f"slave(1)@{self.ip}:{self.port}"
        self.work_dir = os.path.abspath(args.work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.zk_url = parse_zk_url(args.master) if is_zk_url(args.master) else None
        if self.zk_url is None:
            self.master_host, self.master_port = fl.host_port(args.master, 5050)
        else:
            self.master_host, self.master_port = "", 0  # the detected leader's, once known
        self.detector: Any = None
        res = Resources.parse(args.resources) if args.resources else default_resources(self.work_dir)
        info = AgentInfo(hostname=self.hostname, port=self.port, resources=res,
                         attributes=Attribute.parse_many(args.attributes or ""))
        config = AgentConfig(
            recover=args.recover,
            work_dir=self.work_dir,
            executor_registration_timeout=args.executor_registration_timeout,
            executor_reregistration_timeout=args.executor_reregistration_timeout,
            executor_shutdown_grace_period=args.executor_shutdown_grace_period,
            registration_backoff_factor=args.registration_backoff_factor,
            gc_delay=args.gc_delay,
        )
        self.machine = Agent(pid=self.pid, agent_info=info, ids=IdSource(seed=os.urandom(8).hex()),
                             config=config)
        self.loop = EffectLoop(self.machine, log, name="agent")
        # on every log line: the agent's pid, and its id once the master has given one
        daemon_ids(pid=self.pid, agent_id=lambda: self.machine.agent_id or None)
        self.store = CheckpointStore(os.path.join(self.work_dir, "meta", "checkpoints"),
                                     sync=not args.no_fsync)
        self.isolator = make_isolator(args, log, self.loop.submit)
        self.containers = Containerizer(self.work_dir, f"{self.ip}:{self.port}",
                                        on_exit=self._container_exited,
                                        on_start=self._container_started, log=log,
                                        use_zygote=not args.no_zygote, isolator=self.isolator)
        self.transport = Transport(self.pid, on_message=self._from_master,
                                   on_disconnect=self._master_lost, log=log)
        security.apply_limits(args, self.transport)
        # the frames of one step leave together (one write per link), those of the executor
        # API's pipelined calls per batch (io/daemons/loop.py request_here/call_here)
        self.loop.sends = self.transport
        self.master_pid: str | None = None
        self.streams: dict[str, EventStream] = {}
        self.stream_formats: dict[str, str] = {}
        self.exec_streams: dict[tuple[str, str], str] = {}
        self.metrics: dict[str, float] = {}
        self.ready = False
        self.start_time = time.time()
        self.stop = trio.Event()
        self._dials: trio.Nursery | None = None  # where DialMaster attempts run
        self._dial_client: Any = None  # the httpx client of those attempts
        self.exit_reason: str | None = None  # why the agent gave up (exits non-zero)
        self.start_pump = True
        self.flags = {k: str(v) for k, v in vars(args).items() if not k.startswith("_")}
        lp = self.loop
        from mesotron.core.agent.machine import (
            DestroyContainer,
            DialMaster,
            GarbageCollect,
            KillExecutor,
            LaunchExecutor,
            StopAgent,
            UpdateContainer,
        )

        lp.on(Send, self._send)
        lp.on(Close, self._close)
        lp.on_batch(Persist, self._persist)
        # executors may also speak the driver wire (io/wire/agent_driver.py): v1 Calls/Events as
        # frames on one persistent connection, on a port of its own that every executor
        # learns from MESOTRON_AGENT_DRIVER_ENDPOINT (the command executor uses it)
        attach, detach = stream_callbacks(self.streams, self.stream_formats)
        self.driver = AgentDriver(self.pid, feed=self.loop.call_nowait, attach=attach,
                                  detach=detach, log=log)
        # with TLS the executors' driver wire is TLS too (they inherit LIBPROCESS_SSL_*)
        self.executor_driver = not args.no_executor_driver
        if self.tls is not None:
            self.driver.transport.ssl_server = tls.server_context(self.tls)
            self.driver.transport.ssl_downgrade = self.tls.downgrade
        if not self.executor_driver:
            lp.on(LaunchExecutor, self.containers.launch)
        else:
            lp.on(LaunchExecutor, lambda e: self.containers.launch(self.driver.with_env(e)))
        lp.on(KillExecutor, lambda e: self.containers.kill(e.container_id, e.signal))
        lp.on(UpdateContainer, self.isolator.update)
        lp.on(DestroyContainer, lambda e: self.isolator.destroy_soon(e.container_id))
        lp.on(GarbageCollect, self._garbage_collect)
        lp.on(StopAgent, self._stop_agent)
        lp.on(DialMaster, self._dial)
        lp.on(Metric, self._metric)
        from mesotron.io.http.metrics import AgentMetrics

        self.prom = AgentMetrics(self)  # GET /metrics (io/http/metrics.py)
        lp.on(Reject, lambda e: log.info("rejected", sender=e.sender, status=e.status, reason=e.message))

    # ------------------------------------------------------------------ effects
    def _send(self, e: Send) -> None:
        self.prom.on_send(e.message)
        stream = self.streams.get(e.to)
        if stream is not None:
            fmt = self.stream_formats.get(e.to, "application/json")
            stream.push(encode(codec_executor.encode_event(e.message), fmt))
            return
        to = e.to
        if to == "master" or to.startswith("master@"):
            to = self.machine.master or to  # the master the machine is linked to
        if not self.transport.send(to, e.message):
            self.log.debug("send.dropped", to=e.to, message=type(e.message).__name__)

    def _close(self, e: Close) -> None:
        stream = self.streams.pop(e.peer, None)
        if stream is not None:
            self.stream_formats.pop(e.peer, None)
            stream.close()
            return
        peer = self.machine.master if e.peer == "master" else e.peer
        if peer:
            self.transport.close(peer)

    async def _persist(self, effects: list[Persist]) -> None:
        if not self.store.sync:
            # --no-fsync: writes without fsync are cheap; a worker-thread round trip per batch
            # cost more than the writes themselves
            self.store.persist_many(effects)
            return
        await trio.to_thread.run_sync(self.store.persist_many, effects)

    def _metric(self, e: Metric) -> None:
        self.metrics[e.name] = self.metrics.get(e.name, 0.0) + e.value if e.inc else e.value

    def _garbage_collect(self, e: Any) -> None:
        """GarbageCollect: delete a removed executor's run directory (the machine decided
        when); a missing directory is fine."""
        path = os.path.join(self.work_dir, *e.sandbox)
        if os.path.realpath(path).startswith(os.path.realpath(self.work_dir) + os.sep):
            shutil.rmtree(path, ignore_errors=True)
            self.log.info("agent.gc", path=path)

    def _stop_agent(self, e: Any) -> None:
        self.log.info("agent.stopping", reason=e.reason)
        self.stop.set()

    # ------------------------------------------------------------------ inputs
    def _from_master(self, peer: str, msg: Any) -> None:
        self.prom.on_received(msg)
        self.loop.submit(Received(sender=peer, message=msg))

    def _master_lost(self, peer: str) -> None:
        self.loop.submit(Disconnected(peer=peer))

    def _container_exited(self, c: Any, status: int) -> None:
        from mesotron.core.agent.machine import ExecutorExited

        self.loop.submit(ExecutorExited(framework_id=c.framework_id, executor_id=c.executor_id,
                                        container_id=c.container_id, status=status))

    def _container_started(self, c: Any) -> None:
        from mesotron.core.agent.machine import ExecutorStarted

        self.loop.submit(ExecutorStarted(framework_id=c.framework_id, executor_id=c.executor_id,
                                         container_id=c.container_id, pid=c.pid))

    # ------------------------------------------------------------------ master link
    async def master_link(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Tell the machine where the master is (MasterAddress) and carry out its DialMaster
        effects (`dial`); when and how often to dial is the machine's (core/agent)."""
        import httpx
        from mesotron.core.agent.machine import MasterAddress

        verify: Any = tls.client_context(self.tls) if self.tls is not None else False
        if self.tls is not None:
            self.transport.ssl_client = verify
        async with httpx.AsyncClient(verify=verify, trust_env=False, timeout=None) as client, \
                trio.open_nursery() as nursery:
            self._dial_client = client  # one client for every attempt (cheap retries)
            self._dials = nursery
            task_status.started()
            if self.zk_url is None:
                self.loop.submit(MasterAddress(address=f"{self.master_host}:{self.master_port}"))
                await trio.sleep_forever()
            await self.follow_zk_leader()

    async def follow_zk_leader(self) -> None:
        """--master zk://: follow the elected leader (ZkDetector); on every change drop the
        link to the old one and report the new address (MasterAddress), or NoMasterDetected."""
        from mesotron.core.agent.machine import MasterAddress, NoMasterDetected

        url = self.zk_url
        assert url is not None
        async with open_zk(url.hosts, session_timeout=self.args.zk_session_timeout,
                           credentials=url.credentials) as zk, trio.open_nursery() as nursery:
            save_session(os.path.join(self.work_dir, "zk_session.json"), zk, url.hosts)
            self.detector = ZkDetector(zk, url.path)
            await nursery.start(self.detector.run)
            leader = self.detector.leader
            while True:
                old = self.machine.master
                if old is not None:
                    self.transport.close(old)
                self.log.info("agent.leader_detected", leader=leader.pid if leader else None)
                if leader is None:
                    self.master_host, self.master_port = "", 0
                    self.loop.submit(MasterAddress(address=None))
                    self.loop.submit(NoMasterDetected())
                else:
                    self.master_host, self.master_port = leader.ip or leader.hostname, leader.port
                    self.loop.submit(MasterAddress(address=f"{self.master_host}:{self.master_port}"))
                leader = await self.detector.detect(leader)

    def _dial(self, e: Any) -> None:
        if self._dials is not None:
            self._dials.start_soon(self.dial, e.address)

    async def dial(self, address: str) -> None:
        """One attempt (a DialMaster effect): the master's transport endpoint, then a link to
        it; reports MasterDetected(pid) or DialFailed to the machine."""
        import httpx
        from mesotron.core.agent.machine import DialFailed, MasterDetected

        host, port = fl.host_port(address, 5050)
        client = self._dial_client
        assert client is not None
        scheme = "https" if self.tls is not None else "http"
        try:
            with trio.fail_after(5):
                r = await client.get(f"{scheme}://{host}:{port}/internal/endpoint")
                r.raise_for_status()
                ep = r.json()
                if ep.get("port") is None:  # elected a moment ago, still recovering
                    self.loop.submit(DialFailed(address=address, error="not leading yet"))
                    return
                await self.transport.connect(ep["ip"], ep["port"], ep["pid"],
                                             credential=self.security.credential)
        except AuthenticationRefused:
            # Mesos: the agent exits ("Master <pid> refused authentication")
            self.exit_reason = f"Master {ep['pid']} refused authentication"
            self.log.error("agent.authentication_refused", master=ep["pid"])
            self.stop.set()
            return
        except (OSError, httpx.HTTPError, trio.TooSlowError, ValueError, KeyError,
                trio.BrokenResourceError, AuthenticationFailure) as e:
            self.loop.submit(DialFailed(address=address, error=str(e) or type(e).__name__))
            return
        self.master_pid = ep["pid"]
        self.loop.submit(MasterDetected(pid=ep["pid"], address=address))

    # ------------------------------------------------------------------ queries
    def state_json(self) -> dict[str, Any]:
        s = dict(self.machine.state_json())
        s["flags"] = self.flags
        s["start_time"] = self.start_time
        s.setdefault("capabilities", ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"])
        return s

    def metrics_snapshot(self) -> dict[str, float]:
        out = dict(self.machine.metrics())
        out.update(self.metrics)
        out["slave/uptime_secs"] = time.time() - self.start_time
        out["slave/container_launch_errors"] = float(self.containers.launch_errors)
        from mesotron.io.daemons.master import system_metrics

        out.update(system_metrics())
        return out

    def statistics(self) -> list[dict[str, Any]]:
        """/monitor/statistics: one entry per live executor, with its container's
        ResourceStatistics (cgroup counters with cgroups isolation, psutil otherwise)."""
        out = []
        for (fid, eid), ex in self.machine.executors.items():
            if ex.state == "terminated":
                continue
            out.append({"framework_id": fid, "executor_id": eid, "executor_name": "",
                        "source": eid, "statistics": container_statistics(
                            self.containers, ex.container_id)})
        return out

    def containers_json(self) -> list[dict[str, Any]]:
        """GET_CONTAINERS (v1 operator API): the containers of live executors."""
        out = []
        for (fid, eid), ex in self.machine.executors.items():
            if ex.state == "terminated":
                continue
            out.append({"framework_id": {"value": fid}, "executor_id": {"value": eid},
                        "executor_name": "", "container_id": {"value": ex.container_id},
                        "resource_statistics": container_statistics(self.containers, ex.container_id)})
        return out

    def resolve_sandbox_path(self, raw: str) -> str | None:
        """A real path inside <work_dir>/slaves, or None (no escapes, symlinks resolved; a
        path with a NUL byte, which no file has, is None too)."""
        if "\0" in raw:
            return None
        root = os.path.realpath(os.path.join(self.work_dir, "slaves"))
        cand = raw if os.path.isabs(raw) else os.path.join(self.work_dir, raw)
        real = os.path.realpath(cand)
        if real != root and not real.startswith(root + os.sep):
            return None
        return real

    async def _serve_driver(self, nursery: trio.Nursery) -> None:
        """Serve the executors' driver wire on the port of the previous run when there was
        one (its executors were told that port and re-dial it after a restart), else on any
        free port; the port is kept in <work_dir>/meta/driver_port."""
        path = os.path.join(self.work_dir, "meta", "driver_port")
        port = _previous_driver_port(path, self.ip)
        bound = await nursery.start(self.driver.serve, self.ip, port)
        if bound != port:
            _save_driver_port(path, bound)

    # ------------------------------------------------------------------ run
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> int:
        from mesotron.core.agent.machine import Start

        async with trio.open_nursery() as nursery:
            if self.start_pump:
                await nursery.start(sigchld_pump)
            await nursery.start(self.isolator.run)
            await nursery.start(self.containers.run)
            await nursery.start(self.transport.run)
            await nursery.start(self.loop.run)
            recovered = await trio.to_thread.run_sync(self.store.recover)
            known = {getattr(v, "container_id", None) for v in recovered.checkpoints.values()}
            adopted, orphans = self.containers.recover({k for k in known if k},
                                                       recovered_tasks(recovered))
            self.loop.submit(Start(recovered=None if recovered.is_empty() else recovered,
                                   boot_id=host_boot_id()))
            if not self.args.no_executor_driver:
                # only now: the loop takes inputs in order, so whatever a re-dialling executor
                # sends reaches the machine after Start (before, a fast re-SUBSCRIBE could
                # arrive first and crash the agent: "Agent: Received before Start")
                await self._serve_driver(nursery)
            from mesotron.core.agent.machine import ExecutorExited, OrphanContainer

            for cid in orphans:
                self.loop.submit(OrphanContainer(container_id=cid))

            for fid, eid, cid, alive in adopted:
                if not alive:
                    self.loop.submit(ExecutorExited(framework_id=fid, executor_id=eid,
                                                    container_id=cid, status=-1))
            self.ready = True
            await nursery.start(partial(security.http_server(self.args, self.tls, self.log), tls=self.tls), with_http_auth(
                AgentApp(self), self.security.http_auth, agent_realm), self.http_sock, self.stop)
            await nursery.start(self.master_link)
            self.log.info("agent.started", pid=self.pid, work_dir=self.work_dir,
                          master=self.zk_url.redacted() if self.zk_url else f"{self.master_host}:{self.master_port}")
            task_status.started(self)
            await self.stop.wait()
            if getattr(self.args, "kill_executors_on_exit", False):
                self.containers.shutdown_all()
            for s in list(self.streams.values()):
                s.close()
            await trio.lowlevel.checkpoint()
            nursery.cancel_scope.cancel()
        return 1 if self.exit_reason else 0


def recovered_tasks(recovered: Any) -> dict[str, dict[str, Resources]]:
    """container id -> {task id: resources} of the checkpointed tasks of command executors
    (for the isolator: their nested cgroups and per-task disk quotas)."""
    from mesotron.core.checkpoint import ExecutorRecord, TaskRecordCk

    cids = {(k[1], k[2]): v.container_id for k, v in recovered.checkpoints.items()
            if isinstance(v, ExecutorRecord) and len(k) == 3 and v.command_executor}
    out: dict[str, dict[str, Resources]] = {}
    for v in recovered.checkpoints.values():
        if isinstance(v, TaskRecordCk):
            cid = cids.get((v.framework_id, v.executor_id))
            if cid is not None:
                out.setdefault(cid, {})[v.task.task_id] = v.task.resources
    return out


def host_boot_id() -> str | None:
    """This boot of the host (Linux's random boot id; None where there is none): the agent
    machine compares it with the one it checkpointed to tell a reboot from a restart."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip() or None
    except OSError:
        return None


async def main_async(args: argparse.Namespace) -> int:
    log = configure_from(args, "agent")
    sock = bind_socket(args.ip, args.port)
    try:
        daemon = AgentDaemon(args, log, sock)
    except (ZkUrlError, CredentialsError, tls.TlsError) as e:
        print(f"mesotron agent: {e}", file=sys.stderr)
        return 2
    except (IsolationFlagError, CgroupError) as e:
        print(f"mesotron agent: --isolation: {e}", file=sys.stderr)
        return 2
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGUSR1) as signals:
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                async for signum in signals:
                    if signum == signal.SIGUSR1 and daemon.ready:
                        # Mesos's SIGUSR1: shut the agent down for good (unregister, kill the
                        # executors, forget the agent id); the machine says when (StopAgent)
                        from mesotron.core.agent.machine import Shutdown

                        log.info("agent.sigusr1_shutdown")
                        daemon.loop.submit(Shutdown())
                        continue
                    daemon.stop.set()
                    return

            nursery.start_soon(watch)
            code = await daemon.run()
            nursery.cancel_scope.cancel()
    if daemon.exit_reason:
        print(f"mesotron agent: {daemon.exit_reason}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    return run_daemon("agent", main_async, args)  # planted bugs: tests only (io/daemons/planted.py)
