#!/usr/bin/env bash
# launch_teardown.sh TINYNAS failure|sigterm|sigint
# Checks that `tinynas launch` leaves nothing running behind it. Three ranks each start a
# background `sleep` (a grandchild of the launcher) and record both pids; rank 2 ignores
# SIGTERM (and so does its sleep), so they only go with the SIGKILL after the grace period.
#   failure:        rank 1 exits 3 once all are up; the launcher must exit 3.
#   sigterm/sigint: the launcher gets that signal once all are up; it must exit 143 / 130.
# Afterwards no recorded process may be alive, and all this must take under 15 s.
set -u
tinynas=$1
mode=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# $0: the pid directory, $1: the mode.
rank_script='
  if [ "$RANK" = 2 ]; then trap "" TERM; fi
  sleep 60 & echo $! > "$0/$RANK.child"
  echo $$ > "$0/$RANK.pid"
  if [ "$RANK" = 1 ] && [ "$1" = failure ]; then
    while [ ! -e "$0/0.pid" ] || [ ! -e "$0/2.pid" ]; do sleep 0.1; done
    exit 3
  fi
  wait'

fail() {
  printf 'launch_teardown %s: %s\n--- launcher output ---\n' "$mode" "$1"
  cat "$dir/out"
  exit 1
}

# Alive: its /proc entry exists and it is not a zombie (an orphaned zombie may wait for a
# container's init to reap it; it runs nothing).
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ]
}

start=$SECONDS
case $mode in
  failure)
    want=3
    message="rank 1 exited with status 3"
    "$tinynas" launch --nproc 3 --grace 1 -- sh -c "$rank_script" "$dir" "$mode" >"$dir/out" 2>&1
    got=$?
    ;;
  sigterm | sigint)
    sig=${mode#sig}
    sig=${sig^^}
    want=$([ "$sig" = TERM ] && echo 143 || echo 130)
    message="SIG$sig received; stopping 3 ranks"
    # Job control on, so the background launcher does not start with SIGINT ignored.
    set -m
    "$tinynas" launch --nproc 3 --grace 1 -- sh -c "$rank_script" "$dir" "$mode" >"$dir/out" 2>&1 &
    launcher=$!
    for _ in $(seq 100); do
      [ "$(ls "$dir" | grep -c '\.pid$')" -eq 3 ] && break
      sleep 0.1
    done
    [ "$(ls "$dir" | grep -c '\.pid$')" -eq 3 ] || fail "the ranks did not start"
    kill -"$sig" "$launcher"
    wait "$launcher"
    got=$?
    ;;
  *)
    echo "usage: launch_teardown.sh TINYNAS failure|sigterm|sigint" >&2
    exit 2
    ;;
esac

[ "$got" -eq "$want" ] || fail "exit status $got, wanted $want"
grep -q -- "$message" "$dir/out" || fail "no line with '$message'"
[ $((SECONDS - start)) -lt 15 ] || fail "took $((SECONDS - start)) s"
survivors=""
for f in "$dir"/*.pid "$dir"/*.child; do
  pid=$(cat "$f")
  if alive "$pid"; then
    kill -9 "$pid"
    survivors="$survivors $pid ($(basename "$f"))"
  fi
done
[ -z "$survivors" ] || fail "outlived the launcher:$survivors"
[ "$(ls "$dir" | grep -c '\.child$')" -eq 3 ] || fail "not every rank recorded its child"
exit 0
