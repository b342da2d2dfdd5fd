"""What runs: a reduction's fused prologue is one box, one Profile row and one trace step;
types read the concrete shapes of the last call."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.printing import listing
from nbgraph.link.kernel_linker import fused_prologue
from nbgraph.widgets import view_graph, view_passes, view_profile
from nbgraph.widgets.kernels import (
    LINK_PASS,
    LINK_RULE,
    concrete_types,
    full_trace,
    fused_groups,
    fused_loop_labels,
    running_snapshot,
)
from nbgraph.widgets.timing import profile_rows, time_calls

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def softplus_sum():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = nbgraph.function([x, w], T.nnet.softplus(T.dot(x, w)).sum(), profile=True,
                         mode=nbgraph.Mode(linker="c"))
    return f


def test_fused_prologue_and_its_reduction_are_one_group():
    f = softplus_sum()
    groups = fused_groups(f)
    assert len(groups) == 1
    (red, (pro, same)), = groups.items()
    assert same is red and "Sum" in str(red.op) and "softplus" in str(pro.op)
    thunks = dict(zip(f.vm.nodes, f.vm.thunks, strict=True))
    assert thunks[pro] is fused_prologue


def test_running_snapshot_draws_one_kernel_box_with_concrete_shapes():
    f = softplus_sum()
    xv, wv = np.full((2, 3), 0.5), np.full((3, 4), -0.25)
    np.testing.assert_allclose(f(xv, wv), np.log1p(np.exp(xv @ wv)).sum(), rtol=1e-12)
    text = listing(running_snapshot(f))
    assert "Kernel{softplus → Sum}" in text and "Elemwise{softplus" not in text
    assert ":float64[2,3] = input x" in text and "float64[2,4] = dot" in text
    types = concrete_types(f)
    assert types[f.maker.fgraph.outputs[0].owner.uid] == "float64[]"


def test_types_stay_open_before_any_call():
    f = softplus_sum()
    assert ":float64[?,?] = input x" in listing(running_snapshot(f))


def test_link_fusion_is_the_last_trace_step():
    f = softplus_sum()
    trace = full_trace(f)
    assert trace.passes[:-1] == f.trace.passes
    step = trace.passes[-1]
    assert step.name == LINK_PASS
    red, (pro, _) = next(iter(fused_groups(f).items())), next(iter(fused_groups(f).values()))
    event, = step.events
    assert event.rule == LINK_RULE and event.removed == (pro.uid, red[0].uid)
    assert event.added == (red[0].uid,)
    assert pro.uid not in {rec.uid for rec in step.after.nodes}
    kernel = next(rec for rec in step.after.nodes if rec.uid == red[0].uid)
    assert kernel.inputs == tuple(v.owner.uid for v in pro.inputs)  # reads the dot's output
    view = view_passes(trace)
    assert LINK_PASS in view.html


def test_no_link_step_without_fusion():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x), mode=nbgraph.Mode(linker="py"))
    assert fused_groups(f) == {} and full_trace(f) is f.trace


def test_profile_rows_match_the_drawn_boxes():
    f = softplus_sum()
    timing = time_calls(f, [np.ones((2, 3)), np.ones((3, 4))], calls=5)
    rows = profile_rows(f, timing)
    drawn = {rec.uid for rec in running_snapshot(f).nodes if rec.inputs}
    assert {row.uid for row in rows} == drawn
    kernel = next(row for row in rows if row.op == "Kernel{softplus → Sum}")
    assert kernel.calls == 5 and kernel.best <= kernel.median
    assert sum(row.share for row in rows) == pytest.approx(1.0)
    totals = profile_rows(f)  # from fn.profile's sums: the same boxes, mean only
    assert {row.uid for row in totals} == drawn and all(row.median is None for row in totals)


@needs_dot
def test_graph_and_profile_draw_the_kernel_once():
    f = softplus_sum()
    timing = time_calls(f, [np.ones((2, 3)), np.ones((3, 4))], calls=3)
    red, (pro, _) = next(iter(fused_groups(f).items()))
    profile = view_profile(f, timing).widget.children[-1].children[1].children[0].value
    for html in (view_graph(f).html, profile):
        drawn = svg_nodes(html)
        assert red.uid in drawn and pro.uid not in drawn
        assert "Kernel{softplus → Sum}" in html


def test_fused_loops_list_their_ops():
    x, y = T.dvector("x"), T.dvector("y")
    f = nbgraph.function([x, y], T.exp(x) * y + 1, mode=nbgraph.Mode(linker="c"))
    assert list(fused_loop_labels(f).values()) == ["Composite{exp → mul → add}"]
    assert "= Composite{exp → mul → add} %" in listing(running_snapshot(f))


@needs_dot
def test_graph_view_opens_each_kernel_on_its_own():
    x, w, y = T.dmatrix("x"), T.dmatrix("w"), T.dmatrix("y")
    f = nbgraph.function([x, w, y], [T.nnet.softplus(T.dot(x, w)).sum(), T.exp(y).sum()],
                         mode=nbgraph.Mode(linker="c"))
    groups = fused_groups(f)
    assert len(groups) == 2
    (red1, (pro1, _)), (red2, (pro2, _)) = groups.items()
    view = view_graph(f)
    pick = view.parts["kernels"]
    assert pick.layout.display == ""
    assert [label for label, _ in pick.options] == [
        f"#{red1.uid} Kernel{{softplus → Sum}}", f"#{red2.uid} Kernel{{exp → Sum}}"]

    def drawn() -> set[int]:
        return set(svg_nodes(view.parts["drawings"].panes[0].value))

    assert {pro1.uid, pro2.uid}.isdisjoint(drawn())
    pick.value = (red2.uid,)  # only the second opens
    assert pro2.uid in drawn() and pro1.uid not in drawn() and red1.uid in drawn()
    pick.value = (red1.uid, red2.uid)
    assert {pro1.uid, pro2.uid, red1.uid, red2.uid} <= drawn()
    pick.value = ()
    assert {pro1.uid, pro2.uid}.isdisjoint(drawn())
    assert "Kernel{softplus → Sum}" in view.html  # the static drawing: one box each


def test_profile_rows_read_as_the_boxes_are_labelled():
    x, y = T.dvector("x"), T.dvector("y")
    f = nbgraph.function([x, y], T.exp(x) * y + 1, mode=nbgraph.Mode(linker="c"),
                         profile=True)
    rows = profile_rows(f, time_calls(f, [np.ones(3), np.ones(3)], calls=2))
    assert [row.op for row in rows] == ["Composite{exp → mul → add}"]


def test_link_fusion_step_types_each_output_of_a_multi_output_read():
    from nbgraph.core.graphviz import to_dot
    from nbgraph.ops.nlinalg import eigh

    a = T.dmatrix("a")
    w, v = eigh(a)
    fn = nbgraph.function([a], T.sum(T.exp(v) * w))
    step = full_trace(fn).passes[-1]
    assert step.name == LINK_PASS
    kernel = step.after.nodes[-1]
    assert kernel.label == "Kernel{exp → mul → Sum}"
    assert kernel.input_ports()[0] == 1  # exp reads the eigenvectors, output 1
    eig = next(r for r in step.after.nodes if r.label.startswith("Eigh"))  # a clone
    text = to_dot(step.after)
    assert f'{eig.uid} -> {kernel.uid} [label="0: float64[?,?]"]' in text  # not both types
    values = np.array([[2.0, 1.0], [1.0, 3.0]])
    ev, vec = np.linalg.eigh(values)
    np.testing.assert_allclose(fn(values), np.sum(np.exp(vec) * ev))
