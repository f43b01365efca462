<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * A verifier (or `\Hookseal\sign()`) cannot be built from these options: `invalid_secret`, `insecure_default_key`,
 * `unknown_provider` or `invalid_option` (an unknown option name or a value of the wrong type, never ignored).
 * Its `httpStatus` is 500: the receiver is misconfigured, the delivery is not at fault.
 */
final class ConfigException extends HooksealException
{
}
