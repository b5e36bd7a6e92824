from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "pk"
    cursor_query_description = _(
        "`next` or `previous` of the page read. A cursor that is not one answers 404 not_found."
    )
    page_size_query_description = _(
        "Results per page: 1 to 1000, default 100. Larger values are cut to 1000; "
        "anything else gives the default."
    )

    def get_schema_operation_parameters(self, view):
        """DRF's parameters with the bounds of ``page_size`` (the invalid cursor's 404 is
        added to the operation by ``core.api_errors.document_invalid_cursor``)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self._check_position(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def _check_position(self, queryset, request, view) -> None:
        """DRF checks a cursor's offset and direction but hands its position to the lookup on
        the ordering field, where one the field cannot hold (``p=abc`` for an integer key) is a
        ``ValueError``: such a cursor was not issued here, so it answers like any invalid one."""
        cursor = self.decode_cursor(request)
        if cursor is None or cursor.position is None:
            return
        name = self.get_ordering(request, queryset, view)[0].lstrip("-")
        meta = queryset.model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        try:
            field.to_python(cursor.position)
        except ValidationError:
            raise NotFound(self.invalid_cursor_message) from None
