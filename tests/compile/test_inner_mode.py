"""Inner graphs (a scan's step, an ifelse's branches) are rewritten as the outer function is:
``mode.excluding(...)``, ``including(...)`` and ``Mode(optimizer=None)`` reach them, differently
rewritten inner functions are never shared, and ``scan(mode=...)`` still wins."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.inner import InnerCompiler, optimizer_key
from nbgraph.compile.mode import Mode, get_default_mode, get_mode
from nbgraph.ops.composite import Composite
from nbgraph.ops.control import IfElse, ifelse
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan
from nbgraph.rewrite.pipeline import PIPELINE


def _node(fn, op_type):
    (node,) = [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, op_type)]
    return node


def _inner(op):
    """The inner functions an op compiled (IfElse keeps (function, positions))."""
    return [v[0] if isinstance(v, tuple) else v for v in op._fns.values()]


def _fused(fn) -> int:
    return sum(isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)
               for n in fn.maker.fgraph.toposort())


def _rnn(mode=None):
    x, w = T.dmatrix("x"), T.dvector("w")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda xt, h, w: T.tanh(xt * w + h * 0.5) + 1, sequences=x,
                 outputs_info=h0, non_sequences=w, mode=mode)
    return [x, w, h0], hs


def _numpy_rnn(xv, wv, hv):
    out = []
    for xt in xv:
        hv = np.tanh(xt * wv + hv * 0.5) + 1
        out.append(hv)
    return np.array(out)


@pytest.mark.parametrize("linker", ["c", "py"])
def test_excluding_fusion_reaches_the_scan_step(linker, rng):
    inputs, hs = _rnn()
    default = Mode(linker, "fast_run")
    f = function(inputs, hs, mode=default)
    g = function(inputs, hs, mode=default.excluding("fusion"))
    vals = [rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)]
    want = _numpy_rnn(*vals)
    np.testing.assert_allclose(f(*vals), want, rtol=1e-13)
    np.testing.assert_array_equal(g(*vals), f(*vals))
    (fused_step,) = _inner(_node(f, Scan).op)
    (step,) = [s for s in _inner(_node(g, Scan).op) if s is not fused_step]
    assert _fused(fused_step) >= 1
    assert _fused(step) == 0 and len(step.maker.fgraph.toposort()) > 1


def test_no_optimizer_reaches_the_step_and_scan_mode_still_wins(rng):
    inputs, hs = _rnn()
    vals = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)]
    f = function(inputs, hs, mode=Mode("c", None))
    np.testing.assert_allclose(f(*vals), _numpy_rnn(*vals), rtol=1e-13)
    (step,) = _inner(_node(f, Scan).op)
    assert step.maker.mode.optimizer is None and step.maker.mode.linker == "c"
    assert _fused(step) == 0
    # the scan's own mode wins over the outer one, whatever that one excludes
    inputs, hs = _rnn(mode=Mode("py", "fast_run"))
    g = function(inputs, hs, mode=get_default_mode().excluding("fusion"))
    np.testing.assert_allclose(g(*vals), _numpy_rnn(*vals), rtol=1e-13)
    (inner,) = _inner(_node(g, Scan).op)
    assert inner.maker.mode.linker == "py" and inner.maker.mode.optimizer == "fast_run"
    assert _fused(inner) >= 1


def test_ifelse_branches_follow_the_outer_rewrites():
    c, x = T.iscalar("c"), T.dvector("x")
    out = ifelse(c, T.exp(x) * 2 + 1, x * 3)
    f = function([c, x], out, mode=Mode("c", "fast_run").excluding("fusion"))
    np.testing.assert_allclose(f(1, [0.0, 1.0]), [3.0, 2 * np.e + 1], rtol=1e-14)
    (branch,) = _inner(_node(f, IfElse).op)
    assert _fused(branch) == 0
    g = function([c, x], out, mode=Mode("c", "fast_run"))
    np.testing.assert_array_equal(g(1, [0.0, 1.0]), f(1, [0.0, 1.0]))
    assert [_fused(b) for b in _inner(_node(g, IfElse).op)] == [0, 1]


def test_the_key_names_the_rewrites():
    def key(optimizer):
        return InnerCompiler("c", function, get_mode, optimizer=optimizer).key
    assert key("fast_run") == key(PIPELINE)  # a name and the pipeline it names
    assert key(PIPELINE.excluding("fuse_elemwise")) == key(PIPELINE.excluding("fuse_elemwise"))
    assert len({key("fast_run"), key(None), key("fast_compile"),
                key(PIPELINE.excluding("fuse_elemwise"))}) == 4
    assert InnerCompiler("c", function, lambda: Mode("c", None)).key == key(None)
    assert optimizer_key("none") is None
