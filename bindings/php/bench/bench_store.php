<?php
/**
 * What exactly-once costs a PHP receiver per delivery: `claim` + `complete` on each backend (memory:, SQLite on disk,
 * Redis on loopback: $HOOKSEAL_TEST_REDIS_URL), beside `verify()` of a 1 KiB ELMED delivery alone and verify + claim +
 * complete. Every call crosses PHP's FFI. Each figure is the median of REPEAT samples of at least MIN_SECONDS, with
 * the range of the samples (run to run on this machine).
 *
 * Run: `make bench-store`, or `scripts/with-redis.sh php -d ffi.enable=1 bindings/php/bench/bench_store.php`.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Hookseal\Store;
use Hookseal\Verifier;

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const REPEAT = 7;
const MIN_SECONDS = 0.3;

/** @return array{float, float, float} median, min, max microseconds per call of $run($i) */
function measure(callable $run): array
{
    $samples = [];
    $i = 0;
    for ($r = 0; $r < REPEAT; $r++) {
        $n = 0;
        $start = hrtime(true);
        do {
            for ($k = 0; $k < 100; $k++) {
                $run($i++);
            }
            $n += 100;
            $elapsed = (hrtime(true) - $start) / 1e9;
        } while ($elapsed < MIN_SECONDS);
        $samples[] = $elapsed / $n * 1e6;
    }
    sort($samples);
    return [$samples[intdiv(count($samples), 2)], $samples[0], $samples[count($samples) - 1]];
}

$body = '{"event":"order.status_changed","timestamp":"2026-03-29T10:45:00","data":{"order_number":"ORD-1","items":"'
    . str_repeat('x', 900) . '"}}';
$headers = \Hookseal\sign('elmed', $body, ['secret' => SECRET]);
$verifier = new Verifier('elmed', ['secret' => SECRET]);
$redis = getenv('HOOKSEAL_TEST_REDIS_URL');
$dir = sys_get_temp_dir() . '/hookseal-bench-' . getmypid();
@mkdir($dir);
$backends = ['memory' => 'memory:', 'sqlite (disk)' => "sqlite://$dir/bench.db"];
if (is_string($redis) && $redis !== '') {
    $backends['redis (loopback)'] = $redis;
} else {
    fwrite(STDERR, "HOOKSEAL_TEST_REDIS_URL is not set: Redis is left out (run under scripts/with-redis.sh)\n");
}

printf("PHP %s, %d samples of >= %.1f s; microseconds per delivery: median (min-max)\n", PHP_VERSION, REPEAT, MIN_SECONDS);
[$med, $lo, $hi] = measure(static fn (int $i) => $verifier->verify($body, $headers));
printf("%-42s %8.1f  (%.1f-%.1f)\n", 'verify (1 KiB ELMED)', $med, $lo, $hi);
foreach ($backends as $name => $url) {
    $store = new Store($url);
    $ns = 'bench' . getmypid();
    [$med, $lo, $hi] = measure(static function (int $i) use ($store, $ns): void {
        $claim = $store->claim($ns, "evt_$i");
        $store->complete($claim);
    });
    printf("%-42s %8.1f  (%.1f-%.1f)\n", "claim + complete, $name", $med, $lo, $hi);
    [$med, $lo, $hi] = measure(static function (int $i) use ($store, $ns, $verifier, $body, $headers): void {
        $event = $verifier->verify($body, $headers);
        $claim = $store->claim($ns . 'v', $event->idempotencyKey . $i);
        $store->complete($claim);
    });
    printf("%-42s %8.1f  (%.1f-%.1f)\n", "verify + claim + complete, $name", $med, $lo, $hi);
}
exec('rm -rf ' . escapeshellarg($dir));
