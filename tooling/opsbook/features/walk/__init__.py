"""`opsbook walk`: follow a runbook step by step in the terminal, with approval gates, an append-only audit
log, and the incident's timeline written from it."""
