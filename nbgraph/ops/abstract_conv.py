"""Theano's ``nnet.abstract_conv`` entry points over the Conv2d ops of ``conv.py``: the two
gradients as functions, the transposed convolution, grouped and separable convolutions, the
output-shape helper, and ``conv3d`` as a sum over depth taps of batched 2-d convolutions (so
it runs on the same im2col + BLAS kernels and differentiates through them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import zeros
from .conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d, grouped
from .join import join
from .math import add
from .shape import make_vector, reshape, shape_i

__all__ = ["conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv2d_transpose",
           "separable_conv2d", "conv3d", "get_conv_output_shape", "get_conv_shape_1axis",
           "AbstractConv2d", "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights"]

# Theano's abstract op classes are nbgraph's Conv2d ops
AbstractConv2d = Conv2d
AbstractConv2d_gradInputs = Conv2dGradInputs  # noqa: N816  (Theano's name)
AbstractConv2d_gradWeights = Conv2dGradWeights  # noqa: N816


def _spatial(shape: Sequence[Any], what: str) -> TensorVariable:
    """The last two entries of a 4-entry shape (ints or scalars) as an int64 2-vector."""
    if isinstance(shape, TensorVariable):
        return shape[2:]
    if len(shape) != 4:
        raise ValueError(f"{what} must have 4 entries, got {shape!r}")
    return make_vector([shape[2], shape[3]])


def _params(border_mode: Any, subsample: Any, filter_flip: bool, filter_dilation: Any
            ) -> dict[str, Any]:
    return {"border_mode": border_mode, "subsample": subsample, "filter_flip": filter_flip,
            "filter_dilation": filter_dilation}


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Sequence[Any],
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1), num_groups: int = 1
                           ) -> TensorVariable:
    """The gradient of ``conv2d(input, filters, ...)`` with respect to ``input``, given the
    gradient of its output and the input's shape (4 entries, ints or scalars).

    >>> dx = T.nnet.abstract_conv.conv2d_grad_wrt_inputs(gy, w, (8, 3, 28, 28))
    """
    params = _params(border_mode, subsample, filter_flip, filter_dilation)
    spatial = _spatial(input_shape, "conv2d_grad_wrt_inputs: input_shape")
    if num_groups == 1:
        return Conv2dGradInputs(**params)(filters, output_grad, spatial)

    def per_group(top: Any, w: Any) -> TensorVariable:
        return Conv2dGradInputs(**params)(w, top, spatial)

    return grouped(per_group, output_grad, filters, num_groups)


def conv2d_grad_wrt_weights(input: Any, output_grad: Any, filter_shape: Sequence[Any],
                            input_shape: Any = None, border_mode: Any = "valid",
                            subsample: Any = (1, 1), filter_flip: bool = True,
                            filter_dilation: Any = (1, 1), num_groups: int = 1
                            ) -> TensorVariable:
    """The gradient of ``conv2d(input, filters, ...)`` with respect to ``filters``, given the
    gradient of its output and the filters' shape (4 entries).

    >>> dw = T.nnet.abstract_conv.conv2d_grad_wrt_weights(x, gy, (16, 3, 5, 5))
    """
    params = _params(border_mode, subsample, filter_flip, filter_dilation)
    spatial = _spatial(filter_shape, "conv2d_grad_wrt_weights: filter_shape")
    if num_groups == 1:
        return Conv2dGradWeights(**params)(input, output_grad, spatial)
    input, output_grad = as_tensor_variable(input), as_tensor_variable(output_grad)
    channels = shape_i(input, 1) // num_groups
    count = shape_i(output_grad, 1) // num_groups
    parts = [Conv2dGradWeights(**params)(input[:, g * channels:(g + 1) * channels],
                                         output_grad[:, g * count:(g + 1) * count], spatial)
             for g in range(num_groups)]
    return join(0, *parts)


def conv2d_transpose(input: Any, filters: Any, output_shape: Sequence[Any],
                     filter_shape: Any = None, border_mode: Any = "valid",
                     input_dilation: Any = (1, 1), filter_flip: bool = True,
                     filter_dilation: Any = (1, 1), num_groups: int = 1) -> TensorVariable:
    """The transposed convolution (a.k.a. deconvolution): the gradient of a ``conv2d`` with
    strides ``input_dilation`` whose output is ``input``, for an output of
    ``output_shape``. ``filters`` is ``(input channels, output channels, rows, cols)``.

    >>> up = T.nnet.conv2d_transpose(h, w, (8, 3, 28, 28), input_dilation=(2, 2))
    """
    return conv2d_grad_wrt_inputs(input, filters, output_shape, filter_shape, border_mode,
                                  input_dilation, filter_flip, filter_dilation, num_groups)


def separable_conv2d(input: Any, depthwise_filters: Any, pointwise_filters: Any,
                     num_channels: int, input_shape: Any = None,
                     depthwise_filter_shape: Any = None, pointwise_filter_shape: Any = None,
                     border_mode: Any = "valid", subsample: Any = (1, 1),
                     filter_flip: bool = True, filter_dilation: Any = (1, 1)
                     ) -> TensorVariable:
    """A depthwise convolution (``depthwise_filters`` ``(channels * multiplier, 1, kh, kw)``,
    one group per channel) followed by a 1x1 ``pointwise_filters`` convolution.

    >>> y = T.nnet.separable_conv2d(x, dw, pw, num_channels=3)
    """
    depthwise = conv2d(input, depthwise_filters, input_shape, depthwise_filter_shape,
                       border_mode, subsample, filter_flip, filter_dilation=filter_dilation,
                       num_groups=num_channels)
    return conv2d(depthwise, pointwise_filters, filter_shape=pointwise_filter_shape,
                  border_mode="valid", subsample=(1, 1), filter_flip=filter_flip)


def get_conv_shape_1axis(image_shape: Any, kernel_shape: Any, border_mode: Any,
                         subsample: int, dilation: int = 1) -> Any:
    """The output length along one axis (None when the image or kernel length is)."""
    if image_shape is None or kernel_shape is None:
        return None
    span = (kernel_shape - 1) * dilation + 1
    pad = {"valid": 0, "full": span - 1, "half": span // 2}.get(border_mode, border_mode) \
        if isinstance(border_mode, str) else border_mode
    if isinstance(pad, str):
        raise ValueError(f"get_conv_output_shape: unknown border_mode {border_mode!r}")
    return (image_shape + 2 * pad - span) // subsample + 1


def get_conv_output_shape(image_shape: Sequence[Any], kernel_shape: Sequence[Any],
                          border_mode: Any, subsample: Sequence[int],
                          filter_dilation: Sequence[int] | None = None) -> tuple[Any, ...]:
    """``(batch, filters, *spatial)`` of a convolution, as Theano's helper computes it."""
    spatial = len(image_shape) - 2
    dilation = filter_dilation or (1,) * spatial
    pads = border_mode if isinstance(border_mode, (tuple, list)) else (border_mode,) * spatial
    return (image_shape[0], kernel_shape[0], *[
        get_conv_shape_1axis(image_shape[2 + i], kernel_shape[2 + i], pads[i], subsample[i],
                             dilation[i]) for i in range(spatial)])


