"""The on-disk cache: keys, atomic entries, corrupt entries rebuilt, concurrent builders."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

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
    """Only the first load in a process checks the library against its recorded hash."""
    import nbgraph as th
    import nbgraph.tensor as T
    from nbgraph.config import config

    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    x = T.dvector("x")
    th.function([x], T.exp(x) * 3 + 1, mode=th.Mode(linker="c"))
    hashed = []
    real = cache._file_hash
    monkeypatch.setattr(cache, "_file_hash", lambda path: hashed.append(path) or real(path))
    f = th.function([x], T.exp(x) * 3 + 1, mode=th.Mode(linker="c"), profile=True)
    assert hashed == [] and "cache_hit" in f.profile.phases
    assert f([0.0]) == [4.0]
