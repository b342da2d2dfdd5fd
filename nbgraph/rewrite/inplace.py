"""inplace: let a node write its result into an input buffer nobody needs afterwards.

Never a graph input, a constant, a graph output, or a value (or a view of one) that anything
else reads; with one exception, Theano's: the node computing a shared variable's update may
overwrite that shared variable, once every other reader of the old value has run
(``destroy_orderings`` tells the toposort). ``check_destroyers`` re-checks the finished graph.
"""

from __future__ import annotations

from ..core.fgraph import OUTPUT, FunctionGraph
from ..core.graph import Apply, Constant
from ..core.variable import TensorVariable
from ..ops.blas import Gemm, Gemv, gemm_inplace, gemv_inplace
from ..ops.elemwise import Elemwise
from .engine import RuleSet, node_rule


class InplaceError(AssertionError):
    """A node destroys a value that is protected or still read elsewhere."""


def _aliases(node: Apply) -> dict[int, list[int]]:
    views = dict(getattr(node.op, "view_map", {}) or {})
    views.update(getattr(node.op, "destroy_map", {}) or {})
    return views


def _sources(node: Apply, index: int) -> list[int]:
    return list(_aliases(node).get(index, []))


def why_not_destroyable(fgraph: FunctionGraph, var: TensorVariable, reader: Apply) -> str | None:
    """None if ``reader`` may overwrite ``var``'s buffer; else the reason it may not."""
    inputs = {id(v) for v in fgraph.inputs}
    while True:
        if id(var) in inputs:
            return f"{var} is a graph input (or a shared variable's value)"
        if isinstance(var, Constant):
            return f"{var} is a constant"
        clients = fgraph.clients.get(var, [])
        if any(c == OUTPUT for c, _ in clients):
            return f"{var} is a graph output"
        if [c for c, _ in clients] != [reader]:
            return f"{var} is read by {len(clients)} nodes"
        owner, index = var.owner, var.index
        if owner is None or index is None:
            return f"{var} has no owner"
        sources = _sources(owner, index)
        if not sources:
            return None
        reader, var = owner, owner.inputs[sources[0]]  # a view: its base must be free too


def readers(fgraph: FunctionGraph, var: TensorVariable, destroyer: Apply | None = None
            ) -> tuple[list[tuple[Apply, int]], bool]:
    """Every (node, input index) reading ``var``'s buffer, directly or through views, and
    whether that buffer (or a view of it) is a graph output. The ``destroyer``'s outputs
    hold the new value, not views of the old one."""
    found: list[tuple[Apply, int]] = []
    is_output = False
    stack = [var]
    while stack:
        v = stack.pop()
        for client, i in fgraph.clients.get(v, []):
            if client == OUTPUT:
                is_output = True
                continue
            found.append((client, i))
            if client is destroyer:
                continue
            for out_index, sources in _aliases(client).items():
                if i in sources:
                    stack.append(client.outputs[out_index])
    return found, is_output


def _chain_to(fgraph: FunctionGraph, out: TensorVariable, final: TensorVariable,
              then: Apply | None) -> list[Apply] | None:
    """The nodes after ``out`` that each overwrite the previous one's result, up to
    ``final`` (Theano's gemm chain ``gemm(gemm(W, ...), ...)``), or None if ``out`` has
    another use. ``then``: a node about to become in place on its input 0, counted as such."""
    chain: list[Apply] = []
    while out is not final:
        clients = fgraph.clients.get(out, [])
        if len(clients) != 1 or clients[0][0] == OUTPUT:
            return None
        client, i = clients[0]
        destroys = {0: [0]} if client is then else (getattr(client.op, "destroy_map", {}) or {})
        index = next((k for k, sources in destroys.items() if sources == [i]), None)
        if index is None or client.inputs.count(out) > 1:
            return None
        chain.append(client)
        out = client.outputs[index]
    return chain


