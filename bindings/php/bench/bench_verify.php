<?php
/**
 * hookseal's PHP verify against the floor and ELMED's own snippet: one table of ratios per body shape.
 *
 * Sides (each gets the same body string and the headers of its own scheme, as `getallheaders()` gives them; each
 * returns the payload's `data`, decoded into PHP arrays as a handler would use it):
 * - floor: `hash_hmac('sha256', $body, SECRET)` (hex) compared by `hash_equals` to the `X-Signature: sha256=<hex>`
 *   header, then `json_decode($body, true)`: the least a PHP receiver can do;
 * - ELMED's docs snippet, verbatim (`$_SERVER['HTTP_X_ELMED_SIGNATURE']`, `"sha256=" . hash_hmac(...)`,
 *   `hash_equals`), then `json_decode($body, true)`;
 * - hookseal `custom` (hmac-sha256, hex, header `X-Signature`, prefix `sha256=`: the floor's scheme), reading `->data`;
 * - hookseal `elmed` (the preset), reading `->data` and `->idempotencyKey` (the body's SHA-256: hashed for it).
 *
 * Bodies: ELMED's documented sample (tests/samples/elmed/order.status_changed.json) in two shapes, at 1 KiB, 64 KiB
 * and 1 MiB, serialised like Python's json.dumps defaults (the same bytes as bindings/node/bench/bodies.js; each body's
 * length and SHA-256 prefix is printed and checked against that list): `records` grows data.items with order lines
 * (many small values), `strings` adds data.attachment with a base64 document (one large string) to exactly the size.
 *
 * Before timing, every side accepts the genuine delivery, returns the floor's `data`, and refuses a tampered
 * signature. Timing: each side calibrated like timeit's autorange (a sample lasts >= 0.2 s; 0.1 s at 1 MiB), then
 * REPEAT rounds in which every side runs one sample (the order rotating each round), so noise hits all sides alike.
 * PHP frees by reference counting; the cycle collector stays on, as PHP runs it, with gc_collect_cycles() before each
 * sample. Per cell: the best per-call time, its ratio to the floor's best, and the range of the per-round ratios
 * (side's sample / floor's sample of the same round). Target: hookseal <= 1.05x the floor at every size.
 *
 * Run: `make bench-php`, or `php -d ffi.enable=1 bindings/php/bench/bench_verify.php` from the repository root
 * (environment: BENCH_REPEAT rounds, default 15; BENCH_SIZES, e.g. "1024,65536", to run fewer sizes).
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const TARGET = 1.05;
const SIZES = ['1 KiB' => 1024, '64 KiB' => 65536, '1 MiB' => 1048576];
/** bodies.js's bytes (length and the first 16 hex digits of the SHA-256), per shape and target size. */
const REFERENCE = [
    'records' => [1024 => [1006, 'b0d4e774d8b444fa'], 65536 => [65500, '3346c9596739cf2f'],
        1048576 => [1048442, '27fe1d3258b8c9af']],
    'strings' => [1024 => [1024, '9fabf1998ae4c8c9'], 65536 => [65536, 'f4c7b3259c62d195'],
        1048576 => [1048576, 'c0a34eea4cc8802f']],
];
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

$root = dirname(__DIR__, 3);
$repeat = (int) (getenv('BENCH_REPEAT') ?: 15);
$only = getenv('BENCH_SIZES') ? array_map('intval', explode(',', (string) getenv('BENCH_SIZES'))) : null;

/** `json.dumps(value)` with Python's defaults (", " and ": "; the sample is ASCII, floats never whole). */
function py_dumps(mixed $value): string
{
    if (is_array($value) && array_is_list($value)) {
        return '[' . implode(', ', array_map('py_dumps', $value)) . ']';
    }
    if (is_array($value)) {
        $parts = [];
        foreach ($value as $k => $v) {
            $parts[] = py_dumps((string) $k) . ': ' . py_dumps($v);
        }
        return '{' . implode(', ', $parts) . '}';
    }
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
}

function sample_envelope(string $root): array
{
    return json_decode(file_get_contents("$root/tests/samples/elmed/order.status_changed.json"), true);
}

/** `records`: as many order lines in data.items as fit in $target bytes (bodies.js `elmedBody`). */
function records_body(string $root, int $target): string
{
    $envelope = sample_envelope($root);
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
    return py_dumps($envelope);
}

