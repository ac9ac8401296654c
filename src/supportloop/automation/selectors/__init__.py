"""Automation's reads that pages and the API share, one module per part."""
