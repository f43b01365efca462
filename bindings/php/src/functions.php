<?php

declare(strict_types=1);

namespace Hookseal;

// Loaded by Composer ("files") and by bindings/php/autoload.php; under opcache preloading (preload.php) the functions
// are already declared when either runs, hence the guards.
if (!function_exists(__NAMESPACE__ . '\sign')) {
    /**
     * The headers a real delivery of `$body` from `$provider` carries (`Content-Type` and the signature or key
     * headers; ELMED adds `X-ELMED-Event`), signed with the first secret: for tests, demos and local replays.
     *
     * `$options` are the verifier's (`['secret' => '…']`) plus, for Standard Webhooks, `now` (Unix seconds, default:
     * the clock) and `webhook_id` (default: derived from the timestamp and the body, so signing is deterministic).
     *
     * @param array<string, mixed> $options
     * @return array<string, string> name => value
     * @throws ConfigException
     */
    function sign(string $provider, string $body, #[\SensitiveParameter] array $options = []): array
    {
        Ffi::checkProvider($provider);
        $json = Ffi::optionsJson($options);
        $ffi = Ffi::get();
        $out = $ffi->new('hookseal_bytes*');
        $status = $ffi->hookseal_sign($provider, $body, strlen($body), $json, \FFI::addr($out));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        return json_decode(Ffi::take($out), true, 4, JSON_THROW_ON_ERROR);
    }
}

if (!function_exists(__NAMESPACE__ . '\verify')) {
    /**
     * One call, for scripts and tests (as Stripe's `constructEvent`): `(new Verifier($provider, $options))
     * ->verify($body, $headers, $options['now'] ?? null)`, with the verifier kept by the library in its per-process
     * cache of the last 32 configurations (keyed by the provider and the options, secrets included, never shown;
     * `now` is not part of the key), so a loop, and every request a PHP-FPM worker serves, builds its keys once.
     *
     * `$options` are the verifier's (`['secret' => '…']`) plus `now` (Unix seconds or a DateTimeInterface; default:
     * the clock).
     *
     * @param array<array-key, mixed>|Headers $headers
     * @param array<string, mixed> $options
     * @throws ConfigException options that cannot build a verifier (on every call: those are not cached)
     * @throws VerificationException a refused delivery
     * @throws \TypeError a `now` of another type, as Verifier::verify() throws
     */
    function verify(
        string $provider,
        string $body,
        #[\SensitiveParameter] array|Headers $headers,
        #[\SensitiveParameter] array $options = [],
    ): Event {
        $clock = Verifier::clock($options['now'] ?? null);
        unset($options['now']);
        Ffi::checkProvider($provider);
        $json = Ffi::optionsJson($options);
        $block = Headers::block($headers);
        $fields = Ffi::get()->new('hookseal_event_fields');
        $status = Ffi::get()->hookseal_verify_once_fields($provider, $json, $body, strlen($body), $block,
            strlen($block), $clock === null ? null : \FFI::addr($clock), \FFI::addr($fields));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        return Event::fromFields($provider, $body, $fields);
    }
}
