#!/bin/sh
# banger probe /init: proves the kernel boots under the chosen accelerator, then powers off.
export PATH=/bin:/sbin
echo BANGER-PROBE-OK
poweroff -f
sleep 10
