"""The trace-to-view mapping: each pass step highlights exactly the uids of its events."""

from __future__ import annotations

import re
from html import escape as html_escape

from widget_fixtures import END, NO_ADD, START, svg_nodes

from nbgraph.rewrite.pipeline import find_rule
from nbgraph.rewrite.trace import NodeRecord, PassRecord, RewriteEvent, Snapshot, Trace
from nbgraph.widgets.layout import picture_html
from nbgraph.widgets.passes import event_html, event_options, rules_html, step_pictures
from nbgraph.widgets.steps import Step, pass_steps, plain_text, rule_info, step_of, step_summary


def test_pass_steps_one_per_pass_unchanged_kept(trace):
    steps = pass_steps(trace)
    assert [s.name for s in steps] == ["canonicalize", "merge", "specialize"]
    assert [s.changed for s in steps] == [True, False, True]
    assert steps[0].before == START and steps[2].after == END


def test_pass_steps_highlights_are_the_event_uids(trace):
    for step, record in zip(pass_steps(trace), trace.passes, strict=True):
        assert step.removed == {u for e in record.events for u in e.removed}
        assert step.added == {u for e in record.events for u in e.added}


def test_step_focus_on_one_event(trace):
    step = pass_steps(trace)[2]
    assert step.focus(None) == (frozenset({3}), frozenset({5, 6}))
    assert step.focus(0) == (frozenset({3}), frozenset({5}))
    assert step.focus(1) == (frozenset(), frozenset({6}))


def test_step_rules_count_each_rule(trace):
    uses = pass_steps(trace)[2].rules()
    assert [(u.rule, u.count, u.removed, u.added) for u in uses] == \
        [("specialize/exp_to_sqr", 2, (3,), (5, 6))]
    assert step_summary(pass_steps(trace))[1] == ("merge", 0, False, [])


def test_step_diff_shows_removed_and_added_lines(trace):
    diff = pass_steps(trace)[0].diff()
    removed = [line for line in diff.splitlines() if line.startswith("-") and "%4" in line]
    assert removed and "add" in removed[0]
    assert pass_steps(trace)[1].diff() == ""


def step_panes(step, event):
    """The HTML of a step's before and after panes."""
    before, after = step_pictures(step, event)
    return picture_html(before), picture_html(after)


def test_step_drawings_mark_exactly_removed_and_added(trace):
    for step in pass_steps(trace):
        before, after = step_panes(step, None)
        drawn_before, drawn_after = svg_nodes(before), svg_nodes(after)
        assert {u for u, css in drawn_before.items() if "removed" in css} == \
            step.removed & set(drawn_before)
        assert {u for u, css in drawn_after.items() if "added" in css} == step.added
        assert not any("added" in css for css in drawn_before.values())


def test_step_drawings_of_one_event(trace):
    before, after = step_panes(pass_steps(trace)[2], 1)
    assert not any("removed" in css for css in svg_nodes(before).values())
    assert {u for u, css in svg_nodes(after).items() if "added" in css} == {6}


def test_rules_html_lists_rules_and_touched_nodes(trace):
    html = rules_html(pass_steps(trace)[2])
    assert "specialize/exp_to_sqr" in html and ">2<" in html
    assert re.findall(r">#(\d+)</span>", html) == ["3", "5", "6"]  # removed, then added
    assert "changed nothing" in rules_html(pass_steps(trace)[1])


def test_rules_html_describes_each_rule_on_hover(trace):
    html = rules_html(pass_steps(trace)[0])
    expected = rule_info("canonicalize/add_zero").description
    assert f'<code title="{html_escape(expected)}"' in html


def test_rule_info_reads_doc_unsafe_or_pattern():
    merge = rule_info("merge/merge_nodes")
    assert merge.description == " ".join(find_rule("merge/merge_nodes").doc.split())
    assert merge.unsafe is None
    div = rule_info("canonicalize/div_self")
    assert div.unsafe == find_rule("canonicalize/div_self").unsafe and div.unsafe
    assert rule_info("stabilize/log1p").description == "matches log(add(1.0, x))"
    assert "not a rule" in rule_info("mine/custom").description


