"""The shell's garbage-collector policy for simulation runs (`mesotron sim` single runs and
campaign seeds, the mutation judge's runs in core/sim/mutate.py, bench/sim.py): the cyclic
collector is paused while one run executes, and the caller collects once the run's result is
dropped.

A run allocates millions of short-lived acyclic values (immutable attrs records, tuples,
dicts) that reference counting frees; the collector's passes over them find nothing until
the run ends. The finished run's world, though, is one web of reference cycles (nodes,
bound methods in the event heap, the checker and the world pointing at each other: 7,000-
27,000 objects per seed at 2,000 events) that only a collection frees: never pause across
several runs without one. The pause saves ~1.3 % of a run's instructions (docs/performance.md,
s13-speed); max RSS of a run is the same. core/ stays free of it (no process-level state in
the pure code): the shell decides. Not used by `mesotron check --exhaustive`: the explorer's
state counts depend on the collector's timing (same section).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused(collect: bool = True) -> Iterator[None]:
    """Disable the cyclic collector for the block (restored as it was after), then run one
    full collection (`collect`): whatever cycles the block left are freed at once."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        if collect:
            gc.collect()
