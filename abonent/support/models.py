"""Support tickets: a conversation between a subscriber and support staff, with image
attachments kept in a private folder and canned answers for staff.

A ticket waits for staff (``open``), for the subscriber (``answered``) or for nobody
(``closed``). ``waiting_since`` is when it started waiting for staff (the subscriber's first
unanswered message); the staff queue sorts by it. Writes go through ``support.services``,
subscribers read through the owner-scoped ``support.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SUBJECT_MAX = 150
TEXT_MAX = 5_000
PRIVATE_DIR = "private/support"


class TicketCategory(models.TextChoices):
    """What the subscriber's problem is about."""

    NO_CONNECTION = "no_connection", pgettext_lazy("ticket category", "No connection")
    SLOW_SPEED = "slow_speed", pgettext_lazy("ticket category", "Slow speed")
    PAYMENTS = "payments", pgettext_lazy("ticket category", "Payments")
    TARIFF = "tariff", pgettext_lazy("ticket category", "Tariff")
    OTHER = "other", pgettext_lazy("ticket category", "Other")


class TicketStatus(models.TextChoices):
    """Whose turn it is: staff's (open), the subscriber's (answered), nobody's (closed)."""

    OPEN = "open", pgettext_lazy("ticket status", "Open")
    ANSWERED = "answered", pgettext_lazy("ticket status", "Answered")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under ``MEDIA_ROOT`` (followed at run time, so tests can move it) that have no
    URL: nothing serves MEDIA_ROOT, and attachments are sent only by views that check who
    asks."""

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no URL; serve them through a view that checks access")


private_storage = PrivateStorage()


def _private_storage() -> PrivateStorage:
    return private_storage


class Ticket(models.Model):
    """One support conversation of one account."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    category = models.CharField(_("category"), max_length=16, choices=TicketCategory.choices)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_message_at = models.DateTimeField(_("last message"))
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["account", "-last_message_at"], name="ticket_account_recent"),
            models.Index(fields=["status", "waiting_since"], name="ticket_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=TicketCategory.values), name="ticket_category_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_known"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_empty"),
            # only a ticket waiting for staff has a waiting time
            models.CheckConstraint(
                condition=Q(status=TicketStatus.OPEN) | Q(waiting_since__isnull=True),
                name="ticket_waits_only_when_open",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketMessage(models.Model):
    """One message of a ticket: the subscriber's when ``author_staff`` is empty, otherwise the
    staff member's. Plain text, shown escaped; never edited."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    author_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_order")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.text[:40]}"

    @property
    def from_staff(self) -> bool:
        return self.author_staff_id is not None


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name in the private folder; the subscriber's file name is never a path."""
    return f"{PRIVATE_DIR}/{filename}"


class Attachment(models.Model):
    """An image attached to a ticket message: checked by its content when uploaded, stored
    under a random name in a private folder, sent only to the ticket's account and staff."""

    message = models.ForeignKey(
        TicketMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, storage=_private_storage)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveIntegerField(_("size, bytes"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class CannedAnswer(models.Model):
    """A ready text staff insert into a reply and then adapt."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    text = models.TextField(_("text"), max_length=TEXT_MAX)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")

    def __str__(self) -> str:
        return self.title
