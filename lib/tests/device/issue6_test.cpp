// SPDX-License-Identifier: LGPL-2.1-or-later
// The C++ wrappers of issue 6 against the real module: message priorities,
// selective receive and peek, pulses, scatter/gather, out-of-line memory.
#include "fixture.hpp"

#include <mailbox/server.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <vector>

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;
using mbtest::text_message;

namespace {

std::uint64_t features()
{
	auto s = Space::open();
	if (!s)
		return 0;
	auto v = s->version();
	return v ? v->features : 0;
}

} // namespace

// A module without the feature skips the test loudly; the first test below
// fails instead, so a build where the features are expected cannot pass
// by skipping.
#define NEED_FEATURE(bit)                                                                  \
	do {                                                                               \
		if (!(features() & (bit))) {                                               \
			WARN("module lacks " #bit ": test skipped");                       \
			return;                                                            \
		}                                                                          \
	} while (0)

TEST_CASE("The module reports every feature libmailbox wraps", "[device][issue6][version]")
{
	auto f = features();
	CHECK((f & MAILBOX_FEATURE_PRIORITIES));
	CHECK((f & MAILBOX_FEATURE_SELECTIVE));
	CHECK((f & MAILBOX_FEATURE_PULSES));
	CHECK((f & MAILBOX_FEATURE_IOV));
	CHECK((f & MAILBOX_FEATURE_OOL));
}

TEST_CASE("Messages are received highest priority first, FIFO within a priority",
	  "[device][issue6][priority]")
{
	NEED_FEATURE(MAILBOX_FEATURE_PRIORITIES);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		const std::pair<std::int32_t, std::uint32_t> sent[] = {
			{1, 0}, {2, 5}, {3, 5}, {4, MAILBOX_PRIO_MAX}, {5, 0}};
		for (auto [id, prio] : sent) {
			SendOptions o;
			o.priority = prio;
			REQUIRE(f.space.send(send->get(), text_message(out, id, "p"),
					     MAILBOX_MSG_TYPE_COPY_SEND, o));
		}
		const std::pair<std::int32_t, std::uint32_t> want[] = {
			{4, MAILBOX_PRIO_MAX}, {2, 5}, {3, 5}, {1, 0}, {5, 0}};
		for (auto [id, prio] : want) {
			ReceiveOptions ro;
			ro.rcv_timeout = 0ns;
			auto v = port->receive(in.span(), ro);
			REQUIRE(v);
			CHECK(v->id() == id);
			CHECK(v->priority() == prio);
		}

		SECTION("a priority above MAILBOX_PRIO_MAX is EINVAL and queues nothing")
		{
			SendOptions o;
			o.priority = MAILBOX_PRIO_MAX + 1;
			auto r = f.space.send(send->get(), text_message(out, 6, "p"),
					      MAILBOX_MSG_TYPE_COPY_SEND, o);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EINVAL);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_OPTIONS);
			CHECK(port->attributes()->msgcount == 0);
		}
		SECTION("call sends with a priority and reports the reply's")
		{
			auto reply = f.space.allocate_receive();
			REQUIRE(reply);
			Server<128> server(f.space, *port);
			std::uint32_t seen = 0;
			server.on(8, [&](const MessageView &req, MessageBuilder &) {
				seen = req.priority();
				return true;
			});
			std::thread t([&] { (void)server.run_once(5s); });
			SendOptions o;
			o.priority = 77;
			o.send_timeout = 5s;
			ReceiveOptions ro;
			ro.rcv_timeout = 5s;
			MessageBuilder b(out, 8);
			auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					      reply->get(), in.span(), o, ro);
			t.join();
			REQUIRE(v);
			CHECK(seen == 77);
			CHECK(v->priority() == 0); // the server replies at the default
		}
	}
	f.check_no_names_left();
}

