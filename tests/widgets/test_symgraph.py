"""``symgraph()`` without IPython: cells, outputs, gradients, inputs, errors, static HTML."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graph import Variable
from nbgraph.widgets import SymgraphError, symgraph
from nbgraph.widgets.symgraph import (
    TABS,
    call_values,
    parse_assignments,
    parse_shapes,
    random_value,
    run_cell,
)
from nbgraph.widgets.timing import MAX_CALLS, MIN_CALLS

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def test_run_cell_returns_last_expression_and_binds_names():
    ns = {"T": T}
    value = run_cell("x = T.dvector('x')\ny = T.exp(x)\ny * 2", ns)
    assert ns["y"].owner.op.scalar_op.name == "exp"
    assert value.owner.inputs[0] is ns["y"]
    assert run_cell("z = 1", ns) is None


def test_run_cell_traceback_shows_the_cell_line():
    with pytest.raises(ZeroDivisionError) as info:
        run_cell("a = 1\nb = a / 0", {})
    assert "b = a / 0" in str(info.traceback[-1])


@pytest.mark.parametrize("build", [
    lambda x, w: T.exp(x) * 2,
    lambda x, w: T.log(1 + T.exp(T.dot(w, x))).sum(),
    lambda x, w: [T.tanh(x).sum(), T.sqr(x) - 1],
    lambda x, w: T.nnet.sigmoid(T.dot(w, x) + x.sum()).mean(),
])
def test_symgraph_on_several_graphs(build):
    x, w = T.dvector("x"), T.dmatrix("w")
    last = build(x, w)
    view = symgraph({"x": x, "w": w}, last=last)
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["text/html"]
    assert [t for t in view.widget.titles] == list(TABS)
    for rule in {e.rule for e in view.fn.trace.events()}:
        assert rule in bundle["text/html"]
    assert svg_nodes(view.html)


def test_symgraph_named_outputs_and_gradient_values():
    x = T.dvector("x")
    y = T.log(1 + T.exp(x)).sum()
    view = symgraph({"x": x, "y": y}, outputs=["y"], grad=["x"])
    xv = np.array([0.5, -1.0, 2.0])
    value, gx = view.fn(xv)
    np.testing.assert_allclose(value, np.log1p(np.exp(xv)).sum(), rtol=1e-12)
    np.testing.assert_allclose(gx, 1 / (1 + np.exp(-xv)), rtol=1e-12)
    assert "backward (gradient)" in view.html


def test_symgraph_profile_runs_on_given_and_random_inputs():
    x, y = T.dvector("x"), T.dmatrix("y")
    ns = {"x": x, "y": y, "np": np}
    view = symgraph(ns, last=(y * x).sum(), profile=True,
                    inputs=parse_assignments(["x=np.ones(4)"], ns), shapes=parse_shapes(["y=2,4"]))
    # one warm-up call, then a 0.2 s budget: at least MIN_CALLS, at most MAX_CALLS
    assert 1 + MIN_CALLS <= view.fn.profile.calls <= 1 + MAX_CALLS
    static = view.views["Profile"].html
    assert "op (timed" in static and "<svg" in static and "µs" not in view.html
    exact = symgraph(ns, last=(y * x).sum(), profile=True, calls=7)
    assert exact.fn.profile.calls == 1 + 7
    live = exact.views["Profile"].widget.children[0].value
    assert "<b>7 timed calls</b>" in live and ">min<" in live and ">median<" in live


def test_symgraph_graph_error_highlights_the_node():
    x, y = T.dvector("x"), T.dvector("y")
    ns = {"x": x, "y": y, "np": np}
    with pytest.raises(ValueError) as info:
        symgraph(ns, last=T.exp(x) + y, inputs={"x": np.ones(3), "y": np.ones(4)})
    view = info.value.symgraph
    failing = info.value.node.uid
    drawn = svg_nodes(view.views["Graph"].html)
    assert [uid for uid, css in drawn.items() if "error" in css] == [failing]
    assert view.widget.selected_index == 0


def test_symgraph_errors_name_the_problem():
    x = T.dvector("x")
    with pytest.raises(SymgraphError, match="end the cell with an expression"):
        symgraph({"x": x})
    with pytest.raises(SymgraphError, match="-o nope"):
        symgraph({"x": x}, outputs=["nope"])
    with pytest.raises(SymgraphError, match="not a symbolic Variable"):
        symgraph({"x": x}, last=3.0)
    with pytest.raises(SymgraphError, match="not inputs"):
        symgraph({"x": x}, last=x * 2, inputs={"q": 1.0})
    untyped = Variable(x.type, name="untyped")  # a Variable, but no tensor to sum
    with pytest.raises(SymgraphError, match="first output is a Variable, not a tensor"):
        symgraph({"x": x, "u": untyped}, last=untyped, grad=["x"])


def test_parse_assignments_and_shapes():
    ns = {"np": np}
    assert parse_assignments(["a=np.arange(3)", "b = 2"], ns)["b"] == 2
    assert parse_shapes(["x=3,4", "s="]) == {"x": (3, 4), "s": ()}
    with pytest.raises(SymgraphError, match="NAME=VALUE"):
        parse_assignments(["oops"], ns)
    with pytest.raises(SymgraphError, match="NAME=d0,d1"):
        parse_shapes(["x=3,a"])


def test_random_inputs_follow_dtype_and_static_shape(rng):
    row = T.TensorType("float32", shape=(1, None))("row")
    value, = call_values([row], {}, {}, {})
    assert value.shape == (1, 3) and value.dtype == np.float32 and value.min() > 0
    labels = random_value(T.ivector("i"), (50,), rng, below=2)
    assert labels.dtype == np.int32 and set(labels) == {0, 1}
    x = T.dvector("x")
    first, = call_values([x], {"xx": x}, {}, {"xx": (2,)})
    assert first.shape == (2,)


def test_symgraph_static_html_is_deterministic():
    def build():
        x = T.dvector("x")
        return symgraph({"x": x}, last=T.exp(x).sum(), grad=["x"], profile=True).html
    first = build()
    second = build()
    strip = __import__("re").compile(r"\d+")
    assert strip.sub("N", first) == strip.sub("N", second)  # only uids differ
    assert nbgraph.function  # the package stays importable without IPython
