// SPDX-License-Identifier: LGPL-2.1-or-later
// The owning right types against the real module.
#include "fixture.hpp"

using namespace mailbox;
using mbtest::SpaceFixture;
using mbtest::types_of;

TEST_CASE("A new receive right is a name with only a receive right", "[device][right][receive]")
{
	SpaceFixture f;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);
		auto t = r->type();
		REQUIRE(t);
		CHECK(t->type == MAILBOX_PORT_TYPE_RECEIVE);
		CHECK(t->send_urefs == 0);
		CHECK(t->dead_urefs == 0);

		auto a = r->attributes();
		REQUIRE(a);
		CHECK(a->qlimit == MAILBOX_QLIMIT_DEFAULT);
		CHECK(a->msgcount == 0);
		CHECK(a->seqno == 0);
		CHECK(a->mscount == 0);
		CHECK(a->sorights == 0);
		CHECK(a->has_senders == 0);
	}
	f.check_no_names_left();
}

TEST_CASE("set_port_flags sets every port flag at once; unknown bits are EINVAL",
	  "[device][right][receive]")
{
	SpaceFixture f;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);
		REQUIRE(r->set_port_flags(MAILBOX_PORT_FLAG_BATCH_WAKE));
		CHECK(r->attributes()->port_flags == MAILBOX_PORT_FLAG_BATCH_WAKE);
		REQUIRE(r->set_port_flags(MAILBOX_PORT_FLAG_PRIO_INHERIT));
		CHECK(r->attributes()->port_flags == MAILBOX_PORT_FLAG_PRIO_INHERIT);
		auto bad = r->set_port_flags(MAILBOX_PORT_FLAGS_ALL + 1);
		REQUIRE_FALSE(bad);
		CHECK(bad.error() == std::errc::invalid_argument);
		CHECK(r->attributes()->port_flags == MAILBOX_PORT_FLAG_PRIO_INHERIT);
		REQUIRE(r->set_port_flags(0));
		CHECK(r->attributes()->port_flags == 0);
	}
	f.check_no_names_left();
}

TEST_CASE("Resetting a receive right destroys the port and its name", "[device][right][receive]")
{
	SpaceFixture f;
	auto r = f.space.allocate_receive();
	REQUIRE(r);
	std::uint32_t name = r->get();
	r->reset();
	CHECK_FALSE(*r);
	auto t = f.space.type(name);
	REQUIRE_FALSE(t);
	CHECK(t.error() == std::errc::no_such_file_or_directory);
	f.check_no_names_left();
}

TEST_CASE("make_send adds a send right under the receive right's name", "[device][right][send]")
{
	SpaceFixture f;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);
		auto s = r->make_send();
		REQUIRE(s);
		CHECK(s->get() == r->get());
		auto t = r->type();
		REQUIRE(t);
		CHECK(t->type == (MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND));
		CHECK(t->send_urefs == 1);
		auto a = r->attributes();
		REQUIRE(a);
		CHECK(a->mscount == 1);
		CHECK(a->has_senders == 1);

		SECTION("a second make_send adds a uref")
		{
			auto s2 = r->make_send();
			REQUIRE(s2);
			CHECK(s2->get() == r->get());
			CHECK(r->type()->send_urefs == 2);
			s2->reset();
			CHECK(r->type()->send_urefs == 1);
		}
		SECTION("copy adds a uref and resetting the copy gives it back")
		{
			auto c = s->copy();
			REQUIRE(c);
			CHECK(c->get() == s->get());
			CHECK(r->type()->send_urefs == 2);
			c->reset();
			CHECK(r->type()->send_urefs == 1);
		}
		SECTION("resetting the last send right leaves the receive right")
		{
			s->reset();
			auto t2 = r->type();
			REQUIRE(t2);
			CHECK(t2->type == MAILBOX_PORT_TYPE_RECEIVE);
			CHECK(r->attributes()->has_senders == 0);
		}
		SECTION("resetting the receive right leaves a dead name")
		{
			std::uint32_t name = r->get();
			r->reset();
			auto t2 = f.space.type(name);
			REQUIRE(t2);
			CHECK(t2->type == MAILBOX_PORT_TYPE_DEAD_NAME);
			CHECK(t2->dead_urefs == 1);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("make_send_once creates a new name per send-once right", "[device][right][send_once]")
{
	SpaceFixture f;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);
		auto a = r->make_send_once();
		auto b = r->make_send_once();
		REQUIRE(a);
		REQUIRE(b);
		CHECK(a->get() != r->get());
		CHECK(a->get() != b->get());
		CHECK(types_of(f.space, a->get()) == MAILBOX_PORT_TYPE_SEND_ONCE);
		CHECK(r->attributes()->sorights == 2);
		a->reset();
		// Destroyed unused: the right now carries a send-once
		// notification to r, queued until received.
		CHECK(r->attributes()->msgcount == 1);
		CHECK(r->attributes()->sorights == 2);
	}
	f.check_no_names_left();
}

