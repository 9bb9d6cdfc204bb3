"""Delivery channel adapters: pure code, dataclasses in, result or typed error out."""
