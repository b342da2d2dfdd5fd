"""Theano's ``theano.scan_module.scan_op`` path: re-exports only (``nbgraph.ops.scan.op``)."""

from ..ops.scan.op import Scan, ScanInfo

__all__ = ["Scan", "ScanInfo"]
