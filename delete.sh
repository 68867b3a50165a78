#!/usr/bin/env bash
# Tears ToDoMgmt down in both regions, in an order that succeeds; or stops the local rehearsal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=util/scripts/common.sh
source "${ROOT}/util/scripts/common.sh"
# shellcheck source=util/scripts/global-database.sh
source "${ROOT}/util/scripts/global-database.sh"

usage() {
  cat <<'EOF'
Usage: ./delete.sh [--yes] [--dry-run] [--include-bootstrap]
       ./delete.sh [--dry-run] --local

Deletes every ToDoMgmt stack in the two regions of .env, in this order:
  failover pipelines -> secondary app -> detach the clusters from the global cluster (the
  non-writer first, then the writer) -> secondary infra -> primary app -> primary infra (the
  empty global cluster goes with it)
  -> pipeline stack and its cross-region support stack
  -> the failover program's run record (an SSM parameter in each region, owned by no stack).
Before a stack is deleted, the S3 buckets it created (found through the stack's resources, never by
name) are emptied, all versions included; buckets the stack retains are deleted after it.
Runs through CloudFormation directly: no build and no synth needed (.env and the stack names are
read by assets/common, so without node_modules the dependencies are installed first). Idempotent:
stacks already gone are skipped, a stack in DELETE_FAILED is retried, so re-running finishes a
partial teardown.

Options:
  --yes                do not ask for confirmation
  --dry-run            show what would be deleted, change nothing
  --include-bootstrap  also delete the CDKToolkit stack (and its buckets) in both regions; other
                       CDK apps in this account and region may still need it
  --local              stop the local rehearsal and remove its state, .local/ by default
                       (npm run local -- stop)
  -h, --help           show this help
EOF
}

LOCAL_MODE=0
INCLUDE_BOOTSTRAP=0
while (($# > 0)); do
  case "$1" in
    --yes | -y) ASSUME_YES=1 ;;
    --dry-run) DRY_RUN=1 ;;
    --include-bootstrap) INCLUDE_BOOTSTRAP=1 ;;
    --local) LOCAL_MODE=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown option: $1" ;;
  esac
  shift
done

trap 'on_exit $? "Re-run ./delete.sh: it skips what is already gone and retries the rest."' EXIT
cd "$ROOT"

