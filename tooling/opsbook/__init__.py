"""opsbook: incident runbooks and postmortems for AI-agent systems."""

__version__ = "0.1.0"
