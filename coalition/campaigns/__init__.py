"""A campaign and its own surfaces: its page above the wall, the map of its allies, the letter to
lawmakers, the share card."""
