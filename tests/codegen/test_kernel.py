"""Lowering nodes to the kernel IR."""

from __future__ import annotations

import pytest

import nbgraph.tensor as T
from nbgraph.codegen.kernel import NotCompilable, Stmt, lower_elemwise, lower_reduce
from nbgraph.core.types import TensorType


def test_a_table_row_is_one_statement():
    x = T.dvector("x")
    node = T.exp(x).owner
    k = lower_elemwise(node, "k0")
    assert k.body == (Stmt(f"t{node.uid}", "exp", ("i0",), node.uid, "float64",
                           node.op.scalar_op, None, ("float64",)),)
    assert k.results == (f"t{node.uid}",)
    assert [a.name for a in k.inputs] == ["i0"]


def test_scalar_inputs_are_marked_broadcast():
    x = T.dmatrix("x")
    node = (x * 2.0).owner
    k = lower_elemwise(node, "k0")
    assert [a.scalar for a in k.inputs] == [False, True]


def test_reduction_with_prologue_reads_the_prologue_inputs():
    x, y = T.dmatrices("x", "y")
    prod = T.exp(x) * y
    total = T.sum(prod, axis=1)
    k = lower_reduce(total.owner, "k1", prod.owner)
    assert k.reduce.kind == "sum" and k.reduce.axes == (1,)
    assert [a.name for a in k.inputs] == ["i0", "i1"]


def test_float32_sums_accumulate_in_double():
    x = T.fvector("x")
    k = lower_reduce(T.sum(x).owner, "k0")
    assert k.reduce.acc_dtype == "float64"


def test_unsupported_dtypes_are_not_compiled():
    z = TensorType("complex128", shape=(None,))("z")
    with pytest.raises(NotCompilable):
        lower_elemwise((z + z).owner, "k0")
