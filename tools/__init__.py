"""Developer tools (run as scripts; tests import tools.mint_token)."""
