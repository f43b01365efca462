<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

use function Hookseal\sign;

require_once __DIR__ . '/PhpServer.php';

/**
 * The framework helpers against Debian 12's packages (php-laravel-framework 8.83, php-symfony-http-foundation 5.4),
 * served for real by `php -S`: examples/laravel (Hookseal\Laravel\VerifyWebhook) and examples/symfony
 * (Webhook::handle() on Symfony's Request), each with FFI enabled and with FFI preloading, receiving real signed
 * deliveries; and tests/fixtures/laravel-app.php, the Laravel example with the routes that exercise the traps and
 * the middleware's settling of a claim.
 */
final class FrameworkTest extends TestCase
{
    private const ELMED_SECRET = 'elmed_whsk_framework_test_31f0';
    private const NOVAMED_KEY = 'nm_key_framework_test_8b2c';
    private const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
    private const LIMIT = 4096;

    private static string $scratch;

    private ?PhpServer $server = null;

    public static function setUpBeforeClass(): void
    {
        self::$scratch = sys_get_temp_dir() . '/hookseal-php-framework-test-' . getmypid();
        @mkdir(self::$scratch, 0755, true);
    }

    public static function tearDownAfterClass(): void
    {
        exec('rm -rf ' . escapeshellarg(self::$scratch));
    }

    protected function setUp(): void
    {
        foreach (['/usr/share/php/Illuminate/autoload.php', '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php']
            as $autoloader) {
            // Not skipped: `make test-php` must not pass on a machine without the packages (scripts/ensure-tools.sh).
            self::assertFileExists($autoloader, 'apt-get install php-laravel-framework php-symfony-http-foundation');
        }
    }

    protected function tearDown(): void
    {
        $this->server?->stop();
        $this->server = null;
    }

    private static function root(): string
    {
        return dirname(__DIR__, 3);
    }

    /** @return list<string> the server's arguments after `-S host:port` */
    private static function app(string $name): array
    {
        $root = self::root();
        return match ($name) {
            'laravel' => ['-t', "$root/examples/laravel/public", "$root/examples/laravel/public/index.php"],
            'laravel fixture' => ['-t', "$root/examples/laravel/public", "$root/bindings/php/tests/fixtures/laravel-app.php"],
            'symfony' => ['-t', "$root/examples/symfony"],
        };
    }

    /** @return list<string> */
    private static function preloading(): array
    {
        $header = self::$scratch . '/hookseal.h';
        if (!is_file($header)) {
            exec(implode(' ', array_map('escapeshellarg',
                [PHP_BINARY, self::root() . '/bindings/php/ffi-header.php', $header])) . ' 2>&1', $out, $code);
            self::assertSame(0, $code, implode("\n", $out));
        }
        return ['-d', 'ffi.enable=preload', '-d', "ffi.preload=$header", '-d', 'opcache.enable=1',
            '-d', 'opcache.enable_cli=1', '-d', 'opcache.preload=' . self::root() . '/bindings/php/preload.php',
            '-d', 'opcache.preload_user=' . trim((string) shell_exec('id -un'))];
    }

    /**
     * @param list<string> $settings
     * @param array<string, string> $env
     */
    private function start(string $app, array $settings = ['-d', 'ffi.enable=1'], array $env = []): PhpServer
    {
        $dir = self::$scratch . '/run-' . bin2hex(random_bytes(4));
        mkdir($dir, 0755, true);
        $this->server = new PhpServer(array_merge([PHP_BINARY], $settings), self::app($app), array_merge(getenv(), [
            'ELMED_WEBHOOK_SECRET' => self::ELMED_SECRET,
            'NOVAMED_WEBHOOK_SECRET' => self::NOVAMED_KEY,
            'NOVAMED_CLINIC_ID' => self::CLINIC,
            'HOOKSEAL_MAX_BODY_BYTES' => (string) self::LIMIT,
            'HOOKSEAL_STORE' => "sqlite://$dir/store.db",
            // Laravel's provider manifests, out of the checkout's bootstrap/cache.
            'APP_SERVICES_CACHE' => "$dir/services.php",
            'APP_PACKAGES_CACHE' => "$dir/packages.php",
        ], $env), "$dir/server.log", self::root());
        return $this->server;
    }

