<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * The dedupe store cannot be reached (`store_unavailable`: connection refused, a timeout, a locked or full SQLite
 * file). The delivery was not processed: answer `$e->httpStatus` (503) with `Retry-After`, so that the provider
 * retries once the store is back (docs/exactly-once.md, "Failure is closed"). The message never holds a password.
 */
final class StoreException extends HooksealException
{
}
