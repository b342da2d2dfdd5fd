"""``python -m nbgraph.cache info | list | clear | prune``: look after the compile cache
(Theano's ``theano-cache``).

``info`` shows where the cache is, how many entries it has and their size against the bound
(``config.cache_max_mb``); ``list`` shows each entry, least recently used first; ``clear``
removes every entry; ``prune`` removes broken entries, leftovers of killed builds and the
least recently used entries beyond the bound. ``--dir`` names another cache directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .config import config
from .link import cache
from .link.cache_admin import clear, entries, leftovers
from .link.cache_trust import why_untrusted

MIB = 2**20


def _info(compiledir: str) -> list[str]:
    found = entries(compiledir)
    size = sum(e.size for e in found)
    trust = why_untrusted(compiledir)
    return [f"compiledir: {compiledir}" + (f" (not used: it {trust})" if trust else ""),
            f"entries:    {len(found)}",
            f"size:       {size / MIB:.2f} MiB of {config.cache_max_mb:g} MiB",
            f"leftovers:  {len(leftovers(compiledir))} (temporary directories, lock files "
            f"older than an hour)"]


def _list(compiledir: str) -> list[str]:
    lines = [f"{'key':16}  {'KiB':>8}  last used"]
    for e in entries(compiledir):
        used = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.last_used))
        lines.append(f"{e.key:16}  {e.size / 1024:8.1f}  {used}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbgraph.cache",
                                     description="Look after nbgraph's compile cache.")
    parser.add_argument("command", choices=("info", "list", "clear", "prune"),
                        help="info: summary; list: entries by last use; clear: remove all; "
                        "prune: remove broken, leftover and least recently used entries")
    parser.add_argument("--dir", default=None,
                        help="the cache directory (default: config.compiledir)")
    parser.add_argument("--max-mb", type=float, default=None,
                        help="prune down to this many MiB (default: config.cache_max_mb)")
    args = parser.parse_args(argv)
    compiledir = args.dir or config.compiledir
    if args.command == "info":
        lines = _info(compiledir)
    elif args.command == "list":
        lines = _list(compiledir)
    elif args.command == "clear":
        lines = [f"removed {clear(compiledir)} entries from {compiledir}"]
    else:
        bound = args.max_mb if args.max_mb is not None else config.cache_max_mb
        removed = cache.prune(compiledir, int(bound * MIB))
        lines = [f"removed {len(removed)} items from {compiledir}", *removed]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
