"""`GET /metrics`: the daemons' metrics in the Prometheus text format, through prometheus-client.

- Every `/metrics/snapshot` gauge is exposed under its Mesos name with every character that
  Prometheus does not allow (`/`, `-`, `.`...) mapped to `_`: `master/tasks_running` ->
  `master_tasks_running`, `allocator/mesos/roles/x/shares/dominant`-like per-role names are
  NOT flattened into the name: they are labels (below). `/metrics/snapshot` itself is
  unchanged (Telegraf and Datadog read Mesos's JSON names).
- Labels where Mesos has per-role / per-framework metrics (master only):
    master_frameworks_subscribed{framework_id, framework_name}        1 or 0
    master_frameworks_tasks_active{framework_id, framework_name, state}
    master_frameworks_tasks_terminal{framework_id, framework_name, state}
    master_frameworks_offers_outstanding{framework_id, framework_name}
    allocator_mesos_roles_shares_dominant{role}                     unweighted DRF share
    allocator_mesos_roles_weight{role}
- Histograms (milliseconds, as Mesos's timers): `allocator_mesos_allocation_run_ms` (one
  allocation cycle, timed around the allocator's `Allocate` step),
  `allocator_mesos_allocation_run_latency_ms` (how late the periodic allocation ran: when
  the timer input was fed minus the time the master set it for), `registrar_state_store_ms`
  (one registry write, timed around the backend's write), `master_status_update_round_trip_ms`
  (master: from forwarding an update to the scheduler to sending its acknowledgement to the
  agent) and `slave_status_update_round_trip_ms` (agent: from sending an update to the master
  to receiving the acknowledgement).

The collectors only read the machines' queries; nothing here decides anything.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

_BAD = re.compile(r"[^a-zA-Z0-9_:]")

MS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0,
              1000.0, 2500.0, 5000.0, 10000.0, 30000.0, float("inf"))

CONTENT_TYPE = CONTENT_TYPE_LATEST

# pending round trips kept at most (oldest dropped): an update whose ack never comes (task
# of a framework torn down) must not grow the daemon's memory
_MAX_PENDING = 100_000


def prom_name(name: str) -> str:
    """Mesos's metric name -> a legal Prometheus name (`/` and any other illegal char -> `_`)."""
    n = _BAD.sub("_", name)
    if not n or n[0].isdigit():
        n = "_" + n
    return n


class _Gauges:
    """A collector of the snapshot's gauges plus the labelled families of `labelled()`."""

    def __init__(self, snapshot: Callable[[], dict[str, float]],
                 labelled: Callable[[], Iterable[Metric]] | None) -> None:
        self.snapshot = snapshot
        self.labelled = labelled

    def collect(self) -> Iterator[Metric]:
        seen: set[str] = set()
        for name, value in sorted(self.snapshot().items()):
            pn = prom_name(name)
            if pn in seen:  # two Mesos names that map to one Prometheus name: first wins
                continue
            seen.add(pn)
            yield GaugeMetricFamily(pn, f"Mesos metric {name}", value=float(value))
        if self.labelled is not None:
            yield from self.labelled()


