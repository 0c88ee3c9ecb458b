"""The JSON API at /api/v1/: one router per app, one error shape for everything.

The error handlers and their (translated) messages live in ``abonent.core.api_errors``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from abonent.accounts.api import auth_router, me_router
from abonent.billing.api import router as billing_router
from abonent.catalogue.api import router as catalogue_router
from abonent.core.api_errors import api_errors_register
from abonent.leads.api import router as leads_router
from abonent.messaging.api import router as messaging_router
from abonent.payments.api import router as payments_router
from abonent.support.api import router as support_router

api = NinjaAPI(
    title="Abonent API",
    version="1",
    description="Catalogue, connection requests and the subscriber's own account.",
    urls_namespace="api-v1",
)
api_errors_register(api)

api.add_router("/catalogue/", catalogue_router)
api.add_router("/leads", leads_router)
api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
api.add_router("/me", billing_router)
api.add_router("/me", messaging_router)
api.add_router("/me", payments_router)
api.add_router("/me", support_router)
