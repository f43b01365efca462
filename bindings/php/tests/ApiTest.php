<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\Headers;
use Hookseal\HooksealException;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use PHPUnit\Framework\TestCase;

use function Hookseal\sign;

/** The PHP API beyond the vectors: PHP's types, headers, the clock, errors, secrets kept out of sight, sign(). */
final class ApiTest extends TestCase
{
    private const SECRET = 'elmed_whsk_s3cret_4f9c2a7e1b6d';
    private const OLD_SECRET = 'elmed_whsk_old_0a1b2c3d4e5f';
    private const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    private const BODY = '{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00",'
        . '"data":{"order_id":88,"total":850.00,"status":"IN_TRANSIT"}}';

    private static function elmed(array $options = []): Verifier
    {
        return new Verifier('elmed', $options + ['secret' => self::SECRET]);
    }

    /** @return array<string, string> */
    private static function signed(string $body, string $secret = self::SECRET): array
    {
        return sign('elmed', $body, ['secret' => $secret]);
    }

    private static function refusal(callable $call): HooksealException
    {
        try {
            $call();
        } catch (HooksealException $e) {
            return $e;
        }
        self::fail('expected a HooksealException');
    }

    public function testVerifyGivesTheEvent(): void
    {
        $event = self::elmed()->verify(self::BODY, self::signed(self::BODY));
        self::assertSame('elmed', $event->provider);
        self::assertSame('order.status_changed', $event->eventType);
        self::assertSame('sha256:' . hash('sha256', self::BODY), $event->idempotencyKey);
        self::assertSame('body_sha256', $event->idempotencyKeySource);
        self::assertSame('2026-03-29T12:00:00', $event->timestamp);
        self::assertSame(['order_id' => 88, 'total' => 850.0, 'status' => 'IN_TRANSIT'], $event->data);
        self::assertFalse($event->isTest);
        self::assertFalse($event->isRetry);
        self::assertNull($event->metadata);
        self::assertNull($event->clinicId);
        self::assertSame([
            'provider' => 'elmed', 'event_type' => 'order.status_changed', 'idempotency_key' => $event->idempotencyKey,
            'idempotency_key_source' => 'body_sha256', 'timestamp' => '2026-03-29T12:00:00',
            'data' => ['order_id' => 88, 'total' => 850.0, 'status' => 'IN_TRANSIT'], 'is_test' => false,
            'is_retry' => false, 'metadata' => null, 'clinic_id' => null,
        ], $event->toArray());
    }

    public function testEventIsReadOnly(): void
    {
        $event = self::elmed()->verify(self::BODY, self::signed(self::BODY));
        $this->expectException(\Error::class);
        $event->eventType = 'forged'; // @phpstan-ignore-line
    }

    public function testNumbersKeepTheirTypeAndIntegersStayExact(): void
    {
        $body = '{"event":"a","data":{"i":9007199254740993,"max":9223372036854775807,"big":123456789012345678901234,'
            . '"neg":-12345678901234567890123,"f":1.0,"e":1e3,"z":0}}';
        $data = self::elmed()->verify($body, self::signed($body))->data;
        self::assertSame(9007199254740993, $data['i']);
        self::assertSame(PHP_INT_MAX, $data['max']);
        self::assertSame('123456789012345678901234', $data['big']);
        self::assertSame('-12345678901234567890123', $data['neg']);
        self::assertSame(1.0, $data['f']);
        self::assertSame(1000.0, $data['e']);
        self::assertSame(0, $data['z']);
    }

    public function testDeepDataIsRead(): void
    {
        $depth = 199;
        $body = '{"event":"a","data":' . str_repeat('[', $depth) . '1' . str_repeat(']', $depth) . '}';
        $data = self::elmed()->verify($body, self::signed($body))->data;
        for ($i = 1; $i < $depth; $i++) {
            $data = $data[0];
        }
        self::assertSame([1], $data);
    }

