"""jiebang-api: the REST API of Inner Mongolia's 揭榜挂帅 science-and-technology programme."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jiebang-api")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"
