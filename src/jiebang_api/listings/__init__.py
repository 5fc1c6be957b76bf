"""Listings (榜单): collection, assessment, joint publication and the public catalogue."""
