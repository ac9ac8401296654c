"""Helpers for the browser tests (tests/browser)."""

from __future__ import annotations

import re

# Background saves a ticket page makes on its own (issue 12, collab.js): the composer's draft autosave and the
# presence heartbeat. They are not form submissions, so tests that assert "nothing was posted" leave them out.
BACKGROUND_POSTS = re.compile(r"/t/\d+/(draft|presence)/$")


def is_submission(request) -> bool:
    """A POST that a form or an action made (not a background save)."""
    return request.method == "POST" and not BACKGROUND_POSTS.search(request.url)
