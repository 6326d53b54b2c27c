#!/usr/bin/env bash
# HTTP baseline for the foundation: authenticated API reads and sign-ins against a
# release build, on SQLite and on PostgreSQL. Needs wrk (apt-get install wrk).
# Usage: scripts/bench-http.sh [seconds]   (writes a Markdown table to stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
bin=target/release/kefu
[ -x "$bin" ] || cargo build --release -p kefu-server >&2
port=18181
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"tenant":"demo","username":"agent1","password":"kefu-demo-2026"}'
LUA

run() { # backend url
  local name=$1 url=$2
  KEFU_LOGIN_ATTEMPTS_PER_MINUTE=100000000 "$bin" serve --demo --listen 127.0.0.1:$port \
    --data-dir "$tmp/$name" --database-url "$url" >"$tmp/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf localhost:$port/healthz >/dev/null && break; sleep 0.1; done
  local cookie csrf role token
  curl -s -c "$tmp/cj" -H 'content-type: application/json' \
    -d '{"tenant":"demo","username":"admin","password":"kefu-demo-2026"}' localhost:$port/api/v1/auth/login >"$tmp/login.json"
  csrf=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["csrf_token"])' "$tmp/login.json")
  role=$(curl -s -b "$tmp/cj" localhost:$port/api/v1/roles | python3 -c 'import json,sys;print([r["id"] for r in json.load(sys.stdin) if r["builtin"]=="administrator"][0])')
  token=$(curl -s -b "$tmp/cj" -H "X-CSRF-Token: $csrf" -H 'content-type: application/json' \
    -d "{\"name\":\"bench\",\"role_id\":\"$role\"}" localhost:$port/api/v1/api-tokens | python3 -c 'import json,sys;print(json.load(sys.stdin)["secret"])')
  local reads logins
  reads=$(wrk -t2 -c32 -d${secs}s --latency -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/v1/users)
  logins=$(wrk -t2 -c8 -d${secs}s --latency -s "$tmp/login.lua" http://127.0.0.1:$port/api/v1/auth/login)
  kill $pid; wait $pid 2>/dev/null || true
  summarize "$name" "GET /api/v1/users (bearer token, 6 users)" "$reads"
  summarize "$name" "POST /api/v1/auth/login (argon2id)" "$logins"
}

summarize() { # backend what wrk-output
  local rps p50 p99
  rps=$(grep 'Requests/sec' <<<"$3" | awk '{print $2}')
  p50=$(grep -E '^ +50%' <<<"$3" | awk '{print $2}')
  p99=$(grep -E '^ +99%' <<<"$3" | awk '{print $2}')
  echo "| $1 | $2 | $rps | $p50 | $p99 |"
}

echo "| backend | request | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
run sqlite "sqlite://$tmp/sqlite.db?mode=rwc"
psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS kefu_bench" >/dev/null
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE kefu_bench" >/dev/null
run postgres "postgres://postgres@127.0.0.1:5432/kefu_bench"
