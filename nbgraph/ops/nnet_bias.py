"""Theano's fused softmax cross-entropy with a bias: ``crossentropy_softmax_argmax_1hot_with_bias``
and the functions built on it, with the gradient op ``crossentropy_softmax_1hot_with_bias_dx``.

They compute from logits ``x + b`` by log-sum-exp, so the loss and its gradient stay finite
where a softmax entry underflows to 0 (the plain ``-log(softmax(x)[i, y])`` does not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upcast, upgrade_to_float
from ..core.variable import TensorVariable, as_tensor_variable, describe
from . import math as M
from .nnet import (
    CrossentropySoftmax1HotDx,
    _check_labels,
    _labels,
    _stable_shift,
    softmax,
    softmax_xent_dx,
)

__all__ = [
    "CrossentropySoftmaxArgmax1HotWithBias", "CrossentropySoftmax1HotWithBiasDx",
    "crossentropy_softmax_argmax_1hot_with_bias", "crossentropy_softmax_1hot_with_bias",
    "crossentropy_softmax_1hot_with_bias_dx", "crossentropy_softmax_max_and_argmax_1hot",
    "crossentropy_softmax_max_and_argmax_1hot_with_bias", "softmax_with_bias",
]

# Theano's name for the gradient op: dy[i] * (softmax(x + b)[i] - onehot(y_idx[i]))
CrossentropySoftmax1HotWithBiasDx = CrossentropySoftmax1HotDx


class CrossentropySoftmaxArgmax1HotWithBias(Op):
    """``(nll, softmax(x + b), argmax(x + b))`` per row, for logits ``x`` (N, K), a bias
    ``b`` (K,) and int labels ``y_idx`` (N,); ``nll[i] = -log softmax(x + b)[i, y_idx[i]]``."""

    def make_node(self, x: Any, b: Any, y_idx: Any) -> Apply:
        x, b = as_tensor_variable(x), as_tensor_variable(b)
        y = _labels(str(self), x, y_idx)
        if b.ndim != 1:
            raise TypeError(f"{self}: b must be a vector, got {describe(b)}")
        k, kb = x.type.shape[1], b.type.shape[0]
        if k is not None and kb is not None and k != kb:
            raise ValueError(f"{self}: x {describe(x)} has {k} columns but b {describe(b)} "
                             f"has {kb} entries")
        dtype = upgrade_to_float(upcast(x.dtype, b.dtype))
        rows = x.type.shape[0] or y.type.shape[0]
        nll = TensorType(dtype, shape=(rows,)).make_variable()
        sm = TensorType(dtype, shape=x.type.shape).make_variable()
        am = TensorType("int64", shape=(rows,)).make_variable()
        return Apply(self, [x, b, y], [nll, sm, am])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, b, y = inputs
        _check_labels(self, node, x.shape[0], x.shape[1], y)
        if b.shape != (x.shape[1],):
            raise ValueError(f"{self} at node {node.uid}: x {x.shape} and b {b.shape} differ "
                             f"in the number of classes")
        dtype = node.outputs[1].type.dtype
        shifted = _stable_shift((x + b).astype(dtype, copy=False))
        log_sm = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        output_storage[0][0] = -log_sm[np.arange(x.shape[0]), y]
        output_storage[1][0] = np.exp(log_sm)
        output_storage[2][0] = np.argmax(log_sm, axis=-1).astype("int64") if x.shape[1] \
            else np.zeros(x.shape[0], dtype="int64")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        x_shape, _, y_shape = shapes
        return [y_shape, x_shape, y_shape]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d/db is d/dx summed over rows (b is added to every row); argmax has no gradient
        x, b, y = inputs
        dx = softmax_xent_dx(x, outputs[1], y, *output_grads[:2])
        return [dx, M.sum(dx, axis=0), None]


def crossentropy_softmax_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any
                                               ) -> list[TensorVariable]:
    """``[nll, softmax(x + b), argmax(x + b)]`` from logits, fused and stable (Theano's).

    >>> x, b, y = T.dmatrix('x'), T.dvector('b'), T.lvector('y')
    >>> nll, sm, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    """
    return CrossentropySoftmaxArgmax1HotWithBias()(x, b, y_idx)


def crossentropy_softmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> list[TensorVariable]:
    """``[nll, softmax(x + b)]``: the first two outputs of the argmax form.

    >>> nll, sm = T.nnet.crossentropy_softmax_1hot_with_bias(x, b, y)
    """
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[:2]


def crossentropy_softmax_1hot_with_bias_dx(dy: Any, sm: Any, y_idx: Any) -> TensorVariable:
    """``dy[i] * (sm[i] - onehot(y_idx[i]))``: the gradient of the nll with respect to the
    logits, given ``sm = softmax(x + b)`` (Theano's gradient op of the family)."""
    return CrossentropySoftmax1HotWithBiasDx()(dy, sm, y_idx)


def crossentropy_softmax_max_and_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any
                                                       ) -> list[TensorVariable]:
    """``[nll, softmax(x + b), max of each softmax row, its argmax]`` (Theano's)."""
    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    max_pr, argmax = M.max_and_argmax(sm, axis=-1)
    return [nll, sm, max_pr, argmax]


def crossentropy_softmax_max_and_argmax_1hot(x: Any, y_idx: Any) -> list[TensorVariable]:
    """The ``_with_bias`` form with a zero bias."""
    x = as_tensor_variable(x)
    return crossentropy_softmax_max_and_argmax_1hot_with_bias(x, M.zeros_like(x[0]), y_idx)


def softmax_with_bias(x: Any, b: Any) -> TensorVariable:
    """``softmax(x + b)`` with ``b`` added to every row (Theano's ``softmax_with_bias``)."""
    x, b = as_tensor_variable(x), as_tensor_variable(b)
    if x.ndim != 2 or b.ndim != 1:
        raise TypeError(f"softmax_with_bias: needs a matrix and a vector, got {describe(x)} "
                        f"and {describe(b)}")
    return softmax(x + b)
