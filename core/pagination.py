from django.utils.translation import gettext_lazy as _
from rest_framework import pagination


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
