<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\ConfigException;
use Hookseal\Headers;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use PHPUnit\Framework\TestCase;

/**
 * Every case of tests/vectors/ through the PHP API (format: tests/vectors/README.md), mirroring
 * bindings/python/tests/test_vectors.py and bindings/node/test/vectors.test.js.
 *
 * Loading fails on a file missing from or unlisted in manifest.json, a miscounted file, a duplicate name, an unknown
 * or missing field, or an expectation that is not exactly one of event / error / config_error; every case then runs
 * as its own test. The files are decoded with objects kept as objects, so an option value `{}` stays a JSON object
 * on its way to the C ABI, and an expected `{}` is told apart from `[]`.
 */
final class VectorsTest extends TestCase
{
    private const VECTORS = __DIR__ . '/../../../tests/vectors';
    private const CASE_FIELDS = ['name', 'description', 'provider', 'options', 'body', 'body_base64', 'body_repeat',
        'headers', 'now', 'expect'];
    private const REQUIRED_FIELDS = ['name', 'description', 'provider', 'options', 'headers', 'expect'];
    private const EVENT_FIELDS = ['provider', 'event_type', 'idempotency_key', 'idempotency_key_source', 'timestamp',
        'data', 'is_test', 'is_retry', 'metadata', 'clinic_id'];
    private const ERROR_CODES = ['missing_header', 'malformed_header', 'signature_mismatch', 'key_mismatch',
        'payload_too_large', 'invalid_json', 'missing_field', 'event_mismatch', 'clinic_mismatch',
        'timestamp_out_of_tolerance'];
    private const CONFIG_ERROR_CODES = ['invalid_secret', 'insecure_default_key', 'unknown_provider', 'invalid_option'];
    /** docs/decisions.md, "Every binding": the answer to each refusal. */
    private const HTTP_STATUS = ['missing_header' => 401, 'malformed_header' => 401, 'signature_mismatch' => 401,
        'key_mismatch' => 401, 'payload_too_large' => 413, 'invalid_json' => 400, 'missing_field' => 400,
        'event_mismatch' => 400, 'clinic_mismatch' => 400, 'timestamp_out_of_tolerance' => 400];
    /** The bodies nest 200 levels and the case files add a few: json_decode's default depth (512) is the floor. */
    private const DEPTH = 1024;

    /** @var list<object>|null */
    private static ?array $cases = null;

    /** @return list<object> */
    public static function loadCases(): array
    {
        if (self::$cases !== null) {
            return self::$cases;
        }
        $manifest = self::decode(self::read('manifest.json'));
        self::check(self::sortedKeys($manifest) === ['description', 'files', 'total'], 'manifest.json: fields');
        $listed = array_keys(get_object_vars($manifest->files));
        sort($listed);
        $onDisk = array_values(array_diff(array_map('basename', glob(self::VECTORS . '/*.json')), ['manifest.json']));
        sort($onDisk);
        self::check($onDisk === $listed, 'vector files on disk (' . implode(', ', $onDisk)
            . ') and in manifest.json (' . implode(', ', $listed) . ') differ');

        $cases = [];
        $names = [];
        foreach (get_object_vars($manifest->files) as $file => $count) {
            $doc = self::decode(self::read($file));
            self::check(self::sortedKeys($doc) === ['cases', 'description'], "$file: top-level fields");
            self::check(is_array($doc->cases) && count($doc->cases) === $count,
                "$file: case count differs from manifest.json");
            foreach ($doc->cases as $case) {
                self::check(is_object($case) && is_string($case->name ?? null), "$file: a case without a name");
                $name = $case->name;
                $fields = array_keys(get_object_vars($case));
                $unknown = array_diff($fields, self::CASE_FIELDS);
                self::check($unknown === [], "$name: unknown fields " . implode(', ', $unknown));
                $missing = array_diff(self::REQUIRED_FIELDS, $fields);
                self::check($missing === [], "$name: missing fields " . implode(', ', $missing));
                self::check(isset($case->body) !== isset($case->body_base64),
                    "$name: exactly one of body / body_base64");
                self::check(!isset($names[$name]), "duplicate case name $name");
                $names[$name] = true;
                self::check(is_object($case->options), "$name: options must be an object");
                self::check(is_object($case->expect) && count(get_object_vars($case->expect)) === 1,
                    "$name: expect has exactly one kind");
                $kind = array_key_first(get_object_vars($case->expect));
                $value = $case->expect->$kind;
                match ($kind) {
                    'event' => self::check(
                        is_object($value) && self::sortedKeys($value) === self::sorted(self::EVENT_FIELDS),
                        "$name: an event has exactly the 10 fields"
                    ),
                    'error' => self::check(in_array($value, self::ERROR_CODES, true), "$name: unknown error code"),
                    'config_error' => self::check(in_array($value, self::CONFIG_ERROR_CODES, true),
                        "$name: unknown config error code"),
                    default => self::check(false, "$name: unknown expectation $kind"),
                };
                $cases[] = $case;
            }
        }
        self::check(count($cases) === $manifest->total, 'manifest total differs from the cases read');
        return self::$cases = $cases;
    }

