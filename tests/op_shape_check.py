"""``assert_infer_shape``: an op's ``infer_shape`` against the shapes its ``perform`` makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nbgraph as th
import nbgraph.tensor as T


def assert_infer_shape(out: Any, inputs: Sequence[Any], values: Sequence[Any]) -> None:
    """Compile the shapes ``out.owner.op.infer_shape`` gives (symbolic, from the input
    shapes) and compare them with the shapes of the computed outputs."""
    node = out.owner
    in_shapes = [tuple(T.shape_i(v, i) for i in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, in_shapes)
    flat = [T.as_tensor_variable(s) for shape in inferred for s in shape]
    f = th.function(list(inputs), [*node.outputs, *flat], on_unused_input="ignore")
    results = f(*values)
    outs, sizes = results[:len(node.outputs)], results[len(node.outputs):]
    got = []
    for shape in inferred:
        got.append(tuple(int(np.asarray(sizes.pop(0))) for _ in shape))
    assert got == [np.shape(o) for o in outs]
