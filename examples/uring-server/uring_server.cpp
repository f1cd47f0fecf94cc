// SPDX-License-Identifier: LGPL-2.1-or-later
//
// uring-server: one server thread, one io_uring, many client processes.
//
// The parent allocates a service port and, for each of the clients, opens
// a space, inserts a send right to the service port into it and forks a
// client that keeps only that space. Each client makes a few calls
// (MAILBOX_IOC_MSG send + receive on its reply port, the ordinary
// synchronous path) asking for the square of a number, then sends "quit".
//
// The server never blocks in an ioctl: it keeps one asynchronous receive
// (MAILBOX_URING_CMD_MSG) pending on the service port in its ring; when a
// request completes it queues the reply as an asynchronous send through the
// request's send-once right, re-arms the receive, and submits both with one
// io_uring_enter(). Replies come from a small pool of AsyncMsg slots, each
// freed when its completion is reaped. Other io_uring work could share the
// same ring: mailbox commands are ordinary SQEs.
#include <mailbox/mailbox.hpp>
#include <mailbox/uring.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr std::int32_t msg_square = 1;
constexpr std::int32_t msg_quit = 2;
constexpr int nr_clients = 4;
constexpr int calls = 5;
constexpr std::size_t nr_slots = 8;
constexpr std::uint64_t ud_receive = 0;

[[noreturn]] void fail(const char *what, const std::error_code &ec)
{
	std::fprintf(stderr, "uring-server: %s: %s\n", what, ec.message().c_str());
	std::exit(1);
}

// A client: @calls squares, checked, then quit. Exit status: replies wrong.
int client(mailbox::Space space, mailbox::SendRight server, int no)
{
	auto reply_port = space.allocate_receive();
	if (!reply_port)
		fail("client: allocate reply port", reply_port.error());
	mailbox::MessageBuffer<128> request, reply;
	int wrong = 0;
	for (int i = 1; i <= calls; i++) {
		std::uint32_t x = static_cast<std::uint32_t>(no * 100 + i);
		mailbox::MessageBuilder b(request, msg_square);
		b.put(x);
		auto answer = space.call(server.get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					 reply_port->get(), reply.span());
		if (!answer)
			fail("client: call", answer.error());
		auto r = answer->reader();
		auto y = r.get<std::uint64_t>();
		if (!y || *y != std::uint64_t{x} * x)
			wrong++;
	}
	mailbox::MessageBuilder quit(request, msg_quit);
	if (auto r = space.send(server.get(), quit.finish(), MAILBOX_MSG_TYPE_COPY_SEND); !r)
		fail("client: send quit", r.error());
	return wrong;
}

struct ReplySlot {
	mailbox::uring::AsyncMsg op;
	mailbox::MessageBuffer<64> buf;
	std::uint32_t reply_port = MAILBOX_PORT_NULL;
	bool busy = false;
};

class UringServer {
public:
	UringServer(const mailbox::Space &space, std::uint32_t port, mailbox::uring::Ring &ring)
		: space_(space), port_(port), ring_(ring)
	{
	}

	// Serves until every client said quit. Returns the calls answered.
	int run()
	{
		arm_receive();
		submit();
		while (quits_ < nr_clients || in_flight()) {
			std::array<mailbox::uring::Completion, 16> c;
			auto n = mailbox::uring::wait(ring_.get(), c);
			if (!n)
				fail("server: wait", n.error());
			for (std::size_t i = 0; i < *n; i++)
				complete(c[i]);
			submit();
		}
		return answered_;
	}

private:
	void arm_receive()
	{
		rcv_.set_receive(port_, in_.span());
		if (auto r = rcv_.queue(ring_.get(), space_.fd(), ud_receive); !r)
			fail("server: queue receive", r.error());
		receiving_ = true;
	}

	void submit()
	{
		if (auto r = ring_.submit(); !r)
			fail("server: submit", r.error());
	}

	bool in_flight() const
	{
		if (receiving_)
			return true;
		for (const auto &s : slots_)
			if (s.busy)
				return true;
		return false;
	}

