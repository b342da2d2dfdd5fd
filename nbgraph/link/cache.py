"""The on-disk cache of compiled modules: ``config.compiledir/_nbg_<sha16>/``.

The key hashes the source, the compiler's path and version, the flags, nbgraph's version and
the Python ABI. An entry is built in a temporary directory and ``os.replace``d into place
under a bounded lock (cache_lock.py), so two processes compiling one key both succeed and a
stuck one delays the others at most ``lock_timeout`` seconds. Nothing is loaded from a
directory or entry others can write (cache_trust.py); an entry whose recorded full key,
source hash or library hash does not match is rebuilt.
"""

from __future__ import annotations

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
from collections.abc import Sequence
from dataclasses import dataclass

from ..version import __version__
from .cache_admin import Entry, entries, evict, leftovers, remove, touch
from .cache_lock import bounded_lock
from .cache_trust import is_private_dir, private_dir, trusted_dir, warn_once, why_untrusted

LIB_NAME = "mod.so"
SOURCE_NAME = "mod.c"
META_NAME = "meta.json"
EVICT_GRACE = 5.0  # seconds: an entry used this recently may be being loaded; not evicted


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


def full_key(source: str, compiler: str, flags: Sequence[str]) -> str:
    """The sha256 of everything the library depends on; entries record all of it."""
    parts = [source, compiler, compiler_version(compiler), " ".join(flags), __version__,
             sys.implementation.cache_tag, sysconfig.get_config_var("SOABI") or "",
             platform.machine(), _cpu_signature()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cache_key(source: str, compiler: str, flags: Sequence[str]) -> str:
    """The entry's name: the first 16 hex digits of ``full_key``."""
    return full_key(source, compiler, flags)[:16]


def _file_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def entry_ok(entry: str, key: str | None = None, source_sha256: str | None = None) -> bool:
    """Whether ``entry`` holds a library matching its recorded hash and, when given, records
    this full ``key`` and ``source_sha256`` (an entry copied from another graph does not);
    anything else is rebuilt."""
    try:
        with open(os.path.join(entry, META_NAME)) as f:
            meta = json.load(f)
        if key is not None and meta["key"] != key:
            return False
        if source_sha256 is not None and meta["source_sha256"] != source_sha256:
            return False
        return _file_hash(os.path.join(entry, LIB_NAME)) == meta["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def why_entry_untrusted(entry: str) -> str | None:
    """None if the entry directory and the files loaded from it are this user's alone."""
    for path in (entry, os.path.join(entry, LIB_NAME), os.path.join(entry, META_NAME)):
        if os.path.lexists(path):
            reason = why_untrusted(path)
            if reason is not None:
                return f"({os.path.basename(path)}) {reason}"
    return None


def compile_library(source: str, compiler: str, flags: Sequence[str], libs: Sequence[str],
                    out_dir: str, key: str = "", timeout: float | None = None) -> None:
    """Write ``source`` and build ``LIB_NAME`` in ``out_dir``, the compiler given at most
    ``timeout`` seconds; raise CompileError with its stderr. ``META_NAME`` records the full
    ``key``, the source's hash and the library's."""
    src = os.path.join(out_dir, SOURCE_NAME)
    with open(src, "w") as f:
        f.write(source)
    lib = os.path.join(out_dir, LIB_NAME)
    cmd = [compiler, *flags, "-shared", "-fPIC", src, "-o", lib, *libs]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) \
            else err.stderr or ""
        raise CompileError(f"{os.path.basename(compiler)} did not finish in {timeout:g} s "
                           f"(killed): {' '.join(cmd)}", stderr) from None
    if done.returncode != 0:
        raise CompileError(f"{os.path.basename(compiler)} exited with {done.returncode}: "
                           f"{' '.join(cmd)}", done.stderr)
    with open(os.path.join(out_dir, META_NAME), "w") as f:
        json.dump({"key": key, "source_sha256": source_hash(source),
                   "sha256": _file_hash(lib), "cmd": cmd}, f)


def library_path(source: str, compiledir: str, compiler: str, flags: Sequence[str],
                 libs: Sequence[str] = ()) -> tuple[str, str]:
    """(key, path of the library) that ``build`` gives ``source`` when nothing is wrong with
    the cache (it may build elsewhere: see ``build``); nothing is read or built."""
    key = cache_key(source, compiler, list(flags) + list(libs))
    return key, os.path.join(trusted_dir(compiledir), f"_nbg_{key}", LIB_NAME)


def build(source: str, compiledir: str, compiler: str, flags: Sequence[str],
          libs: Sequence[str] = (), *, lock_timeout: float = 30.0,
          compile_timeout: float | None = 600.0, max_bytes: int | None = None
          ) -> BuildResult:
    """The library for ``source``: from the cache (its key and hashes checked), or compiled
    and stored atomically; then the least recently used entries beyond ``max_bytes`` are
    evicted.

    It is built in this process's private directory instead when ``compiledir`` or the
    entry can be written by others, when the directory is read-only, or when another
    process holds the entry's lock longer than ``lock_timeout`` seconds (each warned once).
    """
    key = full_key(source, compiler, list(flags) + list(libs))
    wanted = (key, source_hash(source))
    root = trusted_dir(compiledir)
    entry = os.path.join(root, f"_nbg_{key[:16]}")
    reason = None if is_private_dir(root) else why_entry_untrusted(entry)
    if reason is not None:
        warn_once(entry, reason, "not loaded; compiling into a private directory instead")
        root = private_dir()
        entry = os.path.join(root, f"_nbg_{key[:16]}")
    if entry_ok(entry, *wanted):
        return _hit(entry, key)
    try:
        with bounded_lock(entry + ".lock", lock_timeout) as lock:
            if not lock.acquired:
                warn_once(entry + ".lock", f"is held by {lock.holder} for more than "
                          f"{lock_timeout:g} s", "compiling into a private directory")
            elif entry_ok(entry, *wanted):  # another process built it while we waited
                return _hit(entry, key)
            else:
                built = _compile_into(entry, source, compiler, flags, libs, key,
                                      compile_timeout)
                if max_bytes is not None:
                    evict(root, max_bytes, keep=frozenset({entry}), min_age=EVICT_GRACE)
                return built
    except PermissionError:  # a read-only cache: keep what it has, build the rest privately
        pass
    entry = os.path.join(private_dir(), f"_nbg_{key[:16]}")
    if entry_ok(entry, *wanted):
        return _hit(entry, key)
    return _compile_into(entry, source, compiler, flags, libs, key, compile_timeout)


def _result(entry: str, key: str, cached: bool, seconds: float) -> BuildResult:
    return BuildResult(os.path.join(entry, LIB_NAME), key[:16], cached, seconds)


def _hit(entry: str, key: str) -> BuildResult:
    touch(entry)  # least recently used goes first
    return _result(entry, key, True, 0.0)


def _compile_into(entry: str, source: str, compiler: str, flags: Sequence[str],
                  libs: Sequence[str], key: str, timeout: float | None) -> BuildResult:
    """Compile in a temporary directory next to ``entry``, then move it into place (a broken
    entry is moved aside first)."""
    root = os.path.dirname(entry)
    start = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix=f"_tmp_{key[:16]}_", dir=root)
    try:
        compile_library(source, compiler, flags, libs, tmp, key, timeout)
        if os.path.lexists(entry):
            broken = tempfile.mkdtemp(prefix=f"_broken_{key[:16]}_", dir=root)
            os.replace(entry, os.path.join(broken, "old"))
            shutil.rmtree(broken, ignore_errors=True)
        try:
            os.replace(tmp, entry)
        except OSError:  # another builder (its lock timed out) got there first
            if not entry_ok(entry, key, source_hash(source)):
                raise
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return _result(entry, key, False, time.perf_counter() - start)


def prune(compiledir: str, max_bytes: int | None = None) -> list[str]:
    """Remove broken entries (a library not matching its record, or a record of another
    key), leftovers of killed builds older than an hour, then the least recently used
    entries beyond ``max_bytes``; return what was removed."""
    removed = []
    for entry in entries(compiledir):
        if not _record_matches(entry):
            remove(entry.path)
            removed.append(entry.path)
    for path in leftovers(compiledir):
        remove(path)
        removed.append(path)
    if max_bytes is not None:
        removed += [e.path for e in evict(compiledir, max_bytes)]
    return removed


def _record_matches(entry: Entry) -> bool:
    try:
        with open(os.path.join(entry.path, META_NAME)) as f:
            key = json.load(f)["key"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(key, str) and key[:16] == entry.key and entry_ok(entry.path, key)
