<?php

/*
 * A runnable Laravel 8 receiver for ELMED and NovaMed webhooks, verified by hookseal's middleware
 * (Hookseal\Laravel\VerifyWebhook), on Debian 12's php-laravel-framework (8.83):
 *
 *     ELMED_WEBHOOK_SECRET=... NOVAMED_WEBHOOK_SECRET=... php -d ffi.enable=1 -S 127.0.0.1:8080 \
 *         -t examples/laravel/public examples/laravel/public/index.php
 *
 * The routes are in routes/api.php, the webhooks' settings in config/hookseal.php, the handlers in
 * app/Http/Controllers/WebhookController.php. Environment and answers: those of examples/php (see README.md).
 */

declare(strict_types=1);

require __DIR__ . '/../bootstrap/autoload.php';

$app = require __DIR__ . '/../bootstrap/app.php';

$kernel = $app->make(Illuminate\Contracts\Http\Kernel::class);
$response = $kernel->handle($request = Illuminate\Http\Request::capture());
$response->send();
$kernel->terminate($request, $response);
