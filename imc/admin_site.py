"""The portal's admin site: Django's, with two rules that hold for every model admin registered on
it, ours and the installed apps' alike (``admin.site`` is this site: see ``imc.apps``).

1. "View on site" obeys the object's own page. Django's shortcut (``/admin/r/<type>/<id>/``)
   redirects any staff member to the page of any object of any model, so with sequential ids a
   rep could walk to other districts' pending groups, draft events and newsletters, and to a
   member's secret calendar feed. Here it redirects only when the model's admin names the policy
   that decides who sees the object's page (``site_visibility``) and that policy lets this person
   see it; every other answer is the 404 of an id that does not exist, so it reveals nothing.
   Models without a page, and objects whose address is a secret (feed and unsubscribe tokens),
   name no policy and so have no view on site at all.

2. A changelist's query string that the database cannot take is an invalid lookup, answered the
   way Django answers any other: a redirect to the bare changelist with ``?e=1``. Whole numbers
   past 64 bits (SQLite overflows at such an id) and dates past Python's (the date hierarchy's
   ``?starts_at__year=9999`` asks for the year 10000) are the kinds seen. NUL characters, which
   PostgreSQL refuses in every string, never get this far: the portal answers 400 to any address
   with one (``imc.middleware.RefuseControlCharactersMiddleware``), the admin included.

3. A link is drawn only where it opens. Django links every read-only relation (a board seat's
   user, a group's submitter) and every row of a delete page to the related object's admin page,
   whether or not this person may open it: a rep saw links to accounts that answer 403. Here the
   link is drawn only if the related model's admin lets this person see that object
   (``PortalAdminSite.may_open``); otherwise its name is plain text.

4. Autocomplete fields say what their blank choice means (``— no user —``): an empty ``<option>``
   is invalid HTML, and select2 shows the same words while nothing is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, path, resolve
from django.utils.safestring import mark_safe

from imc import links

BIGGEST_ID = 2**63 - 1


def _past_64_bits(value: str) -> bool:
    """A whole number no integer column holds (SQLite raises OverflowError at such an id)."""
    try:
        return abs(int(value)) > BIGGEST_ID
    except ValueError:  # not a number, or one with more digits than Python converts
        return value.strip().lstrip("+-").isdigit()


def unusable_query(request: HttpRequest) -> str | None:
    """Why the database cannot take this query string, or None."""
    for key, values in request.GET.lists():
        # Search terms are text (digits included); every other value may meet an id column.
        if key != SEARCH_VAR and any(_past_64_bits(part) for v in values for part in v.split(",")):
            return f"{key}: a number past 64 bits"
    return None


class GuardedChangeList:
    """Mixed into each admin's own ChangeList class (see ``PortalModelAdmin.get_changelist``)."""

    def get_queryset(self, request: HttpRequest, exclude_parameters=None):
        problem = unusable_query(request)
        if problem:
            raise IncorrectLookupParameters(problem)
        return super().get_queryset(request, exclude_parameters)

    def get_filters(self, request: HttpRequest):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            # Django catches a ValueError from the date hierarchy's first date only; the year
            # after 9999, or a year past a C long, escapes as a 500.
            raise IncorrectLookupParameters(exc) from exc


@cache
def _guarded_changelist(changelist_class: type[ChangeList]) -> type[ChangeList]:
    return type(changelist_class.__name__, (GuardedChangeList, changelist_class), {})


# --- 3. Links only where they open -------------------------------------------------------------

# The request of the page being drawn, set on its forms (``PortalModelAdmin.render_change_form``):
# Django draws read-only fields without it.
VIEWER = "_portal_admin_request"


class LinkIfOpenReadonlyField(helpers.AdminReadonlyField):
    """Django's read-only field, linking a related object only for those who may open its page.
    Without the request (a form drawn outside the portal's change form) it never links."""

    def get_admin_url(self, remote_field, remote_obj):
        request = getattr(self.form, VIEWER, None)
        site = getattr(self.model_admin, "admin_site", None)
        if request is None or not isinstance(site, PortalAdminSite) or not site.may_open(request, remote_obj):
            return str(remote_obj)  # escaped by the caller, as Django's own unlinked answer
        return super().get_admin_url(remote_field, remote_obj)


# Fieldline, which makes the read-only fields of every change form and inline, looks the class up
# in its module: this is the one place Django lets a site change how they are drawn.
helpers.AdminReadonlyField = LinkIfOpenReadonlyField

# What Django's delete page draws for a row that has an admin: ``format_html('{}: <a href="{}">{}</a>')``.
_DELETED_ROW_LINK = re.compile(r'^(?P<label>.*?): <a href="(?P<url>[^"]*)">(?P<text>.*)</a>$', re.DOTALL)


class AutocompleteSelect(admin_widgets.AutocompleteSelect):
    """Django's autocomplete, its blank choice named (Django leaves it an empty ``<option>``)."""

    def blank_label(self) -> str:
        return f"— no {self.field.verbose_name} —"

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = self.blank_label()  # what select2 shows while nothing is chosen
        return attrs

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        for _group, options, _index in groups:
            for option in options:
                if option["value"] == "" and not option["label"]:
                    option["label"] = self.blank_label()
        return groups


