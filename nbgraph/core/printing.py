"""Text and DOT views of a graph: ``debugprint``, ``pp``, ``listing``, ``to_dot`` (strings only).

Live graphs and trace snapshots (duck-typed: ``.nodes`` of records, ``.outputs`` of uids) go
through one record form, so a listing or drawing of either reads the same. Nothing is rendered
here: turning DOT into pictures belongs to ``nbgraph.printing`` and the widgets.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .elemwise import DimShuffle, Elemwise
from .graph import Apply, Variable, toposort
from .records import snapshot_records


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
    if hasattr(obj, "outputs") and hasattr(obj, "toposort"):  # a FunctionGraph
        return _Roots(tuple(obj.outputs), tuple(getattr(obj, "inputs", ())),
                      tuple(obj.toposort()), None, getattr(obj, "forward_ops", None))
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


def char_from_number(number: int) -> str:
    """Theano's id letters: 0 -> 'A', 25 -> 'Z', 26 -> 'BA' (base 26, 'A' as the zero digit)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("A") + digit) + text
        if number == 0:
            return text


class _TreePrinter:
    """Prints variables as Theano's indented tree; ``done`` maps printed objects to ids."""

    def __init__(self, options: PrintOptions, done: dict[Any, str], roots: _Roots):
        self.options = options
        self.done = done
        self.position = {id(node): k for k, node in enumerate(roots.order)}
        self.storage = roots.storage if options.print_storage else None
        self.lines: list[str] = []

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
        text = " ".join(p for p in parts if p)
        if id(node) in self.position:
            text += f"   {self.position[id(node)]}"
        if self.storage is not None:
            text += f" {self.storage.get(var, '')}"
        return text.rstrip()

    def visit(self, root: Variable) -> None:
        # iterative depth-first walk: deep chains must not hit Python's recursion limit
        stack: list[tuple[Variable, str, str, int]] = [(root, "", "", self.options.depth)]
        while stack:
            var, prefix, child_prefix, depth = stack.pop()
            if depth == 0:
                continue
            node = var.owner
            expanded = node is not None and node in self.done
            self.lines.append(self._line(var, prefix))
            if node is None or expanded:
                continue
            if self.options.stop_on_name and var.name is not None:
                continue
            children = []
            for k, child in enumerate(node.inputs):
                last = k == len(node.inputs) - 1
                # a child's own children continue the bar unless it is the last input
                below = child_prefix + ("  " if last else " |")
                children.append((child, child_prefix + " |", below, depth - 1))
            stack.extend(reversed(children))


def debugprint(obj: Any, depth: int = -1, print_type: bool = False,
               file: TextIO | str | None = None, ids: str = "CHAR", stop_on_name: bool = False,
               done: dict | None = None, print_storage: bool = False) -> Any:
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

    A node met again is printed once more with its id but not expanded. A multi-output node
    shows which output as ``.i``.

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
    options = PrintOptions(depth, print_type, ids, stop_on_name, print_storage)
    roots = _roots(obj)
    printer = _TreePrinter(options, {} if done is None else done, roots)
    for var in roots.outputs:
        printer.visit(var)
    text = "".join(line + "\n" for line in printer.lines)
    if file == "str":
        return text
    stream = sys.stdout if file is None else file
    stream.write(text)
    if file is None:
        stream.flush()
        return None
    return file


# -- pp ---------------------------------------------------------------------------------------
# Theano prints these scalar ops under other names or forms
_PP_PATTERNS = {"second": "fill({0}, {1})", "abs_": "|{0}|"}


def _pp_node(node: Apply, args: list[str], var: Variable) -> str:
    op = node.op
    if isinstance(op, DimShuffle):
        order = list(op.new_order)
        while order and order[0] == "x":  # broadcasting pads print as the value itself
            order.pop(0)
        ndim = node.inputs[0].ndim
        if order == list(range(ndim)):
            return args[0]
        if order == list(reversed(range(ndim))):
            return f"{args[0]}.T"
        return "DimShuffle{" + ", ".join(map(str, op.new_order)) + f"}}({args[0]})"
    spec = op.scalar_op if isinstance(op, Elemwise) else None
    if spec is not None and not spec.name.startswith("Composite"):
        if spec.name in _PP_PATTERNS:
            return _PP_PATTERNS[spec.name].format(*args)
        if spec.symbol and len(args) == 1:
            return f"({spec.symbol}{args[0]})"
        if spec.symbol:
            return "(" + f" {spec.symbol} ".join(args) + ")"
        return f"{spec.name}({', '.join(args)})"
    return f"{op}({', '.join(args)})"


