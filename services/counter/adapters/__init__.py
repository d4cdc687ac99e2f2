"""The counter's adapters: its MongoDB documents, the inbox writer and the figures' reader."""
