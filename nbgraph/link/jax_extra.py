"""JAX translations of the ops added after the linker was written (issues 12, 14, 15):
Gemv, SpecifyShape, top-k and take/put along an axis, choose, bartlett, the SciPy linear
algebra (Cholesky, Solve, Eigvalsh, Expm), tensorinv/tensorsolve, the softmax-with-bias
crossentropy with argmax, and pooling with symbolic parameters. One function per op class.

Imported only by the JAX linker. A compiled XLA program cannot raise on bad values: where
the NumPy reference raises (a matrix that is not positive definite, an index out of range),
the translation says what it gives instead.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..core.graph import Apply
from ..ops import (
    blas,
    choose,
    extra_ops_more,
    neighbours,
    nlinalg,
    nnet_bias,
    pool_symbolic,
    slinalg,
    specify_shape,
    topk,
)
from .jax_conv import CONV_TRANSLATIONS
from .jax_math import Translation, static_ints
from .jax_scalars import UntranslatedOpError


def _gemv(node: Apply, y: Any, alpha: Any, a: Any, x: Any, beta: Any) -> Any:
    product = alpha * jnp.dot(a, x)
    # beta == 0 never reads y (BLAS's convention, as perform): a NaN there does not leak
    return jnp.where(beta == 0, product, beta * y + product)


def _specify_shape(node: Apply, x: Any, *sizes: Any) -> Any:
    # shapes are static under XLA: the check happens once, while tracing
    wanted = tuple(static_ints(node, s, "a specified size")[0] for s in sizes)
    if tuple(x.shape) != wanted:
        raise AssertionError(f"{node.op} at node {node.uid}: the input has shape "
                             f"{tuple(x.shape)} but the shape specified is {wanted}")
    return x


def _top_k(node: Apply, x: Any, kth: Any) -> Any:
    op = node.op
    k = static_ints(node, kth, "kth")[0]
    n = x.shape[op.axis]
    if k == 0 or abs(k) > n:
        raise ValueError(f"{op} at node {node.uid}: kth={k} for an axis of length {n}")
    if not op.sorted:  # argpartition's order of the k found is NumPy's own, not reproducible
        raise UntranslatedOpError(f"JAX linker: {op} (node {node.uid}) with sorted=False "
                                  f"returns indices in numpy.argpartition's order, which XLA "
                                  f"cannot reproduce; use sorted=True or another linker")
    keyed = jnp.moveaxis(-x if k > 0 else x, op.axis, -1)
    # the |k| smallest of the key, ties in index order: perform's stable argsort of them
    idx = jnp.argsort(keyed, axis=-1, stable=True)[..., :abs(k)]
    return jnp.moveaxis(idx, -1, op.axis).astype(op.idx_dtype)


def _put_along_axis(node: Apply, base: Any, values: Any, idx: Any) -> Any:
    axis = node.op.axis % base.ndim
    grids = list(jnp.indices(idx.shape, sparse=True))
    grids[axis] = idx
    # repeated indices accumulate, as np.add.at; base may be NumPy's (known while tracing)
    return jnp.asarray(base).at[tuple(grids)].add(values)


def _choose(node: Apply, a: Any, choices: Any) -> Any:
    # a compiled program cannot raise on an out-of-range index: 'raise' clips
    mode = "clip" if node.op.mode == "raise" else node.op.mode
    return jnp.choose(a, choices, mode=mode)


def _bartlett(node: Apply, m: Any) -> Any:
    return jnp.bartlett(static_ints(node, m, "the window length")[0])


def _cholesky(node: Apply, x: Any) -> Any:
    # XLA gives NaNs for a matrix that is not positive definite (on_error='nan'); with
    # on_error='raise' the reference raises, which a compiled program cannot
    lower = jnp.linalg.cholesky(x)
    return lower if node.op.lower else jnp.swapaxes(lower, -1, -2).conj()


def _solve(node: Apply, a: Any, b: Any) -> Any:
    structure = node.op.A_structure
    if structure in ("lower_triangular", "upper_triangular"):
        return jax.scipy.linalg.solve_triangular(a, b, lower=structure == "lower_triangular")
    return jnp.linalg.solve(a, b)  # perform's general solve for every other structure


def _eigvalsh(node: Apply, a: Any, *b: Any) -> Any:
    if b:
        raise UntranslatedOpError(f"JAX linker: {node.op} (node {node.uid}): JAX has no "
                                  f"generalized symmetric eigenproblem (eigvalsh(a, b))")
    return jnp.linalg.eigvalsh(a, UPLO="L" if node.op.lower else "U")


def _eigvalsh_grad(node: Apply, a: Any, *rest: Any) -> Any:
    """``V diag(gw) V^T`` folded onto the triangle read: eigenvectors' signs cancel in it."""
    *b, gw = rest
    if b:
        raise UntranslatedOpError(f"JAX linker: {node.op} (node {node.uid}): JAX has no "
                                  f"generalized symmetric eigenproblem (eigvalsh(a, b))")
    lower = node.op.lower
    _, v = jnp.linalg.eigh(a, UPLO="L" if lower else "U")
    g = (v * gw[None, :]) @ v.T
    return jnp.tril(g) + jnp.triu(g, 1).T if lower else jnp.triu(g) + jnp.tril(g, -1).T