def pp(var: Variable) -> str:
    """Theano's infix pretty print of the expression computing ``var``.

    Infix ops use the scalar table's ``symbol`` and are always parenthesised; other
    elementwise ops print as functions; broadcasting dimshuffles are left out.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x, y = T.dscalar('x'), T.dscalar('y')
    >>> pp(T.exp((x + y) * 2))
    'exp(((x + y) * TensorConstant{2.0}))'
    """
    if not isinstance(var, Variable):
        raise TypeError(f"pp: expected a Variable, got {type(var).__name__}")
    # bottom-up over the nodes, so a deep graph needs no recursion
    text: dict[int, str] = {}
    for node in toposort([var]):
        args = [text[id(x)] if id(x) in text else str(x) for x in node.inputs]
        for out in node.outputs:
            text[id(out)] = _pp_node(node, args, out)
    return text.get(id(var), str(var))


pprint = pp


# -- records: one form for live graphs and trace snapshots -------------------------------------
def _as_records(graph: Any) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """Records and output uids of a Snapshot (duck-typed) or of anything ``_roots`` takes."""
    if hasattr(graph, "nodes") and hasattr(graph, "outputs"):
        return tuple(graph.nodes), tuple(graph.outputs)
    roots = _roots(graph)
    return snapshot_records(roots.outputs, roots.inputs, roots.forward_ops)


def _is_constant(record: Any) -> bool:
    return not record.inputs and "Constant{" in record.label


def _leaf_kind(record: Any) -> str | None:
    """'constant' or 'input' for a record without inputs, None for an op."""
    if record.inputs:
        return None
    return "constant" if _is_constant(record) else "input"


# -- listing ----------------------------------------------------------------------------------
def _listing_line(record: Any) -> str:
    type_text = f"({record.type})" if ", " in record.type else record.type
    head = f"%{record.uid}:{type_text} = "
    kind = _leaf_kind(record)
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
    records, outputs = _as_records(graph)
    lines = [_listing_line(r) for r in records]
    lines.append("return " + ", ".join(f"%{uid}" for uid in outputs))
    return "\n".join(lines)


# -- to_dot -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DotOptions:
    """How ``to_dot`` draws. Large graphs collapse elementwise chains and drop edge labels."""

    collapse_chains: int | None = None  # None: chains of >= 3 ops above `large`; 0: never
    large: int = 400                    # node count from which a graph counts as large
    edge_labels: bool | None = None     # None: only for graphs that are not large
    max_label: int = 48                 # longer labels are cut (the tooltip keeps them whole)
    rankdir: str = "TB"
    id_prefix: str = ""                 # SVG ids are prefix + uid ('n' keeps HTML ids non-numeric)
    css_classes: bool = False           # also class each node by kind ('op'...) and 'output'
    graph_attrs: tuple[tuple[str, str], ...] = ()  # more graph attributes (bgcolor, splines)


@dataclass(frozen=True, slots=True)
class NodeStyle:
    """How one node is drawn beyond the defaults: the views mark, colour and annotate with it.

    ``attrs`` are DOT attributes that win over the palette (``fillcolor``, ``color``,
    ``penwidth``); ``css`` adds SVG classes; ``note`` adds a label line and ``tooltip`` a
    tooltip line. A ``highlight`` still wins over ``attrs``.
    """

    attrs: Mapping[str, str] = field(default_factory=dict)
    css: str = ""
    note: str = ""
    tooltip: str = ""


# Theano's pydotprint palette: inputs green, outputs blue; gradient nodes set apart in orange
_FILL = {"input": "#c7e9c0", "constant": "#eeeeee", "op": "#ffffff", "grad": "#fdd9b5",
         "highlight": "#ffd54f"}
_OUTPUT_PEN = "#1f5fbf"
_HIGHLIGHT_PEN = "#d62728"
_CLUSTER = ("#ffedd5", "#ea580c")  # (fill, border) of the one labelled box, e.g. the gradient
_NO_STYLE = NodeStyle()


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(pairs: dict[str, str]) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in pairs.items())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_elemwise(record: Any) -> bool:
    return record.label.startswith("Elemwise{")


