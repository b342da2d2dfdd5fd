"""``nbgraph.compile`` (Theano's ``theano.compile``): modes by class, for user code."""

from .mode import Mode
from .monitormode import MonitorMode

__all__ = ["Mode", "MonitorMode"]
