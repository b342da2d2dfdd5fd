"""FunctionGraph: clients, replace with reason, listeners, pruning, stable uids, cloning."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import Out, function
from nbgraph.core.fgraph import OUTPUT, FunctionGraph, InconsistentTypeError, MissingInputError
from nbgraph.core.gradient import grad
from nbgraph.core.shared import shared


class Recorder:
    def __init__(self):
        self.calls = []

    def on_attach(self, fgraph):
        self.calls.append(("attach",))

    def on_import(self, node, reason):
        self.calls.append(("import", node.uid, reason))

    def on_prune(self, node, reason):
        self.calls.append(("prune", node.uid, reason))

    def on_change_input(self, node, i, old, new, reason):
        self.calls.append(("change", node if node == OUTPUT else node.uid, i, reason))


def _graph():
    x = T.dvector("x")
    return x, FunctionGraph([x], [T.exp(x) * T.sin(x)])


def test_clone_leaves_user_graph_alone():
    x = T.dvector("x")
    y = T.exp(x)
    fgraph = FunctionGraph([x], [y])
    assert fgraph.outputs[0] is not y and fgraph.inputs[0] is x
    fgraph.replace(fgraph.outputs[0], x, reason="test")
    assert y.owner.inputs[0] is x and fgraph.outputs == [x]


def test_clients_and_integrity():
    x, fgraph = _graph()
    exp_node, sin_node, mul_node = fgraph.toposort()
    assert [c for c, _ in fgraph.clients[x]] == [exp_node, sin_node]
    assert fgraph.clients[mul_node.outputs[0]] == [(OUTPUT, 0)]
    fgraph.check_integrity()


def test_replace_keeps_untouched_uids_and_prunes():
    x, fgraph = _graph()
    exp_node, sin_node, mul_node = fgraph.toposort()
    new = T.cos(x)
    recorder = Recorder()
    fgraph.attach_listener(recorder)
    fgraph.replace(sin_node.outputs[0], new, reason="canonicalize/demo")
    after = fgraph.toposort()
    assert [n.uid for n in after] == [exp_node.uid, new.owner.uid, mul_node.uid]
    assert mul_node.inputs[1] is new  # the reader was rewired, not copied
    assert recorder.calls == [
        ("attach",), ("import", new.owner.uid, "canonicalize/demo"),
        ("change", mul_node.uid, 1, "canonicalize/demo"),
        ("prune", sin_node.uid, "canonicalize/demo")]
    assert new.owner.tag.created_by == "canonicalize/demo"
    assert not hasattr(exp_node.tag, "created_by")
    fgraph.check_integrity()


def test_replace_type_mismatch_names_both_sides():
    x, fgraph = _graph()
    with pytest.raises(InconsistentTypeError, match=r"float64\[\?\].*float32\[\?\]"):
        fgraph.replace(fgraph.outputs[0], T.fvector("f"), reason="bad_rule")


def test_replace_broadcastable_must_stay_broadcastable():
    x = T.drow("x")
    fgraph = FunctionGraph([x], [T.exp(x)])
    with pytest.raises(InconsistentTypeError, match="bad_rule"):
        fgraph.replace(fgraph.outputs[0], T.dmatrix("m"), reason="bad_rule")


def test_missing_input():
    x, y = T.dvectors("x", "y")
    with pytest.raises(MissingInputError, match="y"):
        FunctionGraph([x], [x + y])
    _, fgraph = _graph()
    with pytest.raises(MissingInputError):
        fgraph.replace(fgraph.outputs[0], T.exp(y), reason="r")


def test_replace_all_is_one_change():
    x, fgraph = _graph()
    exp_node, sin_node, _ = fgraph.toposort()
    done = []

    class Done:
        def on_replace_done(self, reason):
            done.append(reason)

    fgraph.attach_listener(Done())
    fgraph.replace_all([(exp_node.outputs[0], T.sqrt(x)), (sin_node.outputs[0], T.cos(x))],
                       reason="r")
    assert done == ["r"]


def test_clone_copies_grad_tags_to_new_uids():
    x = T.dvector("x")
    y = T.exp(x)
    (g,) = grad(T.sum(y), [x])
    fgraph = FunctionGraph([x], [g])
    (exp_copy,) = [n for n in fgraph.toposort() if "exp" in str(n.op)]
    grad_of = {n.tag.grad_of for n in fgraph.toposort() if hasattr(n.tag, "grad_of")}
    assert exp_copy.uid in grad_of and y.owner.uid not in grad_of


def test_fgraph_clone_is_independent():
    x, fgraph = _graph()
    copy = fgraph.clone()
    copy.replace(copy.outputs[0], x, reason="r")
    assert len(fgraph.toposort()) == 3 and copy.toposort() == []


def test_output_roles_default_empty_and_survive_clone():
    x = T.dvector("x")
    w = shared(np.ones(3), name="w")
    bare = FunctionGraph([x], [T.exp(x)])
    assert (bare.borrow_outputs, bare.update_targets, bare.inplace_updates, bare.rewrite_checks
            ) == ((), (), {}, [])
    fgraph = FunctionGraph([x, w], [T.exp(x), w + x], borrow_outputs=[True],
                           update_targets=[w], inplace_updates={w: 1})
    copy = fgraph.clone()
    for graph in (fgraph, copy):
        assert graph.borrow_outputs == (True,) and graph.update_targets == (w,)
        assert graph.inplace_updates == {w: 1}


def test_function_declares_output_roles():
    x = T.dvector("x")
    w = shared(np.ones(3), name="w")
    fn = function([x], [Out(T.exp(x), borrow=True), x * 2], updates=[(w, w + x)])
    fgraph = fn.maker.fgraph
    assert fgraph.borrow_outputs == (True, False)
    assert fgraph.update_targets == (w,) and fgraph.inplace_updates == {w: 2}
    assert fgraph.outputs[2].owner is not None   # w + x, the update, follows the outputs
    fn(np.arange(3.0))
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0, 3.0])


def test_an_intermediate_input_cuts_the_graph():
    # issue 12 #8: function([y], y) with y = exp(x) + 1 returned nan; Theano cuts at y
    x = T.dmatrix("x")
    y = T.exp(x) + 1
    fg = FunctionGraph([y], [2 * y])
    (cut,) = fg.inputs
    assert cut.owner is None and cut.type == y.type and y.owner is not None
    ops = [str(n.op) for n in fg.apply_nodes]
    assert x not in fg.variables and not any("exp" in o or "add" in o for o in ops), ops
    value = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(function([y], y)(value), value)
    np.testing.assert_array_equal(function([y], 2 * y)(value), 2 * value)
    z = T.log(y) * x      # both sides: x is an input too, y's value is given
    np.testing.assert_allclose(function([x, y], z)(value, value + 1), np.log(value + 1) * value)
