<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * A delivery failed verification: not genuine (`missing_header`, `malformed_header`, `signature_mismatch`,
 * `key_mismatch`: 401), too large (`payload_too_large`: 413), or genuine but refused by a rule (`invalid_json`,
 * `missing_field`, `event_mismatch`, `clinic_mismatch`, `timestamp_out_of_tolerance`: 400). Answer with
 * `$e->httpStatus` and `{"error": $e->errorCode}`; log `$e->getMessage()`.
 */
final class VerificationException extends HooksealException
{
}
