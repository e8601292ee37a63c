#!/usr/bin/env bash
# `make demo`: what agentgate decides for a handful of commands an AI agent
# might send, against the example policies in examples/policies/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ag="$root/bin/agentgate"
policies="$root/examples/policies"

bold=$'\e[1m'; dim=$'\e[2m'; off=$'\e[0m'
[[ -t 1 ]] || { bold=''; dim=''; off=''; }

check() { # target, query, extra flags...
  local target=$1 query=$2; shift 2
  local shown="'$query'"
  [[ $query == *"'"* && $query != *'"'* && $query != *'$'* ]] && shown="\"$query\""
  printf "%s\$ agentgate policy check --target %s --query %s %s%s\n" "$dim" "$target" "$shown" "$*" "$off"
  "$ag" policy check --policy "$policies" --target "$target" --query "$query" "$@"
  echo
}

echo "${bold}agentgate demo: policy decisions for the support agent (group ai-agents)${off}"
echo "${dim}policies: examples/policies/*.yaml${off}"
echo
agent=(--group ai-agents --subject support-agent-7)
check orders-db "SELECT id, email FROM orders WHERE id = 42" "${agent[@]}"
check orders-db "SELECT 1; DROP TABLE orders" "${agent[@]}"
check orders-db "WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone" "${agent[@]}"
check orders-db "EXPLAIN ANALYZE DELETE FROM orders" "${agent[@]}"
check orders-db "SELECT * FROM public.secrets" "${agent[@]}"
check orders-db "DO \$\$ BEGIN PERFORM pg_sleep(1); END \$\$" "${agent[@]}"
check session-cache "GET session:abc" "${agent[@]}"
check session-cache "FLUSHALL" "${agent[@]}"
check billing-api "POST /v1/orders/42/refund" "${agent[@]}"
check billing-api "GET /v1/orders/42/../../admin/users" "${agent[@]}"
echo "${bold}Someone outside the ai-agents group gets nothing:${off}"
check orders-db "SELECT 1" --group staff
echo "${bold}As JSON, for scripts:${off}"
check orders-db "UPDATE orders SET status = 'refunded' WHERE id = 42" "${agent[@]}" --json
