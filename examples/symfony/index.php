<?php

/*
 * A runnable Symfony HttpFoundation receiver for ELMED and NovaMed webhooks, verified by hookseal (bindings/php): the
 * same receiver as examples/php, on Symfony's Request and Response (HttpFoundation 5.4, Debian's
 * php-symfony-http-foundation; the adapter works the same in a full Symfony app's controller).
 *
 *     ELMED_WEBHOOK_SECRET=... NOVAMED_WEBHOOK_SECRET=... php -d ffi.enable=1 -S 127.0.0.1:8080 -t examples/symfony
 *
 * Routes: POST /webhooks/elmed, POST /webhooks/novamed. Environment (as examples/php):
 *     ELMED_WEBHOOK_SECRET     required: the HMAC secret ELMED signs with (X-ELMED-Signature)
 *     NOVAMED_WEBHOOK_SECRET   required: the key NovaMed sends in x-api-key
 *     NOVAMED_CLINIC_ID        optional: refuse NovaMed deliveries for any other clinic (400 clinic_mismatch)
 *     HOOKSEAL_MAX_BODY_BYTES  optional: the body size limit for both receivers (default 1 MiB; over it: 413)
 *     HOOKSEAL_STORE           optional: the dedupe store's URL (default: sqlite://<tmp>/hookseal-php.db; Redis for
 *                              several hosts: redis://host:6379/0)
 *     HOOKSEAL_EXAMPLE_DELAY_MS optional: the handler sleeps this long (rehearse concurrent copies and crashes)
 *
 * Answers: those of examples/php (200 processed, 200 duplicate, 503 in_progress / store_unavailable, refusals
 * {"error": "<code>"} with 401, 413 or 400; the reason in the server log only).
 */

declare(strict_types=1);

use Hookseal\Event;
use Hookseal\Events\Elmed;
use Hookseal\Events\Novamed;
use Hookseal\HooksealException;
use Hookseal\Router;
use Hookseal\Store;
use Hookseal\Verifier;
use Hookseal\Symfony\AnswerResponse;
use Hookseal\Webhook;
use Symfony\Component\HttpFoundation\JsonResponse;
use Symfony\Component\HttpFoundation\Request;

// With Composer: require 'vendor/autoload.php' (symfony/http-foundation and hookseal). Here: Debian's autoloader for
// HttpFoundation, and hookseal's own (under preloading, bindings/php/preload.php, the classes are already there).
require_once '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
require_once __DIR__ . '/../../bindings/php/autoload.php';

/**
 * @param array<string, mixed> $body
 * @param array<string, string> $headers
 */
function answer(int $status, array $body, array $headers = []): JsonResponse
{
    return new JsonResponse($body, $status, $headers);
}

function log_line(string $message): void
{
    error_log("webhooks: $message");
}

/** The size limit both receivers share: HOOKSEAL_MAX_BODY_BYTES, else (null) the core's default (1 MiB). */
function max_body_bytes(): ?int
{
    $raw = getenv('HOOKSEAL_MAX_BODY_BYTES');
    if ($raw === false || $raw === '') {
        return null;
    }
    if (!ctype_digit($raw)) {
        // A misconfigured server answers 500, so the provider retries once it is fixed.
        throw new RuntimeException("HOOKSEAL_MAX_BODY_BYTES must be a number of bytes, not '$raw'");
    }
    return (int) $raw;
}

function required_secret(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        throw new RuntimeException("set $name (the webhook secret) in the server's environment");
    }
    return $value;
}

/**
 * The verifier for a route. PHP shares nothing between requests, so each request builds its own: a few
 * microseconds (the native library itself is loaded once per worker process, or once per server with preloading).
 */
function verifier_for(string $path, ?int $limit): ?Verifier
{
    return match ($path) {
        '/webhooks/elmed' => new Verifier('elmed', [
            'secret' => required_secret('ELMED_WEBHOOK_SECRET'),
            'max_body_bytes' => $limit,
        ]),
        '/webhooks/novamed' => new Verifier('novamed', [
            'secret' => required_secret('NOVAMED_WEBHOOK_SECRET'),
            'clinic_id' => getenv('NOVAMED_CLINIC_ID') ?: null,
            'max_body_bytes' => $limit,
        ]),
        default => null,
    };
}

/*
 * Exactly once: providers retry (ELMED up to 3 times, NovaMed up to 5), and PHP workers share no memory, so the
 * idempotency keys live in a store every worker shares (bindings/php/README.md, "Exactly once"): HOOKSEAL_STORE,
 * by default an SQLite file in the system temp directory (one host). With several hosts use Redis
 * (`redis://host:6379/0`). The native library keeps the worker's store, and its connections, between requests.
 */
