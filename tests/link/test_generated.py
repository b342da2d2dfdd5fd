"""Generated Python (the fast call paths) is registered with linecache: a failing call's
traceback shows the generated lines, never ``<string>``."""

from __future__ import annotations

import linecache
import shutil
import traceback

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.link.generated import exec_generated


def _generated_frames(err: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``err`` and its causes that run generated code."""
    frames = []
    while err is not None:
        frames += [f for f in traceback.extract_tb(err.__traceback__)
                   if f.filename.startswith("<nbgraph ")]
        err = err.__cause__
    return frames


def _failing_call(fn, trust: bool) -> BaseException:
    fn.trust_input = trust
    with pytest.raises(ValueError) as info:   # shapes (2,) and (3,) do not broadcast
        fn(np.ones(2), np.ones(3))
    return info.value


def test_exec_generated_registers_source_under_a_stable_name():
    source = "def f(a):\n    return a + 1\n"
    scope = exec_generated(source, {}, "demo")
    name = scope["f"].__code__.co_filename
    assert name.startswith("<nbgraph demo #") and name.endswith(">")
    assert linecache.getline(name, 2) == "    return a + 1\n"
    assert exec_generated(source, {}, "demo")["f"].__code__.co_filename == name
    linecache.checkcache()   # what tracebacks do first: the entry has no file, it must stay
    assert linecache.getline(name, 1) == "def f(a):\n"
    assert scope["f"](41) == 42


@pytest.mark.parametrize("trust", [False, True], ids=["checked", "trusted"])
@pytest.mark.parametrize("build, line", [
    (lambda x, y: x + y, "thunk()"),            # one node: the fast path calls its thunk
    (lambda x, y: T.exp(x) + y, "run()"),       # several: it runs the VM
], ids=["one_node", "vm"])
def test_failing_call_traceback_shows_generated_lines(build, line, trust):
    x, y = T.dvectors("x", "y")
    fn = function([x, y], build(x, y), mode=Mode("py", None))
    err = _failing_call(fn, trust)
    frames = _generated_frames(err)
    assert frames and all(f.filename.startswith("<nbgraph function call #") for f in frames)
    assert line in [f.line for f in frames]
    for frame in frames:
        assert frame.name == ("trusted" if trust else "checked")
        assert linecache.getline(frame.filename, frame.lineno).strip() == frame.line
    text = "".join(traceback.format_exception(err))
    assert "<string>" not in text and f"\n    {line}\n" in text


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")
def test_failing_c_kernel_call_shows_generated_lines():
    x, y = T.dvectors("x", "y")
    fn = function([x, y], T.exp(x) + y, mode=Mode("c", "fast_run"))
    frames = _generated_frames(_failing_call(fn, trust=False))
    kernel = [f for f in frames if f.filename.startswith("<nbgraph kernel call #")]
    assert kernel and kernel[0].name == "thunk"
    for frame in kernel:
        assert frame.line and linecache.getline(frame.filename, frame.lineno).strip() \
            == frame.line
