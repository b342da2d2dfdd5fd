"""name_scope tags the nodes built inside it; debugprint shows the scope."""

from __future__ import annotations

import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.printing import debugprint
from nbgraph.core.scope import current_scope


def test_nodes_built_inside_carry_the_nested_scope():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    with nbgraph.name_scope("layer1") as path:
        h = T.tanh(T.dot(x, w))
        with nbgraph.name_scope("out") as inner:
            y = h.sum()
    assert (path, inner) == ("layer1", "layer1/out")
    assert h.owner.tag.scope == "layer1" and h.owner.inputs[0].owner.tag.scope == "layer1"
    assert y.owner.tag.scope == "layer1/out"
    assert not hasattr((y * 2).owner.tag, "scope") and current_scope() is None


def test_scope_ends_even_when_the_block_raises():
    with pytest.raises(RuntimeError), nbgraph.name_scope("broken"):
        raise RuntimeError("inside")
    assert current_scope() is None


@pytest.mark.parametrize("bad", ["", "a/b", 3])
def test_scope_names_are_checked(bad):
    with pytest.raises(ValueError, match="name_scope"), nbgraph.name_scope(bad):
        pass


def test_debugprint_ends_scoped_lines_with_the_scope():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    with nbgraph.name_scope("layer1"):
        h = T.tanh(T.dot(x, w))
    assert debugprint(h.sum(), file="str").splitlines() == [
        "Sum{acc_dtype=float64} [id A] ''",
        " |Elemwise{tanh,no_inplace} [id B] '' @layer1",
        "   |dot [id C] '' @layer1",
        "     |x [id D]",
        "     |w [id E]",
    ]
