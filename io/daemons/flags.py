"""Flag parsing shared by the daemons: Mesos durations, `host:port`, roles/weights lists."""

from __future__ import annotations

import argparse
import re

_UNITS = {
    "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "secs": 1.0, "sec": 1.0, "s": 1.0,
    "mins": 60.0, "min": 60.0, "hrs": 3600.0, "hr": 3600.0, "days": 86400.0, "weeks": 604800.0,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*$")


def parse_duration(text: str) -> float:
    """Mesos/stout durations (`500ms`, `10secs`, `2mins`, `1hrs`) or plain seconds -> seconds."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"invalid duration {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    if unit and unit not in _UNITS:
        raise ValueError(f"invalid duration unit in {text!r}")
    return value * _UNITS.get(unit, 1.0)


def format_duration(seconds: float) -> str:
    return f"{seconds:g}secs"


def duration(text: str) -> float:
    """argparse type for durations."""
    try:
        return parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def host_port(text: str, default_port: int = 5050) -> tuple[str, int]:
    """`host:port`, `host`, or `http://host:port[/...]` -> (host, port)."""
    t = text.strip()
    for prefix in ("http://", "https://"):
        t = t.removeprefix(prefix)
    t = t.split("/", 1)[0]
    if not t:
        raise ValueError(f"invalid address {text!r}")
    if ":" in t:
        host, port = t.rsplit(":", 1)
        return host, int(port)
    return t, default_port


def master_address(text: str) -> tuple[str, int]:
    try:
        return host_port(text, 5050)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_roles(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    return tuple(r.strip() for r in text.split(",") if r.strip())


def parse_weights(text: str | None) -> tuple[tuple[str, float], ...]:
    """`role1=2.0,role2=1` -> (("role1", 2.0), ("role2", 1.0))."""
    if not text:
        return ()
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        role, _, w = part.partition("=")
        out.append((role.strip(), float(w)))
    return tuple(out)


def add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--log-level", default="info",
                        choices=("debug", "info", "warning", "error"))
    parser.add_argument("--log-dir", default=None,
                        help="write logs to DIR/mesotron-<daemon>.log (rotated) instead of stderr")
    parser.add_argument("--log-max-size", type=byte_size, default=10 * 1024 * 1024,
                        help="rotate the log file at this size (bytes, or 10MB, 512KB...; "
                             "default 10MB)")
    parser.add_argument("--log-backups", type=int, default=5,
                        help="rotated log files kept (default 5)")


_SIZE = re.compile(r"^\s*([0-9]+)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)


def byte_size(text: str) -> int:
    """argparse type: `1048576`, `512KB`, `10MB`, `1GB` (powers of 1024, as Mesos's Bytes)."""
    m = _SIZE.match(str(text))
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (e.g. 10MB)")
    unit = (m.group(2) or "b").lower()
    n = int(m.group(1)) * {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}[unit]
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be > 0")
    return n
