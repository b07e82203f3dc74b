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
