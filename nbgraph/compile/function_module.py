"""``nbgraph.compile.function_module`` (Theano's module path): re-exports only, no logic."""

from __future__ import annotations

from .function import (
    Function,
    FunctionMaker,
    In,
    MissingInputError,
    Out,
    UnusedInputError,
    function,
)

__all__ = ["Function", "FunctionMaker", "In", "MissingInputError", "Out", "UnusedInputError",
           "function"]
