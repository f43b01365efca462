<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * An HTTP answer to a delivery, as `Webhook` decides it: a status, headers and a JSON body. `send()` writes it with
 * PHP's own functions; a framework turns the three fields into its response object instead.
 */
final class Answer
{
    /**
     * @param array<string, string> $headers
     * @param array<string, mixed> $body
     */
    public function __construct(
        public readonly int $status,
        public readonly array $body,
        public readonly array $headers = [],
    ) {
    }

    /** The body as JSON text. */
    public function json(): string
    {
        return json_encode($this->body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION);
    }

    /** Sends the answer: status, `Content-Type: application/json`, the headers, the body. */
    public function send(): void
    {
        http_response_code($this->status);
        header('Content-Type: application/json');
        foreach ($this->headers as $name => $value) {
            header("$name: $value");
        }
        echo $this->json(), "\n";
    }
}
