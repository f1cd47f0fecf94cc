// SPDX-License-Identifier: LGPL-2.1-or-later
// The zero-allocation guarantee: after set-up, send, receive, call, a port
// set receive, the event loop and the server loop's steady state allocate
// nothing. Every operator new of the test binary is counted while
// counting is on (all threads); libmailbox's C++ code allocates only
// through operator new (it never calls malloc directly).
#include "fixture.hpp"

#include <mailbox/event_loop.hpp>
#include <mailbox/notify.hpp>
#include <mailbox/server.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

namespace {
std::atomic<bool> counting{false};
std::atomic<unsigned long> allocations{0};

void *counted_alloc(std::size_t n)
{
	if (counting.load(std::memory_order_relaxed))
		allocations.fetch_add(1, std::memory_order_relaxed);
	if (void *p = std::malloc(n ? n : 1))
		return p;
	throw std::bad_alloc();
}

// Counts what happens between construction and stop().
struct AllocationWindow {
	unsigned long start;
	AllocationWindow() : start(allocations.load())
	{
		counting = true;
	}
	unsigned long stop()
	{
		counting = false;
		return allocations.load() - start;
	}
};
} // namespace

void *operator new(std::size_t n)
{
	return counted_alloc(n);
}
void *operator new[](std::size_t n)
{
	return counted_alloc(n);
}
void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
	if (counting.load(std::memory_order_relaxed))
		allocations.fetch_add(1, std::memory_order_relaxed);
	return std::malloc(n ? n : 1);
}
void *operator new[](std::size_t n, const std::nothrow_t &t) noexcept
{
	return operator new(n, t);
}
void operator delete(void *p) noexcept
{
	std::free(p);
}
void operator delete[](void *p) noexcept
{
	std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
	std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept
{
	std::free(p);
}

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;

TEST_CASE("The allocation counter sees an allocation", "[device][alloc]")
{
	AllocationWindow w;
	auto *p = new int(1);
	auto n = w.stop();
	delete p;
	CHECK(n == 1);
}

TEST_CASE("send, receive, a set receive and a descriptor round trip allocate nothing",
	  "[device][alloc]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto set = f.space.allocate_port_set();
		auto member = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(set);
		REQUIRE(member);
		REQUIRE(set->add(*member));
		auto send = port->make_send();
		auto msend = member->make_send();
		REQUIRE(send);
		REQUIRE(msend);
		MessageBuffer<256> out, in;
		int failures = 0;
		std::uint64_t sum = 0;

		AllocationWindow w;
		for (std::uint64_t i = 0; i < 200; i++) {
			MessageBuilder b(out, static_cast<std::int32_t>(i));
			b.put<std::uint64_t>(i).put_string("steady state");
			failures += !f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND);
			auto v = port->receive(in.span(), 0ns, MAILBOX_MSG_RCV_TRAILER);
			if (!v) {
				failures++;
				continue;
			}
			auto r = v->reader();
			sum += r.get<std::uint64_t>().value_or(0);
			failures += !r.get_string();
			failures += !v->trailer();

			// A complex message through a set: one send right travels.
			MessageBuilder c(out, 1);
			c.port(port->get(), Disposition::make_send).put<std::uint32_t>(7);
			failures += !f.space.send(msend->get(), c.finish(), MAILBOX_MSG_TYPE_COPY_SEND);
			auto sv = set->receive(in.span(), 0ns);
			if (!sv) {
				failures++;
				continue;
			}
			for (const Descriptor &d : sv->descriptors())
				failures += !f.space.deallocate(d.name);
			failures += !!parse_notification(*sv);
			// Errors allocate nothing either.
			failures += !!port->receive(in.span(), 0ns);
		}
		auto n = w.stop();
		CHECK(n == 0);
		CHECK(failures == 0);
		CHECK(sum == 199 * 200 / 2);
	}
	f.check_no_names_left();
}

