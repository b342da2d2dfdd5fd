"""The differential suite once more with kernels built under AddressSanitizer (``-m asan``):
no generated C reads or writes out of bounds on broadcast, strided, zero-size or 0-d inputs,
nor on the shapes its broadcast check refuses (``test_broadcast_check``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nbgraph.link import cache

pytestmark = pytest.mark.asan


# pytest in a process whose 'c' linker builds every kernel with ASan
_ASAN_PYTEST = """
import sys
import pytest
from nbgraph.link.c_linker import CLinker
from nbgraph.link.registry import register_linker
flags = ["-fsanitize=address", "-fno-omit-frame-pointer"]
register_linker(("c", "cvm", "c|py", "cvm_nogc"), lambda: CLinker(cflags=flags))
sys.exit(pytest.main(sys.argv[1:]))
"""


def _libasan() -> str | None:
    cc = cache.find_compiler()
    if cc is None:
        return None
    path = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True,
                          text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def test_differential_suite_under_asan(tmp_path, request):
    if "asan" not in (request.config.getoption("-m") or ""):
        pytest.skip("run with -m asan (slow: every kernel is rebuilt with ASan)")
    lib = _libasan()
    if lib is None:
        pytest.skip("no libasan for this compiler")
    env = dict(os.environ, LD_PRELOAD=lib, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               NBGRAPH_FLAGS=f"compiledir={tmp_path}")
    here = os.path.dirname(__file__)
    done = subprocess.run([sys.executable, "-c", _ASAN_PYTEST, "-q", "-x", "-p",
                           "no:cacheprovider", os.path.join(here, "test_differential.py"),
                           os.path.join(here, "test_broadcast_check.py"), "-k", "not random"],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "AddressSanitizer" not in done.stderr
