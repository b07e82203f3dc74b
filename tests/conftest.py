"""Shared pytest configuration: Hypothesis profiles (CI: derandomized, no database), and a
private ZooKeeper server per test module that asks for `zk_server` (skipped when the system
package is missing; `make test` installs it)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

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


# Parallel runs: `make test` runs pytest-xdist with `--dist loadgroup`. Every test module is
# its own group, so it stays on one worker (its module-scoped fixtures, e.g. the private
# ZooKeeper server, start once and its tests keep their order); modules that share
# machine-wide state form one group and run on one worker, one after the other.
SHARED_GROUPS = {
    # network namespaces, links and /etc/netns of every lab: the tests compare `leftovers()`
    # (all labs' namespaces) before and after, and `lab chaos` picks a subnet from its lab id
    "lab": ("test_lab.py", "test_lab_network.py", "test_lab_planted.py"),
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            name = item.path.name
            group = next((g for g, files in SHARED_GROUPS.items() if name in files), name)
            item.add_marker(pytest.mark.xdist_group(group))
