"""structlog setup for the daemons (text or JSON lines on stderr) and the `Log` effect."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


def configure(fmt: str = "text", level: str = "info", component: str = "mesotron") -> Any:
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # keep hypercorn's own loggers quiet unless they have something to say
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return structlog.get_logger(component=component)


def log_effect(log: Any, effect: Any) -> None:
    """Route a core `Log` effect to structlog."""
    fn = getattr(log, effect.level, log.info)
    fn(effect.event, **dict(effect.fields))
