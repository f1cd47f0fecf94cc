// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: module-wide counters and their debugfs file.
 *
 * Counters are per-CPU sums updated where objects are created and freed.
 * /sys/kernel/debug/mailbox/stats prints one "<name> <value>" line each:
 * current values first (all zero when no space is open and nothing is
 * referenced), then cumulative ones prefixed "total_". The directory lives
 * from module load to unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "internal.h"

/*
 * Per-CPU counters: every message changes several of them, and one shared
 * cache line bouncing between the CPUs of a sender and a receiver costs
 * more than the rest of a small message's bookkeeping. A counter is the
 * sum over the possible CPUs (one CPU's part may be negative); a reader
 * racing with updates sees some of them, as with the atomics before.
 */
struct mbx_stats_pcpu {
	long v[MBX_STAT_NR];
};

static DEFINE_PER_CPU(struct mbx_stats_pcpu, mbx_stats);
static struct dentry *mbx_debugfs_dir;

static const char * const mbx_stat_names[MBX_STAT_NR] = {
	[MBX_STAT_SPACES] = "spaces",
	[MBX_STAT_PORTS] = "ports",
	[MBX_STAT_ENTRIES] = "entries",
	[MBX_STAT_MESSAGES] = "messages",
	[MBX_STAT_MESSAGE_BYTES] = "message_bytes",
	[MBX_STAT_PSETS] = "port_sets",
	[MBX_STAT_READY_FDS] = "ready_fds",
	[MBX_STAT_PRIO_BOOSTS] = "prio_boosts",
	[MBX_STAT_PRIO_THREADS] = "prio_threads",
	[MBX_STAT_OOL_BYTES] = "ool_bytes",
	[MBX_STAT_TOTAL_PORTS] = "total_ports",
	[MBX_STAT_TOTAL_SENT] = "total_sent",
	[MBX_STAT_TOTAL_RECEIVED] = "total_received",
	[MBX_STAT_TOTAL_DESTROYED] = "total_destroyed",
	[MBX_STAT_TOTAL_NOTIFICATIONS] = "total_notifications",
	[MBX_STAT_TOTAL_OOL_BYTES] = "total_ool_bytes",
	[MBX_STAT_TOTAL_PORT_LIMIT_HITS] = "total_port_limit_hits",
	[MBX_STAT_TOTAL_MSG_LIMIT_HITS] = "total_msg_limit_hits",
	[MBX_STAT_TOTAL_BYTE_LIMIT_HITS] = "total_byte_limit_hits",
	[MBX_STAT_TOTAL_NAME_LIMIT_HITS] = "total_name_limit_hits",
};

void mbx_stat_add(enum mbx_stat stat, long delta)
{
	this_cpu_add(mbx_stats.v[stat], delta);
}

static int mbx_stats_show(struct seq_file *m, void *unused)
{
	int i, cpu;

	for (i = 0; i < MBX_STAT_NR; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += READ_ONCE(per_cpu(mbx_stats, cpu).v[i]);
		seq_printf(m, "%s %ld\n", mbx_stat_names[i], sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mbx_stats);

void mbx_stats_init(void)
{
	mbx_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, mbx_debugfs_dir, NULL,
			    &mbx_stats_fops);
	mbx_limits_debugfs(mbx_debugfs_dir);
}

void mbx_stats_exit(void)
{
	debugfs_remove_recursive(mbx_debugfs_dir);
}
