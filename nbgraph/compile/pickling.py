"""Save and load graphs, shared variables and compiled Functions.

Theano's names (``dump``, ``load``) over the standard pickle protocol. A ``Function`` pickles
as the arguments it was compiled from and is recompiled on load.
"""

from __future__ import annotations

import pickle
from typing import IO, Any


def dump(obj: Any, file_handler: IO[bytes], protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """Write ``obj`` (a Function, a graph, shared variables, arrays...) to an open binary file.

    >>> with open('f.pkl', 'wb') as fh:
    ...     dump(f, fh)
    """
    pickle.dump(obj, file_handler, protocol=protocol)


def load(file_handler: IO[bytes]) -> Any:
    """Read back what ``dump`` wrote; a Function comes back compiled and ready to call.

    >>> with open('f.pkl', 'rb') as fh:
    ...     f = load(fh)
    """
    return pickle.load(file_handler)

