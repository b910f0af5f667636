#!/bin/sh
# banger guest /init: PID 1 inside the per-VM initramfs (busybox sh).
# Loads the boot modules, finds the disks by virtio serial, mounts the root, configures the
# network from /banger/vm.conf and hands PID 1 to the agent with switch_root.
# Everything it prints goes to the serial console, i.e. the VM's log file on the host.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

uptime_s() {
    read -r up _ < /proc/uptime 2>/dev/null || up='?'
    echo "$up"
}

step() {
    echo "BANGER-INIT: $1 t=$(uptime_s)"
}

# PID 1 must never exit (the kernel would panic with a less useful message): report and power off.
fail() {
    echo "BANGER-BOOT-ERROR: $1"
    sync
    poweroff -f
    sleep 10
    exit 1
}

# Block device whose virtio serial is $1, waiting up to ~10 s for the driver to probe it.
wait_disk() {
    i=0
    while [ "$i" -lt 200 ]; do
        for s in /sys/block/vd*/serial; do
            [ -r "$s" ] || continue
            if [ "$(cat "$s")" = "$1" ]; then
                d=${s%/serial}
                d=/dev/${d##*/}
                if [ -b "$d" ]; then
                    echo "$d"
                    return 0
                fi
            fi
        done
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
step start

[ -r /banger/vm.conf ] || fail "no /banger/vm.conf"
. /banger/vm.conf

if [ -r /etc/banger/modules ]; then
    while read -r m; do
        [ -n "$m" ] || continue
        insmod "/lib/modules/$m.ko" 2>/dev/null || echo "BANGER-INIT: insmod failed $m"
    done < /etc/banger/modules
fi
step modules

root=$(wait_disk banger-root) || fail "no disk with serial banger-root"
mount -t ext4 -o rw "$root" /newroot || fail "mount root $root"
step "root $root"

# The root disk is the VM's root size, its filesystem the image's: grow it online to fill the disk
# (a no-op once it does; after `vm resize` it grows again). busybox has no resize2fs, so the agent
# asks the kernel directly. Not fatal: a guest with a small root still boots.
if grown=$(/banger/banger-agent --grow-root /newroot 2>&1); then
    step "grow_root $grown"
else
    echo "BANGER-INIT: grow_root failed: $grown"
fi

hostname "$HOSTNAME" || fail "hostname $HOSTNAME"
ip link set lo up || fail "lo up"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
ip link set eth0 up || fail "eth0 up"
ip addr add "$IP/$PREFIX" dev eth0 || fail "address $IP/$PREFIX"
ip route add default via "$GATEWAY" || fail "default route via $GATEWAY"
step "network $IP/$PREFIX via $GATEWAY"

mkdir -p /newroot/etc || fail "mkdir /etc in root"
# Replace rather than write through: images often ship resolv.conf as a symlink into a resolver's runtime dir.
rm -f /newroot/etc/resolv.conf /newroot/etc/hostname
echo "nameserver $DNS" > /newroot/etc/resolv.conf || fail "write resolv.conf"
echo "$HOSTNAME" > /newroot/etc/hostname || fail "write hostname"
step config

if [ "$WORK" = 1 ]; then
    work=$(wait_disk banger-work) || fail "no disk with serial banger-work"
    mkdir -p "/newroot$HOME" || fail "mkdir $HOME"
    mount -t ext4 -o rw "$work" "/newroot$HOME" || fail "mount work disk $work at $HOME"
    step "work $work at $HOME"
fi

mkdir -p /newroot/run /newroot/dev /newroot/proc /newroot/sys || fail "mkdir mount points in root"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "mount /run"
mkdir -p /newroot/run/banger || fail "mkdir /run/banger"
cp /banger/banger-agent /newroot/run/banger/banger-agent || fail "copy agent"
cp /banger/vm.conf /newroot/run/banger/vm.conf || fail "copy vm.conf"
chmod 0755 /newroot/run/banger/banger-agent
# The initramfs's static busybox goes along: `vm cp` runs its tar in every guest, images without tar included.
cp /bin/busybox /newroot/run/banger/busybox || fail "copy busybox"
chmod 0755 /newroot/run/banger/busybox

mount --move /dev /newroot/dev || fail "move /dev"
mount --move /sys /newroot/sys || fail "move /sys"
step switch_root
mount --move /proc /newroot/proc || fail "move /proc"
exec switch_root /newroot /run/banger/banger-agent --init
fail "switch_root"
