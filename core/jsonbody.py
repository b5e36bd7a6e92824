"""JSON request bodies that can be stored.

``json.loads`` accepts escapes such as ``"\\ud800"`` and returns a string holding a lone
surrogate: valid JSON, but not Unicode text, so no UTF-8 column or jsonb value can hold it and
the database driver fails while encoding (a 500, found with the scheduler API and autosave).
Bodies are checked once after parsing and refused as malformed instead.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import InvalidInput

# In ASCII text a lone surrogate can only come from a \ud800-\udfff escape, so an ASCII body
# without one needs no walk over its strings (a 10,000-item bulk request holds 100,000 keys and
# strings). Anything else is walked: json.loads decodes bytes with "surrogatepass", so encoded
# surrogates (or UTF-16 input) get through without an escape. A false match costs the walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def may_hold_surrogates(raw: bytes | str) -> bool:
    """Whether the raw JSON text could decode to a lone surrogate (False only when it cannot)."""
    if not raw.isascii():
        return True
    if isinstance(raw, str):
        raw = raw.encode("ascii")
    return _SURROGATE_ESCAPE.search(raw) is not None


def unstorable_text(value: Any) -> bool:
    """Whether any string (key or value) inside ``value`` cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def unstorable_message() -> str:
    return _(
        "The body contains text that is not valid Unicode (an unpaired surrogate escape such "
        "as \\ud800)."
    )


def loads(raw: bytes | str) -> Any:
    """``json.loads`` (``ValueError`` for malformed JSON) that raises ``InvalidInput``
    (``malformed_body``) for text a database cannot store."""
    data = json.loads(raw)
    if may_hold_surrogates(raw) and unstorable_text(data):
        raise InvalidInput(unstorable_message(), code="malformed_body")
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing (400) text that cannot be stored."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        if may_hold_surrogates(raw) and unstorable_text(data):
            raise ParseError(unstorable_message())
        return data
