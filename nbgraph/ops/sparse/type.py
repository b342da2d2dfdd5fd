"""Sparse matrices in graphs: ``SparseType`` (format 'csr' or 'csc', a dtype) whose values are
``scipy.sparse`` matrices, and ``SparseVariable``, whose operators build sparse ops.

``SparseVariable`` is a ``TensorVariable`` so that ``function``, ``grad`` and ``In`` accept
it; the tensor operators it inherits are replaced by sparse ones or refused with a clear
error (a dense op on a scipy matrix would compute the wrong thing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...config import config
from ...core.variable import TensorVariable

__all__ = ["SparseType", "SparseVariable", "FORMATS", "is_sparse", "sparse_formats",
           "csr_dmatrix", "csr_fmatrix", "csc_dmatrix", "csc_fmatrix"]

FORMATS = ("csr", "csc")


class SparseType:
    """The type of a 2-d ``scipy.sparse`` matrix in ``format`` ('csr' or 'csc')."""

    __slots__ = ("format", "dtype", "shape")

    def __init__(self, format: str, dtype: str = "floatX",  # noqa: A002  (Theano's name)
                 shape: Sequence[int | None] = (None, None)):
        if format not in FORMATS:
            raise ValueError(f"SparseType: format must be one of {FORMATS}, got {format!r}")
        self.format = format
        self.dtype = str(np.dtype(config.floatX if dtype == "floatX" else dtype))
        self.shape = tuple(None if s is None else int(s) for s in shape)

    ndim = 2

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return (False, False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SparseType) and (self.format, self.dtype) == (
            other.format, other.dtype)

    def __hash__(self) -> int:
        return hash(("SparseType", self.format, self.dtype))

    def is_compatible(self, other: Any) -> bool:
        return self == other

    def clone(self, dtype: str | None = None, shape: Any = None) -> SparseType:
        return SparseType(self.format, dtype or self.dtype)

    def __str__(self) -> str:
        return f"Sparse[{self.dtype}, {self.format}]"

    __repr__ = __str__

    def short(self) -> str:
        return f"{self.format}:{self.dtype}[?,?]"

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               name: str | None = None) -> Any:
        """``value`` as a scipy matrix of this format and dtype (a dense array or another
        format is converted unless ``strict``)."""
        from scipy import sparse
        what = f"input {name!r}" if name else "value"
        if sparse.issparse(value) and value.format == self.format \
                and value.dtype == self.dtype:
            return value
        if strict:
            raise TypeError(f"{what}: expected a {self.short()} matrix, got "
                            f"{type(value).__name__}")
        matrix = sparse.csr_matrix(value) if self.format == "csr" else sparse.csc_matrix(value)
        if matrix.ndim != 2:
            raise TypeError(f"{what}: expected a 2-d matrix, got shape {matrix.shape}")
        if matrix.dtype != self.dtype:
            if not (np.can_cast(matrix.dtype, self.dtype, "safe") or allow_downcast):
                raise TypeError(f"{what}: got {matrix.dtype} data for a {self.short()} "
                                f"input; casting would lose precision")
            matrix = matrix.astype(self.dtype)
        return matrix

    def value_zeros(self, shape: Sequence[int]) -> Any:
        from scipy import sparse
        maker = sparse.csr_matrix if self.format == "csr" else sparse.csc_matrix
        return maker(tuple(shape), dtype=self.dtype)

    def make_variable(self, name: str | None = None) -> SparseVariable:
        return SparseVariable(self, None, None, name)

    def __call__(self, name: str | None = None) -> SparseVariable:
        return self.make_variable(name)


def is_sparse(var: Any) -> bool:
    """Whether ``var`` is a symbolic sparse matrix."""
    return isinstance(getattr(var, "type", None), SparseType)


def _refuse(name: str) -> Any:
    def method(self: SparseVariable, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{name}: not defined for the sparse matrix {self} ({self.type}); "
                        f"use nbgraph.sparse functions or dense_from_sparse first")
    method.__name__ = name
    return method


class SparseVariable(TensorVariable):
    """A symbolic sparse matrix. ``+``, ``-``, ``*`` (by a dense tensor or a scalar), ``@``,
    ``< <= > >=``, ``.T``, ``dot``, ``sum``, ``toarray`` build sparse ops; other tensor
    operators raise."""

    type: Any  # a SparseType

    @property
    def format(self) -> str:
        return str(self.type.format)

    # the sparse operations; nbgraph.ops.sparse binds them (it imports this module)
    def __add__(self, other: Any) -> Any: return SPARSE_OPS["add"](self, other)
    def __radd__(self, other: Any) -> Any: return SPARSE_OPS["add"](other, self)
    def __sub__(self, other: Any) -> Any: return SPARSE_OPS["sub"](self, other)
    def __rsub__(self, other: Any) -> Any: return SPARSE_OPS["sub"](other, self)
    def __mul__(self, other: Any) -> Any: return SPARSE_OPS["mul"](self, other)
    def __rmul__(self, other: Any) -> Any: return SPARSE_OPS["mul"](other, self)
    def __neg__(self) -> Any: return SPARSE_OPS["neg"](self)
    def __matmul__(self, other: Any) -> Any: return SPARSE_OPS["dot"](self, other)
    def __rmatmul__(self, other: Any) -> Any: return SPARSE_OPS["dot"](other, self)
    def __getitem__(self, index: Any) -> Any: return SPARSE_OPS["getitem"](self, index)
    def __lt__(self, other: Any) -> Any: return SPARSE_OPS["lt"](self, other)
    def __le__(self, other: Any) -> Any: return SPARSE_OPS["le"](self, other)
    def __gt__(self, other: Any) -> Any: return SPARSE_OPS["gt"](self, other)
    def __ge__(self, other: Any) -> Any: return SPARSE_OPS["ge"](self, other)

    def dot(self, other: Any) -> Any:
        return SPARSE_OPS["dot"](self, other)

    def transpose(self, *axes: Any) -> Any:
        return SPARSE_OPS["transpose"](self)

    @property
    def T(self) -> Any:
        return SPARSE_OPS["transpose"](self)

    def sum(self, axis: Any = None, *args: Any, **kwargs: Any) -> Any:
        return SPARSE_OPS["sp_sum"](self, axis)

    def toarray(self) -> Any:
        return SPARSE_OPS["dense_from_sparse"](self)

    for _name in ("__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
                  "__rmod__", "__pow__", "__rpow__", "__abs__", "__invert__", "__and__",
                  "__or__", "__xor__",
                  "mean", "prod", "var", "std", "max", "min", "reshape", "flatten",
                  "dimshuffle", "astype"):
        locals()[_name] = _refuse(_name)
    del _name


sparse_formats = list(FORMATS)
csr_dmatrix = SparseType("csr", "float64")
csr_fmatrix = SparseType("csr", "float32")
csc_dmatrix = SparseType("csc", "float64")
csc_fmatrix = SparseType("csc", "float32")

# the operators above dispatch here; nbgraph/ops/sparse/__init__.py fills it in one place
# (the op modules import this one, so this one cannot import them)
SPARSE_OPS: dict[str, Any] = {}
