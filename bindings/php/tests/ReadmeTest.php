<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

/** bindings/php/README.md's PHP snippet, run as written from the repository root: documentation that cannot drift. */
final class ReadmeTest extends TestCase
{
    public function testTheUsageSnippetRuns(): void
    {
        $root = dirname(__DIR__, 3);
        preg_match_all('/```php\n(.*?)```/s', (string) file_get_contents(dirname(__DIR__) . '/README.md'), $blocks);
        self::assertCount(1, $blocks[1], 'the README has one PHP snippet');
        $script = tempnam(sys_get_temp_dir(), 'hookseal-readme-');
        try {
            file_put_contents($script, $blocks[1][0]);
            $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', $script], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $pipes, $root);
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            self::assertSame(0, proc_close($process), $out);
        } finally {
            unlink($script);
        }
        $body = '{"event":"claim.decision","timestamp":"2026-03-29T14:00:00","data":{"claim_id":31,"amount":850.00}}';
        self::assertSame('claim.decision sha256:' . hash('sha256', $body) . " 31\n", $out);
    }
}
