"""Ops derived from the scalar table: Elemwise (broadcasting map), DimShuffle, CAReduce.

Broadcasting follows Theano: a dimension broadcasts only where the type says so (static shape
1). That is what lets ``Elemwise.grad`` undo broadcasting exactly, in one place (``sum_to``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op, UndefinedGrad
from ..core.tensor_math import MATH
from ..core.types import TensorType, autocast_dtype, is_int, upcast
from ..core.variable import (
    TensorConstant,
    TensorVariable,
    adopt_dtype,
    as_tensor_variable,
    constant,
    describe,
    is_weak,
)
from .scalar import COMPARISONS, ScalarOp, ScalarSpec


def _unify_weak_constants(spec: ScalarOp, inputs: list[TensorVariable]) -> list[TensorVariable]:
    """Python-number constants take the dtype Theano 1.0 gives them here (``autocast_dtype``:
    300 is int16, 1e40 float64) upcast with the tensors' dtypes, so int8 + 300 is int16 and
    float32 + 1e40 is float64, never a wrapped, refused or infinite number."""
    skip = 1 if spec.name == "switch" else 0  # switch's condition keeps its own dtype
    values = inputs[skip:]
    strong = [v.dtype for v in values if not is_weak(v)]
    if len(strong) == len(values) or not strong:
        return inputs
    common = upcast(*strong)
    own = {id(v): autocast_dtype(_literal(v), common) for v in values if is_weak(v)}
    # a comparison's number keeps its own dtype: the row compares int64 with uint64 exactly
    target = None if spec.name in COMPARISONS else upcast(common, *own.values())
    wanted = {id(v): target or own[id(v)] for v in values if is_weak(v)}
    return inputs[:skip] + [adopt_dtype(v, wanted[id(v)]) if is_weak(v)
                            and v.dtype != wanted[id(v)] else v for v in values]


def _literal(weak: TensorConstant) -> Any:
    """The Python number a weak constant was written as."""
    return weak.data.item() if weak.literal is None else weak.literal


# pp: Theano prints these scalar ops under other names or forms
_PP_PATTERNS = {"second": "fill({0}, {1})", "abs_": "|{0}|",
                # Theano printed comparisons as calls: gt(x, y)
                **{c: c + "({0}, {1})" for c in ("lt", "gt", "le", "ge", "eq", "neq")}}


class Elemwise(Op):
    """Apply one scalar op elementwise with broadcasting: ``Elemwise{add,no_inplace}``.

    ``inplace_pattern`` maps an output index to the input whose buffer it overwrites.
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(self, scalar_op: ScalarOp, inplace_pattern: dict[int, int] | None = None,
                 name: str | None = None):
        self.scalar_op = scalar_op
        self.inplace_pattern = tuple(sorted((inplace_pattern or {}).items()))
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}
        self.name = name

    def pp(self, node: Apply, args: list[str]) -> str:
        # infix with the table's symbol, always parenthesised; Theano's names for a few rows
        spec = self.scalar_op
        if spec.name.startswith("Composite"):
            return super().pp(node, args)
        if spec.name in _PP_PATTERNS:
            return _PP_PATTERNS[spec.name].format(*args)
        # only table rows have symbols; another ScalarOp prints as a call
        symbol = spec.symbol if isinstance(spec, ScalarSpec) else None
        if symbol and len(args) == 1:
            return f"({symbol}{args[0]})"
        if symbol:
            return "(" + f" {symbol} ".join(args) + ")"
        return f"{spec.name}({', '.join(args)})"

    def __str__(self) -> str:
        if self.name:
            return self.name
        mode = "inplace" if self.inplace_pattern else "no_inplace"
        if self.inplace_pattern and self.scalar_op.name.startswith("Composite"):
            return f"Elemwise{{{self.scalar_op}}}[{self.inplace_pattern[0][0]}]"
        if self.scalar_op.name.startswith("Composite"):
            return f"Elemwise{{{self.scalar_op}}}"
        return f"Elemwise{{{self.scalar_op},{mode}}}"

    def make_node(self, *inputs: Any) -> Apply:
        spec = self.scalar_op
        if len(inputs) != spec.nin and not (spec.associative and len(inputs) >= 2):
            raise TypeError(f"{self}: takes {spec.nin} inputs, got {len(inputs)}")
        for x in inputs:  # a sparse matrix would reach NumPy as a scipy object: refuse it
            if not isinstance(getattr(x, "type", None), (TensorType, type(None))):
                raise TypeError(f"{self}: {describe(x)} is not a dense tensor (sparse "
                                f"matrices: use the functions of nbgraph.sparse)")
        try:
            tensors_in = [as_tensor_variable(x) for x in inputs]
        except TypeError as err:  # x + 'abc': name the op the string was given to
            raise TypeError(f"{self}: {err}") from None
        unified = _unify_weak_constants(spec, tensors_in)
        ndim = max(x.ndim for x in unified)
        tensors = [x if x.ndim == ndim else pad_left(x, ndim) for x in unified]
        shape: list[int | None] = []
        for axis in range(ndim):
            known = {n for x in tensors if (n := x.type.shape[axis]) is not None and n != 1}
            if len(known) > 1:
                sides = " with ".join(describe(x) for x in tensors)
                raise ValueError(f"{self}: cannot broadcast {sides} (dimension {axis}: "
                                 f"{' vs '.join(map(str, sorted(known)))})")
            if known:
                shape.append(known.pop())
            elif all(x.type.shape[axis] == 1 for x in tensors):
                shape.append(1)
            else:
                shape.append(None)
        try:
            dtypes = spec.out_dtypes(tuple(x.dtype for x in tensors))
        except TypeError as err:
            raise TypeError(f"{self}: {err}") from None
        outs = [TensorType(d, shape=shape).make_variable() for d in dtypes]
        return Apply(self, tensors, outs)

    def evaluate(self, *inputs: Any) -> Any:
        """The scalar op on NumPy values, its operands converted as its kernels convert them
        (a Composite, step by step): the reference every linker is tested against."""
        spec = self.scalar_op
        return spec.evaluate(*inputs) if isinstance(spec, ScalarSpec) else spec.numpy(*inputs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        try:
            results = self.evaluate(*inputs)
        except ValueError:
            broadcast_shape(node, inputs)  # shapes that do not broadcast: say which node
            raise
        if len(node.outputs) == 1:
            results = (results,)
        destroyed = dict(self.inplace_pattern)
        for k, (out, result) in enumerate(zip(node.outputs, results, strict=True)):
            result = np.asarray(result)
            if result.dtype != out.type.dtype:
                result = result.astype(out.type.dtype)
            if k == 0 and any(v.shape != result.shape for v in inputs):
                check_broadcast(node, inputs, result.shape)
            if k in destroyed:  # write into the input buffer this output may overwrite
                target = inputs[destroyed[k]]
                if target.shape == result.shape and target.dtype == result.dtype \
                        and target.flags.writeable:  # a shared value may be read-only
                    target[...] = result
                    result = target
            output_storage[k][0] = result

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # each dimension from an input that does not broadcast there (they must all agree)
        out: list[Any] = []
        for axis, entries in enumerate(zip(*shapes, strict=True)):
            sizes = [v.type.shape[axis] for v in node.inputs]
            full = [k for k, n in enumerate(sizes) if n != 1]
            known = [k for k in full if sizes[k] is not None]
            out.append(entries[(known or full or [0])[0]])
        return [tuple(out)] * len(node.outputs)

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | UndefinedGrad | None]:
        grads = self.scalar_op.input_grads(inputs, outputs, output_grads)
        # an UndefinedGrad passes through: it fails only if that gradient is needed
        return [None if g is None or is_int(x.dtype) else
                g if isinstance(g, UndefinedGrad) else sum_to(g, x)
                for g, x in zip(grads, inputs, strict=True)]


