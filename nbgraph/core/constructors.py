"""Theano's symbolic input constructors: ``dvector('x')``, ``fmatrices('a', 'b')``, ...

Each kind (scalar, vector, matrix, row, col, tensor3..tensor7) comes plain (a function,
``floatX`` dtype), with a one-letter dtype prefix (b w i l f d c z: a TensorType, as in
Theano), and in plural form.
"""

from __future__ import annotations

import functools
from typing import Any

from ..config import config
from .types import DTYPE_PREFIX, TensorType
from .variable import TensorVariable

# kind -> broadcastable pattern
KINDS: dict[str, tuple[bool, ...]] = {
    "scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
    "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4,
    "tensor5": (False,) * 5, "tensor6": (False,) * 6, "tensor7": (False,) * 7,
}


def _single(kind: str, prefix: str | None) -> Any:
    pattern = KINDS[kind]
    if prefix:
        # Theano's prefixed constructors are types: ``x.type == T.dscalar`` holds, and
        # calling the type (``T.dscalar('x')``) makes a variable of it
        return TensorType(DTYPE_PREFIX[prefix], pattern)

    def make(name: str | None = None, dtype: str | None = None) -> TensorVariable:
        return TensorType(dtype or config.floatX, pattern).make_variable(name)

    make.__name__ = make.__qualname__ = kind
    make.__doc__ = f"A symbolic {kind} of dtype ``dtype`` (default config.floatX)."
    return make


def _plural(single: Any, plural: str) -> Any:
    def make(*names: Any, dtype: str | None = None) -> Any:
        # Theano's _multi: an int gives that many unnamed variables; one string names one
        # variable per letter (``matrices('pt')``), and a one-letter string gives the
        # variable itself, not a list
        if len(names) == 1 and isinstance(names[0], int):
            names = (None,) * names[0]
        elif len(names) == 1 and isinstance(names[0], str):
            if len(names[0]) == 1:
                return one(names[0], dtype)
            names = tuple(names[0])
        return [one(n, dtype) for n in names]

    def one(name: str | None, dtype: str | None) -> TensorVariable:
        return single(name) if isinstance(single, TensorType) else single(name, dtype)

    make.__name__ = plural[:-1] + "ces" if plural.endswith("matrix") else plural + "s"
    make.__qualname__ = make.__name__
    make.__doc__ = f"Several {plural}s at once: ``{make.__name__}('a', 'b')``."
    return make


@functools.cache
def all_constructors() -> dict[str, Any]:
    """{'dvector': ..., 'dvectors': ..., 'vector': ..., ...} for ``nbgraph.tensor`` (made once,
    so every Theano path that re-exports them gives the same objects)."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        for prefix in [None, *DTYPE_PREFIX]:
            name = (prefix or "") + kind
            out[name] = single = _single(kind, prefix)
            many = _plural(single, name)
            out[many.__name__] = many
    return out
