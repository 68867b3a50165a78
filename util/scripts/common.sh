# shellcheck shell=bash disable=SC2034  # the variables below are used by the scripts that source this file
# Shared by deploy.sh, delete.sh and local_codecommit_setup.sh (sourced, never run on its own):
# logging with elapsed time per step, preflight checks, the `run` wrapper that honours --dry-run,
# the app's description (config, stacks, names) read from util/scripts/describe-app.ts, and the
# read-only AWS queries the scripts share.

if ((BASH_VERSINFO[0] < 4)); then
  # macOS ships bash 3.2; these scripts use mapfile.
  printf 'error: bash %s is too old: bash 4 or newer is required (macOS: brew install bash, then open a new terminal)\n' "$BASH_VERSION" >&2
  exit 1
fi

# CDK's own names, not the app's: the bootstrap stack and the oldest bootstrap version deploy.sh
# accepts. The app's names, stacks and orders come from util/scripts/describe-app.ts (describe_app).
readonly BOOTSTRAP_STACK='CDKToolkit'
readonly MIN_BOOTSTRAP_VERSION=6

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
# The app as util/scripts/describe-app.ts describes it: .env validated by assets/common/config.ts (a
# non-empty variable in the process environment overrides the file), the stacks and orders of
# assets/common/stacks.ts, the names of assets/common/names.ts. Bash keeps no copy of any of them. The
# program runs on the project's dependencies, so the checks above (bash, node, npm, jq, aws) are all
# that runs before them.
APP_JSON=''
DEPENDENCIES_INSTALLED=0
PRI_REGION=''
SECD_REGION=''
ENV_ACCOUNT=''

# app <jq filter>: one value of the description.
app() { jq -r "$1" <<<"$APP_JSON"; }

# describe_app <.env path>: sets APP_JSON, PRI_REGION, SECD_REGION and ENV_ACCOUNT; every problem
# config.ts finds in .env becomes a preflight problem, in its words. Without node_modules it installs
# the dependencies first, except under --dry-run, which installs nothing.
describe_app() {
  local env_file=$1 line
  # Without node or npm there is already a problem that says so.
  have node && have npm || return 0
  if [[ ! -d node_modules ]]; then
    if ((DRY_RUN)); then
      problem "node_modules is missing and .env is read by assets/common/config.ts, which needs it: run 'npm ci --no-audit --no-fund' (--dry-run installs nothing)"
      return 0
    fi
    # Another problem (old node, no jq) may be why; it is reported first.
    ((${#PROBLEMS[@]} == 0)) || return 0
    info "installing the dependencies first: .env is read by assets/common/config.ts"
    run npm ci --no-audit --no-fund
    DEPENDENCIES_INSTALLED=1
  fi
  if APP_JSON=$(node --require ts-node/register/transpile-only util/scripts/describe-app.ts --env-file "$env_file" 2>"$ERR_FILE"); then
    if have jq; then
      PRI_REGION=$(app .config.regions.pri)
      SECD_REGION=$(app .config.regions.secd)
      ENV_ACCOUNT=$(app '.config.account // empty')
    fi
    return 0
  fi
  APP_JSON=''
  if [[ "$(head -n 1 "$ERR_FILE")" != 'Invalid configuration (.env):' ]]; then
    # Node's own errors start with the source location; the line that says what failed comes later.
    local reason
    reason=$(grep -m 1 -E '^[[:alpha:]]*Error\b' "$ERR_FILE" || first_error_line)
    problem "util/scripts/describe-app.ts could not read .env (${reason}): run 'npm ci --no-audit --no-fund', then re-run"
    return 0
  fi
  while IFS= read -r line; do
    [[ "$line" == '  - '* ]] || continue
    line=${line#  - }
    [[ "$line" == *'.env'* ]] || line+=': fix it in .env'
    problem "$line"
  done <"$ERR_FILE"
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
