"""``theano.tests.unittest_tools`` (``utt``, re-exported by ``nbgraph.tests``): what the
"Extending Theano" tutorial tests a new op with: ``verify_grad`` on a fixed seed,
``seed_rng``/``fetch_seed`` and ``InferShapeTester``.

>>> from nbgraph.tests import unittest_tools as utt
>>> utt.verify_grad(T.tanh, [np.random.rand(3, 4)])
"""

from __future__ import annotations

import unittest
from collections.abc import Sequence
from typing import Any

import numpy as np

from .function import function
from .mode import get_default_mode
from .verify import verify_grad as _verify_grad

SEED = 666   # Theano's config.unittests.rseed


def fetch_seed(pseed: Any = None) -> int:
    """The seed tests draw from: ``pseed`` if given, else Theano's default."""
    return SEED if pseed is None else int(pseed)


def seed_rng(pseed: Any = None) -> int:
    """Seed NumPy's global generator (Theano's tests drew from it) and return the seed."""
    seed = fetch_seed(pseed)
    np.random.seed(seed)
    return seed


def verify_grad(op: Any, pt: Sequence[Any], n_tests: int = 2, rng: Any = None,
                *args: Any, **kwargs: Any) -> None:
    """``nbgraph.gradient.verify_grad`` with a seeded generator when none is given."""
    if rng is None:
        rng = np.random.RandomState(fetch_seed())
    _verify_grad(op, pt, n_tests, rng, *args, **kwargs)


class InferShapeTester(unittest.TestCase):
    """Base class checking an op's ``infer_shape``: ``_compile_and_check`` compiles the outputs
    and their shapes, and asserts the shapes agree and need no run of the op (``cls``)."""

    def setUp(self) -> None:
        seed_rng()
        self.mode = get_default_mode()

    def _compile_and_check(self, inputs: list[Any], outputs: list[Any],
                           numeric_inputs: list[Any], cls: type, excluding: Any = None,
                           warn: bool = True, check_topo: bool = True) -> None:
        mode = self.mode.excluding(*excluding) if excluding else self.mode
        values = function(inputs, outputs, mode=mode)
        shapes = function(inputs, [o.shape for o in outputs], mode=mode)
        if check_topo:
            ran = [type(n.op) for n in values.maker.fgraph.toposort()]
            assert any(issubclass(op, cls) for op in ran), f"{cls.__name__} is not in {ran}"
            left = [type(n.op) for n in shapes.maker.fgraph.toposort()]
            assert not any(issubclass(op, cls) for op in left), (
                f"the shapes still run {cls.__name__}: its infer_shape is missing")
        for out, shape in zip(values(*numeric_inputs), shapes(*numeric_inputs), strict=True):
            assert np.shape(out) == tuple(shape), f"infer_shape gave {tuple(shape)}, the " \
                f"output is {np.shape(out)}"
