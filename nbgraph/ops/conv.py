"""2-d convolution on NCHW tensors: Conv2d and its two gradient ops, computed by im2col
(a strided window view) and one BLAS ``tensordot``; ``conv2d`` is Theano's ``T.nnet.conv2d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_int, upcast, upgrade_to_float
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from .join import join
from .shape import MakeVector, make_vector, shape_i

__all__ = ["conv2d", "legacy_conv2d", "Conv2d", "Conv2dGradInputs", "Conv2dGradWeights"]

BorderMode = str | int | tuple[int, int]   # as given: a name, or the padding
Padding = str | tuple[int, int]             # as stored: a name, or (rows, columns)


def _pair(value: Any, what: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"conv2d: {what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_border_mode(border_mode: Any) -> Padding:
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or "
                             f"a pair of ints, got {border_mode!r}")
        return border_mode
    pads = _pair(border_mode, "border_mode")
    if min(pads) < 0:
        raise ValueError(f"conv2d: padding must be non-negative, got {border_mode!r}")
    return pads


def _span(k: int, dilation: int) -> int:
    """The extent of a kernel of ``k`` taps spread ``dilation`` apart."""
    return (k - 1) * dilation + 1


class _ConvParams(Op):
    """The parameters shared by Conv2d and its gradient ops, and the padding they imply."""

    __props__: tuple[str, ...] = ("border_mode", "subsample", "filter_flip", "filter_dilation")

    def __init__(self, border_mode: Any = "valid", subsample: Any = (1, 1),
                 filter_flip: bool = True, filter_dilation: Any = (1, 1)):
        self.border_mode = _check_border_mode(border_mode)
        self.subsample = _pair(subsample, "subsample")
        self.filter_dilation = _pair(filter_dilation, "filter_dilation")
        if min(self.subsample) < 1 or min(self.filter_dilation) < 1:
            raise ValueError(f"conv2d: subsample and filter_dilation must be >= 1, got "
                             f"{subsample!r} and {filter_dilation!r}")
        self.filter_flip = bool(filter_flip)

    def params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _ConvParams.__props__}

    def pads(self, kh: int, kw: int) -> tuple[int, int]:
        """Zero padding (rows, columns) added on each side of the image."""
        if not isinstance(self.border_mode, str):
            return self.border_mode
        spans = (_span(kh, self.filter_dilation[0]), _span(kw, self.filter_dilation[1]))
        if self.border_mode == "valid":
            return 0, 0
        if self.border_mode == "full":
            return spans[0] - 1, spans[1] - 1
        return spans[0] // 2, spans[1] // 2          # half: output keeps the input size

    def out_size(self, n: int, k: int, axis: int) -> int:
        """Output length along one spatial axis of length ``n`` for a ``k``-tap kernel."""
        pad = self.pads(k, k)[axis]
        return (n + 2 * pad - _span(k, self.filter_dilation[axis])) // self.subsample[axis] + 1

    def out_len(self, n: int | None, k: int | None, axis: int) -> int | None:
        """``out_size`` of static lengths (None when either is unknown)."""
        return None if n is None or k is None else self.out_size(n, k, axis)

    def taps(self, kh: int, kw: int, oh: int, ow: int):  # noqa: ANN201  (a generator)
        """For each kernel tap ``(i, j)``, the padded-image rows and columns it reads."""
        (dh, dw), (sh, sw) = self.filter_dilation, self.subsample
        for i in range(kh):
            for j in range(kw):
                yield i, j, (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                             slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))

    def im2col(self, x: np.ndarray, kh: int, kw: int, oh: int, ow: int) -> np.ndarray:
        """``cols[c, i, j, n, y, x]``: the padded image value that tap ``(i, j)`` meets at
        output ``(y, x)``. The layout makes each tap one contiguous slab copy and the
        convolution a single gemm over ``(c, i, j)``."""
        ph, pw = self.pads(kh, kw)
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        x = x.transpose(1, 0, 2, 3)                  # channels first: (C, N, H, W)
        cols = np.empty((x.shape[0], kh, kw, x.shape[1], oh, ow), dtype=x.dtype)
        for i, j, (rows, columns) in self.taps(kh, kw, oh, ow):
            cols[:, i, j] = x[:, :, rows, columns]
        return cols.reshape(x.shape[0] * kh * kw, -1)

    def oriented(self, w: np.ndarray) -> np.ndarray:
        """The kernel as correlated with the image: flipped for a true convolution."""
        return w[:, :, ::-1, ::-1] if self.filter_flip else w


def _tensor4(op: str, role: str, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 4:
        raise TypeError(f"{op}: {role} must be 4-d, got {x.type.short()}")
    return x


def _merge_shape(op: str, role: str, var: TensorVariable, given: Sequence[int | None] | None
                 ) -> tuple[int | None, ...]:
    """The static shape of ``var`` refined by a user-given shape; they must agree."""
    shape = var.type.shape
    if given is None:
        return shape
    given = tuple(None if g is None else int(g) for g in given)
    if len(given) != 4:
        raise ValueError(f"{op}: {role} shape {given} must have 4 entries")
    for have, want in zip(shape, given, strict=True):
        if have is not None and want is not None and have != want:
            raise ValueError(f"{op}: {role} {var.type.short()} does not match the given "
                             f"shape {given}")
    return tuple(h if h is not None else w for h, w in zip(shape, given, strict=True))


def _check_channels(op: str, image: tuple, kernel: tuple) -> None:
    if image[1] is not None and kernel[1] is not None and image[1] != kernel[1]:
        raise ValueError(f"{op}: the input has {image[1]} channels but the filters expect "
                         f"{kernel[1]} (input shape {image}, filter shape {kernel})")


def _static_ints(vec: Variable) -> list[int | None]:
    """Known entries of a 2-vector of ints (a constant or a MakeVector of constants)."""
    if isinstance(vec, TensorConstant):
        return [int(v) for v in vec.data]
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        return [int(v.data) if isinstance(v, TensorConstant) else None
                for v in vec.owner.inputs]
    return [None, None]


def _spatial_shape(x: TensorVariable) -> Variable:
    """``x.shape[2:]`` as an int64 2-vector, constant when statically known."""
    dims = x.type.shape[2:]
    if None not in dims:
        return constant(np.asarray(dims, dtype="int64"))
    return make_vector([shape_i(x, 2), shape_i(x, 3)])


def _shape_vector(op: str, shp: Any) -> TensorVariable:
    shp = as_tensor_variable(shp)
    if shp.ndim != 1 or not is_int(shp.dtype) or shp.type.shape[0] not in (None, 2):
        raise TypeError(f"{op}: shape must be an int vector of 2 entries, got {shp.type.short()}")
    return shp


class Conv2d(_ConvParams):
    """``out[n, f] = sum_c input[n, c] (*) filters[f, c]`` on NCHW images (``(*)`` is a
    convolution when ``filter_flip``, else a cross-correlation)."""

    __props__ = ("imshp", "kshp", *_ConvParams.__props__)

    def __init__(self, imshp: Sequence[int | None] | None = None,
                 kshp: Sequence[int | None] | None = None, **params: Any):
        super().__init__(**params)
        self.imshp = None if imshp is None else tuple(imshp)
        self.kshp = None if kshp is None else tuple(kshp)

    def __str__(self) -> str:
        return (f"Conv2d{{{self.border_mode}, subsample={self.subsample}, "
                f"flip={self.filter_flip}}}")

    def make_node(self, image: Any, filters: Any) -> Apply:
        image = _tensor4(str(self), "input", image)
        filters = _tensor4(str(self), "filters", filters)
        ishape = _merge_shape(str(self), "input", image, self.imshp)
        kshape = _merge_shape(str(self), "filters", filters, self.kshp)
        _check_channels(str(self), ishape, kshape)
        oh = self.out_len(ishape[2], kshape[2], 0)
        ow = self.out_len(ishape[3], kshape[3], 1)
        if (oh is not None and oh < 1) or (ow is not None and ow < 1):
            raise ValueError(f"{self}: filters {kshape} do not fit the padded input {ishape}")
        dtype = upgrade_to_float(upcast(image.dtype, filters.dtype))
        out = TensorType(dtype, shape=(ishape[0], kshape[0], oh, ow)).make_variable()
        return Apply(self, [image, filters], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, w = inputs
        self._check_values(node, x, w)
        dtype = node.outputs[0].type.dtype
        n, f, (kh, kw) = x.shape[0], w.shape[0], w.shape[2:]
        oh, ow = self.out_size(x.shape[2], kh, 0), self.out_size(x.shape[3], kw, 1)
        cols = self.im2col(x.astype(dtype, copy=False), kh, kw, oh, ow)
        # one gemm over (c, i, j): (N*oh*ow, C*kh*kw) @ (C*kh*kw, F); the long axis as the
        # product's rows is the layout OpenBLAS runs fastest (2-10x over (F, N*oh*ow))
        kernel = self.oriented(w.astype(dtype, copy=False)).reshape(f, -1)
        out = (cols.T @ kernel.T).reshape(n, oh, ow, f)
        output_storage[0][0] = np.ascontiguousarray(out.transpose(0, 3, 1, 2))

    def _check_values(self, node: Apply, x: np.ndarray, w: np.ndarray) -> None:
        for role, given, arr in (("input", self.imshp, x), ("filters", self.kshp, w)):
            if given is not None and any(g is not None and g != a
                                         for g, a in zip(given, arr.shape, strict=True)):
                raise ValueError(f"{self} at node {node.uid}: {role} has shape {arr.shape}, "
                                 f"declared {given}")
        if x.shape[1] != w.shape[1]:
            raise ValueError(f"{self} at node {node.uid}: the input has {x.shape[1]} channels "
                             f"but the filters expect {w.shape[1]} (shapes {x.shape} and "
                             f"{w.shape})")
        oh = self.out_size(x.shape[2], w.shape[2], 0)
        ow = self.out_size(x.shape[3], w.shape[3], 1)
        if min(oh, ow) < 1:
            raise ValueError(f"{self} at node {node.uid}: filters {w.shape} do not fit the "
                             f"padded input {x.shape}")

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, w = inputs
        (g,) = output_grads
        return [Conv2dGradInputs(**self.params())(w, g, _spatial_shape(x)),
                Conv2dGradWeights(**self.params())(x, g, _spatial_shape(w))]


class _ConvGrad(_ConvParams):
    """A gradient of Conv2d: ``(operand, topgrad, shape)`` to a 4-d result whose spatial
    shape is ``shape`` and whose two leading dimensions ``lead_dims`` reads off the inputs."""

    operand = ""  # what the first input is, for error messages

    def lead_dims(self, operand: TensorType, topgrad: TensorType) -> tuple[int | None, ...]:
        raise NotImplementedError

    def make_node(self, operand: Any, topgrad: Any, shape: Any) -> Apply:
        operand = _tensor4(str(self), self.operand, operand)
        topgrad = _tensor4(str(self), "topgrad", topgrad)
        shape = _shape_vector(str(self), shape)
        dtype = upgrade_to_float(upcast(operand.dtype, topgrad.dtype))
        out_shape = (*self.lead_dims(operand.type, topgrad.type), *_static_ints(shape))
        return Apply(self, [operand, topgrad, shape],
                     [TensorType(dtype, shape=out_shape).make_variable()])


class Conv2dGradInputs(_ConvGrad):
    """The gradient of Conv2d with respect to its input: the transposed convolution of
    ``topgrad`` by ``filters`` (col2im), for an image of spatial shape ``shape``."""

    operand = "filters"

    def lead_dims(self, operand: TensorType, topgrad: TensorType) -> tuple[int | None, ...]:
        return (topgrad.shape[0], operand.shape[1])      # (batch, channels)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        w, top, (h, wd) = inputs
        dtype = node.outputs[0].type.dtype
        kh, kw = w.shape[2:]
        _check_top(self, node, top, (self.out_size(h, kh, 0), self.out_size(wd, kw, 1)))
        ph, pw = self.pads(kh, kw)
        (n, f, oh, ow), c = top.shape, w.shape[1]
        # col2im: dcols[n, y, x, i, j, c] is what tap (i, j) at output (y, x) sends back;
        # channels last in both it and the padded image, so each tap's add is a run of
        # contiguous channel rows (2.6x faster than adding channel-first strided blocks)
        kernel = self.oriented(w.astype(dtype, copy=False)).transpose(0, 2, 3, 1).reshape(f, -1)
        top_cols = top.astype(dtype, copy=False).transpose(0, 2, 3, 1).reshape(-1, f)
        dcols = (top_cols @ kernel).reshape(n, oh, ow, kh, kw, c)
        padded = np.zeros((n, h + 2 * ph, wd + 2 * pw, c), dtype=dtype)
        for i, j, (rows, columns) in self.taps(kh, kw, oh, ow):
            padded[:, rows, columns] += dcols[:, :, :, i, j]
        output_storage[0][0] = np.ascontiguousarray(
            padded[:, ph:ph + h, pw:pw + wd].transpose(0, 3, 1, 2))

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # linear in each of filters and topgrad: <G, A_w^T top> = <conv(G, w), top>
        w, top, _ = inputs
        (g,) = output_grads
        return [Conv2dGradWeights(**self.params())(g, top, _spatial_shape(w)),
                Conv2d(**self.params())(g, w), None]


class Conv2dGradWeights(_ConvGrad):
    """The gradient of Conv2d with respect to its filters: ``topgrad`` correlated with the
    input's windows, for filters of spatial shape ``shape``."""

    operand = "input"

    def lead_dims(self, operand: TensorType, topgrad: TensorType) -> tuple[int | None, ...]:
        return (topgrad.shape[1], operand.shape[1])      # (filters, channels)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, top, (kh, kw) = inputs
        dtype = node.outputs[0].type.dtype
        _check_top(self, node, top, (self.out_size(x.shape[2], kh, 0),
                                     self.out_size(x.shape[3], kw, 1)))
        f, (oh, ow), c = top.shape[1], top.shape[2:], x.shape[1]
        cols = self.im2col(x.astype(dtype, copy=False), kh, kw, oh, ow)
        # dw[f, (c, i, j)] = sum over (n, y, x) of top[n, f, y, x] * cols[(c, i, j), (n, y, x)],
        # computed as (cols @ top^T)^T: that product layout is the fast one for OpenBLAS
        top_cols = top.astype(dtype, copy=False).transpose(0, 2, 3, 1).reshape(-1, f)
        dw = (cols @ top_cols).T.reshape(f, c, kh, kw)
        output_storage[0][0] = np.ascontiguousarray(self.oriented(dw))

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # linear in each of image and topgrad: <G, dW(x, top)> = <conv(x, G), top>
        x, top, _ = inputs
        (g,) = output_grads
        return [Conv2dGradInputs(**self.params())(g, top, _spatial_shape(x)),
                Conv2d(**self.params())(x, g), None]


