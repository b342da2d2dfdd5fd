"""Which cache directories and entries may be loaded from: only what this user owns and no
one else can write (a library loaded from a directory others can write runs their code).

``trusted_dir`` creates the compile directory ``0700``; a directory or entry that fails the
check is warned about once, by name, and compiling moves to ``private_dir()``, a fresh
``0700`` directory of this process.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import stat
import tempfile
import threading
import warnings

from ..config import NbgraphWarning

_WARNED: set[str] = set()
_LOCK = threading.Lock()


def why_untrusted(path: str) -> str | None:
    """None if ``path`` (a directory or file, links not followed) is owned by this user and
    writable by no one else; otherwise why not."""
    try:
        info = os.lstat(path)
    except OSError as err:
        return f"cannot be checked ({err.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if info.st_uid != os.getuid():
        return f"is owned by uid {info.st_uid}, not by this user (uid {os.getuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by group or others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def warn_once(path: str, reason: str, what: str) -> None:
    """One warning per path and process: ``what`` happens instead of loading ``path``."""
    with _LOCK:
        if path in _WARNED:
            return
        _WARNED.add(path)
    warnings.warn(f"nbgraph compile cache: {path} {reason}; {what}", NbgraphWarning,
                  stacklevel=4)


@functools.cache
def private_dir() -> str:
    """A ``0700`` directory only this process uses (removed at exit): where compiling goes
    when the configured directory cannot be trusted or its lock is held too long."""
    path = tempfile.mkdtemp(prefix=f"nbgraph-{os.getuid()}-")  # mkdtemp makes it 0700
    atexit.register(shutil.rmtree, path, True)
    return path


def is_private_dir(path: str) -> bool:
    """Whether ``path`` is this process's ``private_dir()`` (never creating it)."""
    return private_dir.cache_info().currsize > 0 and path == private_dir()


@functools.cache
def _checked_dir(compiledir: str) -> str:
    try:
        os.makedirs(os.path.dirname(compiledir) or ".", exist_ok=True)
        os.mkdir(compiledir, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        warn_once(compiledir, f"cannot be created ({err.strerror})",
                  "compiling into a private directory instead")
        return private_dir()
    reason = why_untrusted(compiledir)
    if reason is not None:
        warn_once(compiledir, reason, "nothing is loaded from it; compiling into a private "
                  "directory instead (chmod 700 it, or set compiledir)")
        return private_dir()
    return compiledir


def trusted_dir(compiledir: str) -> str:
    """``compiledir`` (created ``0700`` if missing) if it is ours alone, else
    ``private_dir()``. Checked once per directory and process."""
    return _checked_dir(os.path.abspath(compiledir))
