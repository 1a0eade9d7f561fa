"""The public wall and its one query: the selectors (approved allies only), ``AllyQuery`` and its
parameters, how a wall looks (tiles, themes), the wall as a picture, the feed, the embed
snippets."""
