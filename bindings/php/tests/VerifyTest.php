<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\HooksealException;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use Hookseal\VerifierCache;
use Hookseal\Webhook;
use PHPUnit\Framework\TestCase;

use function Hookseal\sign;
use function Hookseal\verify;

/** The one-call \Hookseal\verify() over its cache of verifiers, and the refusal log line every helper shares. */
final class VerifyTest extends TestCase
{
    private const SECRET = 'elmed_whsk_verify_5b1c';
    private const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    private const BODY = '{"event":"order.status_changed","data":{"order_id":88,"status":"IN_TRANSIT"}}';

    protected function setUp(): void
    {
        VerifierCache::clear();
    }

    /** @return array<string, string> */
    private static function signed(string $secret = self::SECRET, string $body = self::BODY): array
    {
        return sign('elmed', $body, ['secret' => $secret]);
    }

    private static function codeOf(callable $call): string
    {
        try {
            $call();
        } catch (HooksealException $e) {
            return get_class($e) . ' ' . $e->errorCode;
        }
        self::fail('expected a HooksealException');
    }

    public function testVerifyGivesTheVerifiersVerdict(): void
    {
        $event = verify('elmed', self::BODY, self::signed(), ['secret' => self::SECRET]);
        $expected = (new Verifier('elmed', ['secret' => self::SECRET]))->verify(self::BODY, self::signed());
        self::assertSame($expected->toArray(), $event->toArray());
        self::assertSame(VerificationException::class . ' signature_mismatch',
            self::codeOf(static fn () => verify('elmed', self::BODY, self::signed('other'), ['secret' => self::SECRET])));
        self::assertSame(VerificationException::class . ' missing_header',
            self::codeOf(static fn () => verify('elmed', self::BODY, [], ['secret' => self::SECRET])));

        // `now` is this call's clock, not part of the verifier.
        $headers = sign('standard-webhooks', '{}', ['secret' => self::WHSEC, 'now' => 1_700_000_000]);
        self::assertNull(verify('standard-webhooks', '{}', $headers, ['secret' => self::WHSEC, 'now' => 1_700_000_010])
            ->eventType);
        $at = new \DateTimeImmutable('@1700000020');
        self::assertNull(verify('standard-webhooks', '{}', $headers, ['secret' => self::WHSEC, 'now' => $at])->eventType);
        self::assertSame(VerificationException::class . ' timestamp_out_of_tolerance', self::codeOf(static fn () =>
            verify('standard-webhooks', '{}', $headers, ['secret' => self::WHSEC, 'now' => 1_700_009_999])));
        self::assertSame(2, VerifierCache::size());
    }

    public function testALoopReusesOneVerifier(): void
    {
        $headers = self::signed();
        $first = VerifierCache::get('elmed', ['secret' => self::SECRET]);
        for ($i = 0; $i < 10_000; $i++) {
            verify('elmed', self::BODY, $headers, ['secret' => self::SECRET]);
        }
        self::assertSame(1, VerifierCache::size());
        self::assertSame($first, VerifierCache::get('elmed', ['secret' => self::SECRET]));
        // The same options in another order are the same configuration; another type is another one.
        $rotation = VerifierCache::get('elmed', ['secrets' => [self::SECRET, 'old'], 'tolerance' => 0]);
        self::assertSame($rotation, VerifierCache::get('elmed', ['tolerance' => 0, 'secrets' => [self::SECRET, 'old']]));
        self::assertNotSame($first, VerifierCache::get('elmed', ['secret' => self::SECRET, 'tolerance' => 0]));
        self::assertSame(3, VerifierCache::size());
    }

