"""Logs: below the level an event is dropped before any processor runs; at or above it, a
JSON line is written by the writer thread."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from jiebang_api.kit import logging as kit_logging
from jiebang_api.kit.context import request_id_var


@pytest.fixture
def restore_logging() -> Iterator[None]:
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    kit_logging._flush()
    structlog.configure(**config)
    root.handlers, root.level = handlers, level


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    kit_logging._flush()  # the writer thread writes what it holds, then stops
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_events_below_the_level_cost_no_processing(
    restore_logging: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit_logging.configure_logging("WARNING")
    stamped: list[object] = []
    original = structlog.processors.TimeStamper.__call__
    monkeypatch.setattr(
        structlog.processors.TimeStamper,
        "__call__",
        lambda self, *args: stamped.append(args) or original(self, *args),
    )
    log = structlog.get_logger("jiebang_api.test")
    log.info("request", path="/x")
    assert stamped == []
    log.warning("careful", path="/y")
    assert len(stamped) == 1
    lines = _lines(capsys)
    assert [(x["event"], x["level"], x["path"]) for x in lines] == [("careful", "warning", "/y")]


def test_stdlib_records_and_exceptions_reach_the_json_lines(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    kit_logging.configure_logging("INFO")
    logging.getLogger("uvicorn.error").warning("port %s busy", 8000)
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        structlog.get_logger("jiebang_api.test").exception("failed", 种类="错误")
    first, second = _lines(capsys)
    assert first["event"] == "port 8000 busy"
    assert first["logger"] == "uvicorn.error"
    assert second["event"] == "failed"
    assert second["种类"] == "错误"
    assert "ZeroDivisionError: boom" in second["exception"]


def test_lines_logged_while_serving_a_request_carry_its_id(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    kit_logging.configure_logging("INFO")
    token = request_id_var.set("req-42")
    try:
        structlog.get_logger("jiebang_api.test").info("inside")
        logging.getLogger("uvicorn.error").warning("also inside")
    finally:
        request_id_var.reset(token)
    structlog.get_logger("jiebang_api.test").info("outside")
    inside, stdlib, outside = _lines(capsys)
    assert inside["request_id"] == "req-42"
    assert stdlib["request_id"] == "req-42"
    assert "request_id" not in outside
