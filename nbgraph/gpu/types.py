"""The device tensor type, the explicit transfer ops between host and device, and shared
variables whose value stays in device memory across calls.

Nothing here imports CuPy at module level; values are CuPy arrays only when a GPU runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.shared import SharedVariable
from ..core.types import TensorType
from ..core.variable import TensorVariable, as_tensor_variable
from .device import is_device_array, require_cupy, to_device, to_host


class GpuTensorType(TensorType):
    """A tensor in CUDA device memory: ``GpuTensorType('float32', shape=(None, 3))``.

    Same dtype and static shape rules as ``TensorType`` (a graph may put one where the other
    was), but not equal to it: listings show ``float32[?,3]@cuda``.
    """

    __slots__ = ()

    def __init__(self, dtype: str, broadcastable: Sequence[bool] | None = None,
                 shape: Sequence[int | None] | None = None):
        super().__init__(dtype, broadcastable, shape)
        self._hash = hash(("cuda", self.dtype, self.shape))

    @classmethod
    def of(cls, ttype: TensorType) -> GpuTensorType:
        """The device version of a host tensor type."""
        return cls(ttype.dtype, shape=ttype.shape)

    def host(self) -> TensorType:
        return TensorType(self.dtype, shape=self.shape)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, GpuTensorType) and self.dtype == other.dtype
                and self.shape == other.shape)

    def __hash__(self) -> int:
        return self._hash

    def clone(self, dtype: str | None = None, shape: Sequence[int | None] | None = None
              ) -> GpuTensorType:
        return GpuTensorType(dtype or self.dtype, shape=self.shape if shape is None else shape)

    def __str__(self) -> str:
        return "Gpu" + super().__str__()

    __repr__ = __str__

    def short(self) -> str:
        return super().short() + "@cuda"

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               name: str | None = None) -> Any:
        """A CuPy array of this type: device arrays are checked, host values checked on the
        host and copied over once."""
        if is_device_array(value) and value.dtype == self.dtype:
            if value.ndim != self.ndim or any(w is not None and w != g
                                              for w, g in zip(self.shape, value.shape,
                                                              strict=True)):
                raise ValueError(f"{name or 'value'}: expected {self.short()}, got a device "
                                 f"array of shape {value.shape}")
            return value
        if is_device_array(value):
            value = to_host(value)
        return to_device(self.host().filter(value, strict, allow_downcast, name))


class GpuFromHost(Op):
    """Copy a host (NumPy) tensor to the device: the one place inputs cross to the GPU."""

    def __str__(self) -> str:
        return "GpuFromHost<cuda>"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if isinstance(x.type, GpuTensorType):
            raise TypeError(f"{self}: {x} ({x.type.short()}) is already on the device")
        return Apply(self, [x], [GpuTensorType.of(x.type)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        # a shared variable that lives on the device passes through without a copy
        output_storage[0][0] = to_device(inputs[0], node.outputs[0].dtype)

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable]:
        return [host_from_gpu(output_grads[0])]


class HostFromGpu(Op):
    """Copy a device (CuPy) tensor back to the host: results come back as NumPy arrays."""

    def __str__(self) -> str:
        return "HostFromGpu<cuda>"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not isinstance(x.type, GpuTensorType):
            raise TypeError(f"{self}: {x} ({x.type.short()}) is not on the device")
        return Apply(self, [x], [x.type.host()()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = to_host(inputs[0])

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable]:
        return [gpu_from_host(output_grads[0])]


gpu_from_host = GpuFromHost()
host_from_gpu = HostFromGpu()


class GpuSharedVariable(SharedVariable):
    """A shared variable whose value is a CuPy array: functions on the GPU read and update it
    in place of a host copy, so it never crosses the bus between calls.

    ``get_value()`` returns a NumPy copy (``borrow=True, return_internal_type=True`` gives the
    CuPy array itself); ``set_value`` accepts NumPy or CuPy values.
    """

    def __init__(self, type: TensorType, value: Any, name: str | None = None,
                 strict: bool = False, allow_downcast: bool | None = None):
        host = type.filter(to_host(value), strict, allow_downcast, name)
        super().__init__(type, host, name, strict, allow_downcast)
        self.container[0] = to_device(host)

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        value = self.container[0]
        if borrow and return_internal_type:
            return value
        # .get() copies already; a host value (set with borrow) is copied like SharedVariable
        return to_host(value) if is_device_array(value) else np.array(value, copy=True)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        if is_device_array(value):
            if value.dtype != self.type.dtype or value.ndim != self.ndim:
                raise TypeError(f"{self.name or 'shared variable'}: expected "
                                f"{self.type.short()}, got a device array {value.dtype} "
                                f"of shape {value.shape}")
            self.container[0] = value if borrow else value.copy()
            return
        host = self.type.filter(value, name=self.name or "shared variable",
                                allow_downcast=False)
        self.container[0] = to_device(host)


def gpu_shared(value: Any, name: str | None = None, strict: bool = False,
               allow_downcast: bool | None = None,
               broadcastable: tuple[bool, ...] | None = None) -> GpuSharedVariable:
    """A shared variable stored on the GPU (``shared(value, device='cuda')``).

    >>> w = gpu_shared(np.zeros((3, 2), 'float32'), name='w')   # needs CuPy and a GPU
    >>> w.get_value().shape
    (3, 2)
    """
    require_cupy("shared(..., device='cuda')")
    host = np.asarray(to_host(value))
    if host.dtype == object:
        raise TypeError(f"shared: cannot store a {type(value).__name__} on the GPU")
    bcast = broadcastable if broadcastable is not None else (False,) * host.ndim
    return GpuSharedVariable(TensorType(str(host.dtype), bcast), value, name, strict,
                             allow_downcast)
