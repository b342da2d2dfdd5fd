"""Neural-net ops: Softmax, LogSoftmax, the cross-entropies (with the fused, stable
CrossentropySoftmax1Hot) and the activations built from elementwise math.

Convolution lives in ``core.conv``; ``nbgraph.tensor.nnet`` re-exports both under Theano's names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_int, upcast, upgrade_to_float
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable
from . import math as M
from .elemwise import Elemwise

__all__ = [
    "Softmax", "SoftmaxGrad", "LogSoftmax", "CrossentropyCategorical1Hot",
    "CrossentropyCategorical1HotGrad",
    "CrossentropySoftmax1Hot", "CrossentropySoftmax1HotDx", "softmax", "logsoftmax",
    "log_softmax", "relu", "elu", "selu", "softsign", "hard_sigmoid", "ultra_fast_sigmoid",
    "sigmoid", "softplus", "categorical_crossentropy", "binary_crossentropy",
    "sigmoid_binary_crossentropy", "crossentropy_softmax_1hot",
]

sigmoid = M.sigmoid
softplus = M.softplus


def _float_input(op: str, x: Any, min_ndim: int = 1) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim < min_ndim:
        raise TypeError(f"{op}: expects at least {min_ndim} dimension(s), got {x.type.short()}")
    return x


def _stable_shift(x: np.ndarray) -> np.ndarray:
    """``x - max(x)`` over the last axis: exp of it cannot overflow."""
    return x - np.max(x, axis=-1, keepdims=True, initial=-np.inf)


def _sum_last(x: Any) -> TensorVariable:
    return M.sum(x, axis=-1, keepdims=True)


# -- softmax ---------------------------------------------------------------------------------
class Softmax(Op):
    """``exp(x) / sum(exp(x))`` over the last axis, computed as ``exp(x - max(x))``."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input("Softmax", x)
        out = TensorType(upgrade_to_float(x.dtype), shape=x.type.shape).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        e = np.exp(_stable_shift(inputs[0].astype(node.outputs[0].type.dtype, copy=False)))
        e /= np.sum(e, axis=-1, keepdims=True)
        output_storage[0][0] = e

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [SoftmaxGrad()(output_grads[0], outputs[0])]