TEST_CASE("call and the server loop's steady state allocate nothing", "[device][alloc][server]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto reply = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(reply);
		auto send = port->make_send();
		REQUIRE(send);
		Server<256> server(f.space, *port);
		server.on(1, [](const MessageView &req, MessageBuilder &out) {
			auto x = req.reader().get<std::uint32_t>();
			out.put<std::uint32_t>(x.value_or(0) + 1);
			return true;
		});
		server.on(2, [&](const MessageView &, MessageBuilder &) {
			server.stop();
			return false;
		});
		std::error_code run_error;
		std::thread t([&] {
			if (auto r = server.run(10s); !r)
				run_error = r.error();
		});
		MessageBuffer<256> req, rep;
		// Warm up: the first call through the server.
		{
			MessageBuilder b(req, 1);
			b.put<std::uint32_t>(0);
			REQUIRE(f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					     reply->get(), rep.span(), 5s, 5s));
		}
		int failures = 0;
		AllocationWindow w;
		for (std::uint32_t i = 0; i < 200; i++) {
			MessageBuilder b(req, 1);
			b.put<std::uint32_t>(i);
			auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					      reply->get(), rep.span(), 5s, 5s);
			if (!v || v->reader().get<std::uint32_t>() != i + 1)
				failures++;
		}
		auto n = w.stop();
		MessageBuilder quit(req, 2);
		REQUIRE(f.space.send(send->get(), quit.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
		t.join();
		CHECK(n == 0);
		CHECK(failures == 0);
		CHECK_FALSE(run_error);
		CHECK(server.handled() == 202);
	}
	f.check_no_names_left();
}

TEST_CASE("The event loop's dispatch allocates nothing after its watches are set up",
	  "[device][alloc][event_loop]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(port->set_qlimit(16));
		auto send = port->make_send();
		REQUIRE(send);
		EventLoop loop;
		unsigned got = 0;
		REQUIRE(loop.watch_port(f.space, port->get(), [&](const MessageView &) { got++; }));
		MessageBuffer<64> out;
		int failures = 0;
		AllocationWindow w;
		for (int i = 0; i < 100; i++) {
			MessageBuilder b(out, i);
			failures += !f.space.send(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND);
			auto r = loop.run_once(5s);
			failures += !r || *r != 1;
		}
		auto n = w.stop();
		CHECK(n == 0);
		CHECK(failures == 0);
		CHECK(got == 100);
	}
	f.check_no_names_left();
}

TEST_CASE("Priorities, filters, peek, pulses and gather/scatter allocate nothing",
	  "[device][alloc][issue6]")
{
	auto probe = Space::open();
	REQUIRE(probe);
	auto feats = probe->version()->features;
	const std::uint64_t need = MAILBOX_FEATURE_PRIORITIES | MAILBOX_FEATURE_SELECTIVE |
				   MAILBOX_FEATURE_PULSES | MAILBOX_FEATURE_IOV;
	if ((feats & need) != need) {
		WARN("module lacks an issue 6 feature: test skipped");
		return;
	}
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(port->set_qlimit(8));
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<256> out, in;
		std::array<std::byte, 32> seg1{}, seg2{};
		std::array<std::span<std::byte>, 2> rsegs{std::span<std::byte>(seg1),
							  std::span<std::byte>(seg2)};
		auto filter = ReceiveFilter().id_range(100, 200);
		int failures = 0;

		AllocationWindow w;
		for (std::int32_t i = 0; i < 100; i++) {
			SendOptions so;
			so.priority = static_cast<std::uint32_t>(i % 3);
			MessageBuilder b(out, 100 + i);
			b.put<std::int32_t>(i);
			auto msg = b.finish();
			failures += !f.space.send(send->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND, so);
			ReceiveOptions ro;
			ro.rcv_timeout = std::chrono::nanoseconds(0);
			ro.filter = &filter;
			failures += !f.space.peek(port->get(), in.span(), ro);
			auto v = port->receive(in.span(), ro);
			failures += !v || v->priority() != so.priority;
			failures += !send->pulse(i, 1, 1);
			auto p = port->receive(in.span(), ro.rcv_timeout, 0);
			failures += !p || !as_pulse(*p);
			std::array<std::span<const std::byte>, 1> gsegs{std::span<const std::byte>(msg)};
			failures += !f.space.send_gather(send->get(), gsegs, MAILBOX_MSG_TYPE_COPY_SEND);
			failures += !f.space.receive_scatter(port->get(), rsegs, ro);
		}
		auto n = w.stop();
		CHECK(n == 0);
		CHECK(failures == 0);
	}
	f.check_no_names_left();
}
