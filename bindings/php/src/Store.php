<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * The dedupe store (docs/exactly-once.md): exactly-once processing shared by every PHP worker.
 *
 *     $store = new \Hookseal\Store(getenv('HOOKSEAL_STORE') ?: 'sqlite:///var/lib/app/hookseal.db');
 *     $claim = $store->claim('elmed', $event->idempotencyKey);
 *     if ($claim->status === \Hookseal\Claim::CLAIMED) { ...process...; $store->complete($claim); }
 *
 * URLs: `memory:` (this worker only), `sqlite:///path.db` (every worker on one host), `redis://[user:password@]
 * host:port/db` and `rediss://…` (many hosts), each optionally with `?lease=S&retention=S`. Options: `lease` and
 * `retention` (seconds; defaults 60 and 7 days), not also in the URL. A malformed URL or option is a
 * ConfigException(invalid_option) whose message never holds the URL's password.
 *
 * PHP builds everything anew on each request, but the native library stays loaded in the worker: opening the same URL
 * again gives the worker's store back, with its SQLite connection and its Redis connections (so a PHP-FPM child
 * connects to Redis once, not per request). Nothing is reached until the first claim: a store that is down is a
 * StoreException(store_unavailable) from `claim()`, within about two seconds.
 */
final class Store
{
    /** `memory`, `sqlite` or `redis`. */
    public readonly string $backend;

    /** The URL with any password replaced by `***`: for logs. */
    public readonly string $url;

    /** The native store handle (`hookseal_store*`), freed by __destruct (the worker keeps the store itself). */
    private ?\FFI\CData $handle = null;

    /**
     * @param array{lease?: int|float|null, retention?: int|float|null} $options
     * @throws ConfigException invalid_option
     */
    public function __construct(#[\SensitiveParameter] string $url, array $options = [])
    {
        if ($this->handle !== null) {
            throw new \LogicException('hookseal: a Store is built once; make a new one');
        }
        if (str_contains($url, "\0")) {
            throw new ConfigException('invalid_option', 'the store URL contains a NUL byte');
        }
        $ffi = Ffi::get();
        $handle = $ffi->new('hookseal_store*');
        $status = $ffi->hookseal_store_open($url, Ffi::optionsJson($options), \FFI::addr($handle));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        $this->handle = $handle;
        // FFI hands a returned `const char*` over as a PHP string.
        $this->backend = (string) $ffi->hookseal_store_backend($handle);
        $shown = $ffi->new(Ffi::bytesPointer());
        $status = $ffi->hookseal_store_describe($handle, \FFI::addr($shown));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        $this->url = Ffi::take($shown);
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            Ffi::get()->hookseal_store_free($this->handle);
            $this->handle = null;
        }
    }

    /**
     * Claims `$key` (any bytes; the store keeps only its SHA-256) in `$namespace` (1 to 64 of A-Z a-z 0-9 . _ : -;
     * the helpers use the provider's name).
     *
     * @throws StoreException store_unavailable: do not process the event, answer 503
     * @throws ConfigException invalid_option for a bad namespace
     */
    public function claim(string $namespace, string $key): Claim
    {
        if (str_contains($namespace, "\0") || preg_match('//u', $namespace) !== 1) {
            throw new ConfigException('invalid_option', 'a namespace is 1 to 64 of A-Z a-z 0-9 . _ : -');
        }
        $ffi = Ffi::get();
        $status = $ffi->new('hookseal_claim_status');
        $retryAfter = $ffi->new('uint64_t');
        $claim = $ffi->new('hookseal_claim*');
        $result = $ffi->hookseal_store_claim(
            $this->handle(),
            $namespace,
            $key,
            strlen($key),
            \FFI::addr($status),
            \FFI::addr($retryAfter),
            \FFI::addr($claim),
        );
        if ($result !== 0) {
            throw Ffi::error($result);
        }
        return match ($status->cdata) {
            0 => new Claim(Claim::CLAIMED, $namespace, null, $claim),
            1 => new Claim(Claim::DUPLICATE, $namespace, null, null),
            default => new Claim(Claim::IN_PROGRESS, $namespace, (int) $retryAfter->cdata, null),
        };
    }

    /**
     * Marks the claim's key done for the retention, if the claim still holds it; false when it did not (its lease
     * ran out: the event may be processed again).
     *
     * @throws StoreException
     */
    public function complete(Claim $claim): bool
    {
        return $this->settle('hookseal_store_complete', $claim);
    }

    /**
     * Forgets the claim's key, if the claim still holds it, so that the provider's retry is processed.
     *
     * @throws StoreException
     */
    public function release(Claim $claim): bool
    {
        return $this->settle('hookseal_store_release', $claim);
    }

    private function settle(string $function, Claim $claim): bool
    {
        if ($claim->handle === null) {
            throw new \ValueError("hookseal: only a claimed Claim can be completed or released, not '{$claim->status}'");
        }
        $ffi = Ffi::get();
        $acted = $ffi->new('bool');
        $status = $ffi->$function($this->handle(), $claim->handle, \FFI::addr($acted));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        return (bool) $acted->cdata;
    }

    private function handle(): \FFI\CData
    {
        return $this->handle ?? throw new \LogicException('hookseal: this Store has been destroyed');
    }

    /** @return array{backend: string, url: string} */
    public function __debugInfo(): array
    {
        return ['backend' => $this->backend, 'url' => $this->url];
    }

    private function __clone()
    {
    }

    /** @return never */
    public function __serialize(): array
    {
        throw new \LogicException('a hookseal Store cannot be serialized: open it from its URL where used');
    }

    /** @param array<mixed> $data */
    public function __unserialize(array $data): void
    {
        throw new \LogicException('a hookseal Store cannot be unserialized: open it from its URL');
    }
}
