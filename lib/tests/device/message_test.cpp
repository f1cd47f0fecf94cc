// SPDX-License-Identifier: LGPL-2.1-or-later
// send, receive and call against the real module.
#include "fixture.hpp"

#include <mailbox/server.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;
using mbtest::text_message;

TEST_CASE("A message sent to a port is received byte-identical with its id",
	  "[device][msg][send][receive]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);

		MessageBuffer<256> out, in;
		MessageBuilder b(out, 4242);
		b.put<std::uint64_t>(0xfeedfacecafebeefull).put_string("payload");
		auto msg = b.finish();
		REQUIRE(f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND));
		CHECK(port->attributes()->msgcount == 1);

		auto v = f.space.receive(port->get(), in.span());
		REQUIRE(v);
		REQUIRE(v->valid());
		CHECK(v->id() == 4242);
		CHECK(v->size() == msg.size());
		CHECK(v->local_port() == port->get());
		CHECK(v->reply_port() == MAILBOX_PORT_NULL);
		CHECK(v->reply_type() == 0);
		CHECK(MAILBOX_MSGH_LOCAL(v->header().bits) == MAILBOX_MSG_TYPE_PORT_SEND);
		REQUIRE(v->body().size() == msg.size() - header_size);
		CHECK(std::memcmp(v->body().data(), msg.data() + header_size, v->body().size()) == 0);
		auto r = v->reader();
		CHECK(r.get<std::uint64_t>() == 0xfeedfacecafebeefull);
		CHECK(r.get_string() == std::string_view("payload"));
		CHECK(port->attributes()->msgcount == 0);
		CHECK_FALSE(v->trailer());
	}
	f.check_no_names_left();
}

