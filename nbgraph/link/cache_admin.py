"""The compile cache's contents and their upkeep: listing entries, least-recently-used
eviction under a size bound, pruning what is broken or left over, clearing.

An entry's last use is its directory's modification time: ``touch`` sets it when a process
loads the entry. Removal moves an entry aside with one ``os.replace`` before deleting it, so
a reader sees the whole entry or none (a library already loaded stays mapped).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

ENTRY_PREFIX = "_nbg_"
LEFTOVER_PREFIXES = ("_tmp_", "_broken_", "_evicted_")  # a killed build or removal leaves these
LEFTOVER_AGE = 3600.0  # seconds: younger ones may belong to a build still running


@dataclass(frozen=True)
class Entry:
    path: str
    key: str          # the 16 hex digits of its name
    size: int         # bytes of its files
    last_used: float  # seconds since the epoch


def _size(path: str) -> int:
    total = 0
    with contextlib.suppress(OSError), os.scandir(path) as items:
        for item in items:
            with contextlib.suppress(OSError):
                total += item.stat(follow_symlinks=False).st_size
    return total


def entries(compiledir: str) -> list[Entry]:
    """The entries of ``compiledir``, least recently used first."""
    found = []
    with contextlib.suppress(FileNotFoundError), os.scandir(compiledir) as items:
        for item in items:
            if not item.name.startswith(ENTRY_PREFIX) or not item.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                found.append(Entry(item.path, item.name[len(ENTRY_PREFIX):], _size(item.path),
                                   item.stat(follow_symlinks=False).st_mtime))
    return sorted(found, key=lambda e: (e.last_used, e.key))


def leftovers(compiledir: str, min_age: float = LEFTOVER_AGE) -> list[str]:
    """Temporary directories and lock files older than ``min_age`` seconds."""
    now = time.time()
    found = []
    with contextlib.suppress(FileNotFoundError), os.scandir(compiledir) as items:
        for item in items:
            stale = item.name.startswith(LEFTOVER_PREFIXES) or item.name.endswith(".lock")
            with contextlib.suppress(OSError):
                if stale and now - item.stat(follow_symlinks=False).st_mtime >= min_age:
                    found.append(item.path)
    return sorted(found)


def touch(entry: str) -> None:
    """Mark ``entry`` used now (least-recently-used order)."""
    with contextlib.suppress(OSError):
        os.utime(entry)


def remove(path: str) -> None:
    """Remove an entry or leftover: moved aside in one step, then deleted."""
    if os.path.isdir(path) and not os.path.islink(path):
        parent = os.path.dirname(path)
        try:
            aside = tempfile.mkdtemp(prefix="_evicted_", dir=parent)
            os.replace(path, os.path.join(aside, "old"))
        except OSError:
            return  # gone already, or not ours to move
        shutil.rmtree(aside, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


def evict(compiledir: str, max_bytes: int, keep: frozenset[str] = frozenset(),
          min_age: float = 0.0) -> list[Entry]:
    """Remove least recently used entries (never those in ``keep``, nor those used in the
    last ``min_age`` seconds: another process may be loading them) until the entries take
    at most ``max_bytes``; return the removed ones."""
    found = entries(compiledir)
    total = sum(e.size for e in found)
    removed = []
    recent = time.time() - min_age
    for entry in found:
        if total <= max_bytes:
            break
        if entry.path in keep or entry.last_used > recent:
            continue
        remove(entry.path)
        total -= entry.size
        removed.append(entry)
    return removed


def clear(compiledir: str) -> int:
    """Remove every entry and leftover; the number of entries removed."""
    found = entries(compiledir)
    for entry in found:
        remove(entry.path)
    for path in leftovers(compiledir, min_age=0.0):
        remove(path)
    return len(found)
