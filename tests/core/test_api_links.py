"""core.api_links: links declared on views end up on the documented responses, and a link that
leads nowhere stops the schema from being built."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.api_links import LINKS_KEY, Link, links, publish_links


def _schema(**extra_of_list) -> dict:
    answer = {"description": "ok"}
    return {
        "paths": {
            "/things/": {
                "get": {"operationId": "list", "responses": {"200": dict(answer)}, **extra_of_list}
            },
            "/things/{id}/": {
                "get": {"operationId": "detail", "responses": {"200": dict(answer)}},
            },
        }
    }


def test_a_link_lands_on_the_source_answer_and_leaves_no_extension():
    schema = _schema(
        **links(
            Link(
                "Detail", "One thing.", to="detail", parameters={"path.id": "$response.body#/0/id"}
            )
        )
    )
    published = publish_links(schema, None, None, True)
    operation = published["paths"]["/things/"]["get"]
    assert LINKS_KEY not in operation
    assert operation["responses"]["200"]["links"] == {
        "Detail": {
            "operationId": "detail",
            "description": "One thing.",
            "parameters": {"path.id": "$response.body#/0/id"},
        }
    }


def test_a_link_declared_on_its_target_lands_on_its_source():
    schema = _schema()
    schema["paths"]["/things/{id}/"]["get"].update(
        links(
            Link(
                "Detail", "One thing.", from_="list", parameters={"path.id": "$response.body#/0/id"}
            )
        )
    )
    published = publish_links(schema, None, None, True)
    assert (
        published["paths"]["/things/"]["get"]["responses"]["200"]["links"]["Detail"]["operationId"]
        == "detail"
    )


def test_a_link_to_an_unknown_operation_stops_the_schema():
    with pytest.raises(ImproperlyConfigured, match="unknown operation"):
        publish_links(_schema(**links(Link("Gone", "Nowhere.", to="renamed"))), None, None, True)


def test_a_link_from_an_undocumented_answer_stops_the_schema():
    schema = _schema(**links(Link("Detail", "One thing.", to="detail", statuses=(201,))))
    with pytest.raises(ImproperlyConfigured, match="undocumented 201"):
        publish_links(schema, None, None, True)


def test_a_link_names_exactly_one_end():
    with pytest.raises(ImproperlyConfigured):
        Link("Both", "Ambiguous.", to="a", from_="b")
    with pytest.raises(ImproperlyConfigured):
        Link("Neither", "Ambiguous.")
