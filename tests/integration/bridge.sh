#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops against the real daemon: for every case of the seed and of Harper's behaviour
# (harper-behaviour.md §1, §5) the printed JSON byte for byte (timestamps masked), the exit
# status and the HTTP status.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
h_users
h_up || bail_out "stack did not come up"
h_daemon_start || bail_out "harper-sysopsd did not start"

# expect USER EXIT 'BODY' 'WANT': harper-ops --status BODY as USER prints the HTTP status
# then WANT (timestamps masked) and exits with EXIT
expect() {
    local user=$1 want_exit=$2 body=$3 want=$4 out rc
    out=$(ops -u "$user" --no-ask-password --status "$body" 2>/dev/null)
    rc=$?
    is "$user: $body" "$(times_masked <<<"$out") (exit $rc)" "$want (exit $want_exit)"
}

R='"__createdtime__":T,"__updatedtime__":T'

# --- the seed's examples
expect root 0 '{"operation":"set_status","id":"primary","status":"active"}' $'200\n{"id":"primary","status":"active",'"$R}"
expect root 0 '{"operation":"get_status","id":"primary"}' $'200\n{"id":"primary","status":"active",'"$R}"
expect root 0 '{"operation":"set_status","id":"maintenance","status":"scheduled"}' $'200\n{"id":"maintenance","status":"scheduled",'"$R}"
expect root 0 '{"operation":"get_status"}' \
    $'200\n[{"id":"maintenance","status":"scheduled",'"$R"'},{"id":"primary","status":"active",'"$R}]"
expect root 0 '{"operation":"clear_status","id":"primary"}' $'200\n{"message":"Status successfully cleared"}'
expect root 0 '{"operation":"set_status","status":"no id means primary"}' $'200\n{"id":"primary","status":"no id means primary",'"$R}"
expect root 0 '{"operation":"set_status","id":"availability","status":"Available"}' $'200\n{"id":"availability","status":"Available",'"$R}"
expect root 0 '{"operation":"set_status","id":"availability","status":"Unavailable"}' $'200\n{"id":"availability","status":"Unavailable",'"$R}"

# --- set_status validation (§5.2), nothing changes
before=$(statuses)
expect root 2 '{"operation":"set_status","id":"availability","status":"Partial"}' \
    $'400\n{"error":"Status \\"availability\\" only accepts these values: Available, Unavailable"}'
expect root 2 '{"operation":"set_status","id":"availability","status":"Partially Available"}' \
    $'400\n{"error":"Status \\"availability\\" only accepts these values: Available, Unavailable"}'
expect root 2 '{"operation":"set_status","id":"availability","status":"available"}' \
    $'400\n{"error":"Status \\"availability\\" only accepts these values: Available, Unavailable"}'
expect root 2 '{"operation":"set_status","id":"primary"}' $'400\n{"error":"\'status\' is required"}'
expect root 2 '{"operation":"set_status","id":"primary","status":5}' $'400\n{"error":"\'status\' must be a string"}'
expect root 2 '{"operation":"set_status","id":"primary","status":null}' $'400\n{"error":"\'status\' must be a string"}'
expect root 2 '{"operation":"set_status","id":"primary","status":""}' $'400\n{"error":"\'status\' is not allowed to be empty"}'
expect root 2 '{"operation":"set_status","id":"unknown","status":"Value"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]"}'
expect root 2 '{"operation":"set_status","id":"Primary","status":"Value"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]"}'
expect root 2 '{"operation":"set_status","id":5,"status":"Value"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]. \'id\' must be a string"}'
expect root 2 '{"operation":"set_status","id":null,"status":"Value"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]. \'id\' must be a string"}'
expect root 2 '{"operation":"set_status","id":"","status":"Value"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]. \'id\' is not allowed to be empty"}'
expect root 2 '{"operation":"set_status","id":"availability","status":""}' \
    $'400\n{"error":"Status \\"availability\\" only accepts these values: Available, Unavailable. \'status\' is not allowed to be empty"}'
expect root 2 '{"operation":"set_status","id":"foo"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]. \'status\' is required"}'
expect root 2 '{"operation":"set_status","status":"a\u0000b"}' \
    $'400\n{"error":"\'status\' must be UTF-8 text without NUL characters"}'
