"""``profile=True``: per-node counts and times, compile phases, Theano-style summary."""

from __future__ import annotations

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.compile.profile import ProfileStats


def test_counts_times_and_phases(linker):
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.dot(T.exp(x), x).sum(), mode=Mode(linker, "fast_run"),
                         profile=True, name="prof")
    for _ in range(3):
        f(np.ones((4, 4)))
    stats = f.profile
    assert stats.calls == 3
    assert all(c == 3 for c in stats.node_calls.values())
    assert all(t >= 0 for t in stats.node_time.values())
    assert "rewrite" in stats.phases and "total" in stats.phases
    if linker == "c":
        assert "codegen" in stats.phases
        assert ("c_compile" in stats.phases) or ("cache_hit" in stats.phases)
    text = stats.summary()
    assert text.startswith("Function profiling")
    assert "Message: prof" in text and "Time in 3 calls" in text
    assert "<% time> <sum %> <apply time> <time per call> <#call> <id> <Apply name>" in text
    assert "Dot" in text


def test_summary_orders_slowest_first():
    stats = ProfileStats("s")

    class Node:
        def __init__(self, uid):
            self.uid, self.op = uid, f"op{uid}"

    slow, fast = Node(1), Node(2)
    stats.record_node(fast, 0.1)
    stats.record_node(slow, 0.9)
    assert [row[0] for row in stats.rows()] == [slow, fast]
    apply_lines = stats.summary().split("<Apply name>")[1]
    assert apply_lines.index("op1") < apply_lines.index("op2")
