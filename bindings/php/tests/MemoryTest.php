<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

/**
 * 1,000,000 deliveries in one process must leave PHP's heap and the process's RSS flat: tests/memory_loop.php, run
 * in a fresh PHP process so that PHPUnit's own allocations do not blur the figures (about 10 s on this project's
 * 2-core machine). The figures go to stderr.
 */
final class MemoryTest extends TestCase
{
    public function testAMillionDeliveriesLeaveMemoryFlat(): void
    {
        $deliveries = (int) (getenv('HOOKSEAL_MEMORY_DELIVERIES') ?: 1_000_000);
        $command = [PHP_BINARY, '-d', 'ffi.enable=1', __DIR__ . '/memory_loop.php', (string) $deliveries];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $code = proc_close($process);
        self::assertSame(0, $code, "memory_loop.php failed:\n$out$err");
        $figures = json_decode(trim($out), true, 4, JSON_THROW_ON_ERROR);
        fwrite(STDERR, "\nmemory_loop.php: " . trim($out) . "\n");
        self::assertSame($deliveries, $figures['deliveries']);
        self::assertLessThan(1 << 20, $figures['heap_growth'], 'memory_get_usage() grew');
        self::assertLessThan(5 << 20, $figures['rss_growth'], 'VmRSS grew');
        self::assertGreaterThan(0, $figures['rss_start'], 'VmRSS was read');
    }
}
