"""Shared by the simulator's planted-bug tests: the clean run of a configuration, once per
test process.

A simulated run is a pure function of its SimConfig and the code (core/sim/config.py), so
every planted-bug test that checks "the same seed without the bug is clean" on the same
configuration asks the same question; `clean_failure` answers it once per pytest worker
and hands the same answer to the others. Call it only with no bug planted and nothing
monkeypatched (outside the test's `with bugs.BUGS[...]()` block, and not from a test that
mutes a property): the answer is kept for the later callers.

(s19 suite) Under `make test`'s two xdist workers the answer is also shared between them:
a clean run's report is left in a directory of this test run (`SHARED`, set by
tests/conftest.py in each worker: under the base temporary directory both workers' own
temporary directories are in, so it is this run's only and pytest's retention removes
it), and a worker that finds it there reads it instead of running the same simulation
again (the code is the same for both workers of a run). Outside xdist it stays per
process."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import attrs
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate

SHARED: Path | None = None  # this test run's directory of clean reports (xdist workers)


def _canonical(v: Any) -> Any:
    """A value of a configuration as JSON that does not depend on the process (the order of
    a frozenset's repr follows the string hash seed, which differs between workers)."""
    if isinstance(v, (set, frozenset)):
        return sorted((_canonical(x) for x in v), key=repr)
    if isinstance(v, (list, tuple)):
        return [_canonical(x) for x in v]
    if isinstance(v, dict):
        return sorted(([_canonical(k), _canonical(x)] for k, x in v.items()), key=repr)
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return repr(v)


def config_key(config: SimConfig) -> str:
    """A name of `config` that equal configurations share in every process."""
    fields = {k: _canonical(x) for k, x in attrs.asdict(config, recurse=False).items()}
    text = json.dumps([type(config).__qualname__, fields], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@functools.cache
def clean_failure(config: SimConfig) -> str | None:
    """The failure report of `config`'s run on the real code; None when it is clean."""
    if SHARED is None:
        return simulate(config).failure
    import fcntl

    SHARED.mkdir(parents=True, exist_ok=True)
    path = SHARED / f"{config_key(config)}.json"
    # one worker runs it; one that asks meanwhile waits for its report (the CPU is the
    # bound: `make test` keeps both cores busy) instead of running the same simulation
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return json.loads(path.read_text())["failure"]  # type: ignore[no-any-return]
        failure = simulate(config).failure
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"config": repr(config), "failure": failure}))
        os.replace(tmp, path)  # whole or absent for a reader
        return failure
