# Dirty pages from inside the limited cgroup: WRITER_FILES files of WRITER_FILE_MIB MiB,
# larger than memory.max together, so writeback runs under the limit; then sync.
: "${MEMCG_GROUP:?}" "${WRITER_FILES:?}" "${WRITER_FILE_MIB:?}"
echo $$ > "$MEMCG_GROUP/cgroup.procs"
i=1
while [ "$i" -le "$WRITER_FILES" ]; do
  dd if=/dev/zero of="/mnt/f$i" bs=1M count="$WRITER_FILE_MIB" 2>&1 | tail -n 1
  echo "kharness-progress writer file $i/$WRITER_FILES"
  i=$((i + 1))
done
sync
echo "writer done"
