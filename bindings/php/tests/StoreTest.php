<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\Answer;
use Hookseal\Claim;
use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\Store;
use Hookseal\StoreException;
use Hookseal\Verifier;
use Hookseal\Webhook;
use PHPUnit\Framework\TestCase;

use function Hookseal\sign;

/**
 * The dedupe store: every scenario of tests/vectors/store/scenarios.json on memory:, a fresh SQLite file and the test
 * Redis ($HOOKSEAL_TEST_REDIS_URL, started by scripts/with-redis.sh: required), the urls and unreachable sections,
 * and Webhook's answers (docs/exactly-once.md's table).
 */
final class StoreTest extends TestCase
{
    private const SECRET = 'elmed_whsk_store_test_3f2a';

    /** @var array<string, mixed>|null */
    private static ?array $doc = null;

    /** @return array<string, mixed> */
    private static function doc(): array
    {
        if (self::$doc === null) {
            $text = file_get_contents(dirname(__DIR__, 3) . '/tests/vectors/store/scenarios.json');
            self::$doc = json_decode((string) $text, true, 64, JSON_THROW_ON_ERROR);
            self::known(self::$doc, ['description', 'counts', 'scenarios', 'urls', 'unreachable'], 'scenarios.json');
        }
        return self::$doc;
    }

    /** @param array<string, mixed> $object @param list<string> $fields */
    private static function known(array $object, array $fields, string $what): void
    {
        foreach (array_keys($object) as $name) {
            self::assertContains($name, $fields, "$what: unknown field $name");
        }
    }

