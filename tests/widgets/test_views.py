"""The views as plain functions: SVG and static HTML for graphs, gradients, code, profiles."""

from __future__ import annotations

import re
import shutil

import ipywidgets as W
import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.rewrite.pipeline import PIPELINE
from nbgraph.rewrite.trace import NodeRecord, Snapshot
from nbgraph.widgets import view_code, view_gradient, view_graph, view_passes, view_profile
from nbgraph.widgets.drawing import Picture, heat_colour
from nbgraph.widgets.graphdata import graph_snapshot
from nbgraph.widgets.layout import picture_html
from nbgraph.widgets.render import ACTUAL
from nbgraph.widgets.static import format_seconds
from nbgraph.widgets.timing import profile_rows
from nbgraph.widgets.views import TOP_NODES, lexer_for

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def test_view_graph_static_html_has_svg_with_every_node():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2)
    view = view_graph(f)
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"]
    drawn = svg_nodes(view.html)
    assert set(drawn) == {rec.uid for rec in graph_snapshot(f.maker.fgraph.outputs).nodes}


def test_view_graph_tooltips_give_provenance():
    x = T.dvector("x")
    f = nbgraph.function([x], T.log(1 + x))
    html = view_graph(f).html
    assert "graph input" in html
    assert "created by rule stabilize/log1p" in html


def test_view_graph_error_marks_only_the_node():
    x = T.dvector("x")
    y = T.exp(x)
    view = view_graph([y], highlight=[y.owner.uid], error="ValueError: boom")
    drawn = svg_nodes(view.html)
    assert [uid for uid, css in drawn.items() if "error" in css] == [y.owner.uid]
    assert "ValueError: boom" in view.html


def test_view_passes_static_lists_rules_and_greys_unchanged(trace):
    view = view_passes(trace)
    assert "canonicalize/add_zero" in view.html and "specialize/exp_to_sqr</code>&nbsp;×2" \
        in view.html
    assert "color:#9ca3af" in view.html  # the merge pass changed nothing: greyed, still listed
    assert "merge" in view.html


def test_view_passes_widget_starts_on_first_changing_pass(trace):
    view = view_passes(trace)
    play, slider, rules = view.parts["play"], view.parts["slider"], view.parts["rules"]
    assert slider.value == 0 and slider.max == 2 and play.max == 2
    slider.value = 2
    after = svg_nodes(view.parts["drawings"].panes[1].value)
    assert {u for u, css in after.items() if "added" in css} == {5, 6}
    assert "specialize/exp_to_sqr" in rules.value


def test_view_passes_picking_a_rewrite_updates_card_and_highlights(trace):
    view = view_passes(trace)
    view.parts["slider"].value = 2
    assert "2 rewrites" in view.parts["event"].value
    view.parts["events"].value = 1
    card = view.parts["event"].value
    assert "rewrite 2 of 2" in card and "#6 Elemwise{neg,no_inplace}" in card
    after = svg_nodes(view.parts["drawings"].panes[1].value)
    assert {u for u, css in after.items() if "added" in css} == {6}
    assert {u for u, css in after.items() if "dimmed" in css} == {1, 5}


def test_view_passes_zoom_toggle_redraws_at_actual_size(trace):
    view = view_passes(trace)
    drawings = view.parts["drawings"]
    assert all("height:auto" in p.value for p in drawings.panes)
    drawings.zoom.value = ACTUAL
    assert all("max-width:none" in p.value and "overflow:auto" in p.value
               and "height:auto" not in p.value for p in drawings.panes)
    assert svg_nodes(drawings.panes[0].value) == svg_nodes(view_passes(trace).parts[
        "drawings"].panes[0].value)  # same drawing, other size


def test_view_gradient_sets_backward_nodes_apart():
    x = T.dvector("x")
    cost = T.tanh(x).sum()
    gx = T.grad(cost, x)
    view = view_gradient([cost, gx], nbgraph.function([x], [cost, gx]), n_forward=1)
    assert view.html.count("backward (gradient)") >= 2  # before and after optimization
    tanh_uid = cost.owner.inputs[0].owner.uid
    assert f"∂ of #{tanh_uid} tanh" in view.html
    assert view.html.count('class="cluster"') == 2


def test_view_gradient_stacks_wide_graphs_side_by_side_small_ones():
    x = T.dvector("x")
    small = view_gradient([T.exp(x)], [T.exp(x)], n_forward=1)
    assert small.widget.children[-1].children[1].layout.flex_flow == "row"
    assert "display:flex" in small.html
    h = x
    for k in range(12):  # twelve side branches make a drawing wider than SIDE_BY_SIDE_PT
        h = h + T.sin(x * (k + 2))
    wide = view_gradient([h.sum(), T.grad(h.sum(), x)], n_forward=1)
    box = wide.widget.children[-1].children[1]
    assert box.layout.flex_flow == "column" and box.children[0].layout.width == "100%"
    assert 'class="nbgraph-svg"' in wide.html and "display:flex" not in wide.html


def test_view_code_highlights_each_node():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) + 1)
    view = view_code(f)
    assert len(view.widget.children[0].options) == len(f.source)
    assert '<div class="highlight"' in view.html
    assert lexer_for("void k0(int64_t n) { }").name == "C"
    assert lexer_for("__global__ void k0() {}").name == "CUDA"


