#!/usr/bin/env bash
# Runs CMD with a private Redis: `scripts/with-redis.sh CMD [ARG...]`.
#
# Starts redis-server (the Debian package; installed if missing) on a free loopback port, in a fresh temp directory,
# with no persistence (--save '' --appendonly no), and runs CMD with
#     HOOKSEAL_TEST_REDIS_URL=redis://127.0.0.1:<port>/0
#     HOOKSEAL_REDIS_SERVER=<path of redis-server>   (tests/dedupe starts its own servers with it)
# in its environment. The server is stopped and its directory removed when CMD ends, fails, or this script is
# interrupted (Ctrl-C, SIGTERM, SIGHUP); the exit status is CMD's (128+N after signal N). A system Redis, if one
# runs, is never used.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]   (runs CMD with HOOKSEAL_TEST_REDIS_URL set to a private redis-server)" >&2
  exit 2
fi

if ! command -v redis-server >/dev/null; then
  echo "with-redis: redis-server is missing; installing Debian's redis-server" >&2
  apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >&2
fi
server=$(command -v redis-server)

dir=$(mktemp -d "${TMPDIR:-/tmp}/hookseal-redis.XXXXXX")
redis_pid=
cmd_pid=

stop_redis() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do # up to 5 s for a clean shutdown, then SIGKILL
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  redis_pid=
}

cleanup() {
  stop_redis
  rm -rf "$dir"
}
trap cleanup EXIT

# A signal: pass it on to CMD (if it runs), let CMD finish, then clean up (the EXIT trap) and exit 128+N.
on_signal() {
  local name=$1 number=$2
  trap - INT TERM HUP
  if [ -n "$cmd_pid" ] && kill -0 "$cmd_pid" 2>/dev/null; then
    kill -s "$name" "$cmd_pid" 2>/dev/null || true
    wait "$cmd_pid" 2>/dev/null || true
  fi
  exit $((128 + number))
}
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

free_port() {
  # The kernel picks a port nobody listens on; it is free again when the socket closes, and redis binds it next (a
  # race with another process is possible, hence the retries below).
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 40000))
  fi
}

answers_ping() {
  local port=$1 reply
  if command -v redis-cli >/dev/null; then
    reply=$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) || return 1
  else
    reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "PING\r\n" >&3 && head -c 7 <&3' _ "$port" \
      2>/dev/null) || return 1
  fi
  [[ $reply == *PONG* ]]
}

port=
for attempt in 1 2 3 4 5; do
  candidate=$(free_port)
  : >"$dir/redis.log"
  "$server" --bind 127.0.0.1 --port "$candidate" --dir "$dir" --save '' --appendonly no --daemonize no \
    --logfile "$dir/redis.log" </dev/null &
  redis_pid=$!
  for _ in $(seq 100); do # up to 10 s
    if ! kill -0 "$redis_pid" 2>/dev/null; then
      break
    fi
    if answers_ping "$candidate"; then
      port=$candidate
      break
    fi
    sleep 0.1
  done
  [ -n "$port" ] && break
  if kill -0 "$redis_pid" 2>/dev/null; then
    echo "with-redis: redis-server on port $candidate did not answer PING within 10 s; its log:" >&2
    cat "$dir/redis.log" >&2
    exit 1
  fi
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=
  if ! grep -qiE 'address already in use|could not create server tcp listening socket' "$dir/redis.log"; then
    echo "with-redis: redis-server exited on start; its log:" >&2
    cat "$dir/redis.log" >&2
    exit 1
  fi
  echo "with-redis: port $candidate was taken (attempt $attempt), trying another" >&2
done
if [ -z "$port" ]; then
  echo "with-redis: no free port for redis-server after 5 attempts" >&2
  exit 1
fi

export HOOKSEAL_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
export HOOKSEAL_REDIS_SERVER="$server"

# CMD runs in the background so that a signal to this script is handled at once (a trap waits for a foreground
# command). An async command would otherwise start with SIGINT ignored and stdin from /dev/null: undo both.
set +e
( trap - INT QUIT; exec "$@" ) <&0 &
cmd_pid=$!
wait "$cmd_pid"
status=$?
cmd_pid=
set -e
exit "$status"
