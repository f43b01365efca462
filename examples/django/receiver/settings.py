"""Settings of the example receiver: the smallest Django project that serves webhooks, CSRF middleware on.

The webhook settings (secrets, store, size limit) are read from the environment in views.py, as the Flask and FastAPI
examples read them; this file holds Django's own.
"""

import os

# Django signs sessions and CSRF tokens with it; webhooks use neither (their signature is the provider's secret).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "hookseal-example-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS += [host for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host]

INSTALLED_APPS: list[str] = []  # no models, no admin; Django REST Framework's APIView needs no app entry
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # On, as in every Django project: the webhook views are exempt (hookseal.django does it), the rest of a site is not.
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "receiver.urls"
WSGI_APPLICATION = "receiver.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# Django REST Framework, for drf.py's views: no sessions, no users, JSON only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

# One line per record on stderr, as the Flask example logs (`INFO webhooks: store: ...`); Django's own errors (a view
# that raised: its traceback) reach it too, since Django's logger propagates to the root.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
}
