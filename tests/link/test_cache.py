"""The on-disk cache: keys, atomic entries, corrupt entries rebuilt, concurrent builders."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from nbgraph.config import NbgraphWarning
from nbgraph.link import cache

CC = cache.find_compiler()
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler")
SOURCE = "int nbg_answer(void) { return 42; }\n"
FLAGS = ["-O1"]


def test_build_then_hit(tmp_path):
    first = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    assert not first.cached and os.path.exists(first.path)
    assert os.path.basename(os.path.dirname(first.path)) == f"_nbg_{first.key}"
    again = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    assert again.cached and again.path == first.path


def test_key_depends_on_source_and_flags():
    base = cache.cache_key(SOURCE, CC, FLAGS)
    assert base != cache.cache_key(SOURCE + "\n", CC, FLAGS)
    assert base != cache.cache_key(SOURCE, CC, ["-O2"])
    assert len(base) == 16


def test_corrupt_entry_is_rebuilt(tmp_path):
    first = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    with open(first.path, "wb") as f:
        f.write(b"not a library")
    assert not cache.entry_ok(os.path.dirname(first.path))
    rebuilt = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    assert not rebuilt.cached and cache.entry_ok(os.path.dirname(rebuilt.path))


def test_compile_error_carries_stderr(tmp_path):
    with pytest.raises(cache.CompileError) as info:
        cache.build("int broken(void) { return }", str(tmp_path), CC, FLAGS)
    assert "error" in info.value.stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith("_nbg_")
                and not p.endswith(".lock")]


SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import nbgraph, nbgraph.tensor as T
    from nbgraph.config import config
    from nbgraph.compile.mode import Mode
    from nbgraph.link import cache
    config.compiledir = sys.argv[1]
    built = []
    original = cache.compile_library
    cache.compile_library = lambda *a, **k: (built.append(1), original(*a, **k))[1]
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2 + T.sin(x), mode=Mode("c", "fast_run"))
    v = np.linspace(-1, 1, 5)
    assert np.allclose(f(v), np.exp(v) * 2 + np.sin(v))
    print("compiled", len(built))
""")


