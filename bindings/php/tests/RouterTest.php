<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\Answer;
use Hookseal\Claim;
use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\Events\Baremeds;
use Hookseal\Events\Catalog;
use Hookseal\Events\Elmed;
use Hookseal\Events\ManagementApi;
use Hookseal\Events\Novamed;
use Hookseal\HooksealException;
use Hookseal\Router;
use Hookseal\Store;
use Hookseal\UnhandledEventException;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use Hookseal\Webhook;
use PHPStan\PhpDocParser\Ast\PhpDoc\InvalidTagValueNode;
use PHPStan\PhpDocParser\Ast\PhpDoc\PhpDocNode;
use PHPStan\PhpDocParser\Ast\Type\ArrayShapeNode;
use PHPStan\PhpDocParser\Ast\Type\CallableTypeNode;
use PHPStan\PhpDocParser\Ast\Type\IdentifierTypeNode;
use PHPStan\PhpDocParser\Ast\Type\UnionTypeNode;
use PHPStan\PhpDocParser\Lexer\Lexer;
use PHPStan\PhpDocParser\Parser\ConstExprParser;
use PHPStan\PhpDocParser\Parser\PhpDocParser;
use PHPStan\PhpDocParser\Parser\TokenIterator;
use PHPStan\PhpDocParser\Parser\TypeParser;
use PHPUnit\Framework\TestCase;

use function Hookseal\sign;

/**
 * The router (docs/api.md, "The router"): every case of tests/vectors/router/routes.json, the unhandled modes, the
 * provider checks and the typo warning; a Router as Webhook's handler on a real SQLite store (docs/exactly-once.md);
 * every shared vector that verifies, dispatched; the generated \Hookseal\Events classes against the catalog (their
 * array shapes parsed with PHPStan's phpdoc-parser, Debian's php-phpstan-phpdoc-parser); examples/php's routes.
 */
final class RouterTest extends TestCase
{
    private const ROOT = __DIR__ . '/../../..';
    private const ELMED_SECRET = 'elmed_whsk_router_test_9b4d';
    private const NOVAMED_KEY = 'nm_key_router_test_2c7e';
    private const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
    private const PHPDOC_PARSER = '/usr/share/php/PHPStan/PhpDocParser/autoload.php';
    private const SLUGS = ['elmed' => Elmed::class, 'baremeds' => Baremeds::class, 'novamed' => Novamed::class,
        'management-api' => ManagementApi::class];

    private string $log = '';
    private string|false $previousLog = false;
    /** @var list<string> */
    private array $scratch = [];
    /** @var resource|null */
    private $server = null;

    protected function setUp(): void
    {
        $this->log = (string) tempnam(sys_get_temp_dir(), 'hookseal-router-log-');
        $this->previousLog = ini_set('error_log', $this->log);
    }

    protected function tearDown(): void
    {
        if ($this->server !== null) {
            proc_terminate($this->server);
            proc_close($this->server);
            $this->server = null;
        }
        ini_set('error_log', $this->previousLog === false ? '' : $this->previousLog);
        @unlink($this->log);
        foreach ($this->scratch as $path) {
            exec('rm -rf ' . escapeshellarg($path));
        }
    }

    /** @return list<string> the lines logged (error_log) since setUp, without PHP's date prefix */
    private function logLines(): array
    {
        $lines = array_filter(explode("\n", (string) file_get_contents($this->log)), static fn ($l) => $l !== '');
        return array_values(array_map(static fn (string $l): string => (string) preg_replace('/^\[[^\]]*\] /', '', $l),
            $lines));
    }

    private static function event(?string $type, string $provider = 'elmed', string $key = 'key-1'): Event
    {
        return new Event($provider, $type, $key, 'body_sha256', null, ['a' => 1], false, false, null, null);
    }

    /** @return array<string, mixed> */
    private static function json(string $relative): array
    {
        return json_decode((string) file_get_contents(self::ROOT . "/$relative"), true, 512, JSON_THROW_ON_ERROR);
    }

    // ---- tests/vectors/router/routes.json ----

