"""What the notifier does: the only code that changes state and runs after-commit effects."""
