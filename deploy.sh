#!/usr/bin/env bash
# Deploys ToDoMgmt to AWS (both regions), or runs the local two-region rehearsal with --local.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=util/scripts/common.sh
source "${ROOT}/util/scripts/common.sh"

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [--yes] [--dry-run]
       ./deploy.sh [--dry-run] --local [local rehearsal arguments...]

Deploys ToDoMgmt to the two regions of .env (AWS_SRC_REGION = primary, AWS_DEST_REGION = secondary):
  preflight (aws CLI, Node.js >= 20, npm, jq, .env, credentials, the pipeline's source: CodeCommit
  usable, or the CodeConnections connection AVAILABLE; CDK bootstrap of both regions;
  .env is read by assets/common/config.ts, so without node_modules the dependencies come first)
  -> npm ci -> npm run build -> npm run test:nodb -> cdk synth
  -> deploy: pipeline stack, primary infra + app, secondary infra + app, failover pipelines
     (with a CodeConnections source, SOURCE_* in .env, the pipeline stack last: a new pipeline runs at once)
  -> prints the CloudFront URL, the token URL, how to get the client secret and the next steps.

Re-running is safe: after a failure it continues (cdk deploy applies only what changed, so stacks
already deployed are left as they are); after a success it changes nothing.

Options:
  --yes        do not ask before bootstrapping a region that is not bootstrapped yet
  --dry-run    print the commands that would change something, run only read-only checks
  --local ...  run the local rehearsal instead: npm run local -- <arguments>, e.g.
               ./deploy.sh --local                 start it in the foreground (Ctrl-C stops it)
               ./deploy.sh --local start --detach  start it in the background
               ./deploy.sh --local help            all its commands
               (installs dependencies first when node_modules is missing)
  -h, --help   show this help
EOF
}

LOCAL_ARGS=()
LOCAL_MODE=0
while (($# > 0)); do
  case "$1" in
    --yes | -y) ASSUME_YES=1 ;;
    --dry-run) DRY_RUN=1 ;;
    --local)
      LOCAL_MODE=1
      shift
      LOCAL_ARGS=("$@")
      break
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown option: $1" ;;
  esac
  shift
done

trap 'on_exit $? "Fix the cause and re-run ./deploy.sh: it continues where it stopped."' EXIT
cd "$ROOT"

# ---------------------------------------------------------------------------------------------
if ((LOCAL_MODE)); then
  have npm || die "npm not found: install Node.js 20 or newer (https://nodejs.org)"
  if [[ ! -d node_modules ]]; then
    run npm ci --no-audit --no-fund
  fi
  run npm run local -- "${LOCAL_ARGS[@]}"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
NEEDS_BOOTSTRAP=()
STACK_TABLE=()
DEPLOY_ORDER=()

preflight() {
  check_aws_cli
  check_node
  check_jq
  describe_app "${ROOT}/.env"
  # Without the aws CLI, jq or valid regions, the AWS checks below would only repeat the problem.
  if ((${#PROBLEMS[@]} > 0)); then
    preflight_report
  fi
  # "<cdk stack id>|<CloudFormation stack name>|<region>"
  mapfile -t STACK_TABLE < <(app '.stacks[] | "\(.id)|\(.name)|\(.region)"')
  # shellcheck disable=SC2016 # $stacks and $id are jq's
  mapfile -t DEPLOY_ORDER < <(app '.stacks as $stacks | .deployOrder[] as $id | $stacks[] | select(.id == $id) | "\(.id)|\(.name)|\(.region)"')
  check_credentials
  preflight_report
  if [[ "$(app .source.kind)" == connection ]]; then
    check_connection
  else
    check_codecommit
  fi

  local region state
  for region in "$PRI_REGION" "$SECD_REGION"; do
    state=$(bootstrap_state "$region")
    case "$state" in
      ok) info "CDK bootstrap in ${region}: ok" ;;
      missing | old)
        local what='is not bootstrapped for CDK'
        [[ "$state" == old ]] && what="has a CDK bootstrap older than version ${MIN_BOOTSTRAP_VERSION}"
        if ((DRY_RUN)) || confirm "Region ${region} ${what}. Bootstrap it (npx cdk bootstrap aws://${ACCOUNT_ID}/${region})?"; then
          NEEDS_BOOTSTRAP+=("$region")
        else
          problem "region ${region} ${what}: run 'npx cdk bootstrap aws://${ACCOUNT_ID}/${region}' or re-run ./deploy.sh --yes"
        fi
        ;;
      *IN_PROGRESS)
        problem "the ${BOOTSTRAP_STACK} stack in ${region} is ${state}: wait until it finishes, then re-run"
        ;;
      *)
        problem "the ${BOOTSTRAP_STACK} stack in ${region} is ${state}: delete it (aws cloudformation delete-stack --stack-name ${BOOTSTRAP_STACK} --region ${region}) and re-run"
        ;;
    esac
  done
  preflight_report
  info "account ${ACCOUNT_ID}, primary ${PRI_REGION}, secondary ${SECD_REGION}"
}