    private static function redisUrl(): string
    {
        $url = getenv('HOOKSEAL_TEST_REDIS_URL');
        self::assertIsString($url, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh (make test-php)');
        return $url;
    }

    /** @return iterable<string, array{string}> */
    public static function backends(): iterable
    {
        yield 'memory' => ['memory:'];
        yield 'sqlite' => ['sqlite'];
        yield 'redis' => ['redis'];
    }

    private static function key(mixed $key): string
    {
        if (is_string($key)) {
            return $key;
        }
        self::assertIsArray($key);
        self::known($key, ['repeat', 'times', 'then'], 'key');
        return str_repeat($key['repeat'], $key['times']) . ($key['then'] ?? '');
    }

    /** @dataProvider backends */
    public function testEveryScenario(string $backend): void
    {
        $doc = self::doc();
        self::assertCount($doc['counts']['scenarios'], $doc['scenarios'], 'counts.scenarios');
        $url = match ($backend) {
            'sqlite' => 'sqlite://' . sys_get_temp_dir() . '/hookseal-php-scenarios-' . bin2hex(random_bytes(6)) . '.db',
            'redis' => self::redisUrl(),
            default => $backend,
        };
        $steps = 0;
        foreach ($doc['scenarios'] as $scenario) {
            $steps += $this->runScenario($scenario, $url);
        }
        self::assertGreaterThan(count($doc['scenarios']), $steps);
        if ($backend === 'sqlite') {
            foreach (['', '-wal', '-shm'] as $suffix) {
                @unlink(substr($url, strlen('sqlite://')) . $suffix);
            }
        }
    }

    /** @param array<string, mixed> $scenario */
    private function runScenario(array $scenario, string $url): int
    {
        self::known($scenario, ['name', 'description', 'lease', 'retention', 'steps'], 'scenario');
        $options = array_intersect_key($scenario, ['lease' => 1, 'retention' => 1]);
        $store = new Store($url, $options);
        $prefix = 't' . bin2hex(random_bytes(6));
        /** @var array<string, Claim> $claims */
        $claims = [];
        foreach ($scenario['steps'] as $i => $step) {
            $at = "{$scenario['name']} on {$store->backend}, step $i";
            if (array_key_exists('claim', $step)) {
                self::known($step, ['claim', 'as', 'namespace', 'namespace_raw', 'expect', 'expect_error',
                    'retry_after'], $at);
                $namespace = $step['namespace_raw']
                    ?? (isset($step['namespace']) ? "$prefix-{$step['namespace']}" : $prefix);
                if (isset($step['expect_error'])) {
                    try {
                        $store->claim($namespace, self::key($step['claim']));
                        self::fail("$at: claimed, expected {$step['expect_error']}");
                    } catch (ConfigException $e) {
                        self::assertSame($step['expect_error'], $e->errorCode, $at);
                    }
                    continue;
                }
                $claim = $store->claim($namespace, self::key($step['claim']));
                self::assertSame($step['expect'], $claim->status, $at);
                if (isset($step['retry_after'])) {
                    self::assertGreaterThanOrEqual($step['retry_after'][0], $claim->retryAfter, $at);
                    self::assertLessThanOrEqual($step['retry_after'][1], $claim->retryAfter, $at);
                }
                if (isset($step['as']) && $claim->status === Claim::CLAIMED) {
                    $claims[$step['as']] = $claim;
                }
            } elseif (isset($step['complete']) || isset($step['release'])) {
                self::known($step, ['complete', 'release', 'expect'], $at);
                $acted = isset($step['complete'])
                    ? $store->complete($claims[$step['complete']])
                    : $store->release($claims[$step['release']]);
                self::assertSame($step['expect'], $acted, $at);
            } elseif (isset($step['wait'])) {
                self::known($step, ['wait'], $at);
                usleep((int) round($step['wait'] * 1_000_000));
            } else {
                self::fail("$at: unknown step");
            }
        }
        return count($scenario['steps']);
    }

    public function testEveryUrl(): void
    {
        $doc = self::doc();
        self::assertCount($doc['counts']['urls'], $doc['urls'], 'counts.urls');
        foreach ($doc['urls'] as $case) {
            self::known($case, ['name', 'url', 'options', 'expect'], 'url case');
            $expect = $case['expect'];
            self::known($expect, ['config_error', 'not_in_message', 'backend', 'describe', 'not_in_describe'],
                $case['name']);
            try {
                $store = new Store($case['url'], $case['options'] ?? []);
            } catch (ConfigException $e) {
                self::assertSame($expect['config_error'] ?? null, $e->errorCode, "{$case['name']}: {$e->getMessage()}");
                if (isset($expect['not_in_message'])) {
                    self::assertStringNotContainsString($expect['not_in_message'], $e->getMessage(), $case['name']);
                }
                continue;
            }
            self::assertArrayNotHasKey('config_error', $expect, "{$case['name']}: opened");
            self::assertSame($expect['backend'], $store->backend, $case['name']);
            self::assertSame($expect['describe'], $store->url, $case['name']);
            if (isset($expect['not_in_describe'])) {
                self::assertStringNotContainsString($expect['not_in_describe'], print_r($store, true), $case['name']);
                self::assertStringNotContainsString($expect['not_in_describe'], var_export($store, true));
            }
        }
    }

    public function testEveryUnreachableStoreFailsClosedAndFast(): void
    {
        $doc = self::doc();
        self::assertCount($doc['counts']['unreachable'], $doc['unreachable'], 'counts.unreachable');
        foreach ($doc['unreachable'] as $case) {
            self::known($case, ['name', 'url', 'description', 'not_in_message'], 'unreachable case');
            $store = new Store($case['url']);
            $started = microtime(true);
            try {
                $store->claim('t', 'evt');
                self::fail("{$case['name']}: claimed");
            } catch (StoreException $e) {
                self::assertLessThan(3.0, microtime(true) - $started, $case['name']);
                self::assertSame('store_unavailable', $e->errorCode, $case['name']);
                self::assertSame(503, $e->httpStatus);
                if (isset($case['not_in_message'])) {
                    self::assertStringNotContainsString($case['not_in_message'], $e->getMessage());
                    self::assertStringNotContainsString($case['not_in_message'], (string) $e);
                }
            }
        }
    }

    public function testOneUrlIsOneStoreInAWorker(): void
    {
        // PHP rebuilds objects on each request; the library keeps the worker's store (and connections) by URL.
        $namespace = 'w' . bin2hex(random_bytes(4));
        $first = (new Store('memory:?lease=30'))->claim($namespace, 'evt');
        self::assertSame(Claim::CLAIMED, $first->status);
        $again = (new Store('memory:?lease=30'))->claim($namespace, 'evt');
        self::assertSame(Claim::IN_PROGRESS, $again->status);
        self::assertSame(30, $again->retryAfter);
        // Other options are another store.
        self::assertSame(Claim::CLAIMED, (new Store('memory:?lease=31'))->claim($namespace, 'evt')->status);
    }

    public function testClaimsThatAreNotHeldCannotBeSettled(): void
    {
        $store = new Store('memory:');
        $namespace = 'n' . bin2hex(random_bytes(4));
        $held = $store->claim($namespace, 'evt');
        $busy = $store->claim($namespace, 'evt');
        $this->expectException(\ValueError::class);
        $store->complete($busy);
        unset($held);
    }

    /** @return array{Answer, int} the answer and how often the handler ran */
    private function deliver(Verifier $verifier, string $body, ?Store $store, ?\Throwable $fail = null): array
    {
        $ran = 0;
        $answer = Webhook::process($verifier, $body, sign('elmed', $body, ['secret' => self::SECRET]),
            static function (Event $event) use (&$ran, $fail): array {
                $ran++;
                if ($fail !== null) {
                    throw $fail;
                }
                return ['status' => 'processed', 'idempotency_key' => $event->idempotencyKey];
            }, $store);
        return [$answer, $ran];
    }

    public function testWebhookAnswersAsTheContractSays(): void
    {
        $verifier = new Verifier('elmed', ['secret' => self::SECRET]);
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-' . bin2hex(random_bytes(4)) . '"}}';
        $key = 'sha256:' . hash('sha256', $body);
        $store = new Store('sqlite://' . sys_get_temp_dir() . '/hookseal-php-webhook-' . bin2hex(random_bytes(4))
            . '.db', ['lease' => 30]);

        // The handler fails: released, the error propagates; the retry is processed.
        try {
            $this->deliver($verifier, $body, $store, new \RuntimeException('downstream is down'));
            self::fail('the handler\'s exception did not propagate');
        } catch (\RuntimeException $e) {
            self::assertSame('downstream is down', $e->getMessage());
        }
        [$answer, $ran] = $this->deliver($verifier, $body, $store);
        self::assertSame([200, ['status' => 'processed', 'idempotency_key' => $key], [], 1],
            [$answer->status, $answer->body, $answer->headers, $ran]);
        // A duplicate: 200, the handler not run.
        [$answer, $ran] = $this->deliver($verifier, $body, $store);
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key], 0],
            [$answer->status, $answer->body, $ran]);
        self::assertSame('{"status":"duplicate","idempotency_key":"' . $key . '"}', $answer->json());

        // In progress elsewhere: 503 with the lease left.
        $other = '{"event":"order.status_changed","data":{"n":"' . bin2hex(random_bytes(4)) . '"}}';
        $held = $store->claim('elmed', 'sha256:' . hash('sha256', $other));
        self::assertSame(Claim::CLAIMED, $held->status);
        [$answer, $ran] = $this->deliver($verifier, $other, $store);
        self::assertSame([503, ['error' => 'in_progress'], ['Retry-After' => '30'], 0],
            [$answer->status, $answer->body, $answer->headers, $ran]);

        // A handler that answers 5xx itself releases the key: the provider's retry runs it again.
        $failing = '{"event":"order.status_changed","data":{"n":"' . bin2hex(random_bytes(4)) . '"}}';
        $runs = 0;
        $handler = static function (Event $event) use (&$runs): Answer {
            $runs++;
            return $runs === 1 ? new Answer(503, ['error' => 'downstream']) : new Answer(200, ['status' => 'processed']);
        };
        $signed = sign('elmed', $failing, ['secret' => self::SECRET]);
        self::assertSame(503, Webhook::process($verifier, $failing, $signed, $handler, $store)->status);
        self::assertSame(200, Webhook::process($verifier, $failing, $signed, $handler, $store)->status);
        self::assertSame('duplicate', Webhook::process($verifier, $failing, $signed, $handler, $store)->body['status']);
        self::assertSame(2, $runs);

        // A refused delivery never claims; without a store the handler runs every time.
        $refused = Webhook::process($verifier, $body, ['X-ELMED-Signature' => 'sha256=' . str_repeat('0', 64)],
            static fn (Event $e): array => self::fail('the handler ran for a refused delivery'), $store);
        self::assertSame([401, ['error' => 'signature_mismatch']], [$refused->status, $refused->body]);
        self::assertSame(1, $this->deliver($verifier, $body, null)[1]);
        self::assertSame(1, $this->deliver($verifier, $body, null)[1]);
    }

    public function testWebhookFailsClosedWhenTheStoreIsDown(): void
    {
        $verifier = new Verifier('elmed', ['secret' => self::SECRET]);
        $started = microtime(true);
        [$answer, $ran] = $this->deliver($verifier, '{"event":"a"}', new Store('redis://:hunter2@127.0.0.1:1/0'));
        self::assertSame([503, ['error' => 'store_unavailable'], ['Retry-After' => '5'], 0],
            [$answer->status, $answer->body, $answer->headers, $ran]);
        self::assertLessThan(3.0, microtime(true) - $started);
    }

    public function testWebhookNamespacesByProviderOrAsGiven(): void
    {
        $verifier = new Verifier('elmed', ['secret' => self::SECRET]);
        $store = new Store('memory:');
        $body = '{"event":"a","data":{"n":"' . bin2hex(random_bytes(4)) . '"}}';
        $headers = sign('elmed', $body, ['secret' => self::SECRET]);
        $handler = static fn (Event $e): array => ['status' => 'processed'];
        self::assertSame('processed', Webhook::process($verifier, $body, $headers, $handler, $store)->body['status']);
        self::assertSame('duplicate', Webhook::process($verifier, $body, $headers, $handler, $store)->body['status']);
        self::assertSame('processed',
            Webhook::process($verifier, $body, $headers, $handler, $store, 'elmed-second-endpoint')->body['status']);
        self::assertSame(Claim::DUPLICATE,
            $store->claim('elmed', 'sha256:' . hash('sha256', $body))->status);
    }
}
