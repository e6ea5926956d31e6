"""The security regression suite (draft docstring; completed at the end)."""
