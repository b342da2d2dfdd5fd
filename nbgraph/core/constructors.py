"""Theano's symbolic input constructors: ``dvector('x')``, ``fmatrices('a', 'b')``, ...

Each kind (scalar, vector, matrix, row, col, tensor3..tensor7) comes plain (``floatX``
dtype), with a one-letter dtype prefix (b w i l f d c z), and in plural form.
"""

from __future__ import annotations

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

    def make(name: str | None = None, dtype: str | None = None) -> TensorVariable:
        chosen = DTYPE_PREFIX[prefix] if prefix else (dtype or config.floatX)
        return TensorType(chosen, pattern).make_variable(name)

    make.__name__ = make.__qualname__ = (prefix or "") + kind
    make.__doc__ = (f"A symbolic {kind} of dtype "
                    f"{DTYPE_PREFIX[prefix] if prefix else 'config.floatX'}.")
    return make


def _plural(single: Any) -> Any:
    def make(*names: Any, dtype: str | None = None) -> list[TensorVariable]:
        if len(names) == 1 and isinstance(names[0], int):
            names = (None,) * names[0]
        return [single(n, dtype) for n in names]

    plural = single.__name__
    make.__name__ = plural[:-1] + "ces" if plural.endswith("matrix") else plural + "s"
    make.__qualname__ = make.__name__
    make.__doc__ = f"Several {single.__name__}s at once: ``{make.__name__}('a', 'b')``."
    return make


def all_constructors() -> dict[str, Any]:
    """{'dvector': ..., 'dvectors': ..., 'vector': ..., ...} for ``nbgraph.tensor``."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        for prefix in [None, *DTYPE_PREFIX]:
            single = _single(kind, prefix)
            out[single.__name__] = single
            many = _plural(single)
            out[many.__name__] = many
    return out
