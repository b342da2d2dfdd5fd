"""``%load_ext nbgraph`` and the ``%%symgraph`` cell magic: parse arguments, call, display.

All logic is in ``symgraph.py``; this file only speaks IPython.
"""

from __future__ import annotations

from typing import Any

from IPython.core import magic_arguments
from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.display import display

from .symgraph import SymgraphError, parse_assignments, parse_shapes, run_cell, symgraph
from .views import view_error


@magics_class
class SymgraphMagics(Magics):
    """Holds the ``%%symgraph`` cell magic."""

    @magic_arguments.magic_arguments()
    @magic_arguments.argument("-o", "--output", nargs="+", default=[], metavar="NAME",
                              help="names of the Variables to compile (default: the value of the "
                                   "cell's last expression)")
    @magic_arguments.argument("--grad", nargs="+", default=[], metavar="WRT",
                              help="also build the gradient of the first output (summed if not "
                                   "scalar) with respect to these Variables")
    @magic_arguments.argument("--mode", default=None,
                              help="compile mode: FAST_RUN, FAST_COMPILE, ... or the name of a "
                                   "Mode in the notebook (default: config.mode)")
    @magic_arguments.argument("--profile", action="store_true",
                              help="time real calls per node for the Profile tab (after one "
                                   "warm-up call; 0.2 s of calls unless --calls or --time)")
    @magic_arguments.argument("--calls", type=int, default=None, metavar="N",
                              help="with --profile: time exactly N calls")
    @magic_arguments.argument("--time", type=float, default=None, metavar="S",
                              help="with --profile: time calls for S seconds (at least 3)")
    @magic_arguments.argument("--inputs", nargs="+", default=[], metavar="NAME=VALUE",
                              help="input values (Python expressions in the notebook's namespace) "
                                   "for the calls; other inputs are random")
    @magic_arguments.argument("--shape", nargs="+", default=[], metavar="NAME=d0,d1",
                              help="shapes of random inputs whose type leaves dimensions open "
                                   "(open dimensions the graph ties together share one size, "
                                   "3 unless fixed)")
    @cell_magic
    def symgraph(self, line: str, cell: str) -> None:
        """Run the cell, compile its outputs with nbgraph, and show the graph, every rewrite
        pass, the gradient graph, the generated code and the profile in one widget."""
        args = parse_line(line)
        shell = self.shell
        assert shell is not None  # register_magics gives every Magics its shell
        namespace = shell.user_ns
        try:
            last = run_cell(shell.transform_cell(cell), namespace)
        except Exception as err:
            node = getattr(err, "node", None)
            if node is not None:  # a graph error: show where, then the usual traceback
                display(view_error(node, err))
            raise
        try:
            view = symgraph(namespace, args.output, args.grad, args.mode, args.profile,
                            parse_assignments(args.inputs, namespace), parse_shapes(args.shape),
                            last=last, calls=args.calls, seconds=args.time)
        except SymgraphError as err:  # a usage mistake: IPython's one line, no traceback
            raise UsageError(str(err)) from None
        except Exception as err:
            partial = getattr(err, "symgraph", None)  # symgraph() attaches what it could build
            if partial is not None:
                display(partial)
            raise
        display(view)


def _unquote(item: str) -> str:
    # IPython splits magic lines without POSIX rules, so 'w=[1, 2]' keeps its quotes
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
        return item[1:-1]
    return item


def parse_line(line: str) -> Any:
    """The magic's arguments as an ``argparse.Namespace``; mistakes raise ``UsageError``."""
    args = magic_arguments.parse_argstring(SymgraphMagics.symgraph, line)
    if (args.calls is not None or args.time is not None) and not args.profile:
        raise UsageError("%%symgraph: --calls and --time go with --profile")
    if args.calls is not None and args.time is not None:
        raise UsageError("%%symgraph: give --calls N or --time S, not both")
    if (args.calls is not None and args.calls < 1) or (args.time is not None and args.time <= 0):
        raise UsageError("%%symgraph: --calls and --time must be positive")
    args.inputs = [_unquote(item) for item in args.inputs]
    args.shape = [_unquote(item) for item in args.shape]
    return args


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbgraph``: registers ``%%symgraph``."""
    ipython.register_magics(SymgraphMagics)
