#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script) and in CI: the system tools the tests use for real.
# Installs the missing ones with apt-get when it can (root on Debian/Ubuntu), else says how.
set -euo pipefail

# command → Debian package
declare -A PACKAGE_OF=([mariadbd]=mariadb-server [shellcheck]=shellcheck [jq]=jq)

missing=()
for command in "${!PACKAGE_OF[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$command]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites: installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "test prerequisites missing: ${missing[*]}" >&2
echo "  install them first, e.g. sudo apt-get install ${missing[*]}   (macOS: brew install mariadb shellcheck jq)" >&2
exit 1
