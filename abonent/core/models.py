"""Cross-cutting records: the audit log and rate-limit events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One staff (or system) action: who, when, what, and the state before → after.

    Append-only: written by ``audit.audit_record`` inside the transaction of the change itself.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"
        )

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs, in a stable order."""
        keys = sorted(set(self.before) | set(self.after))
        return [
            (key, self.before.get(key), self.after.get(key))
            for key in keys
            if self.before.get(key) != self.after.get(key)
        ]


class RateLimitEvent(models.Model):
    """One counted attempt in a named scope (for example a lead from one IP).

    Kept in the database so every web node sees the same counts.
    """

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"])]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}@{self.created_at:%H:%M:%S}"
