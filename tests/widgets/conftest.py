"""Fixtures for the widget tests."""

from __future__ import annotations

import pytest
from widget_fixtures import make_trace

from nbgraph.rewrite.trace import Trace


@pytest.fixture
def trace() -> Trace:
    return make_trace()
