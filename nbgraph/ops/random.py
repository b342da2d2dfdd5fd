"""Random streams: draws are graph nodes whose generator state is a shared uint64 tensor.

A draw node maps ``(state, size, *params) -> (new_state, sample)``; the state variable's
``default_update`` is the node's ``new_state``, so each call of a compiled function advances it
(Theano's semantics). The state is a NumPy ``RandomState`` (MT19937), as in Theano, packed into
627 uint64 words, so it is an ordinary tensor to every other layer (storage, rewrites,
printing, pickling, ``scan``); ``rv.rng.get_value()`` hands out the ``RandomState`` itself.
Streams are seeded as Theano seeded them, so a seeded ``RandomStreams`` draws Theano's numbers,
except ``binomial`` with ``n=1``, which is ``uniform < p`` over one bulk draw of doubles (NumPy's
``binomial`` sets up its sampler again for every element of an array ``p``: 30x slower).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..config import config
from ..core.gradient import grad_undefined
from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.shared import SharedVariable
from ..core.test_values import compute_test_values
from ..core.types import TensorType, is_int, upcast
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from .math import cast
from .shape import MakeVector, make_vector

__all__ = ["RandomSample", "RandomStateSharedVariable", "RandomStreams", "RandomVariable",
           "pack_random_state", "seed_state", "unpack_random_state"]

_KEY_WORDS = 624  # MT19937's key; then pos, has_gauss and the cached gaussian's bits
# samplers that read or leave RandomState's cached gaussian (has_gauss, gauss): they load and
# save the whole state; the others only MT19937's key and position
_GAUSSIAN = frozenset({"normal", "truncated_normal"})


def seed_state(seed: int | None) -> np.ndarray:
    """The packed state of ``numpy.random.RandomState(seed)``."""
    return pack_random_state(np.random.RandomState(seed))


def pack_random_state(rs: np.random.RandomState) -> np.ndarray:
    """A ``RandomState``'s full state (key, position, cached gaussian) as uint64 words."""
    _, key, pos, has_gauss, gauss = rs.get_state(legacy=True)  # type: ignore[misc]
    words = np.empty(_KEY_WORDS + 3, dtype="uint64")
    words[:_KEY_WORDS] = key
    words[_KEY_WORDS:] = (pos, has_gauss, np.float64(gauss).view(np.uint64))
    return words


def unpack_random_state(words: np.ndarray, into: np.random.RandomState | None = None
                        ) -> np.random.RandomState:
    """The ``RandomState`` packed in ``words`` (set into ``into`` when given: no allocation)."""
    rs = np.random.RandomState() if into is None else into
    gauss = words[_KEY_WORDS + 2:].view(np.float64)[0]
    rs.set_state(("MT19937", words[:_KEY_WORDS].astype(np.uint32), int(words[_KEY_WORDS]),
                  int(words[_KEY_WORDS + 1]), float(gauss)))
    return rs


def _state_view() -> tuple[np.random.RandomState, np.ndarray | None]:
    """A ``RandomState`` and a uint32 view of its MT19937 state in memory (the C struct's
    624-word key, then its position), or None where the view does not read back what
    ``set_state`` wrote (then states go through ``set_state``/``get_state``)."""
    bits = np.random.MT19937()
    rs = np.random.RandomState(bits)
    try:
        raw = (ctypes.c_uint32 * (_KEY_WORDS + 1)).from_address(bits.ctypes.state_address)
    except (AttributeError, TypeError, ValueError):
        return rs, None
    view = np.ctypeslib.as_array(raw)
    probe = np.random.RandomState(12345)
    probe.random_sample(7)  # a position inside the key
    rs.set_state(probe.get_state())
    _, key, pos, _, _ = probe.get_state(legacy=True)  # type: ignore[misc]
    if not (np.array_equal(view[:_KEY_WORDS], key) and int(view[_KEY_WORDS]) == pos):
        return rs, None
    view.flags.writeable = True
    return rs, view


