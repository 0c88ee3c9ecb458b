"""Reads of support tickets. A subscriber reaches a ticket or an attachment only through the
``…_for_account`` selectors: another account's is ``NotFound``, never told apart from a
missing one. Staff reads (the queue, a ticket, search by contract) are for support and admins;
the views check the role."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from abonent.accounts.contract import contract_clean
from abonent.core.errors import NotFound
from abonent.support.models import Attachment, CannedAnswer, Ticket, TicketMessage, TicketStatus

# The staff queue's tabs: what each shows.
QUEUE_FILTERS = ("waiting", "answered", "closed", "mine", "all")


def tickets_for_account(*, account_id: int) -> QuerySet[Ticket]:
    """The account's tickets, the most recently active first, with who answered last."""
    return (
        Ticket.objects.filter(account_id=account_id)
        .select_related("answered_by")
        .order_by("-last_message_at", "-id")
    )


def ticket_get_for_account(*, account_id: int, ticket_id: int) -> Ticket:
    """One of the account's tickets; ``NotFound`` for anyone else's."""
    ticket = (
        Ticket.objects.select_related("answered_by")
        .filter(account_id=account_id, pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def ticket_messages(*, ticket: Ticket) -> list[TicketMessage]:
    """The conversation, oldest first, each message with its author and attachments (two
    queries whatever its length)."""
    return list(
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author_staff")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def attachment_get_for_account(
    *, account_id: int, ticket_id: int, attachment_id: int
) -> Attachment:
    """An attachment of one of the account's tickets; ``NotFound`` otherwise."""
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__ticket_id=ticket_id, message__ticket__account_id=account_id
    ).first()
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def attachment_get_for_staff(*, ticket_id: int, attachment_id: int) -> Attachment:
    """An attachment of the ticket, for staff."""
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket_id=ticket_id).first()
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def ticket_get_for_staff(*, ticket_id: int) -> Ticket:
    """A ticket with its account and tariff, for the staff page."""
    ticket = (
        Ticket.objects.select_related(
            "account", "account__tariff", "account__tariff__kind", "assigned_to", "answered_by"
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def staff_queue(
    *, show: str = "waiting", user_id: int | None = None, contract: str = ""
) -> QuerySet[Ticket]:
    """The staff queue.

    ``waiting`` (the default) are tickets waiting for staff: new ones first (nobody has taken
    or answered them), then the rest, each group by how long it has waited, longest first.
    ``answered`` wait for the subscriber, ``closed`` are done, ``mine`` are the open and
    answered ones assigned to ``user_id``; ``all`` is everything, waiting ones first.
    ``contract`` (spaces and dashes ignored) narrows to one account's tickets."""
    qs = Ticket.objects.select_related("account", "assigned_to").annotate(
        is_new=Case(
            When(status=TicketStatus.OPEN, assigned_to__isnull=True, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        waits=Case(
            When(status=TicketStatus.OPEN, then=Value(0)),
            When(status=TicketStatus.ANSWERED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )
    if show == "waiting":
        qs = qs.filter(status=TicketStatus.OPEN)
    elif show == "answered":
        qs = qs.filter(status=TicketStatus.ANSWERED)
    elif show == "closed":
        qs = qs.filter(status=TicketStatus.CLOSED)
    elif show == "mine":
        qs = qs.filter(assigned_to_id=user_id).exclude(status=TicketStatus.CLOSED)
    number = contract_clean(contract)
    if number:
        qs = qs.filter(account__contract=number)
    return qs.order_by(
        "waits",
        "is_new",
        F("waiting_since").asc(nulls_last=True),
        "-last_message_at",
        "-id",
    )


def queue_counts() -> dict[str, int]:
    """How many tickets wait for staff and how many of them nobody has taken yet."""
    from django.db.models import Count, Q

    return Ticket.objects.filter(status=TicketStatus.OPEN).aggregate(
        waiting=Count("id"), new=Count("id", filter=Q(assigned_to__isnull=True))
    )


def canned_answer_get(*, answer_id: int) -> CannedAnswer:
    """One canned answer; ``NotFound`` when there is none."""
    answer = CannedAnswer.objects.filter(pk=answer_id).first()
    if answer is None:
        raise NotFound(_("No such canned answer."))
    return answer


def canned_answers() -> list[CannedAnswer]:
    """Every canned answer, by title."""
    return list(CannedAnswer.objects.order_by("title"))


def staff_name(user: object) -> str:
    """How a staff member is named to subscribers: the first name, or "Support"."""
    from django.utils.translation import gettext

    first = (getattr(user, "first_name", "") or "").strip()
    return first or gettext("Support")
