"""The Op contract (Theano's): build nodes, compute values, build gradient graphs.

An Op subclass defines, in one place:

- ``make_node(*inputs) -> Apply``: check and convert inputs, infer output types (static shape
  and dtype mismatches raise here, naming both sides and the op);
- ``perform(node, inputs, output_storage)``: the NumPy reference; writes ``output_storage[i][0]``;
- ``grad(inputs, output_grads) -> list``: symbolic input gradients (Variables), or ``None``
  for a disconnected input (``L_op`` is the same hook, also given the forward outputs);
- optionally ``infer_shape(node, input_shapes)``, ``c_code``/``cuda_code`` (compile layer),
  ``view_map``/``destroy_map`` ({output index: [input index]}) for aliasing;
- optionally ``make_thunk(node, in_cells, out_cells, compiler=None)``: what a linker runs (see
  ``InnerCompiler`` for ops whose ``perform`` runs an inner graph, such as Scan and IfElse).

``__props__`` names the attributes that make two instances equal; merge relies on it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

from .graph import Apply, Variable
from .test_values import compute_test_values
from .variable import TensorVariable, constant


class InnerCompiler(Protocol):
    """What a linker lends ``Op.make_thunk``: a way to compile an op's inner graph (Scan's
    step, IfElse's branches) the way the outer function runs, without core importing compile.

    ``function(inputs, outputs, mode)`` returns a callable taking one value per input,
    positionally and already of the inputs' types (it is not checked), and returning the list
    of output values (fresh arrays, never an input's memory). ``mode`` is the op's own mode
    (``scan(..., mode=)``), None to follow the outer function. Equal ``key`` values compile
    equal functions, so an op may cache what it got by ``key``.

    >>> step = compiler.function([x_t, h], [T.tanh(x_t + h)])   # inside make_thunk
    >>> step(x_value, h_value)                                     # -> [array(...)]

    ``nbgraph.core.inner_graph.REFERENCE`` runs the graph node by node with each ``perform``
    (what ``perform`` itself uses); the linkers in ``nbgraph.link.linker`` compile it.
    """

    @property
    def key(self) -> Hashable: ...

    def function(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 mode: Any = None) -> Callable[..., list[Any]]: ...


class StepLoop(Protocol):
    """What a compiling ``InnerCompiler`` may also offer, as ``step_loop(fn)`` for a function
    ``fn`` it made (Scan's step): the loop over steps, run over rows of preallocated arrays
    without a call of ``fn`` per step (``nbgraph.link.scan_loop``). None where it cannot.

    ``run(n, slots, fixed, dests, until, bad_shape) -> (steps, arrays)``: at step ``t`` the
    first ``len(slots)`` inputs read row ``(t + offset) % rows`` of their slot ``(array,
    offset, rows)``, the rest are ``fixed``; output ``k`` is written into the row of
    ``dests[k]`` likewise, or where that is None into row ``t`` of an array of ``n`` steps
    made on the first step (``arrays``). With ``until`` the last output, true, ends the loop
    after its step. ``bad_shape(k, got, expected)`` is the error for an output whose shape
    is not its row's.
    """

    def run(self, n: int, slots: Sequence[tuple[Any, int, int]], fixed: Sequence[Any],
            dests: Sequence[tuple[Any, int, int] | None], until: bool,
            bad_shape: Callable[[int, tuple, tuple], Exception]) -> tuple[int, list[Any]]: ...


class UndefinedGrad:
    """What ``grad_undefined`` returns for an input: fails only if the gradient is needed."""

    def __init__(self, why: str):
        self.why = why


# one input's gradient: a graph, None where the input is disconnected, or undefined
InputGrad = TensorVariable | UndefinedGrad | None


class Op:
    __props__: tuple[str, ...] = ()
    default_output: int | None = None
    view_map: dict[int, list[int]] = {}
    destroy_map: dict[int, list[int]] = {}

    # -- identity ------------------------------------------------------------------------
    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Op) and type(self) is type(other) \
            and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if self.__props__:
            inner = ", ".join(str(p) for p in self._props())
            return f"{type(self).__name__}{{{inner}}}"
        return type(self).__name__

    def __repr__(self) -> str:
        return str(self)

    def pp(self, node: Apply, args: list[str]) -> str:
        """How ``printing.pp`` shows this node, given its inputs' printed forms: ``op(a, b)``
        unless the op prints itself (infix elementwise math, transposes)."""
        return f"{self}({', '.join(args)})"

    # -- the contract --------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        """Theano's default: an op that declares ``itypes`` and ``otypes`` (lists of types,
        e.g. ``[T.dmatrix]``) takes inputs of exactly those types."""
        itypes, otypes = getattr(self, "itypes", None), getattr(self, "otypes", None)
        if itypes is None or otypes is None:
            raise NotImplementedError(f"{type(self).__name__}.make_node (or itypes and "
                                      f"otypes)")
        if len(inputs) != len(itypes):
            raise TypeError(f"{self}: takes {len(itypes)} inputs, got {len(inputs)}")
        # numbers and arrays become constants of the declared dtype
        given: list[Any] = [x if isinstance(x, Variable) else constant(x, dtype=itype.dtype)
                            for x, itype in zip(inputs, itypes, strict=True)]
        for k, (var, itype) in enumerate(zip(given, itypes, strict=True)):
            if var.type != itype:
                raise TypeError(f"{self}: input {k} ({var}) has type {var.type}, the op's "
                                f"itypes say {itype}")
        return Apply(self, given, [otype() for otype in otypes])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        raise NotImplementedError(f"{type(self).__name__}.perform")

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> Sequence[InputGrad]:
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> Sequence[InputGrad]:
        """What ``grad`` builds, for ops that reuse their forward outputs (``d exp = exp``).

        The gradient engine calls this; override ``grad`` (Theano's hook) unless the outputs
        are needed.
        """
        return self.grad(inputs, output_grads)

    # Any: one output or the list of them, by the op; each caller knows which its op makes
    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        node = self.make_node(*inputs, **kwargs)
        compute_test_values(node)  # Theano's config.compute_test_value ('off': nothing)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)

    def make_thunk(self, node: Apply, in_cells: list[list[Any]], out_cells: list[list[Any]],
                   compiler: InnerCompiler | None = None) -> Callable[[], None]:
        """A zero-argument callable running ``perform`` on storage cells (the Python linker).

        Linkers pass ``compiler``; ops with inner graphs override this to compile them with
        it (the default ignores it).
        """
        perform = self.perform

        def thunk() -> None:
            perform(node, [cell[0] for cell in in_cells], out_cells)

        return thunk
