<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

/** bindings/php/README.md's PHP snippets, run as written from the repository root: documentation that cannot drift. */
final class ReadmeTest extends TestCase
{
    /** @return list<string> */
    private static function snippets(): array
    {
        preg_match_all('/```php\n(.*?)```/s', (string) file_get_contents(dirname(__DIR__) . '/README.md'), $blocks);
        self::assertCount(2, $blocks[1], 'the README has two PHP snippets: usage and exactly once');
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

    public function testTheExactlyOnceSnippetRuns(): void
    {
        self::assertSame("200 processed\n200 duplicate\n", self::runSnippet(self::snippets()[1]));
    }
}
