"""OpenAPI links: how a value in one answer feeds the next request.

The scheduler's work is a chain (skill groups, who is eligible, schedule a shift, cancel it; read
the event feed page after page), and the published schema says so with response ``links``, which
clients and schema-driven test tools (schemathesis's stateful runs) follow. drf-spectacular has
no argument for links, so a view declares them next to its other schema annotations::

    @extend_schema(..., extensions=links(Link("Cancel", "v1_assignments_destroy", ...)))

and ``publish_links``, a postprocessing hook, moves them onto the operation's documented
responses. A link naming an operation or a status code the schema does not have is a programming
error, raised while the schema is built (the schema tests and ``spectacular --validate`` build it),
never a link that silently leads nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

# Specification extensions (``x-``) are the one place extend_schema passes arbitrary data through.
LINKS_KEY = "x-skillgate-links"


@dataclass(frozen=True)
class Link:
    """One OpenAPI link of the operation it is declared on: ``to`` the operation its answer
    feeds, or ``from_`` the operation whose answer feeds it (declared by the app above, since a
    lower app never names the operations of the apps above it). ``parameters`` maps
    ``<in>.<name>`` of the target to a runtime expression (``$response.body#/results/0/code``);
    ``request_body`` is the target's body, its strings runtime expressions; ``statuses`` are the
    source's answers it follows."""

    name: str
    description: str
    to: str | None = None
    from_: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: dict | None = None
    statuses: tuple[int, ...] = (200,)

    def __post_init__(self):
        if (self.to is None) == (self.from_ is None):
            raise ImproperlyConfigured(f"Link {self.name} needs exactly one of to and from_.")

    def declared(self) -> dict:
        link = {"description": self.description}
        if self.parameters:
            link["parameters"] = dict(self.parameters)
        if self.request_body is not None:
            link["requestBody"] = dict(self.request_body)
        return {
            "name": self.name,
            "to": self.to,
            "from": self.from_,
            "statuses": list(self.statuses),
            "link": link,
        }


def links(*declared: Link) -> dict:
    """``extend_schema(extensions=...)`` of the operation ``declared`` start or end at."""
    return {LINKS_KEY: [link.declared() for link in declared]}


def _operations(result: dict):
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, operation


def publish_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: declared links onto the source's documented
    responses."""
    by_id = {operation.get("operationId"): operation for _method, operation in _operations(result)}
    found = []
    for operation_id, operation in by_id.items():
        for declared in operation.pop(LINKS_KEY, []):
            source = declared["from"] or operation_id
            target = declared["to"] or operation_id
            for end in (source, target):
                if end not in by_id:
                    raise ImproperlyConfigured(
                        f"Link {declared['name']} of {operation_id} names the unknown operation "
                        f"{end}."
                    )
            found.append((source, target, declared))
    for source, target, declared in found:
        for status in declared["statuses"]:
            response = by_id[source]["responses"].get(str(status))
            if response is None:
                raise ImproperlyConfigured(
                    f"Link {declared['name']} follows an undocumented {status} answer of {source}."
                )
            response.setdefault("links", {})[declared["name"]] = {
                "operationId": target,
                **declared["link"],
            }
    return result
