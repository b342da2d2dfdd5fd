"""Theano's ``theano.scan_module``: the Scan op, its front end ``scan`` and its gradient."""

from .op import Scan, ScanInfo
from .scan import scan

__all__ = ["Scan", "ScanInfo", "scan"]
