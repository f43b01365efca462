<?php

declare(strict_types=1);

namespace Hookseal;

use Hookseal\Events\Catalog;

/**
 * Runs one handler per delivery, chosen by its event type (docs/api.md, "The router": the same rule in every
 * language, pinned by tests/vectors/router/routes.json):
 *
 *     $router = (new \Hookseal\Router('elmed'))
 *         ->on(\Hookseal\Events\Elmed::ORDER_STATUS_CHANGED, function (\Hookseal\Event $event): array {
 *             $data = \Hookseal\Events\Elmed::orderStatusChangedData($event); // typed: OrderStatusChangedData
 *             return ['status' => 'processed'];
 *         })
 *         ->on(['prescription.issued', 'prescription.dispensed'], $prescriptions)
 *         ->on('*', $everythingElse);
 *     \Hookseal\Webhook::receive($verifier, $router, $store)->send();
 *
 * A pattern is an exact event type, `prefix*` (every type that starts with prefix) or `*` (every delivery, one without
 * a type too). Exactly one handler runs: the exact match, else the longest matching prefix, else `*`, else the
 * delivery is unhandled: `accept` (the default) answers `{"status": "unhandled", "event_type": …, "idempotency_key":
 * …}` (200, the claim completed: providers add events, and an event nobody handles is still delivered) and logs one
 * line; `reject` throws an UnhandledEventException (501, the claim released, so the retry runs once a deploy handles
 * it). One and not all: exactly-once is per delivery, and if a second handler failed, the retry would run the first
 * again.
 *
 * A router is a handler itself (`__invoke`): pass it wherever Webhook takes one. A handler receives the Event and
 * returns what a Webhook handler returns (an array or an Answer); `dispatch` returns it as is, except null (a handler
 * that did its work and returns nothing, `: void`): that is answered `{"status": "processed", "event_type": …,
 * "idempotency_key": …}` (200, the claim completed), as in every language.
 */
final class Router
{
    /** The presets a router may be bound to (the core's, as Verifier takes them). */
    private const PRESETS = ['elmed', 'baremeds', 'novamed', 'standard-webhooks', 'custom'];

    /**
     * Warnings already logged by this process, `provider\0pattern` => true: once per worker, not once per request.
     *
     * @var array<string, true>
     */
    private static array $warned = [];

    /** The preset whose deliveries this router takes (null: any). */
    public readonly ?string $provider;

    /** `accept` or `reject`: what a delivery no pattern matches gets. */
    public readonly string $unhandled;

    /** @var array<string, callable(Event): mixed> exact event type => handler */
    private array $exact = [];

    /** @var array<string, callable(Event): mixed> prefix (without its `*`) => handler */
    private array $prefixes = [];

    /** @var (callable(Event): mixed)|null */
    private $catchAll = null;

    /** @var list<string> */
    private array $patterns = [];

    /**
     * @param ?string $provider a preset (`elmed`, …): the router then refuses another provider's event, and warns
     *                          (error_log, once) about an exact pattern that preset's catalog does not name
     * @param 'accept'|'reject' $unhandled
     * @throws ConfigException unknown_provider, invalid_option (an unknown `unhandled`)
     */
    public function __construct(?string $provider = null, string $unhandled = 'accept')
    {
        if ($provider !== null && !in_array($provider, self::PRESETS, true)) {
            throw new ConfigException('unknown_provider', sprintf("a router's provider is one of %s, not %s",
                implode(', ', self::PRESETS), var_export($provider, true)));
        }
        if ($unhandled !== 'accept' && $unhandled !== 'reject') {
            throw new ConfigException('invalid_option', sprintf("a router's unhandled is 'accept' or 'reject', not %s",
                var_export($unhandled, true)));
        }
        $this->provider = $provider;
        $this->unhandled = $unhandled;
    }

    /**
     * Registers `$handler` for a pattern, or for each pattern of a non-empty list.
     *
     * Both are checked here rather than by PHP's parameter types, so that a wrong one is the ConfigException every
     * language throws (not a TypeError, and not `5` coerced to `'5'` without strict_types).
     *
     * @param string|list<string> $patterns an exact event type, `prefix*` or `*`
     * @param callable(Event): mixed $handler
     * @return $this
     * @throws ConfigException invalid_option, naming the pattern: empty, a `*` before the end, not a string, an empty
     *                         list, or one already registered; or a handler that is not callable (nothing of this
     *                         call is registered then)
     */
    public function on(mixed $patterns, mixed $handler): static
    {
        if (!is_string($patterns) && !is_array($patterns)) {
            throw new ConfigException('invalid_option', 'on() takes a pattern (a string) or a list of them, not '
                . get_debug_type($patterns));
        }
        $list = is_array($patterns) ? $patterns : [$patterns];
        if ($list === []) {
            throw new ConfigException('invalid_option', 'on() was given an empty list of patterns');
        }
        if (!array_is_list($list)) {
            throw new ConfigException('invalid_option', 'on() takes a list of patterns, not an array with keys');
        }
        $new = [];
        foreach ($list as $pattern) {
            self::check($pattern);
            if (in_array($pattern, $this->patterns, true) || isset($new[$pattern])) {
                throw new ConfigException('invalid_option', sprintf('the pattern %s already has a handler',
                    var_export($pattern, true)));
            }
            $new[$pattern] = true;
        }
        if (!is_callable($handler)) {
            throw new ConfigException('invalid_option', sprintf('the handler for %s is not callable: %s',
                var_export($list[0], true), get_debug_type($handler)));
        }
        foreach (array_keys($new) as $pattern) {
            $pattern = (string) $pattern; // an array key: '123' came back as 123
            if ($pattern === '*') {
                $this->catchAll = $handler;
            } elseif (str_ends_with($pattern, '*')) {
                $this->prefixes[substr($pattern, 0, -1)] = $handler;
            } else {
                $this->exact[$pattern] = $handler;
                $this->warnIfUndocumented($pattern);
            }
            $this->patterns[] = $pattern;
        }
        return $this;
    }

