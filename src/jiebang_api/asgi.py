"""The ASGI entry point for servers: `uvicorn jiebang_api.asgi:app`.

Logging is set up here too: with `serve --workers N` each worker process imports this module
afresh and inherits nothing of the parent's configuration.
"""

import gc

from jiebang_api.kit.logging import configure_logging
from jiebang_api.main import create_app
from jiebang_api.settings import get_settings

_settings = get_settings()
configure_logging(_settings.log_level, json=_settings.log_json)
app = create_app(_settings)

# Everything built so far (modules, models, schemas, routes) lives as long as the process:
# keep it out of the collector's generations, so that a full collection under load walks
# the objects of requests only (fewer and shorter pauses: the p99).
gc.collect()
gc.freeze()
