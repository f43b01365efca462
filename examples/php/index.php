<?php

/*
 * A runnable PHP receiver for ELMED and NovaMed webhooks, verified by hookseal (bindings/php).
 *
 *     ELMED_WEBHOOK_SECRET=... NOVAMED_WEBHOOK_SECRET=... php -d ffi.enable=1 -S 127.0.0.1:8080 -t examples/php
 *
 * Routes: POST /webhooks/elmed, POST /webhooks/novamed. Environment:
 *     ELMED_WEBHOOK_SECRET     required: the HMAC secret ELMED signs with (X-ELMED-Signature)
 *     NOVAMED_WEBHOOK_SECRET   required: the key NovaMed sends in x-api-key
 *     NOVAMED_CLINIC_ID        optional: refuse NovaMed deliveries for any other clinic (400 clinic_mismatch)
 *     HOOKSEAL_MAX_BODY_BYTES  optional: the body size limit for both receivers (default 1 MiB; over it: 413)
 *     HOOKSEAL_SEEN_DIR        optional: where the seen-set of idempotency keys lives (default: <tmp>/hookseal-seen)
 *
 * Answers: 200 {"status": "processed", ...} the first time, 200 {"status": "duplicate", ...} when the idempotency
 * key comes back (still a 2xx, so the provider stops retrying); a refusal is {"error": "<code>"} with 401 (signature
 * or key), 413 (too large) or 400 (anything else), and the reason goes to the server log, never to the sender.
 */

declare(strict_types=1);

use Hookseal\Event;
use Hookseal\Headers;
use Hookseal\HooksealException;
use Hookseal\Verifier;

// With Composer: require 'vendor/autoload.php'. Under preloading (bindings/php/preload.php) the classes are already
// there, and the autoloader is simply never asked.
require_once __DIR__ . '/../../bindings/php/autoload.php';

/** @param array<string, mixed> $body */
function answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_UNESCAPED_SLASHES), "\n";
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
 * Idempotency: providers retry (ELMED up to 3 times, NovaMed up to 5), so one event can arrive more than once.
 * PHP workers share no memory, so the seen-set is a directory with one file per idempotency key: fopen mode 'x' is
 * an atomic create (O_EXCL), so of two concurrent copies of a delivery exactly one claims the key, with no lock.
 * It serves one host; with several hosts use a shared store instead: Redis `SET key 1 NX EX 86400`, or an INSERT
 * into a table with a unique constraint on the key, in the same transaction as the work. Old entries can be
 * pruned by age (e.g. `find "$HOOKSEAL_SEEN_DIR" -type f -mmin +1440 -delete` from cron): providers stop retrying
 * after about an hour.
 */
function seen_dir(): string
{
    $dir = getenv('HOOKSEAL_SEEN_DIR') ?: sys_get_temp_dir() . '/hookseal-seen';
    if (!is_dir($dir) && !@mkdir($dir, 0700, true) && !is_dir($dir)) {
        throw new RuntimeException("cannot create the seen-set directory $dir");
    }
    return $dir;
}

function seen_path(string $key): string
{
    // Keys are provider text ("sha256:…", "evt_…"): hashed, they make safe file names of one length.
    return seen_dir() . '/' . hash('sha256', $key);
}

/** Claims `$key`: true the first time, false for a retry or duplicate (also while the first is still running). */
function first_delivery(string $key): bool
{
    $path = seen_path($key);
    $file = @fopen($path, 'x');
    if ($file === false) {
        if (file_exists($path)) {
            return false;
        }
        throw new RuntimeException("cannot write to the seen-set at $path");
    }
    fwrite($file, date(DATE_ATOM) . "\n");
    fclose($file);
    return true;
}

/** Releases a claim whose processing failed, so the provider's retry is processed instead of called a duplicate. */
function forget(string $key): void
{
    @unlink(seen_path($key));
}

/** Routes an event by type, as the provider docs do. Unknown types are accepted: providers add events. */
function dispatch(Event $event): void
{
    $data = is_array($event->data) ? $event->data : [];
    $field = static fn (string $name): string => is_scalar($data[$name] ?? null) ? (string) $data[$name] : '?';
    match ($event->eventType) {
        'order.status_changed' => log_line("ELMED order {$field('order_number')} is now {$field('status')}"),
        'prescription.issued' => log_line("ELMED prescription {$field('prescription_number')} issued"),
        'order:shipped' => log_line("NovaMed order {$field('order_id')} shipped: {$field('tracking_number')}"),
        'medication_request:approved' =>
            log_line("NovaMed medication request {$field('medication_request_id')} approved"),
        default => log_line("{$event->provider} event {$event->eventType} received"),
    };
}

/** @return array{int, array<string, mixed>} */
function handle(Event $event): array
{
    if (!first_delivery($event->idempotencyKey)) {
        return [200, ['status' => 'duplicate', 'idempotency_key' => $event->idempotencyKey]];
    }
    try {
        dispatch($event);
    } catch (Throwable $e) {
        forget($event->idempotencyKey); // the answer is a 500: the provider retries, and the retry is processed
        throw $e;
    }
    return [200, [
        'status' => 'processed',
        'event_type' => $event->eventType,
        'idempotency_key' => $event->idempotencyKey,
        'is_test' => $event->isTest,
    ]];
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
try {
    $verifier = verifier_for($path, max_body_bytes());
    if ($verifier === null) {
        answer(404, ['error' => 'not_found']);
        return;
    }
    if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
        header('Allow: POST');
        answer(405, ['error' => 'method_not_allowed']);
        return;
    }
    // A declared length over the limit is refused before reading a byte; a body without one (chunked) is read up to
    // one byte past the limit, so an oversize body is refused whole, never verified from its truncated start.
    $limit = $verifier->maxBodyBytes;
    $declared = $_SERVER['CONTENT_LENGTH'] ?? '';
    if (is_string($declared) && ctype_digit($declared) && (int) $declared > $limit) {
        log_line("$path: payload_too_large: Content-Length $declared is over the limit of $limit bytes");
        answer(413, ['error' => 'payload_too_large']);
        return;
    }
    $body = file_get_contents('php://input', false, null, 0, $limit + 1);
    $event = $verifier->verify($body === false ? '' : $body, Headers::fromGlobals());
    [$status, $answer] = handle($event);
    answer($status, $answer);
} catch (HooksealException $e) {
    // The code for the sender, the reason for the log (never a secret, but a prober learns nothing more).
    log_line("$path: refused: {$e->getMessage()}");
    answer($e->httpStatus, ['error' => $e->errorCode]);
} catch (Throwable $e) {
    log_line("$path: " . get_class($e) . ': ' . $e->getMessage());
    answer(500, ['error' => 'internal_error']);
}