class RandomStateSharedVariable(SharedVariable):
    """A stream's state: stored as uint64 words (a plain tensor to the compiler), shown to
    user code as a ``numpy.random.RandomState``, as in Theano
    (``return_internal_type=True`` gives the words).

    >>> rng = rv_u.rng.get_value(borrow=True)
    >>> rng.seed(89234)
    >>> rv_u.rng.set_value(rng, borrow=True)
    """

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        words = super().get_value(borrow=borrow)
        return words if return_internal_type else unpack_random_state(words)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        if isinstance(value, np.random.RandomState):
            value = pack_random_state(value)
        super().set_value(value, borrow=borrow)


# -- samplers: (RandomState, size or None, *params) -> ndarray, as Theano's raw_random drew -----
def _permutation(rs: np.random.RandomState, size: tuple | None, n: Any) -> np.ndarray:
    # Theano's permutation_helper: one permutation per entry of size, in C order
    n = int(n)
    out = np.empty((*(size or ()), n), dtype="int64")
    for index in np.ndindex(*(size or ())):
        out[index] = rs.permutation(n)
    return out


def _choice(rs: np.random.RandomState, size: tuple | None, a: Any, p: Any = None,
            replace: bool = True) -> np.ndarray:
    a = a.item() if np.ndim(a) == 0 else a
    return rs.choice(a, size=size, replace=replace, p=p)


def _multinomial(rs: np.random.RandomState, size: tuple | None, n: Any,
                 pvals: Any) -> np.ndarray:
    # Theano's multinomial_helper: one draw per entry of size (or per row of pvals), in order
    pvals = np.asarray(pvals, dtype="float64")
    shape = size if size is not None else np.broadcast_shapes(np.shape(n), pvals.shape[:-1])
    n = np.broadcast_to(n, shape)
    rows = np.broadcast_to(pvals, (*shape, pvals.shape[-1]))
    out = np.empty((*shape, pvals.shape[-1]), dtype="int64")
    for index in np.ndindex(*shape):
        out[index] = rs.multinomial(int(n[index]), rows[index])
    return out


def _binomial(rs: np.random.RandomState, size: tuple | None, n: Any, p: Any) -> np.ndarray:
    # n == 1 (the common case: masks, RBM units): uniform < p, exact at p = 0 and p = 1 since
    # the doubles lie in [0, 1); larger n keeps NumPy's exact sampler (fast for a scalar p,
    # and a sum of n uniforms would cost n draws per element)
    if not (n == 1 if np.ndim(n) == 0 else np.all(np.equal(n, 1))):
        return rs.binomial(n, p, size)
    shape: tuple | None = size  # the common case, p of the sample's shape, needs no broadcast
    if size is None or np.ndim(n) or np.shape(p) != size:
        try:
            shape = np.broadcast_shapes(np.shape(n), np.shape(p), *([size] if size else []))
        except ValueError:
            shape = None
    if shape is None or (size is not None and shape != tuple(size)):
        raise ValueError(f"binomial: n of shape {np.shape(n)} and p of shape {np.shape(p)} "
                         f"do not broadcast to {'one shape' if size is None else size}")
    if np.size(p) and not (np.min(p) >= 0 and np.max(p) <= 1):  # NaN fails both
        raise ValueError("binomial: p < 0, p > 1 or p is NaN (as NumPy's binomial)")
    return np.less(rs.random_sample(shape), p)


def _truncated_normal(rs: np.random.RandomState, size: tuple | None, avg: Any,
                      std: Any) -> np.ndarray:
    # resample whatever falls outside two standard deviations (MRG's truncate=True)
    z = rs.standard_normal(size)
    bad = np.abs(z) > 2
    while np.any(bad):
        z[bad] = rs.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return avg + std * z


SAMPLERS: dict[str, Callable[..., Any]] = {
    "uniform": lambda rs, size, low, high: rs.uniform(low, high, size),
    "normal": lambda rs, size, avg, std: rs.normal(avg, std, size),
    "truncated_normal": _truncated_normal,
    "binomial": _binomial,
    # Theano's random_integers(low, high) is randint(low, high + 1): the same draws
    "random_integers": lambda rs, size, low, high: rs.randint(low, np.add(high, 1), size),
    "choice": _choice,
    "permutation": _permutation,
    "multinomial": _multinomial,
}


