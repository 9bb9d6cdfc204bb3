"""Export and import of the content library, campaigns, channels and playbooks.

An export is a directory an operator can read, diff and carry to another instance:

- ``manifest.json``: format name and version, when, counts, and a SHA-256 of each file;
- ``content.json``: assets' metadata, feed sources, content items with every version;
- ``campaigns.json``: campaigns and donation drives;
- ``channels.json``: channels' kind, slug, name, non-secret settings, rules, enabled;
- ``playbooks.json``: the planning playbooks;
- ``assets/<sha256>.<ext>`` and ``assets/<sha256>.thumb.<ext>``: poster images.

Rows are named by natural keys, never by database ids (campaign and channel slugs,
drive ``external_ref`` or its campaign, name, start and commune, asset SHA-256,
content ``export_key``), so two instances holding the same library export the same
bytes apart from the manifest's time. Users, API tokens, publications, broadcast
confirmations and channel secrets are never exported; nor are profiles (a person's story,
their photo and consent: personal data), which the manifest counts under ``left_out``.
"""

from __future__ import annotations

from publisher.transfer.exporter import export_library
from publisher.transfer.importer import import_library
from publisher.transfer.records import FORMAT_NAME, FORMAT_VERSION, TransferError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "TransferError", "export_library", "import_library"]
