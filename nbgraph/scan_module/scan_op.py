"""Theano's ``theano.scan_module.scan_op`` path: re-exports only (``nbgraph.core.scan_op``)."""

from ..core.scan_op import Scan, ScanInfo

__all__ = ["Scan", "ScanInfo"]