class RandomSample(TensorVariable):
    """A draw's sample. ``RandomStreams`` sets ``rng`` (the state shared variable) and
    ``update`` (the ``(state, new_state)`` pair) on it, as Theano's streams did."""

    rng: RandomStateSharedVariable
    update: tuple[RandomStateSharedVariable, Variable]


class RandomVariable(Op):
    """One draw: ``(state, size, *params) -> (new_state, sample)``; the sample is the default
    output. ``has_size=False`` means the sample takes the parameters' broadcast shape."""

    __props__ = ("dist", "dtype", "ndim", "has_size", "replace")
    default_output = 1

    def __init__(self, dist: str, dtype: str, ndim: int, has_size: bool = True,
                 replace: bool = True):
        if dist not in SAMPLERS:
            raise ValueError(f"RandomVariable: unknown distribution {dist!r}")
        self.dist = dist
        self.dtype = str(np.dtype(dtype))
        self.ndim = int(ndim)
        self.has_size = has_size
        self.replace = replace
        # one RandomState per op, loaded with the state of each call (never built per call),
        # and a view of its MT19937 key and position (None: load through set_state)
        self._rs: np.random.RandomState | None = None
        self._key: np.ndarray | None = None

    def __str__(self) -> str:
        return f"RandomVariable{{{self.dist}, {self.dtype}}}"

    def __getstate__(self) -> dict:
        return {k: v for k, v in vars(self).items() if k not in ("_rs", "_key")}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, _rs=None, _key=None)

    def make_node(self, state: Any, size: Any, *params: Any) -> Apply:
        state = as_tensor_variable(state)
        if state.dtype != "uint64" or state.ndim != 1:
            raise TypeError(f"{self}: the state must be a uint64 vector, got {state.type}")
        size = as_tensor_variable(size)
        if size.ndim != 1 or not is_int(size.dtype):
            raise TypeError(f"{self}: size must be an integer vector, got {size.type}")
        tensors = [as_tensor_variable(p) for p in params]
        sample = RandomSample(TensorType(self.dtype, shape=self._static_shape(size)))
        return Apply(self, [state, size, *tensors], [state.type(), sample])

    def _static_shape(self, size: TensorVariable) -> tuple[int | None, ...]:
        if not self.has_size:
            return (None,) * self.ndim
        length = size.type.shape[0]
        shape: list[int | None] | None = None if length is None else [None] * length
        if isinstance(size, TensorConstant):
            shape = [int(s) for s in size.data]
        elif size.owner is not None and isinstance(size.owner.op, MakeVector):
            shape = [int(v.data) if isinstance(v, TensorConstant) else None
                     for v in size.owner.inputs]
        extra = self.ndim - len(shape) if shape is not None else 0
        if shape is None or extra not in (0, 1):
            return (None,) * self.ndim
        return (*shape, *[None] * extra)

    def _load(self, state: np.ndarray) -> np.random.RandomState:
        """This op's ``RandomState`` set to ``state``: by copying MT19937's key and position
        into its memory (``set_state`` and ``get_state`` take 30 us each, most of a small
        draw) unless the sampler uses the cached gaussian, which only ``set_state`` reaches."""
        if self._rs is None:
            self._rs, self._key = _state_view()
        if self._key is None or self.dist in _GAUSSIAN:
            return unpack_random_state(state, self._rs)
        self._key[:] = state[:_KEY_WORDS + 1]
        return self._rs

    def _save(self, rs: np.random.RandomState, state: np.ndarray) -> np.ndarray:
        """The packed state of ``rs`` after a draw (the cached gaussian's words carried over
        from ``state`` when the sampler never touches them)."""
        if self._key is None or self.dist in _GAUSSIAN:
            return pack_random_state(rs)
        words = state.copy()
        words[:_KEY_WORDS + 1] = self._key
        return words

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        state, size, *params = inputs
        rs = self._load(state)
        shape = tuple(int(s) for s in size) if self.has_size else None
        kwargs = {"replace": self.replace} if self.dist == "choice" else {}
        sample = SAMPLERS[self.dist](rs, shape, *params, **kwargs)
        sample = np.asarray(sample, dtype=self.dtype)
        if sample.ndim != self.ndim:
            raise ValueError(f"{self} (node {node.uid}): drew a {sample.ndim}-d sample of shape "
                             f"{sample.shape}, but the graph expects {self.ndim} dimensions")
        output_storage[0][0] = self._save(rs, state)
        output_storage[1][0] = sample

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None, None] + [grad_undefined(self, k + 2, p, f"{self} is not differentiable "
                                              f"in its parameters")
                               for k, p in enumerate(inputs[2:])]


