"""Shared pytest configuration: Hypothesis profiles (CI: derandomized, no database), and a
private ZooKeeper server per test module that asks for `zk_server` (skipped when the system
package is missing; `make test` installs it)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# the test kit (real daemons on loopback) lives beside the tests, out of the product
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mesotron.io.zk.server import ZkServer, running_zookeeper, zookeeper_available

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="module")
def zk_server() -> Iterator[ZkServer]:
    reason = zookeeper_available()
    if reason is not None:
        pytest.skip(reason)
    with running_zookeeper() as server:
        yield server


# (s19 suite) Parallel runs share the planted-bug tests' clean runs (tests/simkit.py): each
# xdist worker's base temporary directory is `popen-gwN` inside the run's own, so their
# parent is this run's and both workers' (pytest's retention policy removes it later).
@pytest.fixture(scope="session", autouse=True)
def _shared_clean_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        yield
        return
    import simkit

    simkit.SHARED = tmp_path_factory.getbasetemp().parent / "mesotron-clean-runs"
    yield


# Parallel runs: `make test` runs pytest-xdist with `--dist loadfile`: every test module stays
# on one worker (its module-scoped fixtures, e.g. the private ZooKeeper server, start once,
# and its tests keep their order). (`--dist loadgroup` with xdist_group marks does not group
# on pytest 9.2: xdist 3.8.0 renames `item._nodeid`, which pytest no longer reads.)
# The lab's modules share machine-wide state: they compare `leftovers()` (every lab's
# namespaces and links) before and after, and a lab's subnet derives from its id. So one of
# them at a time runs, across workers (and across suites on this machine): a file lock held
# for the whole module, taken before the module's own fixtures (a lab up for the module).
LAB_MODULES = ("test_lab.py", "test_lab_network.py", "test_lab_planted.py")


@pytest.fixture(scope="module", autouse=True)
def _one_lab_module_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.path.name not in LAB_MODULES:
        yield
        return
    import fcntl
    import tempfile

    with open(os.path.join(tempfile.gettempdir(), "mesotron-lab-tests.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


# Parallel runs, balance: xdist hands work units to the workers one at a time as a worker
# frees up, by default (--loadscope-reorder) the units with the most tests first. A unit is
# a test module (loadfile), except for the modules of SPLIT_MODULES (independent tests: no
# module fixture, no order between them), whose every test is a unit of its own
# (pytest_xdist_make_scheduler below): test_sim_bugs.py (~100 independent planted-bug
# simulations, the longest module by far) ran as one unit on one worker; its tests are now
# one-test units, so they are handed out last, as small units that fill whichever worker
# frees up first while the other finishes a long module.
SPLIT_MODULES = ("test_sim_bugs.py",)

# ... and the longest modules first: the number of tests says little of a module's time (a
# module of one 200-run campaign outlasts one of fifty unit tests), so the modules measured
# longest are handed out first, longest first (longest processing time first), then the
# others by their number of tests, then the one-test units. Measured in s17 (`--durations`,
# summed per module, on a loaded machine): the smoke campaign 801 s, test_sim_mutate 605,
# test_sim_trace 482 (one test), test_s14_kops 423, test_s13_mops 357, test_s13_mmaster 223,
# test_tutorial 204, test_daemons_recovery 174, test_s14_kmaster 170, test_tla 166,
# test_daemons_isolation 162, test_sim 159, test_fuzz_campaign 145, test_cluster_stateful
# 145; the default order had handed the campaign and TLC's models out last, and one worker
# ran alone for minutes after the other had finished.
LONG_FIRST: tuple[str, ...] = (
    "test_sim_campaign.py", "test_sim_mutate.py", "test_sim_trace.py", "test_s14_kops.py",
    "test_s13_mops.py", "test_s13_mmaster.py", "test_tutorial.py", "test_daemons_recovery.py",
    "test_s14_kmaster.py", "test_tla.py", "test_daemons_isolation.py", "test_sim.py",
    "test_fuzz_campaign.py", "test_cluster_stateful.py")


def work_unit(nodeid: str) -> str:
    """The xdist work unit of a test: its module, or itself in a SPLIT_MODULES module."""
    path = nodeid.split("::", 1)[0]
    return nodeid if os.path.basename(path) in SPLIT_MODULES else path


def unit_rank(unit: str) -> int:
    """A work unit's place in the hand-out order: a LONG_FIRST module's index in it, any
    other unit after them (in xdist's own order among themselves)."""
    if "::" not in unit and os.path.basename(unit) in LONG_FIRST:
        return LONG_FIRST.index(os.path.basename(unit))
    return len(LONG_FIRST)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SplitSomeFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # the first unit of the lowest rank goes next (min keeps the queue's order)
            first = min(self.workqueue, key=unit_rank)
            self.workqueue.move_to_end(first, last=False)
            super()._assign_work_unit(node)

    return SplitSomeFiles(config, log)  # type: ignore[arg-type]