	ReplySlot *free_slot()
	{
		for (auto &s : slots_)
			if (!s.busy)
				return &s;
		return nullptr;
	}

	void complete(const mailbox::uring::Completion &c)
	{
		if (c.user_data != ud_receive) {
			ReplySlot &s = slots_[c.user_data - 1];
			if (auto r = s.op.sent(c.res); !r) {
				// Not sent: the send-once right is still ours.
				std::fprintf(stderr, "server: reply: %s\n", r.error().message().c_str());
				(void)mailbox::sys::port_deallocate(space_.fd(), s.reply_port);
			}
			s.busy = false;
			return;
		}
		receiving_ = false;
		auto v = rcv_.received(c.res);
		if (!v)
			fail("server: receive", v.error());
		if (v->id() == msg_quit) {
			quits_++;
		} else if (v->id() == msg_square) {
			reply(*v);
		}
		if (quits_ < nr_clients)
			arm_receive();
	}

	void reply(const mailbox::MessageView &req)
	{
		auto r = req.reader();
		auto x = r.get<std::uint32_t>();
		ReplySlot *s = free_slot();
		if (!x || !s || req.reply_port() == MAILBOX_PORT_NULL) {
			// Malformed, or more replies in flight than slots: drop
			// it (its send-once right goes, the caller sees a
			// send-once notification).
			(void)mailbox::sys::port_deallocate(space_.fd(), req.reply_port());
			return;
		}
		mailbox::MessageBuilder b(s->buf, msg_square);
		b.put(std::uint64_t{*x} * *x);
		auto sent = s->op.set_send(req.reply_port(), b.finish(),
					   MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
		if (!sent)
			fail("server: set_send", sent.error());
		s->reply_port = req.reply_port();
		auto slot = static_cast<std::uint64_t>(s - slots_.data());
		if (auto q = s->op.queue(ring_.get(), space_.fd(), slot + 1); !q)
			fail("server: queue reply", q.error());
		s->busy = true;
		answered_++;
	}

	const mailbox::Space &space_;
	std::uint32_t port_;
	mailbox::uring::Ring &ring_;
	mailbox::uring::AsyncMsg rcv_;
	mailbox::MessageBuffer<128> in_;
	std::array<ReplySlot, nr_slots> slots_;
	bool receiving_ = false;
	int quits_ = 0;
	int answered_ = 0;
};

} // namespace

int main()
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);

	auto space = mailbox::Space::open();
	if (!space)
		fail("open /dev/mailbox", space.error());
	auto port = space->allocate_receive();
	if (!port)
		fail("allocate service port", port.error());

	std::vector<pid_t> pids;
	for (int no = 1; no <= nr_clients; no++) {
		auto cspace = mailbox::Space::open();
		if (!cspace)
			fail("open /dev/mailbox", cspace.error());
		auto send = port->make_send_in(*cspace);
		if (!send)
			fail("insert send right into a client's space", send.error());
		pid_t pid = fork();
		if (pid < 0) {
			std::perror("fork");
			return 1;
		}
		if (pid == 0) {
			(void)port->release();
			space->reset();
			std::exit(client(std::move(*cspace), std::move(*send), no));
		}
		(void)send->release();
		pids.push_back(pid);
	}
	std::printf("server: %d clients started, each holds a send right\n", nr_clients);

	// The ring exists only in the server: clients never see it.
	auto ring = mailbox::uring::Ring::create(32);
	if (!ring)
		fail("io_uring_queue_init", ring.error());
	UringServer server(*space, port->get(), *ring);
	int answered = server.run();
	std::printf("server: answered %d calls with one ring\n", answered);

	int bad = 0;
	for (int no = 1; no <= nr_clients; no++) {
		int status = 0;
		if (waitpid(pids[no - 1], &status, 0) < 0) {
			std::perror("waitpid");
			return 1;
		}
		int wrong = WIFEXITED(status) ? WEXITSTATUS(status) : calls;
		std::printf("client %d: %d/%d replies ok\n", no, calls - wrong, calls);
		bad += wrong;
	}
	return answered == nr_clients * calls && bad == 0 ? 0 : 1;
}
