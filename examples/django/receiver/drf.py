"""Django REST Framework: verify before DRF parses the body, and what happens when a parser read it first.

``hookseal.django.verify_request(verifier, request)`` takes DRF's request. Called first, it keeps the raw bytes, and
``request.data`` still parses them afterwards (``ElmedVerifiedFirst``). DRF 3.18's JSON and form parsers read
``request.body`` too, so they keep the bytes as well; any other parser reads the body as a stream (``MultiPartParser``,
``FileUploadParser``, or the "give me the raw bytes" parser below, a common attempt at webhook signatures) and keeps
only what it made of them. After that, ``verify_request`` raises ``hookseal.django.BodyAlreadyReadError``, answered
500 with the cause and the fix in the log (``ElmedDataFirst``), never a 401 ``signature_mismatch`` that would send you
looking for a wrong secret.
"""

import logging
from typing import Any, Mapping, Optional

from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import hookseal
from hookseal.django import verify_request

from .views import elmed

logger = logging.getLogger("webhooks")


class ElmedVerifiedFirst(APIView):
    """Verified first, then parsed by DRF: the right order (no store here: views.py shows exactly once)."""

    def post(self, request: Request) -> Response:
        try:
            event = verify_request(elmed, request)
        except hookseal.VerificationError as error:
            return Response({"error": error.code}, status=error.http_status)
        parsed = request.data  # DRF parses the bytes hookseal kept (DRF reads no chunked body: then it is empty)
        return Response(
            {
                "status": "verified",
                "event_type": event.event_type,
                "idempotency_key": event.idempotency_key,
                "parsed_by_drf": isinstance(parsed, dict) and parsed.get("event") == event.event_type,
            }
        )


class RawBytesParser(BaseParser):
    """Hands the view the body's bytes by reading DRF's stream: the bytes are the parser's now, not the request's."""

    media_type = "*/*"

    def parse(
        self, stream: Any, media_type: Optional[str] = None, parser_context: Optional[Mapping[str, Any]] = None
    ) -> Mapping[str, bytes]:
        return {"raw": stream.read()}


class ElmedDataFirst(APIView):
    """The trap: request.data read (through a stream parser) before verifying. hookseal refuses, saying why (500)."""

    parser_classes = [RawBytesParser]

    def post(self, request: Request) -> Response:
        logger.info("DRF parsed %d bytes", len(request.data["raw"]))  # reads the stream: the request keeps none
        event = verify_request(elmed, request)  # raises hookseal.django.BodyAlreadyReadError
        return Response({"status": "verified", "event_type": event.event_type})
