<?php

// The classes this app needs, without Composer: Laravel 8 from Debian 12's packages (php-laravel-framework, which
// brings Symfony 5.4's components), hookseal's binding, and this app's own App\ namespace. With Composer, all three
// are `require __DIR__ . '/../vendor/autoload.php';` (and `composer.json`'s autoload for App\).

declare(strict_types=1);

require_once 'Illuminate/autoload.php'; // /usr/share/php, on Debian's include_path
require_once __DIR__ . '/../../../bindings/php/autoload.php';

spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        $file = dirname(__DIR__) . '/app/' . str_replace('\\', '/', substr($class, 4)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
