# Toggle CPUs offline and online, HOTPLUG_ROUNDS times: those in HOTPLUG_CPUS (numbers,
# space separated), or every CPU but cpu0 when it is empty (cpu0 cannot go offline on x86).
: "${HOTPLUG_ROUNDS:?}" "${HOTPLUG_CPUS?}"
if [ -n "$HOTPLUG_CPUS" ]; then
  set --
  for n in $HOTPLUG_CPUS; do set -- "$@" "/sys/devices/system/cpu/cpu$n"; done
else
  set -- /sys/devices/system/cpu/cpu[1-9]*
fi
round=0
while [ "$round" -lt "$HOTPLUG_ROUNDS" ]; do
  for c in "$@"; do
    { echo 0 > "$c/online" && echo 1 > "$c/online"; } || echo "toggle $c failed"
  done
  round=$((round + 1))
  echo "kharness-progress hotplug round $round/$HOTPLUG_ROUNDS"
done
echo "hotplug done: $round rounds"
