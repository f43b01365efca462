<?php

// hookseal without Composer: `require_once 'bindings/php/autoload.php';` registers a PSR-4 autoloader for
// `Hookseal\` → src/ and declares `\Hookseal\sign()`. (With Composer, its own autoloader does both.)

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (strncmp($class, 'Hookseal\\', 9) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, 9)) . '.php';
    if (is_file($file)) {
        require $file;
    }
});

require_once __DIR__ . '/src/functions.php';