def _run(compiledir):
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(compiledir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_compiling_one_key_both_succeed_and_warm_compiles_nothing(tmp_path):
    procs = [_run(tmp_path), _run(tmp_path)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    counts = sorted(int(out.split()[-1]) for out, _ in outs)
    assert counts in ([0, 1], [1, 1])  # the lock lets the second reuse the first's entry
    warm = _run(tmp_path)
    out, err = warm.communicate(timeout=120)
    assert warm.returncode == 0, err
    assert out.split()[-1] == "0"


def test_canonical_source_renumbers_uids_one_to_one():
    a = "double t41 = exp(t9);  /* Elemwise{exp} uid 41 */\nout = t41 + t9;"
    b = "double t77 = exp(t12);  /* Elemwise{exp} uid 77 */\nout = t77 + t12;"
    assert cache.canonical_source(a) == cache.canonical_source(b)
    assert cache.canonical_source(a) == \
        "double t0 = exp(t1);  /* Elemwise{exp} uid 0 */\nout = t0 + t1;"
    assert cache.canonical_source("x = t1 + t2;") != cache.canonical_source("x = t1 + t1;")


def test_rebuilding_the_same_graph_in_one_process_hits_the_cache(tmp_path, monkeypatch):
    import nbgraph as th
    import nbgraph.tensor as T
    from nbgraph.config import config

    monkeypatch.setattr(config, "compiledir", str(tmp_path))

    def build():  # noqa: ANN202
        x, y = T.dvectors("x", "y")
        return th.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y,
                           mode=th.Mode(linker="c"), profile=True)

    first, second = build(), build()
    assert "c_compile" in first.profile.phases
    assert "cache_hit" in second.profile.phases and "c_compile" not in second.profile.phases


def test_a_library_loaded_in_this_process_is_not_hashed_again(tmp_path, monkeypatch):
    """Only the first load (while some function holds the library) checks it against its
    recorded hash."""
    import nbgraph as th
    import nbgraph.tensor as T
    from nbgraph.config import config

    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    x = T.dvector("x")
    first = th.function([x], T.exp(x) * 3 + 1, mode=th.Mode(linker="c"))  # keeps it loaded
    hashed = []
    real = cache._file_hash
    monkeypatch.setattr(cache, "_file_hash", lambda path: hashed.append(path) or real(path))
    f = th.function([x], T.exp(x) * 3 + 1, mode=th.Mode(linker="c"), profile=True)
    assert hashed == [] and "cache_hit" in f.profile.phases
    assert f([0.0]) == [4.0] and first([0.0]) == [4.0]


# -- a private, verified cache (issue 13) ------------------------------------------------------
PLANTED = textwrap.dedent("""
    #include <stdio.h>
    __attribute__((constructor)) static void planted(void) {
        FILE *f = fopen("MARKER", "w");
        if (f) { fputs("ran", f); fclose(f); }
    }
    int nbg_answer(void) { return 666; }
""")


def _answer(path: str) -> int:
    return ctypes.CDLL(path).nbg_answer()


def _plant(compiledir, source, marker) -> str:
    """A library whose constructor writes ``marker``, stored with consistent metadata as the
    entry ``source`` maps to (what another user could write into a shared directory)."""
    key = cache.full_key(source, CC, FLAGS)
    entry = os.path.join(compiledir, f"_nbg_{key[:16]}")
    os.makedirs(entry, exist_ok=True)
    cache.compile_library(PLANTED.replace("MARKER", str(marker)), CC, FLAGS, (), entry, key)
    meta_path = os.path.join(entry, cache.META_NAME)
    with open(meta_path) as f:
        meta = json.load(f)
    meta["source_sha256"] = cache.source_hash(source)  # a consistent lie
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    assert not os.path.exists(marker)
    return entry


def test_a_new_compiledir_is_created_private(tmp_path):
    target = tmp_path / "fresh" / "cache"
    result = cache.build(SOURCE, str(target), CC, FLAGS)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700
    assert result.path.startswith(str(target))


def test_a_library_planted_in_a_world_writable_compiledir_is_never_loaded(tmp_path):
    shared_dir = tmp_path / "shared"
    shared_dir.mkdir()
    os.chmod(shared_dir, 0o777)
    marker = tmp_path / "constructor_ran"
    _plant(str(shared_dir), SOURCE, marker)
    with pytest.warns(NbgraphWarning, match=f"{shared_dir}.*writable by group or others"):
        result = cache.build(SOURCE, str(shared_dir), CC, FLAGS)
    assert not result.path.startswith(str(shared_dir))
    assert _answer(result.path) == 42 and not marker.exists()


def test_a_world_writable_entry_in_a_private_compiledir_is_not_loaded(tmp_path):
    marker = tmp_path / "constructor_ran"
    entry = _plant(str(tmp_path / "cache"), SOURCE, marker)
    os.chmod(tmp_path / "cache", 0o700)
    os.chmod(entry, 0o777)
    with pytest.warns(NbgraphWarning, match="writable by group or others"):
        result = cache.build(SOURCE, str(tmp_path / "cache"), CC, FLAGS)
    assert _answer(result.path) == 42 and not marker.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_an_entry_owned_by_another_user_is_not_loaded(tmp_path):
    marker = tmp_path / "constructor_ran"
    entry = _plant(str(tmp_path / "cache"), SOURCE, marker)
    os.chmod(tmp_path / "cache", 0o700)
    for path in (entry, *(os.path.join(entry, n) for n in os.listdir(entry))):
        os.chown(path, 65534, 65534)
    with pytest.warns(NbgraphWarning, match="owned by uid 65534"):
        result = cache.build(SOURCE, str(tmp_path / "cache"), CC, FLAGS)
    assert _answer(result.path) == 42 and not marker.exists()


def test_an_entry_copied_from_another_graph_is_rebuilt(tmp_path):
    other = "int nbg_answer(void) { return 7; }\n"
    mine = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    theirs = cache.build(other, str(tmp_path), CC, FLAGS)
    mine_entry, their_entry = os.path.dirname(mine.path), os.path.dirname(theirs.path)
    for name in os.listdir(their_entry):  # a consistent library + metadata pair
        shutil.copy(os.path.join(their_entry, name), os.path.join(mine_entry, name))
    again = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    assert not again.cached and _answer(again.path) == 42
    meta = json.loads((tmp_path / f"_nbg_{again.key}" / cache.META_NAME).read_text())
    assert meta["key"] == cache.full_key(SOURCE, CC, FLAGS)
    assert meta["source_sha256"] == cache.source_hash(SOURCE)


def test_an_entry_whose_source_hash_differs_is_rebuilt(tmp_path):
    first = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    meta_path = os.path.join(os.path.dirname(first.path), cache.META_NAME)
    with open(meta_path) as f:
        meta = json.load(f)
    meta["source_sha256"] = "0" * 64
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    assert not cache.build(SOURCE, str(tmp_path), CC, FLAGS).cached


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from nbgraph.link.cache_lock import bounded_lock
    with bounded_lock(sys.argv[1], 5) as lock:
        print("locked" if lock.acquired else "busy", flush=True)
        time.sleep(120)
""")


def test_a_lock_held_by_a_stopped_process_delays_at_most_the_timeout(tmp_path):
    key = cache.cache_key(SOURCE, CC, FLAGS)
    os.chmod(tmp_path, 0o700)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK,
                               str(tmp_path / f"_nbg_{key}.lock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        os.kill(holder.pid, signal.SIGSTOP)  # stopped while holding it
        with pytest.warns(NbgraphWarning, match=f"held by process {holder.pid}"):
            result = cache.build(SOURCE, str(tmp_path), CC, FLAGS, lock_timeout=0.3)
        assert not result.path.startswith(str(tmp_path)) and _answer(result.path) == 42
    finally:
        holder.kill()
        holder.wait()


def test_the_compiler_runs_with_a_timeout(tmp_path):
    slow = tmp_path / "slowcc"
    slow.write_text("#!/bin/sh\ncase \"$1\" in -dump*) echo 1.0; exit 0;; esac\n"
                    "exec sleep 60\n")
    slow.chmod(0o755)
    with pytest.raises(cache.CompileError, match="did not finish in 0.5 s"):
        cache.build(SOURCE, str(tmp_path / "cache"), str(slow), FLAGS, compile_timeout=0.5)


def test_lock_files_do_not_pile_up(tmp_path):
    for k in range(3):
        cache.build(f"int nbg_answer(void) {{ return {k}; }}\n", str(tmp_path), CC, FLAGS)
    assert [p for p in os.listdir(tmp_path) if p.endswith(".lock")] == []
    assert len([p for p in os.listdir(tmp_path) if p.startswith("_nbg_")]) == 3


def test_a_read_only_compiledir_serves_its_entries_and_builds_the_rest_privately(tmp_path):
    first = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
    os.chmod(tmp_path, 0o500)
    try:
        again = cache.build(SOURCE, str(tmp_path), CC, FLAGS)
        assert again.cached and again.path == first.path
        if os.getuid() != 0:  # root writes anywhere
            other = cache.build("int nbg_answer(void) { return 5; }\n", str(tmp_path), CC,
                                FLAGS)
            assert _answer(other.path) == 5 and not other.path.startswith(str(tmp_path))
    finally:
        os.chmod(tmp_path, 0o700)
