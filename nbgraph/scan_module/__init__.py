"""Theano's ``theano.scan_module`` path: re-exports only (the Scan family lives in
``nbgraph.ops.scan.basic``, ``scan_op`` and ``scan_grad``)."""

from ..ops.scan.basic import foldl, foldr, scan, until
from ..ops.scan.basic import scan_map as map  # Theano's names
from ..ops.scan.basic import scan_reduce as reduce
from ..ops.scan.op import Scan, ScanInfo
from . import scan_utils  # noqa: F401

__all__ = ["Scan", "ScanInfo", "scan", "scan_utils", "map", "reduce", "foldl", "foldr",
           "until"]
