"""Shared by the simulator's planted-bug tests: the clean run of a configuration, once per
test process.

A simulated run is a pure function of its SimConfig and the code (core/sim/config.py), so
every planted-bug test that checks "the same seed without the bug is clean" on the same
configuration asks the same question; `clean_failure` answers it once per pytest worker
and hands the same answer to the others. Call it only with no bug planted and nothing
monkeypatched (outside the test's `with bugs.BUGS[...]()` block, and not from a test that
mutes a property): the answer is kept for the later callers."""

from __future__ import annotations

import functools

from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate


@functools.cache
def clean_failure(config: SimConfig) -> str | None:
    """The failure report of `config`'s run on the real code; None when it is clean."""
    return simulate(config).failure
