"""scan_pushout: work a Scan repeats every step moved out of the loop (Theano's scan_opt
push-outs), so it runs once, or once over the whole sequence as one large op.

- ``remove_unused_outputs``: a mapped output nothing reads is no longer computed (the
  gradient scan stacks the gradient of every sequence, wanted or not).
- ``push_out_non_seq`` (``PushOutNonSeqScan``): inner values computed from non-sequences
  only are computed once outside and passed in.
- ``push_out_seq`` (``PushOutSeqScan``): inner values computed from sequence taps and
  non-sequences only are computed outside for all steps at once (``x_t @ W`` becomes one
  ``(T*B, in) @ (in, k)`` product) and read by the loop as new sequences.
- ``push_out_add`` (``PushOutScanOutput``): an accumulator ``acc += f(v_t)`` whose total
  alone is read (``ScanInfo.last_only``) becomes the stack of ``v_t`` and one sum after the
  loop; ``acc += dot(a_t, b_t)`` becomes one matrix product over all steps.

Loops that stop on ``until`` keep their per-step sequence work and accumulators: a stack
computed outside would cover steps the loop never runs.
"""

from __future__ import annotations

from typing import Any

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant, Variable, ancestors, toposort
from ..core.variable import TensorVariable
from ..ops.control import ifelse
from ..ops.elemwise import CAReduce, DimShuffle, Elemwise
from ..ops.extra_ops_more import cpu_contiguous
from ..ops.linalg import Dot
from ..ops.math import cast, gt
from ..ops.math import sum as sum_
from ..ops.scan.op import Scan
from ..ops.scan.residuals import step_shape
from ..ops.shape import reshape, shape_i, shape_padleft
from ..ops.subtensor import Subtensor
from .engine import RuleSet, node_rule
from .scan_stack import Loop, Rec, Seq, can_stack, pure, stack_node, step_var

STACKED, INVARIANT, CONST = "stacked", "invariant", "const"


def _classify(loop: Loop, keep: set[Apply]) -> dict[Variable, str]:
    """Which inner values vary per step only through sequence taps (STACKED), are the same
    at every step (INVARIANT: from non-sequences; CONST: from constants alone); values
    that depend on a recurrence, or come from nodes in ``keep``, are absent."""
    state: dict[Variable, str] = {}
    for s in loop.seqs:
        if not _from_mapped_output(s.outer):
            state.update((v, STACKED) for v in s.inner)
    state.update((i, INVARIANT) for _, i in loop.nonseqs)
    for node in toposort(loop.inner_outputs()):
        kinds = [CONST if isinstance(v, Constant) else state.get(v) for v in node.inputs]
        if node in keep or None in kinds or not pure(node):
            continue
        kind = STACKED if STACKED in kinds else INVARIANT if INVARIANT in kinds else CONST
        if kind == STACKED and (loop.op.info.until
                                or not can_stack(node, [k == STACKED for k in kinds])):
            continue
        state.update((o, kind) for o in node.outputs)
    return state


def _from_mapped_output(var: TensorVariable) -> bool:
    """``var`` is computed from a loop's mapped output: with no steps, that stack's step shape
    is unknown (Scan gives zeros for it), so work combining it with other stacks outside a
    loop could fail where the loop itself would not have run."""
    for v in ancestors([var]):
        node = v.owner
        if node is not None and isinstance(node.op, Scan) and v.index is not None \
                and v.index >= node.op.info.n_recs:
            return True
    return False


def _boundary(loop: Loop, state: dict[Variable, str], kind: str) -> list[TensorVariable]:
    """Values of ``kind`` computed inside the loop that the rest of the step reads (an inner
    output, or an input of a node that stays in the loop)."""
    inner_inputs = set(loop.inner_inputs())
    found: dict[Any, None] = {}
    for node in toposort(loop.inner_outputs()):
        if node.outputs[0] in state:
            continue
        for v in node.inputs:
            if state.get(v) == kind and v not in inner_inputs:
                found[v] = None
    for v in loop.inner_outputs():
        if state.get(v) == kind and v not in inner_inputs:
            found[v] = None
    return list(found)


def _cheap(var: Variable, state: dict[Variable, str]) -> bool:
    """Not worth a stack of its own: a view, or a constant fill shaped like a step value."""
    node = var.owner
    if node is None:
        return False
    if isinstance(node.op, (DimShuffle, Subtensor)):
        return True
    return isinstance(node.op, Elemwise) and node.op.scalar_op.name == "second" \
        and state.get(node.inputs[1]) == CONST


