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

    /** `hookseal_key_source`'s numbers (bindings/c/include/hookseal.h) as the contract's strings. */
    private const KEY_SOURCES = ['event_id', 'request_id', 'webhook_id', 'body_sha256'];

    /**
     * The event from the C ABI's `hookseal_event_fields`, as `hookseal_verify_fields` wrote it for `$body`: its text
     * fields cut from one copied string, `data` decoded from the body itself (the JSON text there, which the core
     * validated), so the payload is parsed once, by json_decode (bigints as strings, as the class comment says).
     *
     * @internal
     */
    public static function fromFields(string $provider, string $body, \FFI\CData $fields): self
    {
        $text = \FFI::string($fields->text, $fields->text_len);
        $n = $fields->event_type_len;
        $eventType = $n < 0 ? null : substr($text, 0, $n);
        $at = $n < 0 ? 0 : $n;
        $n = $fields->idempotency_key_len;
        $key = substr($text, $at, $n);
        $at += $n;
        $n = $fields->timestamp_len;
        $timestamp = $n < 0 ? null : substr($text, $at, $n);
        $at += $n < 0 ? 0 : $n;
        $n = $fields->clinic_id_len;
        $clinicId = $n < 0 ? null : substr($text, $at, $n);
        $at += $n < 0 ? 0 : $n;
        $n = $fields->metadata_len;
        $metadata = $n < 0 ? null
            : json_decode(substr($text, $at, $n), true, self::JSON_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        // substr of the whole body is the body itself, not a copy.
        $data = substr($fields->data_in_body ? $body : $text, $fields->data_offset, $fields->data_len);
        return new self(
            $provider,
            $eventType,
            $key,
            self::KEY_SOURCES[$fields->idempotency_key_source],
            $timestamp,
            json_decode($data, true, self::JSON_DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING),
            $fields->is_test,
            $fields->is_retry,
            $metadata,
            $clinicId,
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
