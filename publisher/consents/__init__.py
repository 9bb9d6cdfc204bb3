"""Consents: whether, where and until when a person's story may be published."""
