"""What an agent asks the knowledge base (the MCP server's tools, resources and prompt), answered from the
knowledge index with the safety context of every runbook."""
