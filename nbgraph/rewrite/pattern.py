"""The pattern DSL and matcher: ``P.log(P.add(1, x))`` matches ``log(1 + x)`` and binds ``x``.

``P.<name>`` is a pattern for the scalar-table op ``name`` (inside Elemwise) or for an op
class of ``PATTERN_CLASSES`` (``P.softmax`` matches ``Softmax``); any other name raises
``UnknownPatternOp`` when the pattern is built, so a misspelled rule fails at import. Lowercase
names (``x``, ``y``) bind Variables; numbers match constants of that value, broadcast or
filled. Commutative table ops match in either order. Matching only reads the graph.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.graph import Apply, Constant
from ..core.op import Op
from ..core.variable import TensorVariable
from ..ops.alloc import Alloc
from ..ops.elemwise import CAReduce, DimShuffle, Elemwise
from ..ops.linalg import Dot
from ..ops.nnet import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    Softmax,
    SoftmaxGrad,
)
from ..ops.scalar import SCALAR_BY_NAME
from ..ops.shape import Reshape

Bindings = dict[str, TensorVariable]

# op classes a pattern may name, by lowercased class name (add a class here to name it)
PATTERN_CLASSES: dict[str, type[Op]] = {cls.__name__.lower(): cls for cls in (
    Dot, DimShuffle, Reshape, Softmax, SoftmaxGrad, CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad)}
# pattern names that stand for an op family rather than a table row or class name
_REDUCE_NAMES = {"sum": "add", "prod": "mul", "max": "maximum", "min": "minimum"}
_FAMILY_NAMES = ("cast", "fill")   # Elemwise{Cast{..}}, Elemwise{second}


class UnknownPatternOp(NameError):
    """A pattern names an op that is neither a scalar-table row nor a pattern class."""


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def check_op_name(name: str) -> None:
    """Raise ``UnknownPatternOp`` (naming ``name``, a near match and every known name) unless
    ``P.<name>`` names an op a pattern can match."""
    if name in SCALAR_BY_NAME or name in _REDUCE_NAMES or name in _FAMILY_NAMES \
            or name.lower() in PATTERN_CLASSES:
        return
    known = [*SCALAR_BY_NAME, *_REDUCE_NAMES, *_FAMILY_NAMES, *PATTERN_CLASSES]
    near = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
    raise UnknownPatternOp(
        f"pattern P.{name}(...): no op named {name!r}{hint}. Known: the scalar table "
        f"({_listed(SCALAR_BY_NAME)}); reductions ({_listed(_REDUCE_NAMES)}); "
        f"{_listed(_FAMILY_NAMES)}; op classes ({_listed(PATTERN_CLASSES)}; add a class to "
        f"rewrite.pattern.PATTERN_CLASSES to name it)")


@dataclass(frozen=True)
class Var:
    """A named hole: binds any Variable (satisfying ``where``, if given)."""

    name: str
    where: Callable[[TensorVariable], bool] | None = None

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    """Matches a constant whose every element equals ``value`` (seen through fill/broadcast)."""

    value: float


@dataclass(frozen=True)
class OpPattern:
    """``name(*args)``: an op applied to sub-patterns; ``bind`` names the matched output."""

    name: str
    args: tuple[Pattern, ...]
    bind: str | None = None
    where: Callable[[TensorVariable], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_op_name(self.name)

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(map(repr, self.args))})"

    @property
    def key(self) -> str:
        """The node key (see ``node_keys``) a root node must have to possibly match."""
        if self.name in SCALAR_BY_NAME:
            return f"elemwise:{self.name}"
        if self.name in _REDUCE_NAMES:
            return "careduce"
        if self.name == "fill":
            return "elemwise:second"
        if self.name == "cast":
            return "elemwise"
        return self.name.lower()


Pattern = Var | Const | OpPattern   # what a rule's pattern is built of


class _PatternBuilder:
    """``P.exp(x)``, ``P.sum(x, bind="s")``: op patterns by attribute name."""

    def __getattr__(self, name: str) -> Callable[..., OpPattern]:
        if name.startswith("_"):
            raise AttributeError(name)

        def build(*args: Any, bind: str | None = None,
                  where: Callable[[TensorVariable], bool] | None = None) -> OpPattern:
            return OpPattern(name, tuple(_as_pattern(a) for a in args), bind, where)

        return build


P = _PatternBuilder()
x, y, z = Var("x"), Var("y"), Var("z")


def _as_pattern(item: Any) -> Pattern:
    if isinstance(item, (Var, Const, OpPattern)):
        return item
    if isinstance(item, (int, float, np.number)) and not isinstance(item, bool):
        return Const(float(item))
    raise TypeError(f"pattern: cannot use {item!r} as a pattern (use P.<op>, a Var or a "
                    f"number)")


def node_keys(node: Apply) -> tuple[str, ...]:
    """Keys under which rules are indexed for ``node``: lowercase class name, table row."""
    op = node.op
    keys = [type(op).__name__.lower()]
    scalar = getattr(op, "scalar_op", None)
    if scalar is not None and keys[0] == "elemwise":
        keys.append(f"elemwise:{scalar.name}")
    return tuple(keys)


# -- constants ---------------------------------------------------------------------------
def constant_value(var: TensorVariable) -> np.ndarray | None:
    """The value of ``var`` if it is a constant, a broadcast (DimShuffle) of one, or a fill
    (``second(model, c)``/``Alloc(c, ...)``) of one; else None. Shapes may differ from var's."""
    seen = 0
    while seen < 8:
        if isinstance(var, Constant):
            return np.asarray(var.data)
        node = var.owner
        if node is None:
            return None
        kind = type(node.op)
        if kind is DimShuffle or kind is Alloc:
            var = node.inputs[0]
        elif kind is Elemwise and node.op.scalar_op.name == "second":
            var = node.inputs[1]
        else:
            return None
        seen += 1
    return None


