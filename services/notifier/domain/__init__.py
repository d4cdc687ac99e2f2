"""The notifier's types, rules and pure functions: no I/O, no HTTP, no database."""