def _outer_values(loop: Loop, targets: list[TensorVariable], state: dict[Variable, str]
                  ) -> dict[Variable, TensorVariable]:
    """Outer Variables for ``targets`` (and what they are computed from): stacks of steps for
    STACKED values, single values for the others."""
    outer: dict[Variable, TensorVariable] = {i: o for o, i in loop.nonseqs}
    taps = {v: (s, k) for s in loop.seqs for k, v in zip(s.taps, s.inner, strict=True)}
    for node in toposort(targets):
        ins = []
        for v in node.inputs:
            if v in taps and v not in outer:
                outer[v] = loop.tap_stack(*taps[v])
            ins.append(outer.get(v, v))
        stacked = [state.get(v) == STACKED for v in node.inputs]
        outs = stack_node(node, ins, stacked) if any(stacked) else node.op.make_node(*ins).outputs
        outer.update(zip(node.outputs, outs, strict=True))
    for v in targets:   # a target that is a tap itself
        if v in taps and v not in outer:
            outer[v] = loop.tap_stack(*taps[v])
    return outer


def _rebuilt(loop: Loop) -> list[TensorVariable | None]:
    _, found = loop.build()
    return [found.get(k) for k in range(len(loop.node.outputs))]


# -- the rules ------------------------------------------------------------------------------
@node_rule("remove_unused_outputs", tracks=(Scan,))
def remove_unused_outputs(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable | None] | None:
    """scan(..., mapped output nobody reads) -> the scan without it (and the inner work that
    only it needed); the same for a recurrence nothing else in the step reads."""
    loop = Loop.of(node)
    info = loop.op.info
    unread = {k for k, out in enumerate(node.outputs)
              if not fgraph.clients.get(out) and out not in fgraph.outputs}
    last = len(node.outputs) - 1 if info.until else None   # the stop condition stays
    before = len(loop.recs) + len(loop.nitsots)
    loop.nitsots = [m for m in loop.nitsots if m.old not in unread or m.old == last]
    changed = True
    while changed:   # a recurrence goes when no other output's step reads it
        changed = False
        for r in list(loop.recs):
            others = [x.out for x in loop.recs if x is not r] + [m.out for m in loop.nitsots]
            if r.old in unread and not set(r.inner) & set(_ancestor_vars(others)):
                loop.recs.remove(r)
                changed = True
    if len(loop.recs) + len(loop.nitsots) == before:
        return None
    if not loop.recs and not loop.nitsots:
        return None
    loop.drop_unused()
    return _rebuilt(loop)


def _ancestor_vars(outputs: list[TensorVariable]) -> list[Variable]:
    seen: list[Variable] = []
    for node in toposort(outputs):
        seen.extend(node.inputs)
    return seen + list(outputs)


def _push_out(loop: Loop, kind: str) -> list[TensorVariable | None] | None:
    keep: set[Apply] = set()
    while True:
        state = _classify(loop, keep)
        bounds = _boundary(loop, state, kind)
        cheap = {n for b in bounds if kind == STACKED and _cheap(b, state)
                 for n in [b.owner] if n is not None}
        if not cheap:
            break
        keep |= cheap
    if not bounds:
        return None
    outer = _outer_values(loop, bounds, state)
    replace: dict[Variable, TensorVariable] = {}
    for k, b in enumerate(bounds):
        inner = step_var(b, b.name or f"pushed{k}")
        replace[b] = inner
        if kind == STACKED:
            stack = outer[b][::-1] if loop.op.info.go_backwards else outer[b]
            loop.seqs.append(Seq(stack, (0,), [inner], pushed=True))
        else:
            loop.nonseqs.append((_laid_out(b, outer[b], loop), inner))
    loop.replace_inner(replace)
    loop.drop_unused()
    return _rebuilt(loop)


def _laid_out(inner: TensorVariable, value: TensorVariable, loop: Loop) -> TensorVariable:
    """A transposed view read by a product in every step, copied once to C order: BLAS is
    much slower on the transposed layout (the gradient's ``dpre_t @ U.T``: 44 against 26 us
    a step for (16, 512) @ (512, 128) float32)."""
    order: list[int] | None = None   # value's axes as axes of the array it views
    node = value.owner
    while node is not None and type(node.op) is DimShuffle and "x" not in node.op.new_order \
            and not node.op.dropped:
        step = [int(a) for a in node.op.new_order]
        order = step if order is None else [step[a] for a in order]
        node = node.inputs[0].owner
    if order is None or order == sorted(order):
        return value
    readers = _inner_users(loop.inner_outputs()).get(inner, [])
    return cpu_contiguous(value) if any(isinstance(n.op, Dot) for n in readers) else value


