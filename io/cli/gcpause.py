"""The shell's garbage-collector policy for bulk simulation (`mesotron sim`, `mesotron check
--exhaustive`, the mutation judge's processes): the cyclic collector is paused while a run
executes and a full collection follows it.

A simulation allocates millions of short-lived acyclic values (immutable attrs records,
tuples, dicts) and almost no reference cycles: with the collector on, CPython walks the
young generation every 2,000 allocations and the whole heap every few hundred thousand, for
nothing (+30 % events/s with it paused; max RSS the same: docs/performance.md). core/ stays
free of it (no process-level state in the pure code): the shell decides.
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
