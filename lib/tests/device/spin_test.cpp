// SPDX-License-Identifier: LGPL-2.1-or-later
// ReceiveRight::set_spin(), PortSet::set_spin() and PortSet::spin()
// (MAILBOX_ATTR_SPIN) against the real module.
#include "fixture.hpp"

#include <fstream>
#include <thread>

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;
using mbtest::text_message;

namespace {

// The module parameter spin_max_us: the largest budget a port may set.
std::chrono::microseconds spin_max()
{
	std::ifstream in("/sys/module/mailbox/parameters/spin_max_us");
	long long us = -1;
	in >> us;
	REQUIRE(us >= 0);
	return std::chrono::microseconds(us);
}

bool has_spin()
{
	auto s = Space::open();
	auto v = s ? s->version() : decltype(s->version()){};
	return v && (v->features & MAILBOX_FEATURE_SPIN);
}

} // namespace

TEST_CASE("A receive right's spin budget is set, read back and bounded",
	  "[device][spin]")
{
	REQUIRE(has_spin());
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		CHECK(port->attributes()->spin_us == 0);
		REQUIRE(port->set_spin(25us));
		CHECK(port->attributes()->spin_us == 25);

		auto max = spin_max();
		CHECK(port->set_spin(max));
		CHECK(port->attributes()->spin_us == max.count());

		auto r = port->set_spin(max + 1us);
		REQUIRE_FALSE(r);
		CHECK(errno_of(r.error()) == EINVAL);
		r = port->set_spin(-1us);
		REQUIRE_FALSE(r);
		CHECK(errno_of(r.error()) == EINVAL);
		r = port->set_spin(std::chrono::microseconds(1LL << 32));
		REQUIRE_FALSE(r);
		CHECK(errno_of(r.error()) == EINVAL);
		CHECK(port->attributes()->spin_us == max.count());
		REQUIRE(port->set_spin(0us));
		CHECK(port->attributes()->spin_us == 0);
	}
	f.check_no_names_left();
}

TEST_CASE("A port set has its own spin budget", "[device][spin][pset]")
{
	REQUIRE(has_spin());
	SpaceFixture f;
	{
		auto set = f.space.allocate_port_set();
		REQUIRE(set);
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(set->add(*port));
		CHECK(set->spin() == 0us);
		REQUIRE(set->set_spin(40us));
		CHECK(set->spin() == 40us);
		CHECK(port->attributes()->spin_us == 0);
		auto r = set->set_spin(spin_max() + 1us);
		REQUIRE_FALSE(r);
		CHECK(errno_of(r.error()) == EINVAL);
		CHECK(set->spin() == 40us);
	}
	f.check_no_names_left();
}

TEST_CASE("A spinning receive gets a message sent from another thread",
	  "[device][spin]")
{
	REQUIRE(has_spin());
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		auto set = f.space.allocate_port_set();
		REQUIRE(set);
		REQUIRE(port->set_spin(spin_max()));
		REQUIRE(set->set_spin(spin_max()));

		for (int round = 0; round < 2; round++) {
			std::thread t([&] {
				MessageBuffer<64> out;
				std::this_thread::sleep_for(1ms);
				(void)f.space.send(send->get(), text_message(out, round, "s"),
						   MAILBOX_MSG_TYPE_COPY_SEND);
			});
			MessageBuffer<64> in;
			ReceiveOptions ro;
			ro.rcv_timeout = 5s;
			auto v = round ? set->receive(in.span(), ro) : port->receive(in.span(), ro);
			t.join();
			REQUIRE(v);
			CHECK(v->id() == round);
			if (round == 0)
				REQUIRE(set->add(*port));
		}
	}
	f.check_no_names_left();
}