# ---------------------------------------------------------------------------------------------
# dotenv_value <file> <KEY> <default>: the one key bash reads itself, LOCAL_STATE_DIR, to tell without the
# dependencies whether there is a rehearsal to stop. No validation: `npm run local` does that.
dotenv_value() {
  local file=$1 key=$2 value=${!2:-} line
  if [[ -z "$value" && -f "$file" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
      value=${BASH_REMATCH[2]%$'\r'}
      if [[ "$value" =~ ^\"(.*)\"[[:space:]]*(#.*)?$ || "$value" =~ ^\'(.*)\'[[:space:]]*(#.*)?$ ]]; then
        value=${BASH_REMATCH[1]}
      else
        value=${value%%[[:space:]]#*}
        value=${value%"${value##*[![:space:]]}"}
      fi
    done <"$file"
  fi
  printf '%s' "${value:-$3}"
}

if ((LOCAL_MODE)); then
  have npm || die "npm not found: install Node.js 20 or newer (https://nodejs.org)"
  state_dir=$(dotenv_value "${ROOT}/.env" LOCAL_STATE_DIR .local)
  if [[ ! -d node_modules ]]; then
    if [[ ! -d "$state_dir" ]]; then
      log "The local rehearsal is not set up here (no ${state_dir}/): nothing to stop."
      exit 0
    fi
    run npm ci --no-audit --no-fund
  fi
  run npm run local -- stop
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Stacks in teardown order (assets/common/stacks.ts): "<stack name>|<region>|<kind>|<region role>";
# CDK's bootstrap stack last, when asked for.
teardown_table() {
  app '.teardownOrder[] | "\(.name)|\(.region)|\(.kind)|\(.regionRole)"'
  if ((INCLUDE_BOOTSTRAP)); then
    printf '%s\n' "${BOOTSTRAP_STACK}|${PRI_REGION}|bootstrap|pri" "${BOOTSTRAP_STACK}|${SECD_REGION}|bootstrap|secd"
  fi
}

GLOBAL_CLUSTER_ID=''

preflight() {
  check_aws_cli
  check_node
  check_jq
  describe_app "${ROOT}/.env"
  if ((${#PROBLEMS[@]} > 0)); then
    preflight_report
  fi
  GLOBAL_CLUSTER_ID=$(app .names.globalClusterId)
  check_credentials
  preflight_report

  if [[ "$(app .config.db.deletionProtection)" == true ]]; then
    problem "DB_DELETION_PROTECTION=true in .env: set it to false and run ./deploy.sh (turns protection off), then re-run ./delete.sh"
  fi
  local role region cluster json
  for role in pri secd; do
    region=$(app ".config.regions.${role}")
    cluster=$(app ".names.clusterIds.${role}")
    json=$(cluster_json "$region" "$cluster")
    if [[ -n "$json" && "$(jq -r '.DeletionProtection' <<<"$json")" == true ]]; then
      problem "cluster ${cluster} in ${region} has deletion protection on: aws rds modify-db-cluster --db-cluster-identifier ${cluster} --no-deletion-protection --apply-immediately --region ${region}"
    fi
  done
  preflight_report
}

# ---------------------------------------------------------------------------------------------
# Buckets: only those a stack created.

# stack_buckets <region> <stack> <status>: from the stack's resources while it exists; for a stack already
# gone, from the aws:cloudformation:stack-name tag CloudFormation puts on the buckets it creates
# (finds buckets a stack retained when an earlier run stopped right after deleting it).
stack_buckets() {
  local region=$1 name=$2 status=$3
  if [[ "$status" != NONE ]]; then
    aws cloudformation list-stack-resources --stack-name "$name" --region "$region" --output json |
      jq -r '.StackResourceSummaries[] | select(.ResourceType == "AWS::S3::Bucket" and .ResourceStatus != "DELETE_COMPLETE" and (.PhysicalResourceId // "") != "") | .PhysicalResourceId'
  else
    aws resourcegroupstaggingapi get-resources --region "$region" --resource-type-filters s3 \
      --tag-filters "Key=aws:cloudformation:stack-name,Values=${name}" --output json |
      jq -r '.ResourceTagMappingList[].ResourceARN | sub("^arn:[^:]+:s3:::"; "")'
  fi
}

bucket_exists() {
  aws s3api head-bucket --bucket "$1" --region "$2" >/dev/null 2>&1
}

# empty_bucket <bucket> <region>: deletes every object version and delete marker, 1000 at a time.
empty_bucket() {
  local bucket=$1 region=$2 page payload count total=0
  if ((DRY_RUN)); then
    log "[dry-run] empty s3://${bucket} (every object version)"
    return 0
  fi
  while true; do
    if ! page=$(aws s3api list-object-versions --bucket "$bucket" --region "$region" --max-items 1000 --output json 2>"$ERR_FILE"); then
      grep -q 'NoSuchBucket' "$ERR_FILE" && return 0
      die "cannot list s3://${bucket}: $(first_error_line)"
    fi
    payload=$(jq -c '{Objects: [(.Versions // [])[], (.DeleteMarkers // [])[] | {Key, VersionId}], Quiet: true}' <<<"${page:-{\}}")
    count=$(jq '.Objects | length' <<<"$payload")
    ((count > 0)) || break
    printf '%s' "$payload" >"${SCRIPTS_TMP}/delete-objects.json"
    aws s3api delete-objects --bucket "$bucket" --region "$region" --delete "file://${SCRIPTS_TMP}/delete-objects.json" >/dev/null
    total=$((total + count))
  done
  ((total == 0)) || info "emptied s3://${bucket} (${total} object versions)"
}

# ---------------------------------------------------------------------------------------------
# delete_stack <stack> <region>
delete_stack() {
  local name=$1 region=$2 status buckets bucket
  status=$(stack_status "$region" "$name")
  case "$status" in
    NONE)
      info "${name} (${region}): already gone"
      buckets=$(stack_buckets "$region" "$name" "$status")
      for bucket in $buckets; do
        if bucket_exists "$bucket" "$region"; then
          empty_bucket "$bucket" "$region"
          run aws s3api delete-bucket --bucket "$bucket" --region "$region"
        fi
      done
      return 0
      ;;
    DELETE_IN_PROGRESS) info "${name} (${region}): deletion already in progress, waiting" ;;
    *_IN_PROGRESS) die "${name} in ${region} is ${status}: wait until it finishes, then re-run ./delete.sh" ;;
    DELETE_FAILED) info "${name} (${region}): DELETE_FAILED earlier, retrying" ;;
    *) info "${name} (${region}): ${status}" ;;
  esac

  buckets=$(stack_buckets "$region" "$name" "$status")
  for bucket in $buckets; do empty_bucket "$bucket" "$region"; done
  run aws cloudformation delete-stack --stack-name "$name" --region "$region"
  if ((DRY_RUN)); then
    return 0
  fi
  if ! aws cloudformation wait stack-delete-complete --stack-name "$name" --region "$region" 2>"$ERR_FILE"; then
    printf 'error: %s in %s did not delete: %s\n' "$name" "$region" "$(first_error_line)" >&2
    aws cloudformation describe-stack-events --stack-name "$name" --region "$region" --output json 2>/dev/null |
      jq -r '[.StackEvents[] | select(.ResourceStatus == "DELETE_FAILED")][:5][] | "  \(.LogicalResourceId) (\(.ResourceType)): \(.ResourceStatusReason)"' >&2 || true
    die "${name} is DELETE_FAILED: fix the reason above (CloudFormation console, Events tab) and re-run ./delete.sh"
  fi
  # Buckets with a Retain policy outlive their stack.
  for bucket in $buckets; do
    if bucket_exists "$bucket" "$region"; then
      empty_bucket "$bucket" "$region"
      run aws s3api delete-bucket --bucket "$bucket" --region "$region"
    fi
  done
  info "${name} (${region}): deleted"
}

# ---------------------------------------------------------------------------------------------
# The failover program's run record (FAILOVER_RUN_PARAMETER in assets/common/names.ts): an SSM parameter it
# writes, best effort, in both regions, so that either region's failover pipeline can resume a run. No
# stack owns it, so delete.sh deletes it. A region that does not answer (an outage) must not stop the
# teardown: its copy is reported with the command to delete it later. The short connect timeout keeps a
# dead endpoint from holding the run for the CLI's default 60 s per attempt.
RUN_RECORD_TIMEOUT=(--cli-connect-timeout 10)

# run_record_state <region>: present | absent | "not checked (<why>)".
run_record_state() {
  local region=$1
  if aws ssm get-parameter --name "$(app .names.failoverRunParameter)" --region "$region" "${RUN_RECORD_TIMEOUT[@]}" --output json >/dev/null 2>"$ERR_FILE"; then
    printf 'present'
  elif grep -q 'ParameterNotFound' "$ERR_FILE"; then
    printf 'absent'
  else
    printf 'not checked (%s)' "$(first_error_line)"
  fi
}

delete_run_records() {
  local name region left=0
  name=$(app .names.failoverRunParameter)
  for region in "$PRI_REGION" "$SECD_REGION"; do
    if ((DRY_RUN)); then
      run aws ssm delete-parameter --name "$name" --region "$region" "${RUN_RECORD_TIMEOUT[@]}"
    elif aws ssm delete-parameter --name "$name" --region "$region" "${RUN_RECORD_TIMEOUT[@]}" 2>"$ERR_FILE"; then
      info "${name} (${region}): deleted"
    elif grep -q 'ParameterNotFound' "$ERR_FILE"; then
      info "${name} (${region}): none"
    else
      warn "${name} in ${region} was not deleted ($(first_error_line)); when ${region} answers: aws ssm delete-parameter --name ${name} --region ${region}"
      left=$((left + 1))
    fi
  done
  ((left == 0)) || info "left in ${left} region(s) that did not answer; everything else is deleted"
}

# ---------------------------------------------------------------------------------------------
log "==> Preflight"
preflight

mapfile -t TEARDOWN < <(teardown_table)
EXISTING=()
BUCKETS=()
for entry in "${TEARDOWN[@]}"; do
  IFS='|' read -r name region _ _ <<<"$entry"
  status=$(stack_status "$region" "$name")
  if [[ "$status" != NONE ]]; then
    EXISTING+=("${name} (${region}, ${status})")
    for bucket in $(stack_buckets "$region" "$name" "$status"); do BUCKETS+=("s3://${bucket} (${name})"); done
  fi
done
GLOBAL_JSON=$(global_cluster_json)
RUN_RECORDS=()
for region in "$PRI_REGION" "$SECD_REGION"; do
  record=$(run_record_state "$region")
  [[ "$record" == absent ]] || RUN_RECORDS+=("${region} (${record})")
done

if ((${#EXISTING[@]} == 0)) && [[ -z "$GLOBAL_JSON" ]] && ((${#RUN_RECORDS[@]} == 0)); then
  log "Nothing to delete: no ToDoMgmt stack, no global cluster and no failover run record in ${PRI_REGION} or ${SECD_REGION} (account ${ACCOUNT_ID})."
  exit 0
fi

log "Account ${ACCOUNT_ID}: this deletes"
for entry in "${EXISTING[@]}"; do info "$entry"; done
if [[ -n "$GLOBAL_JSON" ]]; then
  info "global cluster ${GLOBAL_CLUSTER_ID} and the data in it (the primary cluster leaves a final snapshot)"
fi
if ((${#RUN_RECORDS[@]} > 0)); then
  records=$(printf '%s, ' "${RUN_RECORDS[@]}")
  info "the failover run record $(app .names.failoverRunParameter) (SSM parameter, no stack owns it): ${records%, }"
fi
if ((${#BUCKETS[@]} > 0)); then
  log "and empties and deletes these buckets, retained ones included (copy what you want to keep first,"
  log "e.g. the failover reports: aws s3 sync s3://<bucket> ./failover-reports):"
  for bucket in "${BUCKETS[@]}"; do info "$bucket"; done
fi
if ((INCLUDE_BOOTSTRAP)); then
  warn "--include-bootstrap: other CDK apps in these regions lose their bootstrap stack too"
fi
if ((!DRY_RUN)) && ! confirm "Delete all of the above?"; then
  die "not confirmed: nothing was deleted (--yes skips the question)"
fi

STEP_TOTAL=$((${#TEARDOWN[@]} + 3))
for entry in "${TEARDOWN[@]}"; do
  IFS='|' read -r name region kind role <<<"$entry"
  if [[ "${kind}/${role}" == infra/secd ]]; then
    step "Detach the clusters from ${GLOBAL_CLUSTER_ID} (non-writer first)" detach_from_global_cluster
  fi
  step "Delete ${name} (${region})" delete_stack "$name" "$region"
  if [[ "${kind}/${role}" == infra/pri ]]; then
    step "Delete ${GLOBAL_CLUSTER_ID} if it is left" delete_global_cluster_if_empty
  fi
done

step "Delete the failover run record in both regions" delete_run_records

log "ToDoMgmt is deleted from ${PRI_REGION} and ${SECD_REGION}."
log "Final snapshots, if any: aws rds describe-db-cluster-snapshots --snapshot-type manual --region <region>"
finish
