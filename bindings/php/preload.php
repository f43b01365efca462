<?php

/*
 * hookseal's FFI preloading: the setup for production PHP-FPM (and any server where FFI stays restricted).
 *
 * PHP runs this file once, when the server starts (opcache.preload). It preloads the Hookseal\ classes,
 * \Hookseal\sign() and \Hookseal\verify(), and makes sure the C ABI is declared as the FFI scope "HOOKSEAL" (the
 * library opened and its header parsed once per server, not per request). Requests reach the library through
 * FFI::scope('HOOKSEAL'), which `ffi.enable=preload` (PHP's default) allows, while FFI::cdef/FFI::load stay
 * forbidden to request code.
 *
 * Two ways to declare the scope, depending on the user the server starts as:
 *
 * 1. The master runs as root (the usual PHP-FPM service): PHP then requires opcache.preload_user and refuses
 *    FFI::load() during preloading ("doesn't work in conjunction with opcache.preload_user"), so the scope comes
 *    from `ffi.preload`, a header written once (again after moving the library):
 *
 *        php bindings/php/ffi-header.php /etc/php/8.2/hookseal.h
 *
 *    php.ini (or the pool's php_admin_value), with absolute paths:
 *
 *        ffi.enable=preload
 *        ffi.preload=/etc/php/8.2/hookseal.h
 *        opcache.enable=1
 *        opcache.preload=/path/to/hookseal/bindings/php/preload.php   ; Composer: vendor/hookseal/hookseal/preload.php
 *        opcache.preload_user=www-data
 *
 * 2. The server starts as an ordinary user: the same lines without ffi.preload (and opcache.preload_user is
 *    ignored); this file writes the header to a private temporary file and FFI::load()s it.
 *
 * Add opcache.enable_cli=1 to preload under the CLI SAPIs too (php -S, tests). The library is HOOKSEAL_FFI_LIB (in
 * the environment of the process that starts the server), else the package's lib/libhookseal_ffi.so (the
 * hookseal-php archive), else the workspace's target/release/libhookseal_ffi.so.
 * A new library or new classes need a server restart, as for anything preloaded.
 */

declare(strict_types=1);

require_once __DIR__ . '/autoload.php';

(static function (): void {
    $declared = true;
    try {
        FFI::scope(Hookseal\Ffi::SCOPE); // from ffi.preload
    } catch (FFI\Exception) {
        $declared = false;
    }
    if (!$declared) {
        // FFI::load reads FFI_SCOPE and FFI_LIB from #define lines at the top of a header file, and the library's
        // absolute path is only known here: the header goes to a fresh private file (tempnam creates it 0600 with
        // O_EXCL, so no other user can have planted it), is loaded, then removed.
        $text = Hookseal\Ffi::scopedHeader();
        $file = tempnam(sys_get_temp_dir(), 'hookseal-ffi-');
        if ($file === false) {
            throw new RuntimeException('hookseal preload: cannot create a temporary file in ' . sys_get_temp_dir());
        }
        try {
            if (file_put_contents($file, $text) !== strlen($text)) {
                throw new RuntimeException("hookseal preload: cannot write $file");
            }
            if (FFI::load($file) === null) {
                throw new RuntimeException('hookseal preload: FFI::load failed (is ffi.enable=preload set?)');
            }
        } catch (FFI\Exception $e) {
            if (!str_contains($e->getMessage(), 'preload_user')) {
                throw $e;
            }
            throw new RuntimeException(
                'hookseal preload: the server starts as root, where PHP refuses FFI::load() while preloading: write '
                . 'the header once with `php ' . __DIR__ . '/ffi-header.php /etc/php/hookseal.h` and set '
                . 'ffi.preload=/etc/php/hookseal.h (see the top of ' . __FILE__ . '). PHP said: ' . $e->getMessage()
            );
        } finally {
            @unlink($file);
        }
    }

    // The classes, parents first, and sign() and verify() (declared by autoload.php): compiled once, shared by every
    // request.
    $classes = ['Ffi', 'HooksealException', 'VerificationException', 'ConfigException', 'StoreException', 'Headers',
        'Event', 'Verifier', 'Claim', 'Store', 'Answer', 'Webhook'];
    foreach ($classes as $class) {
        if (!class_exists("Hookseal\\$class")) {
            throw new RuntimeException("hookseal preload: class Hookseal\\$class not found");
        }
    }
})();
