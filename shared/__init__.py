"""Code the three services share: settings, event contracts, bus, database, logging, HTTP."""
