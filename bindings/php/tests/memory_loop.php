<?php

/*
 * 1,000,000 deliveries through one Verifier in one process (a long-running worker's life): PHP's heap
 * (memory_get_usage) and the process's resident memory (VmRSS, which also counts the native library's allocations)
 * are read after a warm-up and at the end, and must stay flat. Every 10th delivery is refused (the error path:
 * exception plus the C ABI's last error message) and a fresh Verifier replaces the old one every 1,000 (the native
 * handle freed by __destruct).
 *
 *     php bindings/php/tests/memory_loop.php [deliveries]        (run by `make test-php`; MemoryTest runs a short one)
 *
 * Prints one JSON line with the figures; exits 1 when the heap grew by 1 MiB or more, or RSS by 5 MiB or more.
 */

declare(strict_types=1);

require_once __DIR__ . '/../autoload.php';

use Hookseal\VerificationException;
use Hookseal\Verifier;

$total = (int) ($argv[1] ?? 1_000_000);
$warmup = min(20_000, intdiv($total, 10));
const HEAP_LIMIT = 1 << 20;
const RSS_LIMIT = 5 << 20;

function rss(): int
{
    $status = (string) @file_get_contents('/proc/self/status');
    return preg_match('/^VmRSS:\s+(\d+) kB/m', $status, $m) === 1 ? (int) $m[1] * 1024 : 0;
}

$secret = 'elmed_whsk_4f9c2a7e1b6d3c8a5e0f';
$body = file_get_contents(__DIR__ . '/../../../tests/samples/elmed/order.status_changed.json');
$headers = \Hookseal\sign('elmed', $body, ['secret' => $secret]);
$tampered = str_replace('IN_TRANSIT', 'DELIVERED', $body);

$verifier = new Verifier('elmed', ['secret' => $secret]);
$processed = 0;
$refused = 0;
$heapStart = $rssStart = 0;
$started = $measured = microtime(true);
for ($i = 0; $i < $total; $i++) {
    if ($i === $warmup) {
        gc_collect_cycles();
        $heapStart = memory_get_usage();
        $rssStart = rss();
        $measured = microtime(true);
    }
    if ($i % 1000 === 999) {
        $verifier = new Verifier('elmed', ['secret' => $secret]);
    }
    if ($i % 10 === 9) {
        try {
            $verifier->verify($tampered, $headers);
        } catch (VerificationException $e) {
            $refused += $e->errorCode === 'signature_mismatch' ? 1 : 0;
        }
        continue;
    }
    $event = $verifier->verify($body, $headers);
    $processed += $event->data['order_id'] === 88 ? 1 : 0;
}
gc_collect_cycles();
$elapsed = microtime(true) - $started;
$heapGrowth = memory_get_usage() - $heapStart;
$rssGrowth = rss() - $rssStart;
$result = [
    'deliveries' => $total,
    'processed' => $processed,
    'refused' => $refused,
    'seconds' => round($elapsed, 2),
    'us_per_delivery' => round(($elapsed / max(1, $total)) * 1e6, 2),
    'heap_start' => $heapStart,
    'heap_growth' => $heapGrowth,
    'rss_start' => $rssStart,
    'rss_growth' => $rssGrowth,
    'peak_heap' => memory_get_peak_usage(),
];
echo json_encode($result), "\n";
$expected = $total - intdiv($total, 10);
if ($processed !== $expected || $refused !== intdiv($total, 10)) {
    fwrite(STDERR, "memory_loop: $processed processed and $refused refused, expected $expected and "
        . intdiv($total, 10) . "\n");
    exit(1);
}
if ($heapGrowth >= HEAP_LIMIT || $rssGrowth >= RSS_LIMIT) {
    fwrite(STDERR, sprintf("memory_loop: memory grew: heap %+d bytes (limit %d), RSS %+d bytes (limit %d)\n",
        $heapGrowth, HEAP_LIMIT, $rssGrowth, RSS_LIMIT));
    exit(1);
}
