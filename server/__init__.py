"""Kenesh server: HTTP API, authentication and persistence around the pure forms/ and sync/ packages."""

__version__ = "0.1.0"