    /**
     * Runs the one handler the event's type selects and returns what it returns (null: the processed answer,
     * `['status' => 'processed', 'event_type' => …, 'idempotency_key' => …]`); unhandled: the accept answer, or an
     * UnhandledEventException.
     *
     * @throws ConfigException invalid_option: a router bound to one provider was given another's event
     * @throws UnhandledEventException no pattern matches and the router rejects unhandled events
     */
    public function dispatch(Event $event): mixed
    {
        if ($this->provider !== null && $event->provider !== $this->provider) {
            throw new ConfigException('invalid_option', "a router for {$this->provider} was given a "
                . "{$event->provider} event");
        }
        $handler = $this->handlerFor($event->eventType);
        if ($handler !== null) {
            // A handler that returns nothing did its work: answered (and completed) as processed, not a TypeError
            // after the work, which would release the claim and make the retry run the handler again.
            return $handler($event) ?? ['status' => 'processed', 'event_type' => $event->eventType,
                'idempotency_key' => $event->idempotencyKey];
        }
        if ($this->unhandled === 'reject') {
            throw new UnhandledEventException($event->provider, $event->eventType, $event->idempotencyKey);
        }
        // The type and the key only, never data.
        error_log('hookseal: no handler for the delivery '
            . self::deliveryLine($event->provider, $event->eventType, $event->idempotencyKey) . ': accepted');
        return ['status' => 'unhandled', 'event_type' => $event->eventType,
            'idempotency_key' => $event->idempotencyKey];
    }

    /** A router is a handler: `Webhook::receive($verifier, $router, $store)`. */
    public function __invoke(Event $event): mixed
    {
        return $this->dispatch($event);
    }

    /**
     * The patterns, in registration order.
     *
     * @return list<string>
     */
    public function patterns(): array
    {
        return $this->patterns;
    }

    /** @return array{provider: ?string, unhandled: string, patterns: list<string>} */
    public function __debugInfo(): array
    {
        return ['provider' => $this->provider, 'unhandled' => $this->unhandled, 'patterns' => $this->patterns];
    }

    /**
     * `<key> from <provider> (<event type>)`, the type `null` when there is none: the log lines' words.
     *
     * @internal
     */
    public static function deliveryLine(string $provider, ?string $eventType, string $idempotencyKey): string
    {
        return "$idempotencyKey from $provider (" . ($eventType ?? 'null') . ')';
    }

    /** @return (callable(Event): mixed)|null */
    private function handlerFor(?string $eventType): ?callable
    {
        if ($eventType === null) {
            return $this->catchAll;
        }
        if (isset($this->exact[$eventType])) {
            return $this->exact[$eventType];
        }
        $best = null;
        $length = -1;
        foreach ($this->prefixes as $prefix => $handler) {
            $prefix = (string) $prefix;
            if (strlen($prefix) > $length && str_starts_with($eventType, $prefix)) {
                $best = $handler;
                $length = strlen($prefix);
            }
        }
        return $best ?? $this->catchAll;
    }

    private static function check(mixed $pattern): void
    {
        if (!is_string($pattern)) {
            throw new ConfigException('invalid_option', 'a pattern is a string, not ' . get_debug_type($pattern));
        }
        if ($pattern === '') {
            throw new ConfigException('invalid_option', "the pattern '' is empty");
        }
        $star = strpos($pattern, '*');
        if ($star !== false && $star !== strlen($pattern) - 1) {
            throw new ConfigException('invalid_option', sprintf('the pattern %s has a * before its end (a pattern is '
                . "an event type, 'prefix*' or '*')", var_export($pattern, true)));
        }
    }

    /**
     * Providers add events, so an exact pattern the catalog does not name is allowed; a typo is likelier, so it is said
     * once: `hookseal: elmed documents no event 'order.status_change'; did you mean 'order.status_changed'?`.
     * error_log and not trigger_error(E_USER_NOTICE): a notice becomes an exception under the error handlers most
     * frameworks (and PHPUnit) install, which would make a route for a new event fail at start-up.
     */
    private function warnIfUndocumented(string $pattern): void
    {
        if ($this->provider === null || !isset(Catalog::EVENTS[$this->provider])) {
            return;
        }
        $documented = Catalog::EVENTS[$this->provider];
        if (in_array($pattern, $documented, true) || isset(self::$warned["{$this->provider}\0$pattern"])) {
            return;
        }
        self::$warned["{$this->provider}\0$pattern"] = true;
        $suggestion = null;
        $closest = 4; // edit distance at most 3
        foreach ($documented as $type) {
            $distance = levenshtein($pattern, $type);
            if ($distance < $closest) {
                $suggestion = $type;
                $closest = $distance;
            }
        }
        error_log("hookseal: {$this->provider} documents no event " . var_export($pattern, true)
            . ($suggestion === null ? '' : '; did you mean ' . var_export($suggestion, true) . '?'));
    }
}
