"""Text views of a graph: ``debugprint``, ``pp`` and ``listing`` (strings only; DOT text is
in ``graphviz.py``, running Graphviz in ``pydotprint.py``).

Live graphs and trace snapshots (duck-typed: ``.nodes`` of records, ``.outputs`` of uids) go
through one record form (``graph_records``), so a listing or drawing of either reads the same.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TextIO

from .fgraph import FunctionGraph
from .graph import Apply, Variable, toposort
from .records import leaf_kind, snapshot_records
from .source import describe


# -- graph arguments ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Roots:
    """What a printable object stands for: its outputs, declared inputs and run order."""

    outputs: tuple[Variable, ...]
    inputs: tuple[Variable, ...] = ()
    order: tuple[Apply, ...] = ()      # a compiled graph's node order (debugprint shows it)
    storage: Any = None                # a compiled function's {Variable: cell}
    forward_ops: Any = None            # {apply uid: op text} for gradient provenance


def _roots(obj: Any) -> _Roots:
    """Duck-type a Variable, Apply, compiled Function, FunctionGraph or a list of those."""
    if isinstance(obj, Variable):
        return _Roots((obj,))
    if isinstance(obj, Apply):
        return _Roots(tuple(obj.outputs))
    if isinstance(obj, (list, tuple)):
        parts = [_roots(item) for item in obj]
        return _Roots(tuple(v for p in parts for v in p.outputs),
                      tuple(v for p in parts for v in p.inputs),
                      tuple(n for p in parts for n in p.order),
                      next((p.storage for p in parts if p.storage is not None), None))
    maker = getattr(obj, "maker", None)
    if maker is not None and hasattr(maker, "fgraph"):  # a compiled Function
        fgraph = _roots(maker.fgraph)
        return _Roots(fgraph.outputs, fgraph.inputs, fgraph.order,
                      getattr(obj, "storage_map", None), fgraph.forward_ops)
    if isinstance(obj, FunctionGraph):
        return _Roots(tuple(obj.outputs), tuple(obj.inputs), tuple(obj.toposort()), None,
                      obj.forward_ops)
    raise TypeError(f"cannot print an object of type {type(obj).__name__}: expected a "
                    "Variable, Apply, Function, FunctionGraph or a list of them")


# -- debugprint -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PrintOptions:
    """How ``debugprint`` prints (Theano's keyword arguments, gathered in one value)."""

    depth: int = -1                 # -1: unlimited
    print_type: bool = False        # append ``<TensorType(float64, vector)>``
    ids: str = "CHAR"               # 'CHAR' ([id A]), 'int' ([id 0]), 'id' (python id) or ''
    stop_on_name: bool = False      # do not expand below a named variable
    print_storage: bool = False     # append each value held by a compiled function
    print_source: bool = False      # append ``# built at model.py:42 in forward``


def char_from_number(number: int) -> str:
    """Theano's id letters: 0 -> 'A', 25 -> 'Z', 26 -> 'BA' (base 26, 'A' as the zero digit)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("A") + digit) + text
        if number == 0:
            return text


@dataclass(frozen=True, slots=True)
class InnerGraph:
    """One inner graph of a node: a scan's step, an ifelse branch, an OpFromGraph's body.

    ``outer`` maps each inner input to the outer Variable it stands for (a scan's sequence
    for each of its taps, its initial state for each recurrence tap).
    """

    label: str
    outputs: tuple[Variable, ...]
    outer: dict[Variable, Variable]


def inner_graphs(node: Apply) -> list[InnerGraph]:
    """The inner graphs of ``node``'s op (none for most ops), found by what the op holds:
    Scan's ``split_inner``, IfElse's ``then_outputs``, else ``inner_inputs``/``inner_outputs``
    standing for the node's own inputs (OpFromGraph)."""
    op = node.op
    if hasattr(op, "split_inner") and hasattr(op, "split_outer"):  # Scan
        _, seqs, inits, nonseqs = op.split_outer(list(node.inputs))
        inner_seqs, inner_recs, inner_nonseqs = op.split_inner()
        outer: dict[Variable, Variable] = {}
        for outers, inners in ((seqs, inner_seqs), (inits, inner_recs)):
            for var, taps in zip(outers, inners, strict=True):
                outer.update({tap: var for tap in taps})
        outer.update(zip(inner_nonseqs, nonseqs, strict=True))
        return [InnerGraph("step", tuple(op.inner_outputs), outer)]
    if hasattr(op, "then_outputs") and hasattr(op, "else_outputs"):  # IfElse
        outer = dict(zip(op.inner_inputs, node.inputs[1:], strict=True))
        return [InnerGraph("then", tuple(op.then_outputs), outer),
                InnerGraph("else", tuple(op.else_outputs), outer)]
    inputs, outputs = getattr(op, "inner_inputs", None), getattr(op, "inner_outputs", None)
    if inputs is not None and outputs is not None and len(inputs) == len(node.inputs):
        return [InnerGraph("body", tuple(outputs), dict(zip(inputs, node.inputs, strict=True)))]
    return []


class _TreePrinter:
    """Prints variables as Theano's indented tree; ``done`` maps printed objects to ids."""

    def __init__(self, options: PrintOptions, done: dict[Any, str], roots: _Roots):
        self.options = options
        self.done = done
        self.position = {id(node): k for k, node in enumerate(roots.order)}
        self.storage = roots.storage if options.print_storage else None
        self.lines: list[str] = []
        self.with_inner: list[Apply] = []  # nodes whose inner graphs print after the graph
        self.outer: dict[Variable, Variable] = {}  # inner input -> outer, while printing one

    def _id(self, obj: Any) -> str:
        if obj in self.done:
            return self.done[obj]
        ids = self.options.ids
        if ids == "CHAR":
            text = f"[id {char_from_number(len(self.done))}]"
        elif ids == "int":
            text = f"[id {len(self.done)}]"
        elif ids == "id":
            text = f"[id {id(obj)}]"
        elif ids == "":
            text = ""
        else:
            raise ValueError(f"debugprint: ids must be 'CHAR', 'int', 'id' or '', not {ids!r}")
        self.done[obj] = text
        return text

    def _line(self, var: Variable, prefix: str) -> str:
        """One variable: ``Op[.i] [id X] <type> 'name'   position`` or ``x [id X] <type>``."""
        type_text = f"<{var.type}>" if self.options.print_type else ""
        node = var.owner
        if node is None:
            parts = [f"{prefix}{var}", self._id(var), type_text]
        else:
            index = f".{var.index}" if len(node.outputs) > 1 else ""
            parts = [f"{prefix}{node.op}{index}", self._id(node), type_text,
                     f"'{var.name or ''}'"]
            scope = getattr(node.tag, "scope", None)
            if scope is not None:  # with nbgraph.name_scope(...)
                parts.append(f"@{scope}")
        text = " ".join(p for p in parts if p)
        if id(node) in self.position:
            text += f"   {self.position[id(node)]}"
        if self.storage is not None:
            text += f" {self.storage.get(var, '')}"
        if var in self.outer:  # an inner input names the outer Variable it stands for
            outer = self.outer[var]
            text += f" -> {self._id(outer.owner if outer.owner is not None else outer)}"
        if self.options.print_source and node is not None and describe(node):
            text = f"{text.rstrip()}   # {describe(node)}"
        return text.rstrip()

    def visit(self, root: Variable, prefix: str = "") -> None:
        # iterative depth-first walk: deep chains must not hit Python's recursion limit
        stack: list[tuple[Variable, str, str, int]] = [(root, prefix, prefix,
                                                        self.options.depth)]
        while stack:
            var, prefix, child_prefix, depth = stack.pop()
            if depth == 0:
                continue
            node = var.owner
            expanded = node is not None and node in self.done
            self.lines.append(self._line(var, prefix))
            if node is None or expanded:
                continue
            if node not in self.with_inner and inner_graphs(node):
                self.with_inner.append(node)
            if self.options.stop_on_name and var.name is not None:
                continue
            children = []
            for k, child in enumerate(node.inputs):
                last = k == len(node.inputs) - 1
                # a child's own children continue the bar unless it is the last input
                below = child_prefix + ("  " if last else " |")
                children.append((child, child_prefix + " |", below, depth - 1))
            stack.extend(reversed(children))

    def visit_inner(self) -> None:
        """Theano's second part: each node with inner graphs (nested ones too, as met), then
        its inner outputs with the ``>`` prefix, inner inputs naming their outer Variables."""
        if not self.with_inner:
            return
        scans = all(hasattr(node.op, "split_inner") for node in self.with_inner)
        self.lines += ["", "Inner graphs of the scan ops:" if scans else "Inner graphs:"]
        k = 0
        while k < len(self.with_inner):  # grows while inner graphs hold more inner graphs
            node = self.with_inner[k]
            k += 1
            self.lines.append("")
            self.lines.append(self._line(node.outputs[0], "").split("   ")[0])
            for graph in inner_graphs(node):
                self.outer = graph.outer
                for out in graph.outputs:
                    self.visit(out, " >")
            self.outer = {}


def debugprint(obj: Any, depth: int = -1, print_type: bool = False,
               file: TextIO | str | None = None, ids: str = "CHAR", stop_on_name: bool = False,
               done: dict[Any, str] | None = None, print_storage: bool = False,
               print_source: bool = False) -> Any:
    """Print a graph as Theano's indented tree, one line per variable.

    Parameters
    ----------
    obj : Variable, list of Variables, Apply, compiled Function or FunctionGraph
        What to print; a Function prints its optimized graph with each node's position.
    depth : int
        Print this many levels (-1: all).
    print_type : bool
        Append each variable's type.
    file : None, 'str' or file-like
        None prints to ``sys.stdout``; ``'str'`` returns the text; a file is written to
        and returned.
    ids : {'CHAR', 'int', 'id', ''}
        How node ids look: ``[id A]``, ``[id 0]``, the Python ``id``, or nothing.
    stop_on_name : bool
        Do not print below a variable that has a name.
    done : dict, optional
        Ids already given; pass the same dict to several calls to share ids.
    print_storage : bool
        For a compiled Function, append the value each variable holds.
    print_source : bool
        Append the user's line that built each node (``# built at model.py:42 in forward``;
        a rewritten node lists the lines of what it replaced).

    A node met again is printed once more with its id but not expanded. A multi-output node
    shows which output as ``.i``; a node built in ``with nbgraph.name_scope("layer1"):`` ends
    with ``@layer1``. Inner graphs (scan steps, ifelse branches) follow the graph, as in
    Theano, their lines prefixed ``>`` and their inputs naming the outer ids (``-> [id B]``).

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x, y = T.dscalar('x'), T.dscalar('y')
    >>> print(debugprint((x + y) * 2, file='str'), end='')
    Elemwise{mul,no_inplace} [id A] ''
     |Elemwise{add,no_inplace} [id B] ''
     | |x [id C]
     | |y [id D]
     |TensorConstant{2.0} [id E]
    """
    options = PrintOptions(depth, print_type, ids, stop_on_name, print_storage, print_source)
    roots = _roots(obj)
    printer = _TreePrinter(options, {} if done is None else done, roots)
    for var in roots.outputs:
        printer.visit(var)
    printer.visit_inner()
    text = "".join(line + "\n" for line in printer.lines)
    if file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    if isinstance(file, str):
        if file == "str":
            return text
        raise ValueError(f"debugprint: file is None, 'str' or a file, not {file!r}")
    file.write(text)
    return file


# -- pp ---------------------------------------------------------------------------------------
def _pp_leaf(var: Variable) -> str:
    """A graph input or constant; a Python number prints as written (``x ** 2`` shows
    ``TensorConstant{2}`` though it computes in float64, as Theano's int8 constant did)."""
    literal = getattr(var, "literal", None)
    if literal is not None and var.name is None:
        return f"TensorConstant{{{literal}}}"
    return str(var)


def pp(var: Variable) -> str:
    """Theano's infix pretty print of the expression computing ``var``.

    Infix ops use the scalar table's ``symbol`` and are always parenthesised; other
    elementwise ops print as functions; broadcasting dimshuffles are left out; Python
    numbers print as written.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x, y = T.dscalar('x'), T.dscalar('y')
    >>> pp(T.exp((x + y) * 2))
    'exp(((x + y) * TensorConstant{2}))'
    """
    if not isinstance(var, Variable):
        raise TypeError(f"pp: expected a Variable, got {type(var).__name__}")
    # bottom-up over the nodes, so a deep graph needs no recursion
    text: dict[int, str] = {}
    for node in toposort([var]):
        args = [text[id(x)] if id(x) in text else _pp_leaf(x) for x in node.inputs]
        for out in node.outputs:
            text[id(out)] = node.op.pp(node, args)
    return text.get(id(var), _pp_leaf(var))


pprint = pp


# -- records: one form for live graphs and trace snapshots -------------------------------------
def graph_records(graph: Any) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """Records and output uids of a Snapshot (duck-typed) or of anything ``debugprint`` takes
    (what ``listing`` and ``to_dot`` draw from)."""
    if hasattr(graph, "nodes") and hasattr(graph, "outputs"):
        return tuple(graph.nodes), tuple(graph.outputs)
    roots = _roots(graph)
    return snapshot_records(roots.outputs, roots.inputs, roots.forward_ops)


# -- listing ----------------------------------------------------------------------------------
def _listing_line(record: Any) -> str:
    type_text = f"({record.type})" if ", " in record.type else record.type
    head = f"%{record.uid}:{type_text} = "
    kind = leaf_kind(record)
    if kind == "constant":
        return head + record.label
    if kind == "input":
        return head + f"input {record.label}"
    args = " ".join(f"%{uid}" for uid in record.inputs)
    line = head + f"{record.label} {args}"
    return line + (f"  # {record.name}" if record.name else "")


def listing(graph: Any) -> str:
    """One line per node, like jaxpr text: made for text diffs and golden tests.

    ``graph`` is a list of output Variables (or a Variable, Function, FunctionGraph) or a
    trace Snapshot. Each line reads ``%uid:type = label %input ...``; leaves read
    ``%uid:type = input x`` or ``%uid:type = TensorConstant{2}``; the last line names the
    outputs.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> print(listing([T.exp(x)]))  # doctest: +SKIP
    %1:float64[?] = input x
    %3:float64[?] = Elemwise{exp,no_inplace} %1
    return %3
    """
    records, outputs = graph_records(graph)
    lines = [_listing_line(r) for r in records]
    lines.append("return " + ", ".join(f"%{uid}" for uid in outputs))
    return "\n".join(lines)
