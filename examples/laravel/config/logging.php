<?php

// Laravel's log (a reported exception) goes to PHP's error_log, as hookseal's own log lines do: one place.
return [
    'default' => env('LOG_CHANNEL', 'errorlog'),
    'channels' => [
        'errorlog' => [
            'driver' => 'errorlog',
            'level' => env('LOG_LEVEL', 'debug'),
            // One line per entry (the exception's class, message and place; no stack trace).
            'formatter' => Monolog\Formatter\LineFormatter::class,
            'formatter_with' => ['format' => null, 'dateFormat' => null, 'allowInlineLineBreaks' => false,
                'ignoreEmptyContextAndExtra' => true],
        ],
    ],
];