    public function testTheLeastRecentlyUsedIsEvictedPast32(): void
    {
        $get = static fn (int $n): Verifier => VerifierCache::get('elmed', ['secret' => "secret-$n"]);
        $kept = [];
        for ($n = 0; $n < 32; $n++) {
            $kept[$n] = $get($n);
        }
        self::assertSame(32, VerifierCache::size());
        self::assertSame($kept[0], $get(0)); // now the most recently used: secret 1 is the oldest
        $get(32);
        self::assertSame(32, VerifierCache::size());
        self::assertSame($kept[0], $get(0));
        self::assertSame($kept[2], $get(2));
        self::assertNotSame($kept[1], $get(1)); // evicted, built again
        self::assertSame(VerifierCache::SIZE, VerifierCache::size());
    }

    public function testConfigurationErrorsComeBackEveryCall(): void
    {
        for ($i = 0; $i < 3; $i++) {
            self::assertSame(ConfigException::class . ' unknown_provider',
                self::codeOf(static fn () => verify('acme', self::BODY, self::signed(), ['secret' => self::SECRET])));
            self::assertSame(ConfigException::class . ' invalid_option', self::codeOf(static fn () =>
                verify('elmed', self::BODY, self::signed(), ['secret' => self::SECRET, 'nope' => 1])));
            self::assertSame(ConfigException::class . ' invalid_option', self::codeOf(static fn () =>
                verify('elmed', self::BODY, self::signed(), ['secret' => self::SECRET, 'tolerance' => '5'])));
            self::assertSame(ConfigException::class . ' invalid_option', self::codeOf(static fn () =>
                verify('elmed', self::BODY, self::signed(), ['secrets' => ['a' => new \stdClass()]])));
        }
        self::assertSame(0, VerifierCache::size());
        $this->expectException(\TypeError::class);
        verify('elmed', self::BODY, self::signed(), ['secret' => self::SECRET, 'now' => 'yesterday']);
    }

    public function testTheCacheHoldsNoSecretInTheClear(): void
    {
        $secret = 'whsk_TOPSECRET_in_the_cache';
        verify('elmed', self::BODY, self::signed($secret), ['secret' => $secret]);
        $cache = (new \ReflectionClass(VerifierCache::class))->getProperty('verifiers');
        $kept = $cache->getValue();
        self::assertIsArray($kept);
        self::assertCount(1, $kept);
        $texts = [print_r($kept, true), var_export(array_map(static fn ($v) => $v->provider, $kept), true)];
        foreach (array_keys($kept) as $key) {
            $texts[] = $key;
        }
        ob_start();
        var_dump($kept);
        $texts[] = (string) ob_get_clean();
        try {
            verify('elmed', self::BODY, self::signed(), ['secret' => $secret]);
            self::fail('refused');
        } catch (VerificationException $e) {
            $texts[] = (string) $e;
        }
        foreach ($texts as $text) {
            self::assertStringNotContainsString('TOPSECRET', $text);
        }
    }

    public function testARefusalIsLoggedInOneLineWordedAsEveryHelperWordsIt(): void
    {
        $log = tempnam(sys_get_temp_dir(), 'hookseal-log-');
        $previous = ini_set('error_log', $log);
        try {
            $verifier = new Verifier('elmed', ['secret' => self::SECRET]);
            $answer = Webhook::process($verifier, self::BODY, self::signed('other'),
                static fn (Event $e): array => self::fail('the handler ran for a refused delivery'));
            self::assertSame([401, ['error' => 'signature_mismatch']], [$answer->status, $answer->body]);
            $lines = array_values(array_filter(explode("\n", (string) file_get_contents($log))));
            self::assertCount(1, $lines);
            self::assertMatchesRegularExpression('/hookseal: refused a delivery from elmed: signature_mismatch: \S/',
                $lines[0]);
            self::assertStringNotContainsString(self::SECRET, $lines[0]);
        } finally {
            ini_set('error_log', $previous === false ? '' : $previous);
            @unlink($log);
        }
        $request = new VerificationException('key_mismatch', 'the key does not match');
        self::assertSame('refused a delivery from novamed (POST /webhooks/novamed): key_mismatch: the key does not '
            . 'match', Webhook::refusalLine('novamed', 'POST /webhooks/novamed', $request));
    }
}
