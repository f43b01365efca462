<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

use function Hookseal\sign;

require_once __DIR__ . '/PhpServer.php';

/**
 * examples/php/index.php under PHP's built-in server (`php -S`), a real process, receiving real HTTP deliveries
 * signed by \Hookseal\sign(), in each setup bindings/php/README.md documents:
 *
 *  - `-d ffi.enable=1` (FFI::cdef on each worker's first use);
 *  - preloading with `ffi.preload` (the header written by ffi-header.php) plus opcache.preload=preload.php: what works
 *    when the server starts as root, as PHP-FPM's master does;
 *  - preloading with preload.php's own FFI::load(): what works when the server starts as an ordinary user (when
 *    these tests run as root, the server is started as `nobody` through setpriv).
 */
final class ServerTest extends TestCase
{
    private const ELMED_SECRET = 'elmed_whsk_server_test_7c1e';
    private const NOVAMED_KEY = 'nm_key_server_test_5a9d';
    private const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
    private const LIMIT = 4096;

    private static string $scratch;

    private ?PhpServer $server = null;
    private string $log = '';

    public static function setUpBeforeClass(): void
    {
        self::$scratch = sys_get_temp_dir() . '/hookseal-php-server-test-' . getmypid();
        @mkdir(self::$scratch, 0755, true);
        chmod(self::$scratch, 0755);
    }

    public static function tearDownAfterClass(): void
    {
        exec('rm -rf ' . escapeshellarg(self::$scratch));
    }

    protected function tearDown(): void
    {
        $this->stop();
    }

    private static function root(): string
    {
        return dirname(__DIR__, 3);
    }

    private static function isRoot(): bool
    {
        return function_exists('posix_geteuid') ? posix_geteuid() === 0 : trim((string) shell_exec('id -u')) === '0';
    }

    private static function userName(): string
    {
        return trim((string) shell_exec('id -un'));
    }

    /** The header ffi.preload reads, written by the script the README tells operators to run. */
    private static function preloadHeader(): string
    {
        $header = self::$scratch . '/hookseal.h';
        if (!is_file($header)) {
            exec(implode(' ', array_map('escapeshellarg',
                [PHP_BINARY, self::root() . '/bindings/php/ffi-header.php', $header])) . ' 2>&1', $out, $code);
            self::assertSame(0, $code, implode("\n", $out));
        }
        return $header;
    }

