"""Cast gateway: one hosted MCP server per workspace, built from the workspace's OpenAPI spec."""

__version__ = "0.1.0"
