"""Every node records the user's line that built it; rewritten nodes inherit, fused list all."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.config import config
from nbgraph.core.printing import debugprint
from nbgraph.core.source import SourceLine, describe


def _line_of(marker: str) -> int:
    lines, start = inspect.getsourcelines(_forward)
    return start + next(k for k, text in enumerate(lines) if marker in text)


def _forward(x):
    hidden = T.exp(x) + 1          # marker: hidden
    return T.log(hidden) * 2       # marker: out


def test_node_records_the_user_line_not_nbgraphs():
    x = T.dvector("x")
    out = _forward(x)
    (where,) = out.owner.tag.source
    assert where == SourceLine(__file__, _line_of("marker: out"), "_forward")
    assert str(where) == f"test_source.py:{_line_of('marker: out')} in _forward"


def test_switched_off_by_config():
    x = T.dvector("x")
    config.record_source = False
    try:
        out = T.exp(x)
    finally:
        config.record_source = True
    assert not hasattr(out.owner.tag, "source")


def test_fused_node_lists_what_it_absorbed_with_sources():
    x = T.dvector("x")
    fn = function([x], _forward(x))
    (node,) = fn.maker.fgraph.toposort()
    assert "Composite" in str(node.op)
    places = {str(s) for s in node.tag.source}
    assert places == {f"test_source.py:{_line_of(m)} in _forward"
                      for m in ("marker: hidden", "marker: out")}
    absorbed = {label for _, label, _ in node.tag.absorbed}
    assert {"Elemwise{exp,no_inplace}", "Elemwise{log,no_inplace}",
            "Elemwise{mul,no_inplace}"} <= absorbed
    # the trace carries it, through JSON
    record = next(r for r in fn.trace.passes[-1].after.nodes if r.uid == node.uid) \
        if fn.trace.passes[-1].after.nodes else None
    data = json.loads(fn.trace.to_json())
    last = [n for p in data["passes"] for n in p["after"]["nodes"] if n[0] == node.uid]
    assert last and "_forward" in last[-1][6] and len(last[-1][7]) >= 3
    if record is not None:
        assert record.source and len(record.absorbed) >= 3


def test_gradient_nodes_record_the_grad_call():
    x = T.dvector("x")
    cost = T.sum(T.tanh(x))
    g = T.grad(cost, x)                    # marker: grad
    here = inspect.currentframe().f_lineno - 1
    assert any(s.line == here for s in g.owner.tag.source)


def test_runtime_error_names_the_line():
    x, y = T.dvector("x"), T.dvector("y")
    out = T.dot(x, y)                      # the node that fails at run time
    here = inspect.currentframe().f_lineno - 1
    fn = function([x, y], out, mode=Mode(linker="py"))
    with pytest.raises(ValueError, match=rf"built at test_source.py:{here} in "
                                         rf"test_runtime_error_names_the_line"):
        fn(np.ones(3), np.ones(4))
    assert describe(out.owner).startswith("built at test_source.py")


def test_rewritten_nodes_keep_their_name_scope():
    x = T.dvector("x")
    with nbgraph.name_scope("layer1"):
        hidden = T.log(1 + T.exp(x)) * 2
    out = hidden + T.sin(x)
    fn = function([x], [hidden, out], mode=Mode(linker="py"))
    scoped = [n for n in fn.maker.fgraph.toposort() if getattr(n.tag, "scope", None)]
    assert scoped and all(n.tag.scope == "layer1" for n in scoped)
    assert any("softplus" in str(n.op) for n in scoped)   # made by stabilize, still in layer1


def test_debugprint_can_show_each_nodes_line():
    x = T.dvector("x")
    text = debugprint(_forward(x), file="str", print_source=True)
    first = text.splitlines()[0]
    assert first.endswith(f"# built at test_source.py:{_line_of('marker: out')} in _forward")
    assert "# built at" not in debugprint(_forward(x), file="str")   # off by default