def _expm_grad(node: Apply, a: Any, g: Any) -> Any:
    # the adjoint Frechet derivative (perform's expm_frechet at A^T) is expm's VJP
    _, pullback = jax.vjp(jax.scipy.linalg.expm, a)
    return pullback(g.astype(a.dtype))[0]


def _svd(node: Apply, x: Any) -> Any:
    if node.op.compute_uv:  # singular vectors are defined up to sign: XLA need not pick LAPACK's
        raise UntranslatedOpError(f"JAX linker: no JAX translation for SVD with compute_uv=True "
                                  f"(node {node.uid}): singular vectors' signs are the "
                                  f"solver's choice; compile this function with another linker")
    return jnp.linalg.svd(x, compute_uv=False)


def _crossentropy_softmax_argmax_with_bias(node: Apply, x: Any, b: Any, y: Any) -> tuple:
    log_sm = jax.nn.log_softmax((x + b).astype(node.outputs[1].dtype), axis=-1)
    nll = -jnp.take_along_axis(log_sm, y[:, None], axis=1)[:, 0]
    if x.shape[1] == 0:
        return nll, jnp.exp(log_sm), jnp.zeros(x.shape[0], "int64")
    return nll, jnp.exp(log_sm), jnp.argmax(log_sm, axis=-1)


# -- neighbours: the op's own index tables (NumPy, from static shapes) gather and scatter --
def _images2neibs(node: Apply, x: Any) -> Any:
    op = node.op
    rows, cols = op.tables(x.shape[2], x.shape[3], f"node {node.uid}")
    ph, pw = op.pad(0), op.pad(1)
    if ph or pw:
        x = jnp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return x[:, :, rows, cols].reshape(-1, rows.shape[2] * cols.shape[3])


def _neibs2images(node: Apply, neibs: Any, original_shape: Any) -> Any:
    op = node.op
    n, c, h, w = static_ints(node, original_shape, "the image shape")
    rows, cols = op.tables(h, w, f"node {node.uid}")
    ph, pw = op.pad(0), op.pad(1)
    grid = (n, c, rows.shape[0], cols.shape[1], rows.shape[2], cols.shape[3])
    if neibs.size != np.prod(grid):
        raise ValueError(f"{op} at node {node.uid}: {neibs.shape} does not make the patches "
                         f"of an image of shape {(n, c, h, w)} (need {grid})")
    out = jnp.zeros((n, c, h + 2 * ph, w + 2 * pw), neibs.dtype)
    out = out.at[:, :, rows, cols].add(neibs.reshape(grid))  # overlaps add, as np.add.at
    return out[:, :, ph:ph + h, pw:pw + w]


def _symbolic_pool(node: Apply, x: Any, ws: Any, stride: Any, pad: Any, *rest: Any) -> Any:
    """The concrete pool op of the static window, stride and padding, translated as such."""
    op = node.op
    params = (static_ints(node, v, f"the pool's {what}") for v, what in
              ((ws, "window"), (stride, "stride"), (pad, "padding")))
    window, steps, padding = params
    concrete = pool_symbolic.KINDS[op.kind](window, op.ignore_border, steps, padding, op.mode)
    as_node = SimpleNamespace(op=concrete, outputs=node.outputs, uid=node.uid)
    return CONV_TRANSLATIONS[type(concrete)](as_node, x, *rest)


EXTRA_TRANSLATIONS: dict[type, Translation] = {
    blas.Gemv: _gemv,
    specify_shape.SpecifyShape: _specify_shape,
    topk.TopKOp: _top_k,
    topk.TakeAlongAxis: lambda node, x, idx: jnp.take_along_axis(x, idx, node.op.axis),
    topk.PutAlongAxis: _put_along_axis,
    choose.Choose: _choose,
    extra_ops_more.Bartlett: _bartlett,
    extra_ops_more.CpuContiguous: lambda node, x: x,  # XLA's arrays are contiguous
    slinalg.Cholesky: _cholesky,
    slinalg.Solve: _solve,
    slinalg.Eigvalsh: _eigvalsh,
    slinalg.EigvalshGrad: _eigvalsh_grad,
    slinalg.Expm: lambda node, a: jax.scipy.linalg.expm(a),
    slinalg.ExpmGrad: _expm_grad,
    nlinalg.SVD: _svd,
    nlinalg.TensorInv: lambda node, a: jnp.linalg.tensorinv(a, node.op.ind),
    nlinalg.TensorSolve: lambda node, a, b: jnp.linalg.tensorsolve(a, b, node.op.axes),
    nnet_bias.CrossentropySoftmaxArgmax1HotWithBias: _crossentropy_softmax_argmax_with_bias,
    pool_symbolic.SymbolicPool: _symbolic_pool,
    neighbours.Images2Neibs: _images2neibs,
    neighbours.Neibs2Images: _neibs2images,
}

