<?php

/*
 * Writes the header `ffi.preload` reads: bindings/c/include/hookseal_ffi.h with `#define FFI_SCOPE "HOOKSEAL"` and
 * `#define FFI_LIB "<absolute path of libhookseal_ffi.so>"` on top (the library: HOOKSEAL_FFI_LIB, else the
 * package's lib/, else the workspace's target/release). Needed where the server starts as root (PHP-FPM); see
 * preload.php.
 *
 *     php bindings/php/ffi-header.php /etc/php/8.2/hookseal.h     # then: ffi.preload=/etc/php/8.2/hookseal.h
 *     php bindings/php/ffi-header.php -                           # to stdout
 */

declare(strict_types=1);

require_once __DIR__ . '/autoload.php';

if (PHP_SAPI !== 'cli' || $argc !== 2) {
    fwrite(STDERR, "usage: php ffi-header.php <output file>|-\n");
    exit(2);
}
try {
    $text = Hookseal\Ffi::scopedHeader();
} catch (RuntimeException $e) {
    fwrite(STDERR, "ffi-header.php: {$e->getMessage()}\n");
    exit(1);
}
if ($argv[1] === '-') {
    echo $text;
    exit(0);
}
// Written next to the target, then renamed over it: a server starting meanwhile reads the old header or the new one.
$tmp = $argv[1] . '.tmp' . getmypid();
if (file_put_contents($tmp, $text) !== strlen($text) || !chmod($tmp, 0644) || !rename($tmp, $argv[1])) {
    @unlink($tmp);
    fwrite(STDERR, "ffi-header.php: cannot write {$argv[1]}\n");
    exit(1);
}
fwrite(STDERR, "wrote {$argv[1]}: set ffi.preload={$argv[1]}\n");
