"""Batch normalization (Theano's ``theano.tensor.nnet.bn``): the inference formula and the
training and test forms of Theano 1.0, as graphs of elementwise ops and reductions (so the
C linker fuses them and the gradient comes from their parts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable, describe
from .math import mean as tmean
from .math import mul, sqrt
from .math import var as tvar
from .shape import addbroadcast, shape_i

__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any,
                        mode: str = "low_mem") -> TensorVariable:
    """``(inputs - mean) * (gamma / std) + beta``, all broadcasting (Theano's inference-time
    formula; ``mode`` 'low_mem' or 'high_mem' only chose Theano's kernel, both give this).

    >>> T.nnet.bn.batch_normalization(x, gamma, beta, x.mean(0), x.std(0) + 1e-4)
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', got "
                         f"{mode!r}")
    inputs = as_tensor_variable(inputs)
    return (inputs - mean) * (as_tensor_variable(gamma) / std) + beta


def _axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """Theano's ``axes``: 'per-activation' (over the batch), 'spatial' (batch and every axis
    after the channels) or explicit axes."""
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0, *range(2, ndim))
    if isinstance(axes, str):
        raise ValueError(f"batch_normalization: axes must be 'per-activation', 'spatial' or a "
                         f"tuple of ints, got {axes!r}")
    return tuple(sorted(int(a) % ndim for a in axes))


def _params(param: Any, inputs: TensorVariable, axes: Sequence[int], what: str
            ) -> TensorVariable:
    """A per-feature parameter broadcast like ``inputs``: given either with the normalized
    axes dropped (then they are inserted) or kept with length 1."""
    param = as_tensor_variable(param)
    if param.ndim == inputs.ndim:   # the normalized axes have length 1: say so in the type
        return addbroadcast(param, *axes)
    if param.ndim != inputs.ndim - len(axes):
        raise ValueError(f"batch_normalization: {what} {describe(param)} must have "
                         f"{inputs.ndim} or {inputs.ndim - len(axes)} dimensions for inputs "
                         f"{describe(inputs)} normalized over axes {tuple(axes)}")
    pattern: list[Any] = []
    kept = iter(range(param.ndim))
    for axis in range(inputs.ndim):
        pattern.append("x" if axis in axes else next(kept))
    return param.dimshuffle(*pattern)


def batch_normalization_train(inputs: Any, gamma: Any, beta: Any,
                              axes: Any = "per-activation", epsilon: float = 1e-4,
                              running_average_factor: float = 0.1, running_mean: Any = None,
                              running_var: Any = None) -> tuple[TensorVariable, ...]:
    """Normalize with the batch statistics over ``axes`` (Theano 1.0's training form).

    Returns ``(out, mean, invstd)``, plus ``(new_running_mean, new_running_var)`` when the
    running averages are given: ``new = old * (1 - factor) + batch * factor``, the variance
    unbiased (times ``m / (m - 1)`` for ``m`` values per feature). ``mean`` and ``invstd``
    keep the normalized axes with length 1.

    >>> out, mu, invstd = T.nnet.bn.batch_normalization_train(x, gamma, beta, 'spatial')
    """
    inputs = as_tensor_variable(inputs)
    axes = _axes(axes, inputs.ndim)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_normalization_train: give both running_mean and running_var "
                         "or neither")
    gamma, beta = (_params(p, inputs, axes, n) for p, n in ((gamma, "gamma"), (beta, "beta")))
    batch_mean = tmean(inputs, axis=axes, keepdims=True)
    batch_var = tvar(inputs, axis=axes, keepdims=True)
    invstd = 1.0 / sqrt(batch_var + epsilon)
    out = (inputs - batch_mean) * (gamma * invstd) + beta
    if running_mean is None:
        return out, batch_mean, invstd
    running_mean = _params(running_mean, inputs, axes, "running_mean")
    running_var = _params(running_var, inputs, axes, "running_var")
    sizes = [shape_i(inputs, a) for a in axes]
    count = mul(*sizes) if len(sizes) > 1 else sizes[0]
    unbiased = batch_var * (count / (count - 1.0))
    factor = running_average_factor
    new_mean = running_mean * (1.0 - factor) + batch_mean * factor
    new_var = running_var * (1.0 - factor) + unbiased * factor
    return out, batch_mean, invstd, new_mean, new_var


def batch_normalization_test(inputs: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                             axes: Any = "per-activation", epsilon: float = 1e-4
                             ) -> TensorVariable:
    """Normalize with given (running) statistics: ``(inputs - mean) * gamma /
    sqrt(var + epsilon) + beta`` (Theano 1.0's test form).

    >>> y = T.nnet.bn.batch_normalization_test(x, gamma, beta, run_mean, run_var, 'spatial')
    """
    inputs = as_tensor_variable(inputs)
    axes = _axes(axes, inputs.ndim)
    gamma, beta, mean, var = (_params(p, inputs, axes, n) for p, n in (
        (gamma, "gamma"), (beta, "beta"), (mean, "mean"), (var, "var")))
    return (inputs - mean) * (gamma / sqrt(var + epsilon)) + beta


