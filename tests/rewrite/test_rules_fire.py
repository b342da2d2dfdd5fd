"""Every rule of the default pipeline fires on some graph (no dead rules): compiled in the
default mode (FAST_RUN: the C linker), the trace names the rule and the values agree with
NumPy in float64. The rules are listed from ``PIPELINE``, so a new rule without a graph in
``GRAPHS`` fails here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode, get_mode
from nbgraph.core.fgraph import OUTPUT, FunctionGraph
from nbgraph.core.gradient import grad
from nbgraph.core.shared import SharedVariable, shared
from nbgraph.ops import nnet
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import cast_spec
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.info import ScanInfo
from nbgraph.ops.scan.op import Scan
from nbgraph.rewrite.pipeline import PIPELINE, find_rule


@dataclass
class Graph:
    """Inputs, outputs and their values, what NumPy says the outputs (and the shared
    variables after the updates) are."""

    inputs: list[Any]
    outputs: list[Any]
    values: list[np.ndarray]
    expected: list[np.ndarray]
    updates: list[tuple[SharedVariable, Any]] = field(default_factory=list)
    updated: list[np.ndarray] = field(default_factory=list)


Maker = Callable[[np.random.Generator], Graph]


def _matrix(build: Callable[[Any], Any], numpy: Callable[[np.ndarray], Any]) -> Maker:
    """``build(x)`` for one float64 matrix ``x`` in (0.1, 0.9), checked against ``numpy``."""
    def make(rng: np.random.Generator) -> Graph:
        x, value = T.dmatrix("x"), rng.uniform(0.1, 0.9, (3, 4))
        return Graph([x], [build(x)], [value], [numpy(value)])

    return make


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


def _logits_and_labels(build: Callable[[Any, Any], Any],
                       numpy: Callable[[np.ndarray, np.ndarray], Any]) -> Maker:
    def make(rng: np.random.Generator) -> Graph:
        x, labels = T.dmatrix("x"), T.ivector("labels")
        values = [rng.normal(size=(3, 4)), np.array([0, 3, 1], dtype="int32")]
        return Graph([x, labels], [build(x, labels)], values, [numpy(*values)])

    return make


def _crossentropy(v: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return -np.log(_softmax(v)[np.arange(len(labels)), labels])


def _crossentropy_grad(v: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return _softmax(v) - np.eye(v.shape[1])[labels]


def _gemm(rng: np.random.Generator) -> Graph:
    z, a, b = T.dmatrices("z", "a", "b")
    values = [rng.normal(size=(3, 4)), rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    return Graph([z, a, b], [z + T.dot(a, b)], values, [values[0] + values[1] @ values[2]])


def _matrix_vector(rng: np.random.Generator) -> Graph:
    a, v = T.dmatrix("a"), T.dvector("v")
    values = [rng.normal(size=(3, 5)), rng.normal(size=5)]
    return Graph([a, v], [T.dot(a, v)], values, [values[0] @ values[1]])


def _gemv_update(rng: np.random.Generator) -> Graph:
    """y <- 2 * y + 0.5 * a @ v with Theano's Gemv: the update may overwrite y's buffer
    (specialize's own gemv has beta 0 and a constant y, nothing to overwrite)."""
    from nbgraph.ops.blas import gemv_no_inplace
    y0 = rng.normal(size=3)
    y = shared(y0.copy(), name="y")
    a, v = T.dmatrix("a"), T.dvector("v")
    values = [rng.normal(size=(3, 5)), rng.normal(size=5)]
    return Graph([a, v], [T.sum(a)], values, [values[0].sum()],
                 [(y, gemv_no_inplace(y, 0.5, a, v, 2.0))],
                 [2 * y0 + 0.5 * values[0] @ values[1]])


def _inline_graph(rng: np.random.Generator) -> Graph:
    from nbgraph.compile.builders import OpFromGraph
    a, b = T.dmatrices("a", "b")
    op = OpFromGraph([a, b], [a * 2 + b], inline=True)
    values = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4))]
    return Graph([a, b], [op(a, b)], values, [2 * values[0] + values[1]])


