"""Planted bugs inside real daemons, for the lab's checker tests only (issue 17).

`MESOTRON_PLANT_BUG=<name>` makes a master or agent run with one of the simulator's bug
switches (core/sim/bugs.py `BUGS`) enabled for its whole life, so a campaign on real
daemons can show the checker catching it. It is refused (the daemon exits 2 with a
message) unless `MESOTRON_TEST_ONLY_PLANTED_BUGS=1` is also set; it is never on by default
and no flag or config file reaches it.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

ENV_BUG = "MESOTRON_PLANT_BUG"
ENV_ALLOW = "MESOTRON_TEST_ONLY_PLANTED_BUGS"


class PlantedBugRefused(ValueError):
    pass


def planted_bug(environ: Any = None) -> contextlib.AbstractContextManager[Any]:
    """The bug named by the environment, as a context manager (a null one when none is
    asked). PlantedBugRefused: asked without the test-only switch, or an unknown name."""
    env = os.environ if environ is None else environ
    name = env.get(ENV_BUG, "")
    if not name:
        return contextlib.nullcontext()
    if env.get(ENV_ALLOW) != "1":
        raise PlantedBugRefused(f"{ENV_BUG}={name} refused: planted bugs are for tests only "
                                f"(set {ENV_ALLOW}=1 in a test)")
    from mesotron.core.sim.bugs import BUGS

    if name not in BUGS:
        raise PlantedBugRefused(f"{ENV_BUG}={name}: no such bug (core/sim/bugs.py)")
    return BUGS[name]()


def run_daemon(name: str, main_async: Any, args: Any) -> int:
    """`trio.run(main_async, args)` for the daemon `name` with the planted bug the
    environment asks for (tests only): 2 when refused, 1 on an OSError, each with one line."""
    import sys

    import trio

    try:
        bug = planted_bug()
    except PlantedBugRefused as e:
        print(f"mesotron {name}: {e}", file=sys.stderr)
        return 2
    try:
        with bug:
            result: int = trio.run(main_async, args)
            return result
    except OSError as e:
        print(f"mesotron {name}: {e}", file=sys.stderr)
        return 1
