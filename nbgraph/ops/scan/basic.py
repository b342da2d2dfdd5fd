"""``scan``: call the user's step function once on per-step variables and wrap the graph it
builds in a Scan node (Theano's front end: sequences, outputs_info, non_sequences, updates).

Whatever the step graph uses from outside (closures, shared variables, loop-invariant
subexpressions) becomes a non-sequence input of the loop. Random draws the step graph reads,
made inside the step function or closed over from outside (as in Theano), are drawn anew each
step: their generator state is carried from step to step and the final state is an update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...config import config
from ...core.graph import Apply, Constant, Variable, ancestors, clone_graph, next_uid, toposort
from ...core.shared import SharedVariable
from ...core.test_values import MISSING, compute_test_values, get_test_value
from ...core.types import TensorType
from ...core.variable import TensorVariable, as_tensor_variable, constant
from ..math import cast
from ..random import RandomVariable
from ..shape import shape_padleft
from .info import seq_span, window
from .op import Scan, ScanInfo

__all__ = ["scan"]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _step_var(stack: TensorVariable, name: str, row: int = 0) -> TensorVariable:
    """The inner variable for one step of ``stack``; with test values on (Theano's
    compute_test_value), its test value is the stack's ``row``, the first step's."""
    var = TensorType(stack.dtype, shape=stack.type.shape[1:])(name)
    if config.compute_test_value != "off":
        value = get_test_value(stack)
        if value is not MISSING and 0 <= row < len(value):
            var.tag.test_value = value[row]
    return var


def _sequences(sequences: Any) -> list[tuple[TensorVariable, tuple[int, ...]]]:
    out = []
    for k, item in enumerate(_as_list(sequences)):
        taps: Sequence[int] = [0]
        if isinstance(item, dict):
            taps = item.get("taps") or [0]
            item = item["input"]
        var = as_tensor_variable(item)
        if var.ndim == 0:
            raise TypeError(f"scan: sequence {k} ({var}) is a scalar; sequences are iterated "
                            f"over their first dimension")
        out.append((var, tuple(int(t) for t in taps)))
    return out


def _outputs_info(outputs_info: Any) -> list[tuple[TensorVariable, tuple[int, ...]] | None]:
    """Per output: ``(initial window, taps)`` for a recurrence, None for a mapped output."""
    out: list[tuple[TensorVariable, tuple[int, ...]] | None] = []
    for k, item in enumerate(_as_list(outputs_info)):
        taps: Sequence[int] = [-1]
        if isinstance(item, dict):
            if item.get("initial") is None:
                out.append(None)
                continue
            taps = item.get("taps") or [-1]
            item = item["initial"]
        elif item is None:
            out.append(None)
            continue
        init = as_tensor_variable(item)
        taps = tuple(int(t) for t in taps)
        if any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] has taps {list(taps)}; taps of an "
                             f"output must be negative (past steps)")
        # a single -1 tap takes one step as its initial value; other taps take a window
        window = shape_padleft(init) if taps == (-1,) else init
        out.append((window, taps))
    return out


class until:  # noqa: N801  (Theano's name)
    """``scan_module.until(condition)``: returned by a step function with its outputs, it
    stops the loop after the first step whose ``condition`` is true (``n_steps``, or the
    sequences, give the most steps).

    >>> def step(prior):
    ...     value = prior * 2
    ...     return value, until(value > 40)
    """

    def __init__(self, condition: Any):
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got "
                            f"{self.condition.type}")


def _split_until(result: Any) -> tuple[Any, TensorVariable | None]:
    """The step function's result without its ``until``, and the until's condition."""
    if isinstance(result, until):
        return [], result.condition
    if isinstance(result, tuple) and any(isinstance(r, until) for r in result):
        stops = [r for r in result if isinstance(r, until)]
        rest = tuple(r for r in result if not isinstance(r, until))
        return (rest[0] if len(rest) == 1 else rest), stops[0].condition
    return result, None


def _split_return(result: Any) -> tuple[list[TensorVariable], dict]:
    """The step function returns outputs, ``(outputs, updates)`` or just ``updates``."""
    if isinstance(result, dict):
        return [], dict(result)
    if isinstance(result, (list, tuple)) and result and isinstance(result[-1], dict):
        outs = result[0] if len(result) == 2 else result[:-1]
        return [as_tensor_variable(o) for o in _as_list(outs)], dict(result[-1])
    return [as_tensor_variable(o) for o in _as_list(result)], {}


def _random_states(outputs: list[TensorVariable], first_uid: int, known: dict,
                   blockers: Sequence[TensorVariable]) -> dict[SharedVariable, TensorVariable]:
    """Random-state shared variables (those with a ``default_update``) read by draws in the
    step graph, with the state each draw leaves: they become per-step recurrences.

    A draw made inside the step function counts, and so does a draw made outside and closed
    over (Theano clones it into the loop, so it is redrawn each step); a draw passed in
    ``non_sequences`` (a blocker here) stays one value for the whole loop.
    """
    found: dict[SharedVariable, TensorVariable] = {}
    stop = {id(v) for v in blockers}
    for var in ancestors(outputs, blockers):
        node = var.owner
        if node is None or id(var) in stop or not _is_draw(node, first_uid):
            continue
        for state in node.inputs:
            update = getattr(state, "default_update", None)
            if isinstance(state, SharedVariable) and update is not None and state not in known:
                found.setdefault(state, _new_state(node, state, update))
    return found


def _is_draw(node: Apply, first_uid: int) -> bool:
    """Made by the step function (any state reader), or a random draw made before it."""
    return node.uid >= first_uid or isinstance(node.op, RandomVariable)


def _made_by_step(var: TensorVariable, first_uid: int) -> bool:
    return var.owner is not None and var.owner.uid >= first_uid


def _new_state(node: Apply, state: TensorVariable, update: TensorVariable) -> TensorVariable:
    """The state ``node`` leaves behind: its own new-state output for a draw (a former scan
    may have pointed ``default_update`` at its loop's final state), else ``default_update``."""
    if isinstance(node.op, RandomVariable) and update.owner is not node:
        return node.outputs[0]
    return update


def _free_variables(outputs: list[TensorVariable], inner: set[int],
                    first: Sequence[TensorVariable]) -> list[TensorVariable]:
    """Outer Variables the step graph reads: inputs of step-dependent nodes that do not
    depend on the step themselves (so loop-invariant work is computed once, outside)."""
    depends = set(inner)
    free: dict[int, TensorVariable] = {id(v): v for v in first if not isinstance(v, Constant)}
    for node in toposort(outputs):
        if not any(id(i) in depends for i in node.inputs):
            continue
        depends.update(id(o) for o in node.outputs)
        for var in node.inputs:
            if id(var) not in depends and not isinstance(var, Constant):
                free.setdefault(id(var), var)
    for var in outputs:
        if id(var) not in depends and not isinstance(var, Constant):
            free.setdefault(id(var), var)
    return list(free.values())


def scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None,
         non_sequences: Any = None, n_steps: Any = None, truncate_gradient: int = -1,
         go_backwards: bool = False, mode: Any = None, name: str | None = None,
         profile: Any = False, allow_gc: Any = None, strict: bool = False,
         return_list: bool = False) -> tuple[Any, dict]:
    """Repeat ``fn`` over sequences and recurrent states; returns ``(outputs, updates)``.

    >>> k = T.iscalar('k'); A = T.dvector('A')
    >>> result, updates = scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
    ...                        non_sequences=A, n_steps=k)
    >>> power = function([A, k], result[-1], updates=updates)   # A ** k

    ``fn`` receives, in order: each sequence's taps (``seq[t]`` by default), each recurrent
    output's taps (``y[t-1]`` by default; ``dict(initial=x0, taps=[-2, -1])`` for more), then
    the non-sequences. ``outputs_info`` None marks an output computed per step but not fed
    back. Outputs are stacked along axis 0 (the initial values are not included).
    """
    seqs = _sequences(sequences)
    infos = _outputs_info(outputs_info)
    nonseqs = [as_tensor_variable(v) for v in _as_list(non_sequences)]
    label = f"scan {name!r}" if name else "scan"

    seq_vars = [[_step_var(s, f"{s.name or 'seq'}[t{k:+d}]", k - seq_span(taps)[0])
                 for k in taps] for s, taps in seqs]
    rec_vars = [[_step_var(init, f"{init.name or 'y'}[t{k:+d}]", window(taps) + k)
                 for k in taps] for init, taps in (i for i in infos if i is not None)]
    first_uid = next_uid()
    result = fn(*[v for vs in seq_vars for v in vs], *[v for vs in rec_vars for v in vs],
                *nonseqs)
    result, stop = _split_until(result)
    outs, updates = _split_return(result)
    if infos and len(infos) != len(outs):
        raise ValueError(f"{label}: fn returned {len(outs)} outputs but outputs_info has "
                         f"{len(infos)} entries (use None for outputs that are not fed back)")
    infos = infos or [None] * len(outs)
    if stop is not None:  # the condition becomes the last mapped output
        outs, infos = [*outs, stop], [*infos, None]
    random_states = _random_states(outs + [as_tensor_variable(u) for u in updates.values()],
                                   first_uid, updates, nonseqs)
    updates.update(random_states)

    # recurrences: the user's, then shared variables updated by the step function
    rec_outs = [o for o, i in zip(outs, infos, strict=True) if i is not None]
    rec_inits = [i[0] for i in infos if i is not None]
    rec_taps = [i[1] for i in infos if i is not None]
    replace: dict[Variable, TensorVariable] = {}
    for shared_var, update in updates.items():
        if not isinstance(shared_var, SharedVariable):
            raise TypeError(f"{label}: updates returned by fn must be for shared variables, "
                            f"got {shared_var}")
        step = shared_var.type(f"{shared_var.name or 'shared'}[t-1]")
        replace[shared_var] = step
        rec_vars.append([step])
        rec_outs.append(as_tensor_variable(update))
        rec_inits.append(shape_padleft(shared_var))
        rec_taps.append((-1,))
    for k, (out, init) in enumerate(zip(rec_outs, rec_inits, strict=True)):
        if out.dtype != init.dtype or out.ndim != init.ndim - 1:
            raise TypeError(f"{label}: recurrent output {k} of fn is {out.type.short()} but "
                            f"its initial state is {init.type.short()} (one step: "
                            f"{init.dtype}, {init.ndim - 1}-d); they must match, so cast the "
                            f"initial value or the output")
    map_outs = [o for o, i in zip(outs, infos, strict=True) if i is None]
    inner_outs = rec_outs + map_outs
    if replace:
        memo = clone_graph(inner_outs, replace=replace, share_unchanged=True)
        inner_outs = [memo.get(o, o) for o in inner_outs]

    placeholders = [v for vs in seq_vars + rec_vars for v in vs]
    free = _free_variables(inner_outs, {id(v) for v in placeholders}, nonseqs)
    if strict:
        # Theano's strict: shared variables must come in non_sequences; other free inputs
        # (a T.matrix the step reads) are still passed to the loop implicitly
        extra = [v for v in free if isinstance(v, SharedVariable) and v not in nonseqs]
        if extra:
            raise ValueError(f"{label}: strict=True, but fn uses the shared variable(s) "
                             f"{extra} without receiving them in non_sequences")
    inner_free = [v.type(v.name) for v in free]
    memo = clone_graph(inner_outs, replace=dict(zip(free, inner_free, strict=True)),
                       share_unchanged=True)
    inner_outs = [memo.get(o, o) for o in inner_outs]

    steps: TensorVariable
    if n_steps is None:
        if not seqs:
            raise ValueError(f"{label}: give n_steps when there are no sequences")
        steps = constant(-1, dtype="int64")
    else:
        steps = as_tensor_variable(n_steps)
        if steps.ndim != 0:
            raise TypeError(f"{label}: n_steps must be a scalar, got {steps.type}")
        if steps.dtype != "int64":
            steps = cast(steps, "int64")
    info = ScanInfo(tuple(t for _, t in seqs), tuple(rec_taps), len(map_outs), len(free),
                    go_backwards, truncate_gradient, name, until=stop is not None)
    op = Scan(placeholders + inner_free, inner_outs, info, mode)
    node = op.make_node(steps, *[s for s, _ in seqs], *rec_inits, *free)
    compute_test_values(node)

    n_user_recs = len(rec_outs) - len(updates)
    user_recs = iter(node.outputs[:n_user_recs])
    user_maps = iter(node.outputs[len(rec_outs):])
    results = [next(user_maps) if i is None else next(user_recs) for i in infos]
    if stop is not None:
        results.pop()   # the stop condition's stack is not an output
    new_updates = {}
    for shared_var, stack in zip(updates, node.outputs[n_user_recs:len(rec_outs)],
                                 strict=True):
        new_updates[shared_var] = stack[-1]
        default = getattr(shared_var, "default_update", None)
        # an inner scan in the step pointed default_update at its loop's final state, a
        # variable of this step graph: left there it would leak a loop variable out
        leaks = default is not None and _made_by_step(default, first_uid)
        if leaks or (shared_var in random_states
                     and _made_by_step(random_states[shared_var], first_uid)):
            # a function not given the updates still advances (an outer draw keeps its own
            # default update, so it can still be computed without the loop)
            shared_var.default_update = new_updates[shared_var]
    if len(results) == 1 and not return_list:
        return results[0], new_updates
    return results, new_updates


