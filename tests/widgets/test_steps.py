"""The trace-to-view mapping: each pass step highlights exactly the uids of its events."""

from __future__ import annotations

from widget_fixtures import END, START, make_trace, svg_nodes

from nbgraph.compile.rewrite.trace import Trace
from nbgraph.widgets.passes import rules_html, step_panes
from nbgraph.widgets.steps import pass_steps, step_summary


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
    assert "specialize/exp_to_sqr" in html and "#5 #6" in html and ">2<" in html
    assert "changed nothing" in rules_html(pass_steps(trace)[1])


def test_pass_steps_survive_json_round_trip(trace):
    again = pass_steps(Trace.from_json(trace.to_json()))
    assert [(s.removed, s.added) for s in again] == \
        [(s.removed, s.added) for s in pass_steps(trace)]
