<?php

declare(strict_types=1);

namespace App\Http;

use Hookseal\Laravel\VerifyWebhook;
use Illuminate\Foundation\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Http\Middleware\ConvertEmptyStringsToNull;
use Illuminate\Foundation\Http\Middleware\TrimStrings;
use Illuminate\Foundation\Http\Middleware\ValidatePostSize;

final class Kernel extends HttpKernel
{
    /**
     * The global middleware of Laravel's skeleton that touch a request's input (no sessions, cookies or CSRF: a
     * webhook carries none). TrimStrings and ConvertEmptyStringsToNull rewrite the parsed input ($request->all()),
     * never the raw bytes the middleware verifies.
     *
     * @var array<int, class-string>
     */
    protected $middleware = [
        ValidatePostSize::class,
        TrimStrings::class,
        ConvertEmptyStringsToNull::class,
    ];

    /** @var array<string, class-string> */
    protected $routeMiddleware = [
        'hookseal' => VerifyWebhook::class,
    ];
}
