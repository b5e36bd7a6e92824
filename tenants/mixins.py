"""Tenant scoping that is the default and hard to forget.

- Views: ``get_for_tenant_or_404`` and ``TenantRequiredMixin``/``tenant_view``.
- DRF: ``TenantAPIMixin`` seals ``get_queryset``; subclasses declare ``base_queryset()`` and the
  tenant filter is always applied on top (after PostHog's TeamAndOrgViewSetMixin).
- Admin: ``TenantAdminMixin`` scopes the changelist, object lookups (change, delete, history),
  foreign-key choices, list filters, autocomplete and raw-id labels, and answers 404 for rows of
  other tenants exactly as for missing ones.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    ForeignKeyRawIdWidget,
)
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, models
from django.http import Http404
from rest_framework import permissions

from .models import Role, Tenant, User


def scope_queryset(queryset: models.QuerySet, tenant: Tenant | None) -> models.QuerySet:
    if tenant is None:
        return queryset.none()
    return queryset.filter(tenant_id=tenant.pk)


def get_for_tenant_or_404(queryset_or_model, tenant: Tenant | None, **lookup):
    """The one lookup for URL ids: another tenant's row and a missing row give the same 404."""
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    try:
        return scope_queryset(queryset, tenant).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def tenant_view(roles: set[str] | None = None):
    """Decorator for function views: signed in, in a tenant, and (optionally) one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.tenant is None:
                raise Http404
            if roles is not None and request.membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.tenant_scoped = True
        return wrapped

    return decorator


LEAD_ROLES = {Role.TEAM_LEAD, Role.TRAINER, Role.TENANT_ADMIN}
ADMIN_ROLES = {Role.TENANT_ADMIN}


class HasRole(permissions.BasePermission):
    """DRF permission: session users need one of the view's ``allowed_roles``; keys pass."""

    def has_permission(self, request, view):
        roles = getattr(view, "allowed_roles", None)
        membership = getattr(request, "membership", None)
        if roles is None or membership is None:
            return True
        return membership.role in roles