TEST_CASE("A filter receives the first matching message and leaves the rest",
	  "[device][issue6][filter]")
{
	NEED_FEATURE(MAILBOX_FEATURE_SELECTIVE);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		for (std::int32_t id : {10, 20, 30, 0x120})
			REQUIRE(f.space.send(send->get(), text_message(out, id, "f"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
		auto take = [&](const ReceiveFilter &flt) {
			ReceiveOptions o;
			o.rcv_timeout = 0ns;
			o.filter = &flt;
			return port->receive(in.span(), o);
		};
		auto a = take(ReceiveFilter().id(20));
		REQUIRE(a);
		CHECK(a->id() == 20);
		auto b = take(ReceiveFilter().id_range(25, 40));
		REQUIRE(b);
		CHECK(b->id() == 30);
		auto c = take(ReceiveFilter().id(0xf00, 0x100).sender(::getpid()));
		REQUIRE(c);
		CHECK(c->id() == 0x120);
		auto none = take(ReceiveFilter().sender(1));
		REQUIRE_FALSE(none);
		CHECK(none.error() == std::errc::resource_unavailable_try_again);
		CHECK(status_of(none.error()) == MAILBOX_RCV_TIMED_OUT);
		auto bad = take(ReceiveFilter().id(0xff, 0x100)); // value outside the mask
		REQUIRE_FALSE(bad);
		CHECK(errno_of(bad.error()) == EINVAL);
		auto rest = port->receive(in.span(), 0ns);
		REQUIRE(rest);
		CHECK(rest->id() == 10);
	}
	f.check_no_names_left();
}

TEST_CASE("Peek copies a message out and leaves it queued, rights included",
	  "[device][issue6][peek]")
{
	NEED_FEATURE(MAILBOX_FEATURE_SELECTIVE);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto gift = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(gift);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<128> out, in;
		MessageBuilder b(out, 41);
		b.port<Disposition::make_send>(*gift).put<std::uint32_t>(99);
		REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(f.space.send(send->get(), text_message(out, 42, "second"),
				     MAILBOX_MSG_TYPE_COPY_SEND));

		ReceiveOptions po;
		po.rcv_timeout = 0ns;
		auto p = f.space.peek(port->get(), in.span(), po);
		REQUIRE(p);
		CHECK(p->id() == 41);
		CHECK(p->reader().get<std::uint32_t>() == 99u);
		CHECK(p->descriptor(0)->name == MAILBOX_PORT_NULL); // the right stays queued
		CHECK(port->attributes()->msgcount == 2);
		auto flt = ReceiveFilter().id(42);
		po.filter = &flt;
		auto p2 = f.space.peek(port->get(), in.span(), po);
		REQUIRE(p2);
		CHECK(p2->id() == 42);

		auto r = port->receive(in.span(), 0ns);
		REQUIRE(r);
		CHECK(r->id() == 41);
		auto right = adopt<SendRight>(f.space, *r->descriptor(0));
		REQUIRE(right);
		CHECK(right->get() == gift->get());
	}
	f.check_no_names_left();
}

TEST_CASE("Pulses: typed delivery, their own lane, coalescing and drops",
	  "[device][issue6][pulse]")
{
	NEED_FEATURE(MAILBOX_FEATURE_PULSES);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(port->set_qlimit(1));
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		REQUIRE(f.space.send(send->get(), text_message(out, 1, "full"),
				     MAILBOX_MSG_TYPE_COPY_SEND));
		// The queue is full; pulses do not count against it.
		REQUIRE(send->pulse(7, 0xabc, 3));
		REQUIRE(f.space.pulse(send->get(), 8, 1));
		auto attr = port->attributes();
		REQUIRE(attr);
		CHECK(attr->msgcount == 1);
		CHECK(attr->pulses_queued == 2);

		auto v = port->receive(in.span(), 0ns);
		REQUIRE(v);
		auto p = as_pulse(*v);
		REQUIRE(p); // priority 3 goes first
		CHECK(*p == Pulse{7, 3, 0xabc, 1, 0});
		CHECK(v->priority() == 3);
		CHECK(v->local_port() == port->get());
		std::vector<std::int32_t> rest;
		while (auto m = port->receive(in.span(), 0ns))
			rest.push_back(m->id());
		CHECK(rest.size() == 2); // the message and pulse 8, in some order

		SECTION("a full lane coalesces pulses of the same code and priority")
		{
			for (unsigned i = 0; i < MAILBOX_PULSE_LANE + 8; i++)
				REQUIRE(send->pulse(5, i));
			std::uint32_t total = 0, last_value = 0;
			while (auto m = port->receive(in.span(), 0ns)) {
				auto q = as_pulse(*m);
				REQUIRE(q);
				total += q->count;
				last_value = static_cast<std::uint32_t>(q->value);
			}
			CHECK(total == MAILBOX_PULSE_LANE + 8);
			CHECK(last_value == MAILBOX_PULSE_LANE + 7);
		}
		SECTION("a full lane with nothing to coalesce drops and says so")
		{
			for (int i = 0; i < static_cast<int>(MAILBOX_PULSE_LANE) + 3; i++)
				REQUIRE(send->pulse(100 + i, 0));
			CHECK(port->attributes()->pulses_dropped == 3);
			std::uint32_t dropped = 0, got = 0;
			while (auto m = port->receive(in.span(), 0ns)) {
				auto q = as_pulse(*m);
				REQUIRE(q);
				dropped += q->dropped;
				got++;
			}
			CHECK(got == MAILBOX_PULSE_LANE);
			CHECK(dropped == 3);
		}
		SECTION("errors")
		{
			auto so = port->make_send_once();
			REQUIRE(so);
			auto r = f.space.pulse(so->get(), 1, 1);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EPERM);
			auto hi = send->pulse(1, 1, MAILBOX_PRIO_MAX + 1);
			REQUIRE_FALSE(hi);
			CHECK(errno_of(hi.error()) == EINVAL);
			auto unknown = f.space.pulse(0x7fff01, 1, 1);
			REQUIRE_FALSE(unknown);
			CHECK(errno_of(unknown.error()) == ENOENT);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Scatter/gather: a message sent from segments, received into segments",
	  "[device][issue6][iov]")
{
	NEED_FEATURE(MAILBOX_FEATURE_IOV);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		// Header split over two segments, payload over two more.
		mailbox_msg_header h{};
		h.id = 61;
		std::array<std::byte, 24> hb;
		std::memcpy(hb.data(), &h, sizeof(h));
		std::vector<std::byte> p1(100, std::byte{1}), p2(1000, std::byte{2});
		std::array<std::span<const std::byte>, 4> segs{
			std::span<const std::byte>(hb).first(10), std::span<const std::byte>(hb).subspan(10),
			std::span<const std::byte>(p1), std::span<const std::byte>(p2)};
		// With priorities the gathered send carries one too.
		const std::uint32_t prio = (features() & MAILBOX_FEATURE_PRIORITIES) ? 4 : 0;
		SendOptions o;
		o.priority = prio;
		REQUIRE(f.space.send_gather(send->get(), segs, MAILBOX_MSG_TYPE_COPY_SEND, o));
		CHECK(hb == [&] {
			std::array<std::byte, 24> c;
			std::memcpy(c.data(), &h, sizeof(h));
			return c;
		}()); // the caller's header bytes are unchanged

		SECTION("received into one buffer")
		{
			MessageBuffer<2048> in;
			auto v = port->receive(in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->id() == 61);
			CHECK(v->priority() == prio);
			REQUIRE(v->body().size() == 1100);
			CHECK(v->body()[99] == std::byte{1});
			CHECK(v->body()[100] == std::byte{2});
		}
		SECTION("received into segments")
		{
			std::array<std::byte, 64> first{};
			std::vector<std::byte> second(2000);
			std::array<std::span<std::byte>, 2> rsegs{std::span<std::byte>(first),
								  std::span<std::byte>(second)};
			auto r = f.space.receive_scatter(port->get(), rsegs, {0ns});
			REQUIRE(r);
			CHECK(r->size == 24 + 1100);
			CHECK(r->header.id == 61);
			CHECK(r->header.size == 24 + 1100);
			CHECK(r->priority == prio);
			CHECK(first[24] == std::byte{1});
			CHECK(second[100 - 40 - 1] == std::byte{1});
			CHECK(second[100 - 40] == std::byte{2});
			CHECK(second[1100 - 40 - 1] == std::byte{2});
		}
		SECTION("segments too small: EMSGSIZE with the size needed")
		{
			std::array<std::byte, 64> first{};
			std::array<std::span<std::byte>, 1> rsegs{std::span<std::byte>(first)};
			ReceiveOptions ro;
			ro.rcv_timeout = 0ns;
			ro.options = MAILBOX_MSG_RCV_LARGE;
			auto r = f.space.receive_scatter(port->get(), rsegs, ro);
			REQUIRE_FALSE(r);
			CHECK(status_of(r.error()) == MAILBOX_RCV_TOO_LARGE);
			CHECK(port->attributes()->msgcount == 1);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Out-of-line memory arrives in a mapping the receiver owns",
	  "[device][issue6][ool]")
{
	NEED_FEATURE(MAILBOX_FEATURE_OOL);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		std::vector<std::byte> big(300000);
		for (std::size_t i = 0; i < big.size(); i++)
			big[i] = static_cast<std::byte>(i * 7);
		MessageBuffer<128> out, in;
		MessageBuilder b(out, 71);
		b.ool(big).ool({}).put<std::uint32_t>(5);
		REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		big[0] = std::byte{0xff}; // copied at send time

		auto v = port->receive(in.span(), 0ns);
		REQUIRE(v);
		REQUIRE(v->descriptor_count() == 2);
		auto d = *v->descriptor(0);
		CHECK(d.is_ool());
		CHECK(d.size == big.size());
		void *addr = reinterpret_cast<void *>(static_cast<std::uintptr_t>(d.address));
		{
			OolRegion region = adopt_ool(d);
			REQUIRE(region);
			REQUIRE(region.size() == big.size());
			CHECK(region.data()[0] == std::byte{0});
			CHECK(std::memcmp(region.data().data() + 1, big.data() + 1, big.size() - 1) == 0);
			region.data()[5] = std::byte{1}; // writable
		}
		unsigned char vec;
		CHECK(::mincore(addr, 1, &vec) != 0); // unmapped by the region
		CHECK(v->descriptor(1)->address == 0); // size 0: no mapping
		CHECK_FALSE(adopt_ool(*v->descriptor(1)));
		CHECK(v->reader().get<std::uint32_t>() == 5u);

		SECTION("deallocate unmaps the sender's pages once queued")
		{
			long page = ::sysconf(_SC_PAGESIZE);
			void *src = ::mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			REQUIRE(src != MAP_FAILED);
			std::memset(src, 0x33, 4 * page);
			MessageBuilder db(out, 72);
			db.ool({static_cast<const std::byte *>(src), static_cast<std::size_t>(4 * page)},
			       true);
			REQUIRE(f.space.send(send->get(), db.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
			CHECK(::mincore(src, page, &vec) != 0);
			auto m = port->receive(in.span(), 0ns);
			REQUIRE(m);
			auto r = adopt_ool(*m->descriptor(0));
			REQUIRE(r.size() == static_cast<std::size_t>(4 * page));
			CHECK(r.data()[4 * page - 1] == std::byte{0x33});
		}
	}
	f.check_no_names_left();
}

TEST_CASE("An out-of-line buffer given away moves to the receiver, and back",
	  "[device][ool][move]")
{
	NEED_FEATURE(MAILBOX_FEATURE_OOL_MOVE);
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		const std::size_t size = 3 * 4096 + 10;
		auto buf = f.space.ool_buffer(size);
		REQUIRE(buf);
		for (std::size_t i = 0; i < size; i++)
			buf->data()[i] = static_cast<std::byte>(i * 5);
		MessageBuffer<128> out, in;

		SECTION("a failed send leaves the buffer with the sender")
		{
			REQUIRE(port->set_qlimit(1));
			MessageBuilder first(out, 80);
			REQUIRE(f.space.send(send->get(), first.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
			MessageBuilder b(out, 81);
			b.give(*buf);
			auto r = f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					      MAILBOX_PORT_NULL, 0, 0ns);
			REQUIRE_FALSE(r);
			CHECK(r.error() == std::errc::resource_unavailable_try_again);
			CHECK(buf->data()[size - 1] == static_cast<std::byte>((size - 1) * 5));
			buf->data()[0] = std::byte{1}; // still the sender's, writable
		}
		SECTION("a sent buffer is the receiver's, shared, and moves on")
		{
			MessageBuilder b(out, 82);
			b.give(*buf);
			REQUIRE(f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
			(void)buf->release(); // gone from the sender
			auto v = port->receive(in.span(), 0ns);
			REQUIRE(v);
			OolRegion got = adopt_ool(*v->descriptor(0));
			REQUIRE(got.size() == size);
			CHECK(got.data()[size - 1] == static_cast<std::byte>((size - 1) * 5));
			got.data()[0] = std::byte{9};

			MessageBuilder b2(out, 83);
			b2.give(got);
			REQUIRE(f.space.send(send->get(), b2.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
			(void)got.release();
			auto v2 = port->receive(in.span(), 0ns);
			REQUIRE(v2);
			OolRegion again = adopt_ool(*v2->descriptor(0));
			REQUIRE(again.size() == size);
			CHECK(again.data()[0] == std::byte{9});
			CHECK(again.data()[1] == std::byte{5});
		}
	}
	f.check_no_names_left();
}

TEST_CASE("An out-of-line buffer of size 0 is refused", "[device][ool][move]")
{
	NEED_FEATURE(MAILBOX_FEATURE_OOL_MOVE);
	SpaceFixture f;
	auto buf = f.space.ool_buffer(0);
	REQUIRE_FALSE(buf);
	CHECK(errno_of(buf.error()) == EINVAL);
}