@node_rule("push_out_non_seq", tracks=(Scan,))
def push_out_non_seq(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable | None] | None:
    """scan(step reading f(W)) with W a non-sequence -> f(W) computed once, passed in."""
    return _push_out(Loop.of(node), INVARIANT)


@node_rule("push_out_seq", tracks=(Scan,))
def push_out_seq(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable | None] | None:
    """scan(step reading f(x_t, W)) -> f over all steps at once (x_t @ W as one X @ W),
    read by the loop as a new sequence."""
    return _push_out(Loop.of(node), STACKED)


# -- push_out_add: an accumulator's total as one sum after the loop ---------------------------
# A plan says how the sum over steps of a per-step value is computed from stacks of steps:
# ("sum0", leaf), ("sum", reduce op, leaf), ("dimshuffle", op, plan), ("dot", op, P, Q, a_t),
# where a leaf is ("tap", seq, tap) or ("nitsot", inner value stacked as a new output).
Plan = tuple


def _inner_users(outputs: list[TensorVariable]) -> dict[Variable, list[Apply]]:
    users: dict[Variable, list[Apply]] = {}
    for node in toposort(outputs):
        for v in node.inputs:
            users.setdefault(v, []).append(node)
    return users


def _accumulated(loop: Loop, r: Rec, users: dict[Variable, list[Apply]]
                 ) -> list[TensorVariable] | None:
    """The terms of ``acc + t1 + ...`` when recurrence ``r`` is such an accumulator whose
    total alone is read; None otherwise."""
    if not r.last_only or r.taps != (-1,):
        return None
    acc, node = r.inner[0], r.out.owner
    if node is None or not isinstance(node.op, Elemwise) or node.op.scalar_op.name != "add" \
            or node.op.inplace_pattern or users.get(acc) != [node] or users.get(r.out) \
            or loop.inner_outputs().count(r.out) != 1 or r.out.ndim != acc.ndim:
        return None
    terms = [v for v in node.inputs if v is not acc]
    return terms if len(terms) == len(node.inputs) - 1 else None


def _leaf(loop: Loop, v: TensorVariable) -> Plan | None:
    """A sequence tap, or ``v`` stacked as a new mapped output; None when ``v``'s shape may
    change from step to step (``x_t[:k_t]``), which no stack holds."""
    for s in loop.seqs:
        for k, inner in zip(s.taps, s.inner, strict=True):
            if inner is v:
                return ("tap", s, k)
    if step_shape(v, set(loop.inner_inputs()), {},
                  frozenset(i for _, i in loop.nonseqs)) is None:
        return None
    loop.add_nitsot(v)
    return ("nitsot", v)


def _plan(loop: Loop, v: TensorVariable) -> Plan | None:
    """How to sum ``v`` over the steps from stacks (None: it is the same at every step, or
    a value it needs has no one step shape, so the accumulator stays)."""
    if isinstance(v, Constant) or any(v is i for _, i in loop.nonseqs):
        return None
    node = v.owner
    if node is None:   # a recurrence's own tap
        leaf = _leaf(loop, v)
        return None if leaf is None else ("sum0", leaf)
    op = node.op
    if isinstance(op, Dot) and all(x.ndim in (1, 2) for x in node.inputs) \
            and node.inputs[0].ndim + node.inputs[1].ndim > 2:
        p, q = node.inputs
        a = p.owner.inputs[0] if p.ndim == 2 and p.owner is not None \
            and type(p.owner.op) is DimShuffle and p.owner.op.new_order == (1, 0) else None
        left, right = _leaf(loop, p if a is None else a), _leaf(loop, q)
        return None if left is None or right is None else ("dot", op, left, right, a is not None)
    if type(op) is DimShuffle and not op.dropped:
        inner = _plan(loop, node.inputs[0])
        return None if inner is None else ("dimshuffle", op, inner)
    leaf = _leaf(loop, node.inputs[0] if type(op) is CAReduce and op.scalar_op.name == "add"
                 else v)
    if leaf is None:
        return None
    return ("sum", op, leaf) if type(op) is CAReduce and op.scalar_op.name == "add" \
        else ("sum0", leaf)


