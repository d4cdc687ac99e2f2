"""The notifier service: emails each new article to confirmed subscribers."""
