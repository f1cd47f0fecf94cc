// SPDX-License-Identifier: LGPL-2.1-or-later
// EventLoop on plain fds (pipes), without a device: dispatch, unwatch from a
// callback, stop, timeouts and errors.
#include <catch2/catch.hpp>

#include <mailbox/event_loop.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

using namespace mailbox;
using namespace std::chrono_literals;

namespace {

struct Pipe {
	int fds[2] = {-1, -1};
	Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0); }
	~Pipe()
	{
		::close(fds[0]);
		::close(fds[1]);
	}
	void put() const { REQUIRE(::write(fds[1], "x", 1) == 1); }
	void take() const
	{
		char c;
		REQUIRE(::read(fds[0], &c, 1) == 1);
	}
};

} // namespace

TEST_CASE("An event loop dispatches ready fds to their handlers", "[event_loop]")
{
	auto loop = EventLoop::create();
	REQUIRE(loop);
	REQUIRE(loop->valid());
	Pipe a, b;
	int got_a = 0, got_b = 0;
	auto wa = loop->watch_fd(a.fds[0], EPOLLIN, [&](std::uint32_t ev) {
		CHECK((ev & EPOLLIN));
		a.take();
		got_a++;
	});
	auto wb = loop->watch_fd(b.fds[0], EPOLLIN, [&](std::uint32_t) {
		b.take();
		got_b++;
	});
	REQUIRE(wa);
	REQUIRE(wb);
	CHECK(*wa != *wb);
	CHECK(loop->size() == 2);

	SECTION("nothing ready: a zero wait returns 0")
	{
		auto n = loop->run_once(0ns);
		REQUIRE(n);
		CHECK(*n == 0);
	}
	SECTION("each ready fd's handler runs once per wake-up")
	{
		a.put();
		b.put();
		auto n = loop->run_once(1s);
		REQUIRE(n);
		CHECK(*n == 2);
		CHECK(got_a == 1);
		CHECK(got_b == 1);
	}
	SECTION("an unwatched fd is no longer dispatched")
	{
		REQUIRE(loop->unwatch(*wa));
		CHECK(loop->size() == 1);
		a.put();
		auto n = loop->run_once(0ns);
		REQUIRE(n);
		CHECK(*n == 0);
		CHECK(got_a == 0);
		auto again = loop->unwatch(*wa);
		REQUIRE_FALSE(again);
		CHECK(again.error() == std::errc::no_such_file_or_directory);
	}
}

TEST_CASE("A handler may unwatch itself and others, and stop the loop", "[event_loop]")
{
	EventLoop loop;
	REQUIRE(loop.valid());
	Pipe a, b;
	int calls = 0;
	EventLoop::WatchId ida = 0, idb = 0;
	auto wa = loop.watch_fd(a.fds[0], EPOLLIN, [&](std::uint32_t) {
		calls++;
		CHECK(loop.unwatch(ida));
		CHECK(loop.unwatch(idb)); // b's event in this batch is skipped
	});
	auto wb = loop.watch_fd(b.fds[0], EPOLLIN, [&](std::uint32_t) {
		calls++;
		CHECK(loop.unwatch(ida));
		CHECK(loop.unwatch(idb));
	});
	REQUIRE(wa);
	REQUIRE(wb);
	ida = *wa;
	idb = *wb;
	a.put();
	b.put();
	REQUIRE(loop.run_once(1s));
	CHECK(calls == 1);
	CHECK(loop.size() == 0);
	// run() with nothing watched returns at once.
	CHECK(loop.run());

	SECTION("stop ends run after the current handler")
	{
		Pipe c;
		int n = 0;
		REQUIRE(loop.watch_fd(c.fds[0], EPOLLIN, [&](std::uint32_t) {
			n++;
			loop.stop();
		}));
		c.put();
		REQUIRE(loop.run());
		CHECK(n == 1);
	}
}

TEST_CASE("Event loop errors", "[event_loop][errno]")
{
	EventLoop loop;
	SECTION("watching a bad fd is EBADF")
	{
		auto w = loop.watch_fd(-1, EPOLLIN, [](std::uint32_t) {});
		REQUIRE_FALSE(w);
		CHECK(w.error() == std::errc::bad_file_descriptor);
		CHECK(loop.size() == 0);
	}
	SECTION("watching the same fd twice is EEXIST")
	{
		Pipe p;
		REQUIRE(loop.watch_fd(p.fds[0], EPOLLIN, [](std::uint32_t) {}));
		auto w = loop.watch_fd(p.fds[0], EPOLLIN, [](std::uint32_t) {});
		REQUIRE_FALSE(w);
		CHECK(w.error() == std::errc::file_exists);
		CHECK(loop.size() == 1);
	}
	SECTION("watching a port of a space that is not a mailbox fails from the ioctl")
	{
		Space s(::open("/dev/null", O_RDWR | O_CLOEXEC));
		auto w = loop.watch_port(s, 0x105, [](const MessageView &) {});
		REQUIRE_FALSE(w);
		CHECK(errno_of(w.error()) == ENOTTY);
		auto tiny = loop.watch_port(s, 0x105, [](const MessageView &) {}, {}, 8);
		REQUIRE_FALSE(tiny);
		CHECK(tiny.error() == std::errc::invalid_argument);
	}
	SECTION("a moved-from loop is invalid and refuses work")
	{
		EventLoop other(std::move(loop));
		CHECK(other.valid());
		CHECK_FALSE(loop.valid());
		auto n = loop.run_once(0ns);
		REQUIRE_FALSE(n);
		CHECK(n.error() == std::errc::bad_file_descriptor);
	}
}
