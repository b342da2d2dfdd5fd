"""``nbgraph.config``: the few global settings, read once from ``NBGRAPH_FLAGS``.

``NBGRAPH_FLAGS="floatX=float32,device=cuda"`` (Theano's ``THEANO_FLAGS`` is accepted too);
``\\,`` writes a comma inside a value, and an unknown setting is an error.
Everything else is an explicit argument or a ``Mode``. This module imports nothing of nbgraph.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
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


_NO_GC = ("nbgraph's VM keeps every intermediate buffer between calls and reuses it (what "
          "Theano's allow_gc=False asks for), and scan's step buffers between steps; "
          "{name}=True is accepted but frees nothing: fn.memory() shows what is held")


def _gc_setting(name: str, value: object) -> bool:
    """Theano's BoolParam spellings; True warns that nothing will be freed."""
    text = str(value).strip().lower()
    if text not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    on = text in ("1", "true", "yes")
    if on:
        warnings.warn(_NO_GC.format(name=name), NbgraphWarning, stacklevel=3)
    return on


class ScanFlags:
    """``config.scan.*``: Theano's scan settings. ``allow_gc`` (Theano's default, False:
    keep the step's buffers between steps) is what nbgraph's loops always do."""

    allow_gc: bool

    def __init__(self) -> None:
        object.__setattr__(self, "allow_gc", False)

    def __setattr__(self, name: str, value: object) -> None:
        if name != "allow_gc":
            raise AttributeError(f"nbgraph.config.scan has no setting {name!r}; the "
                                 f"settings are scan.allow_gc")
        object.__setattr__(self, name, _gc_setting("scan.allow_gc", value))

    def __repr__(self) -> str:
        return f"ScanFlags(allow_gc={self.allow_gc})"


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
    # Theano's profile flag: every function is compiled with profile=True (fn.profile, and
    # Mode.call_time/fn_time count its calls); no summary is printed at exit
    profile: bool = False
    exception_verbosity: str = "low"
    # Theano's allow_gc (default True there: free intermediates during a call). nbgraph's VM
    # always keeps them between calls, as Theano did with allow_gc=False (its speed setting),
    # so the default here is False; setting True is accepted with a warning, and changes
    # neither values nor speed. ``fn.memory()`` reports what is held.
    allow_gc: bool = False
    warn: WarnFlags = field(default_factory=WarnFlags)
    scan: ScanFlags = field(default_factory=ScanFlags)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in {f.name for f in fields(self)}:
            raise AttributeError(f"nbgraph.config has no setting {name!r}; the settings are "
                                 f"{', '.join(known_settings())}")
        if name == "floatX" and value not in ("float16", "float32", "float64"):
            raise ValueError(f"floatX must be float16, float32 or float64, not {value!r}")
        if name == "device" and not (value == "cpu" or str(value).startswith("cuda")):
            raise ValueError(f"device must be 'cpu' or 'cuda', not {value!r}")
        if name == "allow_gc":
            value = _gc_setting(name, value)
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
            if (key not in kinds and key != "scan.allow_gc") or key in ("warn", "scan"):
                raise ValueError(f"{variable}: unknown setting {key!r}; the settings are "
                                 f"{', '.join(known_settings())}")
            current = getattr(self, key, None)
            try:
                if key in ("allow_gc", "scan.allow_gc"):   # parsed, and warned about, there
                    scope, _, name = key.rpartition(".")
                    setattr(self.scan if scope else self, name, value)
                elif isinstance(current, bool):
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
    names = [f.name for f in fields(Config) if f.name not in ("warn", "scan")]
    return sorted(names + ["scan.allow_gc"]) + ["warn.*"]


config = Config()
change_flags = config.change_flags  # ``theano.change_flags``
config.update_from_flags(os.environ.get("THEANO_FLAGS", ""), "THEANO_FLAGS")
config.update_from_flags(os.environ.get("NBGRAPH_FLAGS", ""))
