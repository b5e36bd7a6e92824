"""One declared schema per event type: its name, version and payload fields.

The app that publishes a type declares it in its own ``event_types`` module (imported by its
``AppConfig.ready``); ``events.outbox.publish`` refuses a payload whose keys differ from the
declaration, the OpenAPI schema carries one component per type (``events.openapi``), and a test
keeps docs/integration.md in step. Times in payloads are written by ``rfc3339`` here, or by its
SQL twin ``events_rfc3339()`` (migration events 0003) in database triggers: one format
everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured

# Field kinds, as OpenAPI names them; a trailing "?" allows null.
KINDS = {"integer", "string", "date-time"}


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    description: str
    fields: dict[str, str]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self.fields)

    def example(self, **values) -> dict:
        """A payload of this type with placeholder values (``values`` override some): for the
        documentation and for tests that need an event, not a particular one."""
        sample = {"integer": 1, "string": "example", "date-time": "2026-12-01T08:00:00Z"}
        payload = {field: sample[kind.rstrip("?")] for field, kind in self.fields.items()}
        unknown = set(values) - self.keys
        if unknown:
            raise ValueError(f"{self.name} has no fields {sorted(unknown)}")
        return {**payload, **values}

    def check(self, payload: dict) -> None:
        if payload.keys() != self.keys:
            raise ValueError(
                f"{self.name} v{self.version} payload has fields {sorted(payload)}, "
                f"declared {sorted(self.fields)}"
            )


_registry: dict[str, EventType] = {}


def declare(name: str, *, version: int, description: str, fields: dict[str, str]) -> EventType:
    for field, kind in fields.items():
        if kind.rstrip("?") not in KINDS:
            raise ImproperlyConfigured(f"event type {name}: field {field} has kind {kind!r}")
    declared = EventType(name=name, version=version, description=description, fields=fields)
    if _registry.setdefault(name, declared) != declared:
        raise ImproperlyConfigured(f"event type {name} declared twice, differently")
    return declared


def get(name: str) -> EventType:
    try:
        return _registry[name]
    except KeyError:
        raise ImproperlyConfigured(f"event type {name!r} is not declared") from None


def declared() -> list[EventType]:
    return sorted(_registry.values(), key=lambda t: t.name)


def rfc3339(value: datetime | None) -> str | None:
    """A time in an event: UTC with ``Z``, microseconds only when there are any (what DRF writes
    for ``created_at`` too)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# The SQL twin of ``rfc3339`` for triggers that publish (installed by migration events 0003).
RFC3339_SQL = """
CREATE OR REPLACE FUNCTION events_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t IS NULL THEN NULL
                WHEN date_part('microseconds', t)::bigint % 1000000 = 0
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;
"""


def component_name(event_type: EventType) -> str:
    """The OpenAPI component of a type's payload, e.g. ``AssignmentCancelledEvent``."""
    words = re.split(r"[._]", event_type.name)
    return "".join(word.capitalize() for word in words) + "Event"


def openapi_components(result, generator, request, public):
    """drf-spectacular post-processing hook: one component per declared event type."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for event_type in declared():
        properties = {}
        for field, kind in event_type.fields.items():
            base = kind.rstrip("?")
            prop = (
                {"type": "string", "format": "date-time"} if base == "date-time" else {"type": base}
            )
            if kind.endswith("?"):
                prop["nullable"] = True
            properties[field] = prop
        components[component_name(event_type)] = {
            "type": "object",
            "description": f"`{event_type.name}`: {event_type.description}",
            "properties": properties,
            "required": list(event_type.fields),
            "x-event-type": event_type.name,
            "x-event-version": event_type.version,
        }
    return result