def test_event_html_names_rule_safety_and_nodes(trace):
    step = pass_steps(trace)[2]
    card = event_html(step, 0)
    assert "rewrite 1 of 2" in card and "specialize/exp_to_sqr" in card
    assert "is not known" in card and "safe: values unchanged" not in card  # not a stock rule
    assert "safe: values unchanged" in event_html(pass_steps(trace)[0], 0)  # add_zero is
    assert "#3 Elemwise{exp,no_inplace}" in card and "#5 Elemwise{sqr,no_inplace}" in card
    assert "#6" not in card  # the other event's node
    whole = event_html(step, None)
    assert "2 rewrites" in whole and "not a rule of the default pipeline" in whole


def test_event_html_and_options_mark_unsafe_rules():
    step = pass_steps(Trace((PassRecord("canonicalize", START, NO_ADD, (
        RewriteEvent("canonicalize/div_self", (4,), (), 1e-6),), 1e-6),)))[0]
    reason = rule_info("canonicalize/div_self").unsafe
    assert ">unsafe</span>" in event_html(step, 0) and html_escape(reason) in event_html(step, 0)
    assert event_options(step)[1][0].endswith("⚠ unsafe")
    assert event_options(step)[0][0] == "the one rewrite of canonicalize"
    assert "<b>1 rewrite</b>" in event_html(step, None)
    assert "safe: values unchanged" not in event_html(step, 0)


def test_step_drawings_grey_the_untouched_nodes(trace):
    before, after = step_panes(pass_steps(trace)[2], 0)
    drawn = svg_nodes(after)
    assert "added" in drawn[5] and "dimmed" not in drawn[5]
    assert {u for u, css in drawn.items() if "dimmed" in css} == {1, 6}
    assert "− removed" in before and "+ added" in after


def test_pass_steps_survive_json_round_trip(trace):
    again = pass_steps(Trace.from_json(trace.to_json()))
    assert [(s.removed, s.added) for s in again] == \
        [(s.removed, s.added) for s in pass_steps(trace)]


def _replaced_within_the_pass() -> Step:
    """Event 1 adds #5 (sqr of x); event 2 replaces #5 by #7; #4 is re-pointed to #7."""
    x = NodeRecord(1, "x", (), "float64[?]", "x")
    exp = NodeRecord(3, "Elemwise{exp,no_inplace}", (1,), "float64[?]", None)
    out_before = NodeRecord(4, "Elemwise{neg,no_inplace}", (3,), "float64[?]", None)
    mul = NodeRecord(7, "Elemwise{mul,no_inplace}", (1, 1), "float64[?]", None)
    out_after = NodeRecord(4, "Elemwise{neg,no_inplace}", (7,), "float64[?]", None)
    record = PassRecord("specialize", Snapshot((x, exp, out_before), (4,)),
                        Snapshot((x, mul, out_after), (4,)),
                        (RewriteEvent("specialize/a", (3,), (5,), 0.0),
                         RewriteEvent("specialize/b", (5,), (7,), 0.0)), 0.0)
    return step_of(0, record)


def test_an_added_node_replaced_later_shows_what_stands_for_it():
    step = _replaced_within_the_pass()
    assert step.focus(0) == (frozenset({3}), frozenset({7}))
    assert step.survivors(0) == [7] and step.replaced_by(0, 5) == "specialize/b"
    card = event_html(step, 0)
    assert "#5 <i>(replaced later in this pass by <code>specialize/b</code>)" in card
    assert "now shown as" in card and "#7 Elemwise{mul" in card
    assert "overflow-wrap:anywhere" in card


def test_rewired_nodes_are_marked_in_the_after_drawing():
    step = _replaced_within_the_pass()
    assert step.rewired() == frozenset({4})
    _, after = step_pictures(step, None)
    assert after.style.mark[4][2] == "rewired" and after.style.mark[7][2] == "added"


def test_rule_descriptions_are_plain_text():
    assert plain_text("Rewrite ``log(1 + x)`` as :func:`~nbgraph.log1p`,\n  safely.") == \
        "Rewrite log(1 + x) as nbgraph.log1p, safely."
    assert "``" not in rule_info("stabilize/log1p").description
