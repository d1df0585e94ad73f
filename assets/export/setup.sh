#!/usr/bin/env bash
{{header}}
#
# Usage: ./setup.sh [--with-access-key]
#
# Run it with credentials for account {{account}}: it checks that first. It reads each resource before
# it writes and changes only what differs from the documents beside it (documents/), so running it again
# changes nothing. It never changes a resource that pinpoint-iam-wizard did not make (one without the tag
# ManagedBy=pinpoint-iam-wizard): if one of these names is taken, it stops before writing anything.
# What it creates is tagged as `pinpoint-iam-wizard apply` tags it (ManagedBy=pinpoint-iam-wizard and
# pinpoint-iam-wizard:run=<this run's id>), so `pinpoint-iam-wizard plan` and `destroy` know it as theirs.
#
# No access key unless run with --with-access-key: then, for a user that has none, `aws iam
# create-access-key` makes one and prints it, secret included, once, on standard output (store it at once;
# AWS never shows the secret again). Progress goes to standard error.
set -euo pipefail

export AWS_PAGER=""
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
docs="$here/documents"
account='{{account}}'
partition='{{partition}}'
# The organisation's guardrails (pinpoint-iam-wizard --path, --permissions-boundary): the path of every policy,
# role and user, and the permissions boundary of every role and user (empty: none), set when they are created.
path={{path}}
boundary={{boundary}}
bounded=()
if [ -n "$boundary" ]; then bounded=(--permissions-boundary "$boundary"); fi
has_user={{has_user}}

with_key=false
for arg in "$@"; do
  case "$arg" in
    --with-access-key) with_key=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//;s/^#$//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (the only option is --with-access-key)" >&2
      exit 2
      ;;
  esac
done
if $with_key && ! $has_user; then
  echo "--with-access-key: the {{setup}} setup has no user to make a key for" >&2
  exit 2
fi

say() { printf '%s\n' "$*" >&2; }

# The tags of everything this run creates: ours, and this run's id (16 hex digits, as apply's).
run_id="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
tags="[{\"Key\":\"ManagedBy\",\"Value\":\"pinpoint-iam-wizard\"},{\"Key\":\"pinpoint-iam-wizard:run\",\"Value\":\"$run_id\"}]"

policy_arn() { printf 'arn:%s:iam::%s:policy%s%s' "$partition" "$account" "$path" "$1"; }

# exists COMMAND...: whether the entity exists; IAM's NoSuchEntity means no, any other error stops the script.
exists() {
  local err
  if err="$("$@" 2>&1 >/dev/null)"; then return 0; fi
  case "$err" in *NoSuchEntity*) return 1 ;; esac
  printf '%s\n' "$err" >&2
  exit 1
}

# settle COMMAND...: run it, retrying while IAM does not see an entity made a moment ago (IAM is eventually
# consistent); any other error stops the script.
settle() {
  local try err
  for try in 1 2 3 4 5 6 7 8; do
    if err="$("$@" 2>&1 >/dev/null)"; then return 0; fi
    case "$err" in *NoSuchEntity*) sleep "$try" ;; *) break ;; esac
  done
  printf '%s\n' "$err" >&2
  exit 1
}

# ours policy|role|user ARN_OR_NAME: whether it carries ManagedBy=pinpoint-iam-wizard.
ours() {
  local q="Tags[?Key=='ManagedBy'].Value | [0]" v
  case "$1" in
    policy) v="$(aws iam list-policy-tags --policy-arn "$2" --query "$q" --output text)" || exit 1 ;;
    role) v="$(aws iam list-role-tags --role-name "$2" --query "$q" --output text)" || exit 1 ;;
    user) v="$(aws iam list-user-tags --user-name "$2" --query "$q" --output text)" || exit 1 ;;
  esac
  [ "$v" = pinpoint-iam-wizard ]
}

conflicts=()
check_policy() {
  if exists aws iam get-policy --policy-arn "$(policy_arn "$1")" && ! ours policy "$(policy_arn "$1")"; then
    conflicts+=("policy $1")
  fi
}
check_role() {
  if exists aws iam get-role --role-name "$1" && ! ours role "$1"; then conflicts+=("role $1"); fi
}
check_user() {
  if exists aws iam get-user --user-name "$1" && ! ours user "$1"; then conflicts+=("user $1"); fi
}

