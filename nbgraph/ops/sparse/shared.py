"""Sparse shared variables (Theano's ``theano.sparse.shared``): a scipy matrix stored outside
any one function, read by every function that uses it."""

from __future__ import annotations

from typing import Any

from ...core.shared import SharedVariable
from .type import FORMATS, SparseType, SparseVariable

__all__ = ["shared", "SparseSharedVariable"]


class SparseSharedVariable(SparseVariable, SharedVariable):
    """A shared scipy CSR/CSC matrix; its operators are the sparse ones."""

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        value = self.container[0]
        return value if borrow else value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        value = self.type.filter(value, name=self.name or "shared variable",
                                 allow_downcast=False)
        self.container[0] = value if borrow else value.copy()


def shared(value: Any, name: str | None = None, strict: bool = False,
           allow_downcast: bool | None = None, borrow: bool = False,
           format: str | None = None) -> SparseSharedVariable:  # noqa: A002
    """A shared sparse matrix holding ``value`` (a scipy CSR or CSC matrix; ``format``
    converts). Like ``nbgraph.shared``, the value is copied unless ``borrow``.

    >>> X = nbgraph.sparse.shared(scipy.sparse.random(100, 20, format='csr'), name='X')
    """
    from scipy import sparse
    if not sparse.issparse(value):
        raise TypeError(f"sparse.shared: expected a scipy sparse matrix, got "
                        f"{type(value).__name__}")
    fmt = format or (value.format if value.format in FORMATS else "csr")
    kind: Any = SparseType(fmt, str(value.dtype))   # duck-types TensorType for SharedVariable
    return SparseSharedVariable(kind, value if borrow else value.copy(), name, strict,
                                allow_downcast)
