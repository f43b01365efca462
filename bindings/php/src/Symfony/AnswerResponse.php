<?php

declare(strict_types=1);

namespace Hookseal\Symfony;

use Hookseal\Answer;
use Symfony\Component\HttpFoundation\JsonResponse;

/**
 * A `Webhook` answer as a Symfony `JsonResponse` (which Laravel answers as it is): the status, the headers
 * (`Retry-After`) and the body, encoded as `Answer::json()` encodes it. Loaded only when used, so only then needs
 * symfony/http-foundation.
 *
 *     return AnswerResponse::from(Webhook::handle($verifier, $request, $router, $store));
 */
final class AnswerResponse
{
    private function __construct()
    {
    }

    public static function from(Answer $answer): JsonResponse
    {
        // fromJsonString: the bytes Answer::json() gives (slashes unescaped, 850.0 kept a float), not re-encoded.
        return JsonResponse::fromJsonString($answer->json(), $answer->status, $answer->headers);
    }
}
