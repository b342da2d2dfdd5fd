"""Golden strings for debugprint / pp / listing, and the structure of to_dot's DOT text."""

from __future__ import annotations

import io
import re
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph import printing
from nbgraph.compile.mode import Mode
from nbgraph.core import pydotprint as pydotprint_module
from nbgraph.core.graph import Apply
from nbgraph.core.graphviz import DotOptions, chain_groups, to_dot
from nbgraph.core.op import Op
from nbgraph.core.printing import char_from_number, debugprint, listing, pp
from nbgraph.core.records import snapshot_records
from nbgraph.ifelse import ifelse

NO_REWRITES = Mode(linker="py", optimizer=None)


class TwoOut(Op):
    """A test op with two outputs (for the ``.0`` / ``.1`` suffixes)."""

    __props__ = ()

    def make_node(self, x):  # noqa: ANN001, ANN201
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage):  # noqa: ANN001, ANN201
        output_storage[0][0] = inputs[0]
        output_storage[1][0] = -inputs[0]


def node_lines(dot: str) -> dict[int, str]:
    """uid -> the DOT statement declaring that node."""
    return {int(m.group(1)): m.group(0)
            for m in re.finditer(r"^  (\d+) \[.*\];$", dot, flags=re.M)}


def edges(dot: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"^  (\d+) -> (\d+)", dot, flags=re.M)]


