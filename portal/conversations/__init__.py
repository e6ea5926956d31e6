"""A customer's conversation and its messages and events: the records every path shares."""
