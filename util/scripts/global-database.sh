# shellcheck shell=bash
# Sourced by delete.sh: the global database's members leave it before their stacks go (RDS refuses to
# delete a cluster that is still in a global cluster). Uses common.sh's helpers and delete.sh's
# GLOBAL_CLUSTER_ID, PRI_REGION, SECD_REGION, ERR_FILE, DRY_RUN, WAIT_TIMEOUT_SECONDS, POLL_SECONDS.

# cluster_json <region> <cluster id>: the describe-db-clusters entry, or nothing when gone.
cluster_json() {
  local out
  if out=$(aws rds describe-db-clusters --db-cluster-identifier "$2" --region "$1" --output json 2>"$ERR_FILE"); then
    jq -c '.DBClusters[0] // empty' <<<"$out"
  elif grep -q 'DBClusterNotFound' "$ERR_FILE"; then
    return 0
  else
    printf 'error: describe-db-clusters %s in %s failed: %s\n' "$2" "$1" "$(first_error_line)" >&2
    return 1
  fi
}

# global_cluster_json: asks the primary region, then the secondary (either may be down or empty).
global_cluster_json() {
  local region out
  for region in "$PRI_REGION" "$SECD_REGION"; do
    if out=$(aws rds describe-global-clusters --global-cluster-identifier "$GLOBAL_CLUSTER_ID" --region "$region" --output json 2>"$ERR_FILE"); then
      jq -c '.GlobalClusters[0] // empty' <<<"$out"
      return 0
    elif ! grep -q 'GlobalClusterNotFound' "$ERR_FILE"; then
      printf 'error: describe-global-clusters in %s failed: %s\n' "$region" "$(first_error_line)" >&2
      return 1
    fi
  done
}

# remove_member <cluster arn>: removes it from the global cluster (in the member's own region) and
# waits until it is out.
remove_member() {
  local arn=$1 region json waited=0
  region=$(cut -d: -f4 <<<"$arn")
  run_quiet aws rds remove-from-global-cluster --global-cluster-identifier "$GLOBAL_CLUSTER_ID" --db-cluster-identifier "$arn" --region "$region"
  ((DRY_RUN)) && return 0
  while json=$(global_cluster_json) && [[ -n "$json" ]] &&
    jq -e --arg arn "$arn" 'any(.GlobalClusterMembers[]; .DBClusterArn == $arn)' <<<"$json" >/dev/null; do
    ((waited < WAIT_TIMEOUT_SECONDS)) || die "${arn} is still in ${GLOBAL_CLUSTER_ID} after $(format_duration "$waited"): check the RDS console, then re-run"
    info "waiting for ${arn##*:} to leave the global cluster ($(format_duration "$waited"))"
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
  done
  info "${arn##*:} is no longer in ${GLOBAL_CLUSTER_ID}"
}

# RDS refuses to delete a cluster that is still in a global cluster, and the writer can only leave
# as the last member. So: the non-writer first (after a failover that is the primary region's
# cluster), then the writer. Each cluster is then standalone and its stack deletes it (the
# primary's with a final snapshot); the empty global cluster goes with the primary infra stack.
detach_from_global_cluster() {
  local json writer others arn
  json=$(global_cluster_json)
  if [[ -z "$json" ]]; then
    info "global cluster ${GLOBAL_CLUSTER_ID}: gone"
    return 0
  fi
  writer=$(jq -r '[.GlobalClusterMembers[] | select(.IsWriter) | .DBClusterArn][0] // empty' <<<"$json")
  others=$(jq -r '.GlobalClusterMembers[] | select(.IsWriter | not) | .DBClusterArn' <<<"$json")
  info "writer: ${writer:-none}"
  for arn in $others; do remove_member "$arn"; done
  if [[ -n "$writer" ]]; then
    remove_member "$writer"
  elif [[ -z "$others" ]]; then
    info "no member left"
  fi
}

# The primary infra stack deletes the (now empty) global cluster; this catches one left behind.
delete_global_cluster_if_empty() {
  local json members
  if ((DRY_RUN)); then
    log "[dry-run] aws rds delete-global-cluster --global-cluster-identifier ${GLOBAL_CLUSTER_ID} (only if it is left without members)"
    return 0
  fi
  json=$(global_cluster_json)
  if [[ -z "$json" ]]; then
    info "global cluster ${GLOBAL_CLUSTER_ID}: gone"
    return 0
  fi
  members=$(jq '.GlobalClusterMembers | length' <<<"$json")
  ((members == 0)) || die "global cluster ${GLOBAL_CLUSTER_ID} still has ${members} member(s): $(jq -r '[.GlobalClusterMembers[].DBClusterArn] | join(", ")' <<<"$json")"
  local region
  region=$(jq -r '.GlobalClusterArn // ""' <<<"$json" | cut -d: -f4)
  run_quiet aws rds delete-global-cluster --global-cluster-identifier "$GLOBAL_CLUSTER_ID" --region "${region:-$PRI_REGION}"
}
