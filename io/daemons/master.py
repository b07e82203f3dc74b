"""`mesotron master`: the master daemon (the master machine in a Trio shell).

Components (one nursery): the internal transport listener (agents dial it; its address is
served at GET /internal/endpoint), the effect loop, the HTTP server (io/http/server.py on h11; hypercorn with --http-server hypercorn).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import socket
import sys
import time
import uuid
from functools import partial
from typing import Any

import trio
import trio.lowlevel
from mesotron.core.effects import (
    Close,
    Disconnected,
    Log,
    Metric,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
    Respond,
    Send,
)
from mesotron.core.ids import IdSource
from mesotron.core.values import MasterInfo
from mesotron.io.daemons import flags as fl
from mesotron.io.daemons import security
from mesotron.io.daemons.logs import configure_from, daemon_ids
from mesotron.io.daemons.loop import EffectLoop
from mesotron.io.daemons.planted import run_daemon
from mesotron.io.http import operator as operator_api
from mesotron.io.http import tls, ui
from mesotron.io.http.asgi import EventStream, bind_socket
from mesotron.io.http.auth import CredentialsError, acls_of, master_realm, with_http_auth
from mesotron.io.http.limits import PerPeer
from mesotron.io.http.master import MasterApp, heartbeat_operator_streams
from mesotron.io.http.metrics import time_registry_write
from mesotron.io.store.registry import open_registry
from mesotron.io.wire.master_driver import MasterDriver
from mesotron.io.wire.transport import Transport
from mesotron.io.zk.bridge import load_session, open_zk, save_session, wait_any
from mesotron.io.zk.election import ZkContender, ZkDetector, ZkUrlError, parse_zk_url
from mesotron.io.zk.registry import RegistryError, RegistryFenced, ZkRegistry, default_registry_path
from mesotron.spec import codec_scheduler
from mesotron.spec.wire import encode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=5050, help="HTTP port (0: any free port)")
    p.add_argument("--advertise-ip", default=None,
                   help="address others reach this master at (in ZooKeeper, /internal/endpoint, "
                        "redirects; a proxy's or NAT's): it listens on --ip, on the same ports")
    p.add_argument("--internal-port", type=int, default=0,
                   help="port of the internal master<->agent transport (0: any free port)")
    p.add_argument("--work-dir", default=None, help="directory for the registry (local)")
    p.add_argument("--registry", choices=("memory", "local", "zk"), default=None,
                   help="registry backend (default: zk with --zk, else local when --work-dir is "
                        "given, else memory)")
    p.add_argument("--zk", default=None,
                   help="zk://[user:pass@]host1:port1[,host2:port2...]/path: contend for leadership "
                        "in ZooKeeper (standbys answer 307 to the leader, 503 when none)")
    p.add_argument("--zk-session-timeout", type=fl.duration, default=10.0,
                   help="ZooKeeper session timeout (default 10secs)")
    p.add_argument("--hostname", default=None)
    p.add_argument("--allocation-interval", type=fl.duration, default=1.0)
    p.add_argument("--offer-timeout", type=fl.duration, default=None)
    p.add_argument("--agent-ping-timeout", type=fl.duration, default=15.0)
    p.add_argument("--max-agent-ping-timeouts", type=int, default=5)
    p.add_argument("--agent-reregister-timeout", type=fl.duration, default=600.0,
                   help="after failover, how long recovered agents have to re-register before they "
                        "are marked unreachable (Mesos: 10mins)")
    p.add_argument("--heartbeat-interval", type=fl.duration, default=15.0,
                   help="scheduler stream HEARTBEAT interval")
    p.add_argument("--registry-gc-interval", type=_positive_duration, default=900.0,
                   help="how often the leader prunes the registry's unreachable and gone lists "
                        "(Mesos: 15mins)")
    p.add_argument("--registry-max-agent-age", type=fl.duration, default=1209600.0,
                   help="prune unreachable/gone agents older than this (Mesos: 2weeks)")
    p.add_argument("--registry-max-agent-count", type=_non_negative_int, default=102400,
                   help="keep at most this many unreachable (and gone) agents, oldest pruned first")
    p.add_argument("--agent-removal-rate-limit", type=fl.rate_limit, default=None,
                   help="at most N agent removals per duration, e.g. 1/20mins (agents failing "
                        "health checks or not back after a failover wait for a permit; "
                        "default: no limit)")
    p.add_argument("--whitelist", default=None, metavar="PATH",
                   help="a file of hostnames (one per line): only their agents are offered; "
                        "re-read every 5 s (Mesos --whitelist)")
    p.add_argument("--roles", default=None, help="comma-separated role whitelist")
    p.add_argument("--weights", default=None, help="role=weight,...")
    security.add_master_flags(p)
    security.add_limit_flags(p)
    tls.add_flags(p)
    fl.add_logging_flags(p)


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not an integer") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be >= 0")
    return n


def _positive_duration(text: str) -> float:
    seconds = fl.duration(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a positive duration")
    return seconds


def resolve_hostname(ip: str, hostname: str | None) -> str:
    if hostname:
        return hostname
    if ip in ("0.0.0.0", ""):
        return socket.gethostname()
    return ip


class MasterDaemon:
    def __init__(self, args: argparse.Namespace, log: Any, http_sock: socket.socket) -> None:
        from mesotron.core.master.machine import Master, MasterConfig

        self.args = args
        self.log = log
        self.http_sock = http_sock
        self.ip = args.ip
        self.port = http_sock.getsockname()[1]
        self.hostname = resolve_hostname(args.ip, args.hostname)
        # where others reach us (Mesos's --advertise_ip); the sockets still bind --ip
        self.advertised_ip = getattr(args, "advertise_ip", None) or (
            args.ip if args.ip != "0.0.0.0" else "127.0.0.1")
        self.master_info = MasterInfo(id=str(uuid.uuid4()), hostname=self.hostname,
                                      ip=self.advertised_ip, port=self.port)
        self.pid = self.master_info.pid
        daemon_ids(master_id=self.master_info.id, pid=self.pid)  # on every log line
        self.start_time = time.time()
        self.zk_url = parse_zk_url(args.zk) if getattr(args, "zk", None) else None
        kind = args.registry or ("zk" if self.zk_url else "local" if args.work_dir else "memory")
        if kind == "zk" and self.zk_url is None:
            raise ZkUrlError("--registry zk needs --zk zk://host:port/path")
        # zk: a ZkRegistry, made once elected (ha.py); until then nothing may be written
        self.registry: Any = None if kind == "zk" else open_registry(kind, args.work_dir or ".")
        self.registry_kind = kind
        self.zk: Any = None  # the ZkClient (ZooKeeper HA)
        self.contender: Any = None
        self.detector: Any = None
        self.exit_reason: str | None = None
        self._registry_send, self._registry_recv = trio.open_memory_channel[RegistryWrite](math.inf)
        # authentication/authorization flags (io/daemons/security.py); CredentialsError: exit
        self.security = security.master_security(
            args, lambda text: log.warning("credentials.too_open", message=text))
        self.tls = tls.from_args(args)  # TlsError: exit (io/http/tls.py)
        if self.tls is not None and self.tls.downgrade:  # as libprocess warns
            log.warning("tls.downgrade_enabled", message="Plaintext connections are accepted "
                        "on the TLS port: peer verification can be bypassed")
        for note in self.tls.notes if self.tls is not None else ():  # accepted, not enforced
            log.warning("tls.not_enforced", message=note)
        config = MasterConfig(
            allocation_interval=args.allocation_interval,
            offer_timeout=args.offer_timeout,
            agent_ping_timeout=args.agent_ping_timeout,
            max_agent_ping_timeouts=args.max_agent_ping_timeouts,
            agent_reregister_timeout=args.agent_reregister_timeout,
            heartbeat_interval=args.heartbeat_interval,
            registry_gc_interval=args.registry_gc_interval,
            registry_max_agent_age=args.registry_max_agent_age,
            registry_max_agent_count=args.registry_max_agent_count,
            agent_removal_rate_limit=args.agent_removal_rate_limit,
            whitelist=self._read_whitelist() if getattr(args, "whitelist", None) else None,
            roles=fl.parse_roles(args.roles),
            weights=fl.parse_weights(args.weights),
            acls=self.security.acls,
            authenticate_frameworks=self.security.authenticate_frameworks,
            authenticate_agents=self.security.authenticate_agents,
        )
        self.machine = Master(master_info=self.master_info,
                              ids=IdSource(seed=os.urandom(8).hex()), config=config)
        self.loop = EffectLoop(self.machine, log, name="master")
        self.transport = Transport(
            self.pid,
            on_message=lambda peer, msg: self.loop.submit(Received(
                sender=peer, message=msg, principal=self.transport.principal(peer))),
            on_disconnect=lambda peer: self.loop.submit(Disconnected(peer=peer)),
            log=log,
        )
        self.loop.sends = self.transport  # one write per agent connection per step
        self.transport.driver = MasterDriver(self)  # frameworks on the driver wire (io/wire/master_driver.py)
        self.transport.credentials = self.security.credentials  # CRAM-MD5 (io/wire/handshake.py)
        security.apply_limits(args, self.transport)
        self.transport.auth_timeout = getattr(args, "authentication_v0_timeout", 15.0)
        if self.tls is not None:
            self.transport.ssl_server = tls.server_context(self.tls)
            self.transport.ssl_downgrade = self.tls.downgrade  # LIBPROCESS_SSL_SUPPORT_DOWNGRADE
        self._internal_port: int | None = None
        self.streams: dict[str, EventStream] = {}
        self.new_streams: dict[str, EventStream] = {}  # opened, not yet served (io/http/master.py)
        self.stream_formats: dict[str, str] = {}
        self.request_formats: dict[str, str] = {}
        self.operator_streams: set[tuple[EventStream, str]] = set()
        self.operator_principals: dict[EventStream, str | None] = {}  # who subscribed each stream
        # --max-streams-per-peer: scheduler/operator SUBSCRIBE streams per IP (io/http/limits.py)
        self.stream_limit = PerPeer(getattr(args, "max_streams_per_peer", 0) or 0)
        # with --log-dir, the log is served as /master/log (operator LIST_FILES/READ_FILE, as
        # Mesos attaches it; guarded by the access_mesos_logs ACL, io/http/operator.py)
        log_dir = getattr(args, "log_dir", None)
        self.log_file = os.path.join(log_dir, "mesotron-master.log") if log_dir else None
        self.operator_feed = operator_api.OperatorFeed(self)
        self.metrics: dict[str, float] = {}
        self.leading = False
        # the leader this (standby) master knows of: scheduler/operator calls get a 307 to it,
        # or 503 while None. A leader-election component (ZooKeeper) sets it; a lone master
        # leads from the start (run()).
        self.leader_info: MasterInfo | None = None
        self.recovered = False
        self.alive = True
        self.stop = trio.Event()
        self.exit_code = 0
        self.flags = {k: str(v) for k, v in vars(args).items() if not k.startswith("_")}
        lp = self.loop
        lp.on(Respond, self._respond)
        lp.on(Send, self._send)
        lp.on(Log, self._log)
        lp.on(Close, self._close)
        lp.on(Metric, self._metric)
        lp.on(Reject, self._reject)
        lp.on(RegistryWrite, self._registry_write)
        from mesotron.io.http.metrics import MasterMetrics

        self.prom = MasterMetrics(self)  # GET /metrics (io/http/metrics.py)
        try:
            from mesotron.core.master.machine import Abdicate

            lp.on(Abdicate, self._abdicate)
        except ImportError:  # pragma: no cover
            pass

    # ------------------------------------------------------------------ effects
    def _respond(self, e: Respond) -> None:
        fmt = self.request_formats.pop(e.request, None)
        if e.stream_id is not None and e.status == 200:
            self.streams[e.stream_id] = EventStream()
            self.stream_formats[e.stream_id] = fmt or "application/json"
            # the HTTP handler picks the stream up here even when the machine closed it in
            # the same step (an ERROR event, then Close: a refused SUBSCRIBE)
            self.new_streams[e.stream_id] = self.streams[e.stream_id]
        self.loop._respond(e)

    def _observe(self, e: Any) -> None:
        """Feed operator SUBSCRIBE streams (only when someone listens)."""
        if self.operator_streams:
            acls = acls_of(self)
            for ev in self.operator_feed.observe(e):
                for stream, fmt in list(self.operator_streams):
                    # each subscriber sees what its principal may view (--acls)
                    if acls is not None and not operator_api.event_visible(
                            self, acls, self.operator_principals.get(stream), ev):
                        continue
                    stream.push(operator_api.encode_event(ev, fmt))
        elif isinstance(e, Send) and type(e.message).__name__ == "EventSubscribed":
            self.operator_feed.stream_framework[e.to] = e.message.framework_id

    def _log(self, e: Any) -> None:
        self.loop._log(e)
        self._observe(e)

    def _send(self, e: Send) -> None:
        self._observe(e)
        self.prom.on_send(e.message)
        stream = self.streams.get(e.to)
        if stream is not None:
            fmt = self.stream_formats.get(e.to, "application/json")
            stream.push(encode(codec_scheduler.encode_event(e.message), fmt))
            return
        to = e.to
        if not self.transport.send(to, e.message):
            self.log.debug("send.dropped", to=to, message=type(e.message).__name__)

    def _close(self, e: Close) -> None:
        self.operator_feed.stream_framework.pop(e.peer, None)
        stream = self.streams.pop(e.peer, None)
        if stream is not None:
            self.stream_formats.pop(e.peer, None)
            stream.close()
            return
        self.transport.close(e.peer)

    def _metric(self, e: Metric) -> None:
        if e.inc:
            self.metrics[e.name] = self.metrics.get(e.name, 0.0) + e.value
        else:
            self.metrics[e.name] = e.value

    def metrics_inc(self, name: str, by: float = 1.0) -> None:
        self.metrics[name] = self.metrics.get(name, 0.0) + by

    def _reject(self, e: Reject) -> None:
        self.log.info("rejected", sender=e.sender, status=e.status, reason=e.message)

    def _registry_write(self, e: RegistryWrite) -> None:
        # off the loop, in order (registry_writer below): the master goes on taking inputs
        # while a write is in flight, and its registrar batches the operations they ask for
        # into the next write (core/master/base.py); a write waiting out a ZooKeeper
        # reconnection must not stall the master either
        self._registry_send.send_nowait(e)

    async def registry_writer(self) -> None:
        """Commit RegistryWrite effects one after the other (the core keeps at most one in
        flight); a fenced write is reported as ok=False, which makes the master Abdicate."""
        async for e in self._registry_recv:
            t0 = time.perf_counter()
            if self.registry_kind == "zk":
                try:
                    before = self.registry.writes
                    new = await self.registry.write(e.op)
                    ok = new is not None
                    if self.registry.writes != before:
                        self._log_commit()
                    msg = "" if ok else "fenced: another master leads"
                except (RegistryError, ValueError) as err:
                    ok, msg = False, str(err)
            else:
                try:
                    ok = await trio.to_thread.run_sync(self.registry.write, e.op)
                    msg = "" if ok else "fenced"
                except OSError as err:
                    ok, msg = False, str(err)
            time_registry_write(self.prom, t0)
            self.loop.submit(RegistryResult(op_id=e.op_id, ok=ok, message=msg))

    def _log_commit(self) -> None:
        """One line per committed write of the ZooKeeper registry: the znode version it
        created and who wrote it (the lab's history reads these: OneWriterPerVersion)."""
        self.log.info("registry.committed", znode_version=self.registry.znode_version,
                      writer=self.master_info.id)

    def _abdicate(self, e: Any) -> None:
        self.log.error("abdicate", reason=e.reason)
        self.give_up(f"abdicated: {e.reason}")

    def give_up(self, reason: str) -> None:
        """Stop acting as leader and exit non-zero (a supervisor restarts us, as with Mesos)."""
        if self.exit_reason is None:
            self.exit_reason = reason
        self.leading = False
        self.exit_code = 1
        self.alive = False
        self.stop.set()

    @property
    def internal_port(self) -> int | None:
        """The transport port agents dial (GET /internal/endpoint), or None while this master
        does not lead: an agent that found us through ZooKeeper a moment before we finished
        recovering retries at once instead of having its registration dropped."""
        return self._internal_port if self.leading else None

    # ------------------------------------------------------------------ queries
    def state_json(self) -> dict[str, Any]:
        s = dict(self.machine.state_json())
        s.setdefault("version", "1.11.0")
        s["flags"] = self.flags
        s.setdefault("start_time", self.start_time)
        if self.leading:
            s.setdefault("leader", self.pid)
        else:
            s["leader"] = self.leader_info.pid if self.leader_info else ""
        s["elected"] = self.leading
        return s

    def state_summary(self) -> dict[str, Any]:
        s = self.state_json()
        return {
            "hostname": s.get("hostname"),
            "cluster": s.get("cluster", ""),
            "slaves": [{k: v for k, v in a.items() if k != "tasks"} for a in s.get("slaves", [])],
            "frameworks": [{k: v for k, v in f.items() if k not in ("tasks", "completed_tasks", "offers")}
                           for f in s.get("frameworks", [])],
        }

    def loop_now(self) -> float:
        return time.time()

    def metrics_snapshot(self) -> dict[str, float]:
        out: dict[str, float] = {}
        fn = getattr(self.machine, "metrics", None)
        if fn is not None:
            try:
                out.update(fn())
            except TypeError:
                out.update(fn(time.time()))
        out.update(self.metrics)
        out["master/elected"] = 1.0 if self.leading else 0.0
        out["master/uptime_secs"] = time.time() - self.start_time
        out["master/event_queue_messages"] = float(self.loop._recv.statistics().current_buffer_used)
        out["master/operator_event_stream_subscribers"] = float(len(self.operator_streams))
        out.update(system_metrics())
        return out

    # ------------------------------------------------------------------ run
    WHITELIST_WATCH_INTERVAL = 5.0  # Mesos's master::WHITELIST_WATCH_INTERVAL

    def _read_whitelist(self) -> frozenset[str]:
        with open(self.args.whitelist) as f:
            return fl.parse_whitelist(f.read())

    async def watch_whitelist(self, current: frozenset[str] | None) -> None:
        """Re-read the --whitelist file every WHITELIST_WATCH_INTERVAL; a change goes to the
        machine (an unreadable file keeps the last list, with a warning)."""
        from mesotron.core.master.machine import WhitelistChanged

        while True:
            await trio.sleep(self.WHITELIST_WATCH_INTERVAL)
            try:
                hosts = await trio.to_thread.run_sync(self._read_whitelist)
            except OSError as e:
                self.log.warning("master.whitelist_unreadable", path=self.args.whitelist, error=str(e))
                continue
            if hosts != current:
                current = hosts
                self.log.info("master.whitelist_changed", hosts=sorted(hosts))
                self.loop.submit(WhitelistChanged(hosts=hosts))

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> int:
        from mesotron.core.master.machine import LeadershipGained

        async with trio.open_nursery() as nursery:
            self._internal_port = await nursery.start(self.transport.serve, self.ip, self.args.internal_port)
            await nursery.start(self.loop.run)
            if self.zk_url is None:
                nursery.start_soon(self.registry_writer)
                state = await trio.to_thread.run_sync(self.registry.load)
                self.loop.submit(LeadershipGained(registry=state))
                self.leading = True
                self.leader_info = self.master_info
                self.recovered = True
            app = with_http_auth(MasterApp(self), self.security.http_auth, master_realm)
            serve = security.http_server(self.args, self.tls, self.log)  # --http-server
            await nursery.start(partial(serve, tls=self.tls), app, self.http_sock, self.stop)
            nursery.start_soon(heartbeat_operator_streams, self)
            nursery.start_soon(ui.sample_shares, self)  # the web UI's DRF plot
            if getattr(self.args, "whitelist", None):
                nursery.start_soon(self.watch_whitelist, self.machine.config.whitelist)
            self.log.info("master.started", pid=self.pid, http=f"http://{self.hostname}:{self.port}",
                          internal_port=self._internal_port, registry=self.registry_kind,
                          zk=self.zk_url.redacted() if self.zk_url else None)
            if self.zk_url is not None:
                nursery.start_soon(self.run_zk, nursery)
            task_status.started(self)
            await self.stop.wait()
            if self.exit_reason:
                self.log.error("master.exiting", reason=self.exit_reason)
            for s in list(self.streams.values()):
                s.close()
            for s, _ in list(self.operator_streams):
                s.close()
            await trio.lowlevel.checkpoint()
            nursery.cancel_scope.cancel()
        return self.exit_code


    # ------------------------------------------------------------------ ZooKeeper HA
    async def run_zk(self, nursery: trio.Nursery) -> None:
        """Contend for leadership (docs/ha.md); on election recover the registry and lead;
        on losing the election's membership tell the machine (MembershipLost), which
        answers Abdicate: the process exits non-zero."""
        assert self.zk_url is not None
        url = self.zk_url
        try:
            async with open_zk(url.hosts, session_timeout=self.args.zk_session_timeout,
                               credentials=url.credentials) as zk:
                self.zk = zk
                self._save_session()
                self.detector = ZkDetector(zk, url.path)
                await nursery.start(self.detector.run)
                nursery.start_soon(self._follow_leader)
                self.contender = ZkContender(zk, url.path, self.master_info)
                async with trio.open_nursery() as inner:
                    node = await inner.start(self.contender.run)
                    self.log.info("master.contending", node=node, zk=url.redacted())
                    await wait_any(self.contender.elected, self.contender.lost)
                    if self.contender.elected.is_set() and not self.contender.lost.is_set():
                        await self._lead(url.path, node, inner)
                    await self.contender.lost.wait()
                    from mesotron.core.master.machine import MembershipLost

                    # the machine decides what losing membership means (Abdicate: we exit)
                    self.loop.submit(MembershipLost(reason=self.contender.lost_reason or "unknown"))
                    await self.stop.wait()
        except* (RegistryFenced, RegistryError) as group:
            # raised inside the nurseries above, so it arrives wrapped in an ExceptionGroup
            # (trio's strict exception groups): a plain `except` would let the master crash
            self.give_up(f"registry: {group.exceptions[0]}")

    async def _lead(self, path: str, node: str, nursery: trio.Nursery) -> None:
        from mesotron.core.master.machine import LeadershipGained

        self.registry = ZkRegistry(self.zk, default_registry_path(path), fence=node)
        t0 = trio.current_time()
        state = await self.registry.recover()
        self._log_commit()  # recovery's fencing write
        if self.contender.lost.is_set():
            return
        self.loop.submit(LeadershipGained(registry=state))
        self.leading = True
        self.leader_info = self.master_info
        self.recovered = True
        self.log.warning("master.elected", node=node, registry_version=state.version,
                         recovered_agents=len(state.admitted),
                         recover_ms=round((trio.current_time() - t0) * 1000, 1))
        nursery.start_soon(self.registry_writer)

    async def _follow_leader(self) -> None:
        """Standby: know the leader, for 307s (503 while None)."""
        current: MasterInfo | None = None
        while True:
            current = await self.detector.detect(current)
            if not self.leading:
                # ourselves a moment before recovery finishes: 503 (retry), not a 307 to us
                mine = current is not None and current.id == self.master_info.id
                self.leader_info = None if mine else current
            self.log.info("master.leader_detected", leader=current.pid if current else None)

    def _save_session(self) -> None:
        """<work_dir>/zk_session.json (0600): our ZooKeeper session, so that tests and chaos
        tools can expire it from outside (io/zk_bridge.expire_session)."""
        if not self.args.work_dir or self.zk is None or self.zk_url is None:
            return
        os.makedirs(self.args.work_dir, exist_ok=True)
        save_session(os.path.join(self.args.work_dir, "zk_session.json"), self.zk, self.zk_url.hosts)


def read_zk_session(work_dir: str) -> tuple[str, tuple[int, bytes]]:
    """(hosts, client_id) saved by a master (or agent) running with ZooKeeper and a work dir."""
    return load_session(os.path.join(work_dir, "zk_session.json"))


def system_metrics() -> dict[str, float]:
    out: dict[str, float] = {"system/cpus_total": float(os.cpu_count() or 1)}
    try:
        l1, l5, l15 = os.getloadavg()
        out.update({"system/load_1min": l1, "system/load_5min": l5, "system/load_15min": l15})
    except OSError:
        pass
    try:
        import psutil

        vm = psutil.virtual_memory()
        out["system/mem_total_bytes"] = float(vm.total)
        out["system/mem_free_bytes"] = float(vm.available)
    except Exception:  # noqa: BLE001, S110 - metrics are best effort
        pass
    return out


async def main_async(args: argparse.Namespace) -> int:
    log = configure_from(args, "master")
    sock = bind_socket(args.ip, args.port)
    try:
        daemon = MasterDaemon(args, log, sock)
    except (ZkUrlError, CredentialsError, tls.TlsError) as e:
        print(f"mesotron master: {e}", file=sys.stderr)
        return 2
    with trio.open_signal_receiver(2, 15) as signals:  # SIGINT, SIGTERM
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                async for _ in signals:
                    daemon.stop.set()
                    return

            nursery.start_soon(watch)
            code = await daemon.run()
            nursery.cancel_scope.cancel()
    if daemon.exit_reason:
        print(f"mesotron master: {daemon.exit_reason}", file=sys.stderr)
    return code


# The master's heap is large and long-lived (agents, tasks, offers, connections) and
# allocates in bursts (a re-registration storm after a failover: 100,000 task records in
# seconds); CPython's default 700-allocation young generation then runs collections that
# dominate the burst. Larger young collections; the middle generation only every 50M
# allocations (its collections re-scanned the growing heap every 1M allocations during a
# storm, ~0.4 s of 4 s at 10k agents); the start-up objects frozen out of every
# collection. The young generation is 10,000, not larger: in a storm every survivor is
# scanned once whatever the size, and smaller collections stay in the caches (measured with
# gc.callbacks, thread CPU: 10k agents 0.27 s of GC at 10,000 vs 0.40 s at 50,000 and
# 0.52 s at 200,000; 40k agents 2.0 s vs 3.1 s at 50,000; docs/performance.md). Cyclic
# garbage is still collected, later; most of the master's garbage is freed by reference
# counting.
GC_THRESHOLDS = (10_000, 5_000, 10)


def run(args: argparse.Namespace) -> int:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return run_daemon("master", main_async, args)  # planted bugs: tests only (io/daemons/planted.py)
