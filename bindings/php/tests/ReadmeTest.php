<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

/**
 * bindings/php/README.md's PHP scripts (the blocks that start with `<?php`; the others are fragments of a Laravel app,
 * which FrameworkTest serves whole) and the top README's Laravel and Symfony block, run as written from the repository
 * root: documentation that cannot drift.
 */
final class ReadmeTest extends TestCase
{
    /** @return list<string> */
    private static function snippets(): array
    {
        preg_match_all('/```php\n(<\?php\n.*?)```/s', (string) file_get_contents(dirname(__DIR__) . '/README.md'),
            $blocks);
        self::assertCount(3, $blocks[1], 'the README has three PHP scripts: usage, exactly once, Symfony');
        return $blocks[1];
    }

    private static function runSnippet(string $snippet): string
    {
        $script = tempnam(sys_get_temp_dir(), 'hookseal-readme-');
        try {
            file_put_contents($script, $snippet);
            $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', $script], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $pipes, dirname(__DIR__, 3));
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            self::assertSame(0, proc_close($process), $out);
        } finally {
            unlink($script);
        }
        return $out;
    }

    public function testTheUsageSnippetRuns(): void
    {
        $out = self::runSnippet(self::snippets()[0]);
        $body = '{"event":"claim.decision","timestamp":"2026-03-29T14:00:00","data":{"claim_id":31,"amount":850.00}}';
        self::assertSame('claim.decision sha256:' . hash('sha256', $body) . " 31\n", $out);
    }

    public function testTheSymfonySnippetRuns(): void
    {
        // error_log goes to the CLI's stderr, which runSnippet reads after stdout.
        self::assertSame("200 processed\n413 payload_too_large\nhookseal: refused a delivery from elmed (POST "
            . "/webhooks/elmed): payload_too_large: the body is over the limit of 1024 bytes\n",
            self::runSnippet(self::snippets()[2]));
    }

    /** The top README's block under `<!-- framework: laravel -->`. */
    public function testTheTopReadmesLaravelAndSymfonyBlockRuns(): void
    {
        $readme = (string) file_get_contents(dirname(__DIR__, 3) . '/README.md');
        self::assertSame(1, preg_match('/<!-- framework: laravel -->\n.*?```php\n(.*?)```/s', $readme, $block));
        self::assertStringContainsString('VerifyWebhook', $block[1]);
        self::assertSame("200 {\"status\":\"processed\"}\n", self::runSnippet($block[1]));
    }

    public function testTheExactlyOnceSnippetRuns(): void
    {
        self::assertSame("200 processed\n200 duplicate\n", self::runSnippet(self::snippets()[1]));
    }
}
