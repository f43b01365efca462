<?php

declare(strict_types=1);

namespace Hookseal;

/**
 * Verifies deliveries for one provider:
 *
 *     $verifier = new \Hookseal\Verifier('elmed', ['secret' => getenv('ELMED_WEBHOOK_SECRET')]);
 *     $event = $verifier->verify(file_get_contents('php://input'), \Hookseal\Headers::fromGlobals());
 *     $event->eventType; $event->idempotencyKey; $event->data;
 *
 * Options use the contract's snake_case names (docs/api.md): `secret` or `secrets` (rotation, newest first),
 * `clinic_id` (NovaMed), `allow_insecure_default` (Baremeds `xxx`), `scheme`, `header`, `prefix`, `encoding`
 * (`custom`), `tolerance` (seconds, 0 = off), `max_body_bytes` (default 1 MiB). An unknown name or a value of the
 * wrong type is a ConfigException(invalid_option), never ignored.
 *
 * The options are handed to the native verifier and not kept: no property, var_dump, print_r, var_export or
 * exception message shows a secret. A verifier cannot be cloned or serialized; build another from the options.
 */
final class Verifier
{
    /** The provider preset this verifier checks deliveries for. */
    public readonly string $provider;

    /** The body size limit: over it, a delivery is `payload_too_large` (check Content-Length before reading). */
    public readonly int $maxBodyBytes;

    /** The native verifier (`hookseal_verifier*`), freed by __destruct. */
    private ?\FFI\CData $handle = null;

    /** The library, and the `hookseal_event_fields` each verify writes (and its address): made once, not per call. */
    private \FFI $ffi;
    private \FFI\CData $fields;
    private \FFI\CData $fieldsOut;

    /**
     * @param array<string, mixed> $options
     * @throws ConfigException invalid_secret, insecure_default_key, unknown_provider or invalid_option
     */
    public function __construct(string $provider, #[\SensitiveParameter] array $options = [])
    {
        if ($this->handle !== null) {
            throw new \LogicException('hookseal: a Verifier is built once; make a new one');
        }
        Ffi::checkProvider($provider);
        $json = Ffi::optionsJson($options);
        $ffi = Ffi::get();
        $handle = $ffi->new('hookseal_verifier*');
        $status = $ffi->hookseal_verifier_new($provider, $json, \FFI::addr($handle));
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        $this->handle = $handle;
        $this->provider = $provider;
        $this->maxBodyBytes = $ffi->hookseal_verifier_max_body_bytes($handle);
        $this->ffi = $ffi;
        $this->fields = $ffi->new('hookseal_event_fields');
        $this->fieldsOut = \FFI::addr($this->fields);
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            Ffi::get()->hookseal_verifier_free($this->handle);
            $this->handle = null;
        }
    }

    /**
     * Verifies one delivery: the signature or key on the exact body bytes, then the envelope.
     *
     * @param string $body the raw request body, byte for byte (`file_get_contents('php://input')`), never a
     *                     re-encoded `json_encode(json_decode(...))`
     * @param array<array-key, mixed>|Headers $headers name => value (string or list of strings), `[name, value]`
     *                     pairs, or a Headers; see Headers
     * @param int|float|\DateTimeInterface|null $now the clock for the replay window (Unix seconds, a fraction rounded
     *                     down); null reads the system clock
     * @throws VerificationException with the contract's code (`signature_mismatch`, `invalid_json`, …)
     */
    public function verify(
        string $body,
        #[\SensitiveParameter] array|Headers $headers,
        int|float|\DateTimeInterface|null $now = null,
    ): Event
    {
        if ($this->handle === null) {
            throw new \LogicException('hookseal: this Verifier has been destroyed');
        }
        $block = Headers::block($headers);
        $clock = $now === null ? null : self::clock($now);
        // One crossing: the event comes back as fields, and its data is decoded from $body itself.
        $status = $this->ffi->hookseal_verify_fields(
            $this->handle,
            $body,
            strlen($body),
            $block,
            strlen($block),
            $clock === null ? null : \FFI::addr($clock),
            $this->fieldsOut,
        );
        if ($status !== 0) {
            throw Ffi::error($status);
        }
        return Event::fromFields($this->provider, $body, $this->fields);
    }

    /**
     * Verifies the delivery a Symfony `Request` carries (Laravel's `Illuminate\Http\Request` is one): its raw body,
     * read within `max_body_bytes` (a declared Content-Length over it is refused before reading; a body nobody read
     * is read from php://input at most one byte past it), and its headers as sent (`Headers::fromRequest`).
     * symfony/http-foundation is not a dependency of this class: `$request` is checked at run time.
     *
     * @param \Symfony\Component\HttpFoundation\Request $request the Request itself, never its parsed input
     * @throws VerificationException with the contract's code (`payload_too_large` for an oversize body)
     * @throws \TypeError for anything but a Request, explained: an array (`$request->all()`) is the parsed input, whose
     *                    re-encoding is not the bytes that were signed
     * @throws \LogicException when the bytes sent are gone (a multipart body PHP parsed, a body over post_max_size, a
     *                         content a middleware replaced): never a `signature_mismatch` for a genuine sender
     */
    public function verifyRequest(mixed $request, int|float|\DateTimeInterface|null $now = null): Event
    {
        $request = Symfony\RawBody::request($request, 'Verifier::verifyRequest()');
        return $this->verify(Symfony\RawBody::read($request, $this->maxBodyBytes), Headers::fromRequest($request),
            $now);
    }

    /** @return array{provider: string, maxBodyBytes: int} */
    public function __debugInfo(): array
    {
        return ['provider' => $this->provider, 'maxBodyBytes' => $this->maxBodyBytes];
    }

    /** Two objects owning one native handle would free it twice. */
    private function __clone()
    {
    }

    /** @return never */
    public function __serialize(): array
    {
        throw new \LogicException('a hookseal Verifier cannot be serialized: build it from its options where used');
    }

    /** @param array<mixed> $data */
    public function __unserialize(array $data): void
    {
        throw new \LogicException('a hookseal Verifier cannot be unserialized: build it from its options');
    }

    /**
     * `$now` as the C ABI's `int64_t` clock, or null for the system clock (shared with \Hookseal\verify()).
     *
     * @internal
     */
    public static function clock(int|float|\DateTimeInterface|null $now): ?\FFI\CData
    {
        if ($now === null) {
            return null;
        }
        $clock = Ffi::get()->new('int64_t');
        $clock->cdata = self::seconds($now);
        return $clock;
    }

    private static function seconds(int|float|\DateTimeInterface $now): int
    {
        if (is_int($now)) {
            return $now;
        }
        if ($now instanceof \DateTimeInterface) {
            return $now->getTimestamp();
        }
        if (!is_finite($now) || $now >= 9.2233720368547758E18 || $now < -9.2233720368547758E18) {
            throw new \ValueError('hookseal: $now must be a finite number of Unix seconds');
        }
        return (int) floor($now);
    }
}
