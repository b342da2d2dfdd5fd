"""Theano's ``theano.ifelse`` path: ``from nbgraph.ifelse import ifelse``."""

from .ops.control import IfElse, ifelse

__all__ = ["IfElse", "ifelse"]
