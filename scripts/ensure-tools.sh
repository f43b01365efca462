#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, skipping whatever is already there.
set -euo pipefail

need_apt=()
command -v cc >/dev/null || need_apt+=(gcc)
# `make node`: Node.js 18 or later with npm (Debian 12's nodejs is 18).
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v git >/dev/null || need_apt+=(git)
# `make php` / `make test-c`: PHP 8.2 with FFI (php8.2-common) and OPcache (preloading), PHPUnit, valgrind.
command -v php >/dev/null || need_apt+=(php-cli php-opcache)
command -v phpunit >/dev/null || need_apt+=(phpunit)
# PHPStan's phpdoc-parser: the PHP tests parse every generated array shape with it (PHPStan itself is no Debian package).
[ -f /usr/share/php/PHPStan/PhpDocParser/autoload.php ] || need_apt+=(php-phpstan-phpdoc-parser)
# The Symfony and Laravel helpers' tests (bindings/php): Debian's HttpFoundation 5.4 and Laravel 8.83, no Composer.
[ -f /usr/share/php/Symfony/Component/HttpFoundation/autoload.php ] || need_apt+=(php-symfony-http-foundation)
[ -d /usr/share/php/Illuminate/Foundation ] || need_apt+=(php-laravel-framework)
command -v valgrind >/dev/null || need_apt+=(valgrind)
# The dedupe store's Redis tests: scripts/with-redis.sh and tests/dedupe start private redis-servers (Redis 7, with
# redis-cli); a system service the package may start is never used.
command -v redis-server >/dev/null || need_apt+=(redis-server)
# The rediss:// test makes its CA and certificate with the openssl command.
command -v openssl >/dev/null || need_apt+=(openssl)
# `make python` creates .venv; Debian's python3 splits venv/ensurepip into python3-venv.
if ! command -v python3 >/dev/null; then
  need_apt+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  need_apt+=(python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "ensure-tools: cargo is not on PATH; this project needs a Rust toolchain (rustup)" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component"
  fi
done
