"""The ground floor's app: the URL converters, the registry's discovery, page-cache invalidation
for the models the apps name (``Kind.PUBLIC_MODELS``), the Site row kept to SITE_URL on every
migrate (``imc.links.site_sync``), and the portal's admin site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


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
        from django.utils.module_loading import autodiscover_modules

        from imc.converters import TokenConverter
        from imc.links import site_sync_after_migrate
        from imc.registry import Kind, contributions

        register_converter(TokenConverter, "token")
        # After the sites app's own post_migrate (it creates example.com in a new database):
        # imc has no models, so no post_migrate is sent for it.
        post_migrate.connect(
            site_sync_after_migrate, sender=self.apps.get_app_config("sites"), dispatch_uid="imc-site-sync"
        )
        # Every installed app's contributions.py registers what it gives the shared pages and
        # duties (imc.registry); the apps are all loaded by now.
        autodiscover_modules("contributions")
        for contribution in contributions(Kind.PUBLIC_MODELS):
            for model in contribution.function():
                label = model._meta.label
                post_save.connect(_row_changed, sender=model, dispatch_uid=f"pagecache-save-{label}")
                post_delete.connect(_row_changed, sender=model, dispatch_uid=f"pagecache-delete-{label}")
                for field in model._meta.local_many_to_many:
                    m2m_changed.connect(
                        _row_changed,
                        sender=field.remote_field.through,
                        dispatch_uid=f"pagecache-m2m-{label}-{field.name}",
                    )
        # A signed-in member's stored pages go stale with their own rows, whichever app has them.
        from imc.pagecache import member_row_changed

        post_save.connect(member_row_changed, dispatch_uid="pagecache-member-rows-save")
        post_delete.connect(member_row_changed, dispatch_uid="pagecache-member-rows-delete")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site as ``admin.site`` (the rules it adds: imc.admin_site)."""

    default = False  # the "imc" app's own configuration stays ImcConfig
    default_site = "imc.admin_site.PortalAdminSite"
