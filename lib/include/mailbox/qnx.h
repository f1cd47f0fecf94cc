/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A QNX Neutrino-style message-passing C API over /dev/mailbox.
 *
 * Channels are receive rights, connections send rights, a receive id (rcvid)
 * is the name of the send-once reply right a request carries. MsgSend()
 * blocks the client in ONE ioctl (send with a MAKE_SEND_ONCE reply right to
 * the calling thread's reply port, then receive on it). Channels have
 * priority inheritance (MAILBOX_PORT_FLAG_PRIO_INHERIT) unless created with
 * _NTO_CHF_FIXED_PRIORITY, as in QNX: a server thread holding a request
 * runs at the client's priority until it replies.
 *
 * The calls share the process's space with the Mach C API
 * (mach_task_self()). Every call returns -1 and sets errno on failure; the
 * errnos are listed in Documentation/qnx-and-priority-inheritance.rst.
 */
#ifndef MAILBOX_QNX_H
#define MAILBOX_QNX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ChannelCreate() flags. */
#define _NTO_CHF_FIXED_PRIORITY	0x0001U	/* no priority inheritance */

/* ConnectAttach(): the only node, and "this process". */
#define ND_LOCAL_NODE		0
#define _NTO_SIDE_CHANNEL	0x40000000U	/* accepted, no meaning here */

#ifndef EOK
#define EOK			0
#endif

/* What MsgReceive() tells about a request. */
struct _msg_info {
	uint32_t nd;		/* always ND_LOCAL_NODE */
	pid_t pid;		/* sender's process (in the receiver's pid ns) */
	int32_t chid;		/* the channel it arrived on */
	uint32_t uid;		/* sender's effective uid */
	size_t msglen;		/* bytes copied into the buffer */
	size_t srcmsglen;	/* bytes the client sent */
	size_t dstmsglen;	/* room for the reply the client gave */
};

int ChannelCreate(unsigned flags);
int ChannelDestroy(int chid);

int ConnectAttach(uint32_t nd, pid_t pid, int chid, unsigned index,
		  int flags);
int ConnectDetach(int coid);

long MsgSend(int coid, const void *smsg, size_t sbytes, void *rmsg,
	     size_t rbytes);
int MsgReceive(int chid, void *msg, size_t bytes, struct _msg_info *info);
int MsgReply(int rcvid, long status, const void *msg, size_t bytes);
int MsgError(int rcvid, int error);

/*
 * Scatter/gather forms: at most 1024 parts each. The parts are gathered
 * into (and scattered from) the same per-thread buffer the plain forms use.
 */
/*
 * Pulses (MAILBOX_IOC_PULSE): a few bytes that never block the sender.
 * MsgReceive() returns 0 for a pulse and writes a struct _pulse (as much
 * of it as fits) at the start of the buffer. @priority 0..255
 * (MAILBOX_PRIO_MAX; -1 means 0), @code any int8 value (QNX reserves
 * negative codes for the system; they are accepted here).
 */
#define _PULSE_TYPE		0
#define _PULSE_SUBTYPE		0
#define _PULSE_CODE_MINAVAIL	0
#define _PULSE_CODE_MAXAVAIL	127

struct _pulse {
	uint16_t type;		/* _PULSE_TYPE */
	uint16_t subtype;	/* _PULSE_SUBTYPE */
	int8_t code;
	uint8_t zero[3];
	union {
		int sival_int;
		void *sival_ptr;
	} value;
	int32_t scoid;		/* sender's pid (QNX: its server connection) */
	uint32_t count;		/* pulses coalesced into this one (>= 1) */
	uint32_t dropped;	/* pulses lost before this one (lane full) */
};

int MsgSendPulse(int coid, int priority, int code, int value);

typedef struct iovec iov_t;
#define SETIOV(_iov, _addr, _len) \
	((_iov)->iov_base = (void *)(_addr), (_iov)->iov_len = (_len))
#define GETIOVBASE(_iov)	((_iov)->iov_base)
#define GETIOVLEN(_iov)		((_iov)->iov_len)

long MsgSendv(int coid, const iov_t *siov, int sparts, const iov_t *riov,
	      int rparts);
int MsgReceivev(int chid, const iov_t *riov, int rparts,
		struct _msg_info *info);
int MsgReplyv(int rcvid, long status, const iov_t *riov, int rparts);

/*
 * Connections by name through the mailbox service registry (QNX's
 * name_attach()/name_open(), without a resource manager): name_attach()
 * creates a channel and registers it under @path, name_open() connects to
 * the channel registered under @name, from any process of the same IPC
 * namespace.
 */
typedef struct _name_attach {
	void *dpp;		/* always NULL: no dispatch layer */
	int chid;
	int mntid;		/* always 0 */
} name_attach_t;

name_attach_t *name_attach(void *dpp, const char *path, unsigned flags);
int name_detach(name_attach_t *attach, unsigned flags);
int name_open(const char *name, int flags);
int name_close(int coid);

/* The size limit of one message (MAILBOX_IOC_VERSION's max_msg_size less
 * the headers MsgSend()/MsgReply() add).
 */
size_t mailbox_qnx_max_msg(void);

#ifdef __cplusplus
}
#endif

#endif /* MAILBOX_QNX_H */
