"""What we say: content items with versions and approval, assets, campaigns, drives, communes."""
