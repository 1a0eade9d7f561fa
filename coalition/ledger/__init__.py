"""A coalition anyone can verify: the append-only, hash-chained public log of each campaign and
the signed list of its signatories."""
