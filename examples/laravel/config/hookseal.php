<?php

// The webhooks Hookseal\Laravel\VerifyWebhook verifies, by the name its middleware parameter gives
// (`->middleware('hookseal:elmed')`). Each entry: `provider` (default: the name), `options` (the Verifier's),
// `store` (a store URL, overriding the default below; false for none), `namespace` (default: the provider).
// Read per request (secrets through env(), so `php artisan config:cache` works).

$limit = env('HOOKSEAL_MAX_BODY_BYTES');
$limit = $limit === null || $limit === '' ? null : (int) $limit;

return [
    // Exactly once: SQLite for one host (every PHP worker shares the file), redis://host:6379/0 for several.
    'store' => env('HOOKSEAL_STORE') ?: 'sqlite://' . sys_get_temp_dir() . '/hookseal-php.db',

    'webhooks' => [
        'elmed' => [
            'options' => [
                'secret' => env('ELMED_WEBHOOK_SECRET'),
                'max_body_bytes' => $limit,
            ],
        ],
        'novamed' => [
            'options' => [
                'secret' => env('NOVAMED_WEBHOOK_SECRET'),
                'clinic_id' => env('NOVAMED_CLINIC_ID') ?: null,
                'max_body_bytes' => $limit,
            ],
        ],
    ],
];
