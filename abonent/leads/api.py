"""Connection requests from outside (the site's own form posts to the page, not here)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Status

from abonent.core.clientip import client_ip
from abonent.leads.models import LeadSource
from abonent.leads.schemas import LeadIn, LeadOut
from abonent.leads.services import lead_create
from abonent.leads.texts import next_steps_text

router = Router(tags=["leads"])


@router.post("", response={201: LeadOut}, summary="Leave a connection request")
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[LeadOut]:
    """Put a request into the managers' queue. 422 on bad input, 429 when rate-limited."""
    lead = lead_create(
        tariff_id=payload.tariff_id,
        name=payload.name,
        phone=payload.phone,
        address=payload.address,
        comment=payload.comment,
        consent=payload.consent,
        ip=client_ip(request),
        language=translation.get_language() or "ru",
        source=LeadSource.API,
    )
    return Status(
        201,
        LeadOut(
            id=lead.pk,
            status=lead.status,
            tariff_id=lead.tariff_id,
            name=lead.name,
            phone=lead.phone,
            created_at=lead.created_at,
            next_steps=next_steps_text(),
        ),
    )
