#!/usr/bin/env bash
# Pushes this project to the ToDoMgmtRepo CodeCommit repository, which starts ToDoMgmtPipeline.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=util/scripts/common.sh
source "${ROOT}/util/scripts/common.sh"

usage() {
  cat <<'EOF'
Usage: ./local_codecommit_setup.sh [--dry-run] [--message <commit message>]

Copies what the pipeline needs from this working tree (the files git tracks plus untracked files
that .gitignore does not exclude; never node_modules/, .local/ or cdk.out/) into a fresh clone of
ToDoMgmtRepo (primary region of .env), commits and pushes the branch the pipeline builds from.
Nothing changed since the last push: no commit, no push. Needs Node.js, npm and jq: .env is read
by assets/common/config.ts (without node_modules the dependencies are installed first).

Transport: git-remote-codecommit (codecommit::<region>://ToDoMgmtRepo) when it is installed
(pip install git-remote-codecommit), otherwise HTTPS with the AWS CLI credential helper.

Options:
  --dry-run            clone and show what would be committed, push nothing
  --message <text>     commit message (default: "Sync from <source commit> ...")
  -h, --help           show this help
EOF
}

MESSAGE=''
while (($# > 0)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --message)
      (($# >= 2)) || usage_error "--message needs a value"
      MESSAGE=$2
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown option: $1" ;;
  esac
  shift
done

trap 'on_exit $? "Fix the cause and re-run ./local_codecommit_setup.sh."' EXIT
cd "$ROOT"

# Exactly one of these is chosen by preflight.
TRANSPORT=''
REMOTE_URL=''
# From util/scripts/describe-app.ts, by preflight.
REPOSITORY_NAME=''
REPOSITORY_BRANCH=''
PIPELINE_NAME=''
# The HTTPS transport: the AWS CLI signs the requests. The empty helper first drops any other
# credential helper (a keychain holding stale CodeCommit passwords is the classic failure).
HTTPS_GIT_CONFIG=(-c 'credential.helper=' -c 'credential.helper=!aws codecommit credential-helper $@' -c 'credential.UseHttpPath=true')

preflight() {
  have git || problem "git not found: install git (apt-get install git | brew install git)"
  # node, npm and jq: .env and the names are read through util/scripts/describe-app.ts.
  check_node
  check_jq
  if have git-remote-codecommit; then
    TRANSPORT=grc
  elif have aws; then
    TRANSPORT=https
  else
    problem "neither git-remote-codecommit nor the aws CLI found: pip install git-remote-codecommit, or install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
  fi
  describe_app "${ROOT}/.env"
  if ((${#PROBLEMS[@]} > 0)); then
    preflight_report
  fi
  REPOSITORY_NAME=$(app .names.repository)
  REPOSITORY_BRANCH=$(app .names.repositoryBranch)
  PIPELINE_NAME=$(app .names.pipeline)
  if [[ "$TRANSPORT" == grc ]]; then
    REMOTE_URL="codecommit::${PRI_REGION}://${REPOSITORY_NAME}"
  else
    REMOTE_URL="https://git-codecommit.${PRI_REGION}.amazonaws.com/v1/repos/${REPOSITORY_NAME}"
  fi
  # With the aws CLI at hand, check credentials and the repository before cloning, for a clearer
  # message than git's.
  if have aws; then
    check_credentials
    preflight_report
    if ! aws codecommit get-repository --repository-name "$REPOSITORY_NAME" --region "$PRI_REGION" --output json >/dev/null 2>"$ERR_FILE"; then
      if grep -q 'RepositoryDoesNotExist' "$ERR_FILE"; then
        problem "${REPOSITORY_NAME} does not exist in ${PRI_REGION}: run ./deploy.sh first (the $(app '.stacks[] | select(.kind == "pipeline") | .name') stack creates it)"
      else
        problem "cannot read ${REPOSITORY_NAME} in ${PRI_REGION} ($(first_error_line)): your credentials need codecommit:GetRepository, GitPull and GitPush"
      fi
    fi
  fi
  for required in package.json package-lock.json cdk.json; do
    [[ -f "${ROOT}/${required}" ]] || problem "${required} is missing in ${ROOT}: the pipeline cannot build without it"
  done
  preflight_report
  info "pushing to ${REMOTE_URL} (${REPOSITORY_BRANCH}) with $([[ "$TRANSPORT" == grc ]] && echo git-remote-codecommit || echo 'HTTPS + aws codecommit credential-helper')"
}

remote_git() {
  if [[ "$TRANSPORT" == https ]]; then
    git "${HTTPS_GIT_CONFIG[@]}" "$@"
  else
    git "$@"
  fi
}

# NUL-separated relative paths of the files to push.
project_files() {
  local path
  {
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git -C "$ROOT" ls-files -z --cached --others --exclude-standard
    else
      (cd "$ROOT" && find . -type f -not -path './.git/*' -print0) |
        while IFS= read -r -d '' path; do printf '%s\0' "${path#./}"; done
    fi
  } | while IFS= read -r -d '' path; do
    case "$path" in
      node_modules/* | */node_modules/* | .local/* | cdk.out/* | */cdk.out/* | .git/* | coverage/* | reports/*) continue ;;
    esac
    # Tracked but deleted in the working tree: the deletion is what gets pushed.
    [[ -f "${ROOT}/${path}" || -L "${ROOT}/${path}" ]] && printf '%s\0' "$path"
  done
}

CLONE=''
clone_repository() {
  CLONE="${SCRIPTS_TMP}/${REPOSITORY_NAME}"
  if ! remote_git clone --quiet "$REMOTE_URL" "$CLONE" 2>"$ERR_FILE"; then
    cat "$ERR_FILE" >&2
    die "git clone ${REMOTE_URL} failed: check your credentials (and, for HTTPS, that no saved password in a keychain overrides the AWS CLI helper)"
  fi
  if git -C "$CLONE" rev-parse --verify --quiet "refs/remotes/origin/${REPOSITORY_BRANCH}" >/dev/null; then
    git -C "$CLONE" checkout --quiet -B "$REPOSITORY_BRANCH" "origin/${REPOSITORY_BRANCH}"
  else
    # An empty repository (first push): start the branch from nothing.
    git -C "$CLONE" symbolic-ref HEAD "refs/heads/${REPOSITORY_BRANCH}"
  fi
  if [[ "$TRANSPORT" == https ]]; then
    git -C "$CLONE" config --local credential.helper ''
    git -C "$CLONE" config --local --add credential.helper '!aws codecommit credential-helper $@'
    git -C "$CLONE" config --local credential.UseHttpPath true
  fi
}

copy_project() {
  # Replace the clone's tree with the project's, so deletions and renames are pushed too.
  find "$CLONE" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  local list="${SCRIPTS_TMP}/files"
  project_files >"$list"
  [[ -s "$list" ]] || die "no files to push found in ${ROOT}"
  tar -C "$ROOT" --null -T "$list" -cf - | tar -C "$CLONE" -xf -
  git -C "$CLONE" add --all
  info "$(tr -cd '\0' <"$list" | wc -c) files"
}

commit_and_push() {
  if git -C "$CLONE" diff --cached --quiet; then
    log "${REPOSITORY_NAME} (${REPOSITORY_BRANCH}) already has this project: nothing to push."
    return 0
  fi
  git -C "$CLONE" diff --cached --stat | tail -n 15
  if [[ -z "$MESSAGE" ]]; then
    local source_commit
    source_commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no git history')
    MESSAGE="Sync from ${source_commit} (working tree of $(hostname 2>/dev/null || echo unknown)) by local_codecommit_setup.sh"
  fi
  if ((DRY_RUN)); then
    log "[dry-run] git commit -m $(printf '%q' "$MESSAGE") && git push origin HEAD:refs/heads/${REPOSITORY_BRANCH}"
    return 0
  fi
  # Commit as the user; fall back to a neutral identity on machines without git config.
  local identity=()
  git -C "$CLONE" config user.email >/dev/null || identity+=(-c "user.email=todomgmt@localhost")
  git -C "$CLONE" config user.name >/dev/null || identity+=(-c "user.name=ToDoMgmt local_codecommit_setup.sh")
  git -C "$CLONE" "${identity[@]}" commit --quiet -m "$MESSAGE"
  if ! remote_git -C "$CLONE" push --quiet origin "HEAD:refs/heads/${REPOSITORY_BRANCH}" 2>"$ERR_FILE"; then
    cat "$ERR_FILE" >&2
    die "git push to ${REMOTE_URL} failed (nothing in ${REPOSITORY_NAME} changed): your credentials need codecommit:GitPush"
  fi
  log "Pushed $(git -C "$CLONE" rev-parse --short HEAD) to ${REPOSITORY_NAME} ${REPOSITORY_BRANCH}."
}

log "==> Preflight"
preflight
STEP_TOTAL=3
step "Clone ${REPOSITORY_NAME}" clone_repository
step "Copy the project (no node_modules, .local, cdk.out)" copy_project
step "Commit and push" commit_and_push
cat <<EOF

${PIPELINE_NAME} starts on each push to ${REPOSITORY_BRANCH}. Follow it:
  aws codepipeline get-pipeline-state --name ${PIPELINE_NAME} --region ${PRI_REGION}
  https://${PRI_REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${PIPELINE_NAME}/view?region=${PRI_REGION}
EOF
finish
