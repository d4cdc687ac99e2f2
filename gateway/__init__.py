"""The nginx gateway: its config template and the local renderer."""