class TenantAPIMixin:
    """Every queryset of an API view is filtered by the request's tenant; this cannot be skipped."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); override base_queryset() instead so "
                "the tenant filter stays applied."
            )

    def base_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.base_queryset().none()
        return scope_queryset(self.base_queryset(), self.request.tenant)


class SafeDateChangeList(ChangeList):
    """Django turns a date-hierarchy year, month or day that is not a date into its "?e=1"
    redirect, but a number past what a C long holds raises OverflowError instead (a 500);
    it is the same bad input."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class TenantAdminMixin:
    """Scopes a ModelAdmin to the admin user's active tenant (platform superusers see all)."""

    tenant_field = "tenant"
    admin_roles: set[str] = {Role.TENANT_ADMIN}
    read_roles: set[str] | None = None

    def _tenant(self, request):
        return getattr(request, "tenant", None)

    def get_changelist(self, request, **kwargs):
        return SafeDateChangeList

    def _role(self, request):
        membership = getattr(request, "membership", None)
        return membership.role if membership else None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return scope_queryset(qs, self._tenant(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects with "doesn't exist"; answer a plain 404 instead so that another
        # tenant's id and a missing id look exactly alike.
        raise Http404

    def get_list_filter(self, request):
        # Django's RelatedFieldListFilter offers every row of the related model, all tenants';
        # every foreign-key filter is swapped for the tenant-aware one so nobody can forget it.
        return [
            _tenant_list_filter(self.model, entry) for entry in super().get_list_filter(request)
        ]

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete (AutocompleteJsonView) and popups search through here: scoped as well.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not request.user.is_superuser:
            queryset = scope_queryset(queryset, self._tenant(request))
        return queryset, may_have_duplicates

    def has_module_permission(self, request):
        return request.user.is_superuser or self._role(request) in self._readers()

    def _readers(self):
        return self.admin_roles | (self.read_roles or set())

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or self._role(request) in self._readers()

    def has_add_permission(self, request, *args):
        return request.user.is_superuser or self._role(request) in self.admin_roles

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or self._role(request) in self.admin_roles

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or self._role(request) in self.admin_roles

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append(self.tenant_field)
        return exclude

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.user.is_superuser:
            return form
        tenant = self._tenant(request)

        class TenantForm(form):
            # The tenant is not a form field, but unique constraints that include it must still
            # be validated on the form (a clear error next to the field, not an IntegrityError).
            def _post_clean(self):
                if self.instance.tenant_id is None:
                    self.instance.tenant = tenant
                super()._post_clean()

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard(TenantAdminMixin.tenant_field)
                return exclusions

        TenantForm.__name__ = form.__name__
        return TenantForm

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.tenant = self._tenant(request)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if hasattr(instance, "tenant_id") and instance.tenant_id is None:
                instance.tenant_id = form.instance.tenant_id
        super().save_formset(request, form, formset, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _scope_choices(field, db_field, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _scope_choices(field, db_field, request)
        return field


def _is_tenant_model(model) -> bool:
    return (
        model is not None
        and model is not Tenant
        and any(f.name == "tenant" for f in model._meta.fields)
    )


def _scope_choices(field, db_field, request):
    """Foreign-key choices in admin forms offer only rows of the active tenant; raw-id widgets
    show no label for another tenant's id; autocomplete widgets show a form with an invalid id
    instead of failing on it."""
    if field is None:
        return
    widget = getattr(field.widget, "widget", field.widget)
    if type(widget) in SAFE_AUTOCOMPLETE:
        widget.__class__ = SAFE_AUTOCOMPLETE[type(widget)]
    if request.user.is_superuser:
        return
    related = db_field.related_model
    if not _is_tenant_model(related):
        return
    tenant = getattr(request, "tenant", None)
    field.queryset = scope_queryset(field.queryset, tenant)
    # ManyToManyRawIdWidget shows no labels at all; the foreign-key one looks them up.
    if type(widget) is ForeignKeyRawIdWidget:
        widget.__class__ = TenantForeignKeyRawIdWidget
        widget.tenant = tenant


class TenantForeignKeyRawIdWidget(ForeignKeyRawIdWidget):
    """Django looks the label of a raw id up among all rows; only the tenant's rows here."""

    tenant = None

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            exists = scope_queryset(self.rel.model._default_manager.all(), self.tenant).filter(
                **{key: value}
            )
            if not exists.exists():
                return "", ""
        except (ValueError, TypeError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value)


def _holds_key(key_field, value) -> bool:
    """Whether ``value`` can be looked up in ``key_field`` at all: of its type, and inside the
    column's range for integers."""
    try:
        key = key_field.to_python(value)
        key_field.get_prep_value(key)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(key_field.get_internal_type())
        return (low is None or key >= low) and (high is None or key <= high)
    return True


class _KeysOnlyAutocomplete:
    """Django's autocomplete widget looks the submitted value up again to show it when the form
    comes back with errors, as it was sent: a value that is not an id (``"\x0b"``, ``"abc"``,
    an id past bigint) raised in that query, a 500 instead of the form's own "select a valid
    choice". Values the key cannot hold are left out; the field already reports them."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key_field = remote.model._meta.get_field(
            getattr(remote, "field_name", None) or remote.model._meta.pk.name
        )
        return super().optgroups(name, [v for v in value if _holds_key(key_field, v)], attr)


class KeysOnlyAutocompleteSelect(_KeysOnlyAutocomplete, AutocompleteSelect):
    pass


class KeysOnlyAutocompleteSelectMultiple(_KeysOnlyAutocomplete, AutocompleteSelectMultiple):
    pass


SAFE_AUTOCOMPLETE = {
    AutocompleteSelect: KeysOnlyAutocompleteSelect,
    AutocompleteSelectMultiple: KeysOnlyAutocompleteSelectMultiple,
}


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign-key list filter that offers only the related rows of the request's tenant
    (platform superusers see all)."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        if not _names_tenant_rows(field.related_model):
            return super().field_choices(field, request, model_admin)
        scope = _filter_scope(field.related_model, getattr(request, "tenant", None))
        own = (
            field.get_limit_choices_to()
            if hasattr(field, "get_limit_choices_to")
            else getattr(field, "limit_choices_to", None)
        )
        if own:
            scope &= own if isinstance(own, models.Q) else models.Q(**own)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=scope, ordering=ordering)


def _names_tenant_rows(model) -> bool:
    """Whether a list of ``model``'s rows tells something about tenants (content types, say,
    do not)."""
    return model is Tenant or model is User or _is_tenant_model(model)


def _filter_scope(model, tenant) -> models.Q:
    """The rows of ``model`` a filter may offer in ``tenant``: tenants, their users, their rows."""
    if tenant is None:
        return models.Q(pk__in=[])
    if model is Tenant:
        return models.Q(pk=tenant.pk)
    if model is User:
        return models.Q(memberships__tenant_id=tenant.pk)
    return models.Q(tenant_id=tenant.pk)


def _tenant_list_filter(model, entry):
    """``list_filter`` entry -> the same entry with tenant-aware choices where it needs them."""
    if isinstance(entry, str):
        path, filter_class = entry, admin.RelatedFieldListFilter
    elif isinstance(entry, (list, tuple)) and len(entry) == 2:
        path, filter_class = entry
        if filter_class is not admin.RelatedFieldListFilter:
            return entry  # an explicit filter class decides its own choices
    else:
        return entry
    try:
        field = get_fields_from_path(model, path)[-1]
    except FieldDoesNotExist:
        return entry
    if not field.is_relation or not _names_tenant_rows(field.related_model):
        return entry
    return (path, TenantRelatedFieldListFilter)


class TenantModelAdmin(TenantAdminMixin, admin.ModelAdmin):
    pass


class TenantInlineMixin:
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return scope_queryset(qs, getattr(request, "tenant", None))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _scope_choices(field, db_field, request)
        return field

    def _parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    # Inline rows are edited through their parent, so the parent's role rules decide.
    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)


class ReadOnlyTenantAdmin(TenantModelAdmin):
    """Rows that only services (or database triggers) write: readers may look, nobody edits
    them here, platform superusers included."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
