"""Webhooks: signed deliveries (Standard Webhooks) of public events to partners' systems."""
