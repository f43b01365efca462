<?php

declare(strict_types=1);

namespace Hookseal\Laravel;

use Closure;
use Hookseal\Answer;
use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\Headers;
use Hookseal\Store;
use Hookseal\Symfony\AnswerResponse;
use Hookseal\Symfony\RawBody;
use Hookseal\UnhandledEventException;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use Hookseal\Webhook;
use Illuminate\Contracts\Config\Repository;

/**
 * Laravel (8, as Debian 12 ships it; the Symfony HttpFoundation 5.4 underneath): a route middleware that verifies a
 * webhook before the controller runs.
 *
 *     // config/hookseal.php
 *     return [
 *         'store' => env('HOOKSEAL_STORE'),   // sqlite:///…/hookseal.db or redis://host:6379/0; null: no dedupe
 *         'webhooks' => [
 *             'elmed' => ['options' => ['secret' => env('ELMED_WEBHOOK_SECRET')]],
 *         ],
 *     ];
 *
 *     // routes/api.php
 *     Route::post('/webhooks/elmed', [WebhookController::class, 'elmed'])
 *         ->middleware(\Hookseal\Laravel\VerifyWebhook::class . ':elmed');
 *
 *     // the controller: the verified event, and a Router as the handler if you like
 *     public function elmed(Request $request) { return $this->router->dispatch(VerifyWebhook::event($request)); }
 *
 * The parameter names an entry of `hookseal.webhooks`: `provider` (default: the entry's name), `options` (the
 * Verifier's: `secret` or `secrets`, `clinic_id`, `max_body_bytes`, …), `store` (a store URL overriding
 * `hookseal.store`; false for none) and `namespace` (default: the provider). The configuration is read per request
 * and the Verifier built from it (microseconds; the native library and the store's connections stay in the worker),
 * so secrets come from `env()` in the config file and `php artisan config:cache` keeps working.
 *
 * What the route gets (every hookseal helper answers so): a refused delivery never reaches the controller and is
 * answered `{"error": "<code>"}` with 401, 413 or 400, and one log line (`hookseal: refused a delivery from elmed
 * (POST /webhooks/elmed): signature_mismatch: …`, error_log). A verified one is on the request
 * (`$request->attributes->get('hookseal.event')`, or `VerifyWebhook::event($request)`). With a store, its key is
 * claimed before the controller runs: a duplicate is answered 200 `{"status": "duplicate", "idempotency_key": …}`, a
 * copy in progress elsewhere 503 `{"error": "in_progress"}` with Retry-After, a store down 503
 * `{"error": "store_unavailable"}` with `Retry-After: 5`; the claim is completed when the controller's response is
 * below 500 and released otherwise (an exception Laravel rendered is a 500). A Router's UnhandledEventException
 * (`unhandled: 'reject'`) is answered 501 `{"error": "unhandled_event"}` and released, as `Webhook` answers it.
 *
 * The raw body: the middleware reads `$request`'s own bytes (RawBody): Laravel keeps them when it parses JSON, so
 * `$request->all()`, TrimStrings and ConvertEmptyStringsToNull before it change nothing here. What breaks a signature
 * is verifying anything rebuilt from the parsed input (`json_encode($request->all())`): the helpers refuse such an
 * array with an explanatory \TypeError, and a body that is gone (a multipart body PHP parsed, a body over
 * post_max_size, a content a middleware replaced) with a \LogicException: a 500, never a 401 `signature_mismatch`.
 * Size: a declared Content-Length over `max_body_bytes` is refused before anything is hashed; Laravel's
 * `Request::capture()` has read a JSON body whole before any middleware runs, so keep the web server's own limit
 * (post_max_size, nginx's client_max_body_size) for memory.
 */
final class VerifyWebhook
{
    /** The request attribute that holds the verified Event. */
    public const ATTRIBUTE = 'hookseal.event';

    public function __construct(private readonly Repository $config)
    {
    }

    /** The event this middleware verified for `$request`. */
    public static function event(object $request): Event
    {
        $event = $request->attributes->get(self::ATTRIBUTE);
        if (!$event instanceof Event) {
            throw new \LogicException('hookseal: this request has no verified event: the route needs the middleware, '
                . "->middleware(\\Hookseal\\Laravel\\VerifyWebhook::class . ':<name>')");
        }
        return $event;
    }

    /**
     * @param \Illuminate\Http\Request $request
     * @param Closure(\Illuminate\Http\Request): \Symfony\Component\HttpFoundation\Response $next
     * @return \Symfony\Component\HttpFoundation\Response
     */
    public function handle(mixed $request, Closure $next, ?string $name = null): mixed
    {
        if ($name === null || $name === '') {
            throw new \LogicException('hookseal: VerifyWebhook needs the name of a webhook of config/hookseal.php: '
                . "->middleware(VerifyWebhook::class . ':elmed')");
        }
        $request = RawBody::request($request, 'VerifyWebhook');
        [$verifier, $store, $namespace] = $this->configured($name);
        $line = RawBody::requestLine($request);
        try {
            $event = $verifier->verify(RawBody::read($request, $verifier->maxBodyBytes), Headers::fromRequest($request));
        } catch (VerificationException $e) {
            return AnswerResponse::from(Webhook::refusal($verifier, $line, $e));
        }
        $result = Webhook::once($verifier, $event, static function (Event $event) use ($request, $next): mixed {
            $request->attributes->set(self::ATTRIBUTE, $event);
            $response = $next($request);
            // Laravel renders a controller's exception into a 500 before the middleware sees it, and keeps it on the
            // response: a Router's reject is answered 501, as Webhook answers it.
            if (($response->exception ?? null) instanceof UnhandledEventException) {
                throw $response->exception;
            }
            return $response;
        }, static fn (mixed $response): int => $response->getStatusCode(), $store, $namespace, $line);
        return $result instanceof Answer ? AnswerResponse::from($result) : $result;
    }

    /** @return array{Verifier, ?Store, ?string} */
    private function configured(string $name): array
    {
        $entry = $this->config->get("hookseal.webhooks.$name");
        if (!is_array($entry)) {
            throw new ConfigException('invalid_option', "no webhook named '$name' in config/hookseal.php "
                . "(hookseal.webhooks.$name)");
        }
        $options = $entry['options'] ?? [];
        if (!is_array($options)) {
            throw new ConfigException('invalid_option', "hookseal.webhooks.$name.options is an array of the "
                . "Verifier's options");
        }
        $verifier = new Verifier((string) ($entry['provider'] ?? $name), $options);
        $url = array_key_exists('store', $entry) ? $entry['store'] : $this->config->get('hookseal.store');
        if ($url !== null && $url !== false && $url !== '' && !is_string($url)) {
            throw new ConfigException('invalid_option', "hookseal.webhooks.$name.store is a store URL or false");
        }
        $namespace = $entry['namespace'] ?? null;
        return [$verifier, is_string($url) && $url !== '' ? new Store($url) : null,
            is_string($namespace) ? $namespace : null];
    }
}