def test_view_profile_static_part_has_no_timings():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x).sum(), profile=True)
    for _ in range(3):
        f(np.ones(4))
    view = view_profile(f)
    assert "Sum" in view.html and "<svg" in view.html  # the timed boxes, drawn
    table = view.html.split("</table>")[0]
    assert not re.search(r"\d%|>\d+<|\d (ns|µs|ms|s)<", table)  # no shares, calls, times
    live = view.widget.children[0].value
    assert "per call" in live and "%" in live and "white-space:nowrap" in live
    assert re.search(r">\d+(\.\d+)? (ns|µs|ms|s)</td>", live)


def test_view_profile_shows_top_nodes_and_folds_the_rest():
    x = T.dvector("x")
    h = x
    for k in range(14):  # unfused (Python linker, no fusion): one node per op
        h = T.exp(h) * (k + 1) if k % 2 else T.sin(h)
    mode = nbgraph.Mode(linker="py", optimizer=PIPELINE.excluding("fuse_elemwise"))
    f = nbgraph.function([x], h.sum(), profile=True, mode=mode)
    f(np.ones(5))
    rows = profile_rows(f)
    assert len(rows) > TOP_NODES + 2
    table, more = view_profile(f).widget.children[:2]
    assert table.value.count("<tr") == TOP_NODES + 1  # header and the slowest rows
    assert isinstance(more, W.Accordion) and more.selected_index is None
    assert more.titles[0].startswith(f"{len(rows) - TOP_NODES} more nodes")
    assert more.children[0].value.count("<tr") == len(rows) - TOP_NODES + 1
    drawing_html = view_profile(f).widget.children[-1].children[1].children[0].value
    slowest = rows[0].uid
    assert f"#{slowest} · " in drawing_html


@pytest.mark.parametrize("seconds, text", [
    (2.5e-5, "25.0 µs"), (3.4e-9, "3.40 ns"), (0.0, "0.00 ns"), (0.1234, "123 ms"),
    (9.9996e-4, "1.00 ms"), (12.0, "12.0 s")])
def test_format_seconds_picks_units(seconds, text):
    assert format_seconds(seconds) == text


def test_view_profile_without_profile_says_how():
    x = T.dvector("x")
    assert "--profile" in view_profile(nbgraph.function([x], x * 2)).html


def test_heat_colour_goes_white_to_orange():
    assert heat_colour(0.0) == "#ffffff" and heat_colour(1.0) == "#ea580c"


def test_big_graph_is_folded_and_drawn():
    nodes = [NodeRecord(1, "x", (), "float64[?]", "x")]
    for k in range(1500):  # ten interleaved chains joined at the end
        uid = 10 + k
        nodes.append(NodeRecord(uid, "Elemwise{exp,no_inplace}",
                                (uid - 10,) if k >= 10 else (1,), "float64[?]", None))
    nodes.append(NodeRecord(5000, "Elemwise{add,no_inplace}",
                            tuple(range(1500, 1510)), "float64[?]", None))
    view = view_graph(Snapshot(tuple(nodes), (5000,)), highlight=[700])
    drawn = svg_nodes(view.html)
    assert len(drawn) < 50 and 700 in drawn and 5000 in drawn
    assert "elementwise ops" in view.html and " · " not in view.html  # no profile notes


def test_profile_heat_of_a_folded_chain_is_its_members_sum():
    nodes = [NodeRecord(1, "x", (), "float64[?]", "x")]
    for k in range(400):  # one long chain: it folds into a single drawn record
        nodes.append(NodeRecord(10 + k, "Elemwise{exp,no_inplace}", (9 + k if k else 1,),
                                "float64[?]", None))
    snap = Snapshot(tuple(nodes), (409,))
    heat = {10 + k: 0.0025 for k in range(400)}  # 400 x 0.25% = all the time
    html = picture_html(Picture(snap, heat=heat))
    assert set(svg_nodes(html)) == {1, 409}
    assert "#409 · 100.0%" in html and heat_colour(1.0) in html


def test_both_themes_read_well():
    # edges, edge labels and captions take JupyterLab's theme colours; code keeps dark text
    # on its light block even where the dark theme styles <pre>; boxes are translucent
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x).sum(), mode=nbgraph.Mode(linker="c"))
    html = view_graph(f).html
    assert "stroke:var(--jp-ui-font-color2" in html and "fill:var(--jp-ui-font-color1" in html
    code = view_code(f).html
    assert '<pre style="color:#111827' in code and "background:#f9fafb" in code
    grad = view_gradient([T.exp(x).sum(), T.grad(T.exp(x).sum(), x)]).html
    assert 'class="cluster">\n<path fill="#ea580c" fill-opacity="0.149020"' in grad


def test_view_profile_says_how_much_memory_the_values_take():
    x = T.dvector("x")
    mode = nbgraph.Mode(linker="py", optimizer=None)
    f = nbgraph.function([x], (T.exp(x) * 2).sum(), profile=True, mode=mode)
    f(np.ones(1000))
    live = view_profile(f).widget.children[0].value
    assert "intermediate values take 15.6 KiB" in live      # exp and mul: 8000 B each, + 8
    assert "at most 15.6 KiB are live at once" in live