    /** @return list<string> */
    private static function preloadSettings(string $root = '{root}'): array
    {
        return ['-d', 'ffi.enable=preload', '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . ($root === '{root}' ? self::root() : $root) . '/bindings/php/preload.php'];
    }

    /**
     * What a server started as `nobody` reads, copied (in the workspace's layout) into a folder every user can
     * read: the checkout itself may sit where other users cannot (a `mktemp -d` folder, /root).
     */
    private static function readableCopy(): string
    {
        $copy = self::$scratch . '/checkout';
        if (!is_dir($copy)) {
            $root = self::root();
            foreach (['bindings/php/src', 'bindings/php/autoload.php', 'bindings/php/preload.php',
                'bindings/php/ffi-header.php', 'bindings/c/include/hookseal_ffi.h', 'examples/php',
                'target/release/libhookseal_ffi.so'] as $path) {
                @mkdir(dirname("$copy/$path"), 0755, true);
                exec(implode(' ', array_map('escapeshellarg', ['cp', '-R', "$root/$path", "$copy/$path"])) . ' 2>&1',
                    $out, $code);
                self::assertSame(0, $code, "copying $path: " . implode("\n", $out));
            }
            exec('chmod -R a+rX ' . escapeshellarg($copy));
        }
        return $copy;
    }

    /** @return array<string, array{list<string>, list<string>}> setup => [command prefix, php settings] */
    public static function setups(): array
    {
        return [
            'ffi.enable=1' => [[], ['-d', 'ffi.enable=1']],
            'ffi.preload + opcache.preload' => [[], array_merge(self::preloadSettings(),
                ['-d', 'ffi.preload={header}', '-d', 'opcache.preload_user={user}'])],
            'opcache.preload with FFI::load (unprivileged)' => [['{unprivileged}'], self::preloadSettings('{copy}')],
        ];
    }

    /**
     * @param list<string> $prefix
     * @param list<string> $settings
     * @dataProvider setups
     */
    public function testDeliveries(array $prefix, array $settings): void
    {
        $this->start($prefix, $settings);
        $elmed = file_get_contents(self::root() . '/tests/samples/elmed/order.status_changed.json');
        $headers = sign('elmed', $elmed, ['secret' => self::ELMED_SECRET]);

        // Genuine: processed once, then a duplicate (still 200, so the provider stops retrying).
        $first = $this->post('/webhooks/elmed', $elmed, $headers);
        self::assertSame([200, [
            'status' => 'processed',
            'event_type' => 'order.status_changed',
            'idempotency_key' => 'sha256:' . hash('sha256', $elmed),
            'is_test' => false,
        ]], $first);
        self::assertSame([200, ['status' => 'duplicate', 'idempotency_key' => 'sha256:' . hash('sha256', $elmed)]],
            $this->post('/webhooks/elmed', $elmed, $headers));
        // The same delivery sent in chunks (no Content-Length) is the same bytes, so the same event.
        self::assertSame('duplicate', $this->post('/webhooks/elmed', $elmed, $headers, chunked: true)[1]['status']);

        // Not genuine: a changed byte, a wrong key, no signature at all.
        self::assertSame([401, ['error' => 'signature_mismatch']],
            $this->post('/webhooks/elmed', str_replace('IN_TRANSIT', 'DELIVERED', $elmed), $headers));
        self::assertSame([401, ['error' => 'signature_mismatch']], $this->post('/webhooks/elmed', $elmed,
            sign('elmed', $elmed, ['secret' => 'not the secret'])));
        self::assertSame([401, ['error' => 'missing_header']],
            $this->post('/webhooks/elmed', $elmed, ['Content-Type' => 'application/json']));

        $novamed = file_get_contents(self::root() . '/tests/samples/novamed/order.shipped.json');
        self::assertSame([401, ['error' => 'key_mismatch']],
            $this->post('/webhooks/novamed', $novamed, sign('novamed', $novamed, ['secret' => 'nm_key_wrong'])));
        $nmHeaders = sign('novamed', $novamed, ['secret' => self::NOVAMED_KEY]) + ['X-Webhook-Test' => 'true'];
        self::assertSame([200, ['status' => 'processed', 'event_type' => 'order:shipped',
            'idempotency_key' => 'evt_abc123xyz', 'is_test' => true]],
            $this->post('/webhooks/novamed', $novamed, $nmHeaders));
        $elsewhere = str_replace(self::CLINIC, 'another-clinic', $novamed);
        self::assertSame([400, ['error' => 'clinic_mismatch']],
            $this->post('/webhooks/novamed', $elsewhere, sign('novamed', $elsewhere, ['secret' => self::NOVAMED_KEY])));

        // Too large: refused on the declared length before reading, and a chunked body as soon as it passes the limit.
        $big = '{"event":"order.status_changed","data":{"pad":"' . str_repeat('x', self::LIMIT) . '"}}';
        $bigHeaders = sign('elmed', $big, ['secret' => self::ELMED_SECRET]);
        self::assertSame([413, ['error' => 'payload_too_large']], $this->post('/webhooks/elmed', $big, $bigHeaders));
        self::assertSame([413, ['error' => 'payload_too_large']],
            $this->post('/webhooks/elmed', $big, $bigHeaders, chunked: true));

        // Genuine but not JSON (signed, so the signature passes first), and binary bytes.
        foreach (['not json at all', "{\"event\":\"a\"}\0\xff"] as $body) {
            self::assertSame([400, ['error' => 'invalid_json']],
                $this->post('/webhooks/elmed', $body, sign('elmed', $body, ['secret' => self::ELMED_SECRET])));
        }
        $typeless = '{"data":{}}';
        self::assertSame([400, ['error' => 'missing_field']],
            $this->post('/webhooks/elmed', $typeless, sign('elmed', $typeless, ['secret' => self::ELMED_SECRET])));

        // Routing.
        self::assertSame([404, ['error' => 'not_found']], $this->post('/webhooks/stripe', '{}', []));
        self::assertSame([405, ['error' => 'method_not_allowed']], $this->request('GET', '/webhooks/elmed', '', []));

        // The reason is in the server's log, never in the answer; no secret is in either.
        $log = file_get_contents($this->log);
        self::assertStringContainsString(
            'hookseal: refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ', $log);
        self::assertStringContainsString("store: sqlite://", $log);
        self::assertStringContainsString('ELMED order ORD-2026-00088 is now IN_TRANSIT', $log);
        self::assertStringNotContainsString(self::ELMED_SECRET, $log);
        self::assertStringNotContainsString(self::NOVAMED_KEY, $log);
        self::assertDoesNotMatchRegularExpression('/PHP (Warning|Notice|Deprecated|Fatal)/', $log);
    }

    public function testPreloadingDeclaresTheScopeAndTheClasses(): void
    {
        $settings = array_merge(self::preloadSettings(), ['-d', 'ffi.preload=' . self::preloadHeader(),
            '-d', 'opcache.preload_user=' . self::userName()]);
        $probe = 'echo json_encode([class_exists("Hookseal\\\\Verifier", false), function_exists("Hookseal\\\\sign"),'
            . ' function_exists("Hookseal\\\\verify"), FFI::scope("HOOKSEAL") instanceof FFI,'
            . ' opcache_get_status(false)["preload_statistics"]["classes"]]);';
        exec(implode(' ', array_map('escapeshellarg', array_merge([PHP_BINARY], $settings, ['-r', $probe]))) . ' 2>&1',
            $out, $code);
        self::assertSame(0, $code, implode("\n", $out));
        self::assertSame([true, true, true, true, ['Hookseal\Ffi', 'Hookseal\HooksealException',
            'Hookseal\VerificationException', 'Hookseal\ConfigException', 'Hookseal\StoreException', 'Hookseal\Headers',
            'Hookseal\Event', 'Hookseal\Verifier', 'Hookseal\Claim', 'Hookseal\Store', 'Hookseal\Answer',
            'Hookseal\Webhook']], json_decode(implode('', $out), true));
    }

    public function testPreloadingAsRootWithoutFfiPreloadSaysWhatToDo(): void
    {
        if (!self::isRoot()) {
            self::markTestSkipped('PHP refuses FFI::load() during preloading only when the server starts as root');
        }
        $command = array_merge([PHP_BINARY], self::preloadSettings(),
            ['-d', 'opcache.preload_user=root', '-r', 'echo 1;']);
        exec(implode(' ', array_map('escapeshellarg', $command)) . ' 2>&1', $out, $code);
        $output = implode("\n", $out);
        self::assertNotSame(0, $code);
        self::assertStringContainsString('ffi-header.php', $output);
        self::assertStringContainsString('set ffi.preload=', $output);
    }

    /** A Redis command's reply over a raw socket (RESP inline command), for the checks below. */
    private static function redis(string $url, string $command): string
    {
        $parts = parse_url($url);
        $socket = stream_socket_client("tcp://{$parts['host']}:{$parts['port']}", $errno, $error, 2.0);
        self::assertNotFalse($socket, "cannot reach the test Redis: $error");
        fwrite($socket, "$command\r\n");
        stream_set_timeout($socket, 2);
        $header = (string) fgets($socket);
        $reply = $header;
        if ($header !== '' && $header[0] === '$') {
            $reply = (string) stream_get_contents($socket, (int) substr($header, 1) + 2);
        }
        fclose($socket);
        return $reply;
    }

    private static function connectionsReceived(string $url): int
    {
        preg_match('/total_connections_received:(\d+)/', self::redis($url, 'INFO stats'), $m);
        self::assertArrayHasKey(1, $m, 'INFO stats has no total_connections_received');
        return (int) $m[1];
    }

    /**
     * PHP rebuilds every object on each request, but a worker keeps its Redis connection from one request to the next:
     * 120 requests open at most one connection per serving process (the library keeps the store by URL). With
     * PHP_CLI_SERVER_WORKERS=2, php -S serves from 3 processes: the two workers and the parent.
     */
    public function testAWorkerKeepsItsRedisConnectionBetweenRequests(): void
    {
        $url = getenv('HOOKSEAL_TEST_REDIS_URL');
        self::assertIsString($url, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh (make test-php)');
        $this->start([], ['-d', 'ffi.enable=1'], ['HOOKSEAL_STORE' => $url, 'PHP_CLI_SERVER_WORKERS' => '2']);
        $before = self::connectionsReceived($url);
        for ($i = 0; $i < 40; $i++) {
            $body = '{"event":"order.status_changed","data":{"order_number":"ORD-' . bin2hex(random_bytes(6)) . '"}}';
            $headers = sign('elmed', $body, ['secret' => self::ELMED_SECRET]);
            self::assertSame(200, $this->post('/webhooks/elmed', $body, $headers)[0]);
            self::assertSame([200, 'duplicate'], [$this->post('/webhooks/elmed', $body, $headers)[0],
                $this->post('/webhooks/elmed', $body, $headers)[1]['status']]);
        }
        $opened = self::connectionsReceived($url) - $before - 1; // less the second INFO connection itself
        self::assertGreaterThanOrEqual(1, $opened);
        self::assertLessThanOrEqual(3, $opened, "120 requests to 3 serving processes opened $opened Redis connections");
    }

    public function testWithoutFfiTheServerAnswers500AndLogsWhy(): void
    {
        $this->start([], ['-d', 'ffi.enable=preload']);
        $body = '{"event":"a"}';
        self::assertSame([500, ['error' => 'internal_error']],
            $this->post('/webhooks/elmed', $body, sign('elmed', $body, ['secret' => self::ELMED_SECRET])));
        $log = file_get_contents($this->log);
        self::assertStringContainsString('ffi.enable=1', $log);
        self::assertStringContainsString('preload.php', $log);
    }

    /**
     * @param list<string> $prefix
     * @param list<string> $settings
     * @param array<string, string> $extraEnv
     */
    private function start(array $prefix, array $settings, array $extraEnv = []): void
    {
        $dir = self::$scratch . '/run-' . bin2hex(random_bytes(4));
        mkdir($dir, 0777, true);
        chmod($dir, 0777); // the unprivileged server creates its SQLite store here
        $this->log = $dir . '/server.log';
        $root = self::root();
        $libraryEnv = [];
        if ($prefix === ['{unprivileged}']) {
            // The unprivileged server reads everything from a copy any user can read, not from the checkout.
            $root = self::readableCopy();
            $libraryEnv = ['HOOKSEAL_FFI_LIB' => "$root/target/release/libhookseal_ffi.so",
                'HOOKSEAL_FFI_HEADER' => "$root/bindings/c/include/hookseal_ffi.h"];
            if (self::isRoot()) {
                if (!is_executable('/usr/bin/setpriv')) {
                    self::markTestSkipped('running as root without setpriv: cannot start the server as nobody');
                }
                $prefix = ['/usr/bin/setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
            } else {
                $prefix = [];
            }
        }
        $settings = array_map(static fn (string $s): string => strtr($s, [
            '{header}' => str_contains($s, '{header}') ? self::preloadHeader() : '',
            '{user}' => self::userName(),
            '{copy}' => $root,
        ]), $settings);
        $env = [
            'ELMED_WEBHOOK_SECRET' => self::ELMED_SECRET,
            'NOVAMED_WEBHOOK_SECRET' => self::NOVAMED_KEY,
            'NOVAMED_CLINIC_ID' => self::CLINIC,
            'HOOKSEAL_MAX_BODY_BYTES' => (string) self::LIMIT,
            'HOOKSEAL_STORE' => "sqlite://$dir/store.db",
        ] + $extraEnv + getenv();
        $env = array_merge($env, $libraryEnv, $extraEnv);
        $this->server = new PhpServer(array_merge($prefix, [PHP_BINARY], $settings), ['-t', "$root/examples/php"], $env,
            $this->log, $root);
    }

    private function stop(): void
    {
        $this->server?->stop();
        $this->server = null;
    }

    /**
     * @param array<string, string> $headers
     * @return array{int, mixed} status, decoded JSON answer
     */
    private function post(string $path, string $body, array $headers, bool $chunked = false): array
    {
        return $this->request('POST', $path, $body, $headers, $chunked);
    }

    /**
     * One HTTP/1.1 request over a fresh connection, the body as exact bytes (or chunked, without Content-Length).
     *
     * @param array<string, string> $headers
     * @return array{int, mixed}
     */
    private function request(string $method, string $path, string $body, array $headers, bool $chunked = false): array
    {
        self::assertNotNull($this->server, 'no server started');
        return array_slice($this->server->request($method, $path, $body, $headers, $chunked), 0, 2);
    }
}