def _triple(value: Any, what: str) -> tuple[int, int, int]:
    triple = (value,) * 3 if isinstance(value, int) else tuple(value)
    if len(triple) != 3:
        raise ValueError(f"conv3d: {what} must be an int or 3 ints, got {value!r}")
    return int(triple[0]), int(triple[1]), int(triple[2])


def conv3d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1, 1)) -> TensorVariable:
    """3-d convolution of ``(batch, channels, depth, rows, cols)`` volumes with
    ``(filters, channels, depth, rows, cols)`` filters (Theano 1.0's ``T.nnet.conv3d``).

    Computed as a sum over the filters' depth taps of 2-d convolutions batched over the output
    depth, so the filter depth must be known when the graph is built (from ``filters``' type
    or ``filter_shape``). ``border_mode`` is 'valid', 'full', 'half', an int or 3 ints.

    >>> y = T.nnet.conv3d(T.dtensor5('x'), T.dtensor5('w'), border_mode='half')
    """
    x, w = as_tensor_variable(input), as_tensor_variable(filters)
    if x.ndim != 5 or w.ndim != 5:
        raise TypeError(f"conv3d: needs 5-d input and filters, got {describe(x)} and "
                        f"{describe(w)}")
    depth = w.type.shape[2] if w.type.shape[2] is not None else (
        filter_shape[2] if filter_shape is not None else None)
    if depth is None:
        raise ValueError(f"conv3d: the filters' depth must be known when the graph is built; "
                         f"give filter_shape or filters of static shape ({describe(w)})")
    sd, sh, sw = _triple(subsample, "subsample")
    dd, dh, dw = _triple(filter_dilation, "filter_dilation")
    span = (depth - 1) * dd + 1
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv3d: border_mode must be 'valid', 'full', 'half' or "
                             f"padding, got {border_mode!r}")
        pad_depth = {"valid": 0, "full": span - 1, "half": span // 2}[border_mode]
        plane_mode: Any = border_mode
    else:
        pad_depth, *plane_pads = _triple(border_mode, "border_mode")
        plane_mode = tuple(plane_pads)
    if pad_depth:
        n, c, h, wd = (shape_i(x, i) for i in (0, 1, 3, 4))
        pad = zeros(make_vector([n, c, pad_depth, h, wd]), dtype=x.dtype)
        x = join(2, pad, x, pad)
    out_depth = (shape_i(x, 2) - span) // sd + 1
    n, c, h, wd = (shape_i(x, i) for i in (0, 1, 3, 4))
    kernel = w[:, :, ::-1] if filter_flip else w      # conv2d flips rows and columns
    taps = []
    for k in range(depth):
        slab = x[:, :, k * dd:k * dd + sd * (out_depth - 1) + 1:sd]     # (n, c, od, h, w)
        planes = reshape(slab.dimshuffle(0, 2, 1, 3, 4), [n * out_depth, c, h, wd], ndim=4)
        taps.append(conv2d(planes, kernel[:, :, k], border_mode=plane_mode,
                           subsample=(sh, sw), filter_flip=filter_flip,
                           filter_dilation=(dh, dw)))
    total = add(*taps) if len(taps) > 1 else taps[0]                  # (n*od, f, oh, ow)
    shaped = reshape(total, [n, out_depth, shape_i(total, 1), shape_i(total, 2),
                             shape_i(total, 3)], ndim=5)
    return shaped.dimshuffle(0, 2, 1, 3, 4)
