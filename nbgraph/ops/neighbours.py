"""Image patches as rows (Theano's ``nnet.neighbours``): ``images2neibs`` and its adjoint
``neibs2images``, over NumPy fancy indexing (they run in Python).

A patch grid is a pair of index tables: ``rows[p, i]`` is the (padded) image row that tap
``i`` of patch row ``p`` reads, ``cols`` likewise. Gathering with them makes the patches;
scattering back with ``np.add.at`` is the exact adjoint (overlaps add up).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .shape import shape

__all__ = ["images2neibs", "neibs2images", "Images2Neibs", "Neibs2Images"]

MODES = ("valid", "ignore_borders", "wrap_centered", "half", "full")


def _pair(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, TensorVariable):
        raise TypeError(f"images2neibs: {what} must be known when the graph is built (a tuple "
                        f"of ints), got {describe(value)}")
    pair = tuple(int(v) for v in np.atleast_1d(value))
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"images2neibs: {what} must be two positive ints, got {value!r}")
    return pair[0], pair[1]


class _NeibParams(Op):
    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape: Any, neib_step: Any = None, mode: str = "valid"):
        if mode not in MODES:
            raise ValueError(f"images2neibs: mode must be one of {MODES}, got {mode!r}")
        self.neib_shape = _pair(neib_shape, "neib_shape")
        self.neib_step = self.neib_shape if neib_step is None else _pair(neib_step, "neib_step")
        self.mode = mode
        if mode == "wrap_centered" and (self.neib_shape[0] % 2 == 0
                                        or self.neib_shape[1] % 2 == 0):
            raise ValueError(f"images2neibs: wrap_centered needs odd neib_shape, got "
                             f"{self.neib_shape}")

    def pad(self, axis: int) -> int:
        k = self.neib_shape[axis]
        return {"half": k // 2, "full": k - 1}.get(self.mode, 0)

    def taps(self, size: int, axis: int, where: str) -> np.ndarray:
        """The index table of one axis of length ``size``: (patches, taps), into the padded
        axis (or the axis itself, wrapped, for 'wrap_centered')."""
        k, step = self.neib_shape[axis], self.neib_step[axis]
        if self.mode == "wrap_centered":
            starts = np.arange(0, size, step) - k // 2
            return (starts[:, None] + np.arange(k)) % size
        span = size + 2 * self.pad(axis)
        if span < k:
            raise ValueError(f"{self} at {where}: a patch of {k} does not fit an axis of "
                             f"{size}")
        if self.mode == "valid" and (span - k) % step:
            raise ValueError(f"{self} at {where}: axis {axis + 2} of length {size} is not "
                             f"covered by patches of {k} every {step} ('valid' needs "
                             f"(length - {k}) % {step} == 0; 'ignore_borders' drops the rest)")
        starts = np.arange(0, span - k + 1, step)
        return starts[:, None] + np.arange(k)

    def tables(self, h: int, w: int, where: str) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = self.taps(h, 0, where), self.taps(w, 1, where)
        # broadcast to (patch row, patch col, tap row, tap col)
        return rows[:, None, :, None], cols[None, :, None, :]


class Images2Neibs(_NeibParams):
    """Patches of a 4-d ``(n, c, h, w)`` tensor as rows of a matrix: one row per
    ``(n, c, patch row, patch col)``, ``neib_shape[0] * neib_shape[1]`` columns."""

    def make_node(self, ten4: Any) -> Apply:
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"{self}: needs a 4-d tensor, got {describe(ten4)}")
        cols = self.neib_shape[0] * self.neib_shape[1]
        out = TensorType(ten4.dtype, shape=(None, cols)).make_variable()
        return Apply(self, [ten4], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        rows, cols = self.tables(x.shape[2], x.shape[3], f"node {node.uid}")
        ph, pw = self.pad(0), self.pad(1)
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        patches = x[:, :, rows, cols]                        # (n, c, pr, pc, kh, kw)
        output_storage[0][0] = patches.reshape(-1, rows.shape[2] * cols.shape[3])

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple] | None:
        return None   # the patch count depends on the mode's arithmetic at run time

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        if is_int(x.dtype):
            return [None]
        return [Neibs2Images(self.neib_shape, self.neib_step, self.mode)(g, shape(x))]


class Neibs2Images(_NeibParams):
    """The adjoint of ``Images2Neibs``: rows of patches added back into a zero image of
    ``original_shape`` (where patches overlap, they sum)."""

    def make_node(self, neibs: Any, original_shape: Any) -> Apply:
        neibs, original_shape = as_tensor_variable(neibs), as_tensor_variable(original_shape)
        if neibs.ndim != 2:
            raise TypeError(f"{self}: neibs must be a matrix, got {describe(neibs)}")
        if original_shape.ndim != 1 or not is_int(original_shape.dtype):
            raise TypeError(f"{self}: original_shape must be an int vector, got "
                            f"{describe(original_shape)}")
        out = TensorType(neibs.dtype, shape=(None,) * 4).make_variable()
        return Apply(self, [neibs, original_shape], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        neibs, (n, c, h, w) = inputs
        rows, cols = self.tables(int(h), int(w), f"node {node.uid}")
        ph, pw = self.pad(0), self.pad(1)
        grid = (int(n), int(c), rows.shape[0], cols.shape[1], rows.shape[2], cols.shape[3])
        if neibs.size != np.prod(grid):
            raise ValueError(f"{self} at node {node.uid}: {neibs.shape[0]} rows of "
                             f"{neibs.shape[1]} do not make the patches of an image of shape "
                             f"{(int(n), int(c), int(h), int(w))} (need {grid})")
        out = np.zeros((int(n), int(c), int(h) + 2 * ph, int(w) + 2 * pw), dtype=neibs.dtype)
        where: Any = (slice(None), slice(None), rows, cols)
        np.add.at(out, where, neibs.reshape(grid))
        output_storage[0][0] = out[:, :, ph:ph + int(h), pw:pw + int(w)]

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        original = node.inputs[1]
        return [tuple(original[i] for i in range(4))]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (g,) = output_grads
        return [Images2Neibs(self.neib_shape, self.neib_step, self.mode)(g), None]


def images2neibs(ten4: Any, neib_shape: Any, neib_step: Any = None, mode: str = "valid"
                 ) -> TensorVariable:
    """The ``neib_shape`` patches of each image of a 4-d tensor, taken every ``neib_step``
    (default: side by side), one patch per row.

    ``mode``: 'valid' (patches must tile the image exactly), 'ignore_borders' (drop what is
    left over), 'half'/'full' (zero padding of ``neib // 2`` / ``neib - 1``),
    'wrap_centered' (odd patches centred on every step, wrapping around the edges).

    >>> patches = T.nnet.neighbours.images2neibs(T.dtensor4('x'), (2, 2))   # (n*c*p, 4)
    """
    return Images2Neibs(neib_shape, neib_step, mode)(ten4)


def neibs2images(neibs: Any, neib_shape: Any, original_shape: Any, mode: str = "valid",
                 neib_step: Any = None) -> TensorVariable:
    """The inverse of ``images2neibs`` for side-by-side patches: the image of
    ``original_shape`` the rows of ``neibs`` came from (where patches overlap, given a
    ``neib_step``, they add up: the adjoint).

    >>> x2 = T.nnet.neighbours.neibs2images(patches, (2, 2), x.shape)
    """
    return Neibs2Images(neib_shape, neib_step, mode)(neibs, original_shape)
