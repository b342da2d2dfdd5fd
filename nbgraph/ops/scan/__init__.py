"""Scan: ``scan()`` builds the loop (basic.py), ``Scan`` runs it (op.py), its gradient is a
backward Scan (grad.py), and info.py holds the loop's static layout."""