    public function testBodiesAreBinarySafe(): void
    {
        $verifier = self::elmed();
        // A NUL byte and non-UTF-8 after valid JSON: the signature covers every byte (so it passes), the JSON
        // check then refuses the body. A changed byte after the NUL fails the signature: nothing is cut at NUL.
        $bodies = ["{\"event\":\"a\"}\0", "{\"event\":\"a\"}\0\xff\xfe", "\xff\xfe{\"event\":\"a\"}",
            "{\"event\":\"\xc3\x28\"}"];
        foreach ($bodies as $body) {
            $e = self::refusal(fn () => $verifier->verify($body, self::signed($body)));
            self::assertSame('invalid_json', $e->errorCode, bin2hex($body));
            $tampered = substr($body, 0, -1) . chr(ord($body[-1]) ^ 1);
            $e = self::refusal(fn () => $verifier->verify($tampered, self::signed($body)));
            self::assertSame('signature_mismatch', $e->errorCode, bin2hex($body));
        }
        // An escaped NUL inside a JSON string is valid JSON, and arrives in data as a NUL byte.
        $body = '{"event":"a","data":{"s":"x\u0000y","u":"caf\u00e9 \ud83d\ude00"}}';
        $data = $verifier->verify($body, self::signed($body))->data;
        self::assertSame("x\0y", $data['s']);
        self::assertSame("café 😀", $data['u']);
        // The empty body is a body too.
        self::assertSame('invalid_json', self::refusal(fn () => $verifier->verify('', self::signed('')))->errorCode);
    }

    public function testHeaderNamesMatchInAnyCase(): void
    {
        $verifier = self::elmed();
        $signature = self::signed(self::BODY)['X-ELMED-Signature'];
        foreach (['x-elmed-signature', 'X-ELMED-SIGNATURE', 'X-Elmed-Signature'] as $name) {
            self::assertSame('order.status_changed', $verifier->verify(self::BODY, [$name => $signature])->eventType);
        }
        $event = $verifier->verify(self::BODY, ['X-ELMED-Signature' => " $signature\t", 'x-webhook-test' => 'TRUE']);
        self::assertTrue($event->isTest);
    }

    public function testHeadersAsListsPairsAndObjects(): void
    {
        $verifier = self::elmed();
        $good = self::signed(self::BODY)['X-ELMED-Signature'];
        $bad = self::signed(self::BODY, 'another secret')['X-ELMED-Signature'];
        // A repeated header: every signature header counts, one match passes.
        self::assertSame('order.status_changed',
            $verifier->verify(self::BODY, ['X-ELMED-Signature' => [$bad, $good]])->eventType);
        self::assertSame('order.status_changed',
            $verifier->verify(self::BODY, [['X-ELMED-Signature', $bad], ['x-elmed-signature', $good]])->eventType);
        self::assertSame('signature_mismatch',
            self::refusal(fn () => $verifier->verify(self::BODY, ['X-ELMED-Signature' => [$bad, $bad]]))->errorCode);
        // Pairs and name => value entries mix; a Headers object is built once and reused.
        $headers = new Headers([['X-ELMED-Signature', $good], 'X-ELMED-Event' => 'order.status_changed']);
        self::assertEquals($verifier->verify(self::BODY, $headers), $verifier->verify(self::BODY, $headers));
        self::assertSame('event_mismatch', self::refusal(fn () => $verifier->verify(self::BODY,
            new Headers(['X-ELMED-Signature' => $good, 'X-ELMED-Event' => 'claim.decision'])))->errorCode);
        // A repeated single-valued header: the first occurrence counts.
        self::assertSame('order.status_changed', $verifier->verify(self::BODY, ['X-ELMED-Signature' => $good,
            'X-ELMED-Event' => ['order.status_changed', 'claim.decision']])->eventType);
        // No headers at all.
        self::assertSame('missing_header', self::refusal(fn () => $verifier->verify(self::BODY, []))->errorCode);
    }

