"""How the portal shows things to people: Vietnamese dates and numbers."""
