#!/usr/bin/env bash
# Runs the action's `args` input (DOPPIO_ARGS) as doppio commands:
#
# - one command per line, run in order; blank lines and lines starting with #
#   are skipped; the first command that fails stops the step with its exit
#   code (3 failed, 4 timed out, ...);
# - a line is split into words as xargs splits them: blanks separate words,
#   'single' or "double" quotes keep blanks (and JSON) inside one word, a
#   backslash outside quotes escapes the next character; there is NO expansion
#   (no $VAR, no globs, no command substitution), so a value taken from an
#   event payload cannot run code;
# - a leading "doppio" word is optional.
set -uo pipefail

words="$(mktemp)"
trap 'rm -f "$words"' EXIT
n=0
while IFS= read -r line || [[ -n "$line" ]]; do
  line="${line%$'\r'}"
  trimmed="${line#"${line%%[![:space:]]*}"}"
  [[ -z "$trimmed" || "$trimmed" == \#* ]] && continue
  n=$((n + 1))
  if ! printf '%s\n' "$trimmed" | xargs printf '%s\0' >"$words"; then
    echo "::error title=doppio action::args line $n: cannot split it into words (an unmatched quote?): $trimmed" >&2
    exit 1
  fi
  argv=()
  while IFS= read -r -d '' w; do
    argv+=("$w")
  done <"$words"
  if [[ "${argv[0]:-}" == doppio ]]; then
    argv=("${argv[@]:1}")
  fi
  echo "doppio ${argv[*]}" >&2
  doppio "${argv[@]}"
  status=$?
  if [[ $status -ne 0 ]]; then
    exit "$status"
  fi
done <<<"${DOPPIO_ARGS:-}"
