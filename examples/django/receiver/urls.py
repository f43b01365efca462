"""The routes: ELMED through a function view, NovaMed through a class-based one, and the two DRF views."""

from django.urls import path

from . import drf, views

urlpatterns = [
    path("webhooks/elmed", views.on_elmed),
    path("webhooks/novamed", views.NovaMedWebhook.as_view()),
    path("drf/webhooks/elmed", drf.ElmedVerifiedFirst.as_view()),
    path("drf/webhooks/elmed-data-first", drf.ElmedDataFirst.as_view()),
]