# The fix for an account that cannot use CodeCommit: build from another Git provider.
readonly CONNECTION_FIX="build from GitHub, GitLab or Bitbucket instead: create a connection in the console (Developer Tools > Settings > Connections), approve it, and set SOURCE_CONNECTION_ARN, SOURCE_REPOSITORY and SOURCE_BRANCH in .env"

# CodeCommit is "no longer available to new customers" (AWS CodeCommit API Reference, CreateRepository):
# an account that has no repository, and whose AWS Organization has none, gets OperationNotAllowedException
# ("CreateRepository request is not allowed because there is no existing repository in this AWS account or
# AWS Organization") when the ToDoMgmt stack creates its repository. Reading stays open to everyone. So:
# our repository exists, or the account has any repository -> fine; none at all -> stop here with the fix,
# rather than in CloudFormation. TODOMGMT_CODECOMMIT_ALLOWED=1 skips that for a new account of an
# Organization that already uses CodeCommit (AWS allows those).
check_codecommit() {
  local repository out count
  repository=$(app .source.repository)
  if aws codecommit get-repository --repository-name "$repository" --region "$PRI_REGION" --output json >/dev/null 2>"$ERR_FILE"; then
    info "CodeCommit: ${repository} exists in ${PRI_REGION}"
    return 0
  fi
  grep -q 'RepositoryDoesNotExistException' "$ERR_FILE" || {
    codecommit_problem
    return 0
  }
  if ! out=$(aws codecommit list-repositories --region "$PRI_REGION" --output json 2>"$ERR_FILE"); then
    codecommit_problem
    return 0
  fi
  count=$(jq '.repositories // [] | length' <<<"$out")
  if ((count > 0)); then
    info "CodeCommit: the account has ${count} repositories in ${PRI_REGION}; the $(app '.stacks[] | select(.kind == "pipeline") | .name') stack creates ${repository}"
  elif [[ "${TODOMGMT_CODECOMMIT_ALLOWED:-}" == 1 ]]; then
    info "CodeCommit: no repository in ${PRI_REGION}; TODOMGMT_CODECOMMIT_ALLOWED=1 says your Organization may create one"
  else
    problem "CodeCommit: this account has no repository in ${PRI_REGION}, and CodeCommit is closed to new customers (creating ${repository} would fail with OperationNotAllowedException): ${CONNECTION_FIX}. If your AWS Organization already uses CodeCommit, re-run with TODOMGMT_CODECOMMIT_ALLOWED=1"
  fi
}

codecommit_problem() {
  if grep -qE 'OperationNotAllowedException|no longer available|not allowed' "$ERR_FILE"; then
    problem "CodeCommit cannot be used in this account ($(first_error_line)): ${CONNECTION_FIX}"
  elif grep -qE 'AccessDenied|not authorized' "$ERR_FILE"; then
    problem "cannot read CodeCommit in ${PRI_REGION} ($(first_error_line)): your credentials need codecommit:GetRepository and codecommit:ListRepositories, or ${CONNECTION_FIX}"
  else
    problem "cannot read CodeCommit in ${PRI_REGION} ($(first_error_line)): retry, or ${CONNECTION_FIX}"
  fi
}

# The pipeline's source action needs an AVAILABLE connection. One made outside the console starts PENDING and
# becomes AVAILABLE only when it is updated in the console (AWS CodeConnections API Reference, "Connection").
# Connections are global resources, readable from any region; the ARN's service (codeconnections or the older
# codestar-connections) names the CLI command.
check_connection() {
  local arn service region out status name
  arn=$(app .source.connectionArn)
  service=$(cut -d: -f3 <<<"$arn")
  region=$(cut -d: -f4 <<<"$arn")
  if ! out=$(aws "$service" get-connection --connection-arn "$arn" --region "$region" --output json 2>"$ERR_FILE"); then
    if grep -q 'ResourceNotFoundException' "$ERR_FILE"; then
      problem "the connection ${arn} does not exist in this account: create one in the console (Developer Tools > Settings > Connections), approve it, and put its ARN in SOURCE_CONNECTION_ARN in .env"
    elif grep -q 'invalid choice' "$ERR_FILE"; then
      problem "this AWS CLI has no '${service}' command ($(first_error_line)): update AWS CLI v2, then re-run"
    else
      problem "cannot read the connection ${arn} ($(first_error_line)): your credentials need ${service}:GetConnection"
    fi
    return 0
  fi
  status=$(jq -r '.Connection.ConnectionStatus // empty' <<<"$out")
  name=$(jq -r '.Connection.ConnectionName // empty' <<<"$out")
  case "$status" in
    AVAILABLE) info "connection ${name} ($(jq -r '.Connection.ProviderType // "?"' <<<"$out")): AVAILABLE; the pipeline builds $(app .source.repository) ($(app .source.branch))" ;;
    PENDING) problem "the connection ${name:-$arn} is PENDING: approve it in the console (Developer Tools > Settings > Connections > ${name:-the connection} > Update pending connection), then re-run" ;;
    *) problem "the connection ${name:-$arn} is ${status:-in no known state}: fix it, or create a new one, in the console (Developer Tools > Settings > Connections), then re-run" ;;
  esac
}

