"""NanGuardMode: stop at the first node whose output holds nan, inf (or huge values).

The error names the user-level op that made the bad value (the op inside a fused Composite,
or inside the prologue a reduction's kernel absorbed, not the fused node) and the range of
each input as it was before the node ran (an in-place node overwrites one), which is usually
enough to see where a value blew up (Theano's NanGuardMode, with a more useful message).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply, Constant, Variable
from ..core.op import InnerCompiler
from ..core.variable import TensorVariable
from ..link.registry import get_linker
from ..ops.composite import Composite
from .base_mode import Mode
from .debugmode import fused_prologues, origin, wrapped


class NanGuardError(FloatingPointError, AssertionError):
    """A node produced nan/inf/huge values under NanGuardMode. Also an ``AssertionError``,
    which is what Theano raised (its docs and user code catch that)."""


def _describe(name: str, value: Any) -> str:
    arr = np.asarray(value)
    if arr.size == 0 or arr.dtype.kind not in "fciub":
        return f"{name}: shape {arr.shape}, dtype {arr.dtype}"
    finite = arr[np.isfinite(arr)] if arr.dtype.kind in "fc" else arr
    span = f"[{finite.min()}, {finite.max()}]" if finite.size else "[no finite values]"
    bad = arr.size - finite.size
    extra = f", {bad} non-finite" if bad else ""
    return f"{name}: shape {arr.shape}, range {span}{extra}"


def _name(var: Variable) -> str:
    return var.name or f"uid {var.uid}"


class NanGuardLinker:
    """Wraps another linker (by default FAST_RUN's, C); checks every output after each thunk."""

    def __init__(self, inner: Any = "c", nan: bool = True, inf: bool = True,
                 big: bool = False, big_value: float = 1e10):
        self.inner, self.nan, self.inf, self.big, self.big_value = inner, nan, inf, big, \
            big_value
        self.name = f"nanguard({getattr(inner, 'name', inner)})"

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
        folded = fused_prologues(nodes, thunks)
        return [thunk if node in folded else
                self._guard(node, thunk, storage, [v.owner for v in node.inputs
                                                   if v.owner in folded])
                for node, thunk in zip(nodes, thunks, strict=True)], source

    def _guard(self, node: Apply, thunk: Any, storage: dict[Variable, list],
               folded: list[Apply]) -> Any:
        destroyed = sorted({i for ins in (getattr(node.op, "destroy_map", {}) or {}).values()
                            for i in ins})

        def guarded() -> None:
            # an in-place node overwrites these: report them as they were
            saved = {i: np.array(storage[node.inputs[i]][0], copy=True) for i in destroyed}
            thunk()
            for k, out in enumerate(node.outputs):
                what = self.problem(storage[out][0])
                if what is not None:
                    args = [saved[i] if i in saved else _value(v, storage)
                            for i, v in enumerate(node.inputs)]
                    raise NanGuardError(self._report(node, k, what, args, folded, storage))

        return wrapped(guarded, thunk)

    def _report(self, node: Apply, k: int, what: str, args: list[Any], folded: list[Apply],
                storage: dict[Variable, list]) -> str:
        """Name the op that made the bad value: inside a folded prologue if that is where it
        starts, inside a fused Composite if the node is one."""
        for pro in folded:
            pro_args = [_value(v, storage) for v in pro.inputs]
            cells: list[list[Any]] = [[None] for _ in pro.outputs]
            with np.errstate(all="ignore"):
                pro.op.perform(pro, [np.array(a, copy=True) for a in pro_args], cells)
            if any(self.problem(c[0]) for c in cells):
                step = self._first_bad_step(pro, pro_args)
                inside = f"{step}, in node {pro.uid} ({pro.op})" if step else \
                    f"node {pro.uid} ({pro.op}, {origin(pro)})"
                return self._message(f"{inside}, folded into the kernel of node {node.uid} "
                                     f"({node.op})", what, pro, pro_args)
        step = self._first_bad_step(node, args)
        where = f"{step}, fused into node {node.uid} ({node.op})" if step else \
            f"node {node.uid} ({node.op}, {origin(node)})"
        return self._message(where, what, node, args, k)

    def _first_bad_step(self, node: Apply, args: list[Any]) -> str | None:
        """In a fused Composite, the first step whose value is bad while its arguments are
        not: ``Elemwise{log} (node 12 before fusion, computing log(i0) from i0: ...)``."""
        scalar = getattr(node.op, "scalar_op", None)
        if not isinstance(scalar, Composite):
            return None
        with np.errstate(all="ignore"):
            values = scalar.values(*[np.asarray(a) for a in args])
        for n, step in enumerate(scalar.steps):
            if step.spec is None:   # a constant
                continue
            bad = self.problem(values[scalar.nin + n])
            if bad and not any(self.problem(values[a]) for a in step.args):
                ranges = "; ".join(_describe(scalar.expression(a), values[a])
                                   for a in step.args)
                return (f"Elemwise{{{step.spec.name}}} (node {step.uid} before fusion, "
                        f"computing {scalar.expression(scalar.nin + n)} from {ranges})")
        return None

    @staticmethod
    def _message(where: str, what: str, node: Apply, args: list[Any], k: int = 0) -> str:
        inputs = "\n".join("    " + _describe(_name(v), a)
                           for v, a in zip(node.inputs, args, strict=True))
        return (f"NanGuardMode: {where} produced {what} in output {k}\n"
                f"  inputs (before the node ran):\n{inputs}")


def _value(var: TensorVariable, storage: dict[Variable, list]) -> Any:
    return var.data if isinstance(var, Constant) else storage[var][0]


class NanGuardMode(Mode):
    """``NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=False)``.

    >>> f = nbgraph.function([x], T.log(x) * 2, mode=NanGuardMode())
    >>> f([-1.0])   # NanGuardError: Elemwise{log} (node 7 before fusion, ...) produced nan
    """

    def __init__(self, nan_is_error: bool = True, inf_is_error: bool = True,
                 big_is_error: bool = False, optimizer: Any = "fast_run", linker: Any = "c"):
        super().__init__(NanGuardLinker(linker, nan_is_error, inf_is_error, big_is_error),
                         optimizer)
