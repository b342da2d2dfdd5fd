"""``python -m nbgraph.cache info | list | clear | prune`` and the cache's size bound with
least-recently-used eviction (issue 13, item 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from nbgraph.link import cache
from nbgraph.link.cache_admin import entries

CC = cache.find_compiler()
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler")
FLAGS = ["-O0"]


def _source(k: int) -> str:
    return f"int nbg_answer(void) {{ return {k}; }}\n"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "nbgraph.cache", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def _fill(compiledir, n: int) -> list[cache.BuildResult]:
    built = []
    for k in range(n):
        built.append(cache.build(_source(k), str(compiledir), CC, FLAGS))
        os.utime(os.path.dirname(built[-1].path), (1000.0 + k, 1000.0 + k))  # k-th oldest
    return built


def test_eviction_removes_the_least_recently_used_first(tmp_path):
    built = _fill(tmp_path, 4)
    cache.build(_source(0), str(tmp_path), CC, FLAGS)  # a hit: entry 0 is now the newest
    one = max(e.size for e in entries(str(tmp_path)))
    cache.build(_source(9), str(tmp_path), CC, FLAGS, max_bytes=3 * one)
    kept = {e.key for e in entries(str(tmp_path))}
    assert built[0].key in kept and cache.cache_key(_source(9), CC, FLAGS) in kept
    assert built[1].key not in kept and built[2].key not in kept and len(kept) == 3


def test_the_entry_just_built_is_never_evicted(tmp_path):
    result = cache.build(_source(1), str(tmp_path), CC, FLAGS, max_bytes=1)
    assert [e.key for e in entries(str(tmp_path))] == [result.key]


def test_info_and_list(tmp_path):
    built = _fill(tmp_path, 2)
    info = _cli("info", "--dir", str(tmp_path))
    assert info.returncode == 0, info.stderr
    assert f"compiledir: {tmp_path}" in info.stdout and "entries:    2" in info.stdout
    listing = _cli("list", "--dir", str(tmp_path))
    lines = listing.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [b.key for b in built]


def test_clear_removes_everything(tmp_path):
    _fill(tmp_path, 2)
    done = _cli("clear", "--dir", str(tmp_path))
    assert done.returncode == 0 and "removed 2 entries" in done.stdout
    assert os.listdir(tmp_path) == []


def test_prune_removes_broken_leftover_and_beyond_the_bound(tmp_path):
    built = _fill(tmp_path, 3)
    broken = os.path.dirname(built[2].path)
    meta = json.loads(open(os.path.join(broken, cache.META_NAME)).read())
    meta["key"] = "f" * 64  # a record of another key
    with open(os.path.join(broken, cache.META_NAME), "w") as f:
        json.dump(meta, f)
    stale = tmp_path / "_tmp_0123456789abcdef_x"  # a build killed long ago
    stale.mkdir()
    old = time.time() - 7200
    os.utime(stale, (old, old))
    done = _cli("prune", "--dir", str(tmp_path), "--max-mb", "1")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(f"_nbg_{b.key}" for b in built[:2])
    tiny = _cli("prune", "--dir", str(tmp_path), "--max-mb", "0")
    assert tiny.returncode == 0 and os.listdir(tmp_path) == []


def test_unknown_command_is_refused():
    done = _cli("explode")
    assert done.returncode != 0 and "invalid choice" in done.stderr
