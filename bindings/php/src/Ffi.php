<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * The C ABI (bindings/c/include/hookseal.h), loaded once per process, and the few steps every call shares: options as
 * JSON text, reading and freeing a `hookseal_bytes`, turning a status into an exception.
 *
 * Two ways in: the `HOOKSEAL` scope declared at server start (PHP-FPM: `ffi.preload` with the header from
 * ffi-header.php, or preload.php's own FFI::load), else `FFI::cdef` over the preprocessor-free header (CLI,
 * `php -S -d ffi.enable=1`).
 * The library is `HOOKSEAL_FFI_LIB`, else the package's own lib/libhookseal_ffi.so (the prebuilt library of the
 * hookseal-php archive, `make dist`), else the workspace's target/release/libhookseal_ffi.so (`make c-lib`); the
 * header `HOOKSEAL_FFI_HEADER`, else the package's include/hookseal_ffi.h, else bindings/c/include/hookseal_ffi.h.
 *
 * @internal
 */
final class Ffi
{
    /** The scope name preload.php gives the library (`#define FFI_SCOPE "HOOKSEAL"`). */
    public const SCOPE = 'HOOKSEAL';

    private const STATUS_OK = 0;
    private const STATUS_STORE_UNAVAILABLE = 11;
    private const STATUS_INVALID_UTF8 = 1001;

    private static ?\FFI $ffi = null;

    private static ?\FFI\CType $bytesPointer = null;

    private function __construct()
    {
    }

    /** The library's FFI object, loaded on first use. */
    public static function get(): \FFI
    {
        return self::$ffi ??= self::load();
    }

    /** The shared library beside this package (the hookseal-php archive's lib/). */
    private const PACKAGE_LIBRARY = '/lib/libhookseal_ffi.so';

    /** The header beside this package (the hookseal-php archive's include/). */
    private const PACKAGE_HEADER = '/include/hookseal_ffi.h';

    /**
     * The shared library's path: `HOOKSEAL_FFI_LIB` when set (and then only it), else the package's own
     * lib/libhookseal_ffi.so when it exists, else the workspace's target/release/libhookseal_ffi.so.
     */
    public static function libraryPath(): string
    {
        $path = getenv('HOOKSEAL_FFI_LIB');
        if (is_string($path) && $path !== '') {
            return $path;
        }
        $package = dirname(__DIR__) . self::PACKAGE_LIBRARY;
        return is_file($package) ? $package : dirname(__DIR__, 3) . '/target/release/libhookseal_ffi.so';
    }

    /** Why the library at $library is not there, and every place it was looked for. */
    private static function libraryNotFound(string $library): string
    {
        $path = getenv('HOOKSEAL_FFI_LIB');
        if (is_string($path) && $path !== '') {
            return "the hookseal library $library does not exist (HOOKSEAL_FFI_LIB is set, so only it is tried): "
                . 'point HOOKSEAL_FFI_LIB at libhookseal_ffi.so (a workspace builds it with `make c-lib`), or unset '
                . 'it to use the package\'s lib/ or the workspace\'s target/release';
        }
        return 'the hookseal library libhookseal_ffi.so was not found: HOOKSEAL_FFI_LIB is not set, and neither '
            . dirname(__DIR__) . self::PACKAGE_LIBRARY . ' (the hookseal-php package\'s prebuilt library) nor '
            . "$library (a workspace build: `make c-lib`, i.e. cargo build --release -p hookseal-ffi) exists; "
            . 'set HOOKSEAL_FFI_LIB to the library\'s path';
    }

    /**
     * The header FFI::cdef can parse (no preprocessor lines): `HOOKSEAL_FFI_HEADER`, else the package's
     * include/hookseal_ffi.h when it exists, else the workspace's bindings/c/include/hookseal_ffi.h.
     */
    public static function headerPath(): string
    {
        $path = getenv('HOOKSEAL_FFI_HEADER');
        if (is_string($path) && $path !== '') {
            return $path;
        }
        $package = dirname(__DIR__) . self::PACKAGE_HEADER;
        return is_file($package) ? $package : dirname(__DIR__, 3) . '/bindings/c/include/hookseal_ffi.h';
    }

    /**
     * The header with the two lines FFI::load and `ffi.preload` read first: `#define FFI_SCOPE "HOOKSEAL"` and
     * `#define FFI_LIB "<absolute library path>"` (bindings/php/preload.php, bindings/php/ffi-header.php).
     */
    public static function scopedHeader(): string
    {
        $library = self::libraryPath();
        $real = realpath($library);
        if ($real === false) {
            throw new \RuntimeException(self::libraryNotFound($library));
        }
        if (strpbrk($real, "\"\\\n\r") !== false) {
            throw new \RuntimeException("the library path $real cannot be written in an FFI header");
        }
        $header = self::headerPath();
        $declarations = @file_get_contents($header);
        if ($declarations === false) {
            throw new \RuntimeException("cannot read the hookseal FFI header $header (set HOOKSEAL_FFI_HEADER)");
        }
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n#define FFI_LIB \"$real\"\n" . $declarations;
    }

