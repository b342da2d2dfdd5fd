"""SharedVariable: a graph input that carries its own value between function calls, and
``shared``, which builds one on the host or on a device whose layer registered a constructor.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Self

import numpy as np

from ..config import config
from .graph import next_uid
from .types import TensorType
from .variable import TensorVariable


class SharedVariable(TensorVariable):
    """A tensor with a value stored outside any one function (Theano's ``shared``).

    Functions read it implicitly and may update it (``updates=``). The value lives in
    ``container``, a one-element list that every compiled function shares.
    """

    def __init__(self, type: TensorType, value: np.ndarray, name: str | None = None,
                 strict: bool = False, allow_downcast: bool | None = None):
        super().__init__(type, None, None, name)
        self.container: list[Any] = [type.filter(value, strict, allow_downcast, name)]
        self.default_update: Any = None

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The current value; a copy unless ``borrow=True``."""
        value = self.container[0]
        return value if borrow else np.array(value, copy=True)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value (copied unless ``borrow=True``); it must fit the type."""
        value = self.type.filter(value, name=self.name or "shared variable",
                                 allow_downcast=False)
        if not borrow:
            value = np.array(value, copy=True)
        self.container[0] = value

    @property
    def value(self) -> Any:
        return self.get_value()

    def clone(self) -> Self:
        """A new Variable (a fresh uid) on the same storage, as Theano's: setting either's
        value sets both; the default update stays with the original."""
        out = copy.copy(self)  # every attribute, the value's container included
        out.uid = next_uid()
        out.tag = SimpleNamespace(**vars(self.tag))
        out.default_update = None
        return out


# device kind -> constructor of shared variables living there, for ``shared(...,
# device=)`` with a device name starting with the kind ('cuda', 'cuda0'). Theano's
# ``shared_constructor`` idea, keyed by device; ``nbgraph.gpu`` registers 'cuda' on import.
SHARED_CONSTRUCTORS: dict[str, Callable[..., SharedVariable]] = {}


def register_shared_constructor(device: str, constructor: Callable[..., SharedVariable]
                                ) -> None:
    """Make ``shared(value, name, ..., device=device)`` call ``constructor(value, name,
    strict, allow_downcast, broadcastable)``.

    >>> register_shared_constructor("cuda", gpu_shared)   # what nbgraph.gpu does on import
    """
    SHARED_CONSTRUCTORS[device] = constructor


def _device_constructor(device: str) -> Callable[..., SharedVariable] | None:
    """The registered constructor for ``device``; None on the host ('cpu')."""
    if device.startswith("cpu"):
        return None
    for kind, constructor in SHARED_CONSTRUCTORS.items():
        if device.startswith(kind):
            return constructor
    raise ValueError(f"shared: no shared-variable constructor for device {device!r} (import "
                     f"nbgraph.gpu; known devices: {['cpu', *sorted(SHARED_CONSTRUCTORS)]})")


def shared(value: Any, name: str | None = None, strict: bool = False,
           allow_downcast: bool | None = None, borrow: bool = False,
           broadcastable: tuple[bool, ...] | None = None, **kwargs: Any) -> SharedVariable:
    """A SharedVariable holding ``value`` (copied unless ``borrow=True``).

    >>> w = shared(np.zeros(3), name='w')
    >>> w.get_value()
    array([0., 0., 0.])

    Dimensions of length 1 are not broadcastable unless ``broadcastable`` says so, as in
    Theano (the value may change shape later). ``device='cuda'`` (default: ``config.device``)
    keeps the value in GPU memory (the constructor ``nbgraph.gpu`` registers).
    """
    if isinstance(value, (int, float, bool)) and not isinstance(value, np.generic):
        dtype = config.floatX if isinstance(value, float) else "int64"
        value = np.asarray(value, dtype=dtype)
    on_device = _device_constructor(str(kwargs.get("device", config.device)))
    if on_device is not None:
        return on_device(value, name, strict, allow_downcast, broadcastable)
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"shared: cannot store a {type(value).__name__}")
    if not borrow or not isinstance(value, np.ndarray):
        array = np.array(array, copy=True)
    bcast = broadcastable if broadcastable is not None else (False,) * array.ndim
    return SharedVariable(TensorType(str(array.dtype), bcast), array, name, strict,
                          allow_downcast)