    /** @return array<string, string> */
    private static function signed(string $body): array
    {
        return sign('elmed', $body, ['secret' => self::ELMED_SECRET]);
    }

    /** A signed ELMED delivery of exactly `$size` bytes, padded inside its data. */
    private static function ofSize(int $size): string
    {
        $shell = '{"event":"order.status_changed","data":{"order_number":"ORD-PAD","pad":""}}';
        return str_replace('"pad":""', '"pad":"' . str_repeat('x', $size - strlen($shell)) . '"', $shell);
    }

    /** Symfony is not a dependency: without it the binding loads and works, and the adapters say what they need. */
    public function testTheBindingLoadsWithoutSymfony(): void
    {
        $probe = 'require "bindings/php/autoload.php"; $v = new Hookseal\\Verifier("elmed", ["secret" => "s"]);'
            . ' $b = "{\\"event\\":\\"a\\"}"; echo $v->verify($b, Hookseal\\sign("elmed", $b, ["secret" => "s"]))->eventType;'
            . ' foreach ([["event" => "a"], new stdClass()] as $r) { try { $v->verifyRequest($r); } catch (TypeError $e)'
            . ' { echo "\\n", $e->getMessage(); } }'
            . ' echo "\\n", json_encode(class_exists("Symfony\\\\Component\\\\HttpFoundation\\\\Request", false));';
        exec(implode(' ', array_map('escapeshellarg', [PHP_BINARY, '-n', '-d', 'extension=ffi', '-d', 'ffi.enable=1',
            '-r', $probe])) . ' 2>&1', $out, $code);
        $output = implode("\n", $out);
        self::assertSame(0, $code, $output);
        self::assertSame('a', $out[0], $output);
        self::assertStringStartsWith('hookseal: Verifier::verifyRequest() was given an array, the request\'s parsed input',
            $out[1]);
        self::assertSame('hookseal: Verifier::verifyRequest() takes a Symfony or Laravel Request '
            . '(Symfony\Component\HttpFoundation\Request), not stdClass (symfony/http-foundation is not loaded)', $out[2]);
        self::assertSame('false', $out[3]);
    }

    /** @return array<string, array{string, string}> */
    public static function servers(): array
    {
        return [
            'laravel, ffi.enable=1' => ['laravel', 'ffi'],
            'laravel, preloading' => ['laravel', 'preload'],
            'symfony, ffi.enable=1' => ['symfony', 'ffi'],
            'symfony, preloading' => ['symfony', 'preload'],
        ];
    }

