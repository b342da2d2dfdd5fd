"""Modes: FAST_RUN/FAST_COMPILE, including/excluding, loop guard, DebugMode, NanGuardMode,
optimizer_verbose."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.debugmode import DebugMode, DebugModeError
from nbgraph.compile.function import function
from nbgraph.compile.mode import FAST_COMPILE, FAST_RUN, Mode, get_mode
from nbgraph.compile.nanguardmode import NanGuardError, NanGuardMode
from nbgraph.config import config
from nbgraph.core.op import Op
from nbgraph.rewrite.engine import RewriteLoopError, RuleConflictWarning, RuleSet, rule
from nbgraph.rewrite.pattern import P, x
from nbgraph.rewrite.pipeline import PIPELINE, Pass, Pipeline


def _fired(fn):
    return [e.rule for e in fn.trace.events()]


def test_predefined_modes():
    assert get_mode("FAST_RUN") is FAST_RUN and get_mode("FAST_COMPILE") is FAST_COMPILE
    assert FAST_COMPILE.linker == "py" and FAST_RUN.optimizer == "fast_run"
    assert isinstance(get_mode("DebugMode"), DebugMode)
    assert isinstance(get_mode("NanGuardMode"), NanGuardMode)
    with pytest.raises(ValueError, match="FAST_RUN"):
        get_mode("FASTEST")


def test_fast_compile_runs_only_its_passes():
    v = T.dvector("v")
    fn = function([v], T.exp(v) * 2 + 1, mode="FAST_COMPILE")
    assert {p.name for p in fn.trace.passes} <= {"merge", "constant_fold", "stabilize", "dce"}
    assert not any(r.startswith(("canonicalize/", "fuse_elemwise/")) for r in _fired(fn))
    # stabilize runs: log(1 + v) is log1p(v) (its gradient stays finite at large |v|)
    assert "stabilize/log1p" in _fired(function([v], T.log(1 + v), mode="FAST_COMPILE"))


def test_excluding_pass_and_rule():
    v = T.dvector("v")
    mode = Mode(optimizer="fast_run").excluding("fuse_elemwise", "stabilize/log1p")
    fn = function([v], T.log(1 + v) * 2, mode=mode)
    assert not any(r.startswith(("fuse_elemwise/", "stabilize/log1p")) for r in _fired(fn))
    assert "fuse_elemwise" not in [p.name for p in fn.trace.passes]


def test_including_pass_into_fast_compile():
    v = T.dvector("v")
    fn = function([v], T.log(1 + v), mode=FAST_COMPILE.including("canonicalize"))
    assert "stabilize/log1p" in _fired(fn)
    names = [p.name for p in fn.trace.passes]
    assert names == sorted(names, key=[p.name for p in PIPELINE.passes].index)


def test_unknown_name_rejected():
    with pytest.raises(ValueError, match="pass/rule"):
        FAST_RUN.excluding("stabilize/no_such_rule")


def test_no_optimizer_means_no_trace():
    v = T.dvector("v")
    fn = function([v], T.log(1 + v), mode=Mode(optimizer=None))
    assert fn.trace is None
    assert [str(n.op) for n in fn.maker.fgraph.toposort()][-1] == "Elemwise{log,no_inplace}"


def test_loop_guard_names_rules():
    ping = rule("ping", P.exp(x), lambda x: T.exp(x * 1.0 + 0.0))  # never settles
    pong = rule("pong", P.add(x, 0), lambda x: x + 0.0)
    looping = Pipeline((Pass("looping", RuleSet("looping", (ping, pong)), fixpoint=True),))
    v = T.dvector("v")
    with pytest.warns(RuleConflictWarning, match="looping/pong"), \
            pytest.raises(RewriteLoopError, match="looping/ping"):
        function([v], T.exp(v), mode=Mode(optimizer=looping))


def test_debugmode_names_a_wrong_rule(rng):
    wrong = rule("exp_to_log", P.exp(x), lambda x: T.log(x))   # a rewrite that lies
    bad = Pipeline((Pass("broken", RuleSet("broken", (wrong,))),))
    v = T.dvector("v")
    fn = function([v], T.exp(v), mode=DebugMode(optimizer=bad))
    with pytest.raises(DebugModeError, match="broken/exp_to_log"):
        fn(rng.uniform(1, 2, 3))


def test_debugmode_passes_fast_run(rng):
    v = T.dvector("v")
    out = T.log(1 + T.exp(v)) * 2 + v ** 2 - v / 1
    fn = function([v], out, mode="DebugMode")
    vv = rng.normal(size=5)
    np.testing.assert_allclose(fn(vv), np.log1p(np.exp(vv)) * 2 + vv ** 2 - vv)


class _Scribble(Op):
    """Overwrites its input without declaring destroy_map (a bug DebugMode must catch)."""

    def make_node(self, v):
        from nbgraph.core.graph import Apply
        return Apply(self, [v], [v.type()])

    def perform(self, node, inputs, output_storage):
        inputs[0][...] = 0.0
        output_storage[0][0] = inputs[0].copy()


def test_debugmode_catches_undeclared_destruction():
    v = T.dvector("v")
    fn = function([v], _Scribble()(T.exp(v)), mode=DebugMode(optimizer=None))
    with pytest.raises(DebugModeError, match="destroy_map"):
        fn(np.ones(2))


def test_nanguard_names_node_and_ranges():
    v = T.dvector("v")
    fn = function([v], T.log(v) + 1, mode=NanGuardMode(optimizer=None))
    with pytest.raises(NanGuardError, match=r"(?s)log.*produced nan.*range \[-1\.0, 2\.0\]") as err:
        fn(np.array([-1.0, 2.0]))
    assert "node" in str(err.value)
    np.testing.assert_allclose(fn(np.array([1.0])), [1.0])


def test_nanguard_inf():
    v = T.dvector("v")
    fn = function([v], T.exp(v), mode=NanGuardMode())
    with pytest.raises(NanGuardError, match="inf"):
        fn(np.array([1000.0]))


def test_optimizer_verbose(capsys, monkeypatch):
    monkeypatch.setattr(config, "optimizer_verbose", True)
    v = T.dvector("v")
    function([v], T.log(1 + v))
    printed = capsys.readouterr().out
    assert "optimizer: rewrite stabilize/log1p replaces Elemwise{log,no_inplace}.0" in printed
