"""Word count, MapReduce style, as a mesotron (Mesos v1 API) framework: the command-line
front end of `examples/wordcount_demo.py` (the framework itself lives there).

    python examples/wordcount.py --master 127.0.0.1:5050 [--text FILE] [--maps 4] [--reduces 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile

import trio
from wordcount_demo import DEFAULT_TEXT, top_words, wordcount


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True)
    p.add_argument("--text", default=DEFAULT_TEXT)
    p.add_argument("--maps", type=int, default=4)
    p.add_argument("--reduces", type=int, default=2)
    p.add_argument("--top", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="wordcount-") as work:
        counts = trio.run(wordcount, args.master, args.text, args.maps, args.reduces, work)
    print(f"wordcount: {sum(counts.values())} words, {len(counts)} distinct; most frequent:")
    for w, n in top_words(counts, args.top):
        print(f"  {n:5d}  {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