class PortalModelAdmin:
    """Mixed into every model admin registered on the portal's site (``PortalAdminSite.register``)."""

    # A model admin whose objects have a page on the site names the policy that decides who may
    # open it: ``site_visibility = staticmethod(policy.can_view)``, ``policy(user, obj) -> bool``.
    # Without one the model has no page "view on site" may open. (Read with getattr: this mixin
    # comes first in the class's order, so a default here would hide the admin's own.)

    def site_policy(self) -> Callable[[Any, Model], bool] | None:
        return getattr(self, "site_visibility", None) if self.view_on_site else None

    def may_view_on_site(self, request: HttpRequest, obj: Model) -> bool:
        policy = self.site_policy()
        return policy is not None and policy(request.user, obj)

    def get_view_on_site_url(self, obj=None):
        if self.site_policy() is None:
            return None
        return super().get_view_on_site_url(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The read-only fields of the form and its inlines ask who is looking (rule 3).
        forms = [context["adminform"].form] if "adminform" in context else []
        for inline in context.get("inline_admin_formsets", ()):
            forms.extend(inline.formset.forms)
        for form in forms:
            setattr(form, VIEWER, request)
        response = super().render_change_form(request, context, add, change, form_url, obj)
        # No "View on site" button where it would lead to a 404 for this person.
        if obj is not None and response.context_data.get("has_absolute_url"):
            response.context_data["has_absolute_url"] = self.may_view_on_site(request, obj)
        return response

    def get_changelist(self, request, **kwargs):
        return _guarded_changelist(super().get_changelist(request, **kwargs))

    def get_deleted_objects(self, objs, request):
        # The rows listed on the delete page link to their admin pages only where they open (rule 3).
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        unlink = self.admin_site.unlink_unopenable
        return unlink(request, deleted), counts, perms_needed, unlink(request, protected)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PortalAdminSite(admin.AdminSite):
    site_header = "Indivisible Mass Coalition"
    site_title = "Indivisible Mass Coalition admin"
    index_title = "Portal administration"

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, PortalModelAdmin):
            base = type(base.__name__, (PortalModelAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)

    def get_urls(self):
        return [
            path("r/<int:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site")
            if getattr(pattern, "name", None) == "view_on_site"
            else pattern
            for pattern in super().get_urls()
        ]

    def view_on_site(self, request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
        url = self.view_on_site_url(request, content_type_id, object_id)
        if url is None:
            raise Http404("No such page")
        return HttpResponseRedirect(url)

    def view_on_site_url(self, request: HttpRequest, content_type_id: int, object_id: str) -> str | None:
        """The address of the object's page if this person may open it there, else None."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            return None
        model_admin = self._registry.get(model)
        if model_admin is None or model_admin.site_policy() is None:
            return None
        try:
            pk = model._meta.pk.to_python(object_id)
            obj = model._default_manager.filter(pk=pk).first()
        except (ValidationError, ValueError, OverflowError):
            return None
        if obj is None or not model_admin.may_view_on_site(request, obj):
            return None
        view_on_site = model_admin.view_on_site
        # The page's address comes from SITE_URL, the one source of absolute addresses (imc.links).
        return links.absolute(view_on_site(obj) if callable(view_on_site) else obj.get_absolute_url())

    # --- 3. Links only where they open ---------------------------------------------------------

    def may_open(self, request: HttpRequest, obj: Model) -> bool:
        """Whether this person's click on a link to ``obj``'s admin page would open it: the
        model's admin lets them see the object, and shows it to them (Django's change view asks
        both, in the other order)."""
        model_admin = self._registry.get(type(obj))
        return bool(
            model_admin is not None
            and model_admin.has_view_or_change_permission(request, obj)
            and model_admin.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def _object_of_change_url(self, url: str) -> Model | None:
        try:
            match = resolve(url)
        except Resolver404:
            return None
        for model in self._registry:
            if match.url_name == f"{model._meta.app_label}_{model._meta.model_name}_change":
                try:
                    return model._default_manager.filter(pk=unquote(match.kwargs["object_id"])).first()
                except (ValidationError, ValueError):
                    return None
        return None

    def unlink_unopenable(self, request: HttpRequest, rows: list) -> list:
        """The delete page's nested rows, each link this person may not open made plain text."""
        unlinked: list = []
        for row in rows:
            if isinstance(row, list):
                unlinked.append(self.unlink_unopenable(request, row))
                continue
            found = _DELETED_ROW_LINK.match(str(row))
            obj = self._object_of_change_url(found["url"]) if found else None
            if found and (obj is None or not self.may_open(request, obj)):
                # Both parts come escaped from Django's format_html.
                row = mark_safe(f"{found['label']}: {found['text']}")
            unlinked.append(row)
        return unlinked


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's inputs sit under column headings, which are no labels to a screen
    reader (axe: "Form elements must have labels"): each input of a row, its delete box included,
    is named by its column and row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = f", row {index + 1}" if index is not None else ""
        for name, field in form.fields.items():
            field.widget.attrs.setdefault("aria-label", f"{field.label or name}{row}")
