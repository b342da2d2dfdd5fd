"""Theano ``nnet`` functions built from the softmax/crossentropy ops of ``nnet.py``:
``crossentropy_categorical_1hot``, ``confusion_matrix`` and the two-level ``h_softmax``.
Graphs of existing ops: differentiable wherever their parts are."""

from __future__ import annotations

from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import alloc, arange
from .extra_ops_more import Unique
from .join import concatenate
from .linalg import batched_dot, dot, tensordot
from .math import cast, eq, exp
from .nnet import (
    CrossentropyCategorical1Hot,
    LogSoftmax,
    Softmax,
    SoftmaxGrad,
    softmax,
)
from .shape import reshape, shape_i

__all__ = ["crossentropy_categorical_1hot", "confusion_matrix", "h_softmax", "softmax_op",
           "logsoftmax_op", "softmax_grad", "softmax_graph", "prepend_0_to_each_row",
           "prepend_1_to_each_row", "prepend_scalar_to_each_row"]

crossentropy_categorical_1hot = CrossentropyCategorical1Hot()
softmax_op = Softmax()          # Theano's op instances
logsoftmax_op = LogSoftmax()
softmax_grad = SoftmaxGrad()


def softmax_graph(c: Any) -> TensorVariable:
    """``exp(c) / sum(exp(c))`` along the last axis, written out (Theano's reference form;
    ``softmax`` is the stable op)."""
    e = exp(as_tensor_variable(c))
    return e / e.sum(axis=-1, keepdims=True)


def prepend_scalar_to_each_row(val: Any, x: Any) -> TensorVariable:
    """``x`` with a first column of ``val`` (Theano's helper)."""
    x = as_tensor_variable(x)
    column = alloc(cast(as_tensor_variable(val), x.dtype), shape_i(x, 0), 1)
    return concatenate([column, x], axis=1)


def prepend_0_to_each_row(x: Any) -> TensorVariable:
    """``x`` with a first column of zeros."""
    return prepend_scalar_to_each_row(0.0, x)


def prepend_1_to_each_row(x: Any) -> TensorVariable:
    """``x`` with a first column of ones."""
    return prepend_scalar_to_each_row(1.0, x)


def confusion_matrix(actual: Any, pred: Any) -> list[TensorVariable]:
    """``[conf_mat, order]``: ``conf_mat[i, j]`` counts the samples of true label
    ``order[i]`` predicted as ``order[j]``; ``order`` holds the sorted labels that occur.

    >>> cm, order = T.nnet.confusion_matrix(T.lvector('y'), T.lvector('p'))
    """
    actual, pred = as_tensor_variable(actual), as_tensor_variable(pred)
    if actual.ndim != 1 or pred.ndim != 1:
        raise ValueError(f"confusion_matrix: actual and pred must be vectors, got "
                         f"{describe(actual)} and {describe(pred)}")
    order = Unique()(concatenate([actual, pred]))
    one_hot_actual = cast(eq(actual.dimshuffle(0, "x"), order), "int64")
    one_hot_pred = cast(eq(pred.dimshuffle(0, "x"), order), "int64")
    return [dot(one_hot_actual.T, one_hot_pred), order]


def h_softmax(x: Any, batch_size: Any, n_outputs: int, n_classes: int,
              n_outputs_per_class: int, W1: Any, b1: Any, W2: Any, b2: Any,  # noqa: N803
              target: Any = None) -> TensorVariable:
    """Two-level hierarchical softmax (Theano's ``h_softmax``): a softmax over
    ``n_classes`` groups (``W1`` (n_in, n_classes), ``b1``), times a softmax within each
    group (``W2`` (n_classes, n_in, n_outputs_per_class), ``b2`` (n_classes,
    n_outputs_per_class)).

    Without ``target``, the (batch_size, n_outputs) probabilities of every output; with int
    ``target`` (batch_size,), only the probability of each row's target.
    """
    x = as_tensor_variable(x)
    class_probs = softmax(dot(x, W1) + b1)
    if target is None:
        activations = tensordot(x, W2, [[1], [1]]) + b2      # (batch, classes, per_class)
        within = softmax(reshape(activations, (-1, n_outputs_per_class), ndim=2))
        within = reshape(within, (batch_size, n_classes, -1), ndim=3)
        probs = reshape(class_probs.dimshuffle(0, 1, "x") * within, (batch_size, -1), ndim=2)
        return probs[:, :n_outputs]
    target = as_tensor_variable(target).flatten()
    target_classes = target // n_outputs_per_class
    target_in_class = target % n_outputs_per_class
    W2 = as_tensor_variable(W2)  # noqa: N806
    b2 = as_tensor_variable(b2)
    # each row meets only its target's class: x[i] @ W2[class[i]] + b2[class[i]]
    activations = batched_dot(x, W2[target_classes]) + b2[target_classes]
    within = softmax(activations)
    rows = arange(batch_size)
    return class_probs[rows, target_classes] * within[rows, target_in_class]
