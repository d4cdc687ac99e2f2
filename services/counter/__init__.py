"""The counter service: turns page-view events into the visitor widget's numbers."""