    private static function load(): \FFI
    {
        if (!extension_loaded('ffi')) {
            throw new \RuntimeException(
                'hookseal needs PHP\'s FFI extension (ext-ffi): install it (Debian: php-cli ships it) and enable '
                . 'it with extension=ffi'
            );
        }
        // Preloaded (preload.php): the declarations were parsed once, at server start.
        try {
            return \FFI::scope(self::SCOPE);
        } catch (\Throwable) {
            // Not preloaded: declare the library now.
        }
        $enable = strtolower((string) ini_get('ffi.enable'));
        $sapi = PHP_SAPI;
        if (in_array($enable, ['0', '', 'off', 'false', 'no'], true)) {
            throw new \RuntimeException(
                'FFI is disabled (ffi.enable=' . ini_get('ffi.enable') . '): set ffi.enable=1 (CLI, php -S) or '
                . 'ffi.enable=preload with bindings/php/preload.php as opcache.preload (PHP-FPM); '
                . 'see bindings/php/README.md'
            );
        }
        $header = self::headerPath();
        $declarations = @file_get_contents($header);
        if ($declarations === false) {
            throw new \RuntimeException(
                "cannot read the hookseal FFI header $header: set HOOKSEAL_FFI_HEADER to hookseal_ffi.h (the "
                . "package's include/, or the workspace's bindings/c/include/)"
            );
        }
        $library = self::libraryPath();
        try {
            return \FFI::cdef($declarations, $library);
        } catch (\FFI\Exception $e) {
            if ($enable === 'preload' && $sapi !== 'cli' && str_contains($e->getMessage(), 'ffi.enable')) {
                throw new \RuntimeException(
                    "FFI is restricted to preloaded code here (ffi.enable=preload, the default, under the $sapi SAPI): "
                    . 'either preload hookseal (ffi.preload and opcache.preload=bindings/php/preload.php, '
                    . 'the PHP-FPM setup) or set '
                    . 'ffi.enable=1 (e.g. php -d ffi.enable=1 -S ...); see bindings/php/README.md',
                    0,
                    $e
                );
            }
            if (!is_file($library)) {
                throw new \RuntimeException(self::libraryNotFound($library), 0, $e);
            }
            throw new \RuntimeException("cannot load the hookseal library $library: {$e->getMessage()}", 0, $e);
        }
    }

    /**
     * Options as the JSON object text the C ABI reads. An empty PHP array is `{}` (json_encode would write `[]`); a
     * value json_encode cannot write (invalid UTF-8, a resource, INF) is a ConfigException(invalid_option).
     *
     * @param array<mixed> $options
     */
    public static function optionsJson(#[\SensitiveParameter] array $options): string
    {
        if ($options === []) {
            return '{}';
        }
        try {
            return json_encode($options, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            // The message names json_encode's reason, never the value (it may be a secret).
            throw new ConfigException(
                'invalid_option',
                'an option value cannot be written as JSON: ' . $e->getMessage()
            );
        }
    }

    /** A provider name crosses as a NUL-terminated string: a NUL inside it would cut it short. */
    public static function checkProvider(string $provider): void
    {
        if (str_contains($provider, "\0")) {
            throw new ConfigException('unknown_provider', 'the provider name contains a NUL byte');
        }
    }

    /** The C type `hookseal_bytes*`, parsed once rather than on every call. */
    public static function bytesPointer(): \FFI\CType
    {
        return self::$bytesPointer ??= self::get()->type('hookseal_bytes*');
    }

    /** The bytes of a `hookseal_bytes*` as a PHP string, and the native buffer released. */
    public static function take(\FFI\CData $bytes): string
    {
        $ffi = self::get();
        try {
            return \FFI::string($ffi->hookseal_bytes_data($bytes), $ffi->hookseal_bytes_len($bytes));
        } finally {
            $ffi->hookseal_bytes_free($bytes);
        }
    }

    /**
     * The exception for a failed call: VerificationException for the contract's verification codes (1–10),
     * StoreException for `store_unavailable` (11), ConfigException for its configuration codes (101–104); the C
     * ABI's own statuses (NULL, panic, malformed headers block) cannot come from this package's calls except as a
     * bug, and are a plain \RuntimeException.
     */
    public static function error(int $status): \RuntimeException
    {
        $ffi = self::get();
        $code = (string) $ffi->hookseal_status_code($status);
        $message = self::lastErrorMessage();
        if ($status >= 1 && $status <= 10) {
            return new VerificationException($code, $message);
        }
        if ($status === self::STATUS_STORE_UNAVAILABLE) {
            return new StoreException($code, $message);
        }
        if ($status >= 101 && $status <= 104) {
            return new ConfigException($code, $message);
        }
        if ($status === self::STATUS_INVALID_UTF8) {
            // Options are JSON-encoded (always UTF-8), so only the provider name can be the culprit.
            return new ConfigException('unknown_provider', $message);
        }
        return new \RuntimeException("hookseal C ABI failure ($code, status $status): $message");
    }

    /** This thread's last failure message from the C ABI (never a secret). */
    private static function lastErrorMessage(): string
    {
        $ffi = self::get();
        $size = $ffi->new('size_t');
        $buffer = $ffi->new('char[256]');
        if ($ffi->hookseal_last_error_message($buffer, 256, \FFI::addr($size)) !== self::STATUS_OK) {
            return '';
        }
        $length = (int) $size->cdata;
        if ($length > 256) {
            $buffer = $ffi->new("char[$length]");
            $ffi->hookseal_last_error_message($buffer, $length, \FFI::addr($size));
        }
        return \FFI::string($buffer, min($length, (int) $size->cdata));
    }
}
