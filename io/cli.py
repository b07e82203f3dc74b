"""`mesotron` command line: placeholder entry until the daemons land."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print("mesotron: no commands yet", file=sys.stderr)
    return 2
