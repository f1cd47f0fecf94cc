// SPDX-License-Identifier: LGPL-2.1-or-later
// Space against the real module: open, version, names, type.
#include "fixture.hpp"

#include <fcntl.h>

using namespace mailbox;
using mbtest::SpaceFixture;

TEST_CASE("The module reports ABI 1.0 with every core feature", "[device][space][version]")
{
	SpaceFixture f;
	auto v = f.space.version();
	REQUIRE(v);
	CHECK(v->abi_major == MAILBOX_ABI_MAJOR);
	CHECK(v->abi_minor == MAILBOX_ABI_MINOR);
	CHECK((v->features & MAILBOX_FEATURE_PORTS) != 0);
	CHECK((v->features & MAILBOX_FEATURE_MSG) != 0);
	CHECK((v->features & MAILBOX_FEATURE_TRAILER) != 0);
	CHECK((v->features & MAILBOX_FEATURE_FOREIGN_INSERT) != 0);
	CHECK(v->qlimit_default == MAILBOX_QLIMIT_DEFAULT);
	CHECK(v->qlimit_max >= v->qlimit_default);
	CHECK(v->max_msg_size >= 65536 + header_size);
	CHECK(v->max_names > 0);
	for (auto r : v->reserved)
		CHECK(r == 0);
}

TEST_CASE("A new space has no names", "[device][space][names]")
{
	SpaceFixture f;
	CHECK(f.before.empty());
}

TEST_CASE("Names lists every name in ascending order with its type", "[device][space][names]")
{
	SpaceFixture f;
	{
		auto a = f.space.allocate_receive();
		auto b = f.space.allocate_receive();
		auto d = f.space.allocate_dead_name();
		REQUIRE(a);
		REQUIRE(b);
		REQUIRE(d);
		auto s = a->make_send();
		REQUIRE(s);
		auto n = f.space.names();
		REQUIRE(n);
		REQUIRE(n->size() == 3);
		for (std::size_t i = 1; i < n->size(); i++)
			CHECK(MAILBOX_NAME_INDEX((*n)[i - 1].name) < MAILBOX_NAME_INDEX((*n)[i].name));
		for (auto &e : *n) {
			if (e.name == a->get())
				CHECK(e.type == (MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND));
			else if (e.name == b->get())
				CHECK(e.type == MAILBOX_PORT_TYPE_RECEIVE);
			else
				CHECK(e.type == MAILBOX_PORT_TYPE_DEAD_NAME);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Names never hands out the null or the dead name", "[device][space][names]")
{
	SpaceFixture f;
	{
		std::vector<ReceiveRight> ports;
		for (int i = 0; i < 64; i++) {
			auto r = f.space.allocate_receive();
			REQUIRE(r);
			CHECK(r->get() != MAILBOX_PORT_NULL);
			CHECK(r->get() != MAILBOX_PORT_DEAD);
			ports.push_back(std::move(*r));
		}
		auto n = f.space.names();
		REQUIRE(n);
		CHECK(n->size() == 64);
	}
	f.check_no_names_left();
}

TEST_CASE("A reused index gets a new generation so a stale name stays invalid",
	  "[device][space][names]")
{
	SpaceFixture f;
	auto a = f.space.allocate_receive();
	REQUIRE(a);
	std::uint32_t stale = a->get();
	a->reset();
	auto b = f.space.allocate_receive();
	REQUIRE(b);
	CHECK(b->get() != stale);
	auto t = f.space.type(stale);
	REQUIRE_FALSE(t);
	CHECK(t.error() == std::errc::no_such_file_or_directory);
	b->reset();
	f.check_no_names_left();
}

TEST_CASE("Type of an unknown, null or dead name is ENOENT", "[device][space][errno]")
{
	SpaceFixture f;
	for (std::uint32_t name : {MAILBOX_PORT_NULL, MAILBOX_PORT_DEAD, 0x12345u}) {
		INFO("name " << std::hex << name);
		auto t = f.space.type(name);
		REQUIRE_FALSE(t);
		CHECK(errno_of(t.error()) == ENOENT);
	}
}

TEST_CASE("Two opens are two spaces that do not see each other's names", "[device][space]")
{
	SpaceFixture f, g;
	auto a = f.space.allocate_receive();
	REQUIRE(a);
	auto n = g.space.names();
	REQUIRE(n);
	CHECK(n->empty());
	a->reset();
	f.check_no_names_left();
}

TEST_CASE("Closing a space destroys its ports and senders elsewhere see dead names",
	  "[device][space][lifetime]")
{
	SpaceFixture f;
	auto other = Space::open();
	REQUIRE(other);
	auto port = other->allocate_receive();
	REQUIRE(port);
	auto send = port->make_send_in(f.space);
	REQUIRE(send);
	CHECK(mbtest::types_of(f.space, send->get()) == MAILBOX_PORT_TYPE_SEND);

	(void)port->release(); // dies with its space
	other->reset();

	auto t = f.space.type(send->get());
	REQUIRE(t);
	CHECK(t->type == MAILBOX_PORT_TYPE_DEAD_NAME);
	CHECK(t->dead_urefs == 1);
	CHECK(t->send_urefs == 0);
	send->reset(); // releases the dead name's uref
	f.check_no_names_left();
}

TEST_CASE("Library spaces are close-on-exec and honour extra open flags", "[device][space]")
{
	auto s = Space::open(device_path, O_NONBLOCK);
	REQUIRE(s);
	int fdflags = ::fcntl(s->fd(), F_GETFD);
	int flflags = ::fcntl(s->fd(), F_GETFL);
	CHECK((fdflags & FD_CLOEXEC) != 0);
	CHECK((flflags & O_NONBLOCK) != 0);
	CHECK((flflags & O_ACCMODE) == O_RDWR);
}
