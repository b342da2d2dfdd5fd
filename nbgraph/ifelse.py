"""Theano's ``theano.ifelse`` path: ``from nbgraph.ifelse import ifelse``."""

from .core.control import IfElse, ifelse

__all__ = ["IfElse", "ifelse"]
