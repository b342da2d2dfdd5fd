"""Soak and kill tests of the runtime (issue 13, item 7), marked ``slow`` (CI runs them; about
a minute in all). The full soak (2,000 kernels, 100,000 calls) is
``python tests/soak_driver.py``; its numbers are in the issue's closing note."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nbgraph.link import cache
from nbgraph.link.cache_admin import entries, leftovers

CC = cache.find_compiler()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CC is None, reason="no C compiler")]
ROOT = Path(__file__).resolve().parent.parent.parent


def _env(compiledir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env["NBGRAPH_FLAGS"] = f"compiledir={compiledir}"
    env.pop("THEANO_FLAGS", None)
    return env


def test_many_functions_and_calls_keep_memory_bounded(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "soak_driver.py"),
                           "--functions", "300", "--distinct", "30", "--calls", "30000",
                           "--compiledir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["calls"] == 30000
    # every function was dropped: no kernel library stays mapped
    assert report["end_libraries"] == 0
    # 270 functions after the warm-up; before the fix, 27 libraries stayed mapped
    assert report["rss_growth_kib"] < 8 * 1024, report


# the same graph in every script: one cache key
GRAPH = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    import nbgraph, nbgraph.tensor as T
    from nbgraph.config import NbgraphWarning
    from nbgraph.compile.mode import Mode
    warnings.simplefilter("error", NbgraphWarning)  # no fallback to Python allowed
    x = T.dvector("x")
    v = np.linspace(-1, 1, 9)

    def check(c):
        f = nbgraph.function([x], T.exp(x) * c + T.cos(x), mode=Mode("c", "fast_run"))
        np.testing.assert_allclose(f(v), np.exp(v) * c + np.cos(v), rtol=1e-13)
""")

# a compiler that writes half a library, says so, and hangs (when told to)
HANGING_CC = textwrap.dedent("""\
    #!/bin/sh
    if [ -n "$NBG_HANG_MARK" ]; then
        case "$1" in -dump*) exec {cc} "$@";; esac
        out=""; prev=""
        for a; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
        head -c 5000 {cc} > "$out"
        touch "$NBG_HANG_MARK"
        exec sleep 600
    fi
    exec {cc} "$@"
""")


def test_a_compile_killed_mid_write_is_recovered_by_the_next_process(tmp_path):
    compiler = tmp_path / "cc"
    compiler.write_text(HANGING_CC.format(cc=CC))
    compiler.chmod(0o755)
    compiledir, mark = tmp_path / "cache", tmp_path / "hanging"
    script = GRAPH + "check(3.0)\nprint('ok')\n"
    victim = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                              env=_env(compiledir, CC=str(compiler), NBG_HANG_MARK=str(mark)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not mark.exists() and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mark.exists(), victim.communicate()[1]
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # the process and its compiler, mid-write
        victim.wait()
    assert [e for e in entries(str(compiledir))] == []  # nothing half-written is an entry
    assert leftovers(str(compiledir), min_age=0.0)  # its temporary directory and lock file
    after = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=_env(compiledir, CC=str(compiler)), timeout=300)
    assert after.returncode == 0 and after.stdout.strip() == "ok", after.stderr
    assert len(entries(str(compiledir))) == 1
    assert not [p for p in os.listdir(compiledir) if p.endswith(".lock")]
    assert cache.prune(str(compiledir)) == []  # the leftover is young: kept an hour


EVICTING = GRAPH + textwrap.dedent("""
    import gc
    from nbgraph.link import cache
    cache.EVICT_GRACE = 0.05  # entries evicted 50 ms after their last use, not 5 s
    me = int(sys.argv[1])
    for step in range(6):
        check(2.0)                   # the key every process compiles
        check(10.0 + me * 100 + step)  # one of this process's own: evicts the others
        gc.collect()                 # libraries closed: the next check loads from disk again
    print("ok")
""")


def test_processes_compiling_one_key_while_entries_are_evicted(tmp_path):
    # a bound below one entry: every build evicts every other entry
    env = _env(tmp_path)
    env["NBGRAPH_FLAGS"] += ",cache_max_mb=0.001"
    procs = [subprocess.Popen([sys.executable, "-c", EVICTING, str(k)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(4)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and out.strip() == "ok", err
    found = entries(str(tmp_path))
    # 25 keys were built; entries used in the last 50 ms are spared (a process may be
    # loading them), the rest were evicted
    assert len(found) < 25
    assert all(cache.entry_ok(e.path) for e in found)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".lock")]
