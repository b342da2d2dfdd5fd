"""``nbgraph.config``: the few global settings, read once from ``NBGRAPH_FLAGS``.

``NBGRAPH_FLAGS="floatX=float32,device=cuda"`` (Theano's ``THEANO_FLAGS`` is accepted too);
``\\,`` writes a comma inside a value, and an unknown setting is an error.
Everything else is an explicit argument or a ``Mode``. This module imports nothing of nbgraph.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields


class NbgraphWarning(UserWarning):
    """Warnings nbgraph raises itself (compiler fallback, unsafe rewrites, ...)."""


def _default_compiledir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nbgraph")


class WarnFlags:
    """``config.warn.*``: Theano's switches for warnings about its own past bugs
    (``config.warn.subtensor_merge_bug = False``). nbgraph never had those bugs, so any flag
    may be set and read back; none changes behaviour."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return True


@dataclass
class Config:
    """Global settings. Assign attributes to change them: ``config.floatX = 'float32'``."""

    floatX: str = "float64"
    mode: str = "FAST_RUN"
    device: str = "cpu"
    # Theano's optimizer= and linker= flags: the default mode (``mode=FAST_RUN``, or Theano's
    # ``mode=Mode``) on the CPU compiles with these ('fast_compile', 'None'; 'py', 'vm')
    optimizer: str = "fast_run"
    linker: str = "c"
    compiledir: str = field(default_factory=_default_compiledir)
    optimizer_verbose: bool = False  # print each applied rewrite, as Theano did
    openmp_threads: int = 0          # threads for large compiled loops; 0: all cores
    print_test_value: bool = False   # repr(variable) adds its tag.test_value
    record_source: bool = True       # each node records the user's line that built it
    lock_timeout: float = 30.0       # seconds to wait for another process's compile lock
    compiler_timeout: float = 600.0  # seconds the C compiler may run before it is killed
    cache_max_mb: float = 1024.0     # compile cache size bound; least recently used go first
    # Accepted so that Theano code which sets them runs unchanged; they have no effect here:
    # dtype promotion is always NumPy's (cast_policy), rewrite errors always raise
    # (on_opt_error), and runtime errors always name the node and its inputs
    # (exception_verbosity).
    cast_policy: str = "custom"
    on_opt_error: str = "raise"
    # Theano's test values: 'off' | 'ignore' | 'warn' | 'raise' (core/test_values.py)
    compute_test_value: str = "off"
    exception_verbosity: str = "low"
    warn: WarnFlags = field(default_factory=WarnFlags)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in {f.name for f in fields(self)}:
            raise AttributeError(f"nbgraph.config has no setting {name!r}; the settings are "
                                 f"{', '.join(known_settings())}")
        if name == "floatX" and value not in ("float16", "float32", "float64"):
            raise ValueError(f"floatX must be float16, float32 or float64, not {value!r}")
        if name == "device" and not (value == "cpu" or str(value).startswith("cuda")):
            raise ValueError(f"device must be 'cpu' or 'cuda', not {value!r}")
        if name == "compiledir":  # resolved now: a later chdir must not start a second cache
            value = os.path.abspath(os.path.expanduser(str(value)))
        object.__setattr__(self, name, value)

    def update_from_flags(self, flags: str, variable: str = "NBGRAPH_FLAGS") -> None:
        """Apply ``"key=value,key=value"`` (``\\,`` is a comma inside a value); an unknown
        key is a ValueError naming it and the known ones."""
        kinds = {f.name: f.type for f in fields(self)}
        for item in split_flags(flags):
            key, _, value = item.partition("=")
            key = key.strip()
            if key.startswith("warn."):
                setattr(self.warn, key[5:], value.strip().lower() in ("1", "true", "yes"))
                continue
            if key not in kinds or key == "warn":
                raise ValueError(f"{variable}: unknown setting {key!r}; the settings are "
                                 f"{', '.join(known_settings())}")
            current = getattr(self, key)
            try:
                if isinstance(current, bool):
                    setattr(self, key, value.strip().lower() in ("1", "true", "yes"))
                elif isinstance(current, (int, float)):
                    setattr(self, key, type(current)(value))
                else:
                    setattr(self, key, value.strip())
            except ValueError as err:
                raise ValueError(f"{variable}: {key}={value!r}: {err}") from None


    @contextlib.contextmanager
    def change_flags(self, **values: object) -> Iterator[None]:
        """Settings changed for a ``with`` block (or a decorated function), then restored:
        ``with config.change_flags(floatX='float32'): ...`` (Theano's ``change_flags``)."""
        old = {name: getattr(self, name) for name in values}
        try:
            for name, value in values.items():
                setattr(self, name, value)
            yield
        finally:
            for name, value in old.items():
                object.__setattr__(self, name, value)


def split_flags(flags: str) -> list[str]:
    """``"a=1,b=x\\,y"`` -> ``["a=1", "b=x,y"]``: commas split, ``\\,`` is a comma."""
    parts = re.split(r"(?<!\\),", flags)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


def known_settings() -> list[str]:
    return sorted(f.name for f in fields(Config) if f.name != "warn") + ["warn.*"]


config = Config()
change_flags = config.change_flags  # ``theano.change_flags``
config.update_from_flags(os.environ.get("THEANO_FLAGS", ""), "THEANO_FLAGS")
config.update_from_flags(os.environ.get("NBGRAPH_FLAGS", ""))
