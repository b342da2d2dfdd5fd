"""Compiled libraries are closed when no function uses them (issue 13, item 4)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.link import cache
from nbgraph.link.library import LIBRARIES

pytestmark = pytest.mark.skipif(cache.find_compiler() is None, reason="no C compiler")


def _mapped(path: str) -> bool:
    with open("/proc/self/maps") as f:
        return path in f.read()


def _compiled(k: int):
    x = T.dvector("x")
    return nbgraph.function([x], T.exp(x) * (k + 2.5) + T.sin(x), mode=Mode("c", "fast_run"))


def test_a_library_is_closed_when_its_last_function_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgraph.config, "compiledir", str(tmp_path))
    f, g = _compiled(0), _compiled(0)  # one graph twice: one library
    paths = [lib.path for lib in LIBRARIES.values() if lib.path.startswith(str(tmp_path))]
    assert len(paths) == 1 and _mapped(paths[0])
    del f
    gc.collect()
    assert _mapped(paths[0])  # g still calls into it
    np.testing.assert_allclose(g([0.0, 1.0]), np.exp([0.0, 1.0]) * 2.5 + np.sin([0.0, 1.0]))
    del g
    gc.collect()
    assert not _mapped(paths[0]) and paths[0] not in LIBRARIES


def test_many_distinct_functions_do_not_accumulate_libraries(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgraph.config, "compiledir", str(tmp_path))
    for k in range(12):
        f = _compiled(k)
        assert f([0.0]) == [k + 2.5]
        del f
    gc.collect()
    with open("/proc/self/maps") as maps:
        assert str(tmp_path) not in maps.read()
