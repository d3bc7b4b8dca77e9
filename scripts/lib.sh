# Shared by the scripts and the benchmarks: start and stop a `quantarya serve` on a free port of the loopback, wait
# for a server, give it an account, take a median.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve_on PORT LOG: starts the debug binary in the background (environment as set by the caller: an empty or unset
# DATABASE_URL is the store in memory) and waits until /healthz answers. Sets SERVER_PID.
serve_on() {
  local port=$1 log=$2 store=()
  [ -n "${DATABASE_URL:-}" ] || store=(--in-memory)
  target/debug/quantarya serve "${store[@]}" --bind "127.0.0.1:$port" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "quantarya serve exited:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "quantarya serve did not answer on port $port" >&2
  return 1
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

# wait_healthy BASE [STARTED]: waits for a 200 on BASE/healthz; with STARTED (nanoseconds since the epoch), prints
# the milliseconds since.
wait_healthy() {
  local base=$1 started=${2:-}
  for _ in $(seq 1 2000); do
    if curl -fs -o /dev/null "$base/healthz"; then
      [ -z "$started" ] || echo $(( ($(date +%s%N) - started) / 1000000 ))
      return 0
    fi
    sleep 0.005
  done
  echo "no answer from $base/healthz" >&2
  return 1
}

# account BASE BIN: a profile, a strategy and an API key on the service at BASE (tokens minted by BIN, which must
# share its QUANTARYA_JWT_SECRET); sets STRATEGY and KEY.
account() {
  local base=$1 bin=$2 token
  token=$($bin token --sub bench --email bench@example.com)
  curl -fs -X POST "$base/me" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"user_name": "bench"}' >/dev/null
  STRATEGY=$(curl -fs -X POST "$base/strategies" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"title": "Bench"}' | sed -E 's/.*"strategy_id":"([^"]+)".*/\1/')
  KEY=$(curl -fs -X POST "$base/api-keys" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"key_name": "bench"}' | sed -E 's/.*"raw_api_key":"([^"]+)".*/\1/')
}

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