def _scalar_name(label: str) -> str:
    """``Elemwise{exp,no_inplace}`` -> ``exp`` (fused Composites keep their whole text)."""
    inner = label[len("Elemwise{"):].rsplit("}", 1)[0]
    return inner.split(",", 1)[0] if not inner.startswith("Composite") else "Composite"


def _chains(records: Sequence[Any], outputs: set[int], keep: set[int],
            min_length: int) -> list[list[Any]]:
    """Maximal paths of elementwise nodes in which every link has exactly one consumer."""
    consumers: dict[int, int] = {}
    for record in records:
        for uid in record.inputs:
            consumers[uid] = consumers.get(uid, 0) + 1
    by_uid = {r.uid: r for r in records}
    previous: dict[int, int] = {}
    for record in records:
        if not _is_elemwise(record) or record.uid in keep:
            continue
        for uid in record.inputs:
            source = by_uid.get(uid)
            if (source is not None and _is_elemwise(source) and consumers[uid] == 1
                    and uid not in outputs and uid not in keep):
                previous[record.uid] = uid  # one predecessor: a chain is a path
                break
    following = {src: dst for dst, src in previous.items()}
    chains = []
    for record in records:
        if record.uid in previous or record.uid not in following:
            continue
        chain = [record]
        while chain[-1].uid in following:
            chain.append(by_uid[following[chain[-1].uid]])
        if len(chain) >= min_length:
            chains.append(chain)
    return chains


@dataclass(frozen=True, slots=True)
class _DrawNode:
    """One drawn node: a record, or a collapsed chain represented by its last record."""

    uid: int
    label: str
    inputs: tuple[int, ...]
    type: str
    kind: str            # 'input', 'constant' or 'op'
    tooltip: str
    grad: bool


def _draw_nodes(records: Sequence[Any], outputs: set[int], keep: set[int],
                min_length: int) -> tuple[list[_DrawNode], dict[int, int]]:
    """Drawn nodes in record order, and the drawn uid standing for each record uid."""
    stands_for: dict[int, int] = {r.uid: r.uid for r in records}
    chain_of: dict[int, list[Any]] = {}
    if min_length > 0:
        for chain in _chains(records, outputs, keep, min_length):
            for record in chain:
                stands_for[record.uid] = chain[-1].uid
            chain_of[chain[-1].uid] = chain
    nodes = []
    for record in records:
        if stands_for[record.uid] != record.uid:
            continue  # drawn as part of its chain
        grad = record.origin.startswith("grad")
        tip = [record.type, f"origin: {record.origin}", f"uid {record.uid}"]
        if record.name:
            tip.insert(0, f"name: {record.name}")
        if record.uid in chain_of:
            chain = chain_of[record.uid]
            members = {r.uid for r in chain}
            steps = [_scalar_name(r.label) for r in chain]
            shown = steps if len(steps) <= 5 else steps[:2] + ["…"] + steps[-2:]
            label = f"{len(chain)} elementwise ops\n" + " → ".join(shown)
            inputs = tuple(dict.fromkeys(u for r in chain for u in r.inputs
                                         if u not in members))
            tip = [record.type, "collapsed chain: " + " → ".join(steps),
                   "uids " + ", ".join(str(r.uid) for r in chain),
                   f"origin: {record.origin}"]
            grad = any(r.origin.startswith("grad") for r in chain)
        else:
            named = record.name and record.name != record.label
            label = f"{record.label}\n'{record.name}'" if named else record.label
            inputs = tuple(record.inputs)
        kind = _leaf_kind(record) or "op"
        nodes.append(_DrawNode(record.uid, label, inputs, record.type, kind,
                               "\n".join(tip), grad))
    return nodes, stands_for


