"""Where work reaches the notifier: HTTP routes and handlers, pages, bus consumers, the CLI."""