def why_not_updated_in_place(fgraph: FunctionGraph, var: TensorVariable, node: Apply,
                             in_index: int, out_index: int, then: Apply | None = None
                             ) -> str | None:
    """None if ``node`` may compute its output ``out_index`` into ``var`` (its input
    ``in_index``): ``var`` is a shared variable this function updates, with that very output
    as its only use (or the start of a chain of nodes overwriting it, see ``_chain_to``), and
    every other reader of the old value can run before ``node``."""
    position = fgraph.inplace_updates.get(var)
    if position is None:
        return f"{var} is not a shared variable this function updates"
    out = node.outputs[out_index]
    chain = _chain_to(fgraph, out, fgraph.outputs[position], then)
    if chain is None or fgraph.clients.get(fgraph.outputs[position]) != [(OUTPUT, position)]:
        return f"{out} is read elsewhere, not only as the update of {var}"
    found, is_output = readers(fgraph, var, node)
    if is_output:
        return f"{var} (or a view of it) is a graph output"
    if any(reader is node and i != in_index for reader, i in found):
        return f"{node.op} reads {var} (or a view of it) twice"
    late = next((reader for reader, _ in found if reader in chain), None)
    if late is not None:
        return f"{late.op} at node {late.uid} reads {var} after {node.op} overwrote it"
    for reader, _ in found:   # each other reader must run first: not one that must run after
        if reader is not node and _must_follow(fgraph, reader, node):
            return (f"{reader.op} at node {reader.uid} reads {var} and overwrites a value "
                    f"{node.op} reads: neither could run first")
    return None


def _must_follow(fgraph: FunctionGraph, later: Apply, node: Apply) -> bool:
    """Whether ``later`` overwrites a buffer ``node`` reads (so ``node`` must run before it):
    ``[(a, a + b), (b, b * a)]`` cannot have both updates in place."""
    for sources in (getattr(later.op, "destroy_map", {}) or {}).values():
        for i in sources:
            found, _ = readers(fgraph, later.inputs[i], later)
            if any(reader is node for reader, _ in found):
                return True
    return False


def _destroyable(fgraph: FunctionGraph, node: Apply, in_index: int, out_index: int) -> bool:
    var = node.inputs[in_index]
    if node.inputs.count(var) > 1:
        return False
    return (why_not_destroyable(fgraph, var, node) is None
            or why_not_updated_in_place(fgraph, var, node, in_index, out_index) is None)


