"""``why_not`` and ``bisect`` inside inner graphs: a scan's step and an ifelse's branches are
compiled with their own rewrites, which the replay asks about too."""

from __future__ import annotations

import numpy as np
from test_replay import BROKEN

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode, get_mode
from nbgraph.ifelse import ifelse


def _scan(step):
    v = T.dvector("v")
    out, _ = nbgraph.scan(step, sequences=[v], outputs_info=[T.constant(0.5)])
    fn = function([v], out)
    (scan,) = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "Scan"]
    return fn, scan


def test_why_not_asks_inside_a_scan_step():
    # log(1 + exp(.)) written as a subtraction inside the step: log1p's pattern sees a sub
    fn, scan = _scan(lambda s, h: T.log(T.exp(s * h) - (-1.0)))
    answers = fn.why_not("stabilize/log1p")
    inside = [w for w in answers if w.inside]
    assert inside and {w.inside for w in inside} == {f"Scan #{scan.uid}'s step"}
    (mismatch,) = [w for w in inside if w.after_pass == "merge"]
    assert "expected add(...), found Elemwise{sub" in mismatch.reason
    assert str(mismatch).startswith(f"in Scan #{scan.uid}'s step, after merge: node ")
    assert not [w for w in answers if not w.inside]   # the outer graph has no log at all


def test_why_not_inside_says_when_the_rule_fired_there():
    fn, scan = _scan(lambda s, h: T.log(1 + T.exp(s * h)))
    reasons = [w.reason for w in fn.why_not("stabilize/log1p") if w.inside]
    assert reasons[0] == "matches: the rule's pass 'stabilize' has not run yet"
    assert "the rule fired here" in reasons
    value = np.array([1.0, -2.0, 3.0])
    h, want = 0.5, []
    for s in value:
        h = np.log1p(np.exp(s * h))
        want.append(h)
    np.testing.assert_allclose(fn(value), want, rtol=1e-12)


def test_why_not_asks_inside_both_ifelse_branches():
    a, b = T.dvectors("a", "b")
    c = T.dscalar("c")
    out = ifelse(T.gt(c, 0), T.log(T.exp(a) - (-1.0)), T.log(1 + T.exp(b)))
    fn = function([c, a, b], out)
    (node,) = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "IfElse"]
    answers = [w for w in fn.why_not("stabilize/log1p") if w.inside]
    by_side = {side: [w.reason for w in answers if w.inside == f"IfElse #{node.uid}'s {side}"]
               for side in ("then", "else")}
    assert any("found Elemwise{sub" in r for r in by_side["then"])
    assert "the rule fired here" in by_side["else"]
    assert "the rule fired here" not in by_side["then"]


def test_bisect_finds_a_rewrite_inside_a_scan_step():
    # the step's own compile (the scan's mode) has the lying exp -> log rule; the outer
    # function's rewrites keep values, so bisect goes on into the step
    v = T.dvector("v")
    out, _ = nbgraph.scan(lambda s, h: T.exp(h) * 0.5 + s, sequences=[v],
                          outputs_info=[T.constant(0.5)], mode=Mode(optimizer=BROKEN))
    fn = function([v], out)
    (scan,) = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "Scan"]
    value = np.array([1.0, 2.0, -1.0])
    right, wrong, h = [], [], 0.5
    for s in value:
        right.append(np.exp(right[-1] if right else h) * 0.5 + s)
        wrong.append(np.log(wrong[-1] if wrong else h) * 0.5 + s)
    np.testing.assert_allclose(fn(value), wrong, rtol=1e-12)   # what the user sees
    found = fn.bisect(value)
    assert found is not None and found.rule == "broken/exp_to_log"
    assert found.inside == f"Scan #{scan.uid}'s step" and str(found).startswith("in Scan #")
    np.testing.assert_allclose(found.before, right, rtol=1e-12)
    np.testing.assert_allclose(found.after, wrong, rtol=1e-12)
    assert not [k for k in scan.op._fns if "bisect" in str(k)]   # no swapped step left
    np.testing.assert_allclose(fn(value), wrong, rtol=1e-12)


