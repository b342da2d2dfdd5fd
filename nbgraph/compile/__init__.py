"""``nbgraph.compile`` (Theano's ``theano.compile``): modes by class and the names user code
imported from here (``function``, ``shared``, ``SharedVariable``, ``get_default_mode``)."""

from ..core.shared import SharedVariable, shared
from . import builders, ops
from .builders import OpFromGraph
from .debugmode import DebugMode
from .function import function
from .mode import FAST_COMPILE, FAST_RUN, Mode, get_default_mode, get_mode
from .monitormode import MonitorMode
from .nanguardmode import NanGuardMode

__all__ = ["Mode", "MonitorMode", "DebugMode", "NanGuardMode", "SharedVariable", "shared",
           "function", "get_default_mode", "get_mode", "FAST_RUN", "FAST_COMPILE", "OpFromGraph",
           "builders", "ops"]
