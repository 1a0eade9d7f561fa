"""Proofs that an organization controls its website's domain: by the contact's address, a DNS TXT
record or a file on the website; the checks run by the worker (``checks``: the network half)."""