    public function testEveryCaseOfTheRoutesVectors(): void
    {
        $doc = self::json('tests/vectors/router/routes.json');
        self::assertSame(['description', 'kinds', 'cases'], array_keys($doc), 'routes.json: top-level fields');
        $known = ['dispatch', 'error'];
        self::assertSame($known, $doc['kinds'], 'routes.json names a case kind this runner does not know');
        $fields = ['dispatch' => ['id', 'kind', 'routes', 'dispatch'], 'error' => ['id', 'kind', 'routes', 'error_at',
            'error']];
        $ran = 0;
        foreach ($doc['cases'] as $case) {
            $id = $case['id'] ?? '?';
            self::assertContains($case['kind'] ?? null, $known, "$id: unknown kind");
            self::assertEqualsCanonicalizing($fields[$case['kind']], array_keys($case),
                "$id: unknown or missing field");
            $router = new Router();
            $calls = [];
            $register = static function (int $index) use ($router, $case, &$calls): void {
                $router->on($case['routes'][$index], static function (Event $event) use ($index, &$calls): array {
                    $calls[] = $index;
                    return ['handler' => $index];
                });
            };
            if ($case['kind'] === 'dispatch') {
                foreach (array_keys($case['routes']) as $index) {
                    $register($index);
                }
                $expectedPatterns = [];
                foreach ($case['routes'] as $route) {
                    array_push($expectedPatterns, ...(is_array($route) ? $route : [$route]));
                }
                self::assertSame($expectedPatterns, $router->patterns(), "$id: patterns()");
                foreach ($case['dispatch'] as [$type, $handler]) {
                    $calls = [];
                    $event = self::event($type, 'elmed', "key-$ran");
                    $got = $router->dispatch($event);
                    $label = "$id: " . var_export($type, true);
                    if ($handler === null) {
                        self::assertSame(['status' => 'unhandled', 'event_type' => $type,
                            'idempotency_key' => "key-$ran"], $got, $label);
                        self::assertSame([], $calls, $label);
                    } else {
                        self::assertSame(['handler' => $handler], $got, $label);
                        self::assertSame([$handler], $calls, "$label: exactly one handler runs");
                    }
                    self::assertSame($got, $router($event), "$label: __invoke is dispatch");
                }
            } else {
                for ($index = 0; $index < $case['error_at']; $index++) {
                    $register($index);
                }
                try {
                    $register($case['error_at']);
                    self::fail("$id: on() accepted " . json_encode($case['routes'][$case['error_at']]));
                } catch (ConfigException $e) {
                    self::assertSame($case['error'], $e->errorCode, "$id: {$e->getMessage()}");
                    $route = $case['routes'][$case['error_at']];
                    if (is_string($route)) {
                        self::assertStringContainsString(var_export($route, true), $e->getMessage(),
                            "$id: the message names the pattern");
                    }
                }
                self::assertCount(array_sum(array_map(static fn ($r): int => is_array($r) ? count($r) : 1,
                    array_slice($case['routes'], 0, $case['error_at']))), $router->patterns(),
                    "$id: nothing of the refused call is registered");
            }
            $ran++;
        }
        self::assertSame(count($doc['cases']), $ran, 'routes.json: cases run');
    }

    // ---- the router's own API ----

    public function testSeveralPatternsAWildcardAndTheRegistrationOrder(): void
    {
        $seen = [];
        $router = (new Router())
            ->on(['order.created', 'order.status_changed'], static function (Event $e) use (&$seen): array {
                $seen[] = "orders:{$e->eventType}";
                return [];
            })
            ->on('prescription.*', static function (Event $e) use (&$seen): string {
                $seen[] = "prescriptions:{$e->eventType}";
                return 'any value';
            })
            ->on('*', static fn (Event $e): Answer => new Answer(202, ['other' => $e->eventType]));
        self::assertSame(['order.created', 'order.status_changed', 'prescription.*', '*'], $router->patterns());
        self::assertSame([], $router->dispatch(self::event('order.created')));
        self::assertSame('any value', $router->dispatch(self::event('prescription.issued')), 'the value as returned');
        $answer = $router->dispatch(self::event(null, 'standard-webhooks'));
        self::assertInstanceOf(Answer::class, $answer);
        self::assertSame([202, ['other' => null]], [$answer->status, $answer->body]);
        self::assertSame(['orders:order.created', 'prescriptions:prescription.issued'], $seen);
        self::assertSame(['provider' => null, 'unhandled' => 'accept',
            'patterns' => ['order.created', 'order.status_changed', 'prescription.*', '*']], $router->__debugInfo());
        self::assertStringNotContainsString('Closure', print_r($router, true), "print_r shows no handler's internals");
        self::assertSame([], $this->logLines(), 'handled deliveries log nothing');
    }

    public function testUnhandledAcceptAnswersAndLogsOneLine(): void
    {
        $router = (new Router('novamed'))->on('order:shipped', static fn (Event $e): array => ['x' => 1]);
        self::assertSame(['status' => 'unhandled', 'event_type' => 'refill:denied', 'idempotency_key' => 'evt_1'],
            $router->dispatch(self::event('refill:denied', 'novamed', 'evt_1')));
        self::assertSame(['no handler for the delivery evt_1 from novamed (refill:denied): accepted'],
            array_map(static fn (string $l): string => substr($l, strlen('hookseal: ')), $this->logLines()));
        self::assertStringStartsWith('hookseal: ', $this->logLines()[0]);
        $untyped = (new Router())->dispatch(self::event(null, 'standard-webhooks', 'msg_2'));
        self::assertSame(['status' => 'unhandled', 'event_type' => null, 'idempotency_key' => 'msg_2'], $untyped);
        self::assertSame('hookseal: no handler for the delivery msg_2 from standard-webhooks (null): accepted',
            $this->logLines()[1]);
    }

    public function testUnhandledRejectThrows(): void
    {
        $router = new Router(unhandled: 'reject');
        self::assertSame('reject', $router->unhandled);
        try {
            $router->dispatch(self::event('order.created', 'elmed', 'sha256:abc'));
            self::fail('an unhandled event was not refused');
        } catch (UnhandledEventException $e) {
            self::assertInstanceOf(HooksealException::class, $e);
            self::assertSame('unhandled_event', $e->errorCode);
            self::assertSame(501, $e->httpStatus);
            self::assertSame('order.created', $e->eventType);
            self::assertSame(['elmed', 'sha256:abc'], [$e->provider, $e->idempotencyKey]);
            self::assertSame('unhandled_event: no handler for the delivery sha256:abc from elmed (order.created)',
                $e->getMessage());
        }
        self::assertSame([], $this->logLines(), 'the router does not log a refusal: the framework helper does, once');
    }

