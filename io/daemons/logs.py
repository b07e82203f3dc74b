"""structlog setup for the daemons (text or JSON lines on stderr) and the `Log` effect."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


# SET_LOGGING_LEVEL (operator API): a glog-style verbosity raised for a while. 0 logs at the
# configured --log-level; >= 1 also logs debug lines, until the deadline passes (checked on
# each line, so the level really reverts without a timer task).
_verbosity: dict[str, float] = {"level": 0, "until": 0.0}


def set_verbosity(level: int, duration: float) -> None:
    import time

    _verbosity["level"] = level
    _verbosity["until"] = time.monotonic() + duration


def verbosity() -> int:
    import time

    if _verbosity["level"] and time.monotonic() >= _verbosity["until"]:
        _verbosity["level"] = 0
    return int(_verbosity["level"])


def _verbosity_filter(threshold: int) -> Any:
    def processor(_logger: Any, method: str, event: Any) -> Any:
        if _LEVELS.get(method, logging.INFO) < threshold and not verbosity():
            raise structlog.DropEvent
        return event
    return processor


def configure(fmt: str = "text", level: str = "info", component: str = "mesotron") -> Any:
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            _verbosity_filter(_LEVELS.get(level, logging.INFO)),
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        # filtered by _verbosity_filter (SET_LOGGING_LEVEL may lower the threshold for a while)
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
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
