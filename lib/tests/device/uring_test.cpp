// SPDX-License-Identifier: LGPL-2.1-or-later
// mailbox/uring.hpp against the real module: async send, receive, call and
// cancellation on a ring the test owns.
#include "fixture.hpp"

#include <mailbox/uring.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;
using mbtest::text_message;

namespace {

// A ring, or a skipped test on a kernel without io_uring.
std::optional<uring::Ring> make_ring()
{
	auto r = uring::Ring::create(16);
	if (!r && errno_of(r.error()) == ENOSYS) {
		WARN("no io_uring in this kernel: test skipped");
		return std::nullopt;
	}
	REQUIRE(r);
	return std::move(*r);
}

// The completion with @ud, waiting up to 5 s.
uring::Completion completion(uring::Ring &ring, std::uint64_t ud)
{
	for (;;) {
		uring::Completion c[1];
		auto n = uring::wait(ring.get(), c, 5s);
		REQUIRE(n);
		REQUIRE(*n == 1);
		if (c[0].user_data == ud)
			return c[0];
	}
}

// "uring_waiting" from debugfs stats (commands running in io-wq), or -1.
long uring_waiting()
{
	std::ifstream f("/sys/kernel/debug/mailbox/stats");
	std::string name;
	long v;
	while (f >> name >> v)
		if (name == "uring_waiting")
			return v;
	return -1;
}

// Waits up to 5 s for uring_waiting() to be @want; false if it is not.
bool uring_waiting_is(long want)
{
	for (int i = 0; i < 500; i++) {
		if (uring_waiting() == want)
			return true;
		std::this_thread::sleep_for(10ms);
	}
	return false;
}

} // namespace

TEST_CASE("An async send and an async receive carry a message", "[device][uring]")
{
	SpaceFixture f;
	auto ring = make_ring();
	if (!ring)
		return;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);

		MessageBuffer<128> in;
		uring::AsyncMsg rcv;
		rcv.set_receive(port->get(), in.span());
		REQUIRE(rcv.queue(ring->get(), f.space.fd(), 1));
		REQUIRE(ring->submit());

		uring::Completion c[1];
		auto none = uring::wait(ring->get(), c, 50ms);
		REQUIRE_FALSE(none);
		CHECK(errno_of(none.error()) == ETIME);

		MessageBuffer<128> out;
		auto msg = text_message(out, 77, "async");
		uring::AsyncMsg snd;
		REQUIRE(snd.set_send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(snd.queue(ring->get(), f.space.fd(), 2));
		REQUIRE(ring->submit());

		bool got_send = false, got_rcv = false;
		while (!got_send || !got_rcv) {
			auto n = uring::wait(ring->get(), c, 5s);
			REQUIRE(n);
			if (c[0].user_data == 2) {
				CHECK(snd.sent(c[0].res));
				got_send = true;
			} else {
				REQUIRE(c[0].user_data == 1);
				auto v = rcv.received(c[0].res);
				REQUIRE(v);
				CHECK(v->id() == 77);
				CHECK(v->local_port() == port->get());
				auto r = v->reader();
				CHECK(r.get_string() == std::string_view("async"));
				got_rcv = true;
			}
		}
	}
	f.check_no_names_left();
}

TEST_CASE("An async call gets the reply", "[device][uring]")
{
	SpaceFixture f;
	auto ring = make_ring();
	if (!ring)
		return;
	{
		auto service = f.space.allocate_receive();
		auto reply = f.space.allocate_receive();
		REQUIRE(service);
		REQUIRE(reply);
		auto send = service->make_send();
		REQUIRE(send);

		std::thread server([&] {
			MessageBuffer<128> req;
			auto v = service->receive(req.span(), 5s);
			REQUIRE(v);
			auto so = adopt_reply<SendOnceRight>(f.space, *v);
			REQUIRE(so);
			MessageBuffer<128> rep;
			auto m = text_message(rep, v->id() + 1, "reply");
			REQUIRE(so->send(m));
		});

		MessageBuffer<128> out, in;
		auto msg = text_message(out, 10, "request");
		uring::AsyncMsg call;
		REQUIRE(call.set_call(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND, reply->get(),
				      in.span()));
		REQUIRE(call.queue(ring->get(), f.space.fd(), 3));
		REQUIRE(ring->submit());
		auto c = completion(*ring, 3);
		server.join();
		auto v = call.received(c.res);
		REQUIRE(v);
		CHECK(v->id() == 11);
		auto r = v->reader();
		CHECK(r.get_string() == std::string_view("reply"));
	}
	f.check_no_names_left();
}

