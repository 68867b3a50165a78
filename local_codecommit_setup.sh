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
that .gitignore does not exclude; never node_modules/, cdk.out/ or the local rehearsal's state,
LOCAL_STATE_DIR, .local/ by default) into a fresh clone of ToDoMgmtRepo (primary region of .env),
commits and pushes the branch the pipeline builds from. Refuses, pushing nothing, when another
rehearsal state directory (its secrets) would be pushed. Nothing changed since the last push: no
commit, no push. Needs Node.js, npm and jq: .env is read by assets/common/config.ts (without
node_modules the dependencies are installed first).

With a CodeConnections source (SOURCE_* in .env) the pipeline builds from GitHub, GitLab or
Bitbucket instead: then this script only explains that pushing to that repository deploys.

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
  # What a push to CodeCommit needs; reported with the rest unless .env names a CodeConnections source.
  local push_problems=()
  have git || push_problems+=("git not found: install git (apt-get install git | brew install git)")
  if have git-remote-codecommit; then
    TRANSPORT=grc
  elif have aws; then
    TRANSPORT=https
  else
    push_problems+=("neither git-remote-codecommit nor the aws CLI found: pip install git-remote-codecommit, or install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
  fi
  # node, npm and jq: .env and the names are read through util/scripts/describe-app.ts.
  check_node
  check_jq
  describe_app "${ROOT}/.env"
  if ((${#PROBLEMS[@]} == 0)) && [[ "$(app .source.kind)" == connection ]]; then
    explain_connection
    exit 0
  fi
  PROBLEMS=("${push_problems[@]}" "${PROBLEMS[@]}")
  preflight_report
  REPOSITORY_NAME=$(app .source.repository)
  REPOSITORY_BRANCH=$(app .source.branch)
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
      if grep -q 'RepositoryDoesNotExistException' "$ERR_FILE"; then
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
  list_project_files
  info "pushing to ${REMOTE_URL} (${REPOSITORY_BRANCH}) with $([[ "$TRANSPORT" == grc ]] && echo git-remote-codecommit || echo 'HTTPS + aws codecommit credential-helper')"
}

# With a CodeConnections source (SOURCE_* in .env) the pipeline builds from GitHub, GitLab or Bitbucket:
# pushing there is how to deploy, and that push is the user's own git. Say so, and change nothing.
explain_connection() {
  local pipeline repository branch dirs
  pipeline=$(app .names.pipeline)
  repository=$(app .source.repository)
  branch=$(app .source.branch)
  cat <<EOF
${pipeline} builds from ${repository} (branch ${branch}) through a CodeConnections connection
(SOURCE_* in .env), not from CodeCommit: there is nothing for this script to push, and it pushed nothing.
To deploy, commit your change and push it to that repository, e.g.:
  git push <remote of ${repository}> HEAD:${branch}
Commit cdk.context.json too (deploy.sh's synth writes it; the pipeline cannot look up availability zones).
${pipeline} starts on each push to ${branch}. Follow it:
  aws codepipeline get-pipeline-state --name ${pipeline} --region ${PRI_REGION}
  https://${PRI_REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${pipeline}/view?region=${PRI_REGION}
EOF
  # The guard of a push to CodeCommit, as a warning: the push to that repository is not this script's.
  if have git && git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    dirs=$(git -C "$ROOT" ls-files -z --cached --others --exclude-standard | rehearsal_state_dirs)
    [[ -z "$dirs" ]] || warn "git would commit a local rehearsal's state (client secret, database passwords, signing key) in: ${dirs}: add it to .gitignore or move it out of the project before you push"
  fi
}

# The rehearsal's state directory (LOCAL_STATE_DIR, as describe-app resolves it) relative to the project,
# or nothing when it lies outside. Its files are never pushed.
state_dir_in_project() {
  local dir
  dir=$(app .local.stateDir)
  if [[ "$dir" == "$ROOT" ]]; then
    die "LOCAL_STATE_DIR in .env is the project directory itself, so the rehearsal's secrets would be pushed with it: choose a directory of its own (e.g. .local)"
  fi
  if [[ "$dir" == "$ROOT"/* ]]; then printf '%s' "${dir#"$ROOT"/}"; fi
}

# rehearsal_state_dirs: reads NUL-separated relative paths; prints, space-separated, each directory
# ("<dir>/", or "./" for the top) holding a file that only a rehearsal's state directory has
# (describe-app's local.secretFiles: the client secret, the database passwords, the signing key).
rehearsal_state_dirs() {
  local path name found=()
  local -A seen=() secret=()
  while IFS= read -r name; do secret[$name]=1; done < <(app '.local.secretFiles[]')
  while IFS= read -r -d '' path; do
    name=${path##*/}
    [[ -n "${secret[$name]:-}" ]] || continue
    if [[ "$path" == */* ]]; then path="${path%/*}/"; else path='./'; fi
    [[ -z "${seen[$path]:-}" ]] || continue
    seen[$path]=1
    found+=("$path")
  done
  if ((${#found[@]} > 0)); then printf '%s\n' "${found[*]}"; fi
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
    # The rehearsal's state (LOCAL_STATE_DIR, whatever its name): keys, secrets, both databases.
    [[ -n "$STATE_DIR" && "$path" == "$STATE_DIR"/* ]] && continue
    # Tracked but deleted in the working tree: the deletion is what gets pushed.
    [[ -f "${ROOT}/${path}" || -L "${ROOT}/${path}" ]] && printf '%s\0' "$path"
  done
}

# Lists the files once, before anything is cloned, and refuses when a rehearsal's state would still be
# among them: a state directory under another name than the one LOCAL_STATE_DIR names now.
FILE_LIST=''
STATE_DIR=''
list_project_files() {
  local dirs
  STATE_DIR=$(state_dir_in_project)
  FILE_LIST="${SCRIPTS_TMP}/files"
  project_files >"$FILE_LIST"
  [[ -s "$FILE_LIST" ]] || die "no files to push found in ${ROOT}"
  dirs=$(rehearsal_state_dirs <"$FILE_LIST")
  if [[ -n "$dirs" ]]; then
    die "a local rehearsal's state (client secret, database passwords, signing key) would be pushed from: ${dirs}. Nothing was pushed. LOCAL_STATE_DIR in .env names $(app .local.stateDir); delete the other one (LOCAL_STATE_DIR=<it> ./delete.sh --local), move it out of the project, or add it to .gitignore, then re-run"
  fi
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
  tar -C "$ROOT" --null -T "$FILE_LIST" -cf - | tar -C "$CLONE" -xf -
  git -C "$CLONE" add --all
  info "$(tr -cd '\0' <"$FILE_LIST" | wc -c) files"
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
step "Copy the project (no node_modules, cdk.out, or the rehearsal's state)" copy_project
step "Commit and push" commit_and_push
cat <<EOF

${PIPELINE_NAME} starts on each push to ${REPOSITORY_BRANCH}. Follow it:
  aws codepipeline get-pipeline-state --name ${PIPELINE_NAME} --region ${PRI_REGION}
  https://${PRI_REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${PIPELINE_NAME}/view?region=${PRI_REGION}
EOF
finish
