"""Builds a valid request body for an operation from the app's own OpenAPI document,
so tests can walk every route without listing them by hand."""

from __future__ import annotations

from typing import Any


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    schema = _resolve(schema, spec)
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, spec).get("type") != "null"]
            return example(options[0], spec) if options else None
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            name: example(prop, spec)
            for name, prop in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(0, int(schema.get("minimum", 0)))
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if schema.get("format") == "email":
        return "someone@example-dental.com"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if schema.get("format") == "date":
        return "2026-01-01"
    return "x" * max(1, int(schema.get("minLength", 1)))


def request_body(spec: dict[str, Any], path: str, method: str) -> Any:
    operation = spec["paths"][path][method.lower()]
    body = operation.get("requestBody")
    if not body:
        return None
    return example(body["content"]["application/json"]["schema"], spec)
