// SPDX-License-Identifier: LGPL-2.1-or-later
// The QNX-style API (<mailbox/qnx.h>) against the real module. Clients run
// in helper threads (whose reply ports go with them), servers in the test's
// thread, so every test can check that it left no name behind.
#include <catch2/catch.hpp>

#include <mailbox/mach/mach.h>
#include <mailbox/qnx.h>

#include <linux/mailbox.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::vector<mach_port_name_t> names_now()
{
	mach_port_name_array_t n = nullptr;
	mach_port_type_array_t t = nullptr;
	mach_msg_type_number_t nc = 0, tc = 0;

	REQUIRE(mach_port_names(mach_task_self(), &n, &nc, &t, &tc) == KERN_SUCCESS);
	std::vector<mach_port_name_t> v(n, n + nc);
	vm_deallocate(mach_task_self(), (vm_address_t)n, nc * sizeof(*n));
	vm_deallocate(mach_task_self(), (vm_address_t)t, tc * sizeof(*t));
	return v;
}

struct QnxFixture {
	std::vector<mach_port_name_t> before;
	QnxFixture()
	{
		REQUIRE(mach_task_self() != MACH_PORT_NULL);
		before = names_now();
	}
	void check_no_names_left() const { CHECK(names_now() == before); }
};

int port_flags(int chid)
{
	mailbox_port_attr a{};
	a.name = (std::uint32_t)chid;
	REQUIRE(ioctl((int)mach_task_self(), MAILBOX_IOC_PORT_GET_ATTR, &a) == 0);
	return (int)a.port_flags;
}

// A client thread making one MsgSend().
struct Call {
	std::thread thread;
	std::string sent;
	std::vector<char> reply;
	long result = 0;
	int err = 0;
	std::atomic<bool> done{ false };

	Call(int coid, std::string msg, std::size_t rbytes, int policy = SCHED_OTHER,
	     int prio = 0)
		: sent(std::move(msg)), reply(rbytes)
	{
		thread = std::thread([this, coid, policy, prio] {
			sched_param sp{};
			sp.sched_priority = prio;
			if (policy != SCHED_OTHER)
				pthread_setschedparam(pthread_self(), policy, &sp);
			result = MsgSend(coid, sent.data(), sent.size(), reply.data(),
					 reply.size());
			err = errno;
			done = true;
		});
	}
	~Call()
	{
		if (thread.joinable())
			thread.join();
	}
	void join() { thread.join(); }
	std::string reply_text(std::size_t n) const { return std::string(reply.data(), n); }
};

int receive(int chid, std::string &out, _msg_info *info = nullptr, std::size_t cap = 256)
{
	std::vector<char> buf(cap);
	int rcvid = MsgReceive(chid, buf.data(), buf.size(), info);
	if (rcvid != -1)
		out.assign(buf.data(), info ? info->msglen : std::strlen(buf.data()));
	return rcvid;
}

} // namespace

