#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Needs root (SCHED_FIFO threads). RT throttling (kernel.sched_rt_runtime_us,
# 950000 of every 1000000 us by default) is left as it is: the RT threads
# here run for a few milliseconds in all, far below the budget, and a
# throttle would pause all of them together, which cannot change their order.
set -e
echo "rt budget: $(cat /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || echo '?') us per $(cat /proc/sys/kernel/sched_rt_period_us 2>/dev/null || echo '?') us"
./priority-inversion
