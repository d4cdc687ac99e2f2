"""The counter's entry points: the route table and views, the bus consumers and the CLI."""
