"""The HTTP layer: routers, request dependencies and the mapping of errors to problems."""
