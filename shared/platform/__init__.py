"""Platform code every service runs on: the bus, the database and its storage primitives,
HTTP, settings, logs, metrics, start and shutdown. It knows no domain concept."""