TEST_CASE("The trailer carries the sequence number and the sender's credentials",
	  "[device][msg][trailer]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<128> out, in;
		for (std::uint32_t i = 0; i < 3; i++) {
			REQUIRE(f.space.send(send->get(), text_message(out, i, "x"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
			auto v = f.space.receive(port->get(), in.span(), std::nullopt,
						 MAILBOX_MSG_RCV_TRAILER);
			REQUIRE(v);
			auto t = v->trailer();
			REQUIRE(t);
			CHECK(t->type == MAILBOX_TRAILER_FORMAT_0);
			CHECK(t->size == trailer_size);
			CHECK(t->seqno == i);
			CHECK(t->sender_pid == ::getpid());
			CHECK(t->sender_uid == ::geteuid());
			CHECK(t->sender_gid == ::getegid());
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Messages on one port are received in the order they were sent", "[device][msg][fifo]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		REQUIRE(port->set_qlimit(64));
		MessageBuffer<64> out, in;
		for (int i = 0; i < 64; i++) {
			MessageBuilder b(out, i);
			REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		}
		for (int i = 0; i < 64; i++) {
			auto v = f.space.receive(port->get(), in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->id() == i);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("A reply right travels with the message and is owned by the receiver",
	  "[device][msg][reply]")
{
	SpaceFixture f;
	{
		auto server = f.space.allocate_receive();
		auto client = f.space.allocate_receive();
		REQUIRE(server);
		REQUIRE(client);
		auto send = server->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		MessageBuilder b(out, 1);

		SECTION("a make-send-once reply arrives as a new send-once name")
		{
			REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					     client->get(), MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
			auto v = f.space.receive(server->get(), in.span());
			REQUIRE(v);
			CHECK(v->reply_type() == MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
			CHECK(mbtest::types_of(f.space, v->reply_port()) == MAILBOX_PORT_TYPE_SEND_ONCE);
			SendOnceRight reply(f.space, v->reply_port());
			MessageBuilder rb(out, 2);
			REQUIRE(reply.send(rb.finish()));
			CHECK_FALSE(reply); // consumed
			auto back = f.space.receive(client->get(), in.span(), 0ns);
			REQUIRE(back);
			CHECK(back->id() == 2);
			CHECK(MAILBOX_MSGH_LOCAL(back->header().bits) == MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
		}
		SECTION("a make-send reply merges into the receive right's name")
		{
			REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					     client->get(), MAILBOX_MSG_TYPE_MAKE_SEND));
			auto v = f.space.receive(server->get(), in.span());
			REQUIRE(v);
			CHECK(v->reply_type() == MAILBOX_MSG_TYPE_PORT_SEND);
			CHECK(v->reply_port() == client->get());
			SendRight reply(f.space, v->reply_port());
			CHECK(client->type()->send_urefs == 1);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Receive timeouts: zero does not wait, a bound expires", "[device][msg][timeout]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		MessageBuffer<64> in;

		SECTION("a zero timeout on an empty port is EAGAIN")
		{
			auto v = f.space.receive(port->get(), in.span(), 0ns);
			REQUIRE_FALSE(v);
			CHECK(v.error() == std::errc::resource_unavailable_try_again);
			CHECK(status_of(v.error()) == MAILBOX_RCV_TIMED_OUT);
		}
		SECTION("a 20 ms timeout waits about that long, then ETIMEDOUT")
		{
			auto start = std::chrono::steady_clock::now();
			auto v = f.space.receive(port->get(), in.span(), 20ms);
			auto took = std::chrono::steady_clock::now() - start;
			REQUIRE_FALSE(v);
			CHECK(v.error() == std::errc::timed_out);
			CHECK(status_of(v.error()) == MAILBOX_RCV_TIMED_OUT);
			CHECK(took >= 20ms);
			CHECK(took < 2s);
		}
		SECTION("O_NONBLOCK without a timeout is EAGAIN")
		{
			auto nb = Space::open(device_path, O_NONBLOCK);
			REQUIRE(nb);
			auto p = nb->allocate_receive();
			REQUIRE(p);
			auto v = nb->receive(p->get(), in.span());
			REQUIRE_FALSE(v);
			CHECK(v.error() == std::errc::resource_unavailable_try_again);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Sending to a full queue waits, times out, or goes through a send-once right",
	  "[device][msg][timeout][qlimit]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		REQUIRE(port->set_qlimit(1));
		MessageBuffer<64> out, in;
		MessageBuilder b(out, 1);
		auto msg = b.finish();
		REQUIRE(f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND));

		SECTION("a zero send timeout is EAGAIN and nothing is queued")
		{
			auto r = f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND,
					      MAILBOX_PORT_NULL, 0, 0ns);
			REQUIRE_FALSE(r);
			CHECK(r.error() == std::errc::resource_unavailable_try_again);
			CHECK(status_of(r.error()) == MAILBOX_SEND_TIMED_OUT);
			CHECK(port->attributes()->msgcount == 1);
		}
		SECTION("a bounded send timeout expires with ETIMEDOUT")
		{
			auto r = f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND,
					      MAILBOX_PORT_NULL, 0, 10ms);
			REQUIRE_FALSE(r);
			CHECK(r.error() == std::errc::timed_out);
			CHECK(status_of(r.error()) == MAILBOX_SEND_TIMED_OUT);
		}
		SECTION("a send-once right ignores the queue limit")
		{
			auto so = port->make_send_once();
			REQUIRE(so);
			REQUIRE(so->send(msg, 0ns));
			CHECK(port->attributes()->msgcount == 2);
		}
		SECTION("a blocked sender wakes when the receiver makes room")
		{
			std::atomic<bool> done{false};
			std::atomic<bool> sent{false};
			std::thread sender([&] {
				MessageBuffer<64> m;
				MessageBuilder mb(m, 2);
				sent = f.space.send(send->get(), mb.finish(), MAILBOX_MSG_TYPE_COPY_SEND)
					       .has_value();
				done = true;
			});
			std::this_thread::sleep_for(50ms);
			CHECK_FALSE(done.load());
			auto v = f.space.receive(port->get(), in.span(), 0ns);
			REQUIRE(v);
			sender.join();
			CHECK(done.load());
			CHECK(sent.load());
			auto v2 = f.space.receive(port->get(), in.span(), 0ns);
			REQUIRE(v2);
			CHECK(v2->id() == 2);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("A receive buffer that is too small is EMSGSIZE and says how much is needed",
	  "[device][msg][receive][errno]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<256> out, in;
		MessageBuilder b(out, 1);
		b.put_bytes("0123456789abcdef0123456789abcdef", 32);
		auto msg = b.finish();
		REQUIRE(f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND));

		SECTION("with RCV_LARGE the message stays queued")
		{
			mailbox_msg m{};
			m.rcv_msg = reinterpret_cast<std::uintptr_t>(in.data());
			m.options = MAILBOX_MSG_RCV | MAILBOX_MSG_RCV_LARGE;
			m.rcv_size = 32;
			m.rcv_name = port->get();
			auto r = sys::msg(f.space.fd(), m);
			REQUIRE_FALSE(r);
			CHECK(r.error() == std::errc::message_size);
			CHECK(status_of(r.error()) == MAILBOX_RCV_TOO_LARGE);
			CHECK(m.rcv_size == msg.size());
			CHECK(port->attributes()->msgcount == 1);
			auto v = f.space.receive(port->get(), in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->size() == msg.size());
		}
		SECTION("without RCV_LARGE the message is destroyed")
		{
			auto v = f.space.receive(port->get(), in.span().first(32), 0ns);
			REQUIRE_FALSE(v);
			CHECK(status_of(v.error()) == MAILBOX_RCV_TOO_LARGE);
			CHECK(port->attributes()->msgcount == 0);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Send and receive errors carry the errno and the phase status", "[device][msg][errno]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		MessageBuffer<64> out, in;
		MessageBuilder b(out, 1);
		auto msg = b.finish();

		SECTION("sending to an unknown name is ENOENT, invalid destination")
		{
			auto r = f.space.send(0x7fff01, msg, MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == ENOENT);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_DEST);
		}
		SECTION("copy-sending from a receive-only name is EPERM, invalid destination")
		{
			auto r = f.space.send(port->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EPERM);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_DEST);
		}
		SECTION("sending to a dead port is EPIPE and the message says so")
		{
			auto send = port->make_send();
			REQUIRE(send);
			port->reset();
			auto r = f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(r.error() == std::errc::broken_pipe);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_DEST);
			CHECK(r.error().message() == "send: invalid destination (port dead)");
		}
		SECTION("an unknown reply name is ENOENT, invalid reply")
		{
			auto send = port->make_send();
			REQUIRE(send);
			auto r = f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND, 0x7fff01,
					      MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == ENOENT);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_REPLY);
		}
		SECTION("an invalid disposition is EINVAL, invalid header")
		{
			auto send = port->make_send();
			REQUIRE(send);
			auto r = f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_MOVE_RECEIVE);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EINVAL);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_HEADER);
		}
		SECTION("a message above max_msg_size is EMSGSIZE, too large")
		{
			auto v = f.space.version();
			REQUIRE(v);
			std::vector<std::byte> big(v->max_msg_size + 4);
			MessageBuilder bb(big, 1);
			auto send = port->make_send();
			REQUIRE(send);
			auto r = f.space.send(send->get(), std::span<std::byte>(big),
					      MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EMSGSIZE);
			CHECK(status_of(r.error()) == MAILBOX_SEND_TOO_LARGE);
		}
		SECTION("receiving on a send-once name is EPERM, invalid name")
		{
			auto so = port->make_send_once();
			REQUIRE(so);
			auto v = f.space.receive(so->get(), in.span(), 0ns);
			REQUIRE_FALSE(v);
			CHECK(errno_of(v.error()) == EPERM);
			CHECK(status_of(v.error()) == MAILBOX_RCV_INVALID_NAME);
		}
		SECTION("receiving on an unknown name is ENOENT, invalid name")
		{
			auto v = f.space.receive(0x7fff01, in.span(), 0ns);
			REQUIRE_FALSE(v);
			CHECK(errno_of(v.error()) == ENOENT);
			CHECK(status_of(v.error()) == MAILBOX_RCV_INVALID_NAME);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("A receiver blocked on a port wakes with EPIPE when another thread destroys it",
	  "[device][msg][lifetime]")
{
	SpaceFixture f;
	auto port = f.space.allocate_receive();
	REQUIRE(port);
	std::uint32_t name = port->release(); // destroyed by hand below
	std::error_code got;
	std::atomic<bool> done{false};
	std::thread receiver([&] {
		MessageBuffer<64> in;
		auto v = f.space.receive(name, in.span(), 5s);
		if (!v)
			got = v.error();
		done = true;
	});
	std::this_thread::sleep_for(50ms);
	CHECK_FALSE(done.load());
	REQUIRE(f.space.mod_refs(name, MAILBOX_RIGHT_RECEIVE, -1));
	receiver.join();
	CHECK(got == std::errc::broken_pipe);
	CHECK(status_of(got) == MAILBOX_RCV_PORT_DIED);
	f.check_no_names_left();
}

TEST_CASE("call sends with a send-once reply right and receives the answer in one ioctl",
	  "[device][msg][call]")
{
	SpaceFixture f;
	{
		auto server_port = f.space.allocate_receive();
		auto reply_port = f.space.allocate_receive();
		REQUIRE(server_port);
		REQUIRE(reply_port);
		auto send = server_port->make_send();
		REQUIRE(send);

		// Catch2 assertions are not thread-safe: the thread only records.
		std::atomic<int> served{0};
		std::error_code server_error;
		std::thread server([&] {
			MessageBuffer<256> in, out;
			for (int i = 0; i < 10; i++) {
				auto v = f.space.receive(server_port->get(), in.span(), 5s);
				if (!v) {
					server_error = v.error();
					return;
				}
				if (v->reply_type() != MAILBOX_MSG_TYPE_PORT_SEND_ONCE)
					return;
				SendOnceRight reply(f.space, v->reply_port());
				auto r = v->reader();
				auto x = r.get<std::int32_t>();
				if (!x)
					return;
				MessageBuilder b(out, v->id());
				b.put<std::int32_t>(*x * 2);
				if (auto sent = reply.send(b.finish()); !sent) {
					server_error = sent.error();
					return;
				}
				served++;
			}
		});

		MessageBuffer<256> req, rep;
		for (std::int32_t i = 0; i < 10; i++) {
			MessageBuilder b(req, 100 + i);
			b.put<std::int32_t>(i);
			auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					      reply_port->get(), rep.span(), 5s, 5s);
			REQUIRE(v);
			CHECK(v->id() == 100 + i);
			CHECK(v->local_port() == reply_port->get());
			auto r = v->reader();
			CHECK(r.get<std::int32_t>() == 2 * i);
		}
		server.join();
		CHECK(served == 10);
		CHECK_FALSE(server_error);
		CHECK(reply_port->attributes()->sorights == 0);
	}
	f.check_no_names_left();
}

TEST_CASE("A call whose send fails receives nothing and reports the send status",
	  "[device][msg][call][errno]")
{
	SpaceFixture f;
	{
		auto reply_port = f.space.allocate_receive();
		REQUIRE(reply_port);
		MessageBuffer<64> req, rep;
		MessageBuilder b(req, 1);
		auto v = f.space.call(0x7fff01, b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				      reply_port->get(), rep.span(), 0ns, 0ns);
		REQUIRE_FALSE(v);
		CHECK(status_of(v.error()) == MAILBOX_SEND_INVALID_DEST);
		CHECK(reply_port->attributes()->sorights == 0);
	}
	f.check_no_names_left();
}

TEST_CASE("A call whose receive times out reports the receive status", "[device][msg][call][timeout]")
{
	SpaceFixture f;
	{
		auto server_port = f.space.allocate_receive();
		auto reply_port = f.space.allocate_receive();
		REQUIRE(server_port);
		REQUIRE(reply_port);
		auto send = server_port->make_send();
		REQUIRE(send);
		MessageBuffer<64> req, rep;
		MessageBuilder b(req, 1);
		auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				      reply_port->get(), rep.span(), 0ns, 10ms);
		REQUIRE_FALSE(v);
		CHECK(v.error() == std::errc::timed_out);
		CHECK(status_of(v.error()) == MAILBOX_RCV_TIMED_OUT);
		CHECK(server_port->attributes()->msgcount == 1); // the request was sent
	}
	f.check_no_names_left();
}

