# shellcheck shell=bash disable=SC2034  # the variables below are used by the scripts that source this file
# Shared by deploy.sh, delete.sh and local_codecommit_setup.sh (sourced, never run on its own):
# names, .env reading and validation, logging with elapsed time per step, preflight checks, the
# `run` wrapper that honours --dry-run, and the read-only AWS queries the scripts share.

if ((BASH_VERSINFO[0] < 4)); then
  # macOS ships bash 3.2; these scripts use associative arrays and mapfile.
  printf 'error: bash %s is too old: bash 4 or newer is required (macOS: brew install bash, then open a new terminal)\n' "$BASH_VERSION" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# Names. Bash cannot import assets/common/names.ts, so they are copied here ONCE;
# test/scripts/names.test.ts fails when they drift from assets/common/names.ts.
readonly STACK_PIPELINE='ToDoMgmt'
readonly STACK_FAILOVER_PRI='ToDoMgmt-failover'
readonly STACK_FAILOVER_SECD='ToDoMgmt-failover-secd'
readonly STACK_INFRA_PRI='ToDoMgmt-infra-pri'
readonly STACK_INFRA_SECD='ToDoMgmt-infra-secd'
readonly STACK_APP_PRI='ToDoMgmt-app-pri'
readonly STACK_APP_SECD='ToDoMgmt-app-secd'
readonly STAGE_PRI='PriDeploy'
readonly STAGE_SECD='SecdDeploy'
readonly REPOSITORY_NAME='ToDoMgmtRepo'
readonly REPOSITORY_BRANCH='main'
readonly PIPELINE_NAME='ToDoMgmtPipeline'
readonly FAILOVER_PIPELINE_PRI='ToDoMgmt-failover-pri'
readonly FAILOVER_PIPELINE_SECD='ToDoMgmt-failover-secd'
readonly GLOBAL_CLUSTER_ID='todomgmt-global-db-cluster'
readonly CLUSTER_ID_PRI='todomgmt-infra-pri-db-cluster'
readonly CLUSTER_ID_SECD='todomgmt-infra-secd-db-cluster'
readonly SSM_PREFIX='/todomgmt'
readonly CREATE_TABLE_FUNCTION='ToDoMgmt-app-pri-CreateTableFunction'
# CDK's own names: the bootstrap stack, and the support stack CDK Pipelines creates for each
# extra region a pipeline deploys to (`<pipeline stack>-support-<region>`).
readonly BOOTSTRAP_STACK='CDKToolkit'
readonly MIN_BOOTSTRAP_VERSION=6

# Every stack of the app in deploy order: "<cdk stack id>|<CloudFormation stack name>|<region role>".
# delete.sh walks the same table in its own order.
readonly STACK_TABLE=(
  "${STACK_PIPELINE}|${STACK_PIPELINE}|pri"
  "${STACK_PIPELINE}/${STAGE_PRI}/${STACK_INFRA_PRI}|${STACK_INFRA_PRI}|pri"
  "${STACK_PIPELINE}/${STAGE_PRI}/${STACK_APP_PRI}|${STACK_APP_PRI}|pri"
  "${STACK_PIPELINE}/${STAGE_SECD}/${STACK_INFRA_SECD}|${STACK_INFRA_SECD}|secd"
  "${STACK_PIPELINE}/${STAGE_SECD}/${STACK_APP_SECD}|${STACK_APP_SECD}|secd"
  "${STACK_FAILOVER_PRI}|${STACK_FAILOVER_PRI}|pri"
  "${STACK_FAILOVER_SECD}|${STACK_FAILOVER_SECD}|secd"
)

# ---------------------------------------------------------------------------------------------
# Process state shared by the helpers.
DRY_RUN=0
ASSUME_YES=0
PROBLEMS=()
STEP_NO=0
STEP_TOTAL=0
STEP_TITLE=''
STEP_STARTED=0
SCRIPT_STARTED=$SECONDS
# Poll interval for waits (global-cluster removal). Overridable so that a slow account can poll less.
POLL_SECONDS=${TODOMGMT_POLL_SECONDS:-15}
WAIT_TIMEOUT_SECONDS=${TODOMGMT_WAIT_TIMEOUT_SECONDS:-2700}

