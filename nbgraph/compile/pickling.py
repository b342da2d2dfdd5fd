"""Save and load graphs, shared variables and compiled Functions; save and load parameter
values without pickle.

``dump``/``load`` are Theano's names over the standard pickle protocol: a ``Function``
pickles as the arguments it was compiled from and is recompiled on load. **Loading a pickle
runs code from it**: only load pickles you made or trust. To keep or share trained
parameters, ``save_values``/``load_values`` write and read plain arrays (``.npz``, read with
``allow_pickle=False``), which can hold no code.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from ..core.shared import SharedVariable


def dump(obj: Any, file_handler: IO[bytes], protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """Write ``obj`` (a Function, a graph, shared variables, arrays...) to an open binary file.

    >>> with open('f.pkl', 'wb') as fh:
    ...     dump(f, fh)

    For parameter values alone, ``save_values`` writes a pickle-free ``.npz``.
    """
    pickle.dump(obj, file_handler, protocol=protocol)


def load(file_handler: IO[bytes]) -> Any:
    """Read back what ``dump`` wrote; a Function comes back compiled and ready to call.

    .. warning:: Loading a pickle runs code from it (any callable it names, with any
       arguments): never load a pickle from a source you do not trust. Parameter values
       saved with ``save_values`` load with ``load_values`` without that risk.

    >>> with open('f.pkl', 'rb') as fh:
    ...     f = load(fh)
    """
    return pickle.load(file_handler)


def _names(variables: Sequence[SharedVariable]) -> list[str]:
    names = []
    for k, var in enumerate(variables):
        if not isinstance(var, SharedVariable):
            raise TypeError(f"variable {k} ({var!r}) is not a shared variable")
        if not var.name:
            raise ValueError(f"shared variable {k} ({var!r}) has no name; values are stored "
                             f"by name (shared(value, name='W'))")
        names.append(var.name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"shared variable names must be unique to be saved; repeated: "
                         f"{repeated}")
    return names


def save_values(file: str | os.PathLike | IO[bytes], variables: Sequence[SharedVariable]
                ) -> None:
    """Write the values of named shared ``variables`` to an ``.npz`` file (no pickle).

    >>> save_values('params.npz', [W, b])
    >>> load_values('params.npz', [W, b])   # later, into the same (or rebuilt) variables
    """
    names = _names(variables)
    values: dict[str, Any] = {}
    for name, var in zip(names, variables, strict=True):
        value = np.asarray(var.get_value(borrow=True))
        if value.dtype.hasobject:
            raise TypeError(f"{name}: an object array cannot be saved without pickle")
        values[name] = value
    np.savez(file, **values)


def load_values(file: str | os.PathLike | IO[bytes], variables: Sequence[SharedVariable]
                ) -> None:
    """Set each named shared variable in ``variables`` from ``file`` (written by
    ``save_values``), read with ``allow_pickle=False``. Every value is checked against its
    variable's type before any is set: a missing name or a mismatched dtype/rank changes
    nothing."""
    names = _names(variables)
    with np.load(file, allow_pickle=False) as data:
        missing = [n for n in names if n not in data.files]
        if missing:
            raise KeyError(f"load_values: {missing} not in the file (it holds "
                           f"{sorted(data.files)})")
        checked = []
        for name, var in zip(names, variables, strict=True):
            value = data[name]
            try:
                checked.append(var.type.filter(value, name=name, allow_downcast=False))
            except (TypeError, ValueError) as err:
                raise type(err)(f"load_values: the file's {name} ({value.dtype}"
                                f"{list(value.shape)}) does not fit {var.type}: {err}") from None
    for var, value in zip(variables, checked, strict=True):
        var.set_value(value, borrow=True)
