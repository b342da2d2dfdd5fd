"""The lock that makes one process build a cache entry while others wait: bounded.

``bounded_lock`` waits at most ``timeout`` seconds for an exclusive ``flock`` and yields
whether it got it; the holder writes its pid into the lock file, so a waiter that gives up
can say which process holds it. The holder removes the file before releasing it, and a
waiter that then gets a lock on a removed file tries again: lock files do not pile up.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class LockResult:
    acquired: bool
    holder: str  # "process 1234" (what the lock file says), or "" when acquired


def _holder(path: str) -> str:
    try:
        with open(path) as f:
            text = f.read(32).strip()
    except OSError:
        return "an unknown process"
    return f"process {text}" if text.isdigit() else "an unknown process"


def _same_file(fd: int, path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def bounded_lock(path: str, timeout: float, poll: float = 0.02) -> Iterator[LockResult]:
    """Hold an exclusive lock on ``path`` for the ``with`` block, waiting at most
    ``timeout`` seconds; ``LockResult.acquired`` is False (and ``holder`` names who has it)
    when the wait ran out. The block runs either way: it decides what to do unlocked."""
    deadline = time.monotonic() + timeout
    delay = poll
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                yield LockResult(False, _holder(path))
                return
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)
            continue
        if not _same_file(fd, path):  # its holder removed it as we waited: a new one
            os.close(fd)
            continue
        break
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield LockResult(True, "")
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # before unlocking: a waiter finds it gone and starts over
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