SCRIPTS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/todomgmt-scripts.XXXXXX")
readonly SCRIPTS_TMP
readonly ERR_FILE="${SCRIPTS_TMP}/stderr"

# ---------------------------------------------------------------------------------------------
# Logging. Progress goes to stdout; problems to stderr.
log() { printf '%s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'error: %s (see --help)\n' "$*" >&2
  exit 2
}

format_duration() {
  local seconds=$1
  if ((seconds >= 60)); then
    printf '%dm%02ds' $((seconds / 60)) $((seconds % 60))
  else
    printf '%ds' "$seconds"
  fi
}

# step <title> <command...>: runs one numbered step and reports how long it took. When the command
# fails, `set -e` ends the script and the EXIT trap names the step.
step() {
  local title=$1
  shift
  STEP_NO=$((STEP_NO + 1))
  STEP_TITLE=$title
  STEP_STARTED=$SECONDS
  if ((STEP_TOTAL > 0)); then
    log "==> [${STEP_NO}/${STEP_TOTAL}] ${title}"
  else
    log "==> ${title}"
  fi
  "$@"
  info "done in $(format_duration $((SECONDS - STEP_STARTED)))"
  STEP_TITLE=''
}

# Installed by each script: prints which step failed and what re-running does.
on_exit() {
  local status=$1 hint=$2
  rm -rf "$SCRIPTS_TMP"
  if ((status != 0)) && [[ -n "$STEP_TITLE" ]]; then
    printf 'FAILED: step "%s" after %s (total %s). %s\n' "$STEP_TITLE" \
      "$(format_duration $((SECONDS - STEP_STARTED)))" "$(format_duration $((SECONDS - SCRIPT_STARTED)))" "$hint" >&2
  fi
}

finish() {
  log "Finished in $(format_duration $((SECONDS - SCRIPT_STARTED)))."
}

# ---------------------------------------------------------------------------------------------
# Commands that change something go through `run`: printed, and skipped under --dry-run.
quote_command() {
  local quoted=() arg
  for arg in "$@"; do quoted+=("$(printf '%q' "$arg")"); done
  printf '%s' "${quoted[*]}"
}

run() {
  if ((DRY_RUN)); then
    log "[dry-run] $(quote_command "$@")"
    return 0
  fi
  info "\$ $(quote_command "$@")"
  "$@"
}

# run_quiet: like run, without the command's stdout (the AWS CLI echoes whole API responses).
run_quiet() {
  if ((DRY_RUN)); then
    run "$@"
    return 0
  fi
  info "\$ $(quote_command "$@")"
  "$@" >/dev/null
}

# confirm <question>: yes with --yes; otherwise asks on stdin (no answer, e.g. no terminal, is "no").
confirm() {
  ((ASSUME_YES)) && return 0
  local answer=''
  printf '%s [y/N] ' "$1" >&2
  read -r answer || answer=''
  [[ "$answer" =~ ^([yY]|[yY][eE][sS])$ ]]
}

# ---------------------------------------------------------------------------------------------
# Preflight: collect every problem (one line each, with the fix), then report them all at once.
problem() { PROBLEMS+=("$*"); }

