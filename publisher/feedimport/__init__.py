"""Importing articles from other sites' RSS and Atom feeds: fetching (``fetch``) and
parsing (``parse``), both free of Flask and the database."""