class SoftmaxGrad(Op):
    """The gradient of Softmax: ``(dy - sum(dy * sm)) * sm`` over the last axis.

    A node of its own (as in Theano) so that rewrites can recognise the backward pass of
    ``categorical_crossentropy(softmax(x), y)`` and fuse it.
    """

    def make_node(self, dy: Any, sm: Any) -> Apply:
        dy, sm = as_tensor_variable(dy), _float_input("SoftmaxGrad", sm)
        if dy.ndim != sm.ndim:
            raise TypeError(f"SoftmaxGrad: dy {dy.type.short()} and sm {sm.type.short()} "
                            f"differ in rank")
        dtype = upgrade_to_float(upcast(dy.dtype, sm.dtype))
        shape = [a if a is not None else b
                 for a, b in zip(dy.type.shape, sm.type.shape, strict=True)]
        return Apply(self, [dy, sm], [TensorType(dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        # d sm_i / d x_j = sm_i (delta_ij - sm_j)  =>  dx = (dy - sum(dy * sm)) * sm
        dy, sm = inputs
        if dy.shape != sm.shape:
            raise ValueError(f"SoftmaxGrad at node {node.uid}: dy {dy.shape} and sm "
                             f"{sm.shape} differ in shape")
        dx = (dy - np.sum(dy * sm, axis=-1, keepdims=True)) * sm
        output_storage[0][0] = dx.astype(node.outputs[0].type.dtype, copy=False)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # out = dy sm - s sm with s = sum(dy sm); for upstream G:
        #   d/d dy = G sm - sum(G sm) sm = SoftmaxGrad(G, sm)
        #   d/d sm = (G - sum(G sm)) dy - G s
        dy, sm = inputs
        (g,) = output_grads
        return [SoftmaxGrad()(g, sm), (g - _sum_last(g * sm)) * dy - g * _sum_last(dy * sm)]


class LogSoftmax(Op):
    """``x - log(sum(exp(x)))`` over the last axis (log-sum-exp after shifting by the max)."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input("LogSoftmax", x)
        out = TensorType(upgrade_to_float(x.dtype), shape=x.type.shape).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        shifted = _stable_shift(inputs[0].astype(node.outputs[0].type.dtype, copy=False))
        shifted -= np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        output_storage[0][0] = shifted

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d lsm_i / d x_j = delta_ij - sm_j  =>  dx = g - exp(lsm) * sum(g)
        (lsm,) = outputs
        (g,) = output_grads
        return [g - M.exp(lsm) * _sum_last(g)]


def softmax(x: Any) -> TensorVariable:
    """The softmax of ``x`` along its last axis (rows of a matrix), numerically stable.

    >>> x = T.dmatrix('x')
    >>> p = T.nnet.softmax(x)          # each row sums to 1

    A vector gives a ``(1, n)`` row, as in Theano 1.0.
    """
    return Softmax()(_row_if_vector(x))


def logsoftmax(x: Any) -> TensorVariable:
    """``log(softmax(x))`` along the last axis, without overflow or ``log(0)``.

    >>> x = T.dmatrix('x')
    >>> lp = T.nnet.logsoftmax(x)

    A vector gives a ``(1, n)`` row, as in Theano 1.0.
    """
    return LogSoftmax()(_row_if_vector(x))


def _row_if_vector(x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    return x.dimshuffle("x", 0) if x.ndim == 1 else x


log_softmax = logsoftmax


# -- activations (graphs of elementwise math) --------------------------------------------------
def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """Rectified linear unit: ``x`` where positive, else ``alpha * x`` (leaky when alpha > 0).

    >>> x = T.dmatrix('x')
    >>> h = T.nnet.relu(x)             # max(x, 0)

    An ndarray gives an ndarray, as in Theano (the same arithmetic, run by NumPy).
    """
    if isinstance(x, Variable):
        x = as_tensor_variable(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return 0.5 * (x + abs(x))
    # (1+a)/2 x + (1-a)/2 |x| is x for x > 0 and a x for x < 0 (Theano's form)
    return 0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * abs(x)


def elu(x: Any, alpha: Any = 1) -> TensorVariable:
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``.

    >>> h = T.nnet.elu(T.dvector('x'))
    """
    x = as_tensor_variable(x)
    return M.switch(M.gt(x, 0), x, alpha * M.expm1(x))


def selu(x: Any) -> TensorVariable:
    """Scaled ELU (Klambauer et al. 2017) with its fixed ``alpha`` and ``scale``.

    >>> h = T.nnet.selu(T.dvector('x'))
    """
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def softsign(x: Any) -> TensorVariable:
    """``x / (1 + |x|)``.

    >>> h = T.nnet.softsign(T.dvector('x'))
    """
    x = as_tensor_variable(x)
    return x / (1 + abs(x))


def hard_sigmoid(x: Any) -> TensorVariable:
    """The piecewise-linear sigmoid ``clip(0.2 x + 0.5, 0, 1)`` (Theano's).

    >>> h = T.nnet.hard_sigmoid(T.dvector('x'))
    """
    x = as_tensor_variable(x)
    return M.clip(x * 0.2 + 0.5, 0, 1)


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of the sigmoid (absolute error below 0.03).

    ``sigmoid(x) = (1 + tanh(x/2)) / 2``, with ``tanh(h)`` approximated by ``1.5 h/(1+|h|)``
    for ``|h| < 1.7``, a line up to ``|h| = 3`` and a constant beyond.

    >>> h = T.nnet.ultra_fast_sigmoid(T.dvector('x'))
    """
    x = as_tensor_variable(x)
    h = 0.5 * x
    a = abs(h)
    tail = M.switch(M.lt(a, 3.0), 0.935409070603099 + 0.0458812946797165 * (a - 1.7),
                    0.99505475368673)
    # 1.5 h / (1 + |h|) is odd and smooth at 0, so no sign is needed in the first piece
    z = M.switch(M.lt(a, 1.7), 1.5 * h / (1 + a), M.sgn(h) * tail)
    return 0.5 * (z + 1)


# -- cross-entropies ---------------------------------------------------------------------------
def _labels(op: str, dist: TensorVariable, y: Any) -> TensorVariable:
    """Check a (N, K) float matrix against an int vector of N labels, at build time."""
    y = as_tensor_variable(y)
    if dist.ndim != 2:
        raise TypeError(f"{op}: expects a matrix of rows, got {dist.type.short()}")
    if y.ndim != 1 or not is_int(y.dtype) or y.dtype == "bool":
        raise TypeError(f"{op}: labels must be an int vector, got {y.type.short()}")
    n, m = dist.type.shape[0], y.type.shape[0]
    if n is not None and m is not None and n != m:
        raise ValueError(f"{op}: {dist.type.short()} has {n} rows but {y.type.short()} has "
                         f"{m} labels")
    return y


def _check_labels(op: Op, node: Apply, rows: int, k: int, y: np.ndarray) -> None:
    if y.shape[0] != rows:
        raise ValueError(f"{op} at node {node.uid}: {rows} rows but {y.shape[0]} labels")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"{op} at node {node.uid}: labels must lie in [0, {k}), got values "
                         f"in [{y.min()}, {y.max()}]")


class CrossentropyCategorical1Hot(Op):
    """``-log(coding_dist[i, y[i]])`` per row: cross-entropy against integer labels."""

    def make_node(self, coding_dist: Any, true_one_of_n: Any) -> Apply:
        dist = as_tensor_variable(coding_dist)
        y = _labels(str(self), dist, true_one_of_n)
        dtype = upgrade_to_float(dist.dtype)
        out = TensorType(dtype, shape=(dist.type.shape[0] or y.type.shape[0],)).make_variable()
        return Apply(self, [dist, y], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        dist, y = inputs
        _check_labels(self, node, dist.shape[0], dist.shape[1], y)
        picked = dist[np.arange(dist.shape[0]), y]
        output_storage[0][0] = (-np.log(picked)).astype(node.outputs[0].type.dtype, copy=False)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]   # one value per label

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        dist, y = inputs
        return [CrossentropyCategorical1HotGrad()(output_grads[0], dist, y), None]


class CrossentropyCategorical1HotGrad(Op):
    """The gradient of CrossentropyCategorical1Hot: ``-g[i] / dist[i, y[i]]`` at ``(i, y[i])``,
    zero elsewhere."""

    def make_node(self, g: Any, coding_dist: Any, true_one_of_n: Any) -> Apply:
        g, dist = as_tensor_variable(g), as_tensor_variable(coding_dist)
        y = _labels(str(self), dist, true_one_of_n)
        return Apply(self, [g, dist, y], [dist.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        g, dist, y = inputs
        _check_labels(self, node, dist.shape[0], dist.shape[1], y)
        rows = np.arange(dist.shape[0])
        out = np.zeros_like(dist)
        out[rows, y] = -g / dist[rows, y]
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> TensorVariable:
    """Cross-entropy between predicted distributions and targets, one value per row.

    ``true_dist`` is either a matrix of target probabilities (one-hot or soft), giving
    ``-sum(true_dist * log(coding_dist), axis=-1)``, or an int vector of class labels, giving
    ``-log(coding_dist[i, true_dist[i]])``.

    >>> p, y = T.dmatrix('p'), T.ivector('y')
    >>> loss = T.nnet.categorical_crossentropy(T.nnet.softmax(p), y).mean()
    """
    coding_dist = as_tensor_variable(coding_dist)
    true_dist = as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -M.sum(true_dist * M.log(coding_dist), axis=-1)
    if true_dist.ndim == coding_dist.ndim - 1:
        return CrossentropyCategorical1Hot()(coding_dist, true_dist)
    raise TypeError(f"categorical_crossentropy: true_dist {true_dist.type.short()} must have "
                    f"the rank of coding_dist {coding_dist.type.short()} (probabilities) or "
                    f"one less (int labels)")


def binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """``-(target log(output) + (1 - target) log(1 - output))``, elementwise.

    >>> p, t = T.dvector('p'), T.dvector('t')
    >>> loss = T.nnet.binary_crossentropy(T.nnet.sigmoid(p), t).mean()
    """
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    node = output.owner
    if node is not None and isinstance(node.op, Elemwise) \
            and getattr(node.op.scalar_op, "name", None) == "sigmoid":
        # of sigmoid(z): the logits form, equal and exact. The stabilize rules mend the value
        # and the first gradient, but grad of grad differentiates 1/σ terms: nan Hessians
        return sigmoid_binary_crossentropy(node.inputs[0], target)
    return -(target * M.log(output) + (1.0 - target) * M.log(1.0 - output))


def sigmoid_binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """``binary_crossentropy(sigmoid(output), target)`` from logits, without overflow:
    ``target softplus(-output) + (1 - target) softplus(output)``.

    >>> z, t = T.dvector('z'), T.dvector('t')
    >>> loss = T.nnet.sigmoid_binary_crossentropy(z, t).mean()
    """
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return target * softplus(-output) + (1.0 - target) * softplus(output)


class CrossentropySoftmax1Hot(Op):
    """Fused ``(nll, softmax(x))`` from logits ``x`` (N, K) and int labels ``y_idx`` (N,).

    ``nll[i] = logsumexp(x[i]) - x[i, y_idx[i]]`` is ``-log(softmax(x)[i, y_idx[i]])`` computed
    without forming ``log(softmax)``; its gradient is ``softmax(x) - onehot(y_idx)``.
    """

    def make_node(self, x: Any, y_idx: Any) -> Apply:
        x = as_tensor_variable(x)
        y = _labels(str(self), x, y_idx)
        dtype = upgrade_to_float(x.dtype)
        nll = TensorType(dtype, shape=(x.type.shape[0] or y.type.shape[0],)).make_variable()
        sm = TensorType(dtype, shape=x.type.shape).make_variable()
        return Apply(self, [x, y], [nll, sm])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        _check_labels(self, node, x.shape[0], x.shape[1], y)
        shifted = _stable_shift(x.astype(node.outputs[1].type.dtype, copy=False))
        lse = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        log_sm = shifted - lse
        output_storage[0][0] = -log_sm[np.arange(x.shape[0]), y]
        output_storage[1][0] = np.exp(log_sm)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1], shapes[0]]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, y = inputs
        return [softmax_xent_dx(x, outputs[1], y, *output_grads[:2]), None]


def softmax_xent_dx(x: TensorVariable, sm: TensorVariable, y: TensorVariable,
                    g_nll: Variable, g_sm: Variable) -> TensorVariable:
    """d/dx of the (nll, softmax) pair of a fused softmax cross-entropy, from the gradients
    of both outputs (the engine's zeros for an unused one are left out)."""
    parts = []
    if not _is_zeros(g_nll):
        parts.append(CrossentropySoftmax1HotDx()(g_nll, sm, y))
    if not _is_zeros(g_sm):
        parts.append(SoftmaxGrad()(g_sm, sm))
    if not parts:
        return M.zeros_like(x)
    return parts[0] if len(parts) == 1 else parts[0] + parts[1]


class CrossentropySoftmax1HotDx(Op):
    """The gradient of CrossentropySoftmax1Hot's nll: ``dy[i] * (sm[i] - onehot(y_idx[i]))``."""

    def make_node(self, dy: Any, sm: Any, y_idx: Any) -> Apply:
        dy, sm = as_tensor_variable(dy), as_tensor_variable(sm)
        y = _labels(str(self), sm, y_idx)
        if dy.ndim != 1:
            raise TypeError(f"{self}: dy must be a vector, got {dy.type.short()}")
        return Apply(self, [dy, sm, y], [sm.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        dy, sm, y = inputs
        _check_labels(self, node, sm.shape[0], sm.shape[1], y)
        dx = sm * dy[:, None]
        dx[np.arange(sm.shape[0]), y] -= dy
        output_storage[0][0] = dx.astype(node.outputs[0].type.dtype, copy=False)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]


def _is_zeros(g: Variable) -> bool:
    """True for the ``zeros_like`` fill the gradient engine gives an unused output."""
    node = g.owner
    if node is None or getattr(getattr(node.op, "scalar_op", None), "name", None) != "second":
        return False
    fill = node.inputs[1]
    return isinstance(fill, TensorConstant) and not np.any(fill.data)


def crossentropy_softmax_1hot(x: Any, y_idx: Any) -> list[TensorVariable]:
    """``[nll, softmax(x)]`` for logits ``x`` (N, K) and int labels ``y_idx`` (N,), fused.

    ``nll`` equals ``categorical_crossentropy(softmax(x), y_idx)`` but is computed from the
    logits by log-sum-exp, so it stays finite when a softmax entry underflows to 0; its
    gradient with respect to ``x`` is ``g[:, None] * (softmax(x) - onehot(y_idx))``. The
    stabilize pass rewrites ``categorical_crossentropy(softmax(x), y_idx)`` to
    ``crossentropy_softmax_1hot(x, y_idx)[0]``.

    >>> x, y = T.dmatrix('x'), T.lvector('y')
    >>> nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    """
    return CrossentropySoftmax1Hot()(x, y_idx)