    public function testHeaderValuesMustBeStrings(): void
    {
        $verifier = self::elmed();
        foreach ([['X-ELMED-Signature' => 5], ['X-ELMED-Signature' => null], ['X-ELMED-Signature' => ['a', 1]],
                     [['X-ELMED-Signature']], [[5, 'x']], [['X-A', 'b', 'c']]] as $headers) {
            try {
                $verifier->verify(self::BODY, $headers);
                self::fail('no TypeError for ' . json_encode($headers));
            } catch (\TypeError $e) {
                self::assertStringStartsWith('hookseal: ', $e->getMessage());
            }
        }
        foreach ([["X-ELMED-Signature\0X" => 'a'], ['X-ELMED-Signature' => "sha256=\0"]] as $headers) {
            try {
                $verifier->verify(self::BODY, $headers);
                self::fail('no ValueError for a NUL byte');
            } catch (\ValueError $e) {
                self::assertStringContainsString('NUL', $e->getMessage());
            }
        }
        // The first bad entry, in order, decides the error, whatever the shapes around it.
        $nul = ['X-A' => "a\0"];
        $cases = [
            [[...$nul, 'X-B' => 5], \ValueError::class],
            [[...$nul, 'X-B' => ['b', 5]], \ValueError::class],
            [[...$nul, ['X-B', 5]], \ValueError::class],
            [['X-B' => 5, ...$nul], \TypeError::class],
            [['X-B' => ['b', 5], ...$nul], \TypeError::class],
            [['X-A' => 'a', 'X-B' => ['b', "c\0"], 'X-C' => 5], \ValueError::class],
            [['X-A' => 'a', ["X-B\0", 'b'], 'X-C' => 5], \ValueError::class],
            [['X-A' => 'a', 'X-B' => ['b'], ...$nul], \ValueError::class],
        ];
        foreach ($cases as $i => [$headers, $class]) {
            try {
                $verifier->verify(self::BODY, $headers);
                self::fail("case $i: no $class");
            } catch (\TypeError|\ValueError $e) {
                self::assertSame($class, $e::class, "case $i: {$e->getMessage()}");
            }
        }
    }

    public function testHeadersFromAServerArray(): void
    {
        $signature = self::signed(self::BODY)['X-ELMED-Signature'];
        $server = [
            'REQUEST_METHOD' => 'POST',
            'REQUEST_URI' => '/webhooks/elmed',
            'CONTENT_TYPE' => 'application/json',
            'HTTP_CONTENT_TYPE' => 'application/json',
            'CONTENT_LENGTH' => (string) strlen(self::BODY),
            'HTTP_X_ELMED_SIGNATURE' => $signature,
            'Http_X_Webhook_Test' => 'true',
            'HTTP_' => 'nameless',
            'HTTP_X_NUMBER' => 5,
            'argv' => ['x'],
        ];
        $headers = Headers::fromGlobals($server);
        self::assertSame([
            'Content-Type' => 'application/json',
            'Content-Length' => (string) strlen(self::BODY),
            'X-Elmed-Signature' => $signature,
            'X-Webhook-Test' => 'true',
        ], $headers);
        $event = self::elmed()->verify(self::BODY, $headers);
        self::assertTrue($event->isTest);
    }

    public function testHeadersFromGlobalsReadsServerWithoutGetallheaders(): void
    {
        self::assertFalse(function_exists('getallheaders'), 'the CLI has no getallheaders()');
        $saved = $_SERVER;
        try {
            $_SERVER['HTTP_X_ELMED_SIGNATURE'] = 'sha256=abc';
            self::assertSame('sha256=abc', Headers::fromGlobals()['X-Elmed-Signature']);
        } finally {
            $_SERVER = $saved;
        }
    }

    public function testRotation(): void
    {
        $verifier = new Verifier('elmed', ['secrets' => [self::SECRET, self::OLD_SECRET]]);
        $body = self::BODY;
        foreach ([self::SECRET, self::OLD_SECRET] as $secret) {
            self::assertSame('order.status_changed', $verifier->verify($body, self::signed($body, $secret))->eventType);
        }
        self::assertSame('signature_mismatch',
            self::refusal(fn () => $verifier->verify($body, self::signed($body, 'neither')))->errorCode);
        // sign() signs with the first (newest) secret.
        self::assertSame(self::signed($body, self::SECRET),
            sign('elmed', $body, ['secrets' => [self::SECRET, self::OLD_SECRET]]));
    }

