// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 6 wrappers without a device: filters, pulses as views, out-of-line
// descriptors in the builder and view, OolRegion ownership, and the
// argument checks of gather/scatter done before any ioctl.
#include <catch2/catch.hpp>

#include <mailbox/mailbox.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

using namespace mailbox;

namespace {

bool mapped(void *addr)
{
	unsigned char v;
	return ::mincore(addr, 1, &v) == 0;
}

void *map_page()
{
	void *p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(p != MAP_FAILED);
	return p;
}

} // namespace

TEST_CASE("A receive filter sets the uapi fields of the conditions it names", "[issue6][filter]")
{
	constexpr ReceiveFilter any;
	STATIC_REQUIRE(any.raw().flags == 0);
	auto f = ReceiveFilter().id(0xff00, 0x1200).id_range(-5, 70).sender(42);
	CHECK(f.raw().flags == MAILBOX_FILTER_ALL);
	CHECK(f.raw().id_mask == 0xff00);
	CHECK(f.raw().id_value == 0x1200);
	CHECK(f.raw().id_min == -5);
	CHECK(f.raw().id_max == 70);
	CHECK(f.raw().sender_pid == 42);
	CHECK(f.raw().reserved == 0);
	auto exact = ReceiveFilter().id(7);
	CHECK(exact.raw().flags == MAILBOX_FILTER_ID);
	CHECK(exact.raw().id_mask == 0xffffffffU);
	CHECK(exact.raw().id_value == 7);
}

TEST_CASE("A pulse view reads struct mailbox_pulse and rejects anything else", "[issue6][pulse]")
{
	alignas(8) std::array<std::byte, 64> buf{};
	mailbox_pulse p{};
	p.header.bits = MAILBOX_MSGH_PULSE;
	p.header.size = sizeof(p);
	p.header.id = 9;
	p.code = 9;
	p.priority = 3;
	p.value = 0x1122334455667788ull;
	p.count = 2;
	p.dropped = 1;
	std::memcpy(buf.data(), &p, sizeof(p));
	MessageView v(std::span<const std::byte>(buf.data(), sizeof(p)), 3);
	CHECK(v.is_pulse());
	CHECK(v.priority() == 3);
	CHECK(as_pulse(v) == Pulse{9, 3, 0x1122334455667788ull, 2, 1});

	SECTION("a message that is not a pulse")
	{
		p.header.bits = 0;
		std::memcpy(buf.data(), &p, sizeof(p));
		CHECK_FALSE(as_pulse(MessageView(std::span<const std::byte>(buf.data(), sizeof(p)))));
	}
	SECTION("a pulse of the wrong size")
	{
		p.header.size = sizeof(p) - 8;
		std::memcpy(buf.data(), &p, sizeof(p));
		CHECK_FALSE(as_pulse(MessageView(std::span<const std::byte>(buf.data(), sizeof(p)))));
	}
	SECTION("a code that differs from the id")
	{
		p.code = 10;
		std::memcpy(buf.data(), &p, sizeof(p));
		CHECK_FALSE(as_pulse(MessageView(std::span<const std::byte>(buf.data(), sizeof(p)))));
	}
}

TEST_CASE("Out-of-line memory descriptors: builder layout and view", "[issue6][ool]")
{
	std::vector<std::byte> data(1000, std::byte{0x5a});
	MessageBuffer<128> buf;
	MessageBuilder b(buf, 3);
	b.port(0x105, Disposition::copy_send).ool(data, true, MAILBOX_VIRTUAL_COPY).put<std::uint32_t>(1);
	auto msg = b.finish();
	REQUIRE_FALSE(b.failed());
	REQUIRE(msg.size() == 24 + 4 + 12 + 16 + 4);
	mailbox_msg_ool_descriptor d;
	std::memcpy(&d, msg.data() + 40, sizeof(d));
	CHECK(d.address == reinterpret_cast<std::uintptr_t>(data.data()));
	CHECK(d.size == 1000);
	CHECK(d.deallocate == 1);
	CHECK(d.copy == MAILBOX_VIRTUAL_COPY);
	CHECK(d.type == MAILBOX_MSG_OOL_DESCRIPTOR);
	CHECK(d.pad1 == 0);

	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.size = static_cast<std::uint32_t>(msg.size());
	std::memcpy(msg.data(), &h, sizeof(h));
	MessageView v(msg);
	REQUIRE(v.valid());
	REQUIRE(v.descriptor_count() == 2);
	auto o = v.descriptor(1);
	REQUIRE(o);
	CHECK(o->is_ool());
	CHECK(o->size == 1000);
	CHECK(o->address == d.address);
	CHECK(v.reader().get<std::uint32_t>() == 1u);
	CHECK_FALSE(adopt_ool(*v.descriptor(0))); // not out-of-line memory
}