def check_broadcast(node: Apply, inputs: list[np.ndarray], out_shape: tuple) -> None:
    """At call time, a size-1 dimension only broadcasts if the type declared it (Theano)."""
    for axis, size in enumerate(out_shape):
        for var, value in zip(node.inputs, inputs, strict=True):
            if value.shape[axis] != size and not var.type.broadcastable[axis]:
                shapes = ", ".join(f"{describe(v)} shape {x.shape}"
                                   for v, x in zip(node.inputs, inputs, strict=True))
                hint = ("; a dimension of length 1 only broadcasts if its type is broadcastable"
                        " (use a row/col or dimshuffle('x', ...))") if value.shape[axis] == 1 \
                    else "; these shapes do not broadcast"
                raise ValueError(f"{node.op} at node {node.uid}: input dimension mismatch in "
                                 f"dimension {axis} ({shapes}){hint}")


def broadcast_shape(node: Apply, vals: list[Any]) -> tuple[int, ...]:
    """The shape ``vals`` (``node``'s operands) broadcast to, by Theano's rule: a length 1
    broadcasts only where the type says so. The error names the node and every shape."""
    try:
        shape = tuple(np.broadcast_shapes(*(v.shape for v in vals)))
    except ValueError:
        shape = tuple(max(sizes) for sizes in zip(*(v.shape for v in vals), strict=True))
    if any(v.shape != shape for v in vals):
        check_broadcast(node, vals, shape)
    return shape


def pad_left(x: TensorVariable, ndim: int) -> TensorVariable:
    """Prepend broadcastable dimensions: a vector becomes a row for matrix broadcasting."""
    return DimShuffle(x.type.broadcastable, ["x"] * (ndim - x.ndim) + [*range(x.ndim)])(x)