# -- debugprint -------------------------------------------------------------------------------
def test_debugprint_theano_tree() -> None:
    x, y = T.dscalar("x"), T.dscalar("y")
    assert debugprint((x + y) * 2, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{add,no_inplace} [id B] ''\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |TensorConstant{2.0} [id E]\n")


def test_debugprint_repeated_subtree_printed_once() -> None:
    x, y = T.dvector("x"), T.dvector("y")
    s = x + y
    s.name = "s"
    assert debugprint(T.exp(s) * s, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{exp,no_inplace} [id B] ''\n"
        " | |Elemwise{add,no_inplace} [id C] 's'\n"
        " |   |x [id D]\n"
        " |   |y [id E]\n"
        " |Elemwise{add,no_inplace} [id C] 's'\n")


def test_debugprint_options() -> None:
    x = T.dvector("x")
    out = T.exp(T.sin(x))
    out.owner.inputs[0].name = "inner"
    assert debugprint(out, file="str", ids="int", print_type=True) == (
        "Elemwise{exp,no_inplace} [id 0] <TensorType(float64, vector)> ''\n"
        " |Elemwise{sin,no_inplace} [id 1] <TensorType(float64, vector)> 'inner'\n"
        "   |x [id 2] <TensorType(float64, vector)>\n")
    assert debugprint(out, file="str", ids="") == (
        "Elemwise{exp,no_inplace} ''\n |Elemwise{sin,no_inplace} 'inner'\n   |x\n")
    assert debugprint(out, file="str", depth=2).count("\n") == 2
    assert debugprint(out, file="str", stop_on_name=True).count("\n") == 2
    with pytest.raises(ValueError, match="ids must be"):
        debugprint(out, file="str", ids="roman")


def test_debugprint_file_targets(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dvector("x")
    text = debugprint(T.exp(x), file="str")
    assert debugprint(T.exp(x)) is None and capsys.readouterr().out == text
    stream = io.StringIO()
    assert debugprint(T.exp(x), file=stream) is stream and stream.getvalue() == text
    with pytest.raises(ValueError, match="file is None, 'str' or a file"):
        debugprint(T.exp(x), file="out.txt")


def test_debugprint_multi_output_and_apply() -> None:
    x = T.dvector("x")
    a, b = TwoOut()(x)
    text = debugprint([a + b], file="str")
    assert text == ("Elemwise{add,no_inplace} [id A] ''\n"
                    " |TwoOut.0 [id B] ''\n"
                    " | |x [id C]\n"
                    " |TwoOut.1 [id B] ''\n")
    assert debugprint(a.owner, file="str").splitlines()[0] == "TwoOut.0 [id A] ''"


def test_debugprint_function_order_and_storage() -> None:
    x, y = T.dscalars("x", "y")
    fn = nbgraph.function([x, y], (x + y) * 2, mode=NO_REWRITES)
    assert debugprint(fn, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''   1\n"
        " |Elemwise{add,no_inplace} [id B] ''   0\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |TensorConstant{2.0} [id E]\n")
    fn(1.0, 2.5)
    stored = debugprint(fn, file="str", print_storage=True).splitlines()
    assert stored[0].endswith("[array(7.)]")
    assert stored[2].endswith("[array(1.)]")


def test_debugprint_files_and_shared_ids(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dvector("x")
    assert debugprint(T.exp(x)) is None
    assert capsys.readouterr().out == "Elemwise{exp,no_inplace} [id A] ''\n |x [id B]\n"
    buffer = io.StringIO()
    assert debugprint(T.exp(x), file=buffer) is buffer
    assert buffer.getvalue().startswith("Elemwise{exp")
    done: dict = {}
    debugprint(T.exp(x), file="str", done=done)
    second = debugprint(T.sin(x), file="str", done=done)
    assert second == "Elemwise{sin,no_inplace} [id C] ''\n |x [id B]\n"
    with pytest.raises(TypeError, match="cannot print"):
        debugprint(42, file="str")


def test_char_from_number() -> None:
    assert [char_from_number(n) for n in (0, 1, 25, 26, 27, 26 * 26)] == \
        ["A", "B", "Z", "BA", "BB", "BAA"]


def test_deep_chain_needs_no_recursion() -> None:
    x = T.dvector("x")
    out = x
    for _ in range(3000):
        out = T.sin(out)
    assert debugprint(out, file="str").count("\n") == 3001
    assert pp(out).count("sin(") == 3000
    assert listing([out]).count("\n") == 3001


# -- pp ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, expected", [
    # Python numbers print as written (Theano's int8 constants before the optimizer upcast)
    (lambda x, y, m: (x + y) * 2, "((x + y) * TensorConstant{2})"),
    (lambda x, y, m: (x + y) * 2.0, "((x + y) * TensorConstant{2.0})"),
    (lambda x, y, m: T.exp(x) / -y, "(exp(x) / (-y))"),
    (lambda x, y, m: abs(x - y) ** 2, "(|(x - y)| ** TensorConstant{2})"),
    (lambda x, y, m: T.maximum(x, T.log1p(y)), "maximum(x, log1p(y))"),
    (lambda x, y, m: m.T + x, "(m.T + x)"),
    (lambda x, y, m: T.sum(m, axis=0) + 1,
     "(Sum{axis=[0], acc_dtype=float64}(m) + TensorConstant{1})"),
    (lambda x, y, m: T.fill(m, y), "fill(m, y)"),
    (lambda x, y, m: x < y, "lt(x, y)"),        # Theano printed comparisons as calls
    (lambda x, y, m: T.dot(m, x), "(m \\dot x)"),
])
def test_pp_infix(build, expected) -> None:  # noqa: ANN001
    x, y, m = T.dvector("x"), T.dvector("y"), T.dmatrix("m")
    assert pp(build(x, y, m)) == expected


def test_pp_prints_python_numbers_as_written() -> None:
    f = T.fscalar("f")
    small = f * 0.1
    const = small.owner.inputs[1]
    # the number computes in the dtype it met, and is remembered as written
    assert const.dtype == "float32" and const.literal == 0.1 and const.clone().literal == 0.1
    assert pp(small) == "(f * TensorConstant{0.1})"
    assert str(const) == f"TensorConstant{{{np.float32(0.1).item()}}}"
    three = T.constant(3.0, name="three")
    assert pp(T.dvector("x") * three) == "(x * three)"
    assert pp(T.dvector("x") * np.float64(2.0)) == "(x * TensorConstant{2.0})"


def test_pp_leaf_and_gradient() -> None:
    x = T.dscalar("x")
    assert pp(x) == "x"
    gy = nbgraph.grad(x ** 2, x)
    # Theano's documented output: the seed fill(cost, 1.0), constants as written
    assert pp(gy) == ("((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * "
                      "TensorConstant{2}) * (x ** (TensorConstant{2} - TensorConstant{1})))")
    # they still compute in float64: debugprint shows the typed constants
    assert "TensorConstant{2.0}" in debugprint(gy, file="str")
    with pytest.raises(TypeError, match="expected a Variable"):
        pp([x])


# -- listing ----------------------------------------------------------------------------------
def test_listing_live_graph() -> None:
    x = T.dvector("x")
    e = T.exp(x)
    out = e * 2
    out.name = "y"
    two, pad = out.owner.inputs[1].owner.inputs[0], out.owner.inputs[1].owner
    assert listing([out]) == "\n".join([
        f"%{x.uid}:float64[?] = input x",
        f"%{e.owner.uid}:float64[?] = Elemwise{{exp,no_inplace}} %{x.uid}",
        f"%{two.uid}:float64[] = TensorConstant{{2.0}}",
        f"%{pad.uid}:float64[1] = InplaceDimShuffle{{x}} %{two.uid}",
        f"%{out.owner.uid}:float64[?] = Elemwise{{mul,no_inplace}} %{e.owner.uid} "
        f"%{pad.uid}  # y",
        f"return %{out.owner.uid}"])
    assert listing(out) == listing([out]) == listing(out.owner)


def test_listing_of_snapshot_duck() -> None:
    rec = SimpleNamespace
    snap = SimpleNamespace(
        nodes=(rec(uid=1, label="x", inputs=(), type="float64[?]", name="x", origin="user"),
               rec(uid=2, label="TensorConstant{2}", inputs=(), type="int8[]", name=None,
                   origin="user"),
               rec(uid=5, label="Split", inputs=(1, 2), type="float64[?], float64[?]",
                   name=None, origin="user"),
               rec(uid=9, label="Elemwise{Composite{(i0 * exp(i1))}}", inputs=(5, 5),
                   type="float64[?]", name="z", origin="canonicalize/mul_one")),
        outputs=(9, 1))
    assert listing(snap) == (
        "%1:float64[?] = input x\n"
        "%2:int8[] = TensorConstant{2}\n"
        "%5:(float64[?], float64[?]) = Split %1 %2\n"
        "%9:float64[?] = Elemwise{Composite{(i0 * exp(i1))}} %5 %5  # z\n"
        "return %9, %1")


def test_listing_matches_trace_snapshot() -> None:
    from nbgraph.core.fgraph import FunctionGraph
    from nbgraph.rewrite.trace import snapshot
    x, y = T.dvector("x"), T.dvector("y")
    unused = T.dscalar("unused")
    cost = T.sum(T.exp(x) * y)
    fgraph = FunctionGraph([x, y, unused], [cost, nbgraph.grad(cost, x)], clone=False)
    assert listing(fgraph) == listing(snapshot(fgraph))
    assert to_dot(fgraph) == to_dot(snapshot(fgraph))
    records, outputs = snapshot_records(fgraph.outputs, fgraph.inputs)
    assert tuple(r.uid for r in records) == tuple(n.uid for n in snapshot(fgraph).nodes)
    assert outputs == snapshot(fgraph).outputs


# -- to_dot -----------------------------------------------------------------------------------
def test_to_dot_nodes_edges_and_styles() -> None:
    x = T.dvector("x")
    y = T.exp(x) - 1
    dot = to_dot([y], title="expm1 by hand", options=DotOptions(fold_bounds=False))
    lines = node_lines(dot)
    records, outputs = snapshot_records([y])
    assert list(lines) == [r.uid for r in records]  # ids are uids, in record order
    for uid, line in lines.items():
        assert f'id="{uid}"' in line
    assert 'shape="box"' in lines[x.uid] and "#c7e9c0" in lines[x.uid]    # input
    const = next(r.uid for r in records if r.label.startswith("TensorConstant"))
    assert 'style="filled,dashed"' in lines[const]                       # constant
    assert 'peripheries="2"' in lines[y.owner.uid]                        # output
    assert 'shape="ellipse"' in lines[y.owner.uid]                        # op
    assert sum('peripheries="2"' in line for line in lines.values()) == 1
    assert (x.uid, y.owner.inputs[0].owner.uid) in edges(dot)
    assert 'label="0: float64[?]"' in dot and 'label="expm1 by hand"' in dot
    assert dot == to_dot([y], title="expm1 by hand", options=DotOptions(fold_bounds=False))
    # by default the broadcast 1 is written into the sub: `Elemwise{sub,no_inplace}\n(·, 1.0)`
    folded = node_lines(to_dot([y]))
    assert list(folded) == [x.uid, y.owner.inputs[0].owner.uid, y.owner.uid]
    assert 'label="Elemwise{sub,no_inplace}\\n(·, 1.0)"' in folded[y.owner.uid]


def test_to_dot_highlight_and_gradient_colouring() -> None:
    x = T.dvector("x")
    cost = T.sum(T.tanh(x))
    g = nbgraph.grad(cost, x)
    dot = to_dot([cost, g], highlight=[g.owner.uid], options=DotOptions(fold_bounds=False))
    lines = node_lines(dot)
    records, _ = snapshot_records([cost, g])
    grads = [r.uid for r in records if r.origin.startswith("grad")]
    users = [r.uid for r in records if r.origin == "user" and r.inputs]
    assert grads and users
    assert 'fillcolor="#ffd54f"' in lines[g.owner.uid]        # highlighted wins the fill
    assert 'color="#d62728"' in lines[g.owner.uid]
    for uid in grads:
        if uid != g.owner.uid:
            assert 'fillcolor="#fdd9b5"' in lines[uid] and 'class="grad"' in lines[uid]
    for uid in users:
        assert "#fdd9b5" not in lines[uid] and "highlight" not in lines[uid]
    tanh_uid = cost.owner.inputs[0].owner.uid
    assert f"origin: grad of {tanh_uid} (Elemwise{{tanh,no_inplace}})" in dot


def test_to_dot_rule_origin_and_escaping() -> None:
    x = T.dvector('say "hi"')
    y = T.exp(x)
    y.owner.tag.created_by = "stabilize/log1p"
    dot = to_dot(y)
    assert 'label="say \\"hi\\""' in dot
    assert "origin: stabilize/log1p" in node_lines(dot)[y.owner.uid]


def test_to_dot_collapses_long_chains() -> None:
    x = T.dvector("x")
    out = x
    for k in range(1200):
        out = T.sin(out) if k % 2 else T.cos(out) * 0.5
    records, _ = snapshot_records([out])
    assert len(records) > 1000
    dot = to_dot([out])
    lines = node_lines(dot)
    assert len(lines) < len(records) // 2
    assert "elementwise ops" in dot and "label=\"float64" not in dot  # large: no edge labels
    assert 'peripheries="2"' in lines[out.owner.uid]                  # the output stays
    full = to_dot([out], options=DotOptions(collapse_chains=0, fold_bounds=False))
    assert len(node_lines(full)) == len(records)
    # each `* 0.5` reads its broadcast constant in its label: 600 constants, 600 broadcasts
    assert len(node_lines(to_dot([out], options=DotOptions(collapse_chains=0)))) == 3001 - 1200
    # a highlighted node is never swallowed by a chain
    middle = records[len(records) // 2]
    kept = node_lines(to_dot([out], highlight=[middle.uid]))
    assert middle.uid in kept and "#ffd54f" in kept[middle.uid]


def test_to_dot_small_chain_option() -> None:
    x = T.dvector("x")
    out = T.exp(T.sin(T.cos(x)))
    lines = node_lines(to_dot(out, options=DotOptions(collapse_chains=3)))
    assert list(lines) == [x.uid, out.owner.uid]
    assert "3 elementwise ops\\ncos → sin → exp" in lines[out.owner.uid]


def test_chain_groups_are_what_to_dot_folds() -> None:
    x = T.dvector("x")
    a = T.sin(T.cos(x))
    out = T.exp(T.tanh(a) + T.sqr(a))  # `a` feeds two ops: the chain cos → sin ends there
    cos, sin = a.owner.inputs[0].owner.uid, a.owner.uid
    add = out.owner.inputs[0].owner
    groups = chain_groups([out], min_length=2)
    assert groups[sin] == (cos, sin)
    assert groups[out.owner.uid] == (add.inputs[0].owner.uid, add.uid, out.owner.uid)
    assert len(groups) == 2                       # sqr joins no chain: add took tanh
    assert chain_groups([out], keep=[add.uid], min_length=2) == {sin: (cos, sin)}
    folded = to_dot([out], options=DotOptions(collapse_chains=2))
    assert to_dot([out], chains=groups) == folded
    only_first = node_lines(to_dot([out], options=DotOptions(collapse_chains=2),
                                   chains={sin: groups[sin]}))  # given chains win
    assert cos not in only_first and add.uid in only_first


# -- nbgraph.printing: the Theano path and Graphviz ---------------------------------------------
def test_public_path_reexports() -> None:
    assert printing.debugprint is debugprint and printing.pp is pp
    assert printing.pprint is pp and printing.to_dot is to_dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_pydotprint_writes_svg(tmp_path) -> None:  # noqa: ANN001
    x = T.dvector("x")
    fn = nbgraph.function([x], T.exp(x) * 2, mode=NO_REWRITES)
    target = tmp_path / "graph.svg"
    printing.pydotprint(fn, outfile=str(target), format="svg", print_output_file=False)
    svg = target.read_text()
    out_uid = fn.maker.fgraph.outputs[0].owner.uid
    assert svg.lstrip().startswith("<?xml") and f'id="{out_uid}"' in svg
    png = printing.pydotprint(T.exp(x), format="png", return_image=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_pydotprint_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydotprint_module.shutil, "which", lambda name: None)
    with pytest.raises(printing.GraphvizNotFound, match="install graphviz"):
        printing.pydotprint(T.exp(T.dvector("x")), return_image=True)



def test_pydotprint_takes_theano_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    monkeypatch.setattr(pydotprint_module, "run_dot",
                        lambda text, fmt: drawn.append(text) or b"img")
    x = T.dvector("a_rather_long_input_name")
    theano_call = dict(compact=True, with_ids=True, high_contrast=False, cond_highlight=True,
                       colorCodes={"Elemwise": "red"}, scan_graphs=True,
                       var_with_name_simple=True)
    assert set(theano_call) == printing.IGNORED_THEANO_KEYWORDS
    assert printing.pydotprint(x * 2, return_image=True, max_label_size=10,
                               **theano_call) == b"img"
    assert 'label="a_rather_…"' in drawn[-1]
    printing.pydotprint(x * 2, return_image=True)           # Theano's default: 70 columns
    assert 'label="a_rather_long_input_name"' in drawn[-1]
    printing.pydotprint(x * 2, return_image=True, options=DotOptions(max_label=12),
                        title="t")
    assert 'label="a_rather_lo…"' in drawn[-1] and 'label="t"' in drawn[-1]
    with pytest.raises(TypeError, match=r"\['colour_codes'\].*max_label_size"):
        printing.pydotprint(x * 2, colour_codes={})
    with pytest.raises(TypeError):  # Theano's third positional was `compact`, not `format`
        printing.pydotprint(x * 2, None, True)  # type: ignore[misc]



# -- debugprint: inner graphs (Theano's "Inner graphs of the scan ops") -------------------------
def test_debugprint_prints_a_scan_step_after_the_graph():
    k, a = T.iscalar("k"), T.dvector("A")
    result, _ = nbgraph.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a),
                             non_sequences=a, n_steps=k)
    text = debugprint(result[-1], file="str")
    main, inner = text.split("\nInner graphs of the scan ops:\n\n")
    assert main.splitlines()[1] == " |Scan [id B] ''"
    init = next(line for line in main.splitlines() if "InplaceDimShuffle{x,0}" in line)
    init_id = init.split("[id ")[1].split("]")[0]
    assert inner.splitlines() == [
        "Scan [id B] ''",
        " >Elemwise{mul,no_inplace} [id K] ''",
        f" > |y[t-1] [id L] -> [id {init_id}]",
        " > |A [id M] -> [id G]",
    ]


