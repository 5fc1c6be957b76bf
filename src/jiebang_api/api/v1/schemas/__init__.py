"""Request and response bodies; class names are the OpenAPI component names, so no two
classes here share one (FastAPI would tell them apart by prefixing their module paths)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from pydantic import BaseModel


def schema_classes() -> list[type[BaseModel]]:
    """Every model defined in a module of this package."""
    classes: list[type[BaseModel]] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        classes.extend(
            value
            for _, value in inspect.getmembers(module, inspect.isclass)
            if issubclass(value, BaseModel) and value.__module__ == module.__name__
        )
    return classes


def declared_examples() -> dict[str, list[Any]]:
    """Each component's examples as its class declares them, explicit nulls included.

    FastAPI's `get_openapi` drops every null from the document it returns (it encodes it with
    `exclude_none=True`, fastapi#5559): a required nullable field then goes missing from the
    examples. This is what the exporter puts back, by component name."""
    examples: dict[str, list[Any]] = {}
    for cls in schema_classes():
        declared = cls.model_json_schema().get("examples")
        if declared:
            examples[cls.__name__] = declared
    return examples
