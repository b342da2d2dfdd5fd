"""Node labels in ``to_dot`` that read as the user wrote the graph: a folded chain of
shortened (``relabel``) ops names each op, and an unnamed input shows its type."""

from __future__ import annotations

import re

import nbgraph.tensor as T
from nbgraph.core.graphviz import DotOptions, to_dot
from nbgraph.core.types import TensorType


def _labels(text: str) -> list[str]:
    return re.findall(r'label="([^"]*)"', text)


def test_a_folded_chain_of_shortened_labels_names_each_op() -> None:
    x = T.dvector("x")
    out = T.sqrt(T.tanh(T.exp(x)) + 1.0)
    short = DotOptions(collapse_chains=3, relabel=lambda label: re.sub(
        r"^Elemwise\{(\w+),\w+\}$", r"\1", label))
    chain = [label for label in _labels(to_dot([out], options=short))
             if "elementwise ops" in label]
    assert chain, _labels(to_dot([out], options=short))
    steps = chain[0].split("\\n", 1)[1].split(" → ")
    assert steps[0] == "exp" and steps[-1] == "sqrt" and all(steps), chain


def test_an_unnamed_input_is_labelled_by_its_type_not_its_repr() -> None:
    x = TensorType("float64", (False, False, True))()  # as an inner graph's inputs are
    text = to_dot([T.exp(x)])
    assert "float64[?,?,1]" in _labels(text)
    assert not any(label.startswith("<TensorType") for label in _labels(text))
