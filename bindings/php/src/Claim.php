<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * What `Store::claim()` found: `status` is `claimed` (process the event, then `complete()`, or `release()` if it
 * failed), `duplicate` (done already: answer 200, do nothing) or `in_progress` (another worker holds it: answer 503
 * with `Retry-After: $retryAfter`).
 */
final class Claim
{
    public const CLAIMED = 'claimed';
    public const DUPLICATE = 'duplicate';
    public const IN_PROGRESS = 'in_progress';

    /** @internal the native claim (`hookseal_claim*`) for `claimed`, freed by __destruct */
    public ?\FFI\CData $handle;

    /**
     * @internal made by Store::claim()
     */
    public function __construct(
        /** `claimed`, `duplicate` or `in_progress`. */
        public readonly string $status,
        /** The namespace the key was claimed in. */
        public readonly string $namespace,
        /** For `in_progress`: the seconds left on the other worker's lease (rounded up, at least 1); else null. */
        public readonly ?int $retryAfter,
        ?\FFI\CData $handle,
    ) {
        $this->handle = $handle;
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            Ffi::get()->hookseal_claim_free($this->handle);
            $this->handle = null;
        }
    }

    /** @return array{status: string, namespace: string, retryAfter: ?int} */
    public function __debugInfo(): array
    {
        return ['status' => $this->status, 'namespace' => $this->namespace, 'retryAfter' => $this->retryAfter];
    }

    /** Two objects owning one native claim would free it twice. */
    private function __clone()
    {
    }
}