    public function testTheClock(): void
    {
        $body = '{"type":"invoice.paid","timestamp":"2024-01-01T00:00:00Z","data":{"id":1}}';
        $headers = sign('standard-webhooks', $body, ['secret' => self::WHSEC, 'now' => 1_700_000_000]);
        self::assertSame('1700000000', $headers['webhook-timestamp']);
        $verifier = new Verifier('standard-webhooks', ['secret' => self::WHSEC]);
        foreach ([1_700_000_000, 1_700_000_300, 1_699_999_700, 1_700_000_300.999, 1_699_999_700.0,
                     new \DateTimeImmutable('@1700000300')] as $now) {
            self::assertSame('invoice.paid', $verifier->verify($body, $headers, $now)->eventType);
        }
        foreach ([1_700_000_301, 1_699_999_699, 1_699_999_699.5, new \DateTime('@1700000301')] as $now) {
            self::assertSame('timestamp_out_of_tolerance',
                self::refusal(fn () => $verifier->verify($body, $headers, $now))->errorCode);
        }
        // No clock given: the system clock, years after the signature.
        self::assertSame('timestamp_out_of_tolerance',
            self::refusal(fn () => $verifier->verify($body, $headers))->errorCode);
        // A wider window, and the window switched off.
        $wide = new Verifier('standard-webhooks', ['secret' => self::WHSEC, 'tolerance' => 600]);
        self::assertSame('invoice.paid', $wide->verify($body, $headers, 1_700_000_600)->eventType);
        $off = new Verifier('standard-webhooks', ['secret' => self::WHSEC, 'tolerance' => 0]);
        self::assertSame('invoice.paid', $off->verify($body, $headers)->eventType);
        foreach ([INF, -INF, NAN, 1e19] as $now) {
            try {
                $verifier->verify($body, $headers, $now);
                self::fail("no ValueError for $now");
            } catch (\ValueError $e) {
                self::assertStringContainsString('$now', $e->getMessage());
            }
        }
    }

    public function testVerificationErrorsCarryCodeStatusAndMessage(): void
    {
        $verifier = self::elmed(['max_body_bytes' => 1024]);
        $signature = self::signed(self::BODY);
        $cases = [
            'missing_header' => fn () => $verifier->verify(self::BODY, []),
            'malformed_header' => fn () => $verifier->verify(self::BODY, ['X-ELMED-Signature' => 'md5=abc']),
            'signature_mismatch' => fn () => $verifier->verify(self::BODY . ' ', $signature),
            'payload_too_large' => fn () => $verifier->verify(str_repeat(' ', 1025), $signature),
            'invalid_json' => fn () => $verifier->verify('nope', self::signed('nope')),
            'missing_field' => fn () => $verifier->verify('{"data":{}}', self::signed('{"data":{}}')),
        ];
        $statuses = ['missing_header' => 401, 'malformed_header' => 401, 'signature_mismatch' => 401,
            'payload_too_large' => 413, 'invalid_json' => 400, 'missing_field' => 400];
        foreach ($cases as $code => $call) {
            $e = self::refusal($call);
            self::assertInstanceOf(VerificationException::class, $e);
            self::assertInstanceOf(\UnexpectedValueException::class, $e);
            self::assertInstanceOf(\RuntimeException::class, $e);
            self::assertSame($code, $e->errorCode);
            self::assertSame($statuses[$code], $e->httpStatus, $code);
            self::assertNotSame('', $e->detail);
            self::assertSame("$code: {$e->detail}", $e->getMessage());
            self::assertStringNotContainsString(self::SECRET, $e->getMessage());
        }
        $novamed = new Verifier('novamed', ['secret' => 'nm_key_2f8a61c0d94b37e5', 'clinic_id' => 'clinic-1']);
        $body = '{"event_type":"order:shipped","clinic_id":"clinic-2"}';
        $e = self::refusal(fn () => $novamed->verify($body, ['x-api-key' => 'nm_key_wrong']));
        self::assertSame(['key_mismatch', 401], [$e->errorCode, $e->httpStatus]);
        self::assertStringNotContainsString('nm_key', $e->getMessage());
        $e = self::refusal(fn () => $novamed->verify($body, ['x-api-key' => 'nm_key_2f8a61c0d94b37e5']));
        self::assertSame(['clinic_mismatch', 400], [$e->errorCode, $e->httpStatus]);
    }

