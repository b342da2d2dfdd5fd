"""The Passes tab's replay tools: the why-not panel, the bisect button, and inner graphs of
nodes that exist only partway through the pipeline."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.compile.replay import WhyNot
from nbgraph.core.records import record_uid, snapshot_of
from nbgraph.rewrite.engine import RuleSet, rule
from nbgraph.rewrite.pattern import P, x
from nbgraph.rewrite.pipeline import PIPELINE, Pass, Pipeline
from nbgraph.widgets import symgraph, view_passes
from nbgraph.widgets.bisect_button import NONE_FOUND
from nbgraph.widgets.pass_inner import stand_in
from nbgraph.widgets.steps import pass_steps
from nbgraph.widgets.why_not_panel import per_pass

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
_lying = rule("exp_to_log", P.exp(x), lambda x: T.log(x))   # a rule that changes values
BROKEN = Pipeline(PIPELINE.passes[:3] + (Pass("broken", RuleSet("broken", (_lying,))),)
                  + PIPELINE.passes[3:])


def passes_of(fn):
    return view_passes(fn.trace, fn.maker.fgraph.toposort(), fn)


def uid_of(fn, text):
    (rec,) = [r for r in fn.trace.passes[0].before.nodes if text in r.label]
    return rec.uid


@needs_dot
def test_why_not_panel_lists_where_log1p_partly_matched_and_marks_the_node():
    v = T.dvector("v")
    fn = function([v], T.log(T.exp(v) - (-1.0)))   # log(1 + exp(v)), written as a sub
    view = passes_of(fn)
    panel, slider = view.parts["why_not"], view.parts["slider"]
    assert "stabilize/log1p" in [value for _, value in panel.rule.options]
    assert ("constant_fold/fold_constants  (fired ×1)", "constant_fold/fold_constants") \
        in panel.rule.options
    log = uid_of(fn, "log")
    panel.rule.value = "stabilize/log1p"
    slider.value = 0        # after merge: the log's input is a sub, not an add
    html = panel.text.value
    assert f"#{log} " in html and "expected add(...), found Elemwise{sub,no_inplace}" in html
    assert "1 node partly matched" in html
    after = svg_nodes(view.parts["drawings"].panes[1].value)
    assert [uid for uid, css in after.items() if "whynot" in css] == [log]
    fuse = [s.name for s in pass_steps(fn.trace)].index("fuse_elemwise")
    slider.value = fuse     # the fused loop took the log away: said once, no longer marked
    assert "rewritten away by fuse_elemwise" in panel.text.value
    assert not any("whynot" in css for css in
                   svg_nodes(view.parts["drawings"].panes[1].value).values())
    panel.rule.value = ""   # no rule: the marks go
    slider.value = 0
    assert not any("whynot" in css for css in
                   svg_nodes(view.parts["drawings"].panes[1].value).values())


def test_why_not_answers_hold_until_the_node_is_gone(trace):
    steps = pass_steps(trace)   # canonicalize, merge, specialize (exp #3 removed there)
    answers = [WhyNot("canonicalize", 3, "exp", "input 0: expected sqr"),
               WhyNot("specialize", 3, "exp", "the rule fired here")]
    states = per_pass(answers, steps)
    assert [s.present for s in states] == [{3: "input 0: expected sqr"},
                                           {3: "input 0: expected sqr"}, {}]
    assert [w.reason for w in states[2].gone] == ["the rule fired here"]


def test_why_not_panel_says_when_the_rule_is_switched_off():
    v = T.dvector("v")
    fn = function([v], T.log(1 + T.exp(v)),
                  mode=Mode(optimizer=PIPELINE.excluding("stabilize/log1p")))
    panel = passes_of(fn).parts["why_not"]
    panel.rule.value = "stabilize/log1p"
    assert "switched off" in panel.text.value


def test_bisect_button_jumps_to_the_wrong_rule_and_shows_the_values():
    v = T.dvector("v")
    fn = function([v], T.exp(v) * 2 + 1, mode=Mode(optimizer=BROKEN))
    value = np.array([1.0, 2.0])
    view = view_passes(fn.trace, fn.maker.fgraph.toposort(), fn, [value])
    button = view.parts["bisect"]
    button.button.click()
    found = button.found
    assert found is not None and found.rule == "broken/exp_to_log"
    step = pass_steps(fn.trace)[view.parts["slider"].value]
    assert step.name == "broken"
    assert step.events[view.parts["events"].value].rule == "broken/exp_to_log"
    np.testing.assert_allclose(found.before, np.exp(value) * 2 + 1)
    np.testing.assert_allclose(found.after, np.log(value) * 2 + 1)
    html = button.result.value
    for shown in (np.exp(value) * 2 + 1, np.log(value) * 2 + 1):
        assert np.array2string(shown, precision=6) in html
    assert "broken/exp_to_log" in html and "rewrite 1 of pass 4 (broken)" in html
    card = view.parts["event"].value
    assert "rewrite 1 of 1:</b> <code>broken/exp_to_log" in card
    assert "safe: values unchanged" not in card and "is not known" in card   # a user's rule


def test_bisect_button_without_a_wrong_rule_says_none_and_stays():
    v = T.dvector("v")
    fn = function([v], T.log(1 + T.exp(v)) + T.sqr(v) / v)
    view = view_passes(fn.trace, fn.maker.fgraph.toposort(), fn, lambda: [np.array([3.0, 4.0])])
    start = view.parts["slider"].value
    assert view.parts["bisect"].run() is None
    assert NONE_FOUND in view.parts["bisect"].result.value
    assert "v: float64[2]" in view.parts["bisect"].result.value
    assert view.parts["slider"].value == start


def test_symgraph_bisects_on_the_cells_inputs():
    v = T.dvector("v")
    view = symgraph({"v": v}, last=T.exp(v) * 2 + 1, mode=Mode(optimizer=BROKEN),
                    shapes={"v": (3,)})
    passes = view.views["Passes"]
    found = passes.parts["bisect"].run()
    assert found is not None and found.rule == "broken/exp_to_log"
    assert np.shape(found.before) == (3,)
    assert pass_steps(view.fn.trace)[passes.parts["slider"].value].name == "broken"


@needs_dot
def test_passes_open_an_opfromgraph_that_is_inlined_partway():
    a, b = T.dvectors("a", "b")
    body = nbgraph.OpFromGraph([a, b], [a * b + a], inline=True)
    u, w = T.dvectors("u", "w")
    fn = function([u, w], T.exp(body(u, w)))
    inner_add = body.outputs[0].owner.uid
    assert not any("OpFromGraph" in str(n.op) for n in fn.maker.fgraph.toposort())
    view = passes_of(fn)
    view.parts["slider"].value = 0      # merge: the OpFromGraph is still there
    before, after = (p.value for p in view.parts["drawings"].panes)
    for pane in (before, after):
        assert ">OpFromGraph: body</text>" in pane and inner_add in svg_nodes(pane)
    plain = view_passes(fn.trace, fn.maker.fgraph.toposort())   # no fn: nothing to replay
    assert ">OpFromGraph: body</text>" not in plain.parts["drawings"].panes[0].value


def test_stand_in_wires_the_inner_graph_to_the_inputs_the_record_names():
    a, b = T.dvectors("a", "b")
    body = nbgraph.OpFromGraph([a, b], [a * b])
    u, w = T.dvectors("u", "w")
    node = body(u, w).owner
    (rec,) = [r for r in snapshot_of(node.outputs).nodes if r.uid == node.uid]
    assert stand_in(node, rec) is node          # the record names the node as it is
    moved = replace(rec, inputs=(w.uid, u.uid))  # a rewrite re-pointed its inputs
    copy = stand_in(node, moved)
    assert copy.uid == node.uid and copy.op is node.op
    assert [record_uid(v) for v in copy.inputs] == [w.uid, u.uid]


def test_why_not_panel_keeps_long_answers_short():
    v = T.dvector("v")
    out = v
    for k in range(40):
        out = T.exp(out) * (k + 2.0)    # 40 exps: the root op of the lying rule
    fn = function([v], out, mode=Mode(optimizer=BROKEN.excluding("broken/exp_to_log")))
    panel = passes_of(fn).parts["why_not"]
    panel.rule.value = "broken/exp_to_log"
    assert "switched off" in panel.text.value
    assert panel.text.value.count("what stopped") == 1 and "… and 10 more" in panel.text.value


def test_bisect_button_names_a_rewrite_inside_a_scan_step_and_stays():
    v = T.dvector("v")
    out, _ = nbgraph.scan(lambda s, h: T.exp(h) * 0.5 + s, sequences=[v],
                          outputs_info=[T.constant(0.5)], mode=Mode(optimizer=BROKEN))
    fn = function([v], out)
    view = view_passes(fn.trace, fn.maker.fgraph.toposort(), fn, [np.array([1.0, 2.0])])
    start = view.parts["slider"].value
    found = view.parts["bisect"].run()
    assert found is not None and found.inside.startswith("Scan #")
    html = view.parts["bisect"].result.value
    assert f"in {found.inside}, rewrite 1 of its compile" in html.replace("&#x27;", "'")
    assert "broken/exp_to_log" in html
    assert view.parts["slider"].value == start          # not an event of the outer trace
