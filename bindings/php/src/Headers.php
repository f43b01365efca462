<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * A request's headers, as `Verifier::verify` takes them.
 *
 * `verify` accepts a plain array, in either of two shapes (mixable):
 *  - name => value, where a value is a string or a list of strings for a repeated header
 *    (`['X-ELMED-Signature' => 'sha256=…', 'Via' => ['a', 'b']]`), as `getallheaders()` and PSR-7's
 *    `getHeaders()` give them;
 *  - a list of `[name, value]` pairs, order and repeats as sent (`[['X-ELMED-Signature', 'sha256=…']]`).
 * Names match case-insensitively; a value that is not a string is a \TypeError, a name or value with a NUL byte a
 * \ValueError (HTTP allows neither). An integer key with an array value is a pair, so a header literally named "0"
 * has to be given as a pair too.
 *
 * `new Headers($array)` checks and encodes the headers once; pass the object to several verifiers to skip that work.
 */
final class Headers
{
    /** The C ABI's block: `name NUL value NUL` per header. */
    private readonly string $block;

    /** @param array<array-key, string|list<string>|array{0: string, 1: string}> $headers */
    public function __construct(#[\SensitiveParameter] array $headers)
    {
        $this->block = self::block($headers);
    }

    /**
     * The current request's headers as name => value: `getallheaders()` where the SAPI has it (PHP-FPM, php -S,
     * Apache), else rebuilt from `$_SERVER` (`HTTP_X_ELMED_SIGNATURE` → `X-Elmed-Signature`, plus `CONTENT_TYPE` and
     * `CONTENT_LENGTH`). Pass `$server` to read that array instead of the request (tests, queued deliveries).
     *
     * Web servers hand PHP one value per header name: a repeated header arrives joined with ", ", which the
     * signature schemes accept (several signatures in one header); a repeated shared-key header cannot match.
     *
     * @param array<array-key, mixed>|null $server
     * @return array<string, string>
     */
    public static function fromGlobals(?array $server = null): array
    {
        if ($server === null && function_exists('getallheaders')) {
            $all = getallheaders();
            if (is_array($all)) {
                $headers = [];
                foreach ($all as $name => $value) {
                    if (is_string($value)) {
                        $headers[(string) $name] = $value;
                    }
                }
                return $headers;
            }
        }
        $headers = [];
        $seen = [];
        foreach ($server ?? $_SERVER as $key => $value) {
            if (!is_string($key) || !is_string($value)) {
                continue;
            }
            $upper = strtoupper($key);
            if (str_starts_with($upper, 'HTTP_') && strlen($upper) > 5) {
                $name = substr($upper, 5);
            } elseif ($upper === 'CONTENT_TYPE' || $upper === 'CONTENT_LENGTH') {
                $name = $upper;
            } else {
                continue;
            }
            // php -S and some FastCGI setups set both CONTENT_TYPE and HTTP_CONTENT_TYPE: keep one.
            if (isset($seen[$name])) {
                continue;
            }
            $seen[$name] = true;
            $headers[str_replace(' ', '-', ucwords(strtolower(str_replace('_', ' ', $name))))] = $value;
        }
        return $headers;
    }

    /**
     * A Symfony `Request`'s headers (Laravel's `Illuminate\Http\Request` is one) as `verify` takes them: name => the
     * list of values, as sent. Symfony's HeaderBag keeps the values byte for byte and lowercases the names (which
     * verify matches in any case); like `fromGlobals()`, it holds what the web server handed PHP, a repeated header
     * joined with ", ". symfony/http-foundation is not a dependency: anything else is an explanatory \TypeError.
     *
     * @param \Symfony\Component\HttpFoundation\Request $request
     * @return array<string, list<string>>
     */
    public static function fromRequest(mixed $request): array
    {
        $request = Symfony\RawBody::request($request, 'Headers::fromRequest()');
        $headers = [];
        foreach ($request->headers->all() as $name => $values) {
            $values = array_values(array_filter((array) $values, 'is_string'));
            if ($values !== []) {
                $headers[(string) $name] = $values;
            }
        }
        return $headers;
    }

    /** Shows the header names only: a shared-key header's value is the secret. */
    public function __debugInfo(): array
    {
        $names = [];
        $parts = explode("\0", $this->block);
        for ($i = 0; $i + 1 < count($parts); $i += 2) {
            $names[] = $parts[$i];
        }
        return ['names' => $names];
    }

    public function __serialize(): array
    {
        throw new \LogicException('hookseal: Headers hold secrets and are not serialized');
    }

    /**
     * The C ABI's headers block for `$headers` (see the class comment for the accepted shapes).
     *
     * @internal
     * @param array<array-key, mixed>|self $headers
     */
    public static function block(#[\SensitiveParameter] array|self $headers): string
    {
        if ($headers instanceof self) {
            return $headers->block;
        }
        // Name => string, the usual shape, is joined inline; the NUL check for those entries is one substr_count,
        // made before any other entry (so the first bad entry, in order, still decides the error) and at the end.
        $block = '';
        $joined = 0;
        foreach ($headers as $key => $value) {
            if (is_string($value)) {
                $block .= $key . "\0" . $value . "\0";
                $joined++;
                continue;
            }
            self::checkJoined($block, $joined);
            if (is_int($key) && is_array($value)) {
                if (count($value) !== 2 || !array_is_list($value)) {
                    throw new \TypeError("hookseal: header entry $key must be a [name, value] pair");
                }
                [$name, $one] = $value;
                if (!is_string($name)) {
                    throw new \TypeError('hookseal: a header name must be a string, not ' . get_debug_type($name));
                }
                $block .= self::entry($name, $one);
                $joined++;
            } elseif (is_array($value)) {
                foreach ($value as $one) {
                    $block .= self::entry((string) $key, $one);
                    $joined++;
                }
            } else {
                $block .= self::entry((string) $key, $value);
            }
        }
        self::checkJoined($block, $joined);
        return $block;
    }

    /** A block of $entries entries holds exactly two NULs each, or a name or value held one. */
    private static function checkJoined(string $block, int $entries): void
    {
        if (substr_count($block, "\0") !== 2 * $entries) {
            throw new \ValueError('hookseal: a header name or value contains a NUL byte');
        }
    }

    private static function entry(string $name, mixed $value): string
    {
        if (!is_string($value)) {
            throw new \TypeError("hookseal: the value of header $name must be a string, not " . get_debug_type($value));
        }
        if (str_contains($name, "\0") || str_contains($value, "\0")) {
            throw new \ValueError('hookseal: a header name or value contains a NUL byte');
        }
        return $name . "\0" . $value . "\0";
    }
}