bootstrap_region() {
  run npx cdk bootstrap "aws://${ACCOUNT_ID}/$1"
}

# The CDK app must define exactly the stacks, names and regions this script and delete.sh use:
# otherwise stop before deploying anything.
check_app_stacks() {
  if ((DRY_RUN)); then
    log "[dry-run] npx cdk list --app cdk.out --long --json  (checks the app's stack ids, names and regions)"
    return 0
  fi
  local listing entry id name region found mismatches=0
  listing=$(npx cdk list --app cdk.out --long --json)
  for entry in "${STACK_TABLE[@]}"; do
    IFS='|' read -r id name region <<<"$entry"
    # cdk list prints stage stacks as "<id> (<stack name>)"; compare on the id.
    found=$(jq -r --arg id "$id" '[.[] | select((.id | split(" (")[0]) == $id) | "\(.name) \(.environment.region)"][0] // empty' <<<"$listing")
    if [[ -z "$found" ]]; then
      printf 'error: the CDK app has no stack %s\n' "$id" >&2
      mismatches=$((mismatches + 1))
    elif [[ "$found" != "${name} ${region}" ]]; then
      printf 'error: the CDK app deploys %s as "%s", expected "%s %s" (names come from assets/common/names.ts)\n' "$id" "$found" "$name" "$region" >&2
      mismatches=$((mismatches + 1))
    fi
  done
  ((mismatches == 0)) || die "the CDK app and assets/common/stacks.ts disagree on ${mismatches} stack(s); nothing was deployed"
  info "the app defines all ${#STACK_TABLE[@]} stacks"
}

# deploy_stack <cdk id> <stack name> <region>: cdk deploy is idempotent (an unchanged stack is a
# no-op), which is what makes a re-run continue after a failure. States cdk cannot deploy over are
# refused here with the fix.
deploy_stack() {
  local id=$1 name=$2 region=$3
  local status
  status=$(stack_status "$region" "$name")
  case "$status" in
    NONE) info "${name} (${region}): new stack" ;;
    CREATE_COMPLETE | UPDATE_COMPLETE | UPDATE_ROLLBACK_COMPLETE | IMPORT_COMPLETE)
      info "${name} (${region}): ${status}, cdk deploys only what changed"
      ;;
    ROLLBACK_COMPLETE) info "${name} (${region}): ROLLBACK_COMPLETE after a failed create, cdk replaces it" ;;
    *_IN_PROGRESS) die "${name} in ${region} is ${status}: wait until it finishes (CloudFormation console), then re-run ./deploy.sh" ;;
    UPDATE_ROLLBACK_FAILED) die "${name} in ${region} is UPDATE_ROLLBACK_FAILED: run 'aws cloudformation continue-update-rollback --stack-name ${name} --region ${region}', then re-run ./deploy.sh" ;;
    *) die "${name} in ${region} is ${status}: delete it (./delete.sh, or the CloudFormation console), then re-run ./deploy.sh" ;;
  esac
  run npx cdk deploy --app cdk.out "$id" --require-approval never
}

