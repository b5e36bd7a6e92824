"""Django's PostgreSQL backend, aware of the bind-parameter limit under server-side binding.

With ``OPTIONS["server_side_binding"]`` (``DATABASE_SERVER_SIDE_BINDING``) every value is a
bind parameter, and PostgreSQL's protocol counts them in 16 bits: a statement takes at most
65,535. Django 5.2 does not know that for PostgreSQL (ticket #36822), so the operations that
size their batches by it (``bulk_update``, ``in_bulk``, the deletion collector's per-batch
lookups of related rows, ``bulk_create`` where it cannot send arrays) would send one statement
for any number of rows and fail past the limit where client-side binding works. Declaring the
limit makes Django split them.

Not covered, because Django combines the batches again: a delete whose rows are referenced
through ``SET_NULL``/``SET_DEFAULT`` updates all referencing rows with one ``OR`` of the
batches. No service deletes that many such rows; an admin "delete selected" of more than
65,535 teams or memberships would fail. ``__in`` lists are never split by Django: long ones use
``__any_of`` (core.db.lookups).
"""

from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property

MAX_BIND_PARAMETERS = 65_535
# Left for a statement's other values (the deletion collector's generic relations add a
# content type to each batch of ids; an update adds its new values).
HEADROOM = 1_000


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return MAX_BIND_PARAMETERS if self.uses_server_side_binding else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        limit = self.connection.features.max_query_params
        if limit is None:
            return super().bulk_batch_size(fields, objs)
        return max((limit - HEADROOM) // max(len(fields), 1), 1)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
