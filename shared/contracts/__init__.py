"""What the services agree on: the event contracts, the section catalogue, the rules for
text from outside, and the kinds of domain error."""
