// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: module-wide counters and their debugfs file.
 *
 * Counters are per-CPU sums updated where objects are created and freed.
 * /sys/kernel/debug/mailbox/stats prints one "<name> <value>" line each:
 * current values first (all zero when no space is open and nothing is
 * referenced), then cumulative ones prefixed "total_". The names_* lines
 * are not counters: they are counted, at read time, by walking every open
 * space (mbx_spaces_count_names()), so the paths that change a name's
 * rights pay nothing. Documentation/observability.rst lists every line.
 * The directory lives from module load to unload.
 *
 * Ids: ports and port sets get a module-unique id from one 64-bit counter
 * (mbx_new_object_id()), messages a serial (mbx_new_msg_serial()) taken
 * from per-CPU batches of a second counter, so that a send does not bounce
 * a shared cache line. Neither is ever reused while the module is loaded,
 * and neither is derived from an address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "internal.h"
#include "trace.h"

/* Per-CPU counters (internal.h, mbx_stat_add()). */
DEFINE_PER_CPU(struct mbx_stats_pcpu, mbx_stats);
static struct dentry *mbx_debugfs_dir;

static atomic64_t mbx_object_ids = ATOMIC64_INIT(0);

#define MBX_SERIAL_BATCH	1024
static atomic64_t mbx_msg_serials = ATOMIC64_INIT(0);

struct mbx_serial_cache {
	u64 next;
	u64 end;
};

static DEFINE_PER_CPU(struct mbx_serial_cache, mbx_serial_cache);

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
	[MBX_STAT_BLOCKED_SENDERS] = "blocked_senders",
	[MBX_STAT_BLOCKED_RECEIVERS] = "blocked_receivers",
	[MBX_STAT_URING_WAITING] = "uring_waiting",
	[MBX_STAT_OOL_CACHE_FILES] = "ool_cache_files",
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
	[MBX_STAT_TOTAL_BLOCKED_SENDS] = "total_blocked_sends",
	[MBX_STAT_TOTAL_BLOCKED_RECEIVES] = "total_blocked_receives",
	[MBX_STAT_TOTAL_SEND_TIMEOUTS] = "total_send_timeouts",
	[MBX_STAT_TOTAL_RECEIVE_TIMEOUTS] = "total_receive_timeouts",
	[MBX_STAT_TOTAL_OOL_CACHE_HITS] = "total_ool_cache_hits",
	[MBX_STAT_TOTAL_SPINS] = "total_spins",
	[MBX_STAT_TOTAL_SPIN_HITS] = "total_spin_hits",
	[MBX_STAT_TOTAL_OOL_MOVES] = "total_ool_moves",
};

/* Names by kind, counted at read time: MAILBOX_RIGHT_* order. */
static const char * const mbx_name_kinds[] = {
	"names_send", "names_receive", "names_send_once", "names_port_set",
	"names_dead",
};

/* A port's or port set's id: 1, 2, 3... never reused while loaded. */
u64 mbx_new_object_id(void)
{
	return atomic64_inc_return(&mbx_object_ids);
}

/* A message's serial: unique while loaded, roughly increasing. */
u64 mbx_new_msg_serial(void)
{
	struct mbx_serial_cache *c;
	u64 serial;

	c = get_cpu_ptr(&mbx_serial_cache);
	if (c->next == c->end) {
		c->end = atomic64_add_return(MBX_SERIAL_BATCH,
					     &mbx_msg_serials) + 1;
		c->next = c->end - MBX_SERIAL_BATCH;
	}
	serial = c->next++;
	put_cpu_ptr(&mbx_serial_cache);
	return serial;
}

/*
 * A sender (@send) or receiver is about to sleep on the port or set @id;
 * mbx_wait_end() follows once it wakes, whatever woke it, so the
 * blocked_* gauges return to zero.
 */
void mbx_wait_begin(u64 id, bool send)
{
	if (send) {
		mbx_stat_add(MBX_STAT_BLOCKED_SENDERS, 1);
		mbx_stat_add(MBX_STAT_TOTAL_BLOCKED_SENDS, 1);
	} else {
		mbx_stat_add(MBX_STAT_BLOCKED_RECEIVERS, 1);
		mbx_stat_add(MBX_STAT_TOTAL_BLOCKED_RECEIVES, 1);
	}
	trace_mailbox_block(id, send, 0);
}

/* @ret: 0 (woken) or -ETIMEDOUT (the deadline passed while asleep). */
void mbx_wait_end(u64 id, bool send, int ret)
{
	mbx_stat_add(send ? MBX_STAT_BLOCKED_SENDERS :
			    MBX_STAT_BLOCKED_RECEIVERS, -1);
	trace_mailbox_unblock(id, send, ret);
}

static int mbx_stats_show(struct seq_file *m, void *unused)
{
	unsigned long names[ARRAY_SIZE(mbx_name_kinds)] = { };
	int i, cpu;

	for (i = 0; i < MBX_STAT_NR; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += READ_ONCE(per_cpu(mbx_stats, cpu).v[i]);
		seq_printf(m, "%s %ld\n", mbx_stat_names[i], sum);
	}
	mbx_spaces_count_names(names, ARRAY_SIZE(names));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		seq_printf(m, "%s %lu\n", mbx_name_kinds[i], names[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mbx_stats);

void mbx_stats_init(void)
{
	mbx_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, mbx_debugfs_dir, NULL,
			    &mbx_stats_fops);
	mbx_limits_debugfs(mbx_debugfs_dir);
	mbx_registry_debugfs(mbx_debugfs_dir);
}

void mbx_stats_exit(void)
{
	debugfs_remove_recursive(mbx_debugfs_dir);
}
