<?php

declare(strict_types=1);

namespace App\Exceptions;

use Hookseal\HooksealException;
use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;
use Illuminate\Http\Exceptions\PostTooLargeException;
use Illuminate\Http\JsonResponse;
use Symfony\Component\HttpKernel\Exception\MethodNotAllowedHttpException;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;
use Throwable;

/**
 * Every error is answered as examples/php answers it: `{"error": "<code>"}`, JSON (a provider is no browser). The
 * exception itself goes to the log (Laravel reports it: config/logging.php), never to the sender.
 */
final class Handler extends ExceptionHandler
{
    /** @param \Illuminate\Http\Request $request */
    public function render($request, Throwable $e)
    {
        [$status, $code, $headers] = match (true) {
            // A verifier or store that cannot be built (a secret not set): 500, the provider retries once fixed.
            $e instanceof HooksealException => [$e->httpStatus, $e->errorCode, []],
            $e instanceof NotFoundHttpException => [404, 'not_found', []],
            $e instanceof MethodNotAllowedHttpException => [405, 'method_not_allowed', $e->getHeaders()],
            $e instanceof PostTooLargeException => [413, 'payload_too_large', []],
            // Among them hookseal's explanations of a programming error (a raw body that is gone): 500, not 401.
            default => [500, 'internal_error', []],
        };
        return new JsonResponse(['error' => $code], $status, $headers);
    }
}