def sum_to(g: Any, x: TensorVariable) -> TensorVariable:
    """Sum gradient ``g`` back over the dimensions where ``x`` was broadcast (the one place
    broadcasting is undone), and match ``x``'s dtype."""
    g = as_tensor_variable(g)
    if g.ndim < x.ndim:
        g = MATH.second(x, g)
    lead = g.ndim - x.ndim
    axes = list(range(lead)) + [lead + i for i, b in enumerate(x.broadcastable)
                                if b and not g.broadcastable[lead + i]]
    if axes:
        g = MATH.sum(g, axis=axes, keepdims=True)
    if lead:
        g = DimShuffle(g.broadcastable, list(range(lead, g.ndim)))(g)
    if g.dtype != x.dtype:
        g = MATH.cast(g, x.dtype)
    return g


class DimShuffle(Op):
    """Reorder dimensions, insert broadcastable ones (``'x'``), drop broadcastable ones.

    ``DimShuffle((False, False), (1, 0))`` is a transpose; ``(0, 'x')`` makes a column.
    The output is a view of the input.
    """

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable: Sequence[bool], new_order: Sequence[Any]):
        self.input_broadcastable = tuple(bool(b) for b in input_broadcastable)
        self.new_order = tuple("x" if o == "x" else int(o) for o in new_order)
        nd = len(self.input_broadcastable)
        kept = [o for o in self.new_order if isinstance(o, int)]
        if len(set(kept)) != len(kept) or any(not 0 <= o < nd for o in kept):
            raise ValueError(f"DimShuffle: invalid pattern {self.new_order} for {nd} dimensions")
        dropped = [i for i in range(nd) if i not in kept]
        for i in dropped:
            if not self.input_broadcastable[i]:
                raise ValueError(f"DimShuffle{self.new_order}: cannot drop dimension {i}, "
                                 "which is not broadcastable")
        self.dropped = tuple(dropped)
        # runtime plan: squeeze dropped dims, transpose kept dims, expand 'x' positions
        remaining = [i for i in range(nd) if i not in dropped]
        self.perm = tuple(remaining.index(o) for o in kept)
        self.augment = tuple(i for i, o in enumerate(self.new_order) if o == "x")

    def pp(self, node: Apply, args: list[str]) -> str:
        order = list(self.new_order)
        while order and order[0] == "x":  # broadcasting pads print as the value itself
            order.pop(0)
        ndim = node.inputs[0].ndim
        if order == list(range(ndim)):
            return args[0]
        if order == list(reversed(range(ndim))):
            return f"{args[0]}.T"
        return "DimShuffle{" + ", ".join(map(str, self.new_order)) + f"}}({args[0]})"

    def __str__(self) -> str:
        return "InplaceDimShuffle{" + ",".join(str(o) for o in self.new_order) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != len(self.input_broadcastable):
            raise TypeError(f"{self}: expected a {len(self.input_broadcastable)}-d input, "
                            f"got {describe(x)}")
        for i in self.dropped:
            if x.type.shape[i] not in (1, None):
                raise ValueError(f"{self}: cannot drop dimension {i} of {describe(x)}")
        shape = [1 if o == "x" else x.type.shape[o] for o in self.new_order]
        return Apply(self, [x], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        if self.dropped:
            x = np.squeeze(x, axis=self.dropped)
        x = np.transpose(x, self.perm)
        if self.augment:
            x = np.expand_dims(x, self.augment)
        output_storage[0][0] = x

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        one = constant(1, dtype="int64")
        return [tuple(one if o == "x" else shapes[0][int(o)] for o in self.new_order)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable]:
        x, g = inputs[0], output_grads[0]
        order = [self.new_order.index(i) if i in self.new_order else "x" for i in range(x.ndim)]
        # 'x' dimensions of the output may hold a broadcast gradient; sum them first
        extra = [i for i, o in enumerate(self.new_order) if o == "x" and not g.broadcastable[i]]
        if extra:
            g = MATH.sum(g, axis=extra, keepdims=True)
        return [DimShuffle(g.broadcastable, order)(g)]


def normalize_axis(axis: Any, ndim: int, what: str) -> tuple[int, ...]:
    """``None`` -> all axes; ints and negative ints -> a sorted tuple, checked against ndim."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Variable):
        if not isinstance(axis, TensorConstant):
            raise TypeError(f"{what}: axis must be a constant, got {axis}")
        axis = axis.data.tolist()
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} is out of range for a {ndim}-d input")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return tuple(sorted(out))


class CAReduce(Op):
    """Reduce over ``axis`` with an associative scalar op: Sum, Prod, Max, Min, All, Any."""

    __props__ = ("scalar_op", "axis", "dtype")
    _names = {"add": "Sum", "mul": "Prod", "maximum": "Max", "minimum": "Min",
              "and_": "All", "or_": "Any"}

    def __init__(self, scalar_op: ScalarSpec, axis: Sequence[int] | None = None,
                 dtype: str | None = None):
        if not scalar_op.associative:
            raise ValueError(f"CAReduce needs an associative scalar op, not {scalar_op}")
        self.scalar_op = scalar_op
        self.axis = None if axis is None else tuple(axis)
        self.dtype = dtype

    def __str__(self) -> str:
        name = self._names.get(self.scalar_op.name, f"CAReduce{{{self.scalar_op}}}")
        params = [] if self.axis is None else [f"axis={list(self.axis)}"]
        if self.scalar_op.name in ("add", "mul") and self.dtype:
            params.append(f"acc_dtype={self.dtype}")
        return name + ("{" + ", ".join(params) + "}" if params else "")

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axis = normalize_axis(self.axis, x.ndim, str(self))
        if self.axis is not None and axis != self.axis:
            return CAReduce(self.scalar_op, axis, self.dtype).make_node(x)
        shape = [s for i, s in enumerate(x.type.shape) if i not in axis]
        dtype = self.dtype or x.dtype
        out = TensorType(dtype, shape=shape).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        axis = tuple(range(x.ndim)) if self.axis is None else self.axis
        dtype = node.outputs[0].dtype
        ufunc = _REDUCE_UFUNC[self.scalar_op.name]
        # sums and products accumulate in the output dtype; the others compare in x's
        accumulate = dtype if self.scalar_op.name in ("add", "mul") else None
        result = ufunc.reduce(x, axis=axis, dtype=accumulate)
        output_storage[0][0] = np.asarray(result, dtype=dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        axis = range(len(shapes[0])) if self.axis is None else self.axis
        return [tuple(d for i, d in enumerate(shapes[0]) if i not in axis)]

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
        x, g = inputs[0], output_grads[0]
        if is_int(x.dtype):
            return [None]
        axis = tuple(range(x.ndim)) if self.axis is None else self.axis
        g_full = keep_reduced_dims(g, axis, x.ndim)
        name = self.scalar_op.name
        if name == "add":
            return [MATH.second(x, g_full)]
        if name == "mul":
            return [g_full * self._prod_others(x, axis)]
        z_full = keep_reduced_dims(outputs[0], axis, x.ndim)
        if name in ("maximum", "minimum"):
            # ties share the gradient equally (what central differences and JAX give): all of
            # it to each, as Theano did, would make the slice's total k times g
            hit = MATH.eq(x, z_full)
            ties = keep_reduced_dims(MATH.sum(hit, axis=axis), axis, x.ndim)
            return [g_full * hit / MATH.cast(MATH.maximum(ties, 1), x.dtype)]
        return [None]

    def _prod_others(self, x: TensorVariable, axis: tuple[int, ...]) -> TensorVariable:
        """d prod / dx_i: the product of the other elements, exact where x has zeros.

        With p the product of the nonzero elements and k the number of zeros in the slice:
        k = 0 gives p / x_i; k = 1 gives p at the zero and 0 elsewhere; k >= 2 gives 0
        (Theano's ProdWithoutZeros). Dividing by ``where(x == 0, 1, x)`` keeps 0/0 out of
        the unselected branches.
        """
        is_zero = MATH.eq(x, 0)
        nonzero = MATH.switch(is_zero, 1, x)
        p = keep_reduced_dims(CAReduce(self.scalar_op, axis, self.dtype)(nonzero), axis, x.ndim)
        k = keep_reduced_dims(MATH.sum(is_zero, axis=axis), axis, x.ndim)
        zero = MATH.zeros_like(p)
        at_zero = MATH.switch(MATH.eq(k, 1), p, zero)
        elsewhere = MATH.switch(MATH.eq(k, 0), p / nonzero, zero)
        return MATH.switch(is_zero, at_zero, elsewhere)


def keep_reduced_dims(var: TensorVariable, axes: Sequence[int], ndim: int) -> TensorVariable:
    """Reinsert the reduced ``axes`` of an ``ndim``-d input as broadcastable dimensions
    (``keepdims=True``, and the shape a reduction's gradient broadcasts from)."""
    order: list[Any] = []
    kept = iter(range(var.ndim))
    for i in range(ndim):
        order.append("x" if i in axes else next(kept))
    return DimShuffle(var.broadcastable, order)(var)


_REDUCE_UFUNC = {"add": np.add, "mul": np.multiply, "maximum": np.maximum,
                 "minimum": np.minimum, "and_": np.logical_and, "or_": np.logical_or,
                 "xor": np.logical_xor}