/** `strings`: data.attachment's base64 text sized so the body is exactly $target bytes (bodies.js `elmedStringBody`). */
function strings_body(string $root, int $target): string
{
    $envelope = sample_envelope($root);
    $envelope['data']['attachment'] = ['filename' => 'referral-letter.pdf', 'content_type' => 'application/pdf',
        'content_base64' => ''];
    $fill = $target - strlen(py_dumps($envelope));
    $text = '';
    for ($i = 0; $i < $fill; $i++) {
        $text .= BASE64[($i * 7919) % 64];
    }
    $envelope['data']['attachment']['content_base64'] = $text;
    return py_dumps($envelope);
}

/** ELMED's documented check, verbatim, and the parse the handler needs. */
function elmed_snippet(string $body, array $server): array
{
    $header = $server['HTTP_X_ELMED_SIGNATURE'] ?? '';
    $expected = 'sha256=' . hash_hmac('sha256', $body, SECRET);
    if (!hash_equals($expected, $header)) {
        throw new RuntimeException('signature mismatch');
    }
    return json_decode($body, true);
}

/**
 * The sides: name => [headers for the body, call returning the data, the header a tamper test flips].
 *
 * @return array<string, array{0: callable(string): array, 1: callable(string, array): mixed, 2: string}>
 */
function sides(): array
{
    $custom = new Hookseal\Verifier('custom', ['secret' => SECRET, 'scheme' => 'hmac-sha256', 'header' => 'X-Signature',
        'prefix' => 'sha256=', 'encoding' => 'hex']);
    $elmed = new Hookseal\Verifier('elmed', ['secret' => SECRET]);
    $signed = fn (string $name) => fn (string $body) => ['Content-Type' => 'application/json',
        $name => 'sha256=' . hash_hmac('sha256', $body, SECRET)];
    return [
        'floor: hash_hmac + json_decode' => [$signed('X-Signature'), function (string $body, array $headers) {
            if (!hash_equals('sha256=' . hash_hmac('sha256', $body, SECRET), $headers['X-Signature'] ?? '')) {
                throw new RuntimeException('signature mismatch');
            }
            return json_decode($body, true)['data'];
        }, 'X-Signature'],
        "ELMED's docs snippet" => [
            fn (string $body) => ['CONTENT_TYPE' => 'application/json',
                'HTTP_X_ELMED_SIGNATURE' => 'sha256=' . hash_hmac('sha256', $body, SECRET)],
            fn (string $body, array $server) => elmed_snippet($body, $server)['data'],
            'HTTP_X_ELMED_SIGNATURE',
        ],
        'hookseal custom (hex)' => [$signed('X-Signature'),
            fn (string $body, array $headers) => $custom->verify($body, $headers)->data, 'X-Signature'],
        'hookseal elmed' => [$signed('X-ELMED-Signature'), function (string $body, array $headers) use ($elmed) {
            $event = $elmed->verify($body, $headers);
            return strlen($event->idempotencyKey) > 0 ? $event->data : null;
        }, 'X-ELMED-Signature'],
    ];
}

/** Fails loudly when a side does less than the floor: genuine accepted, same data, tampered signature refused. */
function sanity(string $name, callable $call, array $headers, string $tamper, string $body, mixed $expected): void
{
    if ($call($body, $headers) !== $expected) {
        throw new LogicException("$name: the data differs from the floor's json_decode");
    }
    $bad = $headers;
    $bad[$tamper][-1] = $bad[$tamper][-1] === '0' ? '1' : '0';
    try {
        $call($body, $bad);
    } catch (RuntimeException) {
        return; // refused (Hookseal\VerificationException is one)
    }
    throw new LogicException("$name: a tampered signature was accepted");
}

/** Calls per sample so that one sample lasts at least $seconds (timeit's autorange: 1, 2, 5, 10, 20, 50, …). */
function calibrate(callable $f, float $seconds): int
{
    for ($scale = 1; ; $scale *= 10) {
        foreach ([1, 2, 5] as $step) {
            $n = $step * $scale;
            if (sample($f, $n) * $n / 1e6 >= $seconds) {
                return $n;
            }
        }
    }
}

/** Microseconds per call over $n calls. */
function sample(callable $f, int $n): float
{
    gc_collect_cycles();
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $f();
    }
    return (hrtime(true) - $t) / 1e3 / $n;
}

function us(float $us): string
{
    return $us >= 1000 ? sprintf('%.2f ms', $us / 1000) : sprintf('%.1f us', $us);
}

