"""DebugMode checks what FAST_RUN really runs (C kernels, fused loops, reductions with their
prologue folded in) against the NumPy reference, naming the node and the rule that made it."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.codegen.c_render import CStyleRenderer
from nbgraph.codegen.kernel import Stmt
from nbgraph.compile.debugmode import DebugMode, DebugModeError
from nbgraph.compile.function import function
from nbgraph.link.c_linker import CLinker
from nbgraph.link.kernel_linker import fused_prologue

pytest.importorskip("cffi")


class _OffByOneExp(CStyleRenderer):
    """A deliberately broken C renderer: every ``exp`` it emits is ``exp(x) + 1``."""

    def statement(self, stmt: Stmt) -> str:
        text = super().statement(stmt)
        if stmt.scalar_name == "exp":
            lhs, rhs = text.split(" = ", 1)
            expr, comment = rhs.split(";", 1)
            return f"{lhs} = ({expr}) + 1;{comment}"
        return text


def _broken_linker() -> CLinker:
    return CLinker(renderer=_OffByOneExp())


def test_debugmode_runs_the_c_linker_by_default(rng):
    v = T.dvector("v")
    fn = function([v], T.exp(v) * 2 + T.sin(v), mode=DebugMode())
    assert fn.maker.mode.linker.inner == "c"
    assert any("Composite" in str(n.op) for n in fn.maker.fgraph.apply_nodes)
    assert any("{" in text and "for (" in text for text in fn.source.values())  # C ran
    value = rng.normal(size=7)
    np.testing.assert_allclose(fn(value), np.exp(value) * 2 + np.sin(value), rtol=1e-12)


def test_debugmode_catches_a_broken_c_kernel_in_a_fused_loop(rng):
    v = T.dvector("v")
    out = T.exp(v) * 2 + T.sin(v)
    fn = function([v], out, mode=DebugMode(linker=_broken_linker()))
    with pytest.raises(DebugModeError, match=r"(?s)node \d+ \(Elemwise\{Composite.*made by "
                                             r"rule fuse_elemwise.*as the c linker runs it: "
                                             r"output 0 differs from the NumPy reference: "
                                             r"[-.\d]+ instead of [-.\d]+ at index \(0,\)"):
        fn(rng.normal(size=5))


def test_debugmode_catches_a_broken_kernel_without_fusion(rng):
    v = T.dvector("v")
    fn = function([v], T.exp(v), mode=DebugMode(optimizer=None, linker=_broken_linker()))
    with pytest.raises(DebugModeError, match=r"Elemwise\{exp,no_inplace\}, from the user's "
                                             r"graph\) as the c linker runs it: output 0 "
                                             r"differs"):
        fn(rng.normal(size=3))


def test_debugmode_checks_a_reduction_with_its_folded_prologue(rng):
    m = T.dmatrix("m")
    out = T.sum(T.exp(m) * 3, axis=1)
    good = function([m], out, mode=DebugMode())
    nodes = good.maker.fgraph.apply_nodes
    value = rng.normal(size=(4, 6))
    np.testing.assert_allclose(good(value), (np.exp(value) * 3).sum(axis=1), rtol=1e-12)
    bad = function([m], out, mode=DebugMode(linker=_broken_linker()))
    assert any("Composite" in str(n.op) for n in nodes), "the test needs a fused prologue"
    with pytest.raises(DebugModeError, match=r"(?s)node \d+ \(Sum\{axis=\[1\].*with node "
                                             r"\d+ \(Elemwise\{Composite.*folded into its "
                                             r"kernel"):
        bad(value)


def test_the_c_linker_folds_the_prologue_the_test_relies_on():
    m = T.dmatrix("m")
    fn = function([m], T.sum(T.exp(m) * 3, axis=1), mode="FAST_RUN")
    assert fused_prologue in fn.vm.thunks
