"""Every state change of automation: one module per part, each function one transaction with its audit event."""
