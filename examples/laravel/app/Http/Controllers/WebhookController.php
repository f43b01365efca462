<?php

declare(strict_types=1);

namespace App\Http\Controllers;

use Closure;
use Hookseal\Event;
use Hookseal\Events\Elmed;
use Hookseal\Events\Novamed;
use Hookseal\Laravel\VerifyWebhook;
use Hookseal\Router;
use Illuminate\Http\Request;

/**
 * The webhooks' handlers: the routes (routes/api.php) run them behind VerifyWebhook, so a request here is a verified
 * delivery seen for the first time (the store has claimed its key). Each route is a hookseal Router, as in
 * examples/php: exactly one handler runs per delivery, chosen by the event type; `*` takes every other type
 * (providers add events). What a handler returns is the answer (an array: 200 JSON); an exception is a 500 and
 * releases the key, so that the provider's retry is processed.
 */
final class WebhookController
{
    /** @return array<string, mixed> */
    public function elmed(Request $request): array
    {
        return self::router('elmed')->dispatch(VerifyWebhook::event($request));
    }

    /** @return array<string, mixed> */
    public function novamed(Request $request): array
    {
        return self::router('novamed')->dispatch(VerifyWebhook::event($request));
    }

    private static function router(string $provider): Router
    {
        $other = self::handler(static fn (Event $e): string => "{$e->provider} event {$e->eventType} received");
        return match ($provider) {
            'elmed' => (new Router('elmed'))
                ->on(Elmed::ORDER_STATUS_CHANGED, self::handler(static fn (Event $e): string =>
                    'ELMED order ' . self::field($e, 'order_number') . ' is now ' . self::field($e, 'status')))
                ->on(Elmed::PRESCRIPTION_ISSUED, self::handler(static fn (Event $e): string =>
                    'ELMED prescription ' . self::field($e, 'prescription_number') . ' issued'))
                ->on('*', $other),
            'novamed' => (new Router('novamed'))
                ->on(Novamed::ORDER_SHIPPED, self::handler(static fn (Event $e): string =>
                    'NovaMed order ' . self::field($e, 'order_id') . ' shipped: ' . self::field($e, 'tracking_number')))
                ->on(Novamed::MEDICATION_REQUEST_APPROVED, self::handler(static fn (Event $e): string =>
                    'NovaMed medication request ' . self::field($e, 'medication_request_id') . ' approved'))
                ->on('*', $other),
        };
    }

    /**
     * Every route answers alike: it logs the key (only the key: no patient data in logs), does its work (here, one
     * log line from `$work`), and answers "processed".
     *
     * @param Closure(Event): string $work
     * @return Closure(Event): array<string, mixed>
     */
    private static function handler(Closure $work): Closure
    {
        return static function (Event $event) use ($work): array {
            self::log("processing {$event->idempotencyKey}");
            $delay = (int) (getenv('HOOKSEAL_EXAMPLE_DELAY_MS') ?: 0);
            if ($delay > 0) {
                usleep($delay * 1000); // rehearse slow work: concurrent copies, a worker killed mid-handler
            }
            self::log($work($event));
            return [
                'status' => 'processed',
                'event_type' => $event->eventType,
                'idempotency_key' => $event->idempotencyKey,
                'is_test' => $event->isTest,
            ];
        };
    }

    /** A field of the event's data for a log line, or '?' (providers add and drop fields). */
    private static function field(Event $event, string $name): string
    {
        $data = is_array($event->data) ? $event->data : [];
        return is_scalar($data[$name] ?? null) ? (string) $data[$name] : '?';
    }

    private static function log(string $message): void
    {
        error_log("webhooks: $message");
    }
}
