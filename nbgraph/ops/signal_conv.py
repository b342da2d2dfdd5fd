"""Theano's ``signal.conv.conv2d``: 2-d convolution of single images or stacks of images
(2-d or 3-d input) with one filter or a stack of filters, by reshaping to the 4-d
``nnet.conv.conv2d`` and back."""

from __future__ import annotations

from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable, describe
from .conv import legacy_conv2d
from .shape import reshape, shape_i

__all__ = ["conv2d"]


def conv2d(input: Any, filters: Any, image_shape: Any = None, filter_shape: Any = None,
           border_mode: str = "valid", subsample: Any = (1, 1), **kwargs: Any
           ) -> TensorVariable:
    """A true 2-d convolution ('valid' or 'full') of ``input`` (rows, cols) or (batch, rows,
    cols) with ``filters`` (rows, cols) or (n_filters, rows, cols); the result drops the axes
    the arguments lack: (batch, n_filters, out_rows, out_cols) at most.

    >>> from nbgraph.tensor.signal import conv
    >>> y = conv.conv2d(T.dmatrix('img'), T.dtensor3('kernels'))     # (n_filters, oh, ow)
    """
    x, w = as_tensor_variable(input), as_tensor_variable(filters)
    if x.ndim not in (2, 3) or w.ndim not in (2, 3):
        raise TypeError(f"signal.conv2d: input and filters must be 2-d or 3-d, got "
                        f"{describe(x)} and {describe(w)}")
    batch = shape_i(x, 0) if x.ndim == 3 else 1
    count = shape_i(w, 0) if w.ndim == 3 else 1
    x4 = reshape(x, [batch, 1, shape_i(x, x.ndim - 2), shape_i(x, x.ndim - 1)], ndim=4)
    w4 = reshape(w, [count, 1, shape_i(w, w.ndim - 2), shape_i(w, w.ndim - 1)], ndim=4)
    image4 = None if image_shape is None else (
        (image_shape[0], 1, *image_shape[1:]) if x.ndim == 3 else (1, 1, *image_shape))
    filter4 = None if filter_shape is None else (
        (filter_shape[0], 1, *filter_shape[1:]) if w.ndim == 3 else (1, 1, *filter_shape))
    out = legacy_conv2d(x4, w4, image4, filter4, border_mode, subsample, **kwargs)
    keep = [shape_i(out, i) for i, wanted in enumerate((x.ndim == 3, w.ndim == 3)) if wanted]
    return reshape(out, [*keep, shape_i(out, 2), shape_i(out, 3)], ndim=len(keep) + 2)
