"""Graph objects: uids, tuple inputs, deterministic traversal, cloning."""

from __future__ import annotations

import pytest

import nbgraph.tensor as T
from nbgraph.core.graph import ancestors, clone_graph, graph_inputs, toposort


def test_uids_increase_from_one_counter() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    assert x.uid < y.owner.uid < y.uid or x.uid < y.uid
    assert len({x.uid, y.uid, y.owner.uid}) == 3


def test_inputs_and_outputs_are_tuples() -> None:
    x, y = T.dvectors("x", "y")
    node = (x + y).owner
    assert isinstance(node.inputs, tuple) and isinstance(node.outputs, tuple)
    assert node.inputs == (x, y)


def _build():  # noqa: ANN202
    x, y = T.dvectors("x", "y")
    a = T.exp(x)
    b = a * y
    return x, y, a, b, T.log(b) + a


def test_toposort_is_deterministic_and_ordered() -> None:
    x, y, a, b, out = _build()
    order = toposort([out])
    assert [str(n.op) for n in order] == [
        "Elemwise{exp,no_inplace}", "Elemwise{mul,no_inplace}", "Elemwise{log,no_inplace}",
        "Elemwise{add,no_inplace}"]
    seen = set()
    for node in order:
        assert all(i.owner is None or i.owner in seen for i in node.inputs)
        seen.add(node)
    assert [str(n.op) for n in toposort([_build()[-1]])] == [str(n.op) for n in order]


def test_graph_inputs_and_ancestors() -> None:
    x, y, a, b, out = _build()
    assert graph_inputs([out]) == [x, y]
    assert a in ancestors([out]) and b in ancestors([out])
    assert graph_inputs([out], blockers=[b]) == [b, x]


def test_clone_graph_copies_nodes_and_substitutes() -> None:
    x, y, a, b, out = _build()
    z = T.dvector("z")
    memo = clone_graph([out], replace={y: z})
    new = memo[out]
    assert new is not out and new.owner.uid != out.owner.uid
    assert z in graph_inputs([new]) and y not in graph_inputs([new])
    assert memo[x] is x


def test_symbolic_truth_value_is_an_error() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(T.dscalar() > 0)
