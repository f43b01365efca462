<?php
/**
 * hookseal against ELMED's own PHP snippet, per verified delivery with the data decoded.
 *
 * snippet  = the ELMED documentation's check, verbatim: `"sha256=" . hash_hmac("sha256", $body, SECRET)`,
 *            `hash_equals($expected, $header)`, then `json_decode($body, true)` (the handler needs the payload);
 * hookseal = `$verifier->verify($body, $headers)` reading `->data` and `->idempotencyKey` (hookseal also checks the
 *            envelope, hashes the body for the idempotency key and crosses PHP's FFI twice).
 * Bodies are the documented sample (tests/samples/elmed/order.status_changed.json) grown with line items to about
 * 1 KiB, 64 KiB and just under 1 MiB (the default size limit), serialised like the Python and Node benchmarks.
 * The sides are timed alternately, REPEAT samples of at least 0.2 s each; best and median per call are reported.
 *
 * Run: `make bench-php`, or `php -d ffi.enable=1 bindings/php/bench/bench_verify.php` from the repository root.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const REPEAT = 15;
const MIN_SECONDS = 0.2;

$root = dirname(__DIR__, 3);

/** The body serialised as Python's json.dumps does by default (", " and ": " separators). */
function py_dumps(mixed $value): string
{
    if (is_array($value) && array_is_list($value)) {
        return '[' . implode(', ', array_map('py_dumps', $value)) . ']';
    }
    if (is_array($value)) {
        $parts = [];
        foreach ($value as $k => $v) {
            $parts[] = json_encode((string) $k) . ': ' . py_dumps($v);
        }
        return '{' . implode(', ', $parts) . '}';
    }
    if (is_float($value)) {
        $text = json_encode($value);
        return str_contains($text, '.') || str_contains($text, 'e') ? $text : $text . '.0';
    }
    return json_encode($value, JSON_UNESCAPED_SLASHES);
}

function body_of(string $root, int $target): string
{
    $envelope = json_decode(file_get_contents("$root/tests/samples/elmed/order.status_changed.json"), true);
    $products = [['Amoxicillin 500 mg capsules, 21', 8450], ['Atorvastatin 20 mg tablets, 30', 12999],
        ['Metformin 850 mg tablets, 56', 6320], ['Salbutamol 100 mcg inhaler, 200 doses', 9875],
        ['Omeprazole 20 mg capsules, 28', 5410], ['Levothyroxine 50 mcg tablets, 28', 7150]];
    $envelope['data']['items'] = [];
    $size = strlen(py_dumps($envelope));
    $items = [];
    for ($n = 0; ; $n++) {
        [$name, $cents] = $products[$n % count($products)];
        $item = ['line_id' => $n + 1, 'sku' => sprintf('SKU-%06d', 100000 + $n * 37 % 900000), 'name' => $name,
            'qty' => 1 + $n % 3, 'unit_price' => $cents / 100, 'currency' => 'ZAR', 'dispensed' => $n % 4 !== 0];
        $extra = strlen(py_dumps($item)) + ($items ? 2 : 0); // ", " between items
        if ($size + $extra > $target) {
            break;
        }
        $items[] = $item;
        $size += $extra;
    }
    $envelope['data']['items'] = $items;
    $body = py_dumps($envelope);
    if (strlen($body) !== $size) {
        throw new LogicException("body size estimate $size differs from " . strlen($body));
    }
    return $body;
}

function snippet(string $body, array $server): array
{
    $header = $server['HTTP_X_ELMED_SIGNATURE'] ?? '';
    $expected = 'sha256=' . hash_hmac('sha256', $body, SECRET);
    if (!hash_equals($expected, $header)) {
        throw new RuntimeException('signature mismatch');
    }
    return json_decode($body, true);
}

/** Calls per sample so that one sample takes at least MIN_SECONDS. */
function calibrate(callable $f): int
{
    for ($n = 1; ; $n *= 2) {
        $t = hrtime(true);
        for ($i = 0; $i < $n; $i++) {
            $f();
        }
        if ((hrtime(true) - $t) / 1e9 >= MIN_SECONDS) {
            return $n;
        }
    }
}

function sample(callable $f, int $n): float
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $f();
    }
    return (hrtime(true) - $t) / 1e3 / $n;
}

function median(array $xs): float
{
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

$verifier = new Hookseal\Verifier('elmed', ['secret' => SECRET]);
printf("PHP %s (FFI), hookseal; load average %.2f; best and median of %d samples (each >= %.1f s), sides alternating\n",
    PHP_VERSION, sys_getloadavg()[0], REPEAT, MIN_SECONDS);
printf("ratio = snippet / hookseal (> 1: hookseal faster)\n\n");
printf("%-16s %10s | %10s %10s | %10s %10s | %7s %7s\n", 'case', 'bytes', 'snippet', 'median', 'hookseal', 'median',
    'best', 'median');
$verdict = [];
foreach (['1 KiB' => 1024, '64 KiB' => 65536, '1 MiB' => 1048576] as $label => $size) {
    $body = body_of($root, $size);
    $signed = Hookseal\sign('elmed', $body, ['secret' => SECRET]);
    $headers = ['Content-Type' => 'application/json', 'X-ELMED-Signature' => $signed['X-ELMED-Signature']];
    $server = ['HTTP_X_ELMED_SIGNATURE' => $signed['X-ELMED-Signature'], 'CONTENT_TYPE' => 'application/json'];
    // Both sides accept the body and decode the same data.
    $event = $verifier->verify($body, $headers);
    if ($event->data != snippet($body, $server)['data'] || $event->idempotencyKey !== 'sha256:' . hash('sha256', $body)) {
        fwrite(STDERR, "the two sides disagree on the $label body\n");
        exit(1);
    }
    $sink = 0;
    $a = function () use ($body, $server, &$sink) { $sink += count(snippet($body, $server)['data']); };
    $b = function () use ($verifier, $body, $headers, &$sink) {
        $e = $verifier->verify($body, $headers);
        $sink += count($e->data) + strlen($e->idempotencyKey);
    };
    $na = calibrate($a);
    $nb = calibrate($b);
    $sa = $sb = [];
    for ($r = 0; $r < REPEAT; $r++) {
        $sa[] = sample($a, $na);
        $sb[] = sample($b, $nb);
    }
    $best = min($sa) / min($sb);
    $med = median($sa) / median($sb);
    $verdict[$label] = [$best, $med];
    printf("elmed %-10s %10d | %10.2f %10.2f | %10.2f %10.2f | %6.2fx %6.2fx\n", $label, strlen($body), min($sa),
        median($sa), min($sb), median($sb), $best, $med);
}
printf("\n(us per call)\nVerdict: 1 KiB %.2fx (median %.2fx) vs target >= 1x (no slower): %s; 1 MiB %.2fx (median %.2fx) vs target >= 2x: %s\n",
    $verdict['1 KiB'][0], $verdict['1 KiB'][1], $verdict['1 KiB'][0] >= 1 ? 'MET' : 'NOT MET',
    $verdict['1 MiB'][0], $verdict['1 MiB'][1], $verdict['1 MiB'][0] >= 2 ? 'MET' : 'NOT MET');
