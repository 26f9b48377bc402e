from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import m2m_changed, post_delete, post_save

# Rows that public pages show: a change to any of them makes the stored pages stale
# (imc.pagecache). Bookkeeping rows (deliveries, reminders, logs, relay messages) are left out.
PUBLIC_MODELS = [
    "accounts.User",
    "districts.District",
    "districts.Town",
    "districts.TownDistrict",
    "districts.TownAlias",
    "districts.ZipCode",
    "districts.BoardSeat",
    "districts.Team",
    "groups.Group",
    "groups.GroupDistrict",
    "groups.GroupSlugHistory",
    "groups.Membership",
    "events.EventSeries",
    "events.Event",
    "events.Rsvp",
    "newsletter.Newsletter",
]


def _row_changed(sender, update_fields=None, **kwargs) -> None:
    from imc import pagecache

    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed announces each change twice; the "post_" one is enough
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in changes nothing any page shows
    pagecache.invalidate()


class ImcConfig(AppConfig):
    name = "imc"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.urls import register_converter

        from imc.converters import TokenConverter

        register_converter(TokenConverter, "token")
        for label in PUBLIC_MODELS:
            model = apps.get_model(label)
            post_save.connect(_row_changed, sender=model, dispatch_uid=f"pagecache-save-{label}")
            post_delete.connect(_row_changed, sender=model, dispatch_uid=f"pagecache-delete-{label}")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _row_changed, sender=field.remote_field.through, dispatch_uid=f"pagecache-m2m-{label}-{field.name}"
                )


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site as ``admin.site`` (the rules it adds: imc.admin_site)."""

    default = False  # the "imc" app's own configuration stays ImcConfig
    default_site = "imc.admin_site.PortalAdminSite"
