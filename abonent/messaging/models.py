"""Provider mail ("Почта"): messages from the provider to one account or to a segment.

Design for broadcasts: one ``Message`` row holds the text, whoever it went to; one narrow
``MessageRecipient`` row per receiving account holds that account's read state. A broadcast
writes its recipient rows with one set-based ``INSERT … SELECT`` over the segment's accounts
(100 000 accounts are 100 000 rows of three integers and a timestamp, written by the database
in one statement, no Python loop). The audience is fixed when the message is sent: an account
that joins the segment later does not see old broadcasts, and reading, counting and paging the
inbox are plain indexed look-ups on ``(account, message)`` — the same few queries for an account
with 10 or 10 000 messages. (The alternative — a broadcast row plus read markers only for the
accounts that read it — writes less, but has to re-evaluate every segment on every inbox view.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SUBJECT_MAX = 200
BODY_MAX = 10_000


class MessageCategory(models.TextChoices):
    """What a message is about; the subscriber filters the inbox by it."""

    SUPPORT = "support", pgettext_lazy("message category", "Support")
    BILLING = "billing", pgettext_lazy("message category", "Billing")
    SECURITY = "security", pgettext_lazy("message category", "Security")
    NEWS = "news", pgettext_lazy("message category", "News")


class MessageAudience(models.TextChoices):
    """Whom a message was sent to."""

    ACCOUNT = "account", _("One account")
    SEGMENT = "segment", _("A segment of accounts")


class MessageQuerySet(models.QuerySet):
    """Messages are immutable once sent: no bulk updates either."""

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("messages are immutable once sent")


class Message(models.Model):
    """A note from the provider: plain text (links become clickable when shown, everything else
    is escaped), immutable once sent. Who received it is in ``MessageRecipient``; ``segment``
    keeps the filters of a broadcast as they were given (or the account of a personal one)."""

    category = models.CharField(_("category"), max_length=16, choices=MessageCategory.choices)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    audience = models.CharField(_("audience"), max_length=16, choices=MessageAudience.choices)
    segment = models.JSONField(_("segment"), default=dict, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for messages the system sends by itself."),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=MessageCategory.values), name="message_category_known"
            ),
            models.CheckConstraint(
                condition=Q(audience__in=MessageAudience.values), name="message_audience_known"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="message_subject_not_empty"),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Messages are inserted once; changing a sent one is a bug."""
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("messages are immutable once sent")
        super().save(*args, **kwargs)


class MessageRecipient(models.Model):
    """One account's copy of a message: the only thing that changes is when it was read.

    ``(account, message)`` is unique, and its index is the inbox's: an index range per account;
    a partial index on unread rows keeps the header's unread badge cheap.
    """

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-message_id"]
        verbose_name = _("message recipient")
        verbose_name_plural = _("message recipients")
        constraints = [
            models.UniqueConstraint(fields=["account", "message"], name="message_once_per_account"),
        ]
        indexes = [
            # the unique constraint above is the inbox's index (scanned backwards, newest first)
            models.Index(
                fields=["account"], condition=Q(read_at__isnull=True), name="message_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.account_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