    public function testAThrowingHandlerPropagates(): void
    {
        $router = (new Router())->on('*', static fn (Event $e): never => throw new \DomainException('boom'));
        $this->expectException(\DomainException::class);
        $this->expectExceptionMessage('boom');
        $router->dispatch(self::event('order.created'));
    }

    public function testTheProviderAndTheOptionsAreChecked(): void
    {
        $router = (new Router('elmed'))->on('*', static fn (Event $e): array => []);
        self::assertSame('elmed', $router->provider);
        try {
            $router->dispatch(self::event('order:shipped', 'novamed'));
            self::fail('a novamed event was dispatched by an elmed router');
        } catch (ConfigException $e) {
            self::assertSame('invalid_option', $e->errorCode);
            self::assertSame('invalid_option: a router for elmed was given a novamed event', $e->getMessage());
        }
        foreach ([['stripe', 'accept', 'unknown_provider'], [null, 'ignore', 'invalid_option'],
                     ['elmed', 'Accept', 'invalid_option']] as [$provider, $unhandled, $code]) {
            try {
                new Router($provider, $unhandled);
                self::fail("Router($provider, $unhandled) was built");
            } catch (ConfigException $e) {
                self::assertSame($code, $e->errorCode);
            }
        }
        foreach ([[['a', 3]], [['a' => 'b']], [[null]]] as [$patterns]) {
            try {
                (new Router())->on($patterns, static fn (Event $e): array => []);
                self::fail('on() took ' . json_encode($patterns));
            } catch (ConfigException $e) {
                self::assertSame('invalid_option', $e->errorCode);
            }
        }
        // Not PHP's TypeError (nor `5` coerced to '5'): the ConfigException of every language, naming the problem.
        $handler = static fn (Event $e): array => [];
        foreach ([
            [5, $handler, 'not int'],
            [1.5, $handler, 'not float'],
            [null, $handler, 'not null'],
            [new \stdClass(), $handler, 'not stdClass'],
            ['order.created', 'not a function', "the handler for 'order.created' is not callable: string"],
            [['order.created', 'order.*'], ['no', 'such'], "the handler for 'order.created' is not callable: array"],
            ['order.created', null, "the handler for 'order.created' is not callable: null"],
        ] as [$patterns, $notHandler, $message]) {
            $router = new Router();
            try {
                $router->on($patterns, $notHandler);
                self::fail('on() took ' . var_export($patterns, true) . ' and ' . var_export($notHandler, true));
            } catch (ConfigException $e) {
                self::assertSame('invalid_option', $e->errorCode);
                self::assertStringContainsString($message, $e->getMessage());
            }
            self::assertSame([], $router->patterns(), 'nothing of the refused call is registered');
        }
        self::assertSame(['strlen'], (new Router())->on('strlen', 'strlen')->patterns(), 'a callable string is fine');
    }

    public function testAHandlerThatReturnsNothingIsAnsweredProcessed(): void
    {
        $ran = [];
        $router = (new Router())
            ->on('order.created', static function (Event $e) use (&$ran): void {
                $ran[] = $e->eventType;
            })
            ->on('*', static function (Event $e) use (&$ran): ?array {
                $ran[] = $e->eventType;
                return null;
            });
        self::assertSame(['status' => 'processed', 'event_type' => 'order.created', 'idempotency_key' => 'k-1'],
            $router->dispatch(self::event('order.created', 'elmed', 'k-1')));
        self::assertSame(['status' => 'processed', 'event_type' => null, 'idempotency_key' => 'k-2'],
            $router(self::event(null, 'standard-webhooks', 'k-2')));
        self::assertSame(['order.created', null], $ran);
        $falsy = (new Router())->on('*', static fn (Event $e): array => []);
        self::assertSame([], $falsy->dispatch(self::event('order.created')), "an empty array is the handler's own");
    }

    public function testAnUndocumentedExactPatternIsLoggedOnceWithASuggestion(): void
    {
        $handler = static fn (Event $e): array => [];
        (new Router('elmed'))->on('order.status_change', $handler)->on(['prescription.issued', 'order.*'], $handler);
        (new Router('elmed'))->on('order.status_change', $handler); // the same typo again: said once per process
        (new Router('baremeds'))->on('completely_unknown_event_type', $handler);
        (new Router('custom'))->on(ManagementApi::EVENTS, $handler)->on('pharmacy_order_craeted', $handler);
        (new Router('standard-webhooks'))->on('invoice.paid', $handler); // no catalog
        (new Router())->on('order.status_chnged', $handler); // not bound to a provider
        self::assertSame([
            "hookseal: elmed documents no event 'order.status_change'; did you mean 'order.status_changed'?",
            "hookseal: baremeds documents no event 'completely_unknown_event_type'",
            "hookseal: custom documents no event 'pharmacy_order_craeted'; did you mean 'pharmacy_order_created'?",
        ], $this->logLines());
        // A warning, never an error: the route works.
        $router = (new Router('novamed'))->on('order:shiped', static fn (Event $e): string => 'ran');
        self::assertSame('ran', $router->dispatch(self::event('order:shiped', 'novamed')));
    }

