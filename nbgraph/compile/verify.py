"""``verify_grad``: a gradient checked against central finite differences, and ``GradientError``.

It compiles (the function and its gradient), so it lives in the compile layer; autodiff and
``numeric_grad`` are ``nbgraph.core.gradient``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.gradient import grad, numeric_grad
from ..core.types import TensorType
from ..core.variable import as_tensor_variable
from .function import function


class GradientError(AssertionError):
    """``verify_grad`` found symbolic and numeric gradients that disagree."""

    def __init__(self, arg: int, analytic: np.ndarray, numeric: np.ndarray, where: tuple,
                 abs_tol: float, rel_tol: float):
        self.arg, self.analytic, self.numeric = arg, analytic, numeric
        where = tuple(int(i) for i in where)
        a = float(np.asarray(analytic)[where])
        n = float(np.asarray(numeric)[where])
        super().__init__(f"verify_grad: gradient of input {arg} differs at index {where}: "
                         f"symbolic {a:.10g}, finite differences {n:.10g} (abs_tol={abs_tol}, "
                         f"rel_tol={rel_tol})")


def verify_grad(fun: Any, pt: Sequence[Any], n_tests: int = 2, rng: Any = None,
                eps: float | None = None, out_type: Any = None, abs_tol: float | None = None,
                rel_tol: float | None = None, mode: Any = None, cast_to_output_type: bool = False,
                no_debug_ref: bool = True) -> None:
    """Check ``grad`` of ``fun`` at ``pt`` against central finite differences.

    ``fun`` takes symbolic tensors and returns a tensor; a random projection makes it scalar
    (``sum(fun(*pt) * projection)``, a new projection for each of the ``n_tests``). Raises
    ``GradientError`` naming the worst element when the two disagree. ``out_type``,
    ``cast_to_output_type`` and ``no_debug_ref`` are accepted for Theano's signature.

    >>> verify_grad(lambda v: T.sum(T.tanh(v) ** 2), [np.array([0.5, -1.0])])
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    pt = [np.array(p, dtype="float64" if np.asarray(p).dtype.kind in "iub" else None)
          for p in pt]
    dtype = str(np.result_type(*pt))
    eps = eps if eps is not None else (1e-7 if dtype == "float64" else 1e-3)
    abs_tol = abs_tol if abs_tol is not None else (1e-4 if dtype == "float64" else 1e-2)
    rel_tol = rel_tol if rel_tol is not None else (1e-4 if dtype == "float64" else 1e-2)
    # a length-1 axis is broadcastable, as Theano's verify_grad typed its points (a (1, n)
    # bias against an (m, n) input)
    symbols = [TensorType(p.dtype, shape=tuple(1 if n == 1 else None for n in p.shape))(
        f"input_{k}") for k, p in enumerate(pt)]
    out = as_tensor_variable(fun(*symbols))
    # compiled once each: the output (the finite differences project it in NumPy), and the
    # gradient of its projection onto a symbolic input (a new value per test)
    projection = TensorType(out.dtype, shape=(None,) * out.ndim)("projection")
    grads = grad((out * projection).sum(), symbols, disconnected_inputs="ignore")
    out_fn = function(symbols, out, mode=mode, on_unused_input="ignore")
    grad_fn = function([*symbols, projection], grads, mode=mode, on_unused_input="ignore")
    shape = np.shape(out_fn(*pt))
    for _ in range(n_tests):
        proj = np.asarray(rng.random(shape), dtype=out.dtype)

        def cost(*values: np.ndarray, proj: np.ndarray = proj) -> float:
            return float(np.sum(np.asarray(out_fn(*values), dtype="float64") * proj))

        analytic = grad_fn(*pt, proj)
        numeric = numeric_grad(cost, [p.copy() for p in pt], eps)
        for k, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
            err = np.abs(a - n)
            bound = abs_tol + rel_tol * np.abs(n)
            if np.any(err > bound):
                worst = np.unravel_index(np.argmax(err - bound), err.shape) if err.ndim else ()
                raise GradientError(k, a, n, worst, abs_tol, rel_tol)
