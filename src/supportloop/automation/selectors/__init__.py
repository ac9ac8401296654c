"""Automation's read queries, one module per part, shared by the pages and the API."""
