"""Structured logs: JSON lines (or a console rendering) through structlog, stdlib included.

An event below the level is dropped before any processor runs (the access log line of every
request costs nothing at WARNING). An event at or above it is rendered where it is logged
(the request's context is there) and written by a thread of its own, so a slow stdout
never stalls the event loop.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

import structlog

from jiebang_api.kit.context import current_request_id

_writer: logging.handlers.QueueListener | None = None


def _add_request_id(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """The id of the request being served, read only when an event is logged (binding it to
    structlog's context on every request cost more than most requests log)."""
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Route structlog and stdlib loggers (uvicorn, alembic) through one renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(records)
    handler.setFormatter(formatter)  # QueueHandler.prepare renders before enqueueing
    _write_from_thread(records)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # Our own access log replaces uvicorn's (it carries the request id).
    logging.getLogger("uvicorn.access").disabled = True


def _write_from_thread(records: queue.SimpleQueue[logging.LogRecord]) -> None:
    """Start the thread that writes rendered lines to stdout (replacing an earlier one)."""
    global _writer
    _flush()
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter("%(message)s"))
    _writer = logging.handlers.QueueListener(records, out)
    _writer.start()


@atexit.register
def _flush() -> None:
    """Stop the writer thread once it has written every line it holds."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None