    public function testConfigurationErrors(): void
    {
        $cases = [
            ['unknown_provider', 'stripe', ['secret' => 's']],
            ['unknown_provider', "elmed\0", ['secret' => 's']],
            ['unknown_provider', "\xff", ['secret' => 's']],
            ['invalid_secret', 'elmed', []],
            ['invalid_secret', 'elmed', ['secret' => '']],
            ['invalid_secret', 'elmed', ['secrets' => []]],
            ['insecure_default_key', 'baremeds', ['secret' => 'xxx']],
            ['invalid_option', 'elmed', ['secret' => 's', 'secert' => 's']],
            ['invalid_option', 'elmed', ['secret' => 's', 'maxBodyBytes' => 5]],
            ['invalid_option', 'elmed', ['secret' => 's', 'tolerance' => '300']],
            ['invalid_option', 'elmed', ['secret' => 's', 'tolerance' => 300.0]],
            ['invalid_option', 'elmed', ['secret' => 's', 'tolerance' => true]],
            ['invalid_option', 'elmed', ['secret' => 's', 'max_body_bytes' => 0]],
            ['invalid_option', 'elmed', ['secret' => 's', 'max_body_bytes' => new \stdClass()]],
            ['invalid_option', 'elmed', ['secret' => ['s']]],
            ['invalid_option', 'elmed', ['secrets' => ['a' => 's']]],
            ['invalid_option', 'elmed', ['s']],
            ['invalid_option', 'elmed', ['secret' => "\xff\xfe"]],
            ['invalid_option', 'elmed', ['secret' => 's', 'tolerance' => INF]],
            ['invalid_option', 'elmed', ['secret' => 's', 'tolerance' => STDIN]],
        ];
        foreach ($cases as [$code, $provider, $options]) {
            $e = self::refusal(fn () => new Verifier($provider, $options));
            self::assertInstanceOf(ConfigException::class, $e);
            self::assertInstanceOf(\UnexpectedValueException::class, $e);
            self::assertSame($code, $e->errorCode, $e->getMessage());
            self::assertSame(500, $e->httpStatus);
            self::assertStringStartsWith("$code: ", $e->getMessage());
        }
        // Options are named as in the contract; null means "not set".
        $verifier = new Verifier('elmed', ['secret' => 's', 'tolerance' => null, 'max_body_bytes' => null]);
        self::assertSame(1048576, $verifier->maxBodyBytes); // the core's default, reported through the C ABI
        self::assertSame(2048, (new Verifier('elmed', ['secret' => 's', 'max_body_bytes' => 2048]))->maxBodyBytes);
    }

    public function testSecretsNeverShow(): void
    {
        $verifier = new Verifier('baremeds', ['secrets' => [self::SECRET, self::OLD_SECRET]]);
        ob_start();
        var_dump($verifier);
        print_r($verifier);
        var_export($verifier);
        debug_zval_dump($verifier);
        $shown = ob_get_clean() . print_r($verifier, true) . var_export($verifier, true) . json_encode($verifier)
            . serialize(array_keys((array) $verifier)) . json_encode(get_object_vars($verifier));
        self::assertStringContainsString('baremeds', $shown);
        foreach ([self::SECRET, self::OLD_SECRET, 'elmed_whsk'] as $secret) {
            self::assertStringNotContainsString($secret, $shown);
        }
        self::assertSame(['provider' => 'baremeds', 'maxBodyBytes' => 1048576], $verifier->__debugInfo());
        // No property can hold the options: only the provider, the limit, the native handle, and the library with the
        // `hookseal_event_fields` each verify writes (the event's fields, never an option).
        $properties = array_map(fn (\ReflectionProperty $p) => $p->getName(),
            (new \ReflectionClass(Verifier::class))->getProperties());
        self::assertSame(['provider', 'maxBodyBytes', 'handle', 'ffi', 'fields', 'fieldsOut'], $properties);
        // Messages about secrets never quote them.
        foreach ([['secret' => 'whsec_s3cret!!'], ['secrets' => [self::WHSEC, 'whsec_s3cret%%']],
                     ['secret' => self::WHSEC, 'tolerance' => 's3cret']] as $options) {
            $e = self::refusal(fn () => new Verifier('standard-webhooks', $options));
            self::assertStringNotContainsString('s3cret', $e->getMessage() . $e->getTraceAsString());
        }
    }

