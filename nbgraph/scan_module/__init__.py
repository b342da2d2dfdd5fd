"""Theano's ``theano.scan_module`` path: re-exports only (the Scan family lives in
``nbgraph.core.scan``, ``scan_op`` and ``scan_grad``)."""

from ..core.scan import scan
from ..core.scan_op import Scan, ScanInfo

__all__ = ["Scan", "ScanInfo", "scan"]
