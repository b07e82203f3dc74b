"""Small pieces the example frameworks share (examples/*.py); not part of the package.

Every example is a real framework on mesotron's Trio scheduler client
(`mesotron.io.wire.scheduler_client.SchedulerClient`, the v1 scheduler API).
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any

from mesotron.core.messages import CallAcknowledge
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute

R = Resources.parse


def py(code: str, *args: str) -> str:
    """A shell command running `code` with this interpreter (tasks run on this machine)."""
    return " ".join(shlex.quote(x) for x in (sys.executable, "-c", code, *args))


def user() -> str:
    return os.environ.get("USER", "mesotron")


async def ack(s: Any, status: Any) -> None:
    """Acknowledge an update that carries a uuid (master-generated ones do not)."""
    if status.uuid is not None and status.agent_id is not None:
        await s.call(CallAcknowledge(agent_id=status.agent_id, task_id=status.task_id,
                                     uuid=status.uuid))


def attr(offer: Any, name: str) -> str | None:
    """An offer's agent attribute as text ('hostname' is the offer's hostname)."""
    if name == "hostname":
        return str(offer.hostname)
    for a in offer.attributes:
        if isinstance(a, Attribute) and a.name == name:
            return str(a.value)
    return None


def ports_of(resources: Resources) -> list[int]:
    """Every port in a Resources' `ports` ranges, ascending."""
    out: list[int] = []
    for lo, hi in resources.ranges("ports"):
        out.extend(range(lo, hi + 1))
    return sorted(out)
