"""The JAX translation of a graph: one translation per op class (TRANSLATIONS), and
``evaluate``, which walks a graph calling them while ``jax.jit`` traces it.

Imported only when the JAX linker is used (jax_linker.py loads it), so ``import nbgraph``
never imports JAX. A node whose inputs are all known while tracing (constants, shapes of
arrays) runs its NumPy ``perform`` instead: shapes stay static, as XLA needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.gradient import IdentityForward
from ..core.graph import Apply, Constant, Variable, toposort
from ..ops.print_op import Print
from .jax_control import control_translations
from .jax_conv import CONV_TRANSLATIONS
from .jax_extra import EXTRA_TRANSLATIONS
from .jax_math import MATH_TRANSLATIONS, StaticValueError, Translation, is_concrete
from .jax_random import RANDOM_TRANSLATIONS
from .jax_scalars import CHECK_KINDS, VALUE_CHECKS, NeedsValueChecks, UntranslatedOpError

__all__ = ["CHECK_KINDS", "NOT_TRANSLATED", "TRANSLATIONS", "VALUE_CHECKS", "NeedsValueChecks",
           "UntranslatedOpError", "evaluate", "run_node"]

# the op classes of nbgraph/ops/sparse (they take or give scipy.sparse matrices)
SPARSE_OPS = (
    "CSM", "CSMProperties", "DenseFromSparse", "SparseFromDense", "Transpose", "ValuesAt",
    "SparseComparison", "SparseStack", "StackGradPiece", "GatherRowsAdjoint", "GetItem2d",
    "GetItemList", "GetItemScalar", "PlaceBlock", "SpSum", "StructuredDot",
    "StructuredDotGradValues", "StructuredUnary", "TrueDot", "AddSS", "MulSS", "Diag",
    "EnsureSortedIndices", "Remove0", "SquareDiagonal")

# Op classes without a translation, with the reason (the op-inventory test reads this;
# translation() puts the reason in its UntranslatedOpError)
NOT_TRANSLATED: dict[str, str] = {
    "GpuFromHost": "nbgraph.gpu's transfer op: only the GPU mode's transfer pass inserts it, "
                   "and a JAX function places its arrays with JAX itself",
    "HostFromGpu": "nbgraph.gpu's transfer op (as GpuFromHost)",
    # output shapes that depend on the values: XLA compiles static shapes only
    "Unique": "numpy.unique's length is the number of distinct values (known at run time)",
    "Lstsq": "numpy.linalg.lstsq's residuals are empty or not depending on the rank found "
             "at run time",
    # eigen/singular vectors are defined up to sign (phase): XLA's solvers need not pick
    # LAPACK's (NumPy's), so the numbers would differ silently
    "Eig": "eigenvectors' phase (and the eigenvalues' order) are the solver's choice",
    "Eigh": "eigenvectors' signs are the solver's choice",
    "QRFull": "Q's and R's signs per column are the solver's choice",
    "EighGrad": "not translated yet (Eigh itself is not)",
    **{name: "a scipy.sparse matrix is a Python object, not an array XLA can hold"
       for name in SPARSE_OPS},
}


def translation(node: Apply) -> Translation:
    """The translation for ``node``'s op class (the first one found along its bases)."""
    for cls in type(node.op).__mro__:
        found = TRANSLATIONS.get(cls)
        if found is not None:
            return found
    name = type(node.op).__name__
    why = NOT_TRANSLATED.get(name, "add one to nbgraph/link/jax_math.py or jax_extra.py")
    raise UntranslatedOpError(
        f"JAX linker: no JAX translation for {name} (node {node.uid}: {node.op}): {why}; "
        f"compile this function with another linker")


def run_node(node: Apply, args: list[Any]) -> list[Any]:
    """``node``'s output values: its NumPy reference when every input is known while
    tracing (a Print still prints at run time), else its JAX translation."""
    if all(is_concrete(a) for a in args) and not isinstance(node.op, Print):
        cells: list[list[Any]] = [[None] for _ in node.outputs]
        copies = [np.array(a, copy=True) for a in args]  # perform may write in place
        node.op.perform(node, copies, cells)
        results = [cell[0] for cell in cells]
    else:
        translate = translation(node)
        try:
            result = translate(node, *args)
        except (StaticValueError, UntranslatedOpError):
            raise
        except Exception as err:
            raise type(err)(f"{err}\n  while translating node {node.uid} ({node.op}) "
                            f"to JAX") from err
        results = list(result) if isinstance(result, (tuple, list)) else [result]
    return [_as_type(value, out.dtype) for value, out in zip(results, node.outputs, strict=True)]


def _as_type(value: Any, dtype: str) -> Any:
    if is_concrete(value):
        return np.asarray(value, dtype=dtype)
    return value if value.dtype == dtype else value.astype(dtype)


def _at_node(node: Apply, args: Sequence[Any], err: Exception) -> Exception:
    """``err`` (raised while tracing ``node``) naming the node and its operands' shapes, as
    the other linkers do (the VM can only name the jitted program's last node); JAX's
    TypeError for shapes that do not fit is a ValueError there."""
    if getattr(err, "node", None) is not None or f"at node {node.uid}" in str(err):
        return err
    shapes = ", ".join(str(np.shape(a)) for a in args)
    kind = ValueError if isinstance(err, TypeError) and "shape" in str(err) else type(err)
    try:
        new = kind(f"{node.op} at node {node.uid}: {err} (operand shapes {shapes})")
    except Exception:
        return err
    new.node = node  # type: ignore[attr-defined]
    return new


def evaluate(inputs: Sequence[Variable], outputs: Sequence[Variable], values: Sequence[Any],
             nodes: Sequence[Apply] | None = None) -> list[Any]:
    """The values of ``outputs`` given ``values`` for ``inputs``, node by node (``nodes``:
    the order to run them in, by default a toposort of the graph between them)."""
    env: dict[int, Any] = {id(v): x for v, x in zip(inputs, values, strict=True)}
    order = toposort(outputs) if nodes is None else nodes
    for node in order:
        if all(id(o) in env for o in node.outputs):
            continue  # an inner input that is also a computed variable outside
        args = [v.data if isinstance(v, Constant) else env[id(v)] for v in node.inputs]
        try:
            results = run_node(node, args)
        except (TypeError, ValueError, IndexError) as err:
            raise _at_node(node, args, err) from err
        env.update(zip(map(id, node.outputs), results, strict=True))
    return [v.data if isinstance(v, Constant) else env[id(v)] for v in outputs]


TRANSLATIONS: dict[type, Translation] = {
    **MATH_TRANSLATIONS,
    **CONV_TRANSLATIONS,
    **EXTRA_TRANSLATIONS,
    **control_translations(evaluate),
    **RANDOM_TRANSLATIONS,
    # zero_grad, disconnected_grad and the other gradient-shaping identities
    IdentityForward: lambda node, x: x,
}
