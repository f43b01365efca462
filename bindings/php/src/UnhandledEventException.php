<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * A Router built with `unhandled: 'reject'` has no handler for this delivery's event type (docs/api.md, "The
 * router"). `Webhook::receive`/`process` answer it 501 `{"error": "unhandled_event"}` and release the claim: every
 * provider retries a 5xx, so a deploy that adds the handler processes the retry.
 *
 * Its `errorCode` is `unhandled_event`, the router's own code (not one of the core's verification or configuration
 * codes: the delivery was genuine and the configuration valid), and its `httpStatus` is 501.
 */
final class UnhandledEventException extends HooksealException
{
    public const CODE = 'unhandled_event';

    /**
     * @param ?string $eventType the event type no pattern matched (null: a Standard Webhooks body without `type`)
     */
    public function __construct(
        /** The preset of the delivery (`Event::$provider`). */
        public readonly string $provider,
        public readonly ?string $eventType,
        /** The delivery's idempotency key (`Event::$idempotencyKey`), for the log line. */
        public readonly string $idempotencyKey,
    ) {
        parent::__construct(self::CODE, 'no handler for the delivery ' . Router::deliveryLine($provider, $eventType,
            $idempotencyKey));
    }

    protected static function statusOf(string $errorCode): int
    {
        return 501;
    }
}
