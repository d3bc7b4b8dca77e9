# Shared by the scripts: start and stop a `quantarya serve` on a free port of the loopback.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve_on PORT LOG: starts the debug binary in the background (environment as set by the caller) and waits until
# /healthz answers. Sets SERVER_PID.
serve_on() {
  local port=$1 log=$2
  target/debug/quantarya serve --bind "127.0.0.1:$port" >"$log" 2>&1 &
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
