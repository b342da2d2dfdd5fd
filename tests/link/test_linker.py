"""Linkers by name (the table nbgraph.gpu adds to) and the InnerCompiler they lend Scan and
IfElse: inner graphs run on the outer function's linker, against NumPy in float64."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.debugmode import DebugMode
from nbgraph.compile.function import function
from nbgraph.compile.inner import InnerCompiler
from nbgraph.compile.mode import Mode, get_mode
from nbgraph.link import registry as linkers
from nbgraph.link.linker import PythonLinker
from nbgraph.link.registry import get_linker, register_linker
from nbgraph.ops.control import IfElse, ifelse
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan


def nodes_of(fn, op_type):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, op_type)]


def inner_functions(op):
    # Scan caches functions; IfElse caches (function, positions of the inputs it reads)
    return [v[0] if isinstance(v, tuple) else v for v in op._fns.values()]


def recurrence():
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = scan(lambda xt, h: T.tanh(xt + h) * 0.5, sequences=x, outputs_info=h0)
    return [x, h0], out


def numpy_recurrence(xv, h):
    out = []
    for v in xv:
        h = np.tanh(v + h) * 0.5
        out.append(h)
    return np.array(out)


def test_linkers_by_name_and_a_clear_error():
    assert isinstance(get_linker("py"), PythonLinker)
    assert get_linker(PythonLinker()) is not None
    with pytest.raises(ValueError, match="unknown linker 'nope'.*'cuda'"):
        get_linker("nope")


def test_register_linker(monkeypatch):
    monkeypatch.setattr(linkers, "LINKERS", dict(linkers.LINKERS))  # undone after the test
    with pytest.raises(ValueError, match="unknown linker 'mine'"):
        get_linker("mine")
    register_linker(("mine",), PythonLinker)
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x), mode=Mode("mine", None))
    np.testing.assert_allclose(f(np.zeros(2)), [1.0, 1.0])


def test_scan_step_runs_on_the_outer_linker(linker, rng):
    inputs, out = recurrence()
    f = nbgraph.function(inputs, out, mode=Mode(linker, "fast_run"))
    xv = rng.normal(size=5)
    np.testing.assert_allclose(f(xv, 0.3), numpy_recurrence(xv, 0.3))
    (node,) = nodes_of(f, Scan)
    key = InnerCompiler(get_linker(linker), function, lambda: get_mode(None)).key
    assert node.op._fns[key].maker.mode.linker == linker


def test_scan_mode_argument_wins():
    x = T.dvector("x")
    out, _ = scan(lambda xt: xt * 2, sequences=x, mode=Mode("py", None))
    f = nbgraph.function([x], out, mode=Mode("c", "fast_run"))
    np.testing.assert_allclose(f(np.arange(3.0)), [0.0, 2.0, 4.0])
    (node,) = nodes_of(f, Scan)
    (inner,) = inner_functions(node.op)
    assert inner.maker.mode.linker == "py" and inner.maker.mode.optimizer is None


def test_ifelse_branches_compile_on_the_outer_linker_when_taken():
    c, x = T.iscalar("c"), T.dvector("x")
    f = nbgraph.function([c, x], ifelse(c, T.exp(x), x * 3), mode=Mode("py", "fast_run"))
    np.testing.assert_allclose(f(1, [0.0, 1.0]), [1.0, np.e])
    (node,) = nodes_of(f, IfElse)
    assert [k[1] for k in node.op._fns] == [True]   # the else branch was never compiled
    assert all(fn.maker.mode.linker == "py" for fn in inner_functions(node.op))


def test_debugmode_checks_scan_against_its_reference(rng):
    inputs, out = recurrence()
    grad = nbgraph.grad(out.sum(), inputs[0])
    f = nbgraph.function(inputs, [out, grad], mode=DebugMode())
    xv = rng.normal(size=4)
    value, g = f(xv, 0.1)
    np.testing.assert_allclose(value, numpy_recurrence(xv, 0.1))
    eps = 1e-6
    numeric = [(numpy_recurrence(xv + eps * e, 0.1).sum()
                - numpy_recurrence(xv - eps * e, 0.1).sum()) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(g, numeric, rtol=1e-6)


def test_a_scan_of_constants_folds_without_compiling():
    out, _ = scan(lambda xt, h: h * 2 + xt, sequences=T.constant(np.arange(4.0)),
                  outputs_info=T.constant(1.0))
    f = nbgraph.function([], out)
    np.testing.assert_allclose(f(), [2.0, 5.0, 12.0, 27.0])
    assert not nodes_of(f, Scan)
