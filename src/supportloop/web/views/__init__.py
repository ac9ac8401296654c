"""Pages. Each view parses input, calls one selector or service, and renders; no business rules here."""