def _exp_of_dot(rng: np.random.Generator) -> Graph:
    a, b = T.dmatrices("a", "b")
    values = [rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    return Graph([a, b], [T.exp(T.dot(a, b))], values, [np.exp(values[0] @ values[1])])


def _sgd_step(rng: np.random.Generator) -> Graph:
    """W <- W - 0.1 * a @ b: the update is a Gemm that may overwrite W's own buffer."""
    w0 = rng.normal(size=(3, 4))
    w = shared(w0.copy(), name="W")
    a, b = T.dmatrices("a", "b")
    values = [rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    return Graph([a, b], [T.sum(a)], values, [values[0].sum()],
                 [(w, w - 0.1 * T.dot(a, b))], [w0 - 0.1 * values[0] @ values[1]])


def _hand_scan(step: Callable[[Any, Any], Any]) -> Any:
    """``x`` -> a Scan built by hand (as gradient loops are): 3 steps, ``x[0]`` the initial
    state, ``x`` itself a non-sequence, ``step(state, x)`` on inner placeholders."""

    def build(x: Any) -> Any:
        h, w = T.dvector("h"), T.dmatrix("w")
        info = ScanInfo((), ((-1,),), 0, 1)
        return Scan([h, w], [step(h, w)], info)(T.constant(3, dtype="int64"), x[:1], x)

    return build


def _row_total(x: Any) -> Any:
    """The total of exp(row) over x's rows, accumulated by a hand-built Scan that keeps its
    last value only (as a gradient loop's accumulators)."""
    row, acc = T.dvector("row"), T.dvector("acc")
    info = ScanInfo(((0,),), ((-1,),), 0, 0, last_only=(0,))
    return Scan([row, acc], [acc + T.exp(row)], info)(
        T.constant(-1, dtype="int64"), x, T.zeros_like(x[:1]))


def _scan_over_rows(step: Callable[..., Any], n_outputs: int = 1) -> Callable[[Any], Any]:

    def build(x: Any) -> Any:
        outs, _ = scan(step, sequences=x, outputs_info=[None] * n_outputs)
        return outs[0] if n_outputs > 1 else outs

    return build


def _repeat(v: np.ndarray, step: Callable[[np.ndarray], np.ndarray], n: int = 3) -> np.ndarray:
    states, state = [], v[0]
    for _ in range(n):
        state = step(state)
        states.append(state)
    return np.array(states)


ONES = np.ones(4)

# rule -> a graph it fires on (most are the rule's own tests' graphs, on a matrix)
GRAPHS: dict[str, Maker] = {
    "merge/merge_constants": _matrix(lambda x: (x + T.constant(ONES)) * T.constant(ONES),
                                     lambda v: v + 1),
    "merge/merge_nodes": _matrix(lambda x: T.exp(x) + T.exp(x), lambda v: 2 * np.exp(v)),
    "constant_fold/fold_constants": _matrix(lambda x: x + T.exp(T.constant(ONES)),
                                            lambda v: v + np.e),
    "canonicalize/mul_one": _matrix(lambda x: T.exp(x) * 1, np.exp),
    "canonicalize/add_zero": _matrix(lambda x: 0 + T.exp(x), np.exp),
    "canonicalize/sub_zero": _matrix(lambda x: T.exp(x) - 0, np.exp),
    "canonicalize/sub_self": _matrix(lambda x: x - x, np.zeros_like),
    "canonicalize/neg_neg": _matrix(lambda x: T.neg(T.neg(T.exp(x))), np.exp),
    "canonicalize/div_one": _matrix(lambda x: T.exp(x) / 1, np.exp),
    "canonicalize/pow_one": _matrix(lambda x: T.exp(x) ** 1, np.exp),
    "canonicalize/add_neg": _matrix(lambda x: T.exp(x) + (-x), lambda v: np.exp(v) - v),
    "canonicalize/sub_neg": _matrix(lambda x: T.exp(x) - (-x), lambda v: np.exp(v) + v),
    "canonicalize/div_self": _matrix(lambda x: x / x, np.ones_like),
    "canonicalize/mul_zero": _matrix(lambda x: x * 0, np.zeros_like),
    "canonicalize/cast_same": _matrix(lambda x: Elemwise(cast_spec("float64"))(x), np.copy),
    "canonicalize/fill_useless": _matrix(lambda x: T.fill(x, T.exp(x)), np.exp),
    "canonicalize/flatten_add": _matrix(lambda x: (x + T.exp(x)) + T.sin(x),
                                        lambda v: v + np.exp(v) + np.sin(v)),
    "canonicalize/flatten_mul": _matrix(lambda x: (x * T.exp(x)) * T.sin(x),
                                        lambda v: v * np.exp(v) * np.sin(v)),
    "canonicalize/drop_neutral": _matrix(lambda x: T.add(x, 0, T.exp(x)),
                                         lambda v: v + np.exp(v)),
    "canonicalize/dimshuffle_dimshuffle": _matrix(lambda x: T.exp(x.T.T), np.exp),
    "canonicalize/useless_dimshuffle": _matrix(lambda x: T.exp(x.dimshuffle(0, 1)), np.exp),
    "canonicalize/useless_reshape": _matrix(lambda x: T.exp(x.reshape(x.shape, ndim=2)),
                                            np.exp),
    "canonicalize/sum_sum": _matrix(lambda x: T.sum(T.sum(x, axis=1), axis=0), np.sum),
    "canonicalize/mul_div_cancel": _matrix(lambda x: T.exp(x) * T.sin(x) / T.exp(x), np.sin),
    "canonicalize/mul_div_cancel_any": _matrix(lambda x: x * T.sin(x) / x, np.sin),
    "canonicalize/shape_to_shape_i": _matrix(lambda x: T.exp(x).shape,
                                             lambda v: np.array(v.shape)),
    "canonicalize/shape_i_infer": _matrix(lambda x: T.alloc(0.0, x.shape[0] + 1, 3).shape[0],
                                          lambda v: v.shape[0] + 1),
    "canonicalize/make_vector_constant": _matrix(lambda x: (T.specify_shape(x, (3, 4)) * 2).shape,
                                                 lambda v: np.array([3, 4])),
    "canonicalize/fill_shape_from_input": _matrix(lambda x: T.fill(T.exp(x), 2.0),
                                                  lambda v: np.full_like(v, 2.0)),
    "canonicalize/subtensor_merge": _matrix(lambda x: x[1:][1:], lambda v: v[2:]),
    "canonicalize/useless_subtensor": _matrix(lambda x: T.exp(x)[:, 0:], np.exp),
    "canonicalize/log_exp": _matrix(lambda x: T.log(T.exp(x)) * 2, lambda v: 2 * v),
    "canonicalize/log1p_expm1": _matrix(lambda x: T.log1p(T.expm1(x)) * 2, lambda v: 2 * v),
    "stabilize/sigmoid": _matrix(lambda x: 1 / (1 + T.exp(-x)),
                                 lambda v: 1 / (1 + np.exp(-v))),
    "stabilize/one_minus_sigmoid": _matrix(lambda x: 1 - T.sigmoid(x),
                                           lambda v: 1 / (1 + np.exp(v))),
    "stabilize/log1p": _matrix(lambda x: T.log(1 + x), np.log1p),
    "stabilize/softplus": _matrix(lambda x: T.log1p(T.exp(x)), lambda v: np.logaddexp(0, v)),
    "stabilize/log1p_sub": _matrix(lambda x: T.log(1 - x), lambda v: np.log1p(-v)),
    "stabilize/expm1": _matrix(lambda x: T.exp(x) - 1, np.expm1),
    "stabilize/log_sigmoid": _matrix(lambda x: T.log(T.sigmoid(x)),
                                     lambda v: -np.logaddexp(0, -v)),
    "stabilize/log_softmax": _matrix(lambda x: T.log(nnet.softmax(x)),
                                     lambda v: np.log(_softmax(v))),
    "stabilize/crossentropy_softmax": _logits_and_labels(
        lambda x, y: nnet.categorical_crossentropy(nnet.softmax(x), y), _crossentropy),
    "stabilize/crossentropy_softmax_grad": _logits_and_labels(
        lambda x, y: grad(T.sum(nnet.categorical_crossentropy(nnet.softmax(x), y)), x),
        _crossentropy_grad),
    "stabilize/crossentropy_index_form": _logits_and_labels(
        lambda x, y: T.log(nnet.softmax(x))[T.arange(y.shape[0]), y],
        lambda v, labels: -_crossentropy(v, labels)),
    "stabilize/softmax_from_crossentropy": _logits_and_labels(
        lambda x, y: nnet.softmax(x) * T.sum(
            nnet.categorical_crossentropy(nnet.softmax(x), y)),
        lambda v, labels: _softmax(v) * _crossentropy(v, labels).sum()),
    "stabilize/logsumexp": _matrix(lambda x: T.log(T.sum(T.exp(x), axis=1)),
                                   lambda v: np.log(np.exp(v).sum(axis=1))),
    "stabilize/exp_over_1_plus_exp": _matrix(lambda x: grad(T.sum(T.log1p(T.exp(x))), x),
                                             _sigmoid),
    "stabilize/log_softmax_grad": _matrix(lambda x: grad(T.sum(T.log(nnet.softmax(x))), x),
                                          lambda v: 1 - v.shape[1] * _softmax(v)),
    "stabilize/logsumexp_grad": _matrix(lambda x: grad(T.sum(T.log(T.sum(T.exp(x)))), x),
                                        lambda v: np.exp(v) / np.exp(v).sum()),
    "stabilize/sigmoid_binary_crossentropy": _matrix(
        lambda x: -(x * T.log(T.sigmoid(x)) + (1 - x) * T.log(1 - T.sigmoid(x))),  # by hand
        lambda v: -(v * np.log(_sigmoid(v)) + (1 - v) * np.log(1 - _sigmoid(v)))),
    "stabilize/logaddexp": _matrix(lambda x: T.log(T.exp(x) + T.exp(-x)),
                                   lambda v: np.logaddexp(v, -v)),
    # σ written out: sigmoid's own gradient rule cancels a / σ (ops/scalar_grads.py)
    "stabilize/nested_mul_div_cancel": _matrix(
        lambda x: grad(T.sum(T.log(T.exp(x) / (1 + T.exp(x)))), x), lambda v: _sigmoid(-v)),
    "specialize/pow_2": _matrix(lambda x: x ** 2, np.square),
    "specialize/pow_half": _matrix(lambda x: x ** 0.5, np.sqrt),
    "specialize/pow_neg1": _matrix(lambda x: x ** -1, np.reciprocal),
    "specialize/gemm": _gemm,
    "specialize/argmax_softmax": _matrix(lambda x: T.argmax(nnet.softmax(x), axis=1),
                                         lambda v: np.argmax(v, axis=1)),
    "canonicalize/inline_opfromgraph": _inline_graph,
    "specialize/gemv": _matrix_vector,
    "fuse_elemwise/fuse_elemwise": _matrix(lambda x: T.exp(x) * T.sin(x),
                                           lambda v: np.exp(v) * np.sin(v)),
    "inplace/elemwise_inplace": _exp_of_dot,
    "inplace/gemm_inplace": _sgd_step,
    "inplace/gemv_inplace": _gemv_update,
    "merge/merge_sub_loops": _matrix(   # the gradient's loop with tanh(x_t) added
        lambda x: grad(T.sum(scan(lambda r, h: T.tanh(r) + h, sequences=x,
                                  outputs_info=T.zeros_like(x[0]))[0]), x),
        lambda v: np.arange(len(v), 0, -1)[:, None] * (1 - np.tanh(v) ** 2)),
    "scan_pushout/remove_unused_outputs": _matrix(
        _scan_over_rows(lambda r: [T.exp(r), T.sin(r)], 2), np.exp),
    "scan_pushout/push_out_seq": _matrix(_scan_over_rows(lambda r: T.exp(r) * 2),
                                         lambda v: np.exp(v) * 2),
    "scan_pushout/push_out_non_seq": _matrix(
        _hand_scan(lambda h, w: h * T.exp(w).sum(axis=0)),
        lambda v: _repeat(v, lambda h: h * np.exp(v).sum(axis=0))),
    "scan_pushout/push_out_add": _matrix(_row_total, lambda v: np.exp(v).sum(axis=0)[None]),
    "subtensor_join/zeros_slices_to_join": _matrix(
        lambda x: T.inc_subtensor(T.zeros_like(x)[:, :1], T.exp(x[:, :1]))
        + T.set_subtensor(T.zeros_like(x)[:, 1:], T.sin(x[:, 1:])),
        lambda v: np.concatenate([np.exp(v[:, :1]), np.sin(v[:, 1:])], axis=1)),
}

# rules no compiled function can fire, with the reason (reported, not deleted)
NOT_IN_COMPILES = {
    "dce/remove_dead": "FunctionGraph.replace prunes what it disconnects, so the graphs "
                       "function() rewrites never hold unreachable nodes",
}

# rules for graphs canonicalize has not flattened: they fire in FAST_COMPILE only
FAST_COMPILE_ONLY = {"stabilize/nested_mul_div_cancel"}

RULES = [name for p in PIPELINE.passes for name in p.full_names()]


@pytest.mark.parametrize("rule", RULES)
def test_rule_fires_and_keeps_values(rule, rng):
    if rule in NOT_IN_COMPILES:
        pytest.skip(NOT_IN_COMPILES[rule])
    assert rule in GRAPHS, f"{rule} has no graph it fires on: add one to GRAPHS"
    graph = GRAPHS[rule](rng)
    mode = get_mode("FAST_COMPILE" if rule in FAST_COMPILE_ONLY else None)
    if find_rule(rule).unsafe:
        mode = mode.including(rule)   # off by default: the rule itself switches it on
    fn = function(graph.inputs, graph.outputs, mode=mode, updates=graph.updates)
    assert rule in rules_fired(fn)
    got = fn(*graph.values)
    for value, want in zip(got, graph.expected, strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-15)
    for (var, _), want in zip(graph.updates, graph.updated, strict=True):
        np.testing.assert_allclose(var.get_value(), want, rtol=1e-12)


def test_tables_name_only_pipeline_rules():
    assert set(GRAPHS) | set(NOT_IN_COMPILES) <= set(RULES)
    assert not set(GRAPHS) & set(NOT_IN_COMPILES)


def test_remove_dead_fires_on_a_graph_changed_without_replace(rng):
    x = T.dmatrix("x")
    fgraph = FunctionGraph([x], [T.exp(x) + 1])
    add = fgraph.outputs[0].owner
    fgraph.outputs[0] = add.inputs[0]   # bypass replace(): the add node is left unreachable
    fgraph.clients[add.inputs[0]].append((OUTPUT, 0))
    events = PIPELINE.apply(fgraph).events()
    assert "dce/remove_dead" in [e.rule for e in events] and add not in fgraph.apply_nodes
    value = rng.uniform(0.1, 0.9, (3, 4))
    fn = function(fgraph.inputs, fgraph.outputs[0], mode=Mode(optimizer=None))
    np.testing.assert_allclose(fn(value), np.exp(value), rtol=1e-15)