    /** @return array<string, array{object}> */
    public static function cases(): array
    {
        $provided = [];
        foreach (self::loadCases() as $case) {
            $provided[$case->name] = [$case];
        }
        return $provided;
    }

    public function testEveryVectorIsLoaded(): void
    {
        $cases = self::loadCases();
        self::assertCount(self::decode(self::read('manifest.json'))->total, $cases);
        self::assertGreaterThanOrEqual(300, count($cases));
        $kinds = array_unique(array_map(
            static fn (object $c): string => array_key_first(get_object_vars($c->expect)),
            $cases
        ));
        sort($kinds);
        self::assertSame(['config_error', 'error', 'event'], $kinds);
    }

    /** @dataProvider cases */
    public function testVector(object $case): void
    {
        $kind = array_key_first(get_object_vars($case->expect));
        $expected = $case->expect->$kind;
        $label = is_string($expected) ? $expected : $kind;
        try {
            $verifier = new Verifier($case->provider, get_object_vars($case->options));
        } catch (ConfigException $e) {
            self::assertSame(['config_error', $expected], [$kind, $e->errorCode],
                "configuration refused: {$e->getMessage()}");
            self::assertSame(500, $e->httpStatus);
            return;
        }
        self::assertNotSame('config_error', $kind, "expected $kind($label), the verifier was built");

        $body = self::bodyOf($case);
        $now = $case->now ?? null;
        try {
            $event = $verifier->verify($body, $case->headers, $now);
        } catch (VerificationException $e) {
            self::assertSame(['error', $expected], [$kind, $e->errorCode], "delivery refused: {$e->getMessage()}");
            self::assertSame(self::HTTP_STATUS[$e->errorCode], $e->httpStatus);
            return;
        }
        $got = $event->toArray();
        self::assertSame('event', $kind, "expected $kind($label), verified " . json_encode($got));
        self::assertSame(self::EVENT_FIELDS, array_keys($got));
        $difference = self::difference($got, $expected, '$');
        self::assertNull($difference, "event differs at $difference:\n  got      " . var_export($got, true)
            . "\n  expected " . json_encode($expected, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));

        // The same delivery with the headers grouped by name (getallheaders()/PSR-7 shape) and as a Headers object.
        $grouped = [];
        foreach ($case->headers as [$name, $value]) {
            $grouped[$name][] = $value;
        }
        self::assertEquals($event, $verifier->verify($body, $grouped, $now));
        self::assertEquals($event, $verifier->verify($body, new Headers($case->headers), $now));
    }

    private static function bodyOf(object $case): string
    {
        if (isset($case->body)) {
            $one = $case->body;
        } else {
            $one = base64_decode($case->body_base64, true);
            self::check($one !== false, "{$case->name}: body_base64 is not base64");
        }
        $repeat = $case->body_repeat ?? 1;
        self::check(is_int($repeat) && $repeat >= 1, "{$case->name}: body_repeat");
        return str_repeat($one, $repeat);
    }

    /**
     * Where `$got` (from Event::toArray) and `$expected` (the vector, objects kept) differ as JSON values, or null.
     * Numbers compare by value within their type: json_decode reads both sides alike, so an integer is an int and a
     * number with a fraction or exponent a float (the body's 850.00 equals the expectation's 850.0); bool is never a
     * number. PHP reads a JSON object and a JSON array both as arrays: an expected object needs an array with its keys
     * in its order, an expected array a list.
     */
    private static function difference(mixed $got, mixed $expected, string $path): ?string
    {
        if (is_object($expected)) {
            $fields = get_object_vars($expected);
            if (!is_array($got) || array_map('strval', array_keys($got)) !== array_map('strval', array_keys($fields))) {
                return $path;
            }
            foreach ($fields as $key => $value) {
                $where = self::difference($got[$key], $value, "{$path}.{$key}");
                if ($where !== null) {
                    return $where;
                }
            }
            return null;
        }
        if (is_array($expected)) {
            if (!is_array($got) || !array_is_list($got) || count($got) !== count($expected)) {
                return $path;
            }
            foreach ($expected as $i => $value) {
                $where = self::difference($got[$i], $value, "{$path}[{$i}]");
                if ($where !== null) {
                    return $where;
                }
            }
            return null;
        }
        return $got === $expected ? null : $path;
    }

    private static function read(string $file): string
    {
        $text = file_get_contents(self::VECTORS . '/' . $file);
        self::check($text !== false, "cannot read $file");
        return $text;
    }

    private static function decode(string $text): object
    {
        return json_decode($text, false, self::DEPTH, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
    }

    /** @return list<string> */
    private static function sortedKeys(object $value): array
    {
        return self::sorted(array_keys(get_object_vars($value)));
    }

    /**
     * @param list<string> $values
     * @return list<string>
     */
    private static function sorted(array $values): array
    {
        sort($values);
        return $values;
    }

    /** A malformed vector set fails loading (and so the data provider), never silently skips a case. */
    private static function check(bool $condition, string $message): void
    {
        if (!$condition) {
            throw new \UnexpectedValueException("tests/vectors: $message");
        }
    }
}
