# The virtio disk's ext2 (made on the host: the step asks for it) at /mnt, a cgroup v2
# group limited to MEMCG_MAX for the writer, and the flusher's period. A restored guest
# keeps nothing of the saved guest's disk: Linux drops a block device's cache when its last
# user closes it.
: "${MEMCG_GROUP:?}" "${MEMCG_MAX:?}" "${WRITEBACK_CENTISECS:?}"
set -e
mount -t ext2 /dev/vda /mnt
echo "$WRITEBACK_CENTISECS" > /proc/sys/vm/dirty_writeback_centisecs
echo "+memory +io" > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$MEMCG_GROUP"
echo "$MEMCG_MAX" > "$MEMCG_GROUP/memory.max"
echo "setup: memory.max=$(cat "$MEMCG_GROUP/memory.max") cpus=$(nproc) dirty_writeback_centisecs=$(cat /proc/sys/vm/dirty_writeback_centisecs)"
