"""Helpers for the widget tests: a small hand-written rewrite trace and an SVG reader."""

from __future__ import annotations

import re

from nbgraph.rewrite.trace import NodeRecord, PassRecord, RewriteEvent, Snapshot, Trace

X = NodeRecord(1, "x", (), "float64[?]", "x")
ZERO = NodeRecord(2, "TensorConstant{0}", (), "int8[]", None)
EXP = NodeRecord(3, "Elemwise{exp,no_inplace}", (1,), "float64[?]", None)
ADD = NodeRecord(4, "Elemwise{add,no_inplace}", (3, 2), "float64[?]", None)
SQR = NodeRecord(5, "Elemwise{sqr,no_inplace}", (1,), "float64[?]", None,
                 "specialize/exp_to_sqr")
NEG = NodeRecord(6, "Elemwise{neg,no_inplace}", (5,), "float64[?]", None,
                 "specialize/exp_to_sqr")

START = Snapshot((X, ZERO, EXP, ADD), (4,))
NO_ADD = Snapshot((X, EXP), (3,))
END = Snapshot((X, SQR, NEG), (6,))


def make_trace() -> Trace:
    """canonicalize drops ``+ 0``; merge changes nothing; specialize fires one rule twice."""
    return Trace((
        PassRecord("canonicalize", START, NO_ADD,
                   (RewriteEvent("canonicalize/add_zero", (4, 2), (), 1e-5),), 2e-5),
        PassRecord("merge", NO_ADD, NO_ADD, (), 1e-6),
        PassRecord("specialize", NO_ADD, END,
                   (RewriteEvent("specialize/exp_to_sqr", (3,), (5,), 1e-5),
                    RewriteEvent("specialize/exp_to_sqr", (), (6,), 1e-5)), 3e-5),
    ))


def svg_nodes(svg: str) -> dict[int, set[str]]:
    """uid -> CSS classes of each drawn node in an SVG from ``dot``."""
    found = {}
    for match in re.finditer(r'<g id="n(\d+)" class="([^"]*)"', svg):
        found[int(match.group(1))] = set(match.group(2).split())
    return found