/** @param array<string, array<string, string>> $rows side => size label => cell */
function tables(string $title, array $rows): string
{
    $labels = array_keys(reset($rows));
    $first = max(array_map('strlen', array_keys($rows)));
    $widths = [];
    foreach ($labels as $label) {
        $widths[$label] = max(strlen($label), ...array_values(array_map(fn ($r) => strlen($r[$label]), $rows)));
    }
    $plain = sprintf("%s\n%-{$first}s", $title, '');
    foreach ($labels as $label) {
        $plain .= sprintf(" | %-{$widths[$label]}s", $label);
    }
    $md = "| $title | " . implode(' | ', $labels) . " |\n|---" . str_repeat('|---', count($labels)) . "|\n";
    foreach ($rows as $side => $cells) {
        $plain .= sprintf("\n%-{$first}s", $side);
        foreach ($labels as $label) {
            $plain .= sprintf(" | %-{$widths[$label]}s", $cells[$label]);
        }
        $md .= "| $side | " . str_replace('us', 'µs', implode(' | ', $cells)) . " |\n";
    }
    return "$plain\n\n$md";
}

$cpu = 'unknown CPU';
foreach (@file('/proc/cpuinfo') ?: [] as $line) {
    if (str_starts_with($line, 'model name')) {
        $cpu = trim(explode(':', $line, 2)[1]);
        break;
    }
}
$commit = trim((string) @shell_exec('git -C ' . escapeshellarg($root) . ' rev-parse --short HEAD 2>/dev/null'));
printf("PHP %s (%s, FFI), opcache %s, JIT %s\n", PHP_VERSION, PHP_OS_FAMILY,
    function_exists('opcache_get_status') && @opcache_get_status(false) ? 'on' : 'off',
    ini_get('opcache.jit') ?: 'off');
printf("%s, %s %s; load average %.2f\n", $cpu, php_uname('s'), php_uname('r'), sys_getloadavg()[0]);
printf("%s, commit %s\n", gmdate('Y-m-d H:i') . ' UTC', $commit !== '' ? $commit : 'unknown');
printf("best of %d interleaved rounds (a sample >= 0.2 s, 0.1 s at 1 MiB); cells: best per call (ratio to the floor's "
    . "best, range of per-round ratios)\n\n", $repeat);

$sides = sides();
$floorName = array_key_first($sides);
$verdicts = [];
foreach (['records' => 'records_body', 'strings' => 'strings_body'] as $shape => $make) {
    $rows = [];
    foreach (SIZES as $label => $size) {
        if ($only !== null && !in_array($size, $only, true)) {
            continue;
        }
        $body = $make($root, $size);
        [$length, $digest] = REFERENCE[$shape][$size];
        $mine = substr(hash('sha256', $body), 0, 16);
        printf("%s %s: %d bytes, sha256 %s\n", $shape, $label, strlen($body), $mine);
        if (strlen($body) !== $length || $mine !== $digest) {
            fwrite(STDERR, "the $shape $label body differs from bodies.js's ($length bytes, sha256 $digest)\n");
            exit(1);
        }
        $expected = json_decode($body, true)['data'];
        $runs = [];
        foreach ($sides as $name => [$headersOf, $call, $tamper]) {
            $headers = $headersOf($body);
            sanity($name, $call, $headers, $tamper, $body, $expected);
            $sink = 0;
            $runs[$name] = function () use ($call, $body, $headers, &$sink) {
                $sink += count($call($body, $headers));
            };
        }
        $calls = [];
        foreach ($runs as $name => $run) {
            $calls[$name] = calibrate($run, $size >= 1048576 ? 0.1 : 0.2);
        }
        $times = array_fill_keys(array_keys($runs), []);
        $names = array_keys($runs);
        for ($r = 0; $r < $repeat; $r++) {
            foreach ($names as $name) {
                $times[$name][] = sample($runs[$name], $calls[$name]);
            }
            $names[] = array_shift($names);
        }
        $floor = $times[$floorName];
        foreach ($times as $name => $t) {
            $ratios = array_map(fn ($a, $b) => $a / $b, $t, $floor);
            $ratio = min($t) / min($floor);
            $rows[$name][$label] = $name === $floorName ? us(min($t))
                : sprintf('%s (%.2fx, %.2f-%.2f)', us(min($t)), $ratio, min($ratios), max($ratios));
            if (str_starts_with($name, 'hookseal')) {
                $verdicts[] = sprintf('%s, %s %s: %.2fx %s', $name, $shape, $label, $ratio,
                    $ratio <= TARGET ? 'MET' : 'NOT MET');
            }
        }
    }
    if ($rows !== []) {
        echo "\n", tables("$shape body", $rows), "\n";
    }
}
printf("Target: hookseal <= %.2fx the floor (hash_hmac + hash_equals + json_decode) at every size\n", TARGET);
echo implode("\n", $verdicts), "\n";
