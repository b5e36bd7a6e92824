"""``field__any_of=values``: "is one of these", for a Python list that may be long.

The list travels as ONE array parameter (``field = ANY(%s::bigint[])``) where
``__in`` spends one bind parameter per value. That matters under server-side binding
(``DATABASE_SERVER_SIDE_BINDING``): PostgreSQL takes at most 65,535 parameters per statement,
so a sweep or an admin action over more rows than that would fail where client-side binding
works. It also keeps the statement's text the same whatever the list's length, so PostgreSQL
prepares it once per connection instead of once per length.

Use it where a list of values grows with the tenant (certification ids of a sweep, every agent
of a tenant); ``__in`` stays right for short lists and for subqueries. A subquery given to
``__any_of`` is sent as ``IN (SELECT ...)``, as ``__in`` would.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, lookups
from django.db.models.expressions import ColPairs
from django.db.models.fields.related_lookups import RelatedIn


@Field.register_lookup
class AnyOf(lookups.In):
    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        if not self.rhs_is_direct_value() or isinstance(self.lhs, ColPairs):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # In's own preparation: NULLs dropped, duplicates removed, an empty list matches nothing
        # without a query; only its "(%s, %s, ...)" placeholder is not used.
        _placeholder, params = self.process_rhs(compiler, connection)
        # The cast names the element type, so psycopg need not guess one from the values
        # (it would pick int2[] for small numbers) and the plan is the one for the column.
        element = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{element}[])", (*lhs_params, list(params))


@ForeignObject.register_lookup
class RelatedAnyOf(RelatedIn, AnyOf):
    """The same for a foreign key (``team__any_of=[...]``, ``membership_id__any_of=ids``):
    related fields take only lookups registered on them; RelatedIn turns instances into ids."""