long512=$(printf 'é%.0s' $(seq 512)) long513=$(printf 'é%.0s' $(seq 513))
expect root 2 "{\"operation\":\"set_status\",\"id\":\"maintenance\",\"status\":\"$long513\"}" \
    $'400\n{"error":"\'status\' length must be less than or equal to 512 characters long"}'
is "rejected set_status requests changed nothing" "$(statuses)" "$before"
expect root 0 "{\"operation\":\"set_status\",\"id\":\"maintenance\",\"status\":\"$long512\"}" \
    $'200\n{"id":"maintenance","status":"'"$long512"'",'"$R}"

# --- get_status and clear_status edge cases (§5.3)
expect root 0 '{"operation":"clear_status","id":"maintenance"}' $'200\n{"message":"Status successfully cleared"}'
expect root 0 '{"operation":"get_status","id":"maintenance"}' $'200\n{}'
expect root 0 '{"operation":"get_status","id":"nonsense"}' $'200\n{}'
expect root 0 '{"operation":"get_status","id":42}' $'200\n{}'
expect root 0 '{"operation":"get_status","id":"availability\u0000x"}' $'200\n{}'
expect root 0 '{"operation":"get_status","id":""}' \
    $'200\n[{"id":"availability","status":"Unavailable",'"$R"'},{"id":"primary","status":"no id means primary",'"$R}]"
expect root 0 '{"operation":"get_status","id":null}' \
    $'200\n[{"id":"availability","status":"Unavailable",'"$R"'},{"id":"primary","status":"no id means primary",'"$R}]"
expect root 0 '{"operation":"get_status","id":"primary","extra":"ignored"}' \
    $'200\n{"id":"primary","status":"no id means primary",'"$R}"
expect root 0 '{"operation":"clear_status","id":"maintenance"}' $'200\n{"message":"Status successfully cleared"}'
expect root 2 '{"operation":"clear_status"}' $'400\n{"error":"\'id\' is required"}'
expect root 2 '{"operation":"clear_status","id":null}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]. \'id\' must be a string"}'
expect root 2 '{"operation":"clear_status","id":"nope"}' \
    $'400\n{"error":"\'id\' must be one of [primary, maintenance, availability]"}'

# --- the request pipeline (§1)
expect root 2 'xx' $'400\n{"error":"Invalid JSON."}'
expect root 2 '{}' $'400\n{"error":"Invalid JSON."}'
expect root 2 '[{"operation":"get_status"}]' $'400\n{"error":"Invalid JSON."}'
expect root 2 '{"id":"primary"}' $'400\n{"error":"Request body must include an \'operation\' property."}'
expect root 2 '{"operation":null}' $'400\n{"error":"Request body must include an \'operation\' property."}'
expect root 2 '{"operation":"blah"}' $'400\n{"error":"Operation \'blah\' not found"}'
expect root 2 '{"operation":""}' $'400\n{"error":"Operation \'\' not found"}'
long_op=$(printf 'x%.0s' $(seq 600))
expect root 2 "{\"operation\":\"$long_op\"}" $'400\n{"error":"Operation \''"$long_op"$'\' not found"}'
expect root 2 $'{"operation":"get_status"}\f' $'400\n{"error":"Invalid JSON."}'
deep=$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))
expect root 0 "{\"operation\":\"get_status\",\"id\":\"availability\",\"ignored\":$deep}" $'200\n{"id":"availability","status":"Unavailable",'"$R}"

# --- who may: Harper's 403 body names the function; exit 4 when a password would do, 3 when denied
F403='{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":["Operation '
F403_END=' is restricted to '"'super_user'"' roles"],"invalid_schema_items":[]}'
before=$(statuses)
expect hsops-user 4 '{"operation":"set_status","id":"primary","status":"x"}' $'403\n'"$F403'setStatus'$F403_END"
expect hsops-user 4 '{"operation":"get_status","id":"primary"}' $'403\n'"$F403'getStatus'$F403_END"
expect hsops-user 4 '{"operation":"get_status"}' $'403\n'"$F403'getStatus'$F403_END"
expect hsops-user 4 '{"operation":"clear_status","id":"primary"}' $'403\n'"$F403'clearStatus'$F403_END"
expect hsops-user 4 '{"operation":"set_status","id":"availability","status":"Partial"}' $'403\n'"$F403'setStatus'$F403_END"
out=$(ops -u hsops-user --ask-password --status '{"operation":"clear_status","id":"primary"}' 2>/dev/null)
is "hsops-user allowing a password prompt and no agent: denied, exit 3" "$out (exit $?)" $'403\n'"$F403'clearStatus'$F403_END (exit 3)"
err=$(ops -u hsops-user --ask-password '{"operation":"clear_status","id":"primary"}' 2>&1 >/dev/null)
like "... stderr says why (no login session, so no agent) and what to do" "$err" \
    "AccessDenied: .*outside a login session, so polkit has no agent.*log in on a console or over ssh.*harper-admin"
