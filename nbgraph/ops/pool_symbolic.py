"""Pooling whose window, stride or padding are symbolic (Theano 1.0 took them as graph
inputs, and libraries pass ``T.iscalar`` sizes): the same ops as ``ops/pool.py``, with
``(ws, stride, pad)`` as int vectors read when the node runs. Static sizes keep the static
ops, whose output shapes are known when the graph is built.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_float, is_int, upcast, upgrade_to_float
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, describe
from . import pool as static
from .math import zeros_like
from .shape import make_vector

__all__ = ["SymbolicPool", "pool_2d"]

KINDS: dict[str, type[static._PoolParams]] = {
    "Pool": static.Pool, "MaxPoolGrad": static.MaxPoolGrad,
    "AveragePoolGrad": static.AveragePoolGrad,
    "DownsampleFactorMaxGradGrad": static.DownsampleFactorMaxGradGrad,
}


class SymbolicPool(Op):
    """``kind`` (Pool or one of its gradient ops) with inputs ``(x, ws, stride, pad, *rest)``
    where ``ws``, ``stride`` and ``pad`` are int vectors of length 2."""

    __props__ = ("kind", "ignore_border", "mode")

    def __init__(self, kind: str, ignore_border: bool, mode: str):
        if kind not in KINDS:
            raise ValueError(f"SymbolicPool: unknown kind {kind!r}")
        self.kind, self.ignore_border, self.mode = kind, bool(ignore_border), mode

    def __str__(self) -> str:
        return f"{self.kind}{{{self.mode}, symbolic sizes, ignore_border={self.ignore_border}}}"

    def make_node(self, x: Any, ws: Any, stride: Any, pad: Any, *rest: Any) -> Apply:
        x = as_tensor_variable(x)
        sizes = [as_tensor_variable(v) for v in (ws, stride, pad)]
        for name, v in zip(("ws", "stride", "pad"), sizes, strict=True):
            if v.ndim != 1 or not is_int(v.dtype) or v.type.shape[0] not in (None, 2):
                raise TypeError(f"{self}: {name} must be an int vector of 2, got {describe(v)}")
        rest_vars = [as_tensor_variable(v) for v in rest]
        if x.ndim < 2:
            raise TypeError(f"{self}: the input must have at least 2 dimensions, got "
                            f"{describe(x)}")
        if self.kind == "Pool":
            dtype, like = x.dtype, x
        else:
            dtype = upgrade_to_float(upcast(x.dtype, rest_vars[-1].dtype))
            like = rest_vars[0] if self.kind == "DownsampleFactorMaxGradGrad" else x
        shape = (*like.type.shape[:-2], None, None) if self.kind in (
            "Pool", "DownsampleFactorMaxGradGrad") else like.type.shape
        return Apply(self, [x, *sizes, *rest_vars], [TensorType(dtype, shape=shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, ws, stride, pad, *rest = inputs
        try:
            concrete = KINDS[self.kind](tuple(int(v) for v in ws), self.ignore_border,
                                        tuple(int(v) for v in stride),
                                        tuple(int(v) for v in pad), self.mode)
        except ValueError as err:
            raise ValueError(f"{self} (node {node.uid}): {err}") from err
        concrete.perform(node, [x, *rest], output_storage)

    def L_op(self, inputs: list[Any], outputs: list[Any],
             output_grads: list[Any]) -> list[Any]:
        x, ws, stride, pad, *rest = inputs
        (g,), sizes = output_grads, [ws, stride, pad]
        none = [None, None, None]   # integer sizes: no gradient

        def like(kind: str, *args: Any) -> TensorVariable:
            return SymbolicPool(kind, self.ignore_border, self.mode)(x, *sizes, *args)

        def zeros(v: TensorVariable) -> TensorVariable | None:
            return zeros_like(v) if is_float(v.dtype) else None

        if self.kind == "Pool":
            if not is_float(x.dtype):
                return [None, *none]
            if self.mode == "max":
                return [like("MaxPoolGrad", outputs[0], g), *none]
            return [like("AveragePoolGrad", g), *none]
        if self.kind == "AveragePoolGrad":
            pooled = SymbolicPool("Pool", self.ignore_border, self.mode)(g, *sizes)
            return [zeros(x), *none, pooled]
        maxout = rest[0]
        other = "DownsampleFactorMaxGradGrad" if self.kind == "MaxPoolGrad" else "MaxPoolGrad"
        return [zeros(x), *none, zeros(maxout), like(other, maxout, g)]


def _is_symbolic(value: Any) -> bool:
    if isinstance(value, Variable):
        return not isinstance(value, TensorConstant)
    return isinstance(value, (tuple, list)) and any(_is_symbolic(v) for v in value)


def _size_vector(value: Any) -> TensorVariable:
    if isinstance(value, (tuple, list)):
        return make_vector(list(value))
    return as_tensor_variable(value)


def pool_2d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Theano 1.0's ``pool_2d``, where ``ws``, ``stride`` and ``pad`` may also be symbolic
    (a ``T.ivector``, or a tuple holding scalars): see ``ops.pool.pool_2d``.

    >>> k = T.iscalar('k')
    >>> y = pool_2d(x, ws=(k, k), ignore_border=True)
    """
    if ds is not None or st is not None or padding is not None \
            or not any(_is_symbolic(v) for v in (ws, stride, pad)):
        return static.pool_2d(input, ws, ignore_border, stride, pad, mode, ds, st, padding)
    if ignore_border is None:
        warnings.warn("pool_2d: ignore_border defaults to False, as in Theano 1.0; pass "
                      "ignore_border=True or False to be explicit", stacklevel=2)
        ignore_border = False
    mode = "max" if mode == "max_deterministic" else mode
    if mode not in static.MODES:
        raise ValueError(f"pool_2d: mode must be one of {static.MODES}, got {mode!r}")
    ws_vec = _size_vector(ws)
    stride_vec = ws_vec if stride is None else _size_vector(stride)
    return SymbolicPool("Pool", ignore_border, mode)(input, ws_vec, stride_vec,
                                                     _size_vector(pad))