TEST_CASE("The server helper dispatches by id and answers unknown ids with bad_id",
	  "[device][server]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto reply_port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(reply_port);
		auto send = port->make_send();
		REQUIRE(send);

		Server<256> server(f.space, *port);
		server.on(1, [](const MessageView &req, MessageBuilder &out) {
			auto r = req.reader();
			auto x = r.get<std::uint32_t>();
			if (!x)
				return false;
			out.put<std::uint32_t>(*x + 1);
			return true;
		});
		server.on(9, [&](const MessageView &, MessageBuilder &) {
			server.stop();
			return false;
		});
		std::error_code run_error;
		std::thread t([&] {
			if (auto r = server.run(5s); !r)
				run_error = r.error();
		});

		MessageBuffer<256> req, rep;
		MessageBuilder b(req, 1);
		b.put<std::uint32_t>(41);
		auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				      reply_port->get(), rep.span(), 5s, 5s);
		REQUIRE(v);
		CHECK(v->id() == 1);
		CHECK(v->reader().get<std::uint32_t>() == 42u);

		MessageBuilder unknown(req, 77);
		auto u = f.space.call(send->get(), unknown.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				      reply_port->get(), rep.span(), 5s, 5s);
		REQUIRE(u);
		CHECK(u->id() == bad_id);

		MessageBuilder quit(req, 9);
		REQUIRE(f.space.send(send->get(), quit.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		t.join();
		CHECK_FALSE(run_error);
		CHECK(server.handled() == 3);
	}
	f.check_no_names_left();
}