TEST_CASE("An OolRegion unmaps its mapping exactly once", "[issue6][ool][raii]")
{
	void *page = map_page();
	Descriptor d;
	d.type = MAILBOX_MSG_OOL_DESCRIPTOR;
	d.address = reinterpret_cast<std::uintptr_t>(page);
	d.size = 100;

	SECTION("destruction")
	{
		{
			auto r = adopt_ool(d);
			REQUIRE(r);
			CHECK(r.size() == 100);
			CHECK(r.data().data() == page);
			r.data()[99] = std::byte{1};
		}
		CHECK_FALSE(mapped(page));
	}
	SECTION("move hands it over; move assignment unmaps the target's region")
	{
		void *other = map_page();
		OolRegion a = adopt_ool(d);
		OolRegion b(other, 4096);
		b = std::move(a);
		CHECK_FALSE(a);
		CHECK_FALSE(mapped(other));
		CHECK(mapped(page));
		OolRegion c(std::move(b));
		c.reset();
		CHECK_FALSE(mapped(page));
		c.reset();
	}
	SECTION("release leaves it mapped")
	{
		auto r = adopt_ool(d);
		CHECK(r.release() == page);
		CHECK_FALSE(r);
		CHECK(mapped(page));
		::munmap(page, 4096);
	}
	SECTION("size 0 is no mapping")
	{
		d.size = 0;
		CHECK_FALSE(adopt_ool(d));
		::munmap(page, 4096);
	}
}

TEST_CASE("Gather and scatter check their segments before any ioctl", "[issue6][iov][errno]")
{
	Space s(::open("/dev/null", O_RDWR | O_CLOEXEC));
	std::array<std::byte, 64> a{}, b{};
	SECTION("no segments, or more than MAILBOX_IOV_MAX")
	{
		CHECK(s.send_gather(0x105, {}, MAILBOX_MSG_TYPE_COPY_SEND).error() ==
		      std::errc::invalid_argument);
		std::vector<std::span<const std::byte>> many(MAILBOX_IOV_MAX + 1,
							     std::span<const std::byte>(a));
		CHECK(s.send_gather(0x105, many, MAILBOX_MSG_TYPE_COPY_SEND).error() ==
		      std::errc::invalid_argument);
		CHECK(s.receive_scatter(0x105, {}).error() == std::errc::invalid_argument);
		std::vector<std::span<std::byte>> rmany(MAILBOX_IOV_MAX + 1, std::span<std::byte>(a));
		CHECK(s.receive_scatter(0x105, rmany).error() == std::errc::invalid_argument);
	}
	SECTION("fewer bytes than a header")
	{
		std::array<std::span<const std::byte>, 2> segs{std::span<const std::byte>(a).first(10),
							       std::span<const std::byte>(b).first(10)};
		auto r = s.send_gather(0x105, segs, MAILBOX_MSG_TYPE_COPY_SEND);
		CHECK(r.error() == std::errc::invalid_argument);
		CHECK(status_of(r.error()) == MAILBOX_SEND_MSG_TOO_SMALL);
	}
	SECTION("a header split over segments reaches the device")
	{
		std::array<std::span<const std::byte>, 3> segs{std::span<const std::byte>(a).first(10),
							       std::span<const std::byte>(b).first(20),
							       std::span<const std::byte>(a)};
		CHECK(errno_of(s.send_gather(0x105, segs, MAILBOX_MSG_TYPE_COPY_SEND).error()) ==
		      ENOTTY);
	}
}
