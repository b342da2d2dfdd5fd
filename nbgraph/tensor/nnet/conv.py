"""``nbgraph.tensor.nnet.conv``: Theano's old ``conv2d`` signature over ``core.conv.Conv2d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core.conv import conv2d as _conv2d
from ...core.graph import Variable

__all__ = ["conv2d"]


def conv2d(input: Any, filters: Any, image_shape: Sequence[int | None] | None = None,
           filter_shape: Sequence[int | None] | None = None, border_mode: str = "valid",
           subsample: Sequence[int] = (1, 1), **kwargs: Any) -> Variable:
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
    return _conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                   border_mode=border_mode, subsample=subsample, filter_flip=True)
