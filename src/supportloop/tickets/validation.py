"""Checks on untrusted text: kept here for existing imports; the code lives in core.validation."""

from supportloop.core.validation import clean_json, clean_text  # noqa: F401
