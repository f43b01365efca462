<?php

declare(strict_types=1);

namespace Hookseal;

// Loaded by Composer ("files") and by bindings/php/autoload.php; under opcache preloading (preload.php) the function
// is already declared when either runs, hence the guard.
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
