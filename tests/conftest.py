"""Shared fixtures: a seeded ``rng``, and ``linker`` over every backend this machine has."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest


def _has_c() -> bool:
    return importlib.util.find_spec("cffi") is not None and shutil.which("gcc") is not None \
        and importlib.util.find_spec("nbgraph.link.c_linker") is not None


def _has_cuda() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


LINKERS = [
    pytest.param("py", id="py"),
    pytest.param("c", id="c", marks=pytest.mark.skipif(not _has_c(), reason="no C linker")),
    pytest.param("cuda", id="cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
        not _has_cuda(), reason="no CuPy/GPU")]),
]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(params=LINKERS)
def linker(request: pytest.FixtureRequest) -> str:
    """The name of a linker; use with ``Mode(linker=linker)``."""
    return request.param