def _node_attrs(node: _DrawNode, is_output: bool, highlighted: bool,
                options: DotOptions, style: NodeStyle) -> dict[str, str]:
    text = f"{node.label}\n{style.note}" if style.note else node.label
    label = "\n".join(_cut(part, options.max_label) for part in text.split("\n"))
    tooltip = f"{node.tooltip}\n{style.tooltip}" if style.tooltip else node.tooltip
    attrs = {"id": f"{options.id_prefix}{node.uid}", "label": label, "tooltip": tooltip}
    if node.kind == "op":
        attrs.update(shape="ellipse", style="filled",
                     fillcolor=_FILL["grad" if node.grad else "op"])
    else:
        attrs.update(shape="box", style="filled" if node.kind == "input" else "filled,dashed",
                     fillcolor=_FILL[node.kind])
    classes = []
    if options.css_classes:
        classes += [node.kind, "output"] if is_output else [node.kind]
    if node.grad:
        classes.append("grad")
    classes += style.css.split()
    if classes:
        attrs["class"] = " ".join(classes)
    if is_output:
        attrs.update(peripheries="2", color=_OUTPUT_PEN, penwidth="1.5")
    attrs.update(style.attrs)
    if highlighted:
        attrs.update(fillcolor=_FILL["highlight"], color=_HIGHLIGHT_PEN, penwidth="3")
        attrs["class"] = (attrs.get("class", "") + " highlight").strip()
    return attrs


def _cluster_lines(label: str, lines: list[str]) -> list[str]:
    fill, border = _CLUSTER
    head = (f'  subgraph cluster_group {{ label={_quote(label)}; style="rounded,filled"; '
            f'fillcolor="{fill}"; color="{border}"; fontname="Helvetica"; fontsize=10;')
    return [head, *("  " + line for line in lines), "  }"]


def to_dot(graph: Any, highlight: Iterable[int] = (), title: str | None = None,
           options: DotOptions | None = None, styles: Mapping[int, NodeStyle] | None = None,
           cluster: tuple[str, Collection[int]] | None = None) -> str:
    """DOT text drawing ``graph`` (a trace Snapshot, or output Variables, a Function, ...).

    Node ids are record uids (a leaf's Variable uid, an Apply's uid); inputs are green boxes,
    constants grey dashed boxes, ops ellipses, outputs doubly outlined in blue, gradient
    nodes filled orange, and the uids in ``highlight`` amber with a red outline. Edges carry
    the producer's ``dtype[shape]``; tooltips give the type and provenance. The same graph
    always gives the same text.

    ``styles`` maps uids to a ``NodeStyle`` (colours, SVG classes, an extra label or tooltip
    line: how the widgets mark removed/added nodes or colour by time); ``cluster`` draws the
    uids it names in one labelled box, e.g. ``("backward (gradient)", uids)``.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> to_dot([T.exp(x)]).splitlines()[0]
    'digraph nbgraph {'
    """
    options = options or DotOptions()
    records, output_uids = _as_records(graph)
    outputs, keep = set(output_uids), set(highlight)
    large = len(records) > options.large
    min_length = options.collapse_chains
    if min_length is None:
        min_length = 3 if large else 0
    edge_labels = (not large) if options.edge_labels is None else options.edge_labels
    nodes, stands_for = _draw_nodes(records, outputs, keep, min_length)
    drawn_types = {r.uid: r.type for r in records}

    lines = ["digraph nbgraph {"]
    graph_attrs = {"rankdir": options.rankdir, "fontname": "Helvetica"}
    if title:
        graph_attrs.update(label=title, labelloc="t")
    graph_attrs.update(options.graph_attrs)
    lines.append(f"  graph [{_attrs(graph_attrs)}];")
    lines.append('  node [fontname="Helvetica", fontsize="11"];')
    lines.append('  edge [fontname="Helvetica", fontsize="9", color="#555555"];')
    shown_outputs = {stands_for.get(uid, uid) for uid in outputs}
    shown_highlight = {stands_for.get(uid, uid) for uid in keep}
    styles = styles or {}
    grouped = set(cluster[1]) if cluster else set()
    boxed: list[str] = []
    for node in nodes:
        attrs = _node_attrs(node, node.uid in shown_outputs, node.uid in shown_highlight,
                            options, styles.get(node.uid, _NO_STYLE))
        line = f"  {node.uid} [{_attrs(attrs)}];"
        if node.uid in grouped:
            boxed.append(line)
        else:
            lines.append(line)
    if cluster and boxed:
        lines += _cluster_lines(cluster[0], boxed)
    for node in nodes:
        for k, uid in enumerate(node.inputs):
            source = stands_for.get(uid, uid)
            attrs = {}
            if edge_labels:
                type_text = drawn_types.get(uid, "?")
                attrs["label"] = f"{k}: {type_text}" if len(node.inputs) > 1 else type_text
            suffix = f" [{_attrs(attrs)}]" if attrs else ""
            lines.append(f"  {source} -> {node.uid}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
