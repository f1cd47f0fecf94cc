// SPDX-License-Identifier: LGPL-2.1-or-later
// The C++ wrappers of issue 6 against the real module: scatter/gather and
// out-of-line memory.
#include "fixture.hpp"


#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <chrono>
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
	CHECK((f & MAILBOX_FEATURE_IOV));
	CHECK((f & MAILBOX_FEATURE_OOL));
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
		SendOptions o;
		o.send_timeout = 0ns;
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
