"""The pattern DSL: binding, commutativity, constants by value, repeated names, rules."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.rewrite.engine import rule
from nbgraph.rewrite.pattern import P, UnknownPatternOp, Var, match, node_keys, x, y


def test_bind_and_nest():
    a = T.dvector("a")
    bound = match(P.log(P.add(1, x)), T.log(1 + a))
    assert bound == {"x": a}


def test_commutative_from_table_flag():
    a = T.dvector("a")
    assert match(P.add(1, x), a + 1) == {"x": a}
    assert match(P.sub(x, 1), 1 - a) is None   # sub is not commutative
    assert match(P.sub(1, x), 1 - a) == {"x": a}


def test_constants_by_value_through_broadcast_and_fill():
    a = T.dmatrix("a")
    assert match(P.mul(x, 1), a * 1) == {"x": a}   # 1 padded by DimShuffle
    assert match(P.mul(x, 1), a * T.constant(np.ones((1, 1)))) == {"x": a}
    assert match(P.mul(x, 1), a * T.ones_like(a)) == {"x": a}   # fill(a, 1)
    assert match(P.mul(x, 1), a * T.constant(np.array([[1.0, 2.0]]))) is None
    assert match(P.mul(x, 1), a * 2) is None


def test_repeated_name_binds_same_node():
    a, b = T.dvectors("a", "b")
    assert match(P.sub(x, x), a - a) == {"x": a}
    assert match(P.sub(x, x), a - b) is None
    assert match(P.true_div(x, x), T.exp(a) / T.exp(a)) is None  # two nodes until merged


def test_where_and_bind():
    a, i = T.dvector("a"), T.ivector("i")
    floats = Var("f", where=lambda v: v.dtype.startswith("float"))
    assert match(P.add(floats, y), a + i)["f"] is a
    s = T.sum(T.exp(a))
    assert match(P.sum(P.exp(x), bind="s"), s) == {"x": a, "s": s}


def test_op_class_by_name():
    a = T.dmatrix("a")
    assert match(P.dot(x, y), T.dot(a, a)) == {"x": a, "y": a}
    assert match(P.dimshuffle(x), a.T) == {"x": a}
    assert node_keys(T.dot(a, a).owner) == ("dot",)
    assert node_keys(T.exp(a).owner) == ("elemwise", "elemwise:exp")


def test_rule_declines_and_filters_bindings():
    a = T.dvector("a")
    r = rule("demo", P.log(P.add(1, x)), lambda x: None)
    assert r.apply(None, T.log(1 + a).owner) is None
    r = rule("demo", P.log(P.sum(P.exp(x), bind="s")), lambda x: x)
    assert r.apply(None, T.log(T.sum(T.exp(a))).owner) == [a]


def test_rule_needs_op_root():
    with pytest.raises(TypeError, match="root"):
        rule("bad", x, lambda x: x)
    with pytest.raises(TypeError, match="pattern"):
        P.log("a string")


def test_misspelled_op_fails_when_the_pattern_is_built():
    with pytest.raises(UnknownPatternOp, match=r"P\.lgo\(\.\.\.\): no op named 'lgo' "
                                               r"\(did you mean 'log'\?\)") as err:
        P.lgo(P.add(1, x))
    for known in ("log1p", "true_div", "sum", "fill", "softmax", "dimshuffle"):
        assert known in str(err.value)   # the message lists what a pattern may name
    with pytest.raises(UnknownPatternOp, match="'sofmax'"):
        P.sofmax(x)


def test_misspelled_rule_module_fails_at_import(tmp_path):
    source = tmp_path / "bad_rules.py"
    source.write_text("from nbgraph.rewrite.engine import rule\n"
                      "from nbgraph.rewrite.pattern import P, x\n"
                      "BAD = rule('log1p', P.lgo(P.add(1, x)), lambda x: x)\n")
    spec = importlib.util.spec_from_file_location("bad_rules", source)
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(UnknownPatternOp, match="'lgo'"):
        spec.loader.exec_module(module)


def test_op_class_names_any_case():
    a = T.dmatrix("a")
    assert match(P.Dot(x, y), T.dot(a, a)) == {"x": a, "y": a}
    assert P.Softmax(x).key == "softmax"
