"""The WSGI application: ``gunicorn -w 4 --chdir examples/django receiver.wsgi``."""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "receiver.settings")

application = get_wsgi_application()

# Django loads the URLconf, and with it views.py (its verifiers and store), at the first request. Load it now: a
# missing secret stops the server at start-up (gunicorn --preload), and the store is logged before any delivery.
import_module(settings.ROOT_URLCONF)