is "refused requests changed nothing" "$(statuses)" "$before"
expect hsops-admin 0 '{"operation":"set_status","id":"maintenance","status":"by an admin"}' \
    $'200\n{"id":"maintenance","status":"by an admin",'"$R}"

# --- timestamps: created kept on overwrite, updated refreshed; fresh after a clear
first=$(ops '{"operation":"set_status","id":"primary","status":"one"}')
sleep 0.01
second=$(ops '{"operation":"set_status","id":"primary","status":"two"}')
ms() { grep -oE "\"__$1time__\":[0-9]+" <<<"$2" | cut -d: -f2; }
is "an overwrite keeps __createdtime__" "$(ms created "$second")" "$(ms created "$first")"
check "an overwrite refreshes __updatedtime__" test "$(ms updated "$second")" -gt "$(ms updated "$first")"
check "timestamps are ms since the epoch (within 60 s of now)" \
    test $(( $(date +%s%3N) - $(ms updated "$second") )) -lt 60000
ops '{"operation":"clear_status","id":"primary"}' >/dev/null
sleep 0.01
third=$(ops '{"operation":"set_status","id":"primary","status":"three"}')
check "after a clear, set_status starts a new __createdtime__" test "$(ms created "$third")" -gt "$(ms updated "$second")"

# --- ways to give the body, and what a person sees
body='{"operation":"get_status","id":"primary"}'
printf '%s' "$body" >"$H_T/body.json"
is "the body from a file" "$(ops -f "$H_T/body.json")" "$(ops "$body")"
is "the body on stdin" "$(ops <"$H_T/body.json")" "$(ops "$body")"
is "the body from stdin with -f -" "$(ops -f - <"$H_T/body.json")" "$(ops "$body")"
out=$(ops --status </dev/null 2>/dev/null)
is "empty stdin: no operation given, see --help (400, exit 2)" "$out (exit $?)" \
    $'400\n{"error":"No operation given: standard input is empty; see harper-ops --help."} (exit 2)'
out=$(printf ' \n' | ops --status -f - 2>/dev/null)
is "stdin of white space with -f -: the same" "$out (exit $?)" \
    $'400\n{"error":"No operation given: standard input is empty; see harper-ops --help."} (exit 2)'
: >"$H_T/empty.json"
is "an empty file names the file" "$(ops -f "$H_T/empty.json" 2>/dev/null) (exit $?)" \
    '{"error":"No operation given: the file '"$H_T"'/empty.json is empty; see harper-ops --help."} (exit 2)'
expect root 2 '' $'400\n{"error":"No operation given: the argument is empty; see harper-ops --help."}'
like "--pretty indents" "$(ops --pretty "$body")" '^\{$'
ops -f "$H_T/missing.json" >/dev/null 2>&1
is "an unreadable body file is a usage error (64)" "$?" 64
ops --bogus >/dev/null 2>&1
is "an unknown option is a usage error (64)" "$?" 64
like "--help explains the exit statuses" "$(ops --help)" "3 denied \(403\)"
like "--version" "$(ops --version)" '^harper-ops [0-9]+\.[0-9]+'
err=$(ops -u hsops-user --no-ask-password "$body" 2>&1 >/dev/null)
like "stderr names the D-Bus error and what to do" "$err" \
    "InteractiveAuthorizationRequired.*polkit agent.*harper-admin"

# --- the daemon gone: 500 and exit 1
h_daemon_stop
expect root 1 '{"operation":"get_status"}' \
    $'500\n{"error":"harper-sysopsd is not running: io.harperdb.SystemOperations1 is not on the system bus"}'

done_testing
