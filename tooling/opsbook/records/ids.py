"""What a record id looks like, declared once: for the models, for the summaries the index reads without
importing pydantic (`opsbook.records.summary`), and for `opsbook new`."""

from __future__ import annotations

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
"""A runbook's or workflow's id: lower-case words joined by hyphens."""
INCIDENT_ID = rf"\d{{4}}-\d{{2}}-\d{{2}}-{SLUG}"
"""An incident's id: its start date and a slug."""
SLUG_MAX_LENGTH = 80
INCIDENT_ID_MAX_LENGTH = 100