# ensure_policy NAME FILE: the policy exists with this document as its default version.
ensure_policy() {
  local name="$1" file="$docs/$2" arn version current count oldest
  arn="$(policy_arn "$name")"
  if ! exists aws iam get-policy --policy-arn "$arn"; then
    aws iam create-policy --policy-name "$name" --path "$path" --policy-document "file://$file" \
      --description 'Created by pinpoint-iam-wizard' --tags "$tags" >/dev/null
    say "policy $name: created"
    return
  fi
  version="$(aws iam get-policy --policy-arn "$arn" --query Policy.DefaultVersionId --output text)"
  current="$(aws iam get-policy-version --policy-arn "$arn" --version-id "$version" \
    --query PolicyVersion.Document --output json)"
  if [ "$current" = "$(cat "$file")" ]; then
    say "policy $name: unchanged"
    return
  fi
  # IAM keeps at most 5 versions of a policy: make room by deleting the oldest one that is not the default.
  count="$(aws iam list-policy-versions --policy-arn "$arn" --query 'length(Versions)' --output text)"
  if [ "$count" -ge 5 ]; then
    oldest="$(aws iam list-policy-versions --policy-arn "$arn" \
      --query 'sort_by(Versions[?!IsDefaultVersion], &CreateDate)[0].VersionId' --output text)"
    aws iam delete-policy-version --policy-arn "$arn" --version-id "$oldest"
  fi
  aws iam create-policy-version --policy-arn "$arn" --policy-document "file://$file" --set-as-default >/dev/null
  say "policy $name: updated (a new default version)"
}

# ensure_role NAME TRUST_FILE: the role exists with this trust policy.
ensure_role() {
  local name="$1" file="$docs/$2" current
  if ! exists aws iam get-role --role-name "$name"; then
    aws iam create-role --role-name "$name" --path "$path" ${bounded[@]+"${bounded[@]}"} \
      --assume-role-policy-document "file://$file" \
      --description 'Created by pinpoint-iam-wizard' --tags "$tags" >/dev/null
    say "role $name: created"
    return
  fi
  current="$(aws iam get-role --role-name "$name" --query Role.AssumeRolePolicyDocument --output json)"
  if [ "$current" = "$(cat "$file")" ]; then
    say "role $name: unchanged"
    return
  fi
  aws iam update-assume-role-policy --role-name "$name" --policy-document "file://$file"
  say "role $name: trust policy updated"
}

# ensure_user NAME: the user exists.
ensure_user() {
  if exists aws iam get-user --user-name "$1"; then
    say "user $1: unchanged"
    return
  fi
  aws iam create-user --user-name "$1" --path "$path" ${bounded[@]+"${bounded[@]}"} --tags "$tags" >/dev/null
  say "user $1: created"
}

# attach role|user NAME POLICY: the policy is attached.
attach() {
  local arn n
  arn="$(policy_arn "$3")"
  n="$(aws iam "list-attached-$1-policies" "--$1-name" "$2" \
    --query "length(AttachedPolicies[?PolicyArn=='$arn'])" --output text)"
  if [ "$n" != 0 ]; then
    say "$1 $2: $3 already attached"
    return
  fi
  settle aws iam "attach-$1-policy" "--$1-name" "$2" --policy-arn "$arn"
  say "$1 $2: $3 attached"
}

# access_key USER: with --with-access-key, one key for a user that has none, printed once.
access_key() {
  local n id
  $with_key || return 0
  n="$(aws iam list-access-keys --user-name "$1" --query 'length(AccessKeyMetadata)' --output text)"
  if [ "$n" != 0 ]; then
    say "user $1: has $n access key(s) already, so no new one (lost the secret? pinpoint-iam-wizard rotate-key)"
    return
  fi
  say "user $1: a new access key follows on standard output; its secret is shown only this once: store it now"
  aws iam create-access-key --user-name "$1" --output json
  # Described as the console describes a key for Postman, and marked as pinpoint-iam-wizard's, as apply does.
  id="$(aws iam list-access-keys --user-name "$1" --query 'AccessKeyMetadata[0].AccessKeyId' --output text)"
  aws iam tag-user --user-name "$1" --tags \
    "[{\"Key\":\"$id\",\"Value\":\"Application running outside AWS\"},{\"Key\":\"pinpoint-iam-wizard:key:$id\",\"Value\":\"$run_id\"}]"
}

caller="$(aws sts get-caller-identity --query Account --output text)"
if [ "$caller" != "$account" ]; then
  say "These credentials are for account $caller; this script was made for account $account (its documents"
  say "name it). Nothing was changed. Use credentials for $account, or export again with --account-id $caller."
  exit 1
fi

# 1. Nothing here may belong to someone else.
{{checks}}
if ((${#conflicts[@]})); then
  say "Not made by pinpoint-iam-wizard (no ManagedBy=pinpoint-iam-wizard tag): ${conflicts[*]}."
  say "Nothing was changed. Export again with other names (--name), or take them over with"
  say "pinpoint-iam-wizard apply --adopt."
  exit 1
fi

# 2. Policies, then the roles and users they are attached to.
{{steps}}
say "done (run $run_id)"