class DaemonMetrics:
    """One registry per daemon (never the process-global one: tests run several daemons in
    one process)."""

    HISTOGRAMS: tuple[tuple[str, str], ...] = ()

    def __init__(self, snapshot: Callable[[], dict[str, float]],
                 labelled: Callable[[], Iterable[Metric]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.histograms: dict[str, Histogram] = {}
        for name, doc in self.HISTOGRAMS:
            self.histograms[name] = Histogram(prom_name(name), doc, buckets=MS_BUCKETS,
                                              registry=self.registry)
        self.registry.register(_Gauges(snapshot, labelled))  # type: ignore[arg-type]
        self._sent: OrderedDict[bytes, float] = OrderedDict()

    def observe_ms(self, name: str, ms: float) -> None:
        self.histograms[name].observe(ms)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # round trips keyed by an update's uuid
    def _start(self, key: bytes) -> None:
        if key in self._sent:
            return  # a retry: the round trip counts from the first send
        self._sent[key] = time.monotonic()
        if len(self._sent) > _MAX_PENDING:
            self._sent.popitem(last=False)

    def _finish(self, name: str, key: bytes) -> None:
        t0 = self._sent.pop(key, None)
        if t0 is not None:
            self.observe_ms(name, (time.monotonic() - t0) * 1000.0)


class MasterMetrics(DaemonMetrics):
    HISTOGRAMS = (
        ("allocator/mesos/allocation_run_ms", "Time of one allocation cycle (ms)"),
        ("allocator/mesos/allocation_run_latency_ms",
         "Lateness of the periodic allocation: when it ran minus when it was due (ms)"),
        ("registrar/state_store_ms", "Time of one registry write (ms)"),
        ("master/status_update_round_trip_ms",
         "From forwarding a status update to the scheduler to acknowledging it to the agent (ms)"),
    )

    def __init__(self, daemon: Any) -> None:
        self.d = daemon
        super().__init__(daemon.metrics_snapshot, self.labelled)
        self._wrapped: Any = None
        self._allocation_due: float | None = None
        machine = daemon.machine
        inner = machine.step
        from mesotron.core.effects import SetTimer, TimerFired
        from mesotron.core.master.machine import LeadershipGained

        latency = self.histograms["allocator/mesos/allocation_run_latency_ms"]
        key = ("allocation",)

        def step(now: float, inp: Any) -> Any:
            # the master makes a new allocator whenever it (re)gains leadership
            if machine.allocator is not self._wrapped:
                self._time_allocator(machine.allocator)
            kind = type(inp)
            if kind is TimerFired and inp.key == key and self._allocation_due is not None:
                latency.observe(max(0.0, (now - self._allocation_due) * 1000.0))
            effects = inner(now, inp)
            # the periodic allocation is (re)armed when leading starts and when it fires
            if kind is TimerFired or kind is LeadershipGained:
                for e in effects:
                    if type(e) is SetTimer and e.key == key:
                        self._allocation_due = e.at
            return effects

        machine.step = step

    def _time_allocator(self, allocator: Any) -> None:
        from mesotron.core.allocator.values import Allocate

        inner = allocator.step
        hist = self.histograms["allocator/mesos/allocation_run_ms"]

        def step(now: float, inp: Any) -> Any:
            if type(inp) is not Allocate:
                return inner(now, inp)
            t0 = time.perf_counter()
            try:
                return inner(now, inp)
            finally:
                hist.observe((time.perf_counter() - t0) * 1000.0)

        allocator.step = step
        self._wrapped = allocator

    def on_send(self, message: Any) -> None:
        """Every message the master sends (scheduler events included)."""
        name = type(message).__name__
        if name == "EventUpdate":
            uuid = getattr(message.status, "uuid", None)
            if uuid is not None:
                self._start(uuid)
        elif name == "StatusUpdateAcknowledgement":
            self._finish("master/status_update_round_trip_ms", message.uuid)

    def labelled(self) -> Iterator[Metric]:
        m = self.d.machine
        sub = GaugeMetricFamily("master_frameworks_subscribed",
                                "Mesos master/frameworks/<name>/<id>/subscribed",
                                labels=["framework_id", "framework_name"])
        active = GaugeMetricFamily("master_frameworks_tasks_active",
                                   "Mesos master/frameworks/<name>/<id>/tasks/active/<state>",
                                   labels=["framework_id", "framework_name", "state"])
        terminal = GaugeMetricFamily("master_frameworks_tasks_terminal",
                                     "Mesos master/frameworks/<name>/<id>/tasks/terminal/<state>",
                                     labels=["framework_id", "framework_name", "state"])
        offers = GaugeMetricFamily("master_frameworks_offers_outstanding",
                                   "Offers the framework holds and has not answered",
                                   labels=["framework_id", "framework_name"])
        shares = GaugeMetricFamily("allocator_mesos_roles_shares_dominant",
                                   "Mesos allocator/mesos/roles/<role>/shares/dominant",
                                   labels=["role"])
        weights = GaugeMetricFamily("allocator_mesos_roles_weight", "The role's DRF weight",
                                    labels=["role"])
        roles: set[str] = set()
        for fid, fw in sorted(m._frameworks.items()):
            lab = [fid, fw.info.name]
            sub.add_metric(lab, 1.0 if fw.connected else 0.0)
            counts: dict[tuple[bool, str], int] = {}
            for t in list(fw.tasks.values()) + list(fw.completed_tasks.values()):
                key = (t.state.is_terminal, t.state.name)
                counts[key] = counts.get(key, 0) + 1
            for (term, state), n in sorted(counts.items()):
                (terminal if term else active).add_metric([*lab, state], float(n))
            offers.add_metric(lab, float(len(fw.offers)))
            roles.update(fw.info.roles)
        if m.leader:
            for role in sorted(roles):
                shares.add_metric([role], m.allocator.role_share(role))
                weights.add_metric([role], m.allocator.weight(role))
        yield from (sub, active, terminal, offers, shares, weights)


class AgentMetrics(DaemonMetrics):
    HISTOGRAMS = (
        ("slave/status_update_round_trip_ms",
         "From sending a status update to the master to receiving its acknowledgement (ms)"),
    )

    def __init__(self, daemon: Any) -> None:
        super().__init__(daemon.metrics_snapshot)

    def on_send(self, message: Any) -> None:
        if type(message).__name__ == "StatusUpdateMessage":
            self._start(message.update.uuid)

    def on_received(self, message: Any) -> None:
        if type(message).__name__ == "StatusUpdateAcknowledgement":
            self._finish("slave/status_update_round_trip_ms", message.uuid)


def time_registry_write(metrics: MasterMetrics | None, t0: float) -> None:
    """Observe a registry write that began at `t0` (time.perf_counter())."""
    if metrics is not None:
        metrics.observe_ms("registrar/state_store_ms", (time.perf_counter() - t0) * 1000.0)
