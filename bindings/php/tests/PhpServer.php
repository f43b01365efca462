<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\Assert;

/**
 * A real `php -S` process on a free loopback port, and raw HTTP/1.1 requests to it (the body as exact bytes, or
 * chunked without Content-Length): what the server tests share. Not a test case itself (no `Test` suffix).
 */
final class PhpServer
{
    /** @var resource|null */
    private $process = null;

    public readonly int $port;

    /**
     * @param list<string> $command the server's command line up to (without) `-S host:port`, e.g. [PHP_BINARY, '-d',
     *                              'ffi.enable=1']
     * @param list<string> $arguments what follows `-S host:port`: `-t docroot`, a router script
     * @param array<string, string> $env
     */
    public function __construct(array $command, array $arguments, array $env, public readonly string $log, string $cwd)
    {
        $this->port = self::freePort();
        $full = array_merge($command, ['-S', "127.0.0.1:{$this->port}"], $arguments);
        $this->process = proc_open($full, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'],
            2 => ['file', $log, 'a']], $pipes, $cwd, $env);
        Assert::assertIsResource($this->process);
        $deadline = microtime(true) + 10;
        while (true) {
            $socket = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $error, 0.2);
            if ($socket !== false) {
                fclose($socket);
                return;
            }
            $status = proc_get_status($this->process);
            if (!$status['running'] || microtime(true) > $deadline) {
                Assert::fail('php -S did not start: ' . implode(' ', $full) . "\n" . @file_get_contents($log));
            }
            usleep(20_000);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }

    public function stop(): void
    {
        if ($this->process !== null) {
            proc_terminate($this->process);
            proc_close($this->process);
            $this->process = null;
        }
    }

    /** The server's output so far (PHP's error_log goes there). */
    public function output(): string
    {
        return (string) file_get_contents($this->log);
    }

    public static function freePort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        Assert::assertNotFalse($server, $error);
        $name = stream_socket_get_name($server, false);
        fclose($server);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    /**
     * @param array<string, string> $headers
     * @return array{int, mixed} status, decoded JSON answer
     */
    public function post(string $path, string $body, array $headers, bool $chunked = false): array
    {
        return array_slice($this->request('POST', $path, $body, $headers, $chunked), 0, 2);
    }

    /**
     * One request over a fresh connection, sent; read its answer with `answer()` (two requests in flight at once).
     *
     * @param array<string, string> $headers
     * @return resource
     */
    public function send(string $method, string $path, string $body, array $headers, bool $chunked = false)
    {
        $socket = stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $error, 5);
        Assert::assertNotFalse($socket, $error);
        stream_set_timeout($socket, 10);
        $head = "$method $path HTTP/1.1\r\nHost: 127.0.0.1:{$this->port}\r\nConnection: close\r\n";
        foreach ($headers as $name => $value) {
            $head .= "$name: $value\r\n";
        }
        if ($chunked) {
            $head .= "Transfer-Encoding: chunked\r\n\r\n";
            foreach (str_split($body, 1000) as $piece) {
                $head .= dechex(strlen($piece)) . "\r\n$piece\r\n";
            }
            $request = $head . "0\r\n\r\n";
        } else {
            $request = $head . 'Content-Length: ' . strlen($body) . "\r\n\r\n" . $body;
        }
        fwrite($socket, $request);
        return $socket;
    }

    /**
     * The answer on a connection `send()` opened: status, decoded JSON body, headers (lowercase name => value).
     *
     * @param resource $socket
     * @return array{int, mixed, array<string, string>}
     */
    public static function answer($socket): array
    {
        $response = stream_get_contents($socket);
        fclose($socket);
        Assert::assertIsString($response);
        [$responseHead, $responseBody] = explode("\r\n\r\n", $response, 2) + [1 => ''];
        Assert::assertMatchesRegularExpression('~^HTTP/1\.[01] (\d{3}) ~', $responseHead);
        preg_match('~^HTTP/1\.[01] (\d{3}) ~', $responseHead, $m);
        Assert::assertMatchesRegularExpression('~^Content-Type: application/json~mi', $responseHead);
        $headers = [];
        foreach (array_slice(explode("\r\n", $responseHead), 1) as $line) {
            [$name, $value] = explode(':', $line, 2) + [1 => ''];
            $headers[strtolower(trim($name))] = trim($value);
        }
        if (preg_match('~^Transfer-Encoding:\s*chunked~mi', $responseHead) === 1) {
            $responseBody = self::unchunk($responseBody);
        }
        return [(int) $m[1], json_decode($responseBody, true, 16, JSON_THROW_ON_ERROR), $headers];
    }

    /**
     * @param array<string, string> $headers
     * @return array{int, mixed, array<string, string>}
     */
    public function request(string $method, string $path, string $body, array $headers, bool $chunked = false): array
    {
        return self::answer($this->send($method, $path, $body, $headers, $chunked));
    }

    private static function unchunk(string $body): string
    {
        $out = '';
        while (($line = strpos($body, "\r\n")) !== false) {
            $size = hexdec(substr($body, 0, $line));
            if ($size === 0) {
                break;
            }
            $out .= substr($body, $line + 2, $size);
            $body = substr($body, $line + 2 + $size + 2);
        }
        return $out;
    }
}
