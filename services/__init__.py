"""The three services of the portal."""
