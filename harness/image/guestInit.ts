/** The guest's /init: pure text, so tests can read what the guest will do. */
export const GUEST_IP = "10.0.2.15";
export const GUEST_GATEWAY = "10.0.2.2";
/** Printed on the console when sshd is listening; the VM stage watches for it. */
export const READY_MARKER = "KHARNESS-GUEST-READY";

export function guestInit(): string {
  return `#!/bin/busybox sh
# kharness guest init: mount the pseudo file systems, bring up the (restricted) user-mode
# network and start dropbear; the workload itself arrives over SSH.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /sys/fs/cgroup /mnt /tmp /etc/dropbear
mount -t devpts devpts /dev/pts
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
hostname kharness
ip link set lo up
ip link set eth0 up
ip addr add ${GUEST_IP}/24 dev eth0
ip route add default via ${GUEST_GATEWAY}
echo "kharness: $(nproc) cpus online, kernel $(uname -r)"
/usr/sbin/dropbear -r /etc/dropbear/dropbear_ed25519_host_key -s -p 22 && echo ${READY_MARKER}
while true; do sleep 3600; done
`;
}