# -- Theano's shorthands over scan ---------------------------------------------------------------
def scan_map(fn: Callable[..., Any], sequences: Any, non_sequences: Any = None,
             truncate_gradient: int = -1, go_backwards: bool = False, mode: Any = None,
             name: str | None = None) -> tuple[Any, dict]:
    """Theano's ``map``: ``fn`` applied to each step of ``sequences``, nothing fed back.

    >>> squares, _ = theano.map(lambda v: v ** 2, sequences=x)
    """
    return scan(fn, sequences=sequences, outputs_info=[], non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name)


def scan_reduce(fn: Callable[..., Any], sequences: Any, outputs_info: Any,
                non_sequences: Any = None, go_backwards: bool = False, mode: Any = None,
                name: str | None = None) -> tuple[Any, dict]:
    """Theano's ``reduce``: the recurrence's last value only.

    >>> total, _ = theano.reduce(lambda v, acc: acc + v, sequences=x, outputs_info=0.0)
    """
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, mode=mode,
                            name=name)
    if isinstance(outputs, (list, tuple)):
        return [out[-1] for out in outputs], updates
    return outputs[-1], updates


def foldl(fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None,
          mode: Any = None, name: str | None = None) -> tuple[Any, dict]:
    """Theano's ``foldl``: ``reduce`` from the first step to the last."""
    return scan_reduce(fn, sequences, outputs_info, non_sequences, False, mode, name)


def foldr(fn: Callable[..., Any], sequences: Any, outputs_info: Any, non_sequences: Any = None,
          mode: Any = None, name: str | None = None) -> tuple[Any, dict]:
    """Theano's ``foldr``: ``reduce`` from the last step to the first."""
    return scan_reduce(fn, sequences, outputs_info, non_sequences, True, mode, name)
