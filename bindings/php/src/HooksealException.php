<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * What every hookseal refusal has in common: the contract's error code (the same string in every language), the
 * reason for logs, and the HTTP status a receiver answers with. Catch this to handle both kinds at once.
 *
 * An \UnexpectedValueException (so a \RuntimeException): a value the program met at run time was refused, a
 * delivery's bytes or an option read from the environment, as the Python binding's errors are ValueErrors. Wrong
 * PHP types and impossible arguments are PHP's own \TypeError / \ValueError, never one of these.
 */
abstract class HooksealException extends \UnexpectedValueException
{
    /** The contract's code: `signature_mismatch`, …, `invalid_secret`, … (docs/providers.md, "Error codes"). */
    public readonly string $errorCode;

    /** Why, for logs; never a secret. The message is `"<errorCode>: <detail>"`, as in the Python and Node bindings. */
    public readonly string $detail;

    /** 401 (not genuine), 413 (too large), 400 (genuine but refused), 500 (configuration). */
    public readonly int $httpStatus;

    public function __construct(string $errorCode, string $detail = '', ?\Throwable $previous = null)
    {
        parent::__construct($detail === '' ? $errorCode : "$errorCode: $detail", 0, $previous);
        $this->errorCode = $errorCode;
        $this->detail = $detail;
        $this->httpStatus = static::statusOf($errorCode);
    }

    /**
     * The core's table (ErrorCode::http_status), through the C ABI: every binding answers alike. A subclass whose code
     * is the bindings' own, not the core's (UnhandledEventException: the router's `unhandled_event`), gives its status.
     */
    protected static function statusOf(string $errorCode): int
    {
        $status = Ffi::get()->hookseal_code_http_status($errorCode);
        if ($status === 0) {
            throw new \ValueError("'$errorCode' is not one of hookseal's error codes");
        }
        return $status;
    }
}