print_summary() {
  if ((DRY_RUN)); then
    log "[dry-run] nothing was deployed."
    return 0
  fi
  # The primary app stack's outputs (CloudfrontUrl, TokenUrl, UserPoolId, UserPoolClientId); the
  # user pool id is also in SSM, where it survives a change of outputs.
  local app_stack app_json url token_url pool_id client_id
  app_stack=$(app '.stacks[] | select(.kind == "app" and .regionRole == "pri") | .name')
  app_json=$(stack_json "$PRI_REGION" "$app_stack" || true)
  output() { [[ -z "$app_json" ]] || jq -r --arg p "$1" '[.Outputs // [] | .[] | select(.OutputKey | startswith($p)) | .OutputValue][0] // empty' <<<"$app_json"; }
  url=$(output CloudfrontUrl)
  if [[ -n "$url" && "$url" != https://* ]]; then url="https://${url}"; fi
  token_url=$(output TokenUrl)
  [[ -n "$token_url" ]] || token_url="https://$(app .config.cognitoDomainPrefix)-${ACCOUNT_ID}.auth.${PRI_REGION}.amazoncognito.com/oauth2/token"
  pool_id=$(output UserPoolId)
  if [[ -z "$pool_id" ]]; then
    pool_id=$(aws ssm get-parameter --name "$(app .names.userPoolIdParameter)" --region "$PRI_REGION" --output json 2>/dev/null |
      jq -r '.Parameter.Value // empty' || true)
  fi
  client_id=$(output UserPoolClientId)
  if [[ -z "$client_id" && -n "$pool_id" ]]; then
    client_id=$(aws cognito-idp list-user-pool-clients --user-pool-id "$pool_id" --region "$PRI_REGION" --output json 2>/dev/null |
      jq -r '.UserPoolClients[0].ClientId // empty' || true)
  fi

  # The secondary's token URL: its app stack has one with a Cognito replica there (COGNITO_REPLICA=true).
  local secd_stack secd_token_url=''
  secd_stack=$(app '.stacks[] | select(.kind == "app" and .regionRole == "secd") | .name')
  secd_token_url=$(stack_json "$SECD_REGION" "$secd_stack" 2>/dev/null |
    jq -r '[.Outputs // [] | .[] | select(.OutputKey == "TokenUrl") | .OutputValue][0] // empty' 2>/dev/null || true)

  local create_table pipeline failover_pri failover_secd next_push
  create_table=$(app .names.createTableFunction)
  pipeline=$(app .names.pipeline)
  failover_pri=$(app .names.failoverPipelines.pri)
  failover_secd=$(app .names.failoverPipelines.secd)
  if [[ "$(app .source.kind)" == connection ]]; then
    # Creating a pipeline starts it (CodePipeline user guide, "Start a pipeline in CodePipeline"): that is why it was deployed last.
    next_push="push to $(app .source.repository) ($(app .source.branch)): ${pipeline} builds from it (creating it started a first run)"
  else
    next_push="./local_codecommit_setup.sh    push this project to $(app .source.repository): ${pipeline} then deploys from it"
  fi
  cat <<EOF

ToDoMgmt is deployed (account ${ACCOUNT_ID}; primary ${PRI_REGION}, secondary ${SECD_REGION}).

  API (CloudFront):  ${url:-"(no CloudfrontUrl output on ${app_stack}: see the CloudFormation console)"}/v1
  Token URL:         ${token_url}${secd_token_url:+"
  Token URL, ${SECD_REGION}: ${secd_token_url}
                     (the user pool's replica: same client id and secret; get tokens there while ${PRI_REGION} is down)"}
  Client id:         ${client_id:-"<client-id>"}
  Client secret:     aws cognito-idp describe-user-pool-client --user-pool-id ${pool_id:-"<user-pool-id>"} --client-id ${client_id:-"<client-id>"} --region ${PRI_REGION} --query UserPoolClient.ClientSecret --output text

  The table was created by the primary app stack. Optional check (idempotent):
    aws lambda invoke --payload '{"action": "CREATE_TABLE"}' --function-name ${create_table} --cli-binary-format raw-in-base64-out --region ${PRI_REGION} /dev/stdout

Next steps:
  1. ${next_push}
  2. Fail over: start the ${failover_pri} pipeline (${PRI_REGION}) and approve it, or, with the primary region down,
     ${failover_secd} (${SECD_REGION}):
       aws codepipeline start-pipeline-execution --name ${failover_pri} --region ${PRI_REGION}
     or from this machine: npm run failover -- --dry-run
EOF
}

# ---------------------------------------------------------------------------------------------
log "==> Preflight"
preflight

# npm ci even when node_modules is there (it may not match package-lock.json), unless the preflight just ran it.
install_dependencies() {
  if ((DEPENDENCIES_INSTALLED)); then
    info "installed by the preflight (node_modules was missing)"
  else
    run npm ci --no-audit --no-fund
  fi
}

STEP_TOTAL=$((5 + ${#NEEDS_BOOTSTRAP[@]} + ${#DEPLOY_ORDER[@]}))
step "Install dependencies (npm ci)" install_dependencies
for region in "${NEEDS_BOOTSTRAP[@]}"; do
  step "Bootstrap CDK in ${region}" bootstrap_region "$region"
done
step "Type-check (npm run build)" run npm run build
step "Tests that need no database (npm run test:nodb)" run npm run test:nodb
# The account is exported so that the app synthesizes for it even when .env leaves AWS_ACCOUNT empty.
step "Synthesize (cdk synth)" run env AWS_ACCOUNT="$ACCOUNT_ID" npx cdk synth --quiet
step "Check the app's stacks" check_app_stacks
for entry in "${DEPLOY_ORDER[@]}"; do
  IFS='|' read -r stack_id stack_name stack_region <<<"$entry"
  step "Deploy ${stack_name} (${stack_region})" deploy_stack "$stack_id" "$stack_name" "$stack_region"
done
print_summary
finish