preflight_report() {
  if ((${#PROBLEMS[@]} == 0)); then
    return 0
  fi
  printf 'Preflight found %d problem(s):\n' "${#PROBLEMS[@]}" >&2
  local p
  for p in "${PROBLEMS[@]}"; do printf '  - %s\n' "$p" >&2; done
  printf 'Nothing was changed. Fix the above and re-run.\n' >&2
  exit 1
}

# have <command>: whether it is on PATH.
have() { command -v "$1" >/dev/null 2>&1; }

check_aws_cli() {
  have aws || problem "aws CLI not found: install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
}

check_jq() {
  have jq || problem "jq not found: install it (apt-get install jq | brew install jq | https://jqlang.github.io/jq/download/)"
}

check_node() {
  if ! have node; then
    problem "node not found: install Node.js 20 or newer (https://nodejs.org, or: nvm install 22)"
    return
  fi
  local version major
  version=$(node --version 2>/dev/null || true)
  major=${version#v}
  major=${major%%.*}
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 20)); then
    problem "node ${version:-(unknown version)} is too old: Node.js 20 or newer is required (nvm install 22)"
  fi
  have npm || problem "npm not found: it ships with Node.js; reinstall Node.js 20 or newer"
}

# ---------------------------------------------------------------------------------------------
# .env: the same file bin/app.ts reads. As in assets/common/config.ts readEnv(), a non-empty variable in the
# process environment overrides the file.
declare -A DOTENV=()

load_dotenv() {
  local file=$1 line key value number=0
  if [[ ! -f "$file" ]]; then
    problem ".env not found at ${file}: restore it from the repository (git checkout -- .env)"
    return
  fi
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    line=${line%$'\r'}
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if ! [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
      problem ".env line ${number} is not KEY=VALUE: ${line}"
      continue
    fi
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    if [[ "$value" =~ ^\"(.*)\"[[:space:]]*(#.*)?$ || "$value" =~ ^\'(.*)\'[[:space:]]*(#.*)?$ ]]; then
      value=${BASH_REMATCH[1]}
    else
      value=${value%%[[:space:]]#*}
      value=${value%"${value##*[![:space:]]}"}
    fi
    DOTENV[$key]=$value
  done <"$file"
}

# env_value <KEY> [default]
env_value() {
  local key=$1 default=${2:-}
  local from_process=${!key:-}
  if [[ -n "$from_process" ]]; then
    printf '%s' "$from_process"
  elif [[ -n "${DOTENV[$key]:-}" ]]; then
    printf '%s' "${DOTENV[$key]}"
  else
    printf '%s' "$default"
  fi
}

# Validates the keys the scripts use, with assets/common/config.ts's rules and wording (the CDK app checks the
# rest at synth). Sets PRI_REGION, SECD_REGION, ENV_ACCOUNT, COGNITO_PREFIX, DELETION_PROTECTION.
readonly REGION_PATTERN='^[a-z]{2}(-gov)?-[a-z]+-[0-9]$'
validate_env() {
  PRI_REGION=$(env_value AWS_SRC_REGION)
  SECD_REGION=$(env_value AWS_DEST_REGION)
  ENV_ACCOUNT=$(env_value AWS_ACCOUNT)
  COGNITO_PREFIX=$(env_value COGNITO_DOMAIN_PREFIX todomgmt-dev-api)
  DELETION_PROTECTION=$(env_value DB_DELETION_PROTECTION false)
  DELETION_PROTECTION=${DELETION_PROTECTION,,}

  if [[ -z "$PRI_REGION" ]]; then
    problem "AWS_SRC_REGION is missing: set it in .env"
  elif ! [[ "$PRI_REGION" =~ $REGION_PATTERN ]]; then
    problem "AWS_SRC_REGION=${PRI_REGION} is not an AWS region name (e.g. us-east-1): fix it in .env"
  fi
  if [[ -z "$SECD_REGION" ]]; then
    problem "AWS_DEST_REGION is missing: set it in .env"
  elif ! [[ "$SECD_REGION" =~ $REGION_PATTERN ]]; then
    problem "AWS_DEST_REGION=${SECD_REGION} is not an AWS region name (e.g. us-east-2): fix it in .env"
  fi
  if [[ -n "$PRI_REGION" && "$PRI_REGION" == "$SECD_REGION" ]]; then
    problem "AWS_SRC_REGION and AWS_DEST_REGION must differ: active-passive needs two regions (.env)"
  fi
  if [[ -n "$ENV_ACCOUNT" ]] && ! [[ "$ENV_ACCOUNT" =~ ^[0-9]{12}$ ]]; then
    problem "AWS_ACCOUNT=${ENV_ACCOUNT} must be a 12-digit account id (or empty): fix it in .env"
  fi
  if ! [[ "$COGNITO_PREFIX" =~ ^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$ ]]; then
    problem "COGNITO_DOMAIN_PREFIX=${COGNITO_PREFIX} is invalid: lowercase letters, digits and - (.env)"
  fi
  if [[ "$DELETION_PROTECTION" != true && "$DELETION_PROTECTION" != false ]]; then
    problem "DB_DELETION_PROTECTION=${DELETION_PROTECTION} is invalid: use true or false (.env)"
  fi
}

region_of_role() {
  case "$1" in
    pri) printf '%s' "$PRI_REGION" ;;
    secd) printf '%s' "$SECD_REGION" ;;
    *) die "unknown region role: $1" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Credentials: sets ACCOUNT_ID from the caller identity; checks it against .env's AWS_ACCOUNT.
ACCOUNT_ID=''
check_credentials() {
  local identity
  if ! identity=$(aws sts get-caller-identity --region "$PRI_REGION" --output json 2>"$ERR_FILE"); then
    problem "AWS credentials not usable ($(first_error_line)): run 'aws configure' or 'aws sso login', or set AWS_PROFILE"
    return
  fi
  ACCOUNT_ID=$(jq -r '.Account // empty' <<<"$identity")
  if ! [[ "$ACCOUNT_ID" =~ ^[0-9]{12}$ ]]; then
    problem "aws sts get-caller-identity returned no account id: check your AWS CLI configuration"
    ACCOUNT_ID=''
  elif [[ -n "$ENV_ACCOUNT" && "$ENV_ACCOUNT" != "$ACCOUNT_ID" ]]; then
    problem "your credentials are for account ${ACCOUNT_ID} but .env has AWS_ACCOUNT=${ENV_ACCOUNT}: switch credentials (AWS_PROFILE) or fix .env"
  fi
}

first_error_line() {
  local line
  line=$(grep -m1 -v '^[[:space:]]*$' "$ERR_FILE" 2>/dev/null || true)
  printf '%s' "${line:-no error message}"
}

# ---------------------------------------------------------------------------------------------
# Read-only CloudFormation queries.

# describe_stack <region> <stack>: describe-stacks output, or nothing when the stack does not exist.
# Any other error (permissions, throttling) fails: "could not tell" must never read as "gone".
describe_stack() {
  local region=$1 name=$2
  if aws cloudformation describe-stacks --stack-name "$name" --region "$region" --output json 2>"$ERR_FILE"; then
    return 0
  elif grep -q 'does not exist' "$ERR_FILE"; then
    return 0
  else
    printf 'error: describe-stacks %s in %s failed: %s\n' "$name" "$region" "$(first_error_line)" >&2
    return 1
  fi
}

# stack_json <region> <stack>: the stack's describe-stacks entry, or nothing.
stack_json() {
  local out
  out=$(describe_stack "$1" "$2") || return 1
  [[ -z "$out" ]] || jq -c '.Stacks[0] // empty' <<<"$out"
}

# stack_status <region> <stack>: the status, or NONE.
stack_status() {
  local out
  out=$(describe_stack "$1" "$2") || return 1
  if [[ -z "$out" ]]; then
    printf 'NONE'
  else
    jq -r '.Stacks[0].StackStatus // "NONE"' <<<"$out"
  fi
}

# bootstrap_state <region>: prints ok | missing | old | <bad status>.
bootstrap_state() {
  local region=$1 json status version
  json=$(stack_json "$region" "$BOOTSTRAP_STACK") || return 1
  if [[ -z "$json" ]]; then
    printf 'missing'
    return
  fi
  status=$(jq -r '.StackStatus' <<<"$json")
  case "$status" in
    CREATE_COMPLETE | UPDATE_COMPLETE | UPDATE_ROLLBACK_COMPLETE) ;;
    *)
      printf '%s' "$status"
      return
      ;;
  esac
  version=$(jq -r '[.Outputs // [] | .[] | select(.OutputKey == "BootstrapVersion") | .OutputValue][0] // "0"' <<<"$json")
  if [[ "$version" =~ ^[0-9]+$ ]] && ((version >= MIN_BOOTSTRAP_VERSION)); then
    printf 'ok'
  else
    printf 'old'
  fi
}
