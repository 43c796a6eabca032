#!/bin/bash
# SPDX-License-Identifier: MIT
# harper-ops and harper-ops-http give the same answers: every case of tests/integration/bridge.sh
# (the skeleton issue's case list, read from that file so the two cannot drift apart) is sent
# through harper-ops and as an HTTP POST over the unix socket by the same user; the HTTP status
# and body must equal harper-ops's --status output and Harper's answer that bridge.sh expects.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sysops.sh"
. "$(dirname "$0")/../lib/http.sh"
h_users
h_up || bail_out "stack did not come up"
trap http_down EXIT
h_daemon_start || bail_out "harper-sysopsd did not start"
http_start || bail_out "harper-ops-http did not start"

n=0
# expect USER EXIT 'BODY' 'WANT', as bridge.sh says it; here: CLI and HTTP, same user, same state
expect() {
    local user=$1 body=$3 want=$4 cli http
    n=$((n + 1))
    cli=$(ops -u "$user" --no-ask-password --status "$body" 2>/dev/null | times_masked)
    http=$(hpost unix "$user" "$body" | times_masked)
    if [ -z "$body" ]; then   # harper-ops: its command line gave no operation; HTTP: Harper's 400
        is "HTTP, $user, an empty body: Harper's 400" "$http" $'400\n{"error":"Invalid JSON."}'
        is "... the status harper-ops gives" "${http%%$'\n'*}" "${cli%%$'\n'*}"
        return
    fi
    is "HTTP = harper-ops, $user: ${body:0:120}" "$http" "$cli"
    is "... = Harper's answer" "$http" "$want"
}

# The cases: bridge.sh's `expect` calls with the variables they use, and the daemon's stop
# for the last one; everything else there (checks of harper-ops's own options) is left out.
cases=$(awk '
    /^(expect|h_daemon_stop)( |$)/ || /^[A-Za-z_][A-Za-z0-9_]*=/ { take = 1 }
    take { print; take = /\\$/ }
' "$SRCDIR/tests/integration/bridge.sh")
want=$(grep -c '^expect ' "$SRCDIR/tests/integration/bridge.sh")
eval "$cases"
is "every case of bridge.sh was compared ($want)" "$n" "$want"

done_testing