    public function testAVerifierCannotBeClonedOrSerialized(): void
    {
        $verifier = self::elmed();
        try {
            $copy = clone $verifier;
            self::fail('cloned');
        } catch (\Error $e) {
            self::assertStringContainsString('__clone', $e->getMessage());
        }
        $this->expectException(\LogicException::class);
        serialize($verifier);
    }

    public function testVerifiersAreIndependentAndFreed(): void
    {
        $a = self::elmed();
        $b = new Verifier('elmed', ['secret' => 'other']);
        unset($b);
        gc_collect_cycles();
        self::assertSame('order.status_changed', $a->verify(self::BODY, self::signed(self::BODY))->eventType);
        for ($i = 0; $i < 1000; $i++) {
            $v = new Verifier('elmed', ['secret' => "s$i"]);
        }
        self::assertSame('elmed', $v->provider);
    }

    public function testSign(): void
    {
        self::assertSame([
            'Content-Type' => 'application/json',
            'X-ELMED-Signature' => 'sha256=' . hash_hmac('sha256', self::BODY, self::SECRET),
            'X-ELMED-Event' => 'order.status_changed',
        ], sign('elmed', self::BODY, ['secret' => self::SECRET]));
        self::assertSame(['Content-Type' => 'application/json', 'X-Webhook-Key' => 'bm_live_9d2f7c41e8a35b06'],
            sign('baremeds', '{}', ['secret' => 'bm_live_9d2f7c41e8a35b06']));
        self::assertSame(['Content-Type' => 'application/json', 'x-api-key' => 'nm_key'],
            sign('novamed', '{}', ['secret' => 'nm_key']));
        $body = "{\"type\":\"a\"}";
        $headers = sign('standard-webhooks', $body, ['secret' => self::WHSEC, 'now' => 1_700_000_000,
            'webhook_id' => 'msg_1']);
        $key = base64_decode(substr(self::WHSEC, 6));
        self::assertSame('msg_1', $headers['webhook-id']);
        self::assertSame('v1,' . base64_encode(hash_hmac('sha256', "msg_1.1700000000.$body", $key, true)),
            $headers['webhook-signature']);
        // Deterministic without a webhook_id; refused options are refused as by the verifier.
        self::assertSame(sign('standard-webhooks', $body, ['secret' => self::WHSEC, 'now' => 5]),
            sign('standard-webhooks', $body, ['secret' => self::WHSEC, 'now' => 5]));
        $refused = [['elmed', ['secret' => 's', 'now' => 5]], ['elmed', ['secret' => 's', 'nope' => 1]],
            ['standard-webhooks', ['secret' => self::WHSEC, 'now' => -1]],
            ['standard-webhooks', ['secret' => self::WHSEC, 'webhook_id' => ' x ']]];
        foreach ($refused as [$provider, $options]) {
            $e = self::refusal(fn () => sign($provider, $body, $options));
            self::assertInstanceOf(ConfigException::class, $e);
            self::assertSame('invalid_option', $e->errorCode);
        }
        self::assertSame('invalid_secret', self::refusal(fn () => sign('elmed', $body))->errorCode);
        self::assertSame('unknown_provider', self::refusal(fn () => sign('nope', $body, ['secret' => 's']))->errorCode);
        // Binary bodies sign byte for byte.
        $binary = "\0\xff{}";
        self::assertSame('sha256=' . hash_hmac('sha256', $binary, 's'),
            sign('elmed', $binary, ['secret' => 's'])['X-ELMED-Signature']);
    }

