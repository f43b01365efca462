<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * The verifiers `\Hookseal\verify()` reuses: at most 32, least recently used evicted first, for as long as PHP keeps
 * static properties, i.e. one request under PHP-FPM or `php -S`, one run in the CLI (a loop within it does not rebuild
 * the same keys; a long-lived server builds its Verifier once instead). Keyed by a SHA-256 digest of the provider and
 * the options rather than the options themselves (the native verifiers hold the secrets, as every Verifier does).
 * Options that cannot build a verifier are not cached: their ConfigException comes back on every call.
 *
 * @internal
 */
final class VerifierCache
{
    public const SIZE = 32;

    /** @var array<string, Verifier> digest => verifier, least recently used first */
    private static array $verifiers = [];

    private function __construct()
    {
    }

    /**
     * @param array<string, mixed> $options the verifier's options (not `now`)
     * @throws ConfigException
     */
    public static function get(string $provider, #[\SensitiveParameter] array $options): Verifier
    {
        $key = self::key($provider, $options);
        if ($key === null) {
            return new Verifier($provider, $options); // a value no JSON text identifies: Verifier says what is wrong
        }
        $verifier = self::$verifiers[$key] ?? null;
        if ($verifier !== null) {
            unset(self::$verifiers[$key]); // moved to the end: the most recently used
        } else {
            $verifier = new Verifier($provider, $options);
            if (count(self::$verifiers) >= self::SIZE) {
                unset(self::$verifiers[array_key_first(self::$verifiers)]);
            }
        }
        self::$verifiers[$key] = $verifier;
        return $verifier;
    }

    /** How many verifiers are kept (tests). */
    public static function size(): int
    {
        return count(self::$verifiers);
    }

    /** Forgets every verifier (tests). */
    public static function clear(): void
    {
        self::$verifiers = [];
    }

    /** @param array<string, mixed> $options */
    private static function key(string $provider, #[\SensitiveParameter] array $options): ?string
    {
        ksort($options, SORT_STRING);
        $plain = static fn (mixed $v): bool => $v === null || is_string($v) || is_int($v) || is_bool($v)
            || (is_float($v) && is_finite($v));
        foreach ($options as $value) {
            $list = is_array($value) && array_is_list($value) && array_filter($value, 'is_string') === $value;
            if (!$plain($value) && !$list) {
                return null;
            }
        }
        // The type stays in the text (1 and 1.0 and "1" and true are told apart), as Verifier tells them apart.
        $json = json_encode([$provider, $options], JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_UNICODE);
        return $json === false ? null : hash('sha256', $json, true);
    }
}