TEST_CASE("receive_batch takes every queued message in one call, in order",
	  "[device][msg][receive][batch]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		REQUIRE(port->set_qlimit(16));

		for (std::int32_t id = 1; id <= 3; id++) {
			MessageBuffer<64> out;
			MessageBuilder b(out, id);
			b.put<std::uint32_t>(static_cast<std::uint32_t>(id * 10));
			REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		}
		MessageBuffer<64> in[4];
		std::span<std::byte> bufs[4] = {in[0].span(), in[1].span(), in[2].span(),
						in[3].span()};
		MessageView views[4];
		auto n = f.space.receive_batch(port->get(), bufs, views);
		REQUIRE(n);
		REQUIRE(*n == 3);
		for (std::int32_t i = 0; i < 3; i++) {
			REQUIRE(views[i].valid());
			CHECK(views[i].id() == i + 1);
			CHECK(views[i].reader().get<std::uint32_t>() ==
			      static_cast<std::uint32_t>((i + 1) * 10));
		}
		CHECK_FALSE(views[3].valid());
		CHECK(port->attributes()->msgcount == 0);

		// Nothing queued and no wait: the first receive's error.
		ReceiveOptions o;
		o.rcv_timeout = std::chrono::nanoseconds(0);
		auto none = f.space.receive_batch(port->get(), bufs, views, o);
		REQUIRE_FALSE(none);
		CHECK(none.error() == std::errc::resource_unavailable_try_again);

		// No buffer: EINVAL before any ioctl.
		auto empty = f.space.receive_batch(port->get(), {}, views);
		REQUIRE_FALSE(empty);
		CHECK(empty.error() == std::errc::invalid_argument);
	}
	f.check_no_names_left();
}