def _size_vector(size: Any) -> tuple[Variable, int | None]:
    """``size`` (tuple of ints/scalars, or an int vector such as ``x.shape``) as an int64
    vector, with its length when known."""
    if isinstance(size, Variable):
        size = as_tensor_variable(size)
        if size.ndim == 0:
            size = [size]
        else:
            if size.ndim != 1 or not is_int(size.dtype):
                raise TypeError(f"random size must be an integer vector, got {size.type}")
            return size, size.type.shape[0]
    if isinstance(size, (int, np.integer)):
        size = (size,)
    size = list(size)
    if any(isinstance(s, Variable) for s in size):
        return make_vector(size), len(size)
    return constant(np.asarray(size, dtype="int64").reshape(len(size))), len(size)


def _given(size: Any) -> Any:
    """Theano's rule: an empty ``size`` (``None``, ``()``, ``[]``) is not given, and the draw
    takes the shape its parameters broadcast to (``binomial(p=matrix)`` is a matrix)."""
    if isinstance(size, (tuple, list)) and len(size) == 0:
        return None
    return size


class RandomStreams:
    """Theano's ``RandomStreams``: a source of symbolic random draws.

    >>> srng = RandomStreams(seed=234)
    >>> rv_u = srng.uniform((2, 2))
    >>> f = function([], rv_u)
    >>> f().shape            # a new 2x2 sample on every call
    (2, 2)

    Each draw owns a state shared variable seeded from this object's seed, updated by
    ``default_update``; ``seed(n)`` reseeds all of them reproducibly.
    """

    def __init__(self, seed: int | None = None):
        self.default_instance_seed = seed
        # Theano's seeding: the k-th draw's RandomState is seeded with the k-th
        # randint(2**30) of RandomState(seed)
        self.gen_seedgen = np.random.RandomState(seed)
        self.state_updates: list[tuple[SharedVariable, Variable]] = []

    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        return list(self.state_updates)

    def seed(self, seed: int | None = None) -> None:
        """Reseed every state made so far (in creation order) from ``seed``; draws made
        afterwards keep following the constructor's seed, as in Theano."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for state, _ in self.state_updates:
            state.set_value(seed_state(int(seedgen.randint(2 ** 30))), borrow=True)

    def __getitem__(self, item: SharedVariable) -> Any:
        """Theano's ``srng[rv.rng]``: the ``RandomState`` behind a state variable."""
        return item.get_value(borrow=True)

    def __setitem__(self, item: SharedVariable, value: Any) -> None:
        item.set_value(value, borrow=True)

    def gen(self, op: RandomVariable, size: Any, *params: Any) -> RandomSample:
        """Apply ``op`` to a fresh state and register the state's update."""
        value = seed_state(int(self.gen_seedgen.randint(2 ** 30)))
        state = RandomStateSharedVariable(TensorType("uint64", (False,)), value, "rng_state")
        size_var = _size_vector(() if size is None else size)[0]
        node = op.make_node(state, size_var, *params)
        compute_test_values(node)  # Theano's test values (a draw from the state's copy)
        new_state, sample = node.outputs
        assert isinstance(sample, RandomSample)  # RandomVariable.make_node made it
        state.default_update = new_state
        sample.rng = state
        sample.update = (state, new_state)
        self.state_updates.append((state, new_state))
        return sample

    # -- distributions ----------------------------------------------------------------------
    def _draw(self, dist: str, size: Any, params: Sequence[Any], dtype: str,
              ndim: int | None, extra_axis: bool = False, replace: bool = True
              ) -> RandomSample:
        if dist not in ("choice", "permutation"):
            size = _given(size)
        tensors = [as_tensor_variable(p) for p in params]
        if size is None:
            out_ndim = max([t.ndim for t in tensors] + [0])
            if ndim is not None and ndim != out_ndim:
                raise ValueError(f"{dist}: ndim={ndim} but the parameters give {out_ndim}")
            op = RandomVariable(dist, dtype, out_ndim, has_size=False, replace=replace)
            return self.gen(op, None, *tensors)
        size_var, length = _size_vector(size)
        if length is None:
            length = ndim
        if length is None:
            raise ValueError(f"{dist}: the length of size {size_var} is unknown; pass ndim=")
        if ndim is not None and ndim != length:
            raise ValueError(f"{dist}: ndim={ndim} does not match size of length {length}")
        op = RandomVariable(dist, dtype, length + int(extra_axis), replace=replace)
        return self.gen(op, size_var, *tensors)

    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0, ndim: int | None = None,
                dtype: str | None = None, nstreams: Any = None) -> RandomSample:
        """Samples from U[low, high) of shape ``size`` (dtype ``floatX`` by default)."""
        return self._draw("uniform", size, [low, high], dtype or config.floatX, ndim)

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None,
               dtype: str | None = None, nstreams: Any = None, truncate: bool = False
               ) -> RandomSample:
        """Gaussian samples with mean ``avg`` and standard deviation ``std``."""
        dist = "truncated_normal" if truncate else "normal"
        return self._draw(dist, size, [avg, std], dtype or config.floatX, ndim)

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: str = "int64", prob: Any = None) -> RandomSample:
        """Number of successes in ``n`` trials of probability ``p`` (an array ``p`` broadcasts
        against ``size``). ``n == 1``: ``uniform < p`` over one bulk draw of doubles, so
        ``p = 0`` and ``p = 1`` are exact; larger ``n``: NumPy's ``binomial`` (Theano's
        numbers; a sum of ``n`` uniform draws would cost ``n`` draws per element)."""
        return self._draw("binomial", size, [n, p if prob is None else prob], dtype, ndim)

    def random_integers(self, size: Any = None, low: Any = 0, high: Any = 1,
                        ndim: int | None = None, dtype: str = "int64") -> RandomSample:
        """Integers uniform in ``[low, high]`` (both ends included)."""
        return self._draw("random_integers", size, [low, high], dtype, ndim)

    def choice(self, size: Any = (), a: Any = 2, replace: bool = True, p: Any = None,
               ndim: int | None = None, dtype: str = "int64") -> RandomSample:
        """Samples from ``a`` (a vector, or ``arange(a)`` for an int) with probabilities ``p``."""
        params = [a] if p is None else [a, p]
        return self._draw("choice", size, params, dtype, ndim, replace=replace)

    def permutation(self, size: Any = (), n: Any = 1, ndim: int | None = None,
                    dtype: str = "int64") -> RandomSample:
        """Permutations of ``range(n)``, one per entry of ``size`` (shape ``size + (n,)``)."""
        return self._draw("permutation", () if size is None else size, [n], dtype, ndim,
                          extra_axis=True)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = (0.5, 0.5),
                    ndim: int | None = None, dtype: str = "int64") -> RandomSample:
        """Counts of ``n`` draws over ``len(pvals)`` outcomes (shape ``size + (k,)``; without
        ``size``, one draw per row of ``pvals``)."""
        size = _given(size)
        if size is None:
            pvals = as_tensor_variable(pvals)
            op = RandomVariable("multinomial", dtype, pvals.ndim, has_size=False)
            return self.gen(op, None, n, upcast_params(pvals))
        return self._draw("multinomial", size, [n, pvals], dtype, ndim, extra_axis=True)


def upcast_params(pvals: TensorVariable) -> TensorVariable:
    """Probabilities as float64 (NumPy's multinomial checks their sum in float64)."""
    if pvals.dtype == upcast(pvals.dtype, "float64"):
        return pvals
    return cast(pvals, "float64")
