from __future__ import annotations

import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and its after-commit callbacks (the ticket-event listeners), as production would."""

    def _run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run
