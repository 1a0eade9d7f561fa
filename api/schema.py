"""Adjustments to the generated OpenAPI document."""

from __future__ import annotations

from typing import Any


def empty_values_mean_not_given(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Say in the schema what every endpoint does: ``?country=`` is the same as no ``country``
    (HTML forms and simple clients send empty fields)."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result
