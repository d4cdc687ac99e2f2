"""The counter's domain: views, visits, figures and where they are kept; no I/O."""
