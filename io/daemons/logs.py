"""structlog setup for the daemons and the `Log` effect.

- `--log-format text|json`: key=value lines (structlog's console renderer, no colours) or one
  JSON object a line.
- `--log-level debug|info|warning|error`.
- `--log-dir DIR`: lines go to `DIR/mesotron-<daemon>.log` instead of stderr, rotated at
  `--log-max-size` bytes (default 10 MiB) keeping `--log-backups` old files (default 5:
  `.log.1` ... `.log.5`, as logging.handlers.RotatingFileHandler names them).
- Every line carries `daemon` (master, agent, local) and the daemon's ids (`daemon_ids`:
  the master's `master_id` and `pid`; the agent's `pid` and, once registered, `agent_id`);
  the core's Log effects add the framework / agent / task ids of the event
  (`framework_id`, `agent_id`, `task_id`: short names `task=`, `framework=`, `agent=` are
  renamed to those).
- The standard library's loggers (hypercorn, kazoo, the ZooKeeper bridge) log warnings and
  errors through the same renderer, sink, ids and redaction.
- Secrets are never written: a field whose name contains secret, password, passwd, token,
  credential or authorization is replaced by `***`, and a `user:password@` in any string
  value (zk://user:pass@host URLs) has its password replaced by `***`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Callable
from typing import Any


def _structlog_without_rich() -> Any:
    """`import structlog`, with `rich` hidden while it loads: structlog.dev imports rich for
    pretty tracebacks (~60 ms of every daemon's and executor's start, ~700 starts per `make
    test`), and the daemons render text logs without colours and with plain tracebacks
    (structlog's `plain_traceback`). A later `import rich` (the CLI's progress bars) works."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        import structlog
        return structlog
    sys.modules["rich"] = None  # type: ignore[assignment]  # ImportError for rich only
    try:
        import structlog
    finally:
        del sys.modules["rich"]
    return structlog


structlog = _structlog_without_rich()

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}
_SECRET_KEY = re.compile(r"secret|passw|token|credential|authorization", re.IGNORECASE)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@",
                       re.IGNORECASE)
_RENAME = {"task": "task_id", "framework": "framework_id", "agent": "agent_id",
           "executor": "executor_id"}

# the daemon's ids, added to every line: name -> value, or a callable giving the value
# (None: not known yet, left out)
_ids: dict[str, Any] = {}
_sink: RotatingFile | None = None
_root_saved: tuple[list[logging.Handler], int] | None = None  # restored by close()


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


_threshold: dict[str, int] = {}  # "level": the configured --log-level (configure())


def enabled(method: str) -> bool:
    """Would a line logged with `method` ("info", "debug", ...) pass the configured level
    (or the raised verbosity)? True before `configure()`. Lets a hot path skip building a
    line that `_verbosity_filter` would drop after structlog's processing began."""
    threshold = _threshold.get("level")
    return threshold is None or _LEVELS.get(method, logging.INFO) >= threshold or bool(verbosity())


def _verbosity_filter(threshold: int) -> Any:
    _threshold["level"] = threshold

    def processor(_logger: Any, method: str, event: Any) -> Any:
        if _LEVELS.get(method, logging.INFO) < threshold and not verbosity():
            raise structlog.DropEvent
        return event
    return processor


def daemon_ids(**ids: str | Callable[[], str | None] | None) -> None:
    """Add (or replace) ids carried by every line from now on."""
    _ids.update(ids)


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", value)
    return value


def _add_ids(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for k, v in _ids.items():
        if k in event:
            continue
        if callable(v):
            try:
                v = v()
            except Exception:  # noqa: BLE001 - an id is best effort, never a crash
                v = None
        if v is not None and v != "":
            event[k] = v
    return event


def _rename_and_redact(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for short, full in _RENAME.items():
        if short in event and full not in event:
            event[full] = event.pop(short)
    for k in list(event):
        if k != "event" and _SECRET_KEY.search(k):
            event[k] = "***"
        else:
            event[k] = redact(event[k])
    return event


class RotatingFile:
    """A file-like sink for structlog's WriteLogger that rotates by size (one write = one
    line, as WriteLogger writes)."""

    def __init__(self, path: str, max_bytes: int, backups: int) -> None:
        self.handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, text: str) -> None:
        self.handler.emit(logging.makeLogRecord({"msg": text.rstrip("\n"), "args": None}))

    def flush(self) -> None:
        self.handler.flush()

    def close(self) -> None:
        self.handler.close()


def configure(fmt: str = "text", level: str = "info", component: str = "mesotron",
              log_dir: str | None = None, max_bytes: int = 10 * 1024 * 1024,
              backups: int = 5) -> Any:
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    global _sink
    close()
    sink: Any = sys.stderr
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        sink = _sink = RotatingFile(os.path.join(log_dir, f"mesotron-{component}.log"),
                                    max_bytes, backups)
    _ids.clear()
    _ids["daemon"] = component
    structlog.configure(
        processors=[
            _verbosity_filter(_LEVELS.get(level, logging.INFO)),
            structlog.contextvars.merge_contextvars,
            _add_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            _rename_and_redact,
            renderer,
        ],
        # filtered by _verbosity_filter (SET_LOGGING_LEVEL may lower the threshold for a while)
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.WriteLoggerFactory(file=sink),
        cache_logger_on_first_use=True,
    )
    # the standard library's loggers (hypercorn, kazoo, io/zk/bridge.py): warnings and up, in
    # the same format and sink, with the same ids and redaction
    h = logging.StreamHandler(sink)
    h.setLevel(logging.WARNING)
    h.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=[_add_ids, structlog.stdlib.add_logger_name,
                           structlog.processors.add_log_level,
                           structlog.processors.TimeStamper(fmt="iso"), _rename_and_redact]))
    global _root_saved
    root = logging.getLogger()
    if _root_saved is None:
        _root_saved = (list(root.handlers), root.level)
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(h)
    root.setLevel(logging.WARNING)
    return structlog.get_logger()


def close() -> None:
    """Undo `configure`: the standard library's root logger as it was, structlog's defaults,
    the log file (if any) closed."""
    global _sink, _root_saved
    if _root_saved is not None:
        root = logging.getLogger()
        for h in list(root.handlers):
            root.removeHandler(h)
        handlers, level = _root_saved
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        _root_saved = None
    structlog.reset_defaults()
    _threshold.clear()
    if _sink is not None:
        _sink.close()
        _sink = None


def configure_from(args: Any, component: str) -> Any:
    """`configure` with the daemon's logging flags (flags.add_logging_flags)."""
    return configure(args.log_format, args.log_level, component=component,
                     log_dir=getattr(args, "log_dir", None),
                     max_bytes=getattr(args, "log_max_size", 10 * 1024 * 1024),
                     backups=getattr(args, "log_backups", 5))


def log_effect(log: Any, effect: Any) -> None:
    """Route a core `Log` effect to structlog."""
    fn = getattr(log, effect.level, log.info)
    fn(effect.event, **dict(effect.fields))
