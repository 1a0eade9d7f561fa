"""Reviewing: who reviews, the evidence computed for each application (lookalikes, shared
domains and registry IDs), who is looking at what (claims), and the dashboard's figures."""
