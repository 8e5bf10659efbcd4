# ext2 on the virtio disk, and a cgroup v2 group limited to MEMCG_MAX for the writer.
: "${MEMCG_GROUP:?}" "${MEMCG_MAX:?}"
set -e
mke2fs -q -F /dev/vda
mount -t ext2 /dev/vda /mnt
echo "+memory +io" > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$MEMCG_GROUP"
echo "$MEMCG_MAX" > "$MEMCG_GROUP/memory.max"
echo "setup: memory.max=$(cat "$MEMCG_GROUP/memory.max") cpus=$(nproc)"
