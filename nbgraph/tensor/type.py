"""``nbgraph.tensor.type`` (Theano's ``theano.tensor.type``): re-exports only."""

from ..core.types import TensorType

__all__ = ["TensorType"]