TEST_CASE("A dead name starts with one uref and reset releases it", "[device][right][dead_name]")
{
	SpaceFixture f;
	{
		auto d = f.space.allocate_dead_name();
		REQUIRE(d);
		auto t = d->type();
		REQUIRE(t);
		CHECK(t->type == MAILBOX_PORT_TYPE_DEAD_NAME);
		CHECK(t->dead_urefs == 1);
	}
	f.check_no_names_left();
}

TEST_CASE("A send right can be inserted into another space", "[device][right][foreign]")
{
	SpaceFixture f, g;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);
		auto s = r->make_send_in(g.space);
		REQUIRE(s);
		CHECK(s->space_fd() == g.space.fd());
		CHECK(types_of(g.space, s->get()) == MAILBOX_PORT_TYPE_SEND);

		SECTION("a second insert adds a uref to the same name")
		{
			auto s2 = r->make_send_in(g.space);
			REQUIRE(s2);
			CHECK(s2->get() == s->get());
			CHECK(g.space.type(s->get())->send_urefs == 2);
		}
		SECTION("copy_into copies it back into the first space")
		{
			auto back = s->copy_into(f.space);
			REQUIRE(back);
			CHECK(back->get() == r->get()); // merged with the receive right
			CHECK(r->type()->send_urefs == 1);
		}
	}
	f.check_no_names_left();
	g.check_no_names_left();
}

TEST_CASE("Rights ioctls report the documented errnos", "[device][right][errno]")
{
	SpaceFixture f;
	{
		auto r = f.space.allocate_receive();
		REQUIRE(r);

		SECTION("allocating a send right is EINVAL")
		{
			auto n = sys::port_allocate(f.space.fd(), MAILBOX_RIGHT_SEND);
			REQUIRE_FALSE(n);
			CHECK(errno_of(n.error()) == EINVAL);
		}
		SECTION("deallocating a receive-only name is EPERM")
		{
			auto d = f.space.deallocate(r->get());
			REQUIRE_FALSE(d);
			CHECK(errno_of(d.error()) == EPERM);
		}
		SECTION("deallocating the null name is a no-op")
		{
			CHECK(f.space.deallocate(MAILBOX_PORT_NULL));
			CHECK(f.space.deallocate(MAILBOX_PORT_DEAD));
		}
		SECTION("copying a send right the name lacks is EPERM")
		{
			auto m = f.space.mod_refs(r->get(), MAILBOX_RIGHT_SEND, 1);
			REQUIRE_FALSE(m);
			CHECK(errno_of(m.error()) == EPERM);
		}
		SECTION("urefs beyond 0xffff are EOVERFLOW")
		{
			auto s = r->make_send();
			REQUIRE(s);
			CHECK(f.space.mod_refs(s->get(), MAILBOX_RIGHT_SEND, MAILBOX_UREFS_MAX - 1));
			auto m = f.space.mod_refs(s->get(), MAILBOX_RIGHT_SEND, 1);
			REQUIRE_FALSE(m);
			CHECK(errno_of(m.error()) == EOVERFLOW);
			CHECK(f.space.mod_refs(s->get(), MAILBOX_RIGHT_SEND, -(int)(MAILBOX_UREFS_MAX - 1)));
			CHECK(r->type()->send_urefs == 1);
		}
		SECTION("make_send from a name without a receive right is EPERM")
		{
			auto so = r->make_send_once();
			REQUIRE(so);
			ReceiveRight fake(f.space, so->get());
			auto s = fake.make_send();
			(void)fake.release();
			REQUIRE_FALSE(s);
			CHECK(errno_of(s.error()) == EPERM);
		}
		SECTION("inserting into a file that is not a space is EINVAL")
		{
			auto null = Space::open("/dev/null");
			REQUIRE(null);
			auto s = r->make_send_in(*null);
			REQUIRE_FALSE(s);
			CHECK(errno_of(s.error()) == EINVAL);
		}
		SECTION("inserting into a closed fd is EBADF")
		{
			Space closed(1000);
			auto s = r->make_send_in(closed);
			(void)closed.release();
			REQUIRE_FALSE(s);
			CHECK(errno_of(s.error()) == EBADF);
		}
		SECTION("qlimit 0 and above qlimit_max are EINVAL, the maximum is accepted")
		{
			auto v = f.space.version();
			REQUIRE(v);
			auto z = r->set_qlimit(0);
			REQUIRE_FALSE(z);
			CHECK(errno_of(z.error()) == EINVAL);
			auto big = r->set_qlimit(v->qlimit_max + 1);
			REQUIRE_FALSE(big);
			CHECK(errno_of(big.error()) == EINVAL);
			CHECK(r->set_qlimit(v->qlimit_max));
			CHECK(r->attributes()->qlimit == v->qlimit_max);
		}
		SECTION("attributes of a name without a receive right are EPERM")
		{
			auto s = r->make_send_once();
			REQUIRE(s);
			auto a = f.space.get_attributes(s->get());
			REQUIRE_FALSE(a);
			CHECK(errno_of(a.error()) == EPERM);
		}
	}
	f.check_no_names_left();
}
