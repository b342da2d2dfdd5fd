"""fuse_elemwise: connected elementwise subgraphs become one Elemwise{Composite} node."""

from __future__ import annotations

import numpy as np
from rewrite_helpers import op_names, reference, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.pipeline import PIPELINE

FUSE_ONLY = Mode(optimizer=PIPELINE.only("fuse_elemwise"))


def test_fuse_elemwise(check_rule):
    x, y = T.dvectors("x", "y")
    fn = check_rule("fuse_elemwise/fuse_elemwise", lambda x, y: x + T.exp(y), ["Composite"],
                    [x, y])
    assert str(fn.maker.fgraph.outputs[0].owner.op) == "Elemwise{Composite{(i0 + exp(i1))}}"


def test_fuse_inlines_scalar_constants_and_chains_nary(rng):
    x, y, z = T.dmatrices("x", "y", "z")
    out = T.mul(T.sin(x), y, z) * 2
    fn = function([x, y, z], out, mode=FUSE_ONLY)
    assert op_names(fn.maker.fgraph) == ["Composite"]
    values = [rng.normal(size=(2, 3)) for _ in range(3)]
    np.testing.assert_allclose(fn(*values), reference([x, y, z], out, values), rtol=1e-12)


def test_fuse_stops_at_shared_intermediate(rng):
    x = T.dvector("x")
    shared = T.exp(x)  # read by two outputs: it must stay a node of its own
    outs = [T.sin(shared) + 1, shared * 3]
    fn = function([x], outs, mode=FUSE_ONLY)
    assert op_names(fn.maker.fgraph).count("exp") == 1
    values = [rng.normal(size=5)]
    for got, want in zip(fn(*values), reference([x], outs, values), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_fuse_broadcasting_and_dtypes(rng):
    x, row = T.fmatrix("x"), T.drow("row")
    out = T.exp(x) * T.cast(row, "float32") + 1
    fn = function([x, row], out, mode=FUSE_ONLY)
    assert op_names(fn.maker.fgraph) == ["Composite"]
    values = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(1, 4))]
    got = fn(*values)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference([x, row], out, values), rtol=1e-6)


def test_single_node_not_fused():
    x = T.dvector("x")
    fn = function([x], T.exp(x), mode=FUSE_ONLY)
    assert rules_fired(fn) == []


def test_fused_graph_differentiates(rng):
    from nbgraph.core.gradient import grad
    x = T.dvector("x")
    fn = function([x], x + T.exp(x), mode=FUSE_ONLY)
    fused = fn.maker.fgraph.outputs[0]
    (g,) = grad(T.sum(fused), [fn.maker.fgraph.inputs[0]])
    gfn = function([fn.maker.fgraph.inputs[0]], g)
    xv = rng.normal(size=4)
    np.testing.assert_allclose(gfn(xv), 1 + np.exp(xv))


def test_fuse_keeps_alloc_as_an_input(rng):
    # alloc(2.0, n) holds one number but carries a shape: it must be a group input, not an
    # inlined 2.0 (the Composite would then have no length-n input, and fusion declined)
    v, s = T.dvector("v"), T.dscalar("s")
    out = T.exp(T.alloc(2.0, v.shape[0]) * s)
    for mode in (FUSE_ONLY, Mode()):
        fn = function([v, s], out, mode=mode)
        elemwise = [n for n in fn.maker.fgraph.toposort() if type(n.op).__name__ == "Elemwise"]
        assert len(elemwise) == 1 and str(elemwise[0].op).startswith("Elemwise{Composite{")
        assert "Alloc" in op_names(fn.maker.fgraph)
        np.testing.assert_allclose(fn(np.zeros(3), 1.5), np.exp(np.full(3, 2.0) * 1.5),
                                   rtol=1e-15)


def test_fused_gradient_nodes_stay_backward():
    # memory() and the liveness drawing tell backward nodes by ``tag.grad_of``: a fused
    # loop of gradient nodes keeps it; one mixing forward and backward nodes says so
    x = T.dvector("x")
    fn = function([x], T.grad(T.sqr(T.sin(x) * 3).sum(), x), mode=FUSE_ONLY)
    fused = {n: getattr(n.tag, "grad_of", None) for n in fn.maker.fgraph.toposort()
             if "Composite" in str(n.op)}
    backward = fn.maker.fgraph.outputs[0].owner    # the seed and the chain rule's products
    assert len(fused) == 2 and "second" in str(backward.op) and fused[backward] is not None
    assert [g for n, g in fused.items() if n is not backward] == [None]   # sin(x) * 3
    np.testing.assert_allclose(fn(np.array([0.3, -1.2])),
                               18 * np.sin([0.3, -1.2]) * np.cos([0.3, -1.2]), rtol=1e-12)
    for tagged, mixed in ((("z",), True), (("y", "z"), False)):
        y = T.sin(x)
        z = y * 3
        for var in (y, z) if len(tagged) == 2 else (z,):   # as if made by grad
            var.owner.tag.grad_of = y.owner.uid
        (node,) = function([x], z, mode=FUSE_ONLY).maker.fgraph.toposort()
        assert "Composite" in str(node.op)
        assert getattr(node.tag, "grad_mixed", False) is mixed
        assert (getattr(node.tag, "grad_of", None) is None) is mixed
