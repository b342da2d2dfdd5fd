"""The ``check_rule`` fixture (STYLE B10): structure after, the trace names the rule, values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from rewrite_helpers import op_names, reference, rules_fired

from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.pipeline import PIPELINE


@pytest.fixture
def check_rule(rng: np.random.Generator) -> Callable[..., Any]:
    """``check_rule(rule, build, ops_after, inputs=[x], values=None)``: the three checks."""

    def check(rule: str, build: Callable[..., Any], ops_after: list[str],
              inputs: Sequence[Any], values: Sequence[Any] | None = None,
              rtol: float = 1e-12) -> Any:
        output = build(*inputs)
        fn = function(list(inputs), output, mode=Mode(optimizer=PIPELINE.only_rules(rule)))
        assert op_names(fn.maker.fgraph) == ops_after
        assert rules_fired(fn) == [rule]
        if values is None:
            values = [rng.uniform(0.1, 0.9, (3, 4)[-v.ndim:] if v.ndim else ()) for v in inputs]
        np.testing.assert_allclose(fn(*values), reference(inputs, output, values), rtol=rtol)
        return fn

    return check
