<?php

return [
    'name' => 'hookseal-laravel-example',
    'env' => env('APP_ENV', 'production'),
    'debug' => (bool) env('APP_DEBUG', false),
    'timezone' => 'UTC',
    'locale' => 'en',
    // No cookies, sessions or encryption: a webhook carries none, so the app needs no APP_KEY.
    'providers' => [
        Illuminate\Filesystem\FilesystemServiceProvider::class,
        App\Providers\RouteServiceProvider::class,
    ],
    'aliases' => [],
];