def _check_top(op: Op, node: Apply, top: np.ndarray, expected: tuple) -> None:
    if tuple(top.shape[2:]) != tuple(expected):
        raise ValueError(f"{op} at node {node.uid}: topgrad has spatial shape "
                         f"{tuple(top.shape[2:])}, the convolution gives {tuple(expected)}")


def conv2d(input: Any, filters: Any, input_shape: Sequence[int | None] | None = None,
           filter_shape: Sequence[int | None] | None = None, border_mode: BorderMode = "valid",
           subsample: Sequence[int] = (1, 1), filter_flip: bool = True,
           image_shape: Sequence[int | None] | None = None,
           filter_dilation: Sequence[int] = (1, 1), num_groups: int = 1) -> TensorVariable:
    """2-d convolution of a batch of images with a bank of filters (Theano's
    ``T.nnet.conv2d``).

    Parameters
    ----------
    input : 4-d tensor ``(batch, channels, rows, cols)``.
    filters : 4-d tensor ``(n_filters, channels, rows, cols)``.
    input_shape, filter_shape : optional static shapes (None entries unknown); they are
        checked against the variables' types and refine the output's static shape.
        ``image_shape`` is the old name of ``input_shape``.
    border_mode : ``'valid'`` (no padding), ``'full'`` (pad by filter size - 1), ``'half'``
        (pad by filter size // 2; odd filters keep the size), an int or an ``(int, int)``
        padding.
    subsample : strides ``(rows, cols)``.
    filter_flip : True for a convolution (filters flipped), False for a cross-correlation.
    filter_dilation : spacing between filter taps.
    num_groups : split the channels and the filters into this many groups, each group of
        filters seeing only its group of channels (``filters`` has ``channels // num_groups``
        input channels).

    Returns
    -------
    The ``(batch, n_filters, out_rows, out_cols)`` result.

    >>> x, w = T.tensor4('x'), T.tensor4('w')
    >>> y = T.nnet.conv2d(x, w, border_mode='half', subsample=(2, 2))
    """
    if image_shape is not None:
        if input_shape is not None:
            raise TypeError("conv2d: give input_shape or image_shape, not both")
        input_shape = image_shape
    params: dict[str, Any] = {"border_mode": border_mode, "subsample": subsample,
                              "filter_flip": filter_flip, "filter_dilation": filter_dilation}
    if num_groups != 1:
        return grouped(lambda x, w: Conv2d(**params)(x, w), input, filters, num_groups)
    return Conv2d(input_shape, filter_shape, **params)(input, filters)


