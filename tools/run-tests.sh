#!/bin/sh
# make test's runs, side by side: most of the suite waits (on servers, browsers, a broker, the clock), so three
# processes finish in the time of the longest instead of the sum.
#   1. the suite, but for the soak tests (marked "soak": minutes of a running kit in a browser);
#   2. the soak tests;
#   3. the dashboard's tests again on the Flask and Werkzeug a Raspberry Pi gets from apt (Debian 12).
# Each run's output is shown whole when it ends; the exit status is the first failure's.
# Usage: tools/run-tests.sh PYTHON DEBIAN12_PATH
set -u
python=$1
debian12=$2
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

"$python" -m pytest -m soak -p no:cacheprovider -q >"$logs/soak" 2>&1 &
soak=$!
PYTHONPATH=$debian12 "$python" -c 'import flask; assert flask.__version__ == "2.2.2", flask.__version__' \
    >"$logs/debian12" 2>&1 &&
    PYTHONPATH=$debian12 "$python" -m pytest -q -p no:cacheprovider tests/web >>"$logs/debian12" 2>&1 &
old_flask=$!

"$python" -m pytest -m "not soak"
status=$?
wait $soak; soak_status=$?
if [ "$soak_status" -eq 5 ]; then soak_status=0; fi    # no soak test collected
echo "---- the soak tests (minutes of a running kit in a browser):"
cat "$logs/soak"
wait $old_flask; old_status=$?
echo "---- the dashboard again, on Debian 12's Flask and Werkzeug (2.2.2):"
cat "$logs/debian12"
for s in $status $soak_status $old_status; do
    if [ "$s" -ne 0 ]; then exit "$s"; fi
done
exit 0
