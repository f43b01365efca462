<?php

// The application, as Laravel 8's skeleton builds it: the container, the HTTP kernel, the exception handler.
// Laravel writes its provider manifests to bootstrap/cache/ (APP_SERVICES_CACHE and APP_PACKAGES_CACHE move them).

declare(strict_types=1);

$app = new Illuminate\Foundation\Application(dirname(__DIR__));

$app->singleton(Illuminate\Contracts\Http\Kernel::class, App\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, App\Exceptions\Handler::class);

return $app;
