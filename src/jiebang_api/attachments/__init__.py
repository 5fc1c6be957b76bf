"""Attachments: uploaded files (bytes in a storage backend, metadata in the database)."""
