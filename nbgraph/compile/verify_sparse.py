"""``verify_grad_sparse`` (Theano's ``theano.sparse.verify_grad_sparse``): ``verify_grad`` for
ops with sparse inputs or outputs. Each sparse input becomes a dense variable (or, with
``structured``, the vector of its stored values, the structure held fixed) and each sparse
output is read densely (or as its stored values), so finite differences apply."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.variable import TensorVariable
from ..ops.sparse.basic import CSM, csc_from_dense, csm_data, csr_from_dense, dense_from_sparse
from ..ops.sparse.type import is_sparse
from .verify import verify_grad

__all__ = ["verify_grad_sparse"]


def _input_converter(value: Any, structured: bool) -> tuple[Callable[[Any], Any], np.ndarray]:
    """How a test point enters the op: a function of the symbolic stand-in, and the numeric
    point for that stand-in."""
    from scipy import sparse
    if not sparse.issparse(value):
        return (lambda var: var), np.asarray(value)
    fmt = value.format if value.format in ("csr", "csc") else "csr"
    value = value.asformat(fmt)
    if structured:
        parts = [value.indices.astype("int32"), value.indptr.astype("int32"),
                 np.asarray(value.shape, dtype="int32")]
        return (lambda data: CSM(fmt)(data, *parts)), np.asarray(value.data)
    to_sparse = csr_from_dense if fmt == "csr" else csc_from_dense
    return to_sparse, value.toarray()


def verify_grad_sparse(op: Callable[..., Any], pt: Sequence[Any], structured: bool = False,
                       *args: Any, **kwargs: Any) -> None:
    """``verify_grad(op, pt)`` where points may be scipy sparse matrices and ``op`` may
    return a sparse matrix. ``structured``: vary only the stored values. nbgraph's sparse
    gradients are all structured (defined at the stored positions), so sparse points need
    ``structured=True``; ``False`` suits dense points. Other arguments go to ``verify_grad``.

    >>> verify_grad_sparse(nbgraph.sparse.structured_dot,
    ...                    [scipy.sparse.random(4, 3, format='csr'), np.ones((3, 2))],
    ...                    structured=True)
    """
    converters, points = zip(*[_input_converter(p, structured) for p in pt], strict=True)

    def wrapped(*symbols: TensorVariable) -> TensorVariable:
        out = op(*[convert(s) for convert, s in zip(converters, symbols, strict=True)])
        if is_sparse(out):
            return csm_data(out) if structured else dense_from_sparse(out)
        return out

    verify_grad(wrapped, list(points), *args, **kwargs)
