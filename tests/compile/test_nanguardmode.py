"""NanGuardMode names the user-level op that made a nan (inside a fused Composite, or inside
the prologue a reduction's kernel absorbed) and reports inputs as they were before the node
ran (an in-place node overwrites them)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.nanguardmode import NanGuardError, NanGuardMode
from nbgraph.link.kernel_linker import fused_prologue


@pytest.mark.parametrize("linker", ["py", "c"])
def test_names_the_op_inside_a_fused_composite(linker):
    v = T.dvector("v")
    fn = function([v], T.exp(v) * 2 + T.log(v) * 3, mode=NanGuardMode(linker=linker))
    assert any("Composite" in str(n.op) for n in fn.maker.fgraph.apply_nodes)
    with pytest.raises(NanGuardError) as err:
        fn(np.array([-1.0, 2.0]))
    text = str(err.value)
    assert re.match(r"NanGuardMode: Elemwise\{log\} \(node \d+ before fusion", text), text
    assert "computing log(i0) from i0: shape (2,), range [-1.0, 2.0]" in text
    assert "fused into node" in text and "produced nan" in text
    np.testing.assert_allclose(fn(np.array([1.0])), [np.e * 2])


def test_names_the_op_in_a_prologue_folded_into_a_sum():
    m = T.dmatrix("m")
    fn = function([m], T.sum(T.sqrt(m) + 1, axis=1), mode=NanGuardMode())
    assert fused_prologue in fn.vm.thunks, "the C linker folds the prologue into the Sum"
    with pytest.raises(NanGuardError) as err:
        fn(np.array([[1.0, -4.0], [2.0, 3.0]]))
    text = str(err.value)
    assert text.startswith("NanGuardMode: Elemwise{sqrt}"), text
    assert "folded into the kernel of node" in text and "Sum{axis=[1]" in text
    assert "m: shape (2, 2), range [-4.0, 3.0]" in text


def test_the_nan_of_a_sum_itself_names_the_sum():
    v = T.dvector("v")
    fn = function([v], T.sum(v), mode=NanGuardMode(inf_is_error=False))
    with pytest.raises(NanGuardError, match=r"NanGuardMode: node \d+ \(Sum.*from the user's "
                                            r"graph\) produced nan"):
        fn(np.array([np.inf, -np.inf]))


@pytest.mark.parametrize("linker", ["py", "c"])
def test_reports_inputs_before_an_in_place_overwrite(linker):
    a, b = T.dmatrices("a", "b")
    fn = function([a, b], T.log(T.dot(a, b)), mode=NanGuardMode(linker=linker))
    log_node = next(n for n in fn.maker.fgraph.apply_nodes if "log" in str(n.op))
    assert log_node.op.destroy_map, "the test needs log to overwrite the dot's buffer"
    with pytest.raises(NanGuardError) as err:
        fn(np.array([[1.0, -3.0]]), np.array([[1.0], [1.0]]))
    assert "range [-2.0, -2.0]" in str(err.value)   # the dot's value, not the nan over it


def test_names_a_single_op_prologue_folded_into_a_max():
    m = T.dmatrix("m")
    fn = function([m], T.max(T.log(m), axis=0), mode=NanGuardMode())
    assert fused_prologue in fn.vm.thunks
    with pytest.raises(NanGuardError, match=r"NanGuardMode: node \d+ \(Elemwise\{log,no_inplace"
                                            r"\}, from the user's graph\), folded into the "
                                            r"kernel of node \d+ \(Max"):
        fn(np.array([[1.0, -4.0], [2.0, 3.0]]))
