"""NanGuardMode: stop at the first node whose output holds nan, inf (or huge values).

The error names the node, the bad output and the range of each input, which is usually
enough to see where a value blew up (Theano's NanGuardMode, with a more useful message).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import InnerCompiler
from ..core.variable import TensorVariable
from ..link.registry import get_linker
from .base_mode import Mode


class NanGuardError(FloatingPointError):
    """A node produced nan/inf/huge values under NanGuardMode."""


def _describe(var: TensorVariable, value: Any) -> str:
    name = var.name or f"uid {var.uid}"
    arr = np.asarray(value)
    if arr.size == 0 or arr.dtype.kind not in "fciub":
        return f"{name}: {var.type.short() if hasattr(var.type, 'short') else var.type}"
    finite = arr[np.isfinite(arr)] if arr.dtype.kind in "fc" else arr
    span = f"[{finite.min()}, {finite.max()}]" if finite.size else "[no finite values]"
    bad = arr.size - finite.size
    extra = f", {bad} non-finite" if bad else ""
    return f"{name}: shape {arr.shape}, range {span}{extra}"


class NanGuardLinker:
    """Wraps another linker; checks every output after each thunk."""

    def __init__(self, inner: Any = "py", nan: bool = True, inf: bool = True,
                 big: bool = False, big_value: float = 1e10):
        self.inner, self.nan, self.inf, self.big, self.big_value = inner, nan, inf, big, \
            big_value
        self.name = f"nanguard({inner})"

    def problem(self, value: Any) -> str | None:
        arr = np.asarray(value)
        if arr.dtype.kind not in "fc" or arr.size == 0:
            return None
        if self.nan and np.isnan(arr).any():
            return "nan"
        if self.inf and np.isinf(arr).any():
            return "inf"
        if self.big and (np.abs(arr[np.isfinite(arr)]) > self.big_value).any():
            return f"values above {self.big_value:g}"
        return None

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any, compiler: InnerCompiler
                    ) -> tuple[list[Any], dict[Apply, str]]:
        thunks, source = get_linker(self.inner).make_thunks(fgraph, nodes, storage, profile,
                                                               compiler)
        return [self._guard(node, thunk, storage) for node, thunk in
                zip(nodes, thunks, strict=True)], source

    def _guard(self, node: Apply, thunk: Any, storage: dict[Variable, list]) -> Any:
        def guarded() -> None:
            thunk()
            for k, out in enumerate(node.outputs):
                what = self.problem(storage[out][0])
                if what is not None:
                    inputs = "\n".join("    " + _describe(v, storage[v][0])
                                       for v in node.inputs)
                    raise NanGuardError(f"NanGuardMode: node {node.uid} ({node.op}) produced "
                                        f"{what} in output {k}\n  inputs:\n{inputs}")

        return guarded


class NanGuardMode(Mode):
    """``NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=False)``.

    >>> f = nbgraph.function([x], T.log(x), mode=NanGuardMode())
    >>> f([-1.0])   # NanGuardError: node 7 (Elemwise{log,no_inplace}) produced nan ...
    """

    def __init__(self, nan_is_error: bool = True, inf_is_error: bool = True,
                 big_is_error: bool = False, optimizer: Any = "fast_run", linker: Any = "py"):
        super().__init__(NanGuardLinker(linker, nan_is_error, inf_is_error, big_is_error),
                         optimizer)