    // ---- with Webhook and a real SQLite store ----

    private function sqlite(): Store
    {
        $dir = sys_get_temp_dir() . '/hookseal-router-test-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($dir);
        $this->scratch[] = $dir;
        return new Store("sqlite://$dir/store.db");
    }

    /** @return array{string, array<string, string>} an ELMED delivery of this type, and its headers */
    private static function elmed(string $type, string $suffix = ''): array
    {
        $body = json_encode(['event' => $type, 'data' => ['order_number' => "ORD-$suffix" . bin2hex(random_bytes(4))]]);
        return [$body, sign('elmed', $body, ['secret' => self::ELMED_SECRET])];
    }

    public function testWithAStoreADuplicateDispatchesNothing(): void
    {
        $store = $this->sqlite();
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $runs = 0;
        $handler = static function (Event $e) use (&$runs): array {
            $runs++;
            return ['status' => 'processed', 'order' => Elmed::orderStatusChangedData($e)['order_number'] ?? null];
        };
        $router = (new Router('elmed'))->on(Elmed::ORDER_STATUS_CHANGED, $handler);
        [$body, $headers] = self::elmed('order.status_changed');
        $first = Webhook::process($verifier, $body, $headers, $router, $store);
        self::assertSame(200, $first->status);
        self::assertSame('processed', $first->body['status']);
        $again = Webhook::process($verifier, $body, $headers, $router, $store);
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => 'sha256:' . hash('sha256', $body)]],
            [$again->status, $again->body]);
        self::assertSame(1, $runs);
    }

    public function testWithAStoreAHandlerThatReturnsNothingIsProcessedAndCompleted(): void
    {
        $store = $this->sqlite();
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $runs = 0;
        $router = (new Router('elmed'))->on(Elmed::ORDER_STATUS_CHANGED, static function (Event $e) use (&$runs): void {
            $runs++;
        });
        [$body, $headers] = self::elmed('order.status_changed');
        $key = 'sha256:' . hash('sha256', $body);
        $first = Webhook::process($verifier, $body, $headers, $router, $store);
        self::assertSame([200, ['status' => 'processed', 'event_type' => 'order.status_changed',
            'idempotency_key' => $key]], [$first->status, $first->body]);
        self::assertSame('{"status":"processed","event_type":"order.status_changed","idempotency_key":"' . $key
            . '"}', $first->json());
        // Completed, not released: the provider's retry is a duplicate and the handler ran once.
        $again = Webhook::process($verifier, $body, $headers, $router, $store);
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]], [$again->status, $again->body]);
        self::assertSame(Claim::DUPLICATE, $store->claim('elmed', $key)->status);
        self::assertSame(1, $runs);
        // Without a store, too.
        [$other, $otherHeaders] = self::elmed('order.status_changed');
        self::assertSame(200, Webhook::process($verifier, $other, $otherHeaders, $router)->status);
        self::assertSame(2, $runs);
        self::assertSame([], $this->logLines());
    }

    public function testWithAStoreAThrowingHandlerReleasesAndTheRetryRunsIt(): void
    {
        $store = $this->sqlite();
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $fail = true;
        $runs = 0;
        $router = (new Router('elmed'))->on('order.*', static function (Event $e) use (&$fail, &$runs): array {
            $runs++;
            if ($fail) {
                throw new \RuntimeException('the database is down');
            }
            return ['status' => 'processed'];
        });
        [$body, $headers] = self::elmed('order.status_changed');
        try {
            Webhook::process($verifier, $body, $headers, $router, $store);
            self::fail('the exception did not propagate');
        } catch (\RuntimeException $e) {
            self::assertSame('the database is down', $e->getMessage());
        }
        $fail = false;
        self::assertSame([200, ['status' => 'processed']],
            (static fn (Answer $a): array => [$a->status, $a->body])(
                Webhook::process($verifier, $body, $headers, $router, $store)));
        self::assertSame('duplicate', Webhook::process($verifier, $body, $headers, $router, $store)->body['status']);
        self::assertSame(2, $runs);
    }

    public function testWithAStoreRejectAnswers501AndReleases(): void
    {
        $store = $this->sqlite();
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $rejecting = (new Router('elmed', 'reject'))
            ->on(Elmed::ORDER_STATUS_CHANGED, static fn (Event $e): array => []);
        [$body, $headers] = self::elmed('referral.created');
        $key = 'sha256:' . hash('sha256', $body);
        $answer = Webhook::process($verifier, $body, $headers, $rejecting, $store);
        self::assertSame([501, ['error' => 'unhandled_event']], [$answer->status, $answer->body]);
        self::assertSame(["hookseal: no handler for the delivery $key from elmed (referral.created): refused 501 "
            . 'unhandled_event'], $this->logLines(), 'logged once');
        // Released: the retry, after a deploy that handles the event, runs the new handler.
        $deployed = (new Router('elmed', 'reject'))->on(Elmed::REFERRAL_CREATED, static fn (Event $e): array => ['ok']);
        self::assertSame([200, ['ok']], (static fn (Answer $a): array => [$a->status, $a->body])(
            Webhook::process($verifier, $body, $headers, $deployed, $store)));
        self::assertSame('duplicate', Webhook::process($verifier, $body, $headers, $deployed, $store)->body['status']);

        // Without a store, and from a handler that dispatches the router itself: the same answer.
        [$other, $otherHeaders] = self::elmed('claim.decision');
        $answer = Webhook::process($verifier, $other, $otherHeaders,
            static fn (Event $e): mixed => $rejecting->dispatch($e));
        self::assertSame([501, ['error' => 'unhandled_event']], [$answer->status, $answer->body]);
        self::assertCount(2, $this->logLines());
    }

    public function testWithAStoreAcceptAnswers200AndCompletes(): void
    {
        $store = $this->sqlite();
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $router = (new Router('elmed'))->on(Elmed::ORDER_STATUS_CHANGED, static fn (Event $e): array => []);
        [$body, $headers] = self::elmed('referral.created');
        $key = 'sha256:' . hash('sha256', $body);
        $answer = Webhook::process($verifier, $body, $headers, $router, $store);
        self::assertSame([200, ['status' => 'unhandled', 'event_type' => 'referral.created',
            'idempotency_key' => $key]], [$answer->status, $answer->body]);
        self::assertSame('{"status":"unhandled","event_type":"referral.created","idempotency_key":"' . $key . '"}',
            $answer->json());
        // Completed: the event is done, a handler added later does not see it again.
        $later = (new Router('elmed'))->on('*', static fn (Event $e): never => throw new \LogicException('ran again'));
        self::assertSame('duplicate', Webhook::process($verifier, $body, $headers, $later, $store)->body['status']);
        self::assertSame(["hookseal: no handler for the delivery $key from elmed (referral.created): accepted"],
            $this->logLines());
    }

    public function testARouterForAnotherProviderFailsBeforeAnythingIsRead(): void
    {
        $verifier = new Verifier('elmed', ['secret' => self::ELMED_SECRET]);
        $router = (new Router('novamed'))->on('*', static fn (Event $e): never => throw new \LogicException('ran'));
        $store = $this->sqlite();
        foreach ([
            static fn () => Webhook::process($verifier, 'not even JSON', [], $router, $store),
            static fn () => Webhook::receive($verifier, $router),
        ] as $call) {
            try {
                $call();
                self::fail('a novamed router was accepted behind an elmed verifier');
            } catch (ConfigException $e) {
                self::assertSame('invalid_option: a router for novamed was given a elmed verifier', $e->getMessage());
            }
        }
        self::assertSame([], $this->logLines(), 'nothing was read, so nothing refused');
        // An unbound router, or one for the verifier's provider, is fine.
        [$body, $headers] = self::elmed('order.status_changed');
        foreach ([new Router(), new Router('elmed')] as $fine) {
            $fine->on('*', static fn (Event $e): array => []);
            self::assertSame(200, Webhook::process($verifier, $body, $headers, $fine)->status);
        }
    }

    // ---- the shared vectors' events, dispatched ----

    public function testEveryVerifiedVectorDispatchesToItsTypesHandler(): void
    {
        $exact = [];
        $dispatched = 0;
        foreach (VectorsTest::loadCases() as $case) {
            if (array_key_first(get_object_vars($case->expect)) !== 'event') {
                continue;
            }
            $verifier = new Verifier($case->provider, get_object_vars($case->options));
            $body = isset($case->body) ? $case->body : (string) base64_decode($case->body_base64, true);
            $event = $verifier->verify(str_repeat($body, $case->body_repeat ?? 1), $case->headers, $case->now ?? null);
            $documented = Catalog::EVENTS[$case->provider] ?? [];
            $ran = [];
            $router = new Router($case->provider);
            foreach ($documented as $type) {
                $router->on($type, static function (Event $e) use ($type, &$ran): string {
                    $ran[] = $type;
                    return $type;
                });
            }
            $router->on('*', static function (Event $e) use (&$ran): string {
                $ran[] = '*';
                return '*';
            });
            $expected = in_array($event->eventType, $documented, true) ? $event->eventType : '*';
            self::assertSame($expected, $router->dispatch($event), $case->name);
            self::assertSame([$expected], $ran, "{$case->name}: exactly once");
            if ($expected !== '*') {
                $exact[$case->provider] = true;
            }
            $dispatched++;
        }
        self::assertGreaterThan(100, $dispatched);
        $withCatalog = array_keys(Catalog::EVENTS);
        sort($withCatalog);
        $hit = array_keys($exact);
        sort($hit);
        self::assertSame($withCatalog, $hit, 'a provider with a catalog had no vector dispatched to an exact handler');
    }

    // ---- the generated \Hookseal\Events classes ----

    /** @return array<string, mixed> catalog/<slug>.schema.json */
    private static function catalog(string $slug): array
    {
        return self::json("catalog/$slug.schema.json");
    }

    private static function pascal(string $text): string
    {
        $parts = preg_split('/[^A-Za-z0-9]+/', $text, -1, PREG_SPLIT_NO_EMPTY) ?: [];
        return implode('', array_map('ucfirst', $parts));
    }

    /**
     * The shapes of a catalog as the generator must write them: alias => [key => [optional, type as phpdoc-parser
     * prints it]], shared objects and metadata included.
     *
     * @param array<string, mixed> $schema
     * @return array<string, array<string, array{bool, string}>>
     */
    private static function expectedShapes(array $schema): array
    {
        $events = $schema['x-hookseal']['events'];
        $defs = $schema['$defs'];
        $shapes = [];
        foreach ($defs as $name => $definition) {
            if (!in_array($name, $events, true) && !in_array(preg_replace('/\.data$/', '', $name), $events, true)) {
                $shapes[self::pascal($name)] = self::fields($definition);
            }
        }
        if (isset($schema['properties']['metadata']['properties'])) {
            $shapes['Metadata'] = self::fields($schema['properties']['metadata']);
        }
        foreach ($events as $type) {
            if (($defs[$type]['x-hookseal-documented'] ?? false) === true) {
                $data = $defs[$type]['properties']['data'];
                if (isset($data['$ref'])) {
                    $data = $defs[substr($data['$ref'], strlen('#/$defs/'))];
                }
                $shapes[self::pascal($type) . 'Data'] = self::fields($data);
            }
        }
        return $shapes;
    }

    /**
     * @param array<string, mixed> $object
     * @return array<string, array{bool, string}>
     */
    private static function fields(array $object): array
    {
        $required = $object['required'] ?? [];
        $fields = [];
        foreach ($object['properties'] ?? [] as $name => $node) {
            $fields[$name] = [!in_array($name, $required, true), self::phpdoc($node)];
        }
        return $fields;
    }

    /** @param array<string, mixed> $node the phpdoc type of a catalog node, as phpdoc-parser's nodes print it */
    private static function phpdoc(array $node): string
    {
        if (isset($node['$ref'])) {
            return self::pascal(substr($node['$ref'], strlen('#/$defs/')));
        }
        $kinds = (array) ($node['type'] ?? []);
        $nullable = in_array('null', $kinds, true);
        $kinds = array_values(array_diff($kinds, ['null']));
        if ($kinds === []) {
            return 'mixed';
        }
        self::assertCount(1, $kinds);
        $types = match ($kinds[0]) {
            'string' => ['string'],
            'integer' => ['int'],
            'number' => ['int', 'float'],
            'boolean' => ['bool'],
            'array' => ['list<' . (isset($node['items']) ? self::phpdoc($node['items']) : 'mixed') . '>'],
            'object' => ['array{' . implode(', ', array_merge(array_map(
                static fn (string $k, array $f): string => $k . ($f[0] ? '?' : '') . ': ' . $f[1],
                array_keys(self::fields($node)),
                self::fields($node),
            ), ['...'])) . '}'],
        };
        if ($nullable) {
            $types[] = 'null';
        }
        return count($types) === 1 ? $types[0] : '(' . implode(' | ', $types) . ')';
    }

    private static function parseDoc(string $doc): PhpDocNode
    {
        if (!is_file(self::PHPDOC_PARSER)) {
            self::fail('PHPStan\'s phpdoc-parser is missing: apt-get install php-phpstan-phpdoc-parser '
                . '(scripts/ensure-tools.sh)');
        }
        require_once self::PHPDOC_PARSER;
        $constants = new ConstExprParser();
        $parser = new PhpDocParser(new TypeParser($constants), $constants);
        return $parser->parse(new TokenIterator((new Lexer())->tokenize($doc)));
    }

    public function testTheGeneratedShapesAreTheCatalogsParsedByPhpstansPhpdocParser(): void
    {
        $aliasesSeen = 0;
        foreach (self::SLUGS as $slug => $class) {
            $schema = self::catalog($slug);
            $reflection = new \ReflectionClass($class);
            self::assertTrue($reflection->isFinal(), $class);
            $doc = self::parseDoc((string) $reflection->getDocComment());
            foreach ($doc->getTags() as $tag) {
                self::assertNotInstanceOf(InvalidTagValueNode::class, $tag->value, "$class: $tag");
            }
            $expected = self::expectedShapes($schema);
            $byTag = [];
            foreach (['@phpstan-type', '@psalm-type'] as $tagName) {
                foreach ($doc->getTypeAliasTagValues($tagName) as $alias) {
                    self::assertArrayNotHasKey($alias->alias, $byTag[$tagName] ?? [],
                        "$class: $tagName {$alias->alias} twice");
                    $shape = $alias->type;
                    self::assertInstanceOf(ArrayShapeNode::class, $shape, "$class: $tagName {$alias->alias}");
                    self::assertSame(ArrayShapeNode::KIND_ARRAY, $shape->kind);
                    self::assertFalse($shape->sealed, "$class: {$alias->alias} is open (ends in ...)");
                    $got = [];
                    foreach ($shape->items as $item) {
                        self::assertNotNull($item->keyName, "$class: {$alias->alias} has a key-less item");
                        $got[trim((string) $item->keyName, '\'"')] = [$item->optional, (string) $item->valueType];
                    }
                    $byTag[$tagName][$alias->alias] = $got;
                }
            }
            self::assertSame($expected, $byTag['@phpstan-type'] ?? [], "$class: @phpstan-type against catalog/$slug");
            self::assertSame($expected, $byTag['@psalm-type'] ?? [], "$class: @psalm-type against catalog/$slug");
            $aliasesSeen += count($expected);

            // Every accessor's @return names one of these aliases; every documented payload has its accessor.
            $accessors = [];
            $registrations = [];
            foreach ($reflection->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
                if (preg_match('/^on[A-Z]/', $method->name)) {
                    // A typed registration: @param callable(Event, <the data alias>): mixed $handler.
                    $params = self::parseDoc((string) $method->getDocComment())->getParamTagValues();
                    self::assertCount(1, $params, "$class::{$method->name}: one @param");
                    $callable = $params[0]->type;
                    self::assertInstanceOf(CallableTypeNode::class, $callable, "$class::{$method->name}");
                    self::assertSame('Event', (string) $callable->parameters[0]->type);
                    $alias = (string) $callable->parameters[1]->type;
                    self::assertArrayHasKey($alias, $expected, "$class::{$method->name}: the handler's data $alias");
                    $registrations[$method->name] = $alias;
                    continue;
                }
                $returns = self::parseDoc((string) $method->getDocComment())->getReturnTagValues();
                self::assertCount(1, $returns, "$class::{$method->name}: one @return");
                $type = $returns[0]->type;
                if ($type instanceof UnionTypeNode) { // Baremeds::metadata(): Metadata|null
                    self::assertSame('null', (string) $type->types[1]);
                    $type = $type->types[0];
                }
                self::assertInstanceOf(IdentifierTypeNode::class, $type, "$class::{$method->name}");
                self::assertArrayHasKey($type->name, $expected, "$class::{$method->name}: @return {$type->name}");
                $accessors[$method->name] = $type->name;
            }
            $wanted = [];
            foreach ($schema['x-hookseal']['events'] as $eventType) {
                if ($schema['$defs'][$eventType]['x-hookseal-documented'] ?? false) {
                    $wanted[lcfirst(self::pascal($eventType)) . 'Data'] = self::pascal($eventType) . 'Data';
                }
            }
            if (isset($expected['Metadata'])) {
                $wanted['metadata'] = 'Metadata';
            }
            ksort($wanted);
            ksort($accessors);
            self::assertSame($wanted, $accessors, "$class: accessors, each with its data's alias");
            $registered = [];
            foreach ($wanted as $accessor => $alias) {
                if ($accessor !== 'metadata') {
                    $registered['on' . ucfirst(substr($accessor, 0, -strlen('Data')))] = $alias;
                }
            }
            ksort($registered);
            ksort($registrations);
            self::assertSame($registered, $registrations, "$class: typed registrations, each with its data's alias");

            self::assertSame($schema['x-hookseal']['events'], $class::EVENTS, "$class::EVENTS");
            self::assertSame($schema['x-hookseal']['provider'], $class::PROVIDER);
            self::assertSame($class::EVENTS, Catalog::EVENTS[$class::PROVIDER]);
            self::assertSame($class, Catalog::CLASSES[$class::PROVIDER]);
        }
        self::assertSame(array_map(static fn (string $c): string => $c::PROVIDER, array_values(self::SLUGS)),
            array_keys(Catalog::EVENTS));
        self::assertGreaterThanOrEqual(15, $aliasesSeen);
    }

    public function testTheAccessorsCheckTheEventAndHandTheSamplesDataOver(): void
    {
        $checked = 0;
        foreach (['elmed' => [Elmed::class, self::ELMED_SECRET, []],
                     'novamed' => [Novamed::class, self::NOVAMED_KEY, ['clinic_id' => self::CLINIC]],
                     'baremeds' => [Baremeds::class, 'bm_key_router_test', []]] as $slug => [$class, $secret, $more]) {
            $schema = self::catalog($slug);
            $verifier = new Verifier($slug, ['secret' => $secret] + $more);
            foreach (glob(self::ROOT . "/tests/samples/$slug/*.json") ?: [] as $file) {
                $body = (string) file_get_contents($file);
                $event = $verifier->verify($body, sign($slug, $body, ['secret' => $secret]));
                $method = lcfirst(self::pascal((string) $event->eventType)) . 'Data';
                $data = $class::$method($event);
                self::assertSame($event->data, $data, "$class::$method");
                // The typed registration: the handler gets the event and its data, under the event's type only.
                $register = 'on' . self::pascal((string) $event->eventType);
                $router = $class::$register(new Router($event->provider), static fn (Event $e, array $d): array => [$e, $d]);
                self::assertSame([(string) $event->eventType], $router->patterns(), "$class::$register");
                self::assertSame([$event, $data], $router->dispatch($event), "$class::$register");
                try {
                    $class::$register(new Router($event->provider === 'elmed' ? 'novamed' : 'elmed'), 'strlen');
                    self::fail("$class::$register took a router of another provider");
                } catch (ConfigException $e) {
                    self::assertSame('invalid_option', $e->errorCode);
                    self::assertStringContainsString("$class::$register() registers a {$event->provider} event", $e->getMessage());
                }
                $definition = $schema['$defs'][$event->eventType]['properties']['data'];
                foreach ($definition['required'] ?? [] as $key) {
                    self::assertArrayHasKey($key, $data, "$class::$method: a required key");
                }
                // The wrong type, the wrong provider.
                $other = new Event($event->provider, 'something.else', 'k', 'body_sha256', null, $data, false, false,
                    null, null);
                $foreign = new Event('standard-webhooks', $event->eventType, 'k', 'body_sha256', null, $data, false,
                    false, null, null);
                foreach ([$other, $foreign] as $wrong) {
                    try {
                        $class::$method($wrong);
                        self::fail("$class::$method took a {$wrong->provider} {$wrong->eventType} event");
                    } catch (ConfigException $e) {
                        self::assertSame('invalid_option', $e->errorCode);
                        self::assertStringContainsString("$class::$method()", $e->getMessage());
                    }
                }
                $checked++;
            }
        }
        self::assertSame(13, $checked, 'every documented sample');
        $metadata = Baremeds::metadata(new Event('baremeds', 'order_changed', 'k', 'request_id', null, [], false, false,
            ['request_id' => 'r', 'retry' => false], null));
        self::assertSame(['request_id' => 'r', 'retry' => false], $metadata);
        $this->expectException(\UnexpectedValueException::class);
        $this->expectExceptionMessage('not a JSON object');
        Elmed::claimDecisionData(new Event('elmed', 'claim.decision', 'k', 'body_sha256', null, 'text', false, false,
            null, null));
    }

    // ---- examples/php ----

    /** @param array<string, string> $headers @return array{int, mixed} */
    private function post(int $port, string $path, string $body, array $headers): array
    {
        $context = stream_context_create(['http' => ['method' => 'POST', 'ignore_errors' => true, 'timeout' => 10,
            'header' => implode("\r\n", array_map(static fn ($n, $v) => "$n: $v", array_keys($headers), $headers)),
            'content' => $body]]);
        $answer = file_get_contents("http://127.0.0.1:$port$path", false, $context);
        self::assertIsString($answer);
        preg_match('~^HTTP/1\.[01] (\d{3})~', $http_response_header[0] ?? '', $m);
        return [(int) ($m[1] ?? 0), json_decode($answer, true)];
    }

    public function testTheExampleRoutesEachTypeToItsOneHandler(): void
    {
        $dir = sys_get_temp_dir() . '/hookseal-router-example-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($dir);
        $this->scratch[] = $dir;
        $server = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($server);
        $name = (string) stream_socket_get_name($server, false);
        fclose($server);
        $port = (int) substr($name, strrpos($name, ':') + 1);
        $env = ['ELMED_WEBHOOK_SECRET' => self::ELMED_SECRET, 'NOVAMED_WEBHOOK_SECRET' => self::NOVAMED_KEY,
            'HOOKSEAL_STORE' => "sqlite://$dir/store.db"] + getenv();
        $this->server = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', '-S', "127.0.0.1:$port", '-t',
            self::ROOT . '/examples/php'], [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$dir/log", 'a'],
            2 => ['file', "$dir/log", 'a']], $pipes, self::ROOT, $env);
        self::assertIsResource($this->server);
        $deadline = microtime(true) + 10;
        while (($probe = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, 0.2)) === false) {
            self::assertLessThan($deadline, microtime(true), 'php -S did not start: ' . @file_get_contents("$dir/log"));
            usleep(20_000);
        }
        fclose($probe);

        $deliveries = [
            ['/webhooks/elmed', 'elmed', self::ELMED_SECRET, (string) file_get_contents(self::ROOT
                . '/tests/samples/elmed/prescription.issued.json'), 'ELMED prescription RX-2026-00042 issued'],
            ['/webhooks/elmed', 'elmed', self::ELMED_SECRET, '{"event":"referral.created","data":{}}',
                'elmed event referral.created received'],
            ['/webhooks/novamed', 'novamed', self::NOVAMED_KEY, (string) file_get_contents(self::ROOT
                . '/tests/samples/novamed/medication_request.approved.json'),
                'NovaMed medication request med_req_11111 approved'],
            ['/webhooks/novamed', 'novamed', self::NOVAMED_KEY,
                '{"event_type":"refill:denied","event_id":"evt_router_1","data":{}}',
                'novamed event refill:denied received'],
        ];
        foreach ($deliveries as [$path, $provider, $secret, $body, $line]) {
            $event = json_decode($body, true);
            [$status, $answer] = $this->post($port, $path, $body, sign($provider, $body, ['secret' => $secret]));
            self::assertSame(200, $status, $body);
            self::assertSame('processed', $answer['status']);
            self::assertSame($event['event'] ?? $event['event_type'], $answer['event_type']);
            $log = (string) file_get_contents("$dir/log");
            self::assertSame(1, substr_count($log, "webhooks: $line"), "one handler ran: $line\n$log");
            self::assertSame(1, substr_count($log, "webhooks: processing {$answer['idempotency_key']}"));
        }
        $log = (string) file_get_contents("$dir/log");
        self::assertStringNotContainsString('documents no event', $log, 'the example routes only documented types');
        self::assertDoesNotMatchRegularExpression('/PHP (Warning|Notice|Deprecated|Fatal)/', $log);
    }
}
