"""Theano's ``MRG_RandomStreams``: L'Ecuyer's MRG31k3p generator, stream for stream.

A draw owns a shared int32 matrix of generator states, one row per stream; the streams of a
draw are 2**72 steps apart and successive draws start 2**134 steps apart, as in Theano's
``rng_mrg`` (and L'Ecuyer's Java code, whose samples Theano's tests list), so a seed gives
Theano's numbers. Element ``i`` of a sample comes from stream ``i % n_streams``. ``normal`` is
Box-Muller over uniform pairs, ``binomial`` is ``uniform < p`` and ``multinomial`` picks each
outcome from one uniform, as Theano did.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import config
from ..core.gradient import grad_undefined
from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.shared import SharedVariable
from ..core.test_values import compute_test_values
from ..core.types import TensorType, is_int, upcast
from ..core.variable import TensorVariable, as_tensor_variable, constant
from . import math as M
from .join import join
from .random import _size_vector
from .shape import reshape
from .subtensor import nonzero

__all__ = ["MRG_RandomStreams", "MRGUniform", "MultinomialFromUniform", "ChoiceFromUniform",
           "mrg_uniform",
           "ff_2p72", "ff_2p134", "guess_n_streams"]

# MRG31k3p's constants (L'Ecuyer and Touzin 2000)
M1, M2 = np.int32(2147483647), np.int32(2147462579)      # 2**31 - 1, 2**31 - 21069
# 1 / 2**31; float32 samples use the largest factor that keeps M1 * factor below 1.0
NORM = {"float64": np.float64(4.656612873077392578125e-10),
        "float32": np.float32(4.6566126e-10)}

# the generator's transition matrices raised to 2**72 (next stream of a draw) and to 2**134
# (the next draw), one per component
A1P72 = ((1516919229, 758510237, 499121365), (1884998244, 1516919229, 335398200),
         (601897748, 1884998244, 358115744))
A2P72 = ((1228857673, 1496414766, 954677935), (1133297478, 1407477216, 1496414766),
         (2002613992, 1639496704, 1407477216))
A1P134 = ((1702500920, 1849582496, 1656874625), (828554832, 1702500920, 1512419905),
          (1143731069, 828554832, 102237247))
A2P134 = ((796789021, 1464208080, 607337906), (1241679051, 1431130166, 1464208080),
          (1401213391, 1178684362, 1431130166))


# -- jumping ahead: exact integer matrix powers ------------------------------------------------
def _mat_mul(a: tuple, b: tuple, m: int) -> tuple:
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3))
                 for i in range(3))


def _apply(a1: tuple, a2: tuple, states: np.ndarray) -> np.ndarray:
    """Each row ``[x1, x2]`` of ``states`` (n, 6) mapped to ``[a1 x1 mod M1, a2 x2 mod M2]``;
    products are reduced before summing, so int64 never overflows."""
    out = np.empty_like(states)
    for half, (a, m) in enumerate(((a1, int(M1)), (a2, int(M2)))):
        x = states[:, 3 * half:3 * half + 3].astype(np.int64)
        mat = np.asarray(a, dtype=np.int64)
        out[:, 3 * half:3 * half + 3] = ((mat[None] * x[:, None, :]) % m).sum(-1) % m
    return out


def ff_2p72(rstate: Any) -> np.ndarray:
    """The state 2**72 steps after ``rstate`` (Theano's ``rng_mrg.ff_2p72``)."""
    return _apply(A1P72, A2P72, np.asarray(rstate, dtype=np.int32).reshape(1, 6))[0]


def ff_2p134(rstate: Any) -> np.ndarray:
    """The state 2**134 steps after ``rstate`` (Theano's ``rng_mrg.ff_2p134``)."""
    return _apply(A1P134, A2P134, np.asarray(rstate, dtype=np.int32).reshape(1, 6))[0]


def substream_states(rstate: np.ndarray, n_streams: int) -> np.ndarray:
    """``n_streams`` rows, row ``i`` being ``rstate`` jumped ``i * 2**72`` steps: filled by
    doubling (rows ``k..2k`` are rows ``0..k`` jumped ``k * 2**72``), not one row at a time."""
    rows = np.asarray(rstate, dtype=np.int32).reshape(1, 6)
    a1, a2 = A1P72, A2P72
    while len(rows) < n_streams:
        rows = np.concatenate([rows, _apply(a1, a2, rows)])
        a1, a2 = _mat_mul(a1, a1, int(M1)), _mat_mul(a2, a2, int(M2))
    return rows[:n_streams].astype(np.int32)


# -- the generator ---------------------------------------------------------------------------
def mrg_next(states: np.ndarray) -> np.ndarray:
    """Advance every row of ``states`` (n, 6 int64, in place) one step; returns the integers
    in ``[1, M1]`` that become the samples.

    The recurrences exactly, in int64 (no product exceeds 2**53): x1 <- (2**22 x1[n-2] +
    (2**7 + 1) x1[n-3]) mod M1 and x2 <- (2**15 x2[n-1] + (2**15 + 1) x2[n-3]) mod M2, which
    Theano's int32 shifts and masks compute without 64-bit arithmetic.
    """
    x11, x12, x13, x21, x23 = (states[:, k] for k in (0, 1, 2, 3, 5))
    y1 = ((x12 << 22) + x13 * 129) % int(M1)
    y2 = ((x21 << 15) + x23 * 32769) % int(M2)
    states[:, 5], states[:, 4], states[:, 3] = states[:, 4], x21, y2
    states[:, 2], states[:, 1], states[:, 0] = x12, x11, y1
    return np.where(y1 <= y2, y1 - y2 + int(M1), y1 - y2)


class MRGUniform(Op):
    """``(rstate, size) -> (new_rstate, sample)``: uniform samples in (0, 1) drawn from the
    streams in the rows of ``rstate`` (Theano's ``mrg_uniform``)."""

    __props__ = ("dtype", "ndim")
    default_output = 1

    def __init__(self, dtype: str, ndim: int):
        if dtype not in NORM:
            raise TypeError(f"MRG uniform samples are float32 or float64, not {dtype}")
        self.dtype, self.ndim = dtype, int(ndim)

    def make_node(self, rstate: Any, size: Any) -> Apply:
        rstate, size = as_tensor_variable(rstate), as_tensor_variable(size)
        if rstate.dtype != "int32" or rstate.ndim != 2:
            raise TypeError(f"{self}: the state must be an int32 matrix (one row of 6 per "
                            f"stream), got {rstate.type}")
        if size.ndim != 1 or not is_int(size.dtype):
            raise TypeError(f"{self}: size must be an integer vector, got {size.type}")
        shape = _static_shape(size, self.ndim)
        return Apply(self, [rstate, size], [rstate.type(), TensorType(self.dtype, shape=shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        rstate, size = inputs
        shape = tuple(int(s) for s in size)
        if len(shape) != self.ndim:
            raise ValueError(f"{self} (node {node.uid}): size {shape} has {len(shape)} entries, "
                             f"the graph expects {self.ndim}")
        states = np.array(rstate, dtype=np.int64)
        n = int(np.prod(shape))
        out = np.empty(n, dtype=self.dtype)
        n_streams = len(states)
        # element i comes from stream i % n_streams: one vectorized step per row of streams
        for start in range(0, n, n_streams):
            width = min(n_streams, n - start)
            ints = mrg_next(states[:width])
            out[start:start + width] = ints.astype(self.dtype) * NORM[self.dtype]
        output_storage[0][0] = states.astype(np.int32)
        output_storage[1][0] = out.reshape(shape)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [grad_undefined(self, k, x, "no gradient through random sampling")
                for k, x in enumerate(inputs)]

    @classmethod
    def new(cls, rstate: Any, ndim: int | None, dtype: str, size: Any) -> list[TensorVariable]:
        """Theano's ``mrg_uniform.new``: ``[new_rstate, sample]``."""
        size_var, length = _size_vector(size)
        ndim = length if ndim is None else ndim
        if ndim is None:
            raise ValueError(f"MRG uniform: the length of size {size_var} is unknown; pass ndim")
        return list(cls(dtype, ndim).make_node(rstate, size_var).outputs)


mrg_uniform = MRGUniform


def _static_shape(size: TensorVariable, ndim: int) -> tuple[int | None, ...]:
    data = getattr(size, "data", None)
    if data is not None and len(data) == ndim:
        return tuple(int(s) for s in data)
    return (None,) * ndim


class MultinomialFromUniform(Op):
    """``(pvals, unis, n) -> counts``: row ``r`` of ``pvals`` draws ``n`` times; draw ``c``
    takes the first outcome whose cumulative probability exceeds ``unis[c * rows + r]``."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64"):
        self.dtype = dtype

    def make_node(self, pvals: Any, unis: Any, n: Any) -> Apply:
        pvals, unis, n = (as_tensor_variable(v) for v in (pvals, unis, n))
        if pvals.ndim != 2 or unis.ndim != 1:
            raise TypeError(f"{self}: pvals must be a matrix and unis a vector, got "
                            f"{pvals.type} and {unis.type}")
        return Apply(self, [pvals, unis, n], [TensorType(self.dtype, shape=pvals.type.shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        pvals, unis, n = inputs
        rows, n = len(pvals), int(n)
        if len(unis) != rows * n:
            raise ValueError(f"{self} (node {node.uid}): {len(unis)} uniforms for {rows} rows "
                             f"x {n} draws")
        counts = np.zeros(pvals.shape, dtype=self.dtype)
        cumulative = np.cumsum(pvals, axis=1, dtype="float64")
        for c in range(n):
            u = unis[c * rows:(c + 1) * rows]
            picks = (cumulative <= u[:, None]).sum(axis=1)
            # rounding may leave a row's total below u: Theano then counted nothing
            hit = picks < pvals.shape[1]
            counts[np.nonzero(hit)[0], picks[hit]] += 1
        output_storage[0][0] = counts

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [grad_undefined(self, k, x, "no gradient through random sampling")
                for k, x in enumerate(inputs)]


class ChoiceFromUniform(Op):
    """``(pvals, unis, n) -> picks``: row ``r`` of ``pvals`` picks ``n`` distinct outcomes;
    pick ``c`` takes the first outcome whose cumulative probability exceeds
    ``unis[c * rows + r]``, then that outcome's probability is zeroed and the row
    renormalized (Theano's sampling without replacement)."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64"):
        self.dtype = dtype

    def make_node(self, pvals: Any, unis: Any, n: Any) -> Apply:
        pvals, unis, n = (as_tensor_variable(v) for v in (pvals, unis, n))
        if pvals.ndim != 2 or unis.ndim != 1 or n.ndim != 0:
            raise TypeError(f"{self}: pvals must be a matrix, unis a vector and n a scalar, "
                            f"got {pvals.type}, {unis.type} and {n.type}")
        shape = (pvals.type.shape[0], None)
        return Apply(self, [pvals, unis, n], [TensorType(self.dtype, shape=shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        pvals, unis, n = inputs
        rows, outcomes, n = pvals.shape[0], pvals.shape[1], int(n)
        if n > outcomes:
            raise ValueError(f"{self} (node {node.uid}): {n} picks without replacement from "
                             f"{outcomes} outcomes")
        if len(unis) != rows * n:
            raise ValueError(f"{self} (node {node.uid}): {len(unis)} uniforms for {rows} rows "
                             f"x {n} picks")
        left = np.array(pvals, dtype="float64")
        picks = np.full((rows, n), -1, dtype=self.dtype)
        for c in range(n):
            cumulative = np.cumsum(left, axis=1)
            chosen = (cumulative <= unis[c * rows:(c + 1) * rows, None]).sum(axis=1)
            for r in np.nonzero(chosen < outcomes)[0]:
                picks[r, c] = chosen[r]
                left[r, chosen[r]] = 0.0
                left[r] /= left[r].sum() or 1.0
        output_storage[0][0] = picks

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [grad_undefined(self, k, x, "no gradient through random sampling")
                for k, x in enumerate(inputs)]


def guess_n_streams(size: Any) -> int:
    """Theano's choice of stream count: a sixth of a known size (at least 1 element per
    stream, at most 15360 streams); 15360 when the size is symbolic."""
    if isinstance(size, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in size):
        n = int(np.prod(size, dtype=np.int64))
        return min(n // 6 if n > 6 else n, 60 * 256) or 1
    return 60 * 256


class MRG_RandomStreams:  # noqa: N801  (Theano's name)
    """Theano's ``MRG_RandomStreams(seed=12345)``.

    >>> srng = MRG_RandomStreams(seed=234)
    >>> mask = srng.binomial(size=(3,), p=0.8, dtype='float64')
    """

    def __init__(self, seed: Any = 12345):
        self.state_updates: list[tuple[SharedVariable, Variable, Any, Any]] = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def set_rstate(self, seed: Any) -> None:
        """Start from ``seed``: an int in ``[1, M2)`` (all six components), or six ints."""
        if isinstance(seed, (int, np.integer)):
            if seed == 0:
                raise ValueError("MRG_RandomStreams: seed should not be 0")
            if seed >= M2:
                raise ValueError(f"MRG_RandomStreams: seed should be less than {int(M2)}")
            self.rstate = np.full(6, seed, dtype=np.int32)
        elif len(seed) == 6:
            self.rstate = np.asarray(seed, dtype=np.int32)
        else:
            raise TypeError("MRG_RandomStreams: seed should be an int or 6 ints")

    def inc_rstate(self) -> None:
        """Jump to the next draw's start, 2**134 steps on."""
        self.rstate = ff_2p134(self.rstate)

    def get_substream_rstates(self, n_streams: int, dtype: str,
                              inc_rstate: bool = True) -> np.ndarray:
        """The states of a new draw's streams (then jump ahead for the next draw)."""
        if not 0 < n_streams < 2 ** 72:
            raise ValueError(f"MRG_RandomStreams: {n_streams} streams")
        rows = substream_states(self.rstate, n_streams)
        if inc_rstate:
            self.inc_rstate()
        return rows

    def n_streams(self, size: Any) -> int:
        return guess_n_streams(size)

    def seed(self, seed: Any = None) -> None:
        """Restart from ``seed``: every draw made so far gets its streams again, in order."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for state, new_state, size, nstreams in self.state_updates:
            count = self.n_streams(size) if nstreams is None else nstreams
            state.set_value(self.get_substream_rstates(count, new_state.type.dtype), borrow=True)

    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        return [(state, new_state) for state, new_state, _, _ in self.state_updates]

    # -- distributions ----------------------------------------------------------------------
    def _uniform01(self, size: Any, ndim: int | None, dtype: str, nstreams: int | None
                   ) -> TensorVariable:
        if isinstance(size, (tuple, list)) and any(
                isinstance(s, (int, np.integer)) and s <= 0 for s in size):
            raise ValueError(f"MRG_RandomStreams: size {size} has a dimension <= 0")
        count = self.n_streams(size) if nstreams is None else int(nstreams)
        state = SharedVariable(TensorType("int32", (False, False)),
                               self.get_substream_rstates(count, dtype), "mrg_rstate")
        new_state, sample = MRGUniform.new(state, ndim, dtype, size)
        if new_state.owner is not None:
            compute_test_values(new_state.owner)  # Theano's test values
        state.default_update = new_state
        state.tag.is_rng = True
        sample.rstate, sample.update = state, (state, new_state)  # type: ignore[attr-defined]
        self.state_updates.append((state, new_state, size, nstreams))
        return sample

    def uniform(self, size: Any, low: Any = 0.0, high: Any = 1.0, ndim: int | None = None,
                dtype: str | None = None, nstreams: int | None = None) -> TensorVariable:
        """Samples from U(low, high) of shape ``size``."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = dtype or upcast(config.floatX, low.dtype, high.dtype)
        u = self._uniform01(size, ndim, dtype, nstreams)
        if _is_const(low, 0) and _is_const(high, 1):
            return u
        return M.cast(u * (M.cast(high, dtype) - M.cast(low, dtype)) + M.cast(low, dtype), dtype)

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: str = "int64", nstreams: int | None = None) -> TensorVariable:
        """Bernoulli(``p``) samples: ``uniform < p`` (``p`` may be an array; without ``size``
        the sample takes its shape)."""
        if not (isinstance(n, (int, np.integer)) and n == 1):
            raise NotImplementedError("MRG_RandomStreams.binomial draws one trial (n=1)")
        p = as_tensor_variable(p)
        if size is None:
            # p's shape: as ints when known, which sets the stream count as uniform(shape)
            known = None not in p.type.shape
            size = tuple(int(d) for d in p.type.shape) if known else p.shape  # type: ignore
            ndim = p.ndim
        u = self._uniform01(size, ndim, config.floatX, nstreams)
        return M.cast(M.lt(u, p), dtype)

    def normal(self, size: Any, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None,
               dtype: str | None = None, nstreams: int | None = None,
               truncate: bool = False) -> TensorVariable:
        """Gaussian samples by Box-Muller over pairs of uniforms (``truncate``: resample
        outside two standard deviations, as Theano did)."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = dtype or upcast(config.floatX, avg.dtype, std.dtype)
        size_var, length = _size_vector(size)
        ndim = length if ndim is None else ndim
        n_odd = M.prod(size_var, dtype="int64")
        n_even = n_odd + n_odd % 2
        u = self._uniform01((n_even,), 1, dtype, nstreams)
        half = n_even // 2
        r = M.sqrt(-2.0 * M.log(u[:half]))
        theta = constant(2.0 * np.pi, dtype=dtype) * u[half:]
        cos_t, sin_t = M.cos(theta), M.sin(theta)
        z0, z1 = r * cos_t, r * sin_t
        if truncate:
            bad0, bad1 = (z0 < -2.0) | (z0 > 2.0), (z1 < -2.0) | (z1 > 2.0)
            fix0, fix1 = nonzero(bad0)[0], nonzero(bad1)[0]
            n_fix = fix0.shape[0] + fix1.shape[0]
            # r below 2 needs u above e**-2: the redraw cannot fall outside again
            u_fix = self.uniform((n_fix,), low=constant(np.exp(-2.0), dtype=dtype), high=1.0,
                                 ndim=1, dtype=dtype, nstreams=nstreams)
            r_fix = M.sqrt(-2.0 * M.log(u_fix))
            samples = join(0, z0[nonzero(~bad0)], r_fix[:fix0.shape[0]] * cos_t[fix0],
                           z1[nonzero(~bad1)], r_fix[fix0.shape[0]:] * sin_t[fix1])
        else:
            samples = join(0, z0, z1)
        samples = reshape(samples[:n_odd], size_var, ndim=ndim)
        return M.cast(samples * M.cast(std, dtype) + M.cast(avg, dtype), dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None,
                    ndim: int | None = None, dtype: str = "int64",
                    nstreams: int | None = None) -> TensorVariable:
        """One count vector of ``n`` draws per row of the probability matrix ``pvals``."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: pvals is required")
        if size is not None or ndim is not None:
            raise ValueError("MRG_RandomStreams.multinomial takes its shape from pvals; "
                             "size and ndim must be None")
        pvals = as_tensor_variable(pvals)
        if pvals.ndim != 2:
            raise TypeError(f"MRG_RandomStreams.multinomial: pvals must be a matrix (one "
                            f"distribution per row), got {pvals.type}")
        unis = self._uniform01((pvals.shape[0] * n,), 1, upcast(config.floatX, pvals.dtype),
                               nstreams)
        return MultinomialFromUniform(dtype)(pvals, unis, n)


    def choice(self, size: Any = 1, a: Any = None, replace: bool = True, p: Any = None,
               ndim: int | None = None, dtype: str = "int64",
               nstreams: int | None = None) -> TensorVariable:
        """``size`` distinct outcomes per row of the probability matrix ``p`` (Theano's MRG
        ``choice``: only without replacement, ``a`` implied by ``p``'s columns)."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice works only without "
                                      "replacement (replace=False), as in Theano")
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None (the outcomes are the "
                            "columns of p)")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice: p (one distribution per row) is "
                            "required")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice: ndim must be None")
        p = as_tensor_variable(p)
        if p.ndim != 2:
            raise TypeError(f"MRG_RandomStreams.choice: p must be a matrix, got {p.type}")
        unis = self._uniform01((p.shape[0] * size,), 1, config.floatX, nstreams)
        return ChoiceFromUniform(dtype)(p, unis, size)

    def multinomial_wo_replacement(self, size: Any = None, n: Any = 1, pvals: Any = None,
                                   ndim: int | None = None, dtype: str = "int64",
                                   nstreams: int | None = None) -> TensorVariable:
        """Theano's deprecated spelling of ``choice(size=n, replace=False, p=pvals)``."""
        return self.choice(size=n, replace=False, p=pvals, ndim=ndim, dtype=dtype,
                           nstreams=nstreams)


def _is_const(var: TensorVariable, value: float) -> bool:
    data = getattr(var, "data", None)
    return data is not None and np.ndim(data) == 0 and float(data) == value