function store(): Store
{
    $url = getenv('HOOKSEAL_STORE') ?: 'sqlite://' . sys_get_temp_dir() . '/hookseal-php.db';
    static $logged = false;
    $store = new Store($url);
    if (!$logged) {
        log_line("store: {$store->url} (worker " . getmypid() . ')');
        $logged = true;
    }
    return $store;
}

/**
 * A field of the event's data for a log line, or '?' (providers add and drop fields: never assume one is there). For
 * the data typed as the document prints it, ask the generated accessor: `Elmed::orderStatusChangedData($event)` is
 * an array shape PHPStan and Psalm know (it throws for an event of another type).
 */
function field(Event $event, string $name): string
{
    $data = is_array($event->data) ? $event->data : [];
    return is_scalar($data[$name] ?? null) ? (string) $data[$name] : '?';
}

/**
 * Every route answers alike: it logs the key (only the key: no patient data in logs), does its work (here, one log
 * line from `$work`), and answers "processed".
 *
 * @param Closure(Event): string $work
 * @return Closure(Event): array<string, mixed>
 */
function handler(Closure $work): Closure
{
    return static function (Event $event) use ($work): array {
        log_line("processing {$event->idempotencyKey}");
        $delay = (int) (getenv('HOOKSEAL_EXAMPLE_DELAY_MS') ?: 0);
        if ($delay > 0) {
            usleep($delay * 1000); // rehearse slow work: concurrent copies, a worker killed mid-handler
        }
        log_line($work($event));
        return [
            'status' => 'processed',
            'event_type' => $event->eventType,
            'idempotency_key' => $event->idempotencyKey,
            'is_test' => $event->isTest,
        ];
    };
}

/**
 * The route's handlers by event type, as the provider docs name them (the constants of \Hookseal\Events, generated
 * from the catalog: a typo in a type is logged once). Exactly one runs per delivery. `*` takes every other type:
 * providers add events, and a new one is accepted, not refused.
 */
function router_for(string $provider): Router
{
    $other = handler(static fn (Event $e): string => "{$e->provider} event {$e->eventType} received");
    return match ($provider) {
        'elmed' => (new Router('elmed'))
            ->on(Elmed::ORDER_STATUS_CHANGED, handler(static fn (Event $e): string =>
                'ELMED order ' . field($e, 'order_number') . ' is now ' . field($e, 'status')))
            ->on(Elmed::PRESCRIPTION_ISSUED, handler(static fn (Event $e): string =>
                'ELMED prescription ' . field($e, 'prescription_number') . ' issued'))
            ->on('*', $other),
        'novamed' => (new Router('novamed'))
            ->on(Novamed::ORDER_SHIPPED, handler(static fn (Event $e): string =>
                'NovaMed order ' . field($e, 'order_id') . ' shipped: ' . field($e, 'tracking_number')))
            ->on(Novamed::MEDICATION_REQUEST_APPROVED, handler(static fn (Event $e): string =>
                'NovaMed medication request ' . field($e, 'medication_request_id') . ' approved'))
            ->on('*', $other),
    };
}

$request = Request::createFromGlobals();
$path = $request->getPathInfo();
try {
    $verifier = verifier_for($path, max_body_bytes());
    if ($verifier === null) {
        $response = answer(404, ['error' => 'not_found']);
    } elseif ($request->getRealMethod() !== 'POST') {
        $response = answer(405, ['error' => 'method_not_allowed'], ['Allow' => 'POST']);
    } else {
        // Reads the Request's raw body (refusing one over the limit before buffering it: Symfony has not read it),
        // verifies it, then runs the router's one handler for the event type once per idempotency key.
        $response = AnswerResponse::from(Webhook::handle($verifier, $request, router_for($verifier->provider), store()));
    }
} catch (HooksealException $e) {
    // Not a refused delivery (Webhook::handle answers and logs those): this receiver's own configuration is wrong.
    log_line("$path: not configured: {$e->getMessage()}");
    $response = answer($e->httpStatus, ['error' => $e->errorCode]);
} catch (Throwable $e) {
    // A programming error, such as a body that is gone (\LogicException): 500, so the provider retries once fixed.
    log_line("$path: " . get_class($e) . ': ' . $e->getMessage());
    $response = answer(500, ['error' => 'internal_error']);
}
$response->send();
