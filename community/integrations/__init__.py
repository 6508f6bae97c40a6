"""Outgoing integrations: the SSRF guard, message formats, and the HTTP sender."""
