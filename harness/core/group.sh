#!/bin/sh
# group.sh GRACE COMMAND [ARGS...]: runs COMMAND as the one job of this shell's process group.
# kharness starts this shell as the leader of a new group, with a parent-death signal of
# TERM (setpriv), for make and tar, whose own children (sub-makes, compilers, xz) a signal
# to one process would miss. On TERM (kharness stopping, or kharness dead), and when
# COMMAND dies of a signal from outside (the OOM killer), the whole group ends: first by
# TERM, so make deletes the targets it was writing, then by KILL after GRACE seconds.
grace=$1
shift
"$@" &
child=$!

running() {
  [ -r "/proc/$child/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$child/status"
}

end_group() {
  trap '' TERM
  kill -TERM 0
  ticks=0
  while running && [ "$ticks" -lt $((grace * 10)) ]; do
    sleep 0.1
    ticks=$((ticks + 1))
  done
  # The stragglers (a sub-make whose parent was killed) got TERM with the rest; a moment to
  # act on it, then nothing of the group may go on writing. This ends the shell too.
  sleep 0.2
  kill -KILL 0
}

trap end_group TERM
wait "$child"
status=$?
if [ "$status" -gt 128 ]; then
  echo "kharness: $1 was killed by signal $((status - 128)) from outside kharness; ending its process group" >&2
  end_group
fi
exit "$status"
