<?php

declare(strict_types=1);

use App\Http\Controllers\WebhookController;
use Illuminate\Support\Facades\Route;

// `hookseal:<name>` is Hookseal\Laravel\VerifyWebhook (aliased in app/Http/Kernel.php) for the webhook <name> of
// config/hookseal.php: the controller runs only for a verified delivery, once per idempotency key. Keep it last in a
// route's middleware: a delivery a middleware after it answers alone (throttle, auth) is not processed.
Route::post('/webhooks/elmed', [WebhookController::class, 'elmed'])->middleware('hookseal:elmed');
Route::post('/webhooks/novamed', [WebhookController::class, 'novamed'])->middleware('hookseal:novamed');
