"""``function``: compile symbolic inputs -> outputs into a callable ``Function``.

Compiling clones the graph into a FunctionGraph (givens substituted), runs the mode's rewrite
pipeline (recording ``fn.trace``), asks the linker for one thunk per node, and wires inputs,
outputs and shared-variable updates to preallocated storage cells run by the VM.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..config import NbgraphWarning, config
from ..core.fgraph import FunctionGraph
from ..core.graph import Constant, Variable, ancestors, clone_graph, graph_inputs
from ..core.shared import SharedVariable
from ..core.variable import TensorVariable, as_tensor_variable
from ..link.registry import get_linker
from ..link.vm import VM, make_storage, thunk_reads
from ..rewrite.inplace import ordered_toposort
from ..rewrite.pipeline import resolve
from .atomic import CommitGuard, commit_last
from .base_mode import Mode
from .call_path import fast_paths
from .inner import InnerCompiler
from .memory import MemoryReport, memory
from .mode import get_mode
from .profile import ProfileStats, timed
from .replay import BisectResult, WhyNot, bisect, why_not
from .updates import add_default_updates, check_targets, check_updates


class UnusedInputError(ValueError):
    """An input given to ``function`` is not used to compute any output."""


class MissingInputError(ValueError):
    """An output depends on an input Variable that ``function`` was not given."""


class In:
    """An input with options: ``In(x, value=1.0, name='x', borrow=False, mutable=False)``.

    ``value`` makes the argument optional; ``update`` gives it a new value after each call
    (with ``value``, the input keeps its state like a shared variable).
    """

    def __init__(self, variable: TensorVariable, name: str | None = None, value: Any = None,
                 update: Any = None, mutable: bool = False, strict: bool = False,
                 allow_downcast: bool | None = None, autoname: bool = True,
                 implicit: bool = False, borrow: bool = False, shared: bool = False):
        if not isinstance(variable, TensorVariable):
            raise TypeError(f"In: expected a Variable, got {type(variable).__name__}")
        self.variable = variable
        self.name = name if name is not None else (variable.name if autoname else None)
        self.value = value
        self.update = update
        self.mutable = mutable
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit
        self.borrow = borrow


class Param(In):
    """Theano 0.x's ``theano.Param(x, default=0.1)`` (the SdA/DBN tutorials of those years):
    ``In(x, value=default)``, with the DeprecationWarning Theano gave from 0.8 on."""

    def __init__(self, variable: TensorVariable, default: Any = None, name: str | None = None,
                 mutable: bool = False, strict: bool = False,
                 allow_downcast: bool | None = None, implicit: bool | None = None,
                 borrow: bool | None = None):
        warnings.warn("theano.Param is deprecated; use theano.In(variable, value=default)",
                      DeprecationWarning, stacklevel=2)
        super().__init__(variable, name=name, value=default, mutable=mutable, strict=strict,
                         allow_downcast=allow_downcast, implicit=bool(implicit),
                         borrow=bool(borrow))


class Out:
    """An output with options: ``Out(y, borrow=True)`` may return internal storage."""

    def __init__(self, variable: TensorVariable, borrow: bool = False):
        self.variable = variable
        self.borrow = borrow


class FunctionMaker:
    """What a Function was built from (``fn.maker.fgraph`` is the optimized graph)."""

    def __init__(self, fgraph: FunctionGraph, inputs: list[In], outputs: list[Out],
                 mode: Mode, trace: Any, args: dict[str, Any]):
        self.fgraph = fgraph
        self.inputs = inputs
        self.outputs = outputs
        self.mode = mode
        self.trace = trace
        self.args = args


def _as_in(item: Any) -> In:
    return item if isinstance(item, In) else In(item)


def _as_out(item: Any) -> Out:
    if isinstance(item, Out):
        return Out(as_tensor_variable(item.variable), item.borrow)
    return Out(as_tensor_variable(item))


def _pairs(mapping: Any) -> list[tuple[Any, Any]]:
    if mapping is None:
        return []
    if isinstance(mapping, dict):
        return list(mapping.items())
    return [tuple(p) for p in mapping]


def _aliases_input(var: TensorVariable, fgraph_inputs: set[int]) -> bool:
    """Whether the output's value may be an input's (or constant's) memory: copy it then."""
    while True:
        if id(var) in fgraph_inputs or isinstance(var, Constant):
            return True
        node = var.owner
        if node is None:
            return False
        views = dict(getattr(node.op, "view_map", {}))
        views.update(getattr(node.op, "destroy_map", {}))
        sources = views.get(var.index)
        if not sources:
            return False
        var = node.inputs[sources[0]]


class Function:
    """A compiled function. Call it with input values (positional, or by input name).

    Attributes: ``trace`` (the rewrite trace), ``profile`` (with ``profile=True``),
    ``source`` (generated code by node), ``maker.fgraph`` (the optimized graph).
    """

    def __init__(self, maker: FunctionMaker, vm: VM, storage: dict[Variable, list],
                 updates: list[tuple[TensorVariable, TensorVariable]], outputs_as_list: bool,
                 profile: ProfileStats | None, source: dict[Any, str], name: str | None,
                 unpack_single: bool = True):
        self.maker = maker
        self.vm = vm
        self.name = name
        self.profile = profile
        self.source = source
        self.storage_map = storage  # debugprint(fn, print_storage=True) shows the cells
        self.trace = maker.trace
        self.trust_input = False
        fgraph = maker.fgraph
        explicit = [i for i in maker.inputs if not i.implicit]
        self.input_names = [i.name for i in explicit]
        self._in_types = [v.type for v in fgraph.inputs[: len(explicit)]]
        self._in_cells = [storage[v] for v in fgraph.inputs[: len(explicit)]]
        self._in_specs = explicit
        self._defaults = [i.value for i in explicit]
        self._out_cells = [storage[v] for v in fgraph.outputs[: len(maker.outputs)]]
        inputs = {id(v) for v in fgraph.inputs}
        outs = fgraph.outputs[: len(maker.outputs)]
        # copy outputs that alias an input, or repeat an earlier output (merge made them one)
        self._out_copy = [not o.borrow and (_aliases_input(v, inputs) or v in outs[:k])
                          for k, (o, v) in enumerate(zip(maker.outputs, outs, strict=True))]
        self._updates = [(storage[target], storage[value]) for target, value in updates]
        self._as_list = outputs_as_list
        self._by_name = {n: k for k, n in enumerate(self.input_names) if n is not None}
        # In(value=..., update=...) inputs keep state between calls
        self._stateful = {k for k, i in enumerate(explicit) if i.update is not None}
        # the hot path: exact ndarrays of the right dtype, rank and static sizes skip filter()
        self._fast_checks = [(np.dtype(t.dtype), t.ndim,
                              tuple((a, s) for a, s in enumerate(t.shape) if s is not None))
                             for t in self._in_types]
        self._any_copy = any(self._out_copy)
        self._run = vm.run if profile is None else timed(vm.run, profile, maker.mode, "fn_time")
        # one output, nothing to copy or update, no profile: return the cell's value as is
        self._plain = (not outputs_as_list and len(self._out_cells) == 1 and not self._any_copy
                       and not self._updates and profile is None)
        self._trusted, self._checked = fast_paths(self)
        self._slow: Callable[..., Any] = self._by_names
        if profile is not None:   # unprofiled: no clock read on the call path
            self._trusted, self._checked, self._slow = (
                timed(call, profile, maker.mode, "call_time")
                for call in (self._trusted, self._checked, self._slow))

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != len(self._in_cells):
            return self._slow(args, kwargs)
        if self.trust_input:
            return self._trusted(args)
        return self._checked(args)

    def _by_names(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A call by input names, or with inputs left to their defaults."""
        if len(args) > len(self._in_cells):
            raise TypeError(f"{self._label()}: takes {len(self._in_cells)} inputs, got "
                            f"{len(args)} ({', '.join(map(str, self.input_names))})")
        self._bind(args, kwargs)
        self._run()
        return self._finish()

    def _finish(self) -> Any:
        """The outputs (copied where they alias an input), after storing the updates."""
        if self._plain:
            return self._out_cells[0][0]
        outs = [cell[0] for cell in self._out_cells]
        if self._any_copy:
            for k, copy in enumerate(self._out_copy):
                if copy:
                    outs[k] = np.array(outs[k], copy=True)
        if self._updates:
            new_values = [value_cell[0] for _, value_cell in self._updates]
            for (target, _), value in zip(self._updates, new_values, strict=True):
                target[0] = value
        if self.profile is not None:
            self.profile.record_call()
        if self._as_list:
            return outs
        return outs[0]

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    def _bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
        values: list[Any] = list(args) + [_UNSET] * (len(self._in_cells) - len(args))
        for key, value in kwargs.items():
            if key not in self._by_name:
                raise TypeError(f"{self._label()}: unknown input name {key!r}; inputs are "
                                f"{self.input_names}")
            k = self._by_name[key]
            if values[k] is not _UNSET:
                raise TypeError(f"{self._label()}: input {key!r} given twice")
            values[k] = value
        for k, (cell, spec, ttype) in enumerate(zip(self._in_cells, self._in_specs,
                                                    self._in_types, strict=True)):
            value = values[k]
            label = spec.name or f"#{k}"
            if value is _UNSET:
                if k in self._stateful and cell[0] is not None:
                    continue
                if spec.value is None:
                    raise TypeError(f"{self._label()}: missing input {label} "
                                    f"({ttype.short()})")
                value = spec.value
            try:
                cell[0] = ttype.filter(value, spec.strict, spec.allow_downcast, label)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{self._label()}, input {k} ({label}): {err}") from None

    # -- Theano conveniences -------------------------------------------------------------------
    def copy(self, share_memory: bool = False, swap: dict | None = None,
             delete_updates: bool = False, name: str | None = None,
             profile: Any = None, mode: Any = None) -> Function:
        """An independent Function compiled from the same graph (Theano's ``copy``).

        ``swap`` ({old shared variable: new one}) makes the copy read and update other shared
        variables; ``delete_updates=True`` drops the updates; ``mode`` compiles it in another
        mode. Intermediate storage is never shared, whatever ``share_memory`` says.
        """
        args = dict(self.maker.args, name=name or self.name, profile=profile)
        if mode is not None:
            args["mode"] = mode
        updates = [] if delete_updates else _pairs(args["updates"])
        if swap:
            for old, new in swap.items():
                if not isinstance(new, SharedVariable) or not old.type.is_compatible(new.type):
                    raise TypeError(f"copy: cannot swap {old} ({old.type}) for {new!r}")
            updates = [(swap.get(target, target), value) for target, value in updates]
            args["givens"] = _pairs(args["givens"]) + list(swap.items())
        args["updates"] = updates
        if delete_updates:  # inputs that only fed updates stay in the signature, unused
            args.update(no_default_updates=True, on_unused_input="ignore")
        return function(**args)

    # -- explaining the compile: the replays live in replay.py, the sizes in memory.py ----------
    def why_not(self, rule: str) -> list[WhyNot]:
        """Why rule ``pass/rule`` did not fire, pass by pass (``replay.why_not``)."""
        return why_not(self, rule)

    def bisect(self, *inputs: Any, rtol: float = 1e-5, atol: float = 1e-8
               ) -> BisectResult | None:
        """The first rewrite that changed the outputs on ``inputs`` (``replay.bisect``)."""
        return bisect(self, *inputs, rtol=rtol, atol=atol)

    def memory(self) -> MemoryReport:
        """Output bytes per node and peak live memory of the last call (``memory.memory``)."""
        return memory(self)

    def __reduce__(self) -> tuple:
        """Pickles as the arguments it was compiled from (recompiled on load). Loading any
        pickle runs code from it: load only your own; ``pickling.save_values`` stores
        parameter values without pickle."""
        return (_rebuild, (self.maker.args,))


def _rebuild(args: dict[str, Any]) -> Function:
    return function(**args)


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def function(inputs: Sequence[Any], outputs: Any = None, mode: Any = None,
             updates: Any = None, givens: Any = None, no_default_updates: bool = False,
             accept_inplace: bool = False, name: str | None = None,
             rebuild_strict: bool = True, allow_input_downcast: bool | None = None,
             profile: Any = None, on_unused_input: str | None = None,
             trust_input: bool = False) -> Function:
    """Compile a function from symbolic ``inputs`` to ``outputs``.

    >>> x, y = T.dscalars('x', 'y')
    >>> f = function([x, y], x + y)
    >>> f(1, 2)
    array(3.)

    ``updates`` ([(shared, new_value), ...] or a dict) run after each call; ``givens``
    substitutes Variables in the graph; ``mode`` picks rewrites and linker; ``profile=True``
    records per-node timings in ``fn.profile``.
    """
    args = dict(inputs=inputs, outputs=outputs, mode=mode, updates=updates, givens=givens,
                no_default_updates=no_default_updates, name=name, profile=profile,
                allow_input_downcast=allow_input_downcast, on_unused_input=on_unused_input,
                trust_input=trust_input)
    started = time.perf_counter()
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("function: inputs must be a list of Variables")
    ins = [_as_in(i) for i in inputs]
    if allow_input_downcast is not None:
        for i in ins:
            i.allow_downcast = i.allow_downcast if i.allow_downcast is not None \
                else allow_input_downcast
    # no outputs (only updates) returns [], as in Theano
    as_list = outputs is None or isinstance(outputs, (list, tuple))
    outs = [_as_out(o) for o in ([] if outputs is None else outputs if as_list else [outputs])]
    update_pairs = _pairs(updates)
    check_targets(update_pairs)
    for i in ins:
        if i.update is not None:
            update_pairs.append((i.variable, i.update))
    if not no_default_updates:
        add_default_updates(update_pairs, [o.variable for o in outs])
    check_updates(update_pairs)
    givens_pairs = [(v, as_tensor_variable(r)) for v, r in _pairs(givens)]
    for var, rep in givens_pairs:
        if var.type.dtype != rep.type.dtype or var.ndim != rep.ndim:
            raise TypeError(f"givens: {var} ({var.type.short()}) cannot be replaced by "
                            f"{rep} ({rep.type.short()})")

    # the graph: outputs then update values, with givens substituted (new nodes only below a
    # replaced variable); FunctionGraph makes the one copy of the whole graph
    roots = [o.variable for o in outs] + [as_tensor_variable(v) for _, v in update_pairs]
    if givens_pairs:
        memo = clone_graph(roots, replace=dict(givens_pairs), share_unchanged=True)
        roots = [memo.get(r, r) for r in roots]
    explicit = [i.variable for i in ins]
    _check_inputs(ins, roots, on_unused_input or "raise", givens_pairs)
    # an explicit input computed from others cuts the graph there (FunctionGraph copies it
    # as a leaf, as Theano did): what lies above it is not read
    shared_inputs = [v for v in graph_inputs(roots, blockers=explicit)
                     if isinstance(v, SharedVariable) and v not in explicit]
    shared_inputs += [t for t, _ in update_pairs if t not in shared_inputs
                      and t not in explicit]
    all_inputs = explicit + shared_inputs
    in_specs = ins + [In(v, implicit=True) for v in shared_inputs]
    # shared variables (not explicit inputs) whose update the inplace pass may compute into
    # their own buffer: target -> position of its update among the graph outputs
    inplace_updates: dict[TensorVariable, int] = {
        t: len(outs) + k for k, (t, _) in enumerate(update_pairs)
        if isinstance(t, SharedVariable) and t in shared_inputs}
    fgraph = FunctionGraph(all_inputs, roots, borrow_outputs=[o.borrow for o in outs],
                           update_targets=[t for t, _ in update_pairs],
                           inplace_updates=inplace_updates)
    mode_obj = get_mode(mode)
    stats = ProfileStats(name) if (config.profile if profile is None else profile) else None
    trace = _optimize(fgraph, mode_obj, stats)

    linker = get_linker(mode_obj.linker)
    nodes, commit_at = commit_last(fgraph, _run_order(fgraph))
    variables = list(fgraph.inputs) + ancestors(fgraph.outputs)
    variables += [out for node in nodes for out in node.outputs]  # unused sibling outputs too
    storage = make_storage(variables)
    link_start = time.perf_counter()
    compiler = InnerCompiler(linker, function, lambda: get_mode(None), stats, mode_obj.optimizer)
    thunks, source = linker.make_thunks(fgraph, nodes, storage, stats, compiler)
    reads = [thunk_reads(node, thunk) for node, thunk in zip(nodes, thunks, strict=True)]
    in_cells = [[storage[v] for v in variables] for variables in reads]
    if stats is not None:
        stats.record_phase("link", time.perf_counter() - link_start)
    guard = CommitGuard(fgraph, nodes[commit_at:], commit_at, storage,
                        getattr(linker, "fails_before_writing", False))
    vm = VM(nodes, thunks, in_cells, stats, reads, guard if guard.needed else None)
    n_out = len(outs)
    update_vars = [(target, fgraph.outputs[n_out + k])
                   for k, (target, _) in enumerate(update_pairs)]
    maker = FunctionMaker(fgraph, in_specs, outs, mode_obj, trace, args)
    fn = Function(maker, vm, storage, update_vars, as_list, stats, source, name)
    for k, i in enumerate(ins):
        if i.update is not None and i.value is not None:
            fn._in_cells[k][0] = i.variable.type.filter(i.value, name=i.name)
    fn.trust_input = trust_input
    if stats is not None:
        stats.record_phase("total", time.perf_counter() - started)
    return fn


def _optimize(fgraph: FunctionGraph, mode: Mode, stats: ProfileStats | None) -> Any:
    if mode.optimizer is None:
        return None
    start = time.perf_counter()
    pipeline = resolve(mode.optimizer)
    trace = pipeline.apply(fgraph) if pipeline is not None else None
    if stats is not None:
        stats.record_phase("rewrite", time.perf_counter() - start)
    return trace


def _run_order(fgraph: FunctionGraph) -> list:
    """The toposort, with in-place updates after every other reader of the old value."""
    return ordered_toposort(fgraph)


def _check_inputs(ins: list[In], roots: list[TensorVariable], on_unused: str,
                  givens: list[tuple[TensorVariable, TensorVariable]]) -> None:
    explicit = [i.variable for i in ins]
    seen = set()
    for k, var in enumerate(explicit):
        if id(var) in seen:
            raise ValueError(f"function: input {k} ({var}) is given more than once")
        seen.add(id(var))
        if isinstance(var, Constant):
            raise TypeError(f"function: input {k} is a constant ({var}); inputs must be "
                            f"symbolic Variables")
    used = {id(v) for v in ancestors(roots, blockers=explicit)}
    replaced = {id(v) for v, _ in givens}
    for k, var in enumerate(explicit):
        if id(var) not in used and on_unused != "ignore":
            message = (f"function was asked to compute outputs from input {k} ({var}), which "
                       f"is not part of the graph (or is replaced by givens); pass "
                       f"on_unused_input='ignore' or 'warn'")
            if on_unused == "raise" and id(var) not in replaced:
                raise UnusedInputError(message)
            warnings.warn(message, NbgraphWarning, stacklevel=3)
    for var in graph_inputs(roots, blockers=explicit):
        if var.owner is None and not isinstance(var, (Constant, SharedVariable)) \
                and id(var) not in seen:
            raise MissingInputError(f"function: the outputs depend on {var} "
                                    f"({var.type.short()}), which is not among the inputs "
                                    f"(add it to the inputs list, or give it via givens)")


# -- Theano conveniences that compile -----------------------------------------------------
class _EvalFunctions(dict):
    """``Variable.eval``'s compiled functions by input Variables, kept in ``var.tag`` (so they
    go when the graph does). Pickled and deep-copied empty: a Function pickles as its graph,
    which holds this very Variable."""

    def __reduce__(self) -> tuple:
        return (_EvalFunctions, ())


def eval_variable(var: TensorVariable, inputs_to_values: dict) -> Any:
    """``var.eval({x: value})``: compile once per (var, inputs), then call."""
    keys = tuple(inputs_to_values)
    cache = getattr(var.tag, "eval_functions", _EvalFunctions())
    fn = cache.get(keys)
    if fn is None or fn.maker.args["outputs"] is not var:  # a clone copies its original's tag
        fn = function(list(keys), var, on_unused_input="ignore")
        cache = _EvalFunctions(cache)  # a new dict: a clone's tag may share the old one
        cache[keys] = fn
        var.tag.eval_functions = cache
    return fn(*[inputs_to_values[k] for k in keys])