def is_constant_value(var: TensorVariable, value: float) -> bool:
    data = constant_value(var)
    if data is None or data.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(data == value))


# -- matching -----------------------------------------------------------------------------
def _op_matches(pattern: OpPattern, node: Apply) -> bool:
    op = node.op
    kind = type(op)  # exact classes: a subclass is another op
    name = pattern.name
    if name in SCALAR_BY_NAME:
        return kind is Elemwise and op.scalar_op.name == name
    if name in _REDUCE_NAMES:
        return kind is CAReduce and op.scalar_op.name == _REDUCE_NAMES[name]
    if name == "fill":
        return kind is Elemwise and op.scalar_op.name == "second"
    if name == "cast":
        return kind is Elemwise and op.scalar_op.name.startswith("Cast{")
    return kind is PATTERN_CLASSES[name.lower()]


def _commutative(pattern: OpPattern) -> bool:
    spec = SCALAR_BY_NAME.get(pattern.name)
    return spec is not None and spec.commutative


def match(pattern: Pattern, var: TensorVariable, bound: Bindings | None = None
          ) -> Bindings | None:
    """Bindings that make ``pattern`` equal ``var``, or None. A repeated name must bind the
    same Variable (merge runs first, so equal subexpressions are one node)."""
    return _match(pattern, var, dict(bound or {}))


def _match(pattern: Pattern, var: TensorVariable, bound: Bindings) -> Bindings | None:
    if isinstance(pattern, Var):
        if pattern.name in bound:
            return bound if bound[pattern.name] is var else None
        if pattern.where is not None and not pattern.where(var):
            return None
        bound[pattern.name] = var
        return bound
    if isinstance(pattern, Const):
        return bound if is_constant_value(var, pattern.value) else None
    node = var.owner
    if node is None or not _op_matches(pattern, node):
        return None
    if len(node.outputs) > 1 and pattern.bind is None and var.index != 0:
        return None
    if pattern.where is not None and not pattern.where(var):
        return None
    if len(pattern.args) != len(node.inputs):
        return None
    if pattern.bind is not None:
        if pattern.bind in bound and bound[pattern.bind] is not var:
            return None
        bound = {**bound, pattern.bind: var}
    orders: Iterable[tuple[Pattern, ...]] = [pattern.args]
    if _commutative(pattern) and len(pattern.args) <= 4:
        orders = itertools.permutations(pattern.args)
    for args in orders:
        trial = _match_all(args, node.inputs, dict(bound))
        if trial is not None:
            return trial
    return None


def _match_all(patterns: tuple[Pattern, ...], variables: tuple[TensorVariable, ...],
               bound: Bindings) -> Bindings | None:
    """Bindings matching each pattern to the variable in the same place, or None."""
    trial: Bindings | None = bound
    for sub, var in zip(patterns, variables, strict=True):
        if trial is None:
            return None
        trial = _match(sub, var, trial)
    return trial


# -- explaining a failed match (``why_not``) -------------------------------------------------
def _describe(var: TensorVariable) -> str:
    node = var.owner
    if isinstance(var, Constant):
        return f"the constant {np.asarray(var.data).tolist()!r}"
    if node is None:
        return f"the input {var}"
    return f"{node.op} (node {node.uid})"


def explain(pattern: Pattern, var: TensorVariable) -> str | None:
    """Why ``pattern`` does not match ``var``, in words (None when it matches): the op that
    differed, the constant that was not the expected one, or the condition that was false."""
    if match(pattern, var) is not None:
        return None
    return _why(pattern, var, {})


def _why(pattern: Pattern, var: TensorVariable, bound: Bindings) -> str:
    if isinstance(pattern, Var):
        if pattern.name in bound and bound[pattern.name] is not var:
            return (f"{pattern.name} must be the same value in both places: found "
                    f"{_describe(bound[pattern.name])} and {_describe(var)}")
        return (f"{pattern.name} = {_describe(var)} fails the rule's condition "
                f"(type {var.type})")
    if isinstance(pattern, Const):
        return f"expected the constant {pattern.value:g}, found {_describe(var)}"
    node = var.owner
    if node is None or not _op_matches(pattern, node):
        return f"expected {pattern.name}(...), found {_describe(var)}"
    if pattern.where is not None and not pattern.where(var):
        return (f"{pattern.name} at node {node.uid} fails the rule's condition (type "
                f"{var.type})")
    if len(pattern.args) != len(node.inputs):
        return (f"{pattern.name} takes {len(pattern.args)} inputs in the pattern, node "
                f"{node.uid} has {len(node.inputs)}")
    orders: Iterable[tuple[Pattern, ...]] = [pattern.args]
    if _commutative(pattern) and len(pattern.args) <= 4:
        orders = itertools.permutations(pattern.args)
    best = ""
    for args in orders:  # the explanation of the order that matched furthest
        trial: Bindings = dict(bound)
        for k, (sub, arg) in enumerate(zip(args, node.inputs, strict=True)):
            step = _match(sub, arg, dict(trial))
            if step is None:
                why = f"input {k} of {pattern.name} (node {node.uid}): {_why(sub, arg, trial)}"
                if len(why) > len(best):
                    best = why
                break
            trial = step
    return best or f"{pattern.name} at node {node.uid} does not match {pattern!r}"
