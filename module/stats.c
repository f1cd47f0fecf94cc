// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: module-wide counters and their debugfs file.
 *
 * Counters are plain atomics updated where objects are created and freed.
 * /sys/kernel/debug/mailbox/stats prints one "<name> <value>" line each:
 * current values first (all zero when no space is open and nothing is
 * referenced), then cumulative ones prefixed "total_". The directory lives
 * from module load to unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "internal.h"

static atomic_long_t mbx_stats[MBX_STAT_NR];
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
	[MBX_STAT_URING_WAITING] = "uring_waiting",
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
	atomic_long_add(delta, &mbx_stats[stat]);
}

static int mbx_stats_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < MBX_STAT_NR; i++)
		seq_printf(m, "%s %ld\n", mbx_stat_names[i],
			   atomic_long_read(&mbx_stats[i]));
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
