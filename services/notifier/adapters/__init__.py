"""The notifier's ties to the outside: its MongoDB collections and the SMTP server."""