TEST_CASE("Async errors carry the ioctl's status", "[device][uring]")
{
	SpaceFixture f;
	auto ring = make_ring();
	if (!ring)
		return;
	auto port = f.space.allocate_receive();
	REQUIRE(port);

	SECTION("a receive that times out")
	{
		MessageBuffer<64> in;
		uring::AsyncMsg rcv;
		ReceiveOptions o;
		o.rcv_timeout = 10ms;
		rcv.set_receive(port->get(), in.span(), o);
		REQUIRE(rcv.queue(ring->get(), f.space.fd(), 4));
		REQUIRE(ring->submit());
		auto v = rcv.received(completion(*ring, 4).res);
		REQUIRE_FALSE(v);
		CHECK(errno_of(v.error()) == ETIMEDOUT);
		CHECK(status_of(v.error()) == MAILBOX_RCV_TIMED_OUT);
	}
	SECTION("a receive cancelled with IORING_OP_ASYNC_CANCEL")
	{
		MessageBuffer<64> in;
		uring::AsyncMsg rcv;
		rcv.set_receive(port->get(), in.span());
		REQUIRE(rcv.queue(ring->get(), f.space.fd(), 5));
		REQUIRE(ring->submit());
		std::this_thread::sleep_for(50ms);
		io_uring_sqe *sqe = io_uring_get_sqe(&ring->get());
		REQUIRE(sqe);
		io_uring_prep_cancel64(sqe, 5, 0);
		sqe->user_data = 6;
		REQUIRE(ring->submit());
		auto v = rcv.received(completion(*ring, 5).res);
		REQUIRE_FALSE(v);
		CHECK(errno_of(v.error()) == ECANCELED);
	}
	SECTION("a send of a message shorter than a header")
	{
		std::byte small[4]{};
		uring::AsyncMsg snd;
		auto r = snd.set_send(port->get(), small, MAILBOX_MSG_TYPE_MAKE_SEND);
		REQUIRE_FALSE(r);
		CHECK(status_of(r.error()) == MAILBOX_SEND_MSG_TOO_SMALL);
	}
}

TEST_CASE("Destroying the ring ends a pending receive", "[device][uring]")
{
	SpaceFixture f;
	auto ring = make_ring();
	if (!ring)
		return;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		MessageBuffer<64> in;
		uring::AsyncMsg rcv;
		rcv.set_receive(port->get(), in.span());
		REQUIRE(rcv.queue(ring->get(), f.space.fd(), 7));
		REQUIRE(ring->submit());
		if (uring_waiting() < 0) {
			WARN("no debugfs stats: test skipped");
			ring->reset();
			return;
		}
		// Waiting in io-wq; the ring's exit work cancels it, later.
		REQUIRE(uring_waiting_is(1));
		ring->reset();
		CHECK_FALSE(*ring);
		REQUIRE(uring_waiting_is(0));
		// The port still works: a later message is received normally.
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<64> out;
		REQUIRE(f.space.send(send->get(), text_message(out, 8, "after"), MAILBOX_MSG_TYPE_COPY_SEND));
		MessageBuffer<64> again;
		auto v = port->receive(again.span(), 1s);
		REQUIRE(v);
		CHECK(v->id() == 8);
	}
	f.check_no_names_left();
}
