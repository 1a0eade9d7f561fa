"""Publishing: the public version, the cached renderings of every public response, their cache
keys, and the purges of the HTTP caches in front (``freshness`` tells the whole path)."""
