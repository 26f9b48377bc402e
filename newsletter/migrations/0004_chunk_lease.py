from django.db import migrations, models


class Migration(migrations.Migration):
    """Chunks are held on a lease with a fencing token; deliveries are marked in flight; a send can fail."""

    dependencies = [("newsletter", "0003_subscription_request")]

    operations = [
        migrations.RemoveIndex(model_name="sendchunk", name="newsletter_chunk_sweep"),
        migrations.RenameField(model_name="sendchunk", old_name="heartbeat_at", new_name="lease_until"),
        migrations.AddIndex(
            model_name="sendchunk",
            index=models.Index(fields=["status", "lease_until"], name="newsletter_chunk_sweep"),
        ),
        migrations.AlterField(
            model_name="sendchunk",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed the chunk."),
        ),
        migrations.AddField(
            model_name="sendchunk",
            name="token",
            field=models.PositiveIntegerField(default=0, help_text="The fencing token of the current claim."),
        ),
        migrations.AddField(model_name="sendchunk", name="failures", field=models.PositiveSmallIntegerField(default=0)),
        migrations.AddField(
            model_name="sendchunk", name="last_error", field=models.CharField(blank=True, max_length=300)
        ),
        migrations.AddField(
            model_name="delivery",
            name="inflight_at",
            field=models.DateTimeField(blank=True, help_text="When it was last handed to the server.", null=True),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("inflight", "Being sent"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("skipped", "Skipped (unsubscribed or suppressed before its turn)"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="failure_reason",
            field=models.CharField(blank=True, help_text="Why the send stopped, if it failed.", max_length=500),
        ),
        migrations.AlterField(
            model_name="newsletter",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("scheduled", "Scheduled"),
                    ("sending", "Sending"),
                    ("paused", "Paused"),
                    ("sent", "Sent"),
                    ("cancelled", "Cancelled"),
                    ("failed", "Failed"),
                ],
                default="draft",
                max_length=10,
            ),
        ),
    ]
