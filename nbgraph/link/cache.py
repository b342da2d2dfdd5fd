"""The on-disk cache of compiled modules: ``config.compiledir/_nbg_<sha16>/``.

The key hashes the source, the compiler's path and version, the flags, nbgraph's version and
the Python ABI. An entry is built in a temporary directory and ``os.replace``d into place under
a lock file, so two processes compiling one key both succeed; an entry whose library does not
match its recorded hash is rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..version import __version__

LIB_NAME = "mod.so"
SOURCE_NAME = "mod.c"
META_NAME = "meta.json"


class CompileError(RuntimeError):
    """The C compiler failed; ``stderr`` holds what it printed."""

    def __init__(self, message: str, stderr: str = ""):
        super().__init__(message)
        self.stderr = stderr


@dataclass
class BuildResult:
    path: str           # the shared library
    key: str
    cached: bool        # True: found on disk, nothing compiled
    seconds: float      # time spent compiling (0 on a hit)


def find_compiler() -> str | None:
    """``$CC`` or gcc or cc on PATH, or None."""
    for name in (os.environ.get("CC"), "gcc", "cc"):
        if name:
            path = shutil.which(name)
            if path:
                return os.path.realpath(path)
    return None


@functools.cache
def compiler_version(path: str) -> str:
    """``gcc -dumpfullversion`` (remembered per process; the path's mtime guards upgrades)."""
    try:
        done = subprocess.run([path, "-dumpfullversion", "-dumpversion"], capture_output=True,
                              text=True, timeout=30)
        version = done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = "unknown"
    return f"{version} mtime={os.stat(path).st_mtime_ns}"


@functools.cache
def _cpu_signature() -> str:
    """What ``-march=native`` depends on: the CPU model and its feature flags."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))][:2]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    except OSError:
        return platform.processor() or platform.machine()


_UID_TOKENS = re.compile(r"\b(t|uid )(\d+)\b")


def canonical_source(source: str) -> str:
    """``source`` with uid-derived names (``t<uid>``, ``uid <n>``) renumbered by first
    appearance. Uids differ with every graph build, so without this an identical graph would
    never find its compiled module; the renaming is one-to-one, so the C means the same."""
    numbers: dict[str, int] = {}  # t41 and "uid 41" name the same node: one new number

    def renumber(match: re.Match[str]) -> str:
        return f"{match.group(1)}{numbers.setdefault(match.group(2), len(numbers))}"

    return _UID_TOKENS.sub(renumber, source)


def cache_key(source: str, compiler: str, flags: Sequence[str]) -> str:
    parts = [source, compiler, compiler_version(compiler), " ".join(flags), __version__,
             sys.implementation.cache_tag, sysconfig.get_config_var("SOABI") or "",
             platform.machine(), _cpu_signature()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _file_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def entry_ok(entry: str) -> bool:
    """Whether ``entry`` holds a library matching its recorded hash (else it is rebuilt)."""
    try:
        with open(os.path.join(entry, META_NAME)) as f:
            meta = json.load(f)
        return _file_hash(os.path.join(entry, LIB_NAME)) == meta["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextlib.contextmanager
def locked(path: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing), released on exit."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def compile_library(source: str, compiler: str, flags: Sequence[str], libs: Sequence[str],
                    out_dir: str) -> None:
    """Write ``source`` and build ``LIB_NAME`` in ``out_dir``; raise CompileError with stderr."""
    src = os.path.join(out_dir, SOURCE_NAME)
    with open(src, "w") as f:
        f.write(source)
    lib = os.path.join(out_dir, LIB_NAME)
    cmd = [compiler, *flags, "-shared", "-fPIC", src, "-o", lib, *libs]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise CompileError(f"{os.path.basename(compiler)} exited with {done.returncode}: "
                           f"{' '.join(cmd)}", done.stderr)
    with open(os.path.join(out_dir, META_NAME), "w") as f:
        json.dump({"sha256": _file_hash(lib), "cmd": cmd}, f)


def library_path(source: str, compiledir: str, compiler: str, flags: Sequence[str],
                 libs: Sequence[str] = ()) -> tuple[str, str]:
    """(key, path of the library) that ``build`` gives ``source``; nothing is read or built."""
    key = cache_key(source, compiler, list(flags) + list(libs))
    return key, os.path.join(compiledir, f"_nbg_{key}", LIB_NAME)


def build(source: str, compiledir: str, compiler: str, flags: Sequence[str],
          libs: Sequence[str] = ()) -> BuildResult:
    """The library for ``source``: from the cache (its hash checked), or compiled and stored
    atomically."""
    key, lib = library_path(source, compiledir, compiler, flags, libs)
    entry = os.path.dirname(lib)
    if entry_ok(entry):
        return BuildResult(lib, key, True, 0.0)
    os.makedirs(compiledir, exist_ok=True)
    with locked(entry + ".lock"):
        if entry_ok(entry):  # another process built it while we waited
            return BuildResult(lib, key, True, 0.0)
        start = time.perf_counter()
        tmp = tempfile.mkdtemp(prefix=f"_tmp_{key}_", dir=compiledir)
        try:
            compile_library(source, compiler, flags, libs, tmp)
            if os.path.exists(entry):  # a broken entry: move it aside, then replace it
                broken = tempfile.mkdtemp(prefix=f"_broken_{key}_", dir=compiledir)
                os.replace(entry, os.path.join(broken, "old"))
                shutil.rmtree(broken, ignore_errors=True)
            os.replace(tmp, entry)
        finally:
            if os.path.exists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
        return BuildResult(lib, key, False, time.perf_counter() - start)
