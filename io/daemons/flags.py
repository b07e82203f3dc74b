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


def rate_limit(text: str) -> tuple[int, float]:
    """argparse type for Mesos's rate limits `N/duration` (`1/20mins`, `5/1secs`): (N,
    seconds), N >= 1 and a positive duration."""
    n, sep, dur = str(text).partition("/")
    try:
        permits, seconds = int(n), parse_duration(dur)
    except ValueError:
        permits, seconds = 0, 0.0
    if not sep or permits < 1 or not seconds > 0:
        raise argparse.ArgumentTypeError(
            f"invalid rate limit {text!r} (expected N/duration, e.g. 1/20mins)")
    return permits, seconds


def parse_whitelist(text: str) -> frozenset[str]:
    """A --whitelist file's text: one hostname per line (blank lines and surrounding spaces
    ignored), as Mesos reads it."""
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


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


# ------------------------------------------------------------------ flags from elsewhere
class FlagSourceError(ValueError):
    """An unknown flag (or unreadable flags file): the message names the flag and its source."""


def _long_options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """`work_dir` -> the action of `--work-dir` (every long option, spelled with `_`)."""
    out = {}
    for action in parser._actions:
        for opt in action.option_strings:
            if opt.startswith("--"):
                out[opt[2:].replace("-", "_")] = action
    return out


def _as_argv(action: argparse.Action, value: str, source: str) -> list[str]:
    opt = next(o for o in action.option_strings if o.startswith("--"))
    if action.nargs == 0:  # store_true / store_false
        v = value.strip().lower()
        if v not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise FlagSourceError(f"{source}: {opt} takes true or false, got {value!r}")
        on = v in ("1", "true", "yes", "on", "")
        want = on if isinstance(action, argparse._StoreTrueAction) else not on
        return [opt] if want else []
    return [f"{opt}={value}"]


def read_flags_file(path: str) -> list[tuple[str, str, str]]:
    """(name, value, where) from a flags file: a JSON object {"flag": value, ...} or lines
    `flag=value` / `--flag=value` / `flag value` (`#` comments, blank lines ignored)."""
    import json

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise FlagSourceError(f"--flags-file {path}: {e.strerror or e}") from None
    out: list[tuple[str, str, str]] = []
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise FlagSourceError(f"--flags-file {path}: invalid JSON: {e}") from None
        if not isinstance(data, dict):
            raise FlagSourceError(f"--flags-file {path}: expected a JSON object")
        for k, v in data.items():
            val = ("true" if v else "false") if isinstance(v, bool) else str(v)
            out.append((str(k), val, f"{path} ({k})"))
        return out
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, _, value = line.partition(" ")
        out.append((key.strip().lstrip("-"), value.strip(), f"{path} line {n}"))
    return out


def external_argv(parser: argparse.ArgumentParser, environ: dict[str, str],
                  flags_file: str | None) -> list[str]:
    """Flags from a file and the environment, as argv to put BEFORE the command line's own
    (argparse keeps the last value: command line > MESOTRON_<FLAG> > MESOS_<FLAG> > file).

    The environment: `MESOTRON_<FLAG>` and Mesos's `MESOS_<FLAG>` (`MESOS_WORK_DIR`...);
    variables that name no flag of this command are ignored (executors and tasks get many
    MESOS_* variables that are not flags). The file: every entry must name a flag of the
    command (FlagSourceError otherwise)."""
    known = _long_options(parser)
    known.pop("flags_file", None)
    known.pop("help", None)
    argv: list[str] = []
    if flags_file:
        for key, value, where in read_flags_file(flags_file):
            name = key.replace("-", "_").lower()
            if name not in known:
                raise FlagSourceError(f"unknown flag {key!r} in {where}")
            argv += _as_argv(known[name], value, where)
    for prefix in ("MESOS_", "MESOTRON_"):
        for var in sorted(environ):
            if var.startswith(prefix):
                name = var[len(prefix):].lower()
                if name in known:
                    argv += _as_argv(known[name], environ[var], var)
    return argv
