from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from newsletter.receivers import anymail_inbound, anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="newsletter.anymail_tracking")
        inbound.connect(anymail_inbound, dispatch_uid="newsletter.anymail_inbound")