def test_bisect_inside_is_none_when_the_step_keeps_values():
    fn, _ = _scan(lambda s, h: T.log(1 + T.exp(s * h)) * 2)
    assert fn.bisect(np.array([0.5, -3.0, 2.0])) is None


def test_why_not_labels_an_ifelse_inside_a_scan_step():
    def step(s, h):
        return ifelse(T.gt(s, 0), T.log(T.exp(s * h) - (-1.0)), h * 2)

    fn, scan = _scan(step)
    answers = [w for w in fn.why_not("stabilize/log1p") if w.inside]
    assert answers and all(w.inside.startswith(f"Scan #{scan.uid}'s step > IfElse #")
                           and w.inside.endswith("'s then") for w in answers)
    assert any("found Elemwise{sub" in w.reason for w in answers)
    value = np.array([1.0, -1.0, 2.0])
    h, want = 0.5, []
    for s in value:
        h = np.log1p(np.exp(s * h)) if s > 0 else h * 2
        want.append(h)
    np.testing.assert_allclose(fn(value), want, rtol=1e-12)


def test_bisect_inside_replays_the_outer_optimizer():
    # no mode of the scan's own: the step is compiled with the outer function's rewrites
    # (the lying exp -> log rule among them), so its replay must run those, not the default's
    v = T.dvector("v")
    out, _ = nbgraph.scan(lambda s, h: T.exp(h) * 0.5 + s, sequences=[v],
                          outputs_info=[T.constant(0.5)])
    fn = function([v], out, mode=Mode(optimizer=BROKEN))
    (scan,) = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "Scan"]
    value = np.array([1.0, 2.0, -1.0])
    right, wrong = [], []
    for s in value:
        right.append(np.exp(right[-1] if right else 0.5) * 0.5 + s)
        wrong.append(np.log(wrong[-1] if wrong else 0.5) * 0.5 + s)
    np.testing.assert_allclose(fn(value), wrong, rtol=1e-12)   # the step did run the rule
    found = fn.bisect(value)
    assert found is not None and found.rule == "broken/exp_to_log"
    assert found.inside == f"Scan #{scan.uid}'s step"
    np.testing.assert_allclose(found.before, right, rtol=1e-12)
    np.testing.assert_allclose(found.after, wrong, rtol=1e-12)


def test_why_not_inside_replays_the_outer_optimizer():
    def step(s, h):
        return T.exp(s * h) * T.sin(h)   # an elementwise chain fusion would fuse

    fused, _ = _scan(step)
    assert "the rule fired here" in [w.reason for w in fused.why_not(
        "fuse_elemwise/fuse_elemwise") if w.inside]
    v = T.dvector("v")
    out, _ = nbgraph.scan(step, sequences=[v], outputs_info=[T.constant(0.5)])
    fn = function([v], out, mode=get_mode(None).excluding("fuse_elemwise"))
    (scan,) = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "Scan"]
    inside = [w for w in fn.why_not("fuse_elemwise/fuse_elemwise") if w.inside]
    assert inside and {w.inside for w in inside} == {f"Scan #{scan.uid}'s step"}
    assert "the rule fired here" not in [w.reason for w in inside]
    assert inside[0].reason.startswith("the rule is switched off in the mode this graph was "
                                       "compiled with (Pipeline(")
    assert "matches: the rule's pass 'fuse_elemwise' has not run yet" in [
        w.reason for w in inside[1:]]
    value = np.array([1.0, -1.0, 2.0])
    h, want = 0.5, []
    for s in value:
        h = np.exp(s * h) * np.sin(h)
        want.append(h)
    np.testing.assert_allclose(fn(value), want, rtol=1e-12)
