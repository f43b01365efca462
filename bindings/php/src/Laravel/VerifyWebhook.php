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
use Illuminate\Routing\Router as LaravelRouter;

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
 * `{"error": "store_unavailable"}` with `Retry-After: 5`. The claim is completed when the controller answered below
 * 500 and released otherwise; an exception is a failure whatever status Laravel renders it with (abort(404),
 * findOrFail()'s 404, a ValidationException's 422, an AuthorizationException's 403: that answer goes out, and the
 * provider's retry runs the controller again). A Router's UnhandledEventException (`unhandled: 'reject'`) is
 * answered 501 `{"error": "unhandled_event"}` and released, as `Webhook` answers it. Put `hookseal:<name>` last in
 * the route's middleware: a middleware after it (throttle, auth) may answer without running the controller, so then
 * the claim is completed only when the controller read the event through `VerifyWebhook::event()` (given the request
 * or the controller's FormRequest, Laravel's copy of it), and released (with a log line saying so) when it did not.
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

    /**
     * The events event() handed out: the sign that the controller ran (see handle()). Keyed by the Event, not a flag
     * on the request: a controller's FormRequest is a copy of the request (FormRequest::createFrom() copies the
     * attributes bag by value), and a flag set on the copy would never reach the middleware's request, while the
     * Event object is the same in both. Weak: an entry goes with its event.
     *
     * @var \WeakMap<Event, true>|null
     */
    private static ?\WeakMap $read = null;

    public function __construct(private readonly Repository $config, private readonly ?LaravelRouter $router = null)
    {
    }

    /**
     * The event this middleware verified for `$request`. Reading it through here also tells the middleware that the
     * controller ran, which it needs when other middleware follow it on the route (see handle()).
     */
    public static function event(object $request): Event
    {
        $event = $request->attributes->get(self::ATTRIBUTE);
        if (!$event instanceof Event) {
            throw new \LogicException('hookseal: this request has no verified event: the route needs the middleware, '
                . "->middleware(\\Hookseal\\Laravel\\VerifyWebhook::class . ':<name>')");
        }
        self::$read ??= new \WeakMap();
        self::$read[$event] = true;
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
            // Laravel renders an exception into a response before the middleware sees it, and keeps it on the
            // response: a Router's reject is answered 501, as Webhook answers it.
            if (($response->exception ?? null) instanceof UnhandledEventException) {
                throw $response->exception;
            }
            return $response;
        }, function (mixed $response) use ($request, $line, $name, $event): ?string {
            $read = self::$read !== null && isset(self::$read[$event]);
            if ($read) {
                unset(self::$read[$event]);
            }
            $status = $response->getStatusCode();
            $thrown = $response->exception ?? null;
            if ($thrown instanceof \Throwable) {
                // Whatever status Laravel rendered: abort(404), findOrFail()'s ModelNotFoundException (404), a
                // ValidationException (422) or an AuthorizationException (403) is a handler that failed, and the
                // provider's retry must run it again. The rendered answer still goes out.
                return 'raised ' . get_class($thrown) . " (answered $status)";
            }
            // A middleware after this one (throttle, auth) may answer without running the controller: the delivery
            // is not done. The controller's call to event() is the sign that it ran; with nothing after this
            // middleware, $next was the controller.
            if (!$read && ($after = $this->after($request, $name)) !== []) {
                $who = $after === null ? 'the rest of the route' : implode(', ', $after);
                error_log("hookseal: the controller of $line did not read VerifyWebhook::event() behind "
                    . "hookseal:$name ($who after it; answered $status): the claim on {$event->idempotencyKey} is "
                    . "released, as for a delivery not processed. Put 'hookseal:$name' last in the route's middleware, "
                    . 'or read the event with VerifyWebhook::event($request)');
                return "did not run the controller (answered $status)";
            }
            return $status >= 500 ? "answered $status" : null;
        }, $store, $namespace, $line);
        return $result instanceof Answer ? AnswerResponse::from($result) : $result;
    }

    /**
     * The middleware that run after this one on the request's route, in the order Laravel runs them (the route's,
     * its group's and its controller's, sorted by priority: Router::gatherRouteMiddleware(), the list Laravel's
     * pipeline is built from); null when that cannot be known (no route, no router, this middleware not found in it).
     *
     * @return list<string>|null
     */
    private function after(object $request, string $name): ?array
    {
        $route = method_exists($request, 'route') ? $request->route() : null;
        if ($this->router === null || !is_object($route)) {
            return null;
        }
        $stack = array_values($this->router->gatherRouteMiddleware($route));
        $mine = null;
        foreach ($stack as $index => $middleware) {
            if (is_string($middleware)) {
                [$class, $parameters] = array_pad(explode(':', $middleware, 2), 2, '');
                if (ltrim($class, '\\') === self::class && explode(',', $parameters)[0] === $name) {
                    $mine = $index;
                }
            }
        }
        if ($mine === null) {
            return null;
        }
        return array_map(static fn (mixed $m): string => is_string($m) ? $m : get_debug_type($m),
            array_slice($stack, $mine + 1));
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
