#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: load binder, raise the mqueue limit, run
# mbxbench, then (if the payload has perf) perf bench as an outside
# reference and a cpu-clock profile of the mailbox and pipe round trips.
echo "# kernel $(uname -r) $(uname -v)"
echo "# cpus $(grep -c ^processor /proc/cpuinfo)"
echo 256 >/proc/sys/fs/mqueue/msg_max 2>/dev/null
# Figure 6 sends 16 MiB datagrams over SOCK_SEQPACKET.
echo 67108864 >/proc/sys/net/core/wmem_max 2>/dev/null
echo 67108864 >/proc/sys/net/core/rmem_max 2>/dev/null
if insmod ./binder_linux.ko devices=binder; then
	echo "# binder: $(ls -l /dev/binder 2>&1)"
else
	echo "# binder: insmod failed"
fi
# MAILBOX_VM_APPEND=MBXBENCH_QUICK=1 (a kernel parameter) for a smoke run.
if [ -n "$MBXBENCH_QUICK" ]; then args="-r 1 -n 100"; else args="-r 5 -n 2000"; fi
./mbxbench $args
rc=$?
grep -E '^(mbx_port|mbx_entry) ' /proc/slabinfo | sed 's/^/# slabinfo /'

[ -x perf/perf ] || { echo "# perf: not in the payload"; exit $rc; }
perf() { ./perf/ld.so --library-path ./perf ./perf/perf "$@"; }
echo "# perf bench sched pipe"
perf bench sched pipe -l 5000 2>&1 | tee /tmp/pp | sed 's/^/# /'
awk '/usecs\/op/ { print "R,perf,sched_pipe,pipe,usecs_per_rt," $1 }' /tmp/pp
echo "# perf bench sched messaging -g 2 -l 20"
perf bench sched messaging -g 2 -l 20 2>&1 | tee /tmp/pm | sed 's/^/# /'
awk '/Total time/ { print "R,perf,sched_messaging_g2_l20,socket,total_s," $3 }' /tmp/pm
for peer in mailbox pipe; do
	echo "# profile: rpc $peer pinned+unpinned, cpu-clock, whole system"
	perf record -q -e cpu-clock -F 4000 -a -g -o /tmp/perf.$peer -- \
		./mbxbench -f rpc -k $peer $args >/dev/null 2>&1
	perf report -i /tmp/perf.$peer --stdio --no-children --sort dso \
		-g none --percent-limit 1 2>/dev/null | grep '%' | sed "s/^/# prof-$peer dso /"
	perf report -i /tmp/perf.$peer --stdio --no-children --sort sym \
		-g none --percent-limit 0.4 2>/dev/null | grep '%' |
		grep -v native_safe_halt | head -40 | sed "s/^/# prof-$peer sym /"
done
exit $rc
