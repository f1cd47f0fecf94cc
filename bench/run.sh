#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: load binder, raise the mqueue limit, run mbxbench.
echo "# kernel $(uname -r) $(uname -v)"
echo "# cpus $(grep -c ^processor /proc/cpuinfo)"
echo 256 >/proc/sys/fs/mqueue/msg_max 2>/dev/null
if insmod ./binder_linux.ko devices=binder; then
	echo "# binder: /dev/binder $(ls -l /dev/binder 2>&1)"
else
	echo "# binder: insmod failed"
fi
./mbxbench ${MBXBENCH_ARGS:--r 5 -n 2000}
rc=$?
grep -E '^(mbx_port|mbx_entry) ' /proc/slabinfo | sed 's/^/# slabinfo /'
exit $rc
