"""A Django project receiving ELMED and NovaMed webhooks with hookseal.django (see ../README.md)."""
