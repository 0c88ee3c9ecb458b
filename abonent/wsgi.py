"""WSGI entry point (gunicorn abonent.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abonent.settings")
application = get_wsgi_application()