@node_rule("elemwise_inplace", tracks=(Elemwise,))
def elemwise_inplace(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """Elemwise{op,no_inplace}(a, b) -> Elemwise{op,inplace}(a, b), output in a's buffer; a
    shared variable the output updates comes first (no new buffer per call)."""
    op = node.op
    if op.inplace_pattern or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    candidates = [i for i, var in enumerate(node.inputs) if var.type == out.type]
    candidates.sort(key=lambda i: node.inputs[i] not in fgraph.inplace_updates)
    for i in candidates:
        if _destroyable(fgraph, node, i, 0):
            return [Elemwise(op.scalar_op, {0: i})(*node.inputs)]
    return None


@node_rule("gemm_inplace", tracks=(Gemm,))
def gemm_to_inplace(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """Gemm{no_inplace}(W, a, x, y, b) -> Gemm{inplace}: the SGD step ``W - lr * dot(x, y)``
    updates W's buffer instead of copying it (only for a shared variable's update). Theano's
    chain ``gemm(gemm(W, ...), ...)`` of an update becomes two in-place gemms, both in W."""
    if node.op.inplace or node.inputs[0].type != node.outputs[0].type:
        return None
    inner = node.inputs[0].owner
    if inner is not None and isinstance(inner.op, Gemm) and not inner.op.inplace \
            and inner.inputs[0].type == inner.outputs[0].type \
            and inner.inputs.count(inner.inputs[0]) == 1 \
            and why_not_updated_in_place(fgraph, inner.inputs[0], inner, 0, 0, then=node) is None:
        return [gemm_inplace(gemm_inplace(*inner.inputs), *node.inputs[1:])]
    if why_not_updated_in_place(fgraph, node.inputs[0], node, 0, 0) is not None \
            or node.inputs.count(node.inputs[0]) > 1:
        return None
    return [gemm_inplace(*node.inputs)]


@node_rule("gemv_inplace", tracks=(Gemv,))
def gemv_to_inplace(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """Gemv{no_inplace}(y, a, A, x, b) -> Gemv{inplace}: the result goes into y's buffer
    (the fresh one gemv's rule allocates, or a shared variable's it updates)."""
    if node.op.inplace or node.inputs[0].type != node.outputs[0].type \
            or not _destroyable(fgraph, node, 0, 0):
        return None
    return [gemv_inplace(*node.inputs)]


def destroy_orderings(fgraph: FunctionGraph) -> dict[Apply, list[Apply]]:
    """For each node overwriting a buffer that other nodes read too (a shared variable it
    updates): those readers, which must run before it."""
    before: dict[Apply, list[Apply]] = {}
    for node in fgraph.apply_nodes:
        for sources in (getattr(node.op, "destroy_map", {}) or {}).values():
            for i in sources:
                found, _ = readers(fgraph, node.inputs[i], node)
                others = [r for r, _ in found if r is not node]
                if others:
                    before.setdefault(node, []).extend(dict.fromkeys(others))
    return before


def ordered_toposort(fgraph: FunctionGraph) -> list[Apply]:
    """``fgraph.toposort()``, with each in-place update moved after the other readers of the
    value it overwrites (InplaceError if that is impossible)."""
    base = fgraph.toposort()
    extra = destroy_orderings(fgraph)
    if not extra:
        return base
    position = {node: k for k, node in enumerate(base)}

    def deps(node: Apply) -> list[Apply]:
        owners = [v.owner for v in node.inputs if v.owner in position]
        return owners + sorted(extra.get(node, ()), key=position.__getitem__)

    order: list[Apply] = []
    state: dict[Apply, int] = {}   # 1: on the stack, 2: placed
    for root in base:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(deps(root)))]
        while stack:
            node, pending = stack[-1]
            for dep in pending:
                if state.get(dep) == 1:
                    raise InplaceError(f"{node.op} at node {node.uid} must run both before "
                                       f"and after {dep.op} at node {dep.uid}")
                if state.get(dep) is None:
                    state[dep] = 1
                    stack.append((dep, iter(deps(dep))))
                    break
            else:
                stack.pop()
                state[node] = 2
                order.append(node)
    return order


def _continues_update(fgraph: FunctionGraph, node: Apply, i: int) -> bool:
    """Whether ``node``'s input ``i`` is the only use of a result its producer computed in
    place (a gemm chain's second link: the first link's own check covers the chain)."""
    var = node.inputs[i]
    owner = var.owner
    return owner is not None and fgraph.clients.get(var) == [(node, i)] \
        and var.index in (getattr(owner.op, "destroy_map", {}) or {})


def check_destroyers(fgraph: FunctionGraph) -> None:
    """Raise InplaceError if some node overwrites a protected or still-needed value."""
    for node in fgraph.apply_nodes:
        for out_index, sources in (getattr(node.op, "destroy_map", {}) or {}).items():
            for i in sources:
                reason = why_not_destroyable(fgraph, node.inputs[i], node)
                if reason is not None and (why_not_updated_in_place(
                        fgraph, node.inputs[i], node, i, out_index) is None
                        or _continues_update(fgraph, node, i)):
                    continue
                if reason is not None:
                    raise InplaceError(f"{node.op} at node {node.uid} overwrites input {i} "
                                       f"({node.inputs[i]}) for output {out_index}, but "
                                       f"{reason}")


INPLACE = RuleSet("inplace", (elemwise_inplace, gemm_to_inplace, gemv_to_inplace))
