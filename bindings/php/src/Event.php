<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * A verified delivery (docs/providers.md, "The verified event"): the contract's ten fields as camelCase
 * properties; `toArray()` gives them under the contract's snake_case names.
 *
 * `data` and `metadata` are the JSON values as `json_decode($json, true)` gives them, keys exactly as the provider
 * sent them: objects are associative arrays, integers stay `int` (one past PHP_INT_MAX becomes a numeric string,
 * never a rounded float), a number with a fraction or exponent is a `float` (`850.00` is `850.0`). PHP cannot tell
 * `{}` from `[]` in an array: both are `[]`.
 */
final class Event
{
    /** Depth for json_decode: the core accepts values nested about 200 containers deep, the event adds one level. */
    private const JSON_DEPTH = 512;

    /**
     * @param mixed $data the envelope's `data` field when present (even null), else the whole body
     * @param array<array-key, mixed>|null $metadata Baremeds' `metadata` (`webhook_key` shown as "[redacted]")
     */
    public function __construct(
        /** `elmed`, `baremeds`, `novamed`, `standard-webhooks` or `custom`. */
        public readonly string $provider,
        /** The event type; null only for a Standard Webhooks delivery whose body has no `type`. */
        public readonly ?string $eventType,
        /** Recognises a retry of the same event: process each key once. */
        public readonly string $idempotencyKey,
        /** Where the key came from: `event_id`, `request_id`, `webhook_id` or `body_sha256`. */
        public readonly string $idempotencyKeySource,
        /** The envelope's timestamp, as sent (a number is kept as its JSON text), or null. */
        public readonly ?string $timestamp,
        public readonly mixed $data,
        /** `X-Webhook-Test: true` was sent (not authenticated: route with it, never decide security with it). */
        public readonly bool $isTest,
        /** Baremeds `metadata.retry`; false for every other provider. */
        public readonly bool $isRetry,
        public readonly ?array $metadata,
        /** NovaMed's `clinic_id`, or null. */
        public readonly ?string $clinicId,
    ) {
    }

    /**
     * The event from the C ABI's JSON text (snake_case fields).
     *
     * @internal
     */
    public static function fromJson(string $json): self
    {
        $fields = json_decode($json, true, self::JSON_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        return new self(
            $fields['provider'],
            $fields['event_type'],
            $fields['idempotency_key'],
            $fields['idempotency_key_source'],
            $fields['timestamp'],
            $fields['data'],
            $fields['is_test'],
            $fields['is_retry'],
            $fields['metadata'],
            $fields['clinic_id'],
        );
    }

    /**
     * The ten fields under the contract's snake_case names (`event_type`, `idempotency_key`, …), as Python and the
     * CLI name them: ready for json_encode, a queue or a database row.
     *
     * @return array{provider: string, event_type: ?string, idempotency_key: string, idempotency_key_source: string,
     *               timestamp: ?string, data: mixed, is_test: bool, is_retry: bool, metadata: ?array,
     *               clinic_id: ?string}
     */
    public function toArray(): array
    {
        return [
            'provider' => $this->provider,
            'event_type' => $this->eventType,
            'idempotency_key' => $this->idempotencyKey,
            'idempotency_key_source' => $this->idempotencyKeySource,
            'timestamp' => $this->timestamp,
            'data' => $this->data,
            'is_test' => $this->isTest,
            'is_retry' => $this->isRetry,
            'metadata' => $this->metadata,
            'clinic_id' => $this->clinicId,
        ];
    }
}