    /** @dataProvider servers */
    public function testDeliveries(string $app, string $setup): void
    {
        $server = $this->start($app, $setup === 'ffi' ? ['-d', 'ffi.enable=1'] : self::preloading());
        $elmed = file_get_contents(self::root() . '/tests/samples/elmed/order.status_changed.json');
        $key = 'sha256:' . hash('sha256', $elmed);
        $headers = self::signed($elmed);

        // Genuine: processed once, then a duplicate, also when the same bytes come chunked.
        self::assertSame([200, ['status' => 'processed', 'event_type' => 'order.status_changed',
            'idempotency_key' => $key, 'is_test' => false]], $server->post('/webhooks/elmed', $elmed, $headers));
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]],
            $server->post('/webhooks/elmed', $elmed, $headers));
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]],
            $server->post('/webhooks/elmed', $elmed, $headers, chunked: true));

        // Not genuine: a changed byte, a wrong key, no signature.
        self::assertSame([401, ['error' => 'signature_mismatch']],
            $server->post('/webhooks/elmed', str_replace('IN_TRANSIT', 'DELIVERED', $elmed), $headers));
        self::assertSame([401, ['error' => 'signature_mismatch']],
            $server->post('/webhooks/elmed', $elmed, sign('elmed', $elmed, ['secret' => 'not the secret'])));
        self::assertSame([401, ['error' => 'missing_header']],
            $server->post('/webhooks/elmed', $elmed, ['Content-Type' => 'application/json']));

        $novamed = file_get_contents(self::root() . '/tests/samples/novamed/order.shipped.json');
        self::assertSame([401, ['error' => 'key_mismatch']],
            $server->post('/webhooks/novamed', $novamed, sign('novamed', $novamed, ['secret' => 'nm_key_wrong'])));
        self::assertSame([200, ['status' => 'processed', 'event_type' => 'order:shipped',
            'idempotency_key' => 'evt_abc123xyz', 'is_test' => true]], $server->post('/webhooks/novamed', $novamed,
            sign('novamed', $novamed, ['secret' => self::NOVAMED_KEY]) + ['X-Webhook-Test' => 'true']));
        $elsewhere = str_replace(self::CLINIC, 'another-clinic', $novamed);
        self::assertSame([400, ['error' => 'clinic_mismatch']], $server->post('/webhooks/novamed', $elsewhere,
            sign('novamed', $elsewhere, ['secret' => self::NOVAMED_KEY])));

        // Size: over the limit, declared or chunked, is 413; exactly the limit passes, either way.
        $big = self::ofSize(self::LIMIT + 1);
        self::assertSame([413, ['error' => 'payload_too_large']], $server->post('/webhooks/elmed', $big,
            self::signed($big)));
        self::assertSame([413, ['error' => 'payload_too_large']], $server->post('/webhooks/elmed', $big,
            self::signed($big), chunked: true));
        $huge = self::ofSize(64 * self::LIMIT);
        self::assertSame([413, ['error' => 'payload_too_large']], $server->post('/webhooks/elmed', $huge,
            self::signed($huge), chunked: true));
        $exact = self::ofSize(self::LIMIT);
        self::assertSame(self::LIMIT, strlen($exact));
        self::assertSame([200, 'processed'], array_map(static fn ($v) => $v['status'] ?? $v,
            $server->post('/webhooks/elmed', $exact, self::signed($exact))));
        $exactToo = str_replace('ORD-PAD', 'ORD-PAE', $exact);
        self::assertSame([200, 'processed'], array_map(static fn ($v) => $v['status'] ?? $v,
            $server->post('/webhooks/elmed', $exactToo, self::signed($exactToo), chunked: true)));

        // Genuine but not JSON, binary, without a type.
        foreach (['not json at all', "{\"event\":\"a\"}\0\xff"] as $body) {
            self::assertSame([400, ['error' => 'invalid_json']],
                $server->post('/webhooks/elmed', $body, self::signed($body)));
        }
        self::assertSame([400, ['error' => 'missing_field']],
            $server->post('/webhooks/elmed', '{"data":{}}', self::signed('{"data":{}}')));

        // The bytes as sent, whatever the framework does to its parsed input (Laravel's TrimStrings and
        // ConvertEmptyStringsToNull run before the middleware): the handler sees the padded value.
        $padded = '{"event":"order.status_changed","data":{"order_number":"  ORD-TRIM  ","status":"","note":"a/b"}}';
        self::assertSame(200, $server->post('/webhooks/elmed', $padded, self::signed($padded))[0]);

        self::assertSame([404, ['error' => 'not_found']], $server->post('/webhooks/stripe', '{}', []));
        [$status, $answer, $answerHeaders] = $server->request('GET', '/webhooks/elmed', '', []);
        self::assertSame([405, ['error' => 'method_not_allowed'], 'POST'], [$status, $answer, $answerHeaders['allow']]);

        $log = $server->output();
        self::assertStringContainsString(
            'hookseal: refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ', $log);
        self::assertStringContainsString(
            'hookseal: refused a delivery from elmed (POST /webhooks/elmed): payload_too_large: ', $log);
        self::assertStringContainsString('ELMED order ORD-2026-00088 is now IN_TRANSIT', $log);
        self::assertStringContainsString('ELMED order   ORD-TRIM   is now ' . "\n", $log);
        self::assertSame(1, substr_count($log, "processing $key"), 'processed once');
        self::assertStringNotContainsString(self::ELMED_SECRET, $log);
        self::assertStringNotContainsString(self::NOVAMED_KEY, $log);
        self::assertDoesNotMatchRegularExpression('/PHP (Warning|Notice|Deprecated|Fatal)/', $log);
    }

    /**
     * A body PHP has already taken apart (multipart/form-data goes to $_POST, php://input stays empty) cannot be
     * verified: the helper says why (500), never a 401 that would send the developer looking for a wrong secret.
     *
     * @dataProvider apps
     */
    public function testABodyThatIsGoneIsAnExplainedServerError(string $app): void
    {
        $server = $this->start($app);
        $boundary = 'hookseal-boundary';
        $body = "--$boundary\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\norder.status_changed\r\n"
            . "--$boundary--\r\n";
        $headers = ['Content-Type' => "multipart/form-data; boundary=$boundary"]
            + array_diff_key(self::signed($body), ['Content-Type' => true]);
        self::assertSame([500, ['error' => 'internal_error']], $server->post('/webhooks/elmed', $body, $headers));
        $log = $server->output();
        self::assertStringContainsString('hookseal: the raw body of this delivery is gone: the request announced a body '
            . 'of ' . strlen($body) . ' bytes, but PHP parsed the multipart/form-data body into $_POST', $log);
        self::assertStringContainsString('enable_post_data_reading=Off', $log);
        self::assertStringNotContainsString('refused a delivery', $log);
    }

    /**
     * Symfony has not read the body when Webhook::handle() runs: an oversize chunked body is read one byte past the
     * limit, not whole. With memory_limit under the body's size, reading it whole would be a fatal error (500).
     */
    public function testSymfonyReadsAnOversizeChunkedBodyNoFurtherThanTheLimit(): void
    {
        $server = $this->start('symfony', ['-d', 'ffi.enable=1', '-d', 'memory_limit=8M']);
        $huge = self::ofSize(12 * 1024 * 1024);
        self::assertSame([413, ['error' => 'payload_too_large']],
            $server->post('/webhooks/elmed', $huge, ['Content-Type' => 'application/json'], chunked: true));
        self::assertStringNotContainsString('memory size', $server->output());
    }

    /** @return array<string, array{string}> */
    public static function apps(): array
    {
        return ['laravel' => ['laravel'], 'symfony' => ['symfony']];
    }

    /** @dataProvider apps */
    public function testTheRedisStore(string $app): void
    {
        $url = getenv('HOOKSEAL_TEST_REDIS_URL');
        self::assertIsString($url, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh (make test-php)');
        $server = $this->start($app, env: ['HOOKSEAL_STORE' => $url]);
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-' . bin2hex(random_bytes(6)) . '"}}';
        self::assertSame('processed', $server->post('/webhooks/elmed', $body, self::signed($body))[1]['status']);
        self::assertSame('duplicate', $server->post('/webhooks/elmed', $body, self::signed($body))[1]['status']);
    }

    /** @dataProvider apps */
    public function testAStoreThatIsDownAndACopyInProgress(string $app): void
    {
        $server = $this->start($app, env: ['HOOKSEAL_STORE' => 'redis://127.0.0.1:' . PhpServer::freePort() . '/0']);
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-DOWN"}}';
        [$status, $answer, $headers] = $server->request('POST', '/webhooks/elmed', $body, self::signed($body));
        self::assertSame([503, ['error' => 'store_unavailable'], '5'], [$status, $answer, $headers['retry-after']]);
        self::assertStringContainsString('hookseal: refused a delivery from elmed (POST /webhooks/elmed): '
            . 'store_unavailable: ', $server->output());
        self::assertStringNotContainsString('processing', $server->output());
        $server->stop();

        // Two copies at once, two workers: the second is told to come back while the first is processed.
        $server = $this->start($app, env: ['HOOKSEAL_EXAMPLE_DELAY_MS' => '1500', 'PHP_CLI_SERVER_WORKERS' => '2']);
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-SLOW"}}';
        $first = $server->send('POST', '/webhooks/elmed', $body, self::signed($body));
        $deadline = microtime(true) + 5;
        while (!str_contains($server->output(), 'processing ') && microtime(true) < $deadline) {
            usleep(20_000);
        }
        [$status, $answer, $headers] = $server->request('POST', '/webhooks/elmed', $body, self::signed($body));
        self::assertSame([503, ['error' => 'in_progress']], [$status, $answer]);
        self::assertGreaterThanOrEqual(1, (int) $headers['retry-after']);
        self::assertSame('processed', PhpServer::answer($first)[1]['status']);
        self::assertSame('duplicate', $server->post('/webhooks/elmed', $body, self::signed($body))[1]['status']);
    }

    /**
     * Laravel's `$request->all()` trap: the parsed input, trimmed by TrimStrings, is not the signed bytes. The helper
     * refuses it with its explanation (500), as it refuses a body a middleware rebuilt from it; never a 401.
     */
    public function testLaravelTrapsAreExplainedServerErrors(): void
    {
        $server = $this->start('laravel fixture');
        $body = '{"event":"order.status_changed","data":{"order_number":"  ORD-7  ","amount":850.00}}';
        self::assertSame([500, ['error' => 'internal_error']], $server->post('/fixture/all', $body, self::signed($body)));
        self::assertSame([500, ['error' => 'internal_error']],
            $server->post('/fixture/reencoded', $body, self::signed($body)));
        $log = $server->output();
        self::assertStringContainsString('TypeError(code: 0): hookseal: Verifier::verifyRequest() was given an array, '
            . "the request's parsed input (what Laravel's \$request->all()", $log);
        self::assertStringContainsString('pass the Request itself', $log);
        self::assertStringContainsString('LogicException(code: 0): hookseal: the raw body of this delivery is gone: the '
            . 'request announced a body of ' . strlen($body) . ' bytes, but the Request\'s content holds ', $log);
        self::assertStringContainsString('json_encode($request->all())', $log);
        self::assertStringNotContainsString('refused a delivery', $log);
        self::assertStringNotContainsString('processing', $log);
        // The same delivery on the example's route is genuine: nothing above was a wrong signature.
        self::assertSame(200, $server->post('/webhooks/elmed', $body, self::signed($body))[0]);
    }

    /**
     * A middleware after `hookseal:` that answers without the controller (throttle's 429, auth's 401) leaves the
     * delivery unprocessed: released, so the retry runs the controller. The controller's VerifyWebhook::event() is
     * the sign that it ran; with `hookseal:` last, no sign is needed.
     */
    public function testLaravelReleasesADeliveryAMiddlewareAfterItAnsweredAlone(): void
    {
        $server = $this->start('laravel fixture');
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-GUARDED"}}';
        $key = 'sha256:' . hash('sha256', $body);
        self::assertSame([429, ['error' => 'too_many_requests']],
            $server->post('/fixture/guarded', $body, self::signed($body) + ['X-Guard' => '429']));
        self::assertStringNotContainsString("fixture: controller ran for $key", $server->output());
        self::assertSame([200, ['status' => 'processed', 'idempotency_key' => $key]],
            $server->post('/fixture/guarded', $body, self::signed($body)));
        self::assertStringContainsString('hookseal: the controller of POST /fixture/guarded did not read '
            . "VerifyWebhook::event() behind hookseal:elmed (Guard after it; answered 429): the claim on $key is "
            . 'released', $server->output());
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]],
            $server->post('/fixture/guarded', $body, self::signed($body)));
        self::assertSame(1, substr_count($server->output(), "fixture: controller ran for $key"), $server->output());

        // hookseal: last, a controller that reads the attribute: completed (nothing after it can answer alone).
        $last = '{"event":"order.status_changed","data":{"order_number":"ORD-LAST"}}';
        self::assertSame('processed', $server->post('/fixture/attribute', $last, self::signed($last))[1]['status']);
        self::assertSame('duplicate', $server->post('/fixture/attribute', $last, self::signed($last))[1]['status']);

        // Not last, and the controller gave no sign: released (at least once, never lost), and the log says why.
        $unsure = '{"event":"order.status_changed","data":{"order_number":"ORD-UNSURE"}}';
        foreach ([1, 2] as $attempt) {
            self::assertSame('processed', $server->post('/fixture/attribute-guarded', $unsure,
                self::signed($unsure))[1]['status'], "attempt $attempt");
        }
        self::assertSame(2, substr_count($server->output(), 'hookseal: the controller of POST /fixture/attribute-guarded '
            . 'did not read VerifyWebhook::event()'), $server->output());
        self::assertStringContainsString("Put 'hookseal:elmed' last in the route's middleware", $server->output());
    }

    /**
     * A controller taking a FormRequest gets a copy of the request (FormRequest::createFrom()): its
     * VerifyWebhook::event() still tells the middleware, behind a middleware after `hookseal:`, that it ran, so the
     * delivery is completed and its retry is a duplicate. Its failed validation (a ValidationException Laravel renders
     * 422 before the middleware sees the response) is a failure: released, the retry validated again.
     */
    public function testLaravelCountsAFormRequestsReadOfTheEvent(): void
    {
        $server = $this->start('laravel fixture');
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-FORM"}}';
        $key = 'sha256:' . hash('sha256', $body);
        self::assertSame([200, ['status' => 'processed', 'idempotency_key' => $key]],
            $server->post('/fixture/form-guarded', $body, self::signed($body)));
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]],
            $server->post('/fixture/form-guarded', $body, self::signed($body)));
        $log = $server->output();
        self::assertSame(1, substr_count($log, "fixture: form request controller ran for $key (OrderWebhookRequest)"),
            $log);
        self::assertStringNotContainsString('did not read VerifyWebhook::event()', $log);

        // No order number: 422 from Laravel's validation, on either route, every time (released, never a duplicate).
        $invalid = '{"event":"order.status_changed","data":{"status":"IN_TRANSIT"}}';
        foreach (['/fixture/form-guarded', '/fixture/form'] as $path) {
            foreach ([1, 2] as $attempt) {
                [$status, $answer] = $server->post($path, $invalid,
                    self::signed($invalid) + ['Accept' => 'application/json']);
                self::assertSame(422, $status, "$path, attempt $attempt: " . json_encode($answer) . $server->output());
                self::assertSame(['data.order_number'], array_keys($answer['errors'] ?? []), "$path, attempt $attempt");
            }
        }
        $log = $server->output();
        self::assertStringNotContainsString('fixture: form request controller ran for sha256:'
            . hash('sha256', $invalid), $log);
        self::assertStringNotContainsString('did not read VerifyWebhook::event()', $log, 'released as a failure');
        // hookseal: last, a valid delivery through the FormRequest: completed, then a duplicate.
        $fixed = '{"event":"order.status_changed","data":{"order_number":"ORD-FORM-LAST"}}';
        self::assertSame('processed', $server->post('/fixture/form', $fixed, self::signed($fixed))[1]['status']);
        self::assertSame('duplicate', $server->post('/fixture/form', $fixed, self::signed($fixed))[1]['status']);
    }

    /**
     * A body a middleware read as a resource first (getContent(true): Symfony then holds `false`, and hookseal reads
     * php://input, which PHP lets every reader read whole): verified. Laravel reads a JSON body itself, so the
     * delivery is sent as text/plain, which Laravel leaves unread.
     */
    public function testLaravelVerifiesABodyReadAsAResourceBeforeIt(): void
    {
        $server = $this->start('laravel fixture');
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-RESOURCE"}}';
        $headers = ['Content-Type' => 'text/plain'] + self::signed($body);
        self::assertSame([200, 'processed'], array_map(static fn ($v) => $v['status'] ?? $v,
            $server->post('/fixture/resource', $body, $headers)));
        self::assertStringContainsString('fixture: read ' . strlen($body) . ' bytes', $server->output());
        self::assertSame([200, 'duplicate'], array_map(static fn ($v) => $v['status'] ?? $v,
            $server->post('/fixture/resource', $body, $headers, chunked: true)));
    }

    /**
     * In process: a Request whose content is a stream (Request::create() with a resource, or a stream a middleware
     * put there) is read from its start, within the limit; a Request whose getContent(true) was called has handed
     * out php://input, which the CLI has empty: the bytes announced are gone, and the helper says so.
     */
    public function testSymfonyRequestBodiesHeldAsResources(): void
    {
        require_once '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
        $verifier = new \Hookseal\Verifier('elmed', ['secret' => self::ELMED_SECRET, 'max_body_bytes' => self::LIMIT]);
        $stream = static function (string $bytes) {
            $resource = fopen('php://temp', 'r+');
            fwrite($resource, $bytes);
            return $resource;   // left at its end, as a writer leaves it
        };
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-STREAM"}}';
        $request = \Symfony\Component\HttpFoundation\Request::create('/webhooks/elmed', 'POST', content: $stream($body));
        $request->headers->add(self::signed($body));
        self::assertSame('sha256:' . hash('sha256', $body), $verifier->verifyRequest($request)->idempotencyKey);
        self::assertSame($body, $request->getContent(), 'the Request keeps its stream');

        $big = self::ofSize(self::LIMIT + 1);
        $request = \Symfony\Component\HttpFoundation\Request::create('/webhooks/elmed', 'POST', content: $stream($big));
        $request->headers->add(self::signed($big));
        $request->headers->remove('Content-Length');
        try {
            $verifier->verifyRequest($request);
            self::fail('an oversize stream verified');
        } catch (\Hookseal\VerificationException $e) {
            self::assertSame(['payload_too_large', 'the body is over the limit of ' . self::LIMIT . ' bytes'],
                [$e->errorCode, $e->detail]);
        }

        $request = new \Symfony\Component\HttpFoundation\Request(server: ['REQUEST_METHOD' => 'POST',
            'REQUEST_URI' => '/webhooks/elmed', 'CONTENT_LENGTH' => (string) strlen($body)]);
        $request->headers->add(self::signed($body));
        self::assertSame('', stream_get_contents($request->getContent(true)), 'php://input is empty in the CLI');
        try {
            $verifier->verifyRequest($request);
            self::fail('a body that is gone verified');
        } catch (\LogicException $e) {
            self::assertStringStartsWith('hookseal: the raw body of this delivery is gone: the request announced a body '
                . 'of ' . strlen($body) . " bytes, but the Request's content holds 0 bytes", $e->getMessage());
        }
    }

    /**
     * Completed below 500, released otherwise (thrown, 503, a Router's reject), as Webhook settles a claim; an exception
     * is released whatever status Laravel rendered it with.
     */
    public function testLaravelSettlesTheClaimByTheControllersAnswer(): void
    {
        $server = $this->start('laravel fixture');
        $body = '{"event":"order.status_changed","data":{"order_number":"ORD-FAILS"}}';
        $key = 'sha256:' . hash('sha256', $body);
        self::assertSame([500, ['error' => 'internal_error']],
            $server->post('/fixture/fails', $body, self::signed($body) + ['X-Fail' => 'throw']));
        self::assertSame([503, ['error' => 'busy']],
            $server->post('/fixture/fails', $body, self::signed($body) + ['X-Fail' => '503']));
        // An exception Laravel renders below 500 (abort(404), findOrFail() before the order row exists) is a failure
        // too: its 404 goes out, and the retry runs the handler again.
        self::assertSame([404, ['error' => 'not_found']],
            $server->post('/fixture/fails', $body, self::signed($body) + ['X-Fail' => '404']));
        self::assertSame([200, ['status' => 'processed', 'idempotency_key' => $key]],
            $server->post('/fixture/fails', $body, self::signed($body)));
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => $key]],
            $server->post('/fixture/fails', $body, self::signed($body) + ['X-Fail' => 'throw']));
        $log = $server->output();
        self::assertSame(4, substr_count($log, "fixture: handler ran for $key"), $log);
        self::assertStringContainsString('RuntimeException(code: 0): the handler failed', $log);

        // A Router's reject: 501 and released, so that the retry is offered again (501 again, not a duplicate).
        $unhandled = '{"event":"referral.created","data":{}}';
        foreach ([1, 2] as $attempt) {
            self::assertSame([501, ['error' => 'unhandled_event']],
                $server->post('/fixture/reject', $unhandled, self::signed($unhandled)), "attempt $attempt");
        }
        self::assertStringContainsString('hookseal: no handler for the delivery sha256:' . hash('sha256', $unhandled)
            . ' from elmed (referral.created): refused 501 unhandled_event', $server->output());

        // A route naming a webhook config/hookseal.php does not have: a configuration error, 500.
        self::assertSame([500, ['error' => 'invalid_option']],
            $server->post('/fixture/unnamed', $body, self::signed($body)));
        self::assertStringContainsString("no webhook named 'nope' in config/hookseal.php", $server->output());
    }
}
