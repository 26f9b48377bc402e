"""Featured events in the admin: the same rule as the desk's page (``desk.policy.can_feature``).

A rep sees and features the events of their districts only (another district's feature is "not
found"); a coordinator any event. A feature has nothing to edit: it is added or removed, each
through ``desk.services``, which checks the actor again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from desk import services
from desk.models import FeaturedEvent
from desk.policy import can_feature, desk_district_ids, has_desk
from events.models import Event


class FeaturedEventForm(forms.ModelForm):
    class Meta:
        model = FeaturedEvent
        fields = ["event"]

    def clean_event(self) -> Event:
        event = self.cleaned_data["event"]
        if not can_feature(self.request_user, event):
            raise forms.ValidationError("You can feature only the events of your own districts.")
        if not Event.objects.listed().filter(pk=event.pk).exists():
            raise forms.ValidationError("Only an upcoming published event can be featured.")
        return event


@admin.register(FeaturedEvent)
class FeaturedEventAdmin(admin.ModelAdmin):
    form = FeaturedEventForm
    list_display = ["event", "featured_by", "featured_at"]
    # Thousands of events: the admin's lookup by id, checked against the person's events on save.
    raw_id_fields = ["event"]
    readonly_fields = ["featured_by", "featured_at"]

    def get_queryset(self, request: HttpRequest):
        features = super().get_queryset(request).select_related("event", "featured_by")
        ids = desk_district_ids(request.user)
        return features if ids is None else features.filter(event__district_id__in=ids)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]  # clean_event asks the policy
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            ids = desk_district_ids(request.user)
            events = Event.objects.listed()
            kwargs["queryset"] = events if ids is None else events.filter(district_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_desk(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return has_desk(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_desk(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # nothing to edit: a feature is added or removed

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return has_desk(request.user) and (obj is None or can_feature(request.user, obj.event))

    def save_model(self, request: HttpRequest, obj: FeaturedEvent, form, change: bool) -> None:
        feature = services.event_feature(by=request.user, event=obj.event)
        obj.pk, obj.featured_by, obj.featured_at = feature.pk, feature.featured_by, feature.featured_at

    def delete_model(self, request: HttpRequest, obj: FeaturedEvent) -> None:
        services.event_unfeature(by=request.user, event=obj.event)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for feature in queryset.select_related("event"):
            services.event_unfeature(by=request.user, event=feature.event)