def grouped(conv: Any, input: Any, filters: Any, num_groups: int) -> TensorVariable:
    """``conv`` applied per group: group ``g`` of the filters to group ``g`` of the input's
    channels, the results joined along the channel axis (a graph: its gradient is the
    groups')."""
    if int(num_groups) != num_groups or num_groups < 1:
        raise ValueError(f"conv2d: num_groups must be a positive int, got {num_groups!r}")
    input, filters = as_tensor_variable(input), as_tensor_variable(filters)
    for role, var in (("input channels", input.type.shape[1]),
                      ("filters", filters.type.shape[0])):
        if var is not None and var % num_groups:
            raise ValueError(f"conv2d: {var} {role} do not split into {num_groups} groups")
    channels = shape_i(input, 1) // num_groups
    count = shape_i(filters, 0) // num_groups
    parts = [conv(input[:, g * channels:(g + 1) * channels],
                  filters[g * count:(g + 1) * count]) for g in range(num_groups)]
    return join(1, *parts)


def legacy_conv2d(input: Any, filters: Any, image_shape: Sequence[int | None] | None = None,
           filter_shape: Sequence[int | None] | None = None, border_mode: str = "valid",
           subsample: Sequence[int] = (1, 1), **kwargs: Any) -> TensorVariable:
    """Theano's original ``conv.conv2d``: a true (flipped-filter) convolution, ``'valid'`` or
    ``'full'`` borders only. New code should call ``T.nnet.conv2d``.

    >>> from nbgraph.tensor.nnet import conv
    >>> y = conv.conv2d(T.tensor4('x'), T.tensor4('w'), border_mode='full')
    """
    if border_mode not in ("valid", "full"):
        raise ValueError(f"nnet.conv.conv2d: border_mode must be 'valid' or 'full', got "
                         f"{border_mode!r} (T.nnet.conv2d supports more)")
    if kwargs:
        raise TypeError(f"nnet.conv.conv2d: unsupported arguments {sorted(kwargs)}")
    return conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                   border_mode=border_mode, subsample=subsample, filter_flip=True)