    public function testEventCanBeBuiltForHandlerTests(): void
    {
        $event = new Event(provider: 'novamed', eventType: 'order:shipped', idempotencyKey: 'evt_1',
            idempotencyKeySource: 'event_id', timestamp: null, data: ['order_id' => 'o1'], isTest: true,
            isRetry: false, metadata: null, clinicId: 'c1');
        self::assertSame('order:shipped', $event->toArray()['event_type']);
        self::assertSame('c1', $event->toArray()['clinic_id']);
    }

    public function testLibraryLoadingErrorsSayWhatToDo(): void
    {
        $script = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . 'try { new Hookseal\Verifier("elmed", ["secret" => "s"]); echo "loaded"; }'
            . 'catch (RuntimeException $e) { echo $e->getMessage(); }';
        $run = static function (array $ini, array $env = []) use ($script): string {
            $command = [PHP_BINARY, '-n', '-d', 'extension=ffi'];
            foreach ($ini as $setting) {
                array_push($command, '-d', $setting);
            }
            array_push($command, '-r', $script);
            $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env + getenv());
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            proc_close($process);
            return $out;
        };
        self::assertSame('loaded', $run(['ffi.enable=1']));
        self::assertSame('loaded', $run(['ffi.enable=preload']), 'the CLI may use FFI::cdef under preload');
        self::assertStringContainsString('ffi.enable=1', $run(['ffi.enable=0']));
        $missing = $run(['ffi.enable=1'], ['HOOKSEAL_FFI_LIB' => '/nonexistent/libhookseal_ffi.so']);
        self::assertStringContainsString('/nonexistent/libhookseal_ffi.so does not exist', $missing);
        self::assertStringContainsString('make c-lib', $missing);
        $header = $run(['ffi.enable=1'], ['HOOKSEAL_FFI_HEADER' => '/nonexistent.h']);
        self::assertStringContainsString('HOOKSEAL_FFI_HEADER', $header);
    }

    public function testSecretsStayOutOfTracesAndDumps(): void
    {
        $secret = 'nm_TOPSECRET_trace_key';
        try {
            new \Hookseal\Verifier('novamed', ['secret' => $secret, 'tolerance' => 'not a number']);
            self::fail('the options were accepted');
        } catch (\Hookseal\ConfigException $e) {
            self::assertNoSecretInTrace($e);
            self::assertStringNotContainsString('TOPSECRET', $e->getTraceAsString());
        }
        $verifier = new \Hookseal\Verifier('novamed', ['secret' => $secret]);
        try {
            $verifier->verify('not json', ['x-api-key' => $secret]);
            self::fail('a non-JSON body was accepted');
        } catch (\Hookseal\VerificationException $e) {
            self::assertSame('invalid_json', $e->errorCode);
            self::assertNoSecretInTrace($e);
        }
        $headers = new \Hookseal\Headers(['x-api-key' => $secret]);
        self::assertStringNotContainsString('TOPSECRET', print_r($headers, true));
        ob_start();
        var_dump($headers);
        self::assertStringNotContainsString('TOPSECRET', (string) ob_get_clean());
        $this->expectException(\LogicException::class);
        serialize($headers);
    }

    public function testAVerifierIsBuiltOnce(): void
    {
        $verifier = new \Hookseal\Verifier('elmed', ['secret' => 's']);
        $this->expectException(\LogicException::class);
        $verifier->__construct('elmed', ['secret' => 't']);
    }

    private static function assertNoSecretInTrace(\Throwable $e): void
    {
        foreach ($e->getTrace() as $frame) {
            foreach ($frame['args'] ?? [] as $arg) {
                $text = is_string($arg) ? $arg : (is_array($arg) ? (string) json_encode($arg) : '');
                self::assertStringNotContainsString('TOPSECRET', $text, 'a secret is in an exception trace');
            }
        }
    }
}