TEST_CASE_METHOD(QnxFixture, "qnx: ChannelCreate makes a PI receive right, FIXED_PRIORITY not",
		 "[qnx]")
{
	int a = ChannelCreate(0);
	int b = ChannelCreate(_NTO_CHF_FIXED_PRIORITY);
	REQUIRE(a > 0);
	REQUIRE(b > 0);
	CHECK(port_flags(a) == MAILBOX_PORT_FLAG_PRIO_INHERIT);
	CHECK(port_flags(b) == 0);
	CHECK(ChannelDestroy(a) == 0);
	CHECK(ChannelDestroy(b) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: channel and connection errors", "[qnx]")
{
	errno = 0;
	CHECK(ChannelCreate(0x100) == -1);
	CHECK(errno == EINVAL);
	CHECK(ChannelDestroy(0x12345a) == -1);
	CHECK(errno == EINVAL);

	int chid = ChannelCreate(0);
	REQUIRE(chid > 0);
	CHECK(ConnectAttach(1, 0, chid, 0, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectAttach(ND_LOCAL_NODE, getpid() + 1, chid, 0, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectAttach(ND_LOCAL_NODE, 0, 0x12345a, 0, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0x10) == -1);
	CHECK(errno == EINVAL);

	// Two connections to one channel share the name, with two references.
	int c1 = ConnectAttach(ND_LOCAL_NODE, getpid(), chid, 0, 0);
	int c2 = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, _NTO_SIDE_CHANNEL);
	REQUIRE(c1 > 0);
	CHECK(c2 == c1);
	CHECK(ConnectDetach(c1) == 0);
	CHECK(ConnectDetach(c2) == 0);
	CHECK(ConnectDetach(c2) == -1);	// the channel's own name holds no send right
	CHECK(errno == EINVAL);
	CHECK(ConnectDetach(0x12345a) == -1);
	CHECK(errno == EINVAL);
	CHECK(ChannelDestroy(chid) == 0);
	CHECK(ChannelDestroy(chid) == -1);
	CHECK(errno == EINVAL);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: MsgSend, MsgReceive, MsgReply round trip", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	{
		Call call(coid, "hello server", 64);
		std::string got;
		_msg_info info{};
		int rcvid = receive(chid, got, &info);
		REQUIRE(rcvid > 0);
		CHECK(got == "hello server");
		CHECK(info.pid == getpid());
		CHECK(info.chid == chid);
		CHECK(info.uid == getuid());
		CHECK(info.msglen == 12);
		CHECK(info.srcmsglen == 12);
		CHECK(info.dstmsglen == 64);
		CHECK_FALSE(call.done);
		CHECK(MsgReply(rcvid, 7, "hi client", 9) == 0);
		call.join();
		CHECK(call.result == 7);
		CHECK(call.reply_text(9) == "hi client");
		// The rcvid is used up.
		CHECK(MsgReply(rcvid, 0, nullptr, 0) == -1);
		CHECK(errno == ESRCH);
	}
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: short buffers truncate on both sides", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	{
		Call call(coid, std::string(300, 'q'), 4);
		std::vector<char> small(10);
		_msg_info info{};
		int rcvid = MsgReceive(chid, small.data(), small.size(), &info);
		REQUIRE(rcvid > 0);
		CHECK(info.msglen == 10);
		CHECK(info.srcmsglen == 300);
		CHECK(std::string(small.data(), 10) == std::string(10, 'q'));
		// A reply larger than the client's buffer (and than its first guess).
		std::string big(5000, 'r');
		CHECK(MsgReply(rcvid, 1, big.data(), big.size()) == 0);
		call.join();
		CHECK(call.result == 1);
		CHECK(call.reply_text(4) == "rrrr");
	}
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: MsgSendv, MsgReceivev, MsgReplyv gather and scatter",
		 "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	char r1[3] = {}, r2[8] = {};
	long result = 0;
	std::thread client([&] {
		iov_t s[3], r[2];
		SETIOV(&s[0], "abc", 3);
		SETIOV(&s[1], "", 0);
		SETIOV(&s[2], "defgh", 5);
		SETIOV(&r[0], r1, sizeof(r1));
		SETIOV(&r[1], r2, sizeof(r2));
		result = MsgSendv(coid, s, 3, r, 2);
	});
	char a[2] = {}, b[10] = {};
	iov_t in[2];
	SETIOV(&in[0], a, sizeof(a));
	SETIOV(&in[1], b, sizeof(b));
	_msg_info info{};
	int rcvid = MsgReceivev(chid, in, 2, &info);
	REQUIRE(rcvid > 0);
	CHECK(info.msglen == 8);
	CHECK(info.srcmsglen == 8);
	CHECK(info.dstmsglen == 11);
	CHECK(std::string(a, 2) == "ab");
	CHECK(std::string(b, 6) == "cdefgh");
	iov_t out[2];
	SETIOV(&out[0], "12345", 5);
	SETIOV(&out[1], "6789", 4);
	CHECK(MsgReplyv(rcvid, 9, out, 2) == 0);
	client.join();
	CHECK(result == 9);
	CHECK(std::string(r1, 3) == "123");
	CHECK(std::string(r2, 6) == "456789");
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: MsgError makes MsgSend fail with the errno", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	{
		Call call(coid, "x", 8);
		std::string got;
		int rcvid = receive(chid, got);
		REQUIRE(rcvid > 0);
		CHECK(MsgError(rcvid, ENOTSUP) == 0);
		call.join();
		CHECK(call.result == -1);
		CHECK(call.err == ENOTSUP);
	}
	{
		Call call(coid, "x", 8);
		std::string got;
		int rcvid = receive(chid, got);
		REQUIRE(rcvid > 0);
		CHECK(MsgError(rcvid, EOK) == 0);
		call.join();
		CHECK(call.result == 0);
	}
	CHECK(MsgError(0x12345a, EIO) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: a dropped request or channel fails MsgSend with ESRCH",
		 "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	{
		Call call(coid, "x", 8);
		std::string got;
		int rcvid = receive(chid, got);
		REQUIRE(rcvid > 0);
		// The server throws the rcvid away unanswered.
		CHECK(mach_port_deallocate(mach_task_self(), rcvid) == KERN_SUCCESS);
		call.join();
		CHECK(call.result == -1);
		CHECK(call.err == ESRCH);
	}
	{
		Call call(coid, "x", 8);
		// The channel goes while the request is queued.
		while (true) {
			mailbox_port_attr a{};
			a.name = (std::uint32_t)chid;
			REQUIRE(ioctl((int)mach_task_self(), MAILBOX_IOC_PORT_GET_ATTR, &a) == 0);
			if (a.msgcount == 1)
				break;
			usleep(1000);
		}
		CHECK(ChannelDestroy(chid) == 0);
		call.join();
		CHECK(call.result == -1);
		CHECK(call.err == ESRCH);
	}
	// The connection is dead now; a bad one is EBADF.
	{
		Call call(coid, "x", 8);
		call.join();
		CHECK(call.result == -1);
		CHECK(call.err == ESRCH);
	}
	{
		Call call(0x12345a, "x", 8);
		call.join();
		CHECK(call.result == -1);
		CHECK(call.err == EBADF);
	}
	CHECK(ConnectDetach(coid) == 0);	// a dead name goes too
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: argument errors", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	std::string got;
	errno = 0;
	CHECK(MsgReceive(0x12345a, nullptr, 0, nullptr) == -1);
	CHECK(errno == ESRCH);
	CHECK(MsgReceive(chid, nullptr, 4, nullptr) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReply(0x12345a, 0, nullptr, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(MsgReply(chid, 0, nullptr, 4) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReply(chid, 0, "x", mailbox_qnx_max_msg() + 1) == -1);
	CHECK(errno == EMSGSIZE);
	std::thread([&] {
		char b[4];
		CHECK(MsgSend(coid, nullptr, 4, b, 4) == -1);
		CHECK(errno == EFAULT);
		CHECK(MsgSend(coid, b, mailbox_qnx_max_msg() + 1, b, 4) == -1);
		CHECK(errno == EMSGSIZE);
	}).join();
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: the largest message goes through", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	std::size_t max = mailbox_qnx_max_msg();
	REQUIRE(max > 65536);
	{
		Call call(coid, std::string(max, 'm'), max);
		std::vector<char> buf(max);
		_msg_info info{};
		int rcvid = MsgReceive(chid, buf.data(), buf.size(), &info);
		REQUIRE(rcvid > 0);
		CHECK(info.msglen == max);
		CHECK(MsgReply(rcvid, 3, buf.data(), max) == 0);
		call.join();
		CHECK(call.result == 3);
		CHECK(call.reply[max - 1] == 'm');
	}
	CHECK(ConnectDetach(coid) == 0);
	CHECK(ChannelDestroy(chid) == 0);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: the server runs a request at the client's priority", "[qnx]")
{
	for (unsigned flags : { 0U, (unsigned)_NTO_CHF_FIXED_PRIORITY }) {
		int chid = ChannelCreate(flags);
		int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
		REQUIRE(coid > 0);
		Call call(coid, "rt", 8, SCHED_FIFO, 50);
		std::string got;
		int rcvid = receive(chid, got);
		REQUIRE(rcvid > 0);
		// Not pthread_getschedparam(): glibc caches its first answer.
		// A boost sets SCHED_RESET_ON_FORK, so that children do not keep it.
		int policy = sched_getscheduler(0);
		sched_param sp{};
		sched_getparam(0, &sp);
		if (flags == 0) {
			CHECK((policy & SCHED_RESET_ON_FORK) != 0);
			policy &= ~SCHED_RESET_ON_FORK;
			CHECK(policy == SCHED_FIFO);
			CHECK(sp.sched_priority == 50);
		} else {
			CHECK(policy == SCHED_OTHER);
		}
		CHECK(MsgReply(rcvid, 0, nullptr, 0) == 0);
		CHECK(sched_getscheduler(0) == SCHED_OTHER);
		call.join();
		CHECK(call.result == 0);
		CHECK(ConnectDetach(coid) == 0);
		CHECK(ChannelDestroy(chid) == 0);
	}
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: name_attach, name_open across processes; reply to a dead client",
		 "[qnx]")
{
	const char *svc = "org.mailbox.test.qnx";
	name_attach_t *na = name_attach(nullptr, svc, 0);
	REQUIRE(na != nullptr);
	errno = 0;
	CHECK(name_attach(nullptr, svc, 0) == nullptr);
	CHECK(errno == EEXIST);
	CHECK(name_attach(nullptr, "", 0) == nullptr);
	CHECK(errno == EINVAL);
	CHECK(name_open("org.mailbox.test.nobody", 0) == -1);
	CHECK(errno == ENOENT);
	CHECK(name_open(svc, 1) == -1);
	CHECK(errno == EINVAL);

	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		// Its own space, as another program would have.
		mailbox_task_reset_after_fork();
		int coid = name_open(svc, 0);
		char r[16] = {};
		long st = coid == -1 ? -1 : MsgSend(coid, "ping", 4, r, sizeof(r));
		if (st == 5 && std::strcmp(r, "pong") == 0) {
			// Second request: never answered, we get killed.
			MsgSend(coid, "hang", 4, r, sizeof(r));
		}
		_exit(1);
	}
	std::string got;
	_msg_info info{};
	int rcvid = receive(na->chid, got, &info);
	REQUIRE(rcvid > 0);
	CHECK(got == "ping");
	CHECK(info.pid == pid);
	CHECK(MsgReply(rcvid, 5, "pong", 5) == 0);
	rcvid = receive(na->chid, got, &info);
	REQUIRE(rcvid > 0);
	CHECK(got == "hang");
	kill(pid, SIGKILL);
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	// The client is gone: the reply fails cleanly and the rcvid is freed.
	CHECK(MsgReply(rcvid, 0, "late", 4) == -1);
	CHECK(errno == ESRCH);
	CHECK(name_detach(na, 0) == 0);
	CHECK(name_open(svc, 0) == -1);
	CHECK(errno == ENOENT);
	check_no_names_left();
}

TEST_CASE_METHOD(QnxFixture, "qnx: MsgSendPulse arrives as rcvid 0 and never blocks", "[qnx]")
{
	int chid = ChannelCreate(0);
	int coid = ConnectAttach(ND_LOCAL_NODE, 0, chid, 0, 0);
	REQUIRE(coid > 0);
	// Pulses do not count against the queue limit: more than qlimit go in.
	for (int i = 0; i < 8; i++)
		REQUIRE(MsgSendPulse(coid, 10, 5 + i, 1000 + i) == 0);
	// A higher priority pulse overtakes the others.
	REQUIRE(MsgSendPulse(coid, 20, 99, -7) == 0);
	_pulse p{};
	_msg_info info{};
	CHECK(MsgReceive(chid, &p, sizeof(p), &info) == 0);
	CHECK(p.type == _PULSE_TYPE);
	CHECK(p.code == 99);
	CHECK(p.value.sival_int == -7);
	CHECK(p.scoid == getpid());
	CHECK(p.count == 1);
	CHECK(info.pid == getpid());
	CHECK(info.msglen == sizeof(p));
	for (int i = 0; i < 8; i++) {
		REQUIRE(MsgReceive(chid, &p, sizeof(p), nullptr) == 0);
		CHECK(p.code == 5 + i);
		CHECK(p.value.sival_int == 1000 + i);
	}
	// A request still gets a real rcvid after pulses.
	{
		Call call(coid, "after", 16);
		std::string got;
		int rcvid = receive(chid, got);
		REQUIRE(rcvid > 0);
		CHECK(got == "after");
		CHECK(MsgReply(rcvid, 1, nullptr, 0) == 0);
		call.join();
		CHECK(call.result == 1);
	}
	// Errors: bad priority or code, not a connection, a dead channel.
	CHECK(MsgSendPulse(coid, 256, 1, 0) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgSendPulse(coid, 0, 128, 0) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgSendPulse(0x7f00, 0, 1, 0) == -1);
	CHECK(errno == EBADF);
	CHECK(ChannelDestroy(chid) == 0);
	CHECK(MsgSendPulse(coid, 0, 1, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectDetach(coid) == 0);
	check_no_names_left();
}
