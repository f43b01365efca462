<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * The receiver's whole job for one delivery, in plain PHP: read the raw body, verify it, then run the handler exactly
 * once per idempotency key when a store is given (docs/exactly-once.md):
 *
 *     $store = new \Hookseal\Store(getenv('HOOKSEAL_STORE') ?: 'sqlite:///var/lib/app/hookseal.db');
 *     \Hookseal\Webhook::receive($verifier, function (\Hookseal\Event $event): array {
 *         // ... process ...
 *         return ['status' => 'processed'];
 *     }, $store)->send();
 *
 * | outcome                    | answer                                                                          |
 * |----------------------------|---------------------------------------------------------------------------------|
 * | refused delivery           | the code's status (401, 413, 400), `{"error": "<code>"}`; the handler not run   |
 * | claimed, handler returned  | the handler's answer (an array is 200 JSON), then `complete` (`release` for 5xx) |
 * | claimed, handler threw     | `release`, then the exception propagates (answer 500: the provider retries)     |
 * | duplicate                  | 200 `{"status": "duplicate", "idempotency_key": "…"}`; the handler not run       |
 * | in progress elsewhere      | 503, `Retry-After: <lease left>`, `{"error": "in_progress"}`                     |
 * | store unreachable          | 503, `Retry-After: 5`, `{"error": "store_unavailable"}`                          |
 *
 * The handler may be a \Hookseal\Router: it runs the one handler the event type selects (the table's rows hold for it;
 * a router's handler that returns null, having done its work, is answered 200 `{"status": "processed", "event_type":
 * …, "idempotency_key": …}` and completed).
 * A delivery it has no handler for is either answered 200 `{"status": "unhandled", ...}` and completed (`accept`, the
 * default), or, with `unhandled: 'reject'`, answered 501 `{"error": "unhandled_event"}` and released (logged in one
 * line, so that the retry is processed once a deploy handles it); an UnhandledEventException any handler throws is
 * answered so too. A router bound to another provider than the verifier's is a ConfigException(invalid_option) before
 * anything is read.
 *
 * `Webhook::handle($verifier, $request, …)` does the same for a Symfony or Laravel `Request` (its raw body, read within
 * the limit; \Hookseal\Symfony\AnswerResponse makes the response), and \Hookseal\Laravel\VerifyWebhook is the
 * Laravel middleware built on the same steps.
 *
 * Without a store the handler runs for every verified delivery (deduplicate yourself). The namespace defaults to the
 * verifier's provider. A `complete` that fails after the handler returned is logged (error_log) and the handler's
 * answer still goes out: the work was done, and a 5xx would make the provider send it again.
 */
final class Webhook
{
    /** Retry-After for `store_unavailable`: the store is usually back within seconds (a restart, a failover). */
    public const STORE_RETRY_AFTER = 5;

    private function __construct()
    {
    }

    /**
     * The current request (`php://input`, `$_SERVER`): a declared Content-Length over the limit is refused before a
     * byte is read; a body without one is read up to one byte past the limit, so it is refused whole.
     *
     * @param callable(Event): (array<string, mixed>|Answer) $handler
     */
    public static function receive(
        Verifier $verifier,
        callable $handler,
        ?Store $store = null,
        ?string $namespace = null,
    ): Answer {
        self::checkRouter($verifier, $handler);
        $limit = $verifier->maxBodyBytes;
        $request = self::requestLine();
        $declared = $_SERVER['CONTENT_LENGTH'] ?? '';
        if (is_string($declared) && ctype_digit($declared) && (int) $declared > $limit) {
            return self::refused($verifier, $request, new VerificationException(
                'payload_too_large',
                "Content-Length $declared is over the limit of $limit bytes",
            ));
        }
        $body = file_get_contents('php://input', false, null, 0, $limit + 1);
        return self::run($verifier, $body === false ? '' : $body, Headers::fromGlobals(), $handler, $store, $namespace,
            $request);
    }

    /**
     * One delivery given as its raw body and headers (tests, queues, frameworks).
     *
     * @param array<array-key, mixed>|Headers $headers
     * @param callable(Event): (array<string, mixed>|Answer) $handler
     */
    public static function process(
        Verifier $verifier,
        string $body,
        #[\SensitiveParameter] array|Headers $headers,
        callable $handler,
        ?Store $store = null,
        ?string $namespace = null,
    ): Answer {
        self::checkRouter($verifier, $handler);
        return self::run($verifier, $body, $headers, $handler, $store, $namespace, null);
    }

    /**
     * One delivery carried by a Symfony `Request` (Laravel's `Illuminate\Http\Request` is one), as `receive()` handles
     * the current request: the raw body read by `Verifier::verifyRequest()`'s rules (a declared Content-Length over
     * the limit refused unread, an unread body read at most one byte past it), the headers as sent, the same answers
     * and log lines. Turn the Answer into the framework's response with `\Hookseal\Symfony\AnswerResponse::from()`.
     * symfony/http-foundation is not a dependency: `$request` is checked at run time.
     *
     * @param \Symfony\Component\HttpFoundation\Request $request the Request itself, never its parsed input
     * @param callable(Event): (array<string, mixed>|Answer) $handler
     * @throws \TypeError anything but a Request (an array such as `$request->all()` is explained)
     * @throws \LogicException the bytes sent are gone (see Verifier::verifyRequest)
     */
    public static function handle(
        Verifier $verifier,
        mixed $request,
        callable $handler,
        ?Store $store = null,
        ?string $namespace = null,
    ): Answer {
        self::checkRouter($verifier, $handler);
        $request = Symfony\RawBody::request($request, 'Webhook::handle()');
        $line = Symfony\RawBody::requestLine($request);
        try {
            $body = Symfony\RawBody::read($request, $verifier->maxBodyBytes);
        } catch (VerificationException $e) {
            return self::refused($verifier, $line, $e);
        }
        return self::run($verifier, $body, Headers::fromRequest($request), $handler, $store, $namespace, $line);
    }

    /**
     * @param array<array-key, mixed>|Headers $headers
     * @param callable(Event): (array<string, mixed>|Answer) $handler
     * @param ?string $request `POST /webhooks/elmed` for the log, when there is a request
     */
    private static function run(
        Verifier $verifier,
        string $body,
        #[\SensitiveParameter] array|Headers $headers,
        callable $handler,
        ?Store $store,
        ?string $namespace,
        ?string $request,
    ): Answer {
        try {
            $event = $verifier->verify($body, $headers);
        } catch (VerificationException $e) {
            return self::refused($verifier, $request, $e);
        }
        return self::once($verifier, $event, static fn (Event $event): Answer => self::answer($handler($event)),
            static fn (Answer $answer): ?string => $answer->status >= 500 ? "answered {$answer->status}" : null,
            $store, $namespace, $request);
    }

    /**
     * The table above for a verified event, whatever the handler returns: the framework helpers' shared part (the
     * Laravel middleware's handler returns the route's response). Returns the handler's result, or the Answer for a
     * duplicate, a copy in progress, a store that cannot be reached or an unhandled event.
     *
     * @internal
     * @template R
     * @param callable(Event): R $handler
     * @param callable(R): ?string $failureOf why what the handler returned is a failure, for the log ("answered 503",
     *     "raised …"): the claim is released; null: a success, completed
     * @return R|Answer
     */
    public static function once(
        Verifier $verifier,
        Event $event,
        callable $handler,
        callable $failureOf,
        ?Store $store,
        ?string $namespace,
        ?string $request,
    ): mixed {
        if ($store === null) {
            try {
                return $handler($event);
            } catch (UnhandledEventException $e) {
                return self::unhandled($e);
            }
        }
        try {
            $claim = $store->claim($namespace ?? $verifier->provider, $event->idempotencyKey);
        } catch (StoreException $e) {
            error_log('hookseal: ' . self::refusalLine($verifier->provider, $request, $e));
            return new Answer(503, ['error' => $e->errorCode], ['Retry-After' => (string) self::STORE_RETRY_AFTER]);
        }
        if ($claim->status === Claim::DUPLICATE) {
            return new Answer(200, ['status' => 'duplicate', 'idempotency_key' => $event->idempotencyKey]);
        }
        if ($claim->status === Claim::IN_PROGRESS) {
            return new Answer(503, ['error' => 'in_progress'], ['Retry-After' => (string) $claim->retryAfter]);
        }
        try {
            $answer = $handler($event);
            $failure = $failureOf($answer);
        } catch (\Throwable $e) {
            try {
                $store->release($claim);
            } catch (StoreException $released) {
                error_log("hookseal: releasing a failed claim: {$released->getMessage()} (its lease runs out)");
            }
            if ($e instanceof UnhandledEventException) {
                return self::unhandled($e);
            }
            throw $e;
        }
        // A handler's own 5xx releases the key, like a throw: the provider retries a 5xx, and the retry must run.
        $done = $failure === null;
        try {
            if (!($done ? $store->complete($claim) : $store->release($claim))) {
                error_log("hookseal: a {$claim->namespace} claim was no longer held when it was settled (its lease ran "
                    . 'out): the event may be processed again');
            }
        } catch (StoreException $e) {
            error_log($done
                ? "hookseal: the handler ran but its key could not be marked done: {$e->getMessage()}"
                : "hookseal: releasing a claim the handler {$failure}: {$e->getMessage()}");
        }
        return $answer;
    }

    /**
     * A refused delivery's answer and its log line, for the framework helpers.
     *
     * @internal
     */
    public static function refusal(Verifier $verifier, ?string $request, VerificationException $e): Answer
    {
        return self::refused($verifier, $request, $e);
    }

    /** A mis-wired route (a router for novamed behind the elmed verifier) fails before any delivery is read. */
    private static function checkRouter(Verifier $verifier, callable $handler): void
    {
        if ($handler instanceof Router && $handler->provider !== null && $handler->provider !== $verifier->provider) {
            throw new ConfigException('invalid_option', "a router for {$handler->provider} was given a "
                . "{$verifier->provider} verifier");
        }
    }

    /** A router's `reject`: 501, so that every provider retries (the claim is released), and one log line. */
    private static function unhandled(UnhandledEventException $e): Answer
    {
        error_log('hookseal: no handler for the delivery '
            . Router::deliveryLine($e->provider, $e->eventType, $e->idempotencyKey)
            . ": refused {$e->httpStatus} {$e->errorCode}");
        return new Answer($e->httpStatus, ['error' => $e->errorCode]);
    }

    private static function refused(Verifier $verifier, ?string $request, VerificationException $e): Answer
    {
        // The code for the sender, the reason for the log, one line worded as every hookseal helper words it (never a
        // secret; a prober learns nothing more).
        error_log('hookseal: ' . self::refusalLine($verifier->provider, $request, $e));
        return new Answer($e->httpStatus, ['error' => $e->errorCode]);
    }

    /**
     * `refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: <why>` (without the request when
     * there is none), the log line of every hookseal helper: for an app that logs refusals it answers itself.
     */
    public static function refusalLine(string $provider, ?string $request, HooksealException $e): string
    {
        $from = $request === null ? $provider : "$provider ($request)";
        return "refused a delivery from $from: {$e->getMessage()}";
    }

    /** `POST /webhooks/elmed`: the method and the path of the current request, without the query string. */
    private static function requestLine(): ?string
    {
        $method = $_SERVER['REQUEST_METHOD'] ?? null;
        $uri = $_SERVER['REQUEST_URI'] ?? null;
        if (!is_string($method) || !is_string($uri)) {
            return null;
        }
        return "$method " . explode('?', $uri, 2)[0];
    }

    /** @param mixed $returned */
    private static function answer(mixed $returned): Answer
    {
        if ($returned instanceof Answer) {
            return $returned;
        }
        if (is_array($returned)) {
            return new Answer(200, $returned);
        }
        throw new \TypeError('a webhook handler returns an array (answered 200 as JSON) or a \Hookseal\Answer, not '
            . get_debug_type($returned));
    }
}