TEST_CASE("send_batch sends every message in one call and stops at a full queue",
	  "[device][msg][send][batch]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		REQUIRE(port->set_qlimit(3));

		MessageBuffer<64> out[4];
		std::span<std::byte> msgs[4];
		for (std::int32_t i = 0; i < 4; i++) {
			MessageBuilder b(out[i], i + 1);
			b.put<std::uint32_t>(static_cast<std::uint32_t>((i + 1) * 10));
			msgs[i] = b.finish();
		}
		SendOptions o;
		o.send_timeout = std::chrono::nanoseconds(0);
		// Room for three: the fourth times out and ends the batch.
		auto n = f.space.send_batch(send->get(), msgs, MAILBOX_MSG_TYPE_COPY_SEND, o);
		REQUIRE(n);
		CHECK(*n == 3);
		CHECK(port->attributes()->msgcount == 3);

		// Full: the first send's error.
		auto full = f.space.send_batch(send->get(), std::span(msgs).subspan(3),
					       MAILBOX_MSG_TYPE_COPY_SEND, o);
		REQUIRE_FALSE(full);
		CHECK(full.error() == std::errc::resource_unavailable_try_again);
		CHECK(status_of(full.error()) == MAILBOX_SEND_TIMED_OUT);

		MessageBuffer<64> in;
		for (std::int32_t i = 0; i < 3; i++) {
			auto v = f.space.receive(port->get(), in.span());
			REQUIRE(v);
			CHECK(v->id() == i + 1);
			CHECK(v->reader().get<std::uint32_t>() ==
			      static_cast<std::uint32_t>((i + 1) * 10));
		}

		// No message: EINVAL before any ioctl.
		auto empty = f.space.send_batch(send->get(), {}, MAILBOX_MSG_TYPE_COPY_SEND);
		REQUIRE_FALSE(empty);
		CHECK(empty.error() == std::errc::invalid_argument);
	}
	f.check_no_names_left();
}
