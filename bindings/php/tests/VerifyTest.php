<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use Hookseal\ConfigException;
use Hookseal\Event;
use Hookseal\HooksealException;
use Hookseal\VerificationException;
use Hookseal\Verifier;
use Hookseal\Webhook;
use PHPUnit\Framework\TestCase;

use function Hookseal\sign;
use function Hookseal\verify;

/**
 * The one-call \Hookseal\verify() (hookseal_verify_once_fields: the library keeps the verifiers, per process, as the Rust
 * core's tests and tests/c/abi.c check), and the refusal log line every helper shares.
 */
final class VerifyTest extends TestCase
{
    private const SECRET = 'elmed_whsk_verify_5b1c';
    private const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    private const BODY = '{"event":"order.status_changed","data":{"order_id":88,"status":"IN_TRANSIT"}}';

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
    }

    public function testALoopGivesTheSameEventEveryTime(): void
    {
        $headers = self::signed();
        $first = verify('elmed', self::BODY, $headers, ['secret' => self::SECRET])->toArray();
        for ($i = 0; $i < 10_000; $i++) {
            $event = verify('elmed', self::BODY, $headers, ['secret' => self::SECRET]);
        }
        self::assertSame($first, $event->toArray());
        // The same options in another order are the same configuration, and give the same verdicts.
        $rotated = self::signed('old');
        foreach ([['secrets' => [self::SECRET, 'old'], 'tolerance' => 0],
            ['tolerance' => 0, 'secrets' => [self::SECRET, 'old']]] as $options) {
            self::assertSame($first, verify('elmed', self::BODY, $rotated, $options)->toArray());
        }
        // More configurations than the cache holds: each still verifies with its own secret.
        for ($n = 0; $n < 40; $n++) {
            $secret = "secret-$n";
            self::assertSame($first, verify('elmed', self::BODY, self::signed($secret), ['secret' => $secret])
                ->toArray());
            self::assertSame(VerificationException::class . ' signature_mismatch', self::codeOf(static fn () =>
                verify('elmed', self::BODY, self::signed("secret-$n"), ['secret' => 'secret-' . ($n + 1)])));
        }
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
        $this->expectException(\TypeError::class);
        verify('elmed', self::BODY, self::signed(), ['secret' => self::SECRET, 'now' => 'yesterday']);
    }

    public function testNoErrorShowsTheSecret(): void
    {
        $secret = 'whsk_TOPSECRET_in_the_cache';
        verify('elmed', self::BODY, self::signed($secret), ['secret' => $secret]);
        $texts = [];
        foreach ([static fn () => verify('elmed', self::BODY, self::signed(), ['secret' => $secret]),
            static fn () => verify('elmd', self::BODY, self::signed(), ['secret' => $secret]),
            static fn () => verify('elmed', self::BODY, self::signed(), ['secret' => $secret, 'nope' => $secret]),
        ] as $call) {
            try {
                $call();
                self::fail('refused');
            } catch (HooksealException $e) {
                $texts[] = (string) $e;
                $texts[] = $e->getMessage();
            }
        }
        self::assertCount(6, $texts);
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