def _stack(loop: Loop, node: Apply, leaf: Plan, steps: TensorVariable) -> TensorVariable:
    if leaf[0] == "tap":
        return loop.tap_stack(leaf[1], leaf[2])[:steps]
    at = [m.out for m in loop.nitsots].index(leaf[1])
    return node.outputs[len(loop.recs) + at]


def _realize(loop: Loop, node: Apply, plan: Plan, steps: TensorVariable) -> TensorVariable:
    """The sum over all steps that ``plan`` describes, after the loop ``node``."""
    kind = plan[0]
    if kind == "sum0":
        return sum_(_stack(loop, node, plan[1], steps), axis=0)
    if kind == "sum":
        op, x = plan[1], _stack(loop, node, plan[2], steps)
        axes = range(x.ndim - 1) if op.axis is None else op.axis
        return CAReduce(op.scalar_op, [0, *[a + 1 for a in axes]], op.dtype)(x)
    if kind == "dimshuffle":
        x = _realize(loop, node, plan[2], steps)
        return DimShuffle(x.type.broadcastable, plan[1].new_order)(x)
    op, p, q, transposed = plan[1:]
    p, q = _stack(loop, node, p, steps), _stack(loop, node, q, steps)
    if transposed:        # sum_t a_t.T @ q_t: a's rows of every step, side by side
        p = DimShuffle((False, False), (1, 0))(_rows(p))
    elif p.ndim == 3:     # p_t (m, b): the steps' columns side by side
        p = reshape(p.dimshuffle(1, 0, 2), [shape_i(p, 1), shape_i(p, 0) * shape_i(p, 2)])
    else:
        p = _rows(p)
    return op(p, _rows(q))


def _rows(stack: TensorVariable) -> TensorVariable:
    """A stack of steps with its first two axes (steps, rows) merged."""
    merged = shape_i(stack, 0) * shape_i(stack, 1)
    return reshape(stack, [merged, *[shape_i(stack, d) for d in range(2, stack.ndim)]])


def _step_count(loop: Loop, node: Apply) -> TensorVariable:
    """How many steps the loop ran: the length of a stack of all steps it gives."""
    for k, r in enumerate(loop.recs):
        if not r.last_only:
            return shape_i(node.outputs[k], 0)
    return shape_i(node.outputs[len(loop.recs)], 0)


@node_rule("push_out_add", tracks=(Scan,))
def push_out_add(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable | None] | None:
    """scan(acc += f(v_t), only the total read) -> the stack of v_t and one sum after the
    loop; sum_t dot(a_t, b_t) is one matrix product of the steps side by side."""
    loop = Loop.of(node)
    if loop.op.info.until:
        return None
    users = _inner_users(loop.inner_outputs())
    plans: dict[int, tuple[Rec, list[Plan]]] = {}
    for r in list(loop.recs):
        terms = _accumulated(loop, r, users)
        sums = [] if terms is None else [_plan(loop, t) for t in terms]
        if not sums or r.old is None:
            continue
        ready = [p for p in sums if p is not None]
        if len(ready) != len(sums):
            continue
        loop.recs.remove(r)
        plans[r.old] = (r, ready)
    if not plans:
        return None
    if not loop.nitsots and all(r.last_only for r in loop.recs):   # a stack to count steps
        first = next(iter(plans.values()))[1][0]
        leaf = first[2] if first[0] == "dot" else first[-1]
        loop.add_nitsot(leaf[1].inner[leaf[1].taps.index(leaf[2])] if leaf[0] == "tap"
                        else leaf[1])
    loop.drop_unused()
    new, found = loop.build()
    steps = _step_count(loop, new)
    result = [found.get(k) for k in range(len(node.outputs))]
    totals, starts = [], []
    for r, ready in plans.values():
        total = r.init[0]
        for p in ready:
            total = total + _realize(loop, new, p, steps)
        totals.append(cast(total, r.out.dtype))
        starts.append(cast(r.init[0], r.out.dtype))
    # lazily: a loop of no steps gives its mapped outputs no step shape, so their sums could
    # not be added to the starting values (which are then the totals)
    finals = ifelse(gt(steps, 0), totals, starts, name="steps_ran")
    for k, final in zip(plans, finals, strict=True):
        result[k] = shape_padleft(final)
    return result


SCAN_PUSHOUT = RuleSet("scan_pushout", (remove_unused_outputs, push_out_non_seq,
                                        push_out_seq, push_out_add))