def test_debugprint_prints_both_ifelse_branches():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    text = debugprint(ifelse(T.gt(c, 0), a * 2, b + 1), file="str")
    lines = text.splitlines()
    assert lines[lines.index("Inner graphs:") + 2] == "IfElse [id A] ''"
    assert " > |a [id H] -> [id E]" in lines and " > |b [id L] -> [id F]" in lines
    assert [line for line in lines if line.startswith(" >Elemwise")] == [
        " >Elemwise{mul,no_inplace} [id G] ''", " >Elemwise{add,no_inplace} [id K] ''"]


def test_debugprint_without_inner_graphs_prints_no_second_part():
    x = T.dvector("x")
    assert "Inner graphs" not in debugprint(T.exp(x), file="str")


def test_to_dot_draws_more_boxes_first_one_wins():
    x = T.dvector("x")
    e = T.exp(x)
    s = T.sin(e)
    c = T.cos(e)
    dot = to_dot([s, c], clusters=[("Scan: step", {e.owner.uid, c.owner.uid}),
                                   ("scope layer1", {e.owner.uid, s.owner.uid})])
    first = dot.index("subgraph cluster_inner0")
    second = dot.index("subgraph cluster_inner1")
    assert 'label="Scan: step"' in dot[first:second] and f"  {e.owner.uid} [" in dot[first:second]
    assert f"  {s.owner.uid} [" in dot[second:] and f"  {e.owner.uid} [" not in dot[second:]
    assert 'fillcolor="#2563eb1a"' in dot


def test_to_dot_nests_a_box_inside_the_box_holding_all_its_uids():
    x = T.dvector("x")
    e = T.exp(x)
    s = T.sin(e)
    dot = to_dot([s], clusters=[("Scan: step", {e.owner.uid}),
                               ("scope layer1", {e.owner.uid, s.owner.uid})])
    lines = dot.splitlines()
    outer = next(k for k, line in enumerate(lines) if "cluster_inner1" in line)
    inner = next(k for k, line in enumerate(lines) if "cluster_inner0" in line)
    assert outer < inner and lines[inner].startswith("    subgraph")  # one level deeper
    assert lines[inner + 1] == f"      {e.owner.uid} [" + lines[inner + 1].split(" [", 1)[1]
    assert any(line.startswith(f"    {s.owner.uid} [") for line in lines[outer:inner])
    assert 'fillcolor="#2563eb1a"' in dot
