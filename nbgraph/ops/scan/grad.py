"""Scan's gradient: a backward Scan over the reversed steps (so it is differentiable again).

For forward steps ``y_t = f(x_t taps, y_{t+k} taps, w)`` the backward loop visits
``t = n-1, ..., 0`` and, with ``gy_t`` the total gradient of ``y_t``, computes the
vector-Jacobian product of ``f`` at step ``t``:

- ``D[j,k]_t`` = gradient reaching ``y_{t+k}`` through tap ``k``: a backward recurrence read
  back ``|k|`` steps later, so ``gy_t = G_t + sum_k D[j,k]_{t-k}`` (``G`` = output gradient);
- ``acc_p`` accumulates the non-sequence gradients (the last value is the total);
- ``E[i,k]_t`` = gradient of the sequence element read by tap ``k``, scattered back with
  ``inc_subtensor``; the ``D`` values that reach before step 0 are the initial states' gradients.

The forward step's values the vector-Jacobian product reads (an LSTM's gates) are not
recomputed: the forward loop stacks them and the backward loop reads the stacks reversed
(``residuals.py``, ``residual_stacks``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ...core.gradient import grad
from ...core.graph import Variable, clone_graph
from ...core.types import TensorType, is_float
from ...core.variable import TensorVariable
from ..indexing import inc_subtensor
from ..join import concatenate
from ..math import add, maximum, minimum, zeros_like
from ..shape import reshape, shape, shape_i, shape_padleft
from .info import ScanInfo, seq_span, window
from .residuals import find_residuals, read_residuals

if TYPE_CHECKING:
    from .op import Scan


def _step(var: TensorVariable, name: str) -> TensorVariable:
    return TensorType(var.dtype, shape=var.type.shape[1:])(name)


def scan_grad(op: Scan, inputs: list[TensorVariable], outputs: list[TensorVariable],
              output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
    info = op.info
    _, seqs, inits, nonseqs = op.split_outer(inputs)
    in_seqs, in_recs, in_nonseqs = op.split_inner()
    n_recs = info.n_recs
    n = shape_i(outputs[0], 0)
    n_b = n if info.truncate_gradient < 0 else minimum(n, info.truncate_gradient)
    float_recs = [j for j in range(n_recs) if is_float(outputs[j].dtype)]
    float_outs = [o for o in range(len(outputs)) if is_float(outputs[o].dtype)]
    float_seqs = [i for i, s in enumerate(seqs) if is_float(s.dtype)]
    float_ws = [p for p, w in enumerate(nonseqs) if is_float(w.dtype)]
    nothing: list[TensorVariable | None] = [None] * len(inputs)
    if not float_outs or not (float_recs or float_seqs or float_ws):
        return nothing

    # backward per-step variables, standing for the forward inner inputs at step t
    b_seq = [[v.type(v.name) for v in vs] for vs in in_seqs]
    b_rec = [[v.type(v.name) for v in vs] for vs in in_recs]
    b_w = [v.type(v.name) for v in in_nonseqs]
    b_g = {o: _step(output_grads[o], f"g{o}[t]") for o in float_outs}
    b_d = {(j, k): in_recs[j][a].type(f"D{j}[t{k:+d}]")
           for j in float_recs for a, k in enumerate(info.rec_taps[j])}
    b_acc = {p: in_nonseqs[p].type(f"acc{p}") for p in float_ws}

    forward = list(op.inner_inputs)
    backward = [v for vs in b_seq for v in vs] + [v for vs in b_rec for v in vs] + b_w
    memo = clone_graph(op.inner_outputs, replace=dict(zip(forward, backward, strict=True)),
                       share_unchanged=True)
    step_outs = [memo.get(o, o) for o in op.inner_outputs]
    known: dict[Variable, TensorVariable] = {}
    for o in float_outs:
        total = b_g[o]
        if o < n_recs:
            total = add(total, *[b_d[j, k] for j, k in b_d if j == o]) \
                if any(j == o for j, _ in b_d) else total
        key = step_outs[o]
        known[key] = add(known[key], total) if key in known else total
    wrt_seq = [(i, a) for i in float_seqs for a in range(len(info.seq_taps[i]))]
    wrt = [b_seq[i][a] for i, a in wrt_seq] + [b_rec[j][a] for j, k in b_d
                                               for a in [info.rec_taps[j].index(k)]]
    wrt += [b_w[p] for p in float_ws]
    grads = grad(None, wrt, known_grads=known, disconnected_inputs="ignore")
    g_seq = grads[:len(wrt_seq)]
    g_rec = grads[len(wrt_seq):len(wrt_seq) + len(b_d)]
    g_w = grads[len(wrt_seq) + len(b_d):]

    # backward sequences, already in backward order (so the backward loop runs forward)
    outer_seqs, seq_taps = [], []
    for seq, taps in zip(seqs, info.seq_taps, strict=True):
        lo, hi = seq_span(taps)
        used = n + (hi - lo)
        if info.go_backwards:
            total = shape_i(seq, 0)
            outer_seqs.append(seq[total - used:total])
        else:
            outer_seqs.append(seq[:used][::-1])
        seq_taps.append(tuple(-k for k in taps))
    stacks = []
    for j, (init, taps) in enumerate(zip(inits, info.rec_taps, strict=True)):
        size = window(taps)
        stack = concatenate([init[:size], outputs[j]])
        stacks.append(stack)
        outer_seqs.append(stack[:n + size][::-1])
        seq_taps.append(tuple(-k for k in taps))
    for o in float_outs:
        outer_seqs.append(output_grads[o][:n][::-1])
        seq_taps.append((0,))
    d_inits = [zeros_like(stacks[j][:-k]) for j, k in b_d]
    acc_inits = [shape_padleft(zeros_like(nonseqs[p])) for p in float_ws]

    b_outputs = list(g_rec) + [add(b_acc[p], g) for p, g in zip(float_ws, g_w, strict=True)]
    b_outputs += list(g_seq)
    b_taps = [v for vs in b_seq + b_rec for v in vs] + [b_g[o] for o in float_outs]
    b_rest = list(b_d.values()) + list(b_acc.values()) + b_w
    res = find_residuals(memo, forward, [v for vs in in_seqs + in_recs for v in vs],
                         b_taps + b_rest, b_w, b_outputs)
    res_steps = [v.type(f"res{k}[t]") for k, v in enumerate(res.values)]
    b_outputs = read_residuals(b_outputs, res, res_steps)
    for stack in residual_stacks(op, inputs, outputs, res.forward):
        outer_seqs.append(stack[:n][::-1])
        seq_taps.append((0,))

    b_info = ScanInfo(tuple(seq_taps), tuple([(k,) for _, k in b_d] + [(-1,)] * len(float_ws)),
                      len(wrt_seq), len(nonseqs), name=f"grad_of_{info.name or 'scan'}",
                      last_only=tuple(range(len(b_d), len(b_d) + len(float_ws))))
    b_inputs = b_taps + res_steps + b_rest
    back = type(op)(b_inputs, b_outputs, b_info, op.mode)  # a Scan (op.py imports this module)
    stacked = back.make_node(n_b, *outer_seqs, *d_inits, *acc_inits, *nonseqs).outputs
    d_stacks = dict(zip(b_d, stacked[:len(b_d)], strict=True))
    acc_stacks = stacked[len(b_d):len(b_d) + len(float_ws)]
    e_stacks = stacked[len(b_d) + len(float_ws):]

    result = nothing
    for (i, a), e in zip(wrt_seq, e_stacks, strict=True):
        lo, _ = seq_span(info.seq_taps[i])
        k = info.seq_taps[i][a]
        prev = result[1 + i]
        if prev is None:
            prev = zeros_like(seqs[i])
        # the stack is reshaped to the region it adds to: with no steps, a mapped output's
        # empty stack has no step shape (zeros), while the region has the sequence's
        if info.go_backwards:
            start = shape_i(seqs[i], 0) - n - k + lo
            region = prev[start:start + n_b]
            result[1 + i] = inc_subtensor(region, reshape(e, shape(region), e.ndim))
        else:
            region = prev[n - n_b + k - lo:n + k - lo]
            result[1 + i] = inc_subtensor(region, reshape(e[::-1], shape(region), e.ndim))
    for (j, k), d in d_stacks.items():
        # backward step u is forward step n-1-u; those with t < -k read the initial window
        size = window(info.rec_taps[j])
        first = maximum(n + k, 0)
        pos = 1 + info.n_seqs + j
        prev = result[pos]
        if prev is None:
            prev = zeros_like(inits[j])
        tail = d[first:n_b][::-1]
        result[pos] = inc_subtensor(prev[n - n_b + size + k:n - first + size + k], tail)
    for p, acc in zip(float_ws, acc_stacks, strict=True):  # last_only: one step, the total
        result[1 + info.n_seqs + n_recs + p] = acc[0]
    return result


def residual_stacks(op: Scan, inputs: list[TensorVariable], outputs: list[TensorVariable],
                    values: list[TensorVariable]) -> list[TensorVariable]:
    """The stacks, in step order, of the forward inner ``values``: an output's own stack, the
    others the extra mapped outputs of the same loop with them added (one op per set of
    values, so taking the gradient again builds the same node, which merges; the merge pass's
    ``merge_sub_loops`` makes the original node's outputs read that one's)."""
    info = op.info
    extra = [v for v in values if v not in op.inner_outputs]
    stacks = {}
    if extra:
        key = tuple(id(v) for v in extra)
        wider = op.wider.get(key)
        if wider is None:
            outs = list(op.inner_outputs)
            at = len(outs) - 1 if info.until else len(outs)   # the stop condition stays last
            outs[at:at] = extra
            wider = type(op)(op.inner_inputs, outs,
                             dataclasses.replace(info, n_nitsot=info.n_nitsot + len(extra)),
                             op.mode)
            op.wider[key] = wider
        node = wider.make_node(*inputs)
        at = info.n_recs + info.n_nitsot - (1 if info.until else 0)
        stacks = dict(zip(extra, node.outputs[at:at + len(extra)], strict=True))
    return [stacks[v] if v in stacks else outputs[op.inner_outputs.index(v)] for v in values]
