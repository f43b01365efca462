<?php

declare(strict_types=1);

namespace Hookseal\Symfony;

use Hookseal\VerificationException;

/**
 * The exact bytes of a Symfony `Request`'s body (Laravel's `Illuminate\Http\Request` is one), read within the
 * verifier's size limit: what `Verifier::verifyRequest()`, `Webhook::handle()` and the Laravel middleware share.
 *
 * Symfony is not a dependency of the binding: the class names below are strings checked at run time (`instanceof` with
 * a class that is not loaded is false, and autoloads nothing), so this file loads without Symfony.
 *
 * How the bytes are read, in order:
 *  1. a declared `Content-Length` over the limit is `payload_too_large` before anything is read;
 *  2. a body Symfony already holds (a string: `getContent()` was called, as Laravel's `Request::capture()` does for
 *     every JSON request; or a stream) is used as it is, and refused if it is over the limit;
 *  3. a body nobody read yet is read from `php://input`, at most one byte past the limit (never the whole of an
 *     oversize chunked body), and handed back to the Request, so that a later `getContent()` returns these bytes
 *     without reading again.
 * Symfony keeps the body in a protected property (`$content`, there since Symfony 2); it is read and set through a
 * closure bound to the Request, since `getContent()` would buffer a body of any size.
 *
 * @internal
 */
final class RawBody
{
    private const REQUEST = 'Symfony\Component\HttpFoundation\Request';

    private function __construct()
    {
    }

    /**
     * `$request` as a Symfony Request, or an explanatory \TypeError naming the usual mistake: the parsed input
     * (`$request->all()`, `$request->input()`, `$request->toArray()`) or a body string in its place.
     *
     * @return \Symfony\Component\HttpFoundation\Request
     */
    public static function request(mixed $request, string $caller): object
    {
        if ($request instanceof \Symfony\Component\HttpFoundation\Request) {
            return $request;
        }
        if (is_array($request)) {
            throw new \TypeError("hookseal: $caller was given an array, the request's parsed input (what Laravel's "
                . '$request->all() or $request->input() and Symfony\'s $request->toArray() return), not the Request. '
                . 'The signature covers the exact bytes the provider sent, and no re-encoding of the parsed input '
                . 'gives them back (TrimStrings and ConvertEmptyStringsToNull change values, json_encode escapes "/" '
                . 'and turns 850.00 into 850.0): pass the Request itself, and read the verified data from the event.');
        }
        if (is_string($request)) {
            throw new \TypeError("hookseal: $caller takes the Request, not a string: for a raw body you hold, call "
                . '$verifier->verify($body, $headers)');
        }
        throw new \TypeError("hookseal: $caller takes a Symfony or Laravel Request (" . self::REQUEST . '), not '
            . get_debug_type($request) . (class_exists(self::REQUEST) ? '' : ' (symfony/http-foundation is not loaded)'));
    }

    /**
     * The body, at most `$limit` bytes.
     *
     * @param \Symfony\Component\HttpFoundation\Request $request
     * @throws VerificationException payload_too_large
     * @throws \LogicException the bytes that were sent are gone (see gone())
     */
    public static function read(object $request, int $limit): string
    {
        $declared = $request->headers->get('Content-Length');
        $declared = is_string($declared) && ctype_digit($declared) ? $declared : null;
        if ($declared !== null && (int) $declared > $limit) {
            throw new VerificationException('payload_too_large',
                "Content-Length $declared is over the limit of $limit bytes");
        }
        $content = \Closure::bind(static fn (object $r): mixed => $r->content, null, self::REQUEST)($request);
        if (is_string($content)) {
            $body = $content;
        } elseif (is_resource($content)) {
            $body = stream_get_contents($content, $limit + 1, 0);
            $body = $body === false ? '' : $body;
        } else {
            // null: never read; false: getContent(true) handed out php://input, which PHP lets every reader read whole.
            $body = file_get_contents('php://input', false, null, 0, $limit + 1);
            $body = $body === false ? '' : $body;
            if (strlen($body) <= $limit) {
                \Closure::bind(static function (object $r, string $b): void {
                    $r->content = $b;
                }, null, self::REQUEST)($request, $body);
            }
        }
        if (strlen($body) > $limit) {
            throw new VerificationException('payload_too_large', 'the body is over the limit of ' . $limit . ' bytes');
        }
        if ($declared !== null && strlen($body) !== (int) $declared) {
            throw self::gone($request, (int) $declared, strlen($body));
        }
        if ($body === '' && $declared === null && ($request->request->count() > 0 || $request->files->count() > 0)) {
            throw self::gone($request, null, 0);
        }
        return $body;
    }

    /** `POST /webhooks/elmed`: the method and the path as sent (no query string; not a `_method` override). */
    public static function requestLine(object $request): string
    {
        return $request->getRealMethod() . ' ' . explode('?', $request->getRequestUri(), 2)[0];
    }

    /**
     * The programming error for a body that is not the one sent: never a `signature_mismatch`, which would send the
     * developer looking for a wrong secret.
     */
    private static function gone(object $request, ?int $declared, int $held): \LogicException
    {
        $type = strtolower((string) $request->headers->get('Content-Type', ''));
        $sent = $declared === null ? 'a body' : "a body of $declared bytes";
        if (str_starts_with($type, 'multipart/form-data')) {
            $why = 'PHP parsed the multipart/form-data body into $_POST and $_FILES and left php://input empty. No '
                . 'provider hookseal knows sends form data; if yours does, set enable_post_data_reading=Off for this '
                . 'endpoint (PHP then keeps php://input)';
        } elseif ($held === 0 && $declared !== null && $declared > self::postMaxSize()) {
            $why = 'PHP discarded a body over post_max_size (' . ini_get('post_max_size') . '): set post_max_size above '
                . "the verifier's max_body_bytes";
        } else {
            $why = "the Request's content holds $held bytes: something before this helper replaced it (a middleware "
                . 'that rebuilt the request from its parsed input, as json_encode($request->all()) does, or a server '
                . 'that inflated a compressed body). Verify before anything rewrites the request, or on the bytes '
                . 'as they arrived';
        }
        return new \LogicException("hookseal: the raw body of this delivery is gone: the request announced $sent, but "
            . "$why. The signature covers the exact bytes sent, so the delivery cannot be verified (this is not a "
            . 'signature_mismatch: the sender may be genuine).');
    }

    private static function postMaxSize(): int
    {
        $value = trim((string) ini_get('post_max_size'));
        if ($value === '' || $value === '0') {
            return PHP_INT_MAX;
        }
        $number = (int) $value;
        return match (strtolower(substr($value, -1))) {
            'g' => $number << 30,
            'm' => $number << 20,
            'k' => $number << 10,
            default => $number,
        };
    }
}
