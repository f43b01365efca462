<?php

declare(strict_types=1);

namespace Hookseal\Tests;

use PHPUnit\Framework\TestCase;

/**
 * bindings/php/README.md's PHP scripts (the blocks that start with `<?php`; the others are fragments of a Laravel app,
 * which FrameworkTest serves whole, and whose config/hookseal.php runs here behind the middleware) and the top
 * README's Laravel and Symfony block, run as written from the repository root: documentation that cannot drift.
 */
final class ReadmeTest extends TestCase
{
    /** @return list<string> */
    private static function snippets(): array
    {
        preg_match_all('/```php\n(<\?php\n.*?)```/s', (string) file_get_contents(dirname(__DIR__) . '/README.md'),
            $blocks);
        self::assertCount(3, $blocks[1], 'the README has three PHP scripts: usage, exactly once, Symfony');
        return $blocks[1];
    }

    private static function runSnippet(string $snippet): string
    {
        $script = tempnam(sys_get_temp_dir(), 'hookseal-readme-');
        try {
            file_put_contents($script, $snippet);
            $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', $script], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $pipes, dirname(__DIR__, 3));
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            self::assertSame(0, proc_close($process), $out);
        } finally {
            unlink($script);
        }
        return $out;
    }

    public function testTheUsageSnippetRuns(): void
    {
        $out = self::runSnippet(self::snippets()[0]);
        $body = '{"event":"claim.decision","timestamp":"2026-03-29T14:00:00","data":{"claim_id":31,"amount":850.00}}';
        self::assertSame('claim.decision sha256:' . hash('sha256', $body) . " 31\n", $out);
    }

    public function testTheSymfonySnippetRuns(): void
    {
        // error_log goes to the CLI's stderr, which runSnippet reads after stdout.
        self::assertSame("200 processed\n413 payload_too_large\nhookseal: refused a delivery from elmed (POST "
            . "/webhooks/elmed): payload_too_large: the body is over the limit of 1024 bytes\n",
            self::runSnippet(self::snippets()[2]));
    }

    /** The top README's block under `<!-- framework: laravel -->`. */
    public function testTheTopReadmesLaravelAndSymfonyBlockRuns(): void
    {
        $readme = (string) file_get_contents(dirname(__DIR__, 3) . '/README.md');
        self::assertSame(1, preg_match('/<!-- framework: laravel -->\n.*?```php\n(.*?)```/s', $readme, $block));
        self::assertStringContainsString('VerifyWebhook', $block[1]);
        self::assertSame("200 {\"status\":\"processed\"}\n", self::runSnippet($block[1]));
    }

    public function testTheExactlyOnceSnippetRuns(): void
    {
        self::assertSame("200 processed\n200 duplicate\n", self::runSnippet(self::snippets()[1]));
    }

    /**
     * bindings/php/README.md's Laravel config/hookseal.php, as written, behind the middleware, with the environment a
     * `.env` gives when a setting is left empty (`NOVAMED_CLINIC_ID=`: env() returns ''), as for a clinic not yet set
     * up: both webhooks still verify (an empty clinic_id is no clinic_id, not a ConfigException on every delivery).
     */
    public function testTheLaravelConfigOfTheReadmeWorksWithAnEmptySetting(): void
    {
        $readme = (string) file_get_contents(dirname(__DIR__) . '/README.md');
        self::assertSame(1, preg_match('/## Laravel\n.*?```php\n\/\/ config\/hookseal\.php.*?\n(return \[\n.*?\n\];)\n/s',
            $readme, $config));
        $script = '<?php' . "\n"
            . "require_once 'Illuminate/autoload.php';\n"
            . "require_once 'bindings/php/autoload.php';\n"
            // putenv: proc_open() leaves out a variable whose value is empty.
            . "putenv('ELMED_WEBHOOK_SECRET=elmed_whsk_readme'); putenv('NOVAMED_WEBHOOK_SECRET=nm_key_readme');\n"
            . "putenv('NOVAMED_CLINIC_ID='); putenv('HOOKSEAL_STORE');\n"
            . '$config = (static function (): array { ' . $config[1] . " })();\n"
            . <<<'PHP'
            $middleware = new Hookseal\Laravel\VerifyWebhook(new Illuminate\Config\Repository(['hookseal' => $config]));
            $deliveries = [
                'elmed' => ['{"event":"order.status_changed","data":{"order_number":"ORD-7"}}', 'elmed_whsk_readme'],
                'novamed' => [(string) file_get_contents('tests/samples/novamed/order.shipped.json'), 'nm_key_readme'],
            ];
            foreach ($deliveries as $name => [$body, $secret]) {
                $request = Illuminate\Http\Request::create("/webhooks/$name", 'POST', content: $body);
                $request->headers->add(Hookseal\sign($name, $body, ['secret' => $secret]));
                $response = $middleware->handle($request, static fn ($request) => new Illuminate\Http\JsonResponse(
                    ['event_type' => Hookseal\Laravel\VerifyWebhook::event($request)->eventType]), $name);
                echo $name, ' ', $response->getStatusCode(), ' ', $response->getContent(), "\n";
            }
            PHP;
        self::assertSame("elmed 200 {\"event_type\":\"order.status_changed\"}\nnovamed 200 {\"event_type\":\"order:shipped\"}\n",
            self::runSnippet($script));
    }
}
