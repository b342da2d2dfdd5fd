"""The Op contract (Theano's): build nodes, compute values, build gradient graphs.

An Op subclass defines, in one place:

- ``make_node(*inputs) -> Apply``: check and convert inputs, infer output types (static shape
  and dtype mismatches raise here, naming both sides and the op);
- ``perform(node, inputs, output_storage)``: the NumPy reference; writes ``output_storage[i][0]``;
- ``grad(inputs, output_grads) -> list``: symbolic input gradients (Variables), or ``None``
  for a disconnected input (``L_op`` is the same hook, also given the forward outputs);
- optionally ``infer_shape(node, input_shapes)``, ``c_code``/``cuda_code`` (compile layer),
  ``view_map``/``destroy_map`` ({output index: [input index]}) for aliasing.

``__props__`` names the attributes that make two instances equal; merge relies on it.
"""

from __future__ import annotations

from typing import Any

from .graph import Apply, Variable


class Op:
    __props__: tuple[str, ...] = ()
    default_output: int | None = None
    view_map: dict[int, list[int]] = {}
    destroy_map: dict[int, list[int]] = {}

    # -- identity ------------------------------------------------------------------------
    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()  # type: ignore

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if self.__props__:
            inner = ", ".join(str(p) for p in self._props())
            return f"{type(self).__name__}{{{inner}}}"
        return type(self).__name__

    def __repr__(self) -> str:
        return str(self)

    # -- the contract --------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        raise NotImplementedError(f"{type(self).__name__}.perform")

    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def L_op(self, inputs: list[Variable], outputs: list[Variable],
             output_grads: list[Variable]) -> list[Variable]:
        """What ``grad`` builds, for ops that reuse their forward outputs (``d exp = exp``).

        The gradient engine calls this; override ``grad`` (Theano's hook) unless the outputs
        are needed.
        """
        return self.grad(inputs, output_grads)

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        node = self.make_node(*inputs, **kwargs)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)

    def make_thunk(self, node: Apply, in_cells: list[list[Any]], out_cells: list[list[Any]]):
        """A zero-argument callable running ``perform`` on storage cells (the Python linker)."""
        perform = self.perform

        def thunk() -> None:
            perform(node, [cell[0] for cell in in_cells], out_cells)

        return thunk
