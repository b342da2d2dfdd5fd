"""``%load_ext nbgraph`` and ``%%symgraph``: argument parsing, help, display, errors."""

from __future__ import annotations

import shutil

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from nbgraph.widgets.magic import SymgraphMagics, parse_line

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("nbgraph")
    ip.run_cell("import numpy as np\nimport nbgraph\nimport nbgraph.tensor as T")
    return ip


def test_parse_line_every_option():
    args = parse_line("-o y z --grad x w --mode FAST_COMPILE --profile "
                      "--inputs x=np.ones(3) 'w=[[1, 2]]' --shape v=2,3")
    assert args.output == ["y", "z"] and args.grad == ["x", "w"]
    assert args.mode == "FAST_COMPILE" and args.profile
    assert args.inputs == ["x=np.ones(3)", "w=[[1, 2]]"] and args.shape == ["v=2,3"]


def test_parse_line_defaults():
    args = parse_line("")
    assert (args.output, args.grad, args.mode, args.profile, args.inputs, args.shape) == \
        ([], [], None, False, [], [])


def test_parse_line_rejects_unknown_option():
    with pytest.raises(Exception, match="unrecognized arguments"):
        parse_line("--colour red")


def test_magic_help_lists_every_option():
    doc = SymgraphMagics.symgraph.__doc__
    for option in ("-o", "--grad", "--mode", "--profile", "--inputs", "--shape"):
        assert option in doc
    assert "random" in doc  # the help strings are there, not just the names


def test_extension_registers_cell_magic(shell):
    assert "symgraph" in shell.magics_manager.magics["cell"]


@needs_dot
def test_magic_displays_one_view_with_static_html(shell):
    with capture_output() as captured:
        shell.run_cell_magic("symgraph", "--grad x --profile",
                             "x = T.dvector('x')\nT.log(1 + T.exp(x)).sum()")
    # the widget, then the static HTML (which hides itself after a drawn widget)
    assert len(captured.outputs) == 2
    widget, static = (out.data for out in captured.outputs)
    assert "application/vnd.jupyter.widget-view+json" in widget and "text/html" not in widget
    assert widget["text/plain"].startswith("symgraph: graph:")
    assert "<svg" in static["text/html"] and "stabilize/log1p" in static["text/html"]
    assert ".jp-OutputArea-child:has(.widget-box,.widget-tab)" in static["text/html"]
    for tab in ("Graph", "Passes", "Gradient", "Code", "Profile"):
        assert f"<summary><b>{tab}</b>" in static["text/html"]
    plain = static["text/plain"]
    assert "[Graph]" in plain and "= input x" in plain and "stabilize/log1p x1" in plain
    assert "x" in shell.user_ns  # the cell ran in the user namespace


@needs_dot
def test_magic_graph_error_shows_node_then_raises(shell):
    shell.run_cell("a = T.dvector('a'); b = T.dvector('b')")
    with capture_output() as captured, pytest.raises(ValueError):
        shell.run_cell_magic("symgraph", "--inputs a=np.ones(2) b=np.ones(5)", "a * b")
    assert len(captured.outputs) == 2
    assert 'class="node op output error"' in captured.outputs[1].data["text/html"]


@needs_dot
def test_magic_error_inside_cell_highlights_failing_node(shell):
    # the cell defines its own inputs: xdist may run it without the test above
    cell = ("a = T.dvector('a'); b = T.dvector('b')\n"
            "f = nbgraph.function([a, b], T.exp(a) - b)\nf(np.ones(2), np.ones(3))")
    with capture_output() as captured, pytest.raises(ValueError):
        shell.run_cell_magic("symgraph", "", cell)
    assert "error" in captured.outputs[-1].data["text/html"]


@pytest.mark.parametrize("line, cell, says", [
    ("--grad nope", "x = T.dvector('x')\nT.exp(x).sum()", "--grad nope: no such name"),
    ("", "x = T.dvector('x')", "end the cell with an expression"),
    ("--shape x=3,a", "x = T.dvector('x')\nx * 2", "--shape: expected NAME=d0,d1"),
    ("--calls 5", "x = T.dvector('x')\nx * 2", "--calls and --time go with --profile"),
    ("--profile --calls 5 --time 1", "x = T.dvector('x')\nx * 2", "not both"),
    ("--profile --calls 0", "x = T.dvector('x')\nx * 2", "must be positive"),
])
def test_usage_mistakes_are_one_line_usage_errors(shell, line, cell, says):
    with pytest.raises(UsageError, match=says):
        shell.run_cell_magic("symgraph", line, cell)
    # IPython prints a UsageError as one line, without a traceback
    with capture_output() as captured:
        shell.run_cell(f"%%symgraph {line}\n{cell}")
    assert "UsageError" in captured.stderr and "Traceback" not in captured.stderr
    assert len(captured.stderr.strip().splitlines()) == 1


@needs_dot
def test_failed_call_on_random_inputs_mentions_shape(shell):
    shell.run_cell("p = T.dvector('p'); q = T.dvector('q')")
    with capture_output(), pytest.raises(ValueError) as info:
        shell.run_cell_magic("symgraph", "--inputs p=np.ones(2) --shape q=3", "p + q")
    note = " ".join(getattr(info.value, "__notes__", []))
    assert "--shape NAME=d0,d1" in note and "p: float64[2]" in note and "q: float64[3]" in note
