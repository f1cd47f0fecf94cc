// SPDX-License-Identifier: LGPL-2.1-or-later
// Complex messages without a device: the builder's descriptor layout, the
// compile-time disposition checks, the view's descriptor walk, and the
// parsing of notification messages.
#include <catch2/catch.hpp>

#include <mailbox/mailbox.hpp>
#include <mailbox/notify.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <variant>

using namespace mailbox;

namespace {

// Marks the header size as a receive would.
std::span<const std::byte> as_received(std::span<std::byte> msg)
{
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.size = static_cast<std::uint32_t>(msg.size());
	std::memcpy(msg.data(), &h, sizeof(h));
	return msg;
}

template <typename T>
T read_at(std::span<const std::byte> b, std::size_t at)
{
	T v;
	std::memcpy(&v, b.data() + at, sizeof(v));
	return v;
}

template <Disposition D, typename R>
constexpr bool can_send = requires(MessageBuilder &b, const R &r) { b.port<D>(r); };

} // namespace

TEST_CASE("Only dispositions a right type allows compile", "[descriptor][compile]")
{
	STATIC_REQUIRE(can_send<Disposition::make_send, ReceiveRight>);
	STATIC_REQUIRE(can_send<Disposition::make_send_once, ReceiveRight>);
	STATIC_REQUIRE(can_send<Disposition::move_receive, ReceiveRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::copy_send, ReceiveRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::move_send, ReceiveRight>);
	STATIC_REQUIRE(can_send<Disposition::copy_send, SendRight>);
	STATIC_REQUIRE(can_send<Disposition::move_send, SendRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::make_send, SendRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::move_receive, SendRight>);
	STATIC_REQUIRE(can_send<Disposition::move_send_once, SendOnceRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::copy_send, SendOnceRight>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::copy_send, DeadName>);
	STATIC_REQUIRE_FALSE(can_send<Disposition::make_send, PortSet>);
}

TEST_CASE("Descriptors go first: complex bit, count and XNU's layout", "[descriptor][builder]")
{
	MessageBuffer<256> buf;
	std::array<std::uint32_t, 3> names{0x101, 0x201, 0x301};
	MessageBuilder b(buf, 7);
	b.port(0x105, Disposition::make_send)
		.port_array(names, Disposition::copy_send)
		.port(0x205, Disposition::move_send_once)
		.put<std::uint64_t>(0x1122334455667788ull)
		.put<std::uint8_t>(9);
	CHECK(b.descriptor_count() == 3);
	auto msg = b.finish();
	REQUIRE_FALSE(b.failed());
	// header 24, count 4, 12 + 16 + 12 of descriptors = 68, pad to 72, u64, u8, pad
	REQUIRE(msg.size() == 84);
	auto h = read_at<mailbox_msg_header>(msg, 0);
	CHECK(h.bits == MAILBOX_MSGH_COMPLEX);
	CHECK(h.id == 7);
	CHECK(read_at<std::uint32_t>(msg, 24) == 3);
	auto p0 = read_at<mailbox_msg_port_descriptor>(msg, 28);
	CHECK(p0.name == 0x105);
	CHECK(p0.disposition == MAILBOX_MSG_TYPE_MAKE_SEND);
	CHECK(p0.type == MAILBOX_MSG_PORT_DESCRIPTOR);
	CHECK(p0.pad1 == 0);
	CHECK(p0.pad2 == 0);
	auto a = read_at<mailbox_msg_ool_ports_descriptor>(msg, 40);
	CHECK(a.address == reinterpret_cast<std::uintptr_t>(names.data()));
	CHECK(a.count == 3);
	CHECK(a.disposition == MAILBOX_MSG_TYPE_COPY_SEND);
	CHECK(a.type == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR);
	CHECK(a.deallocate == 0);
	CHECK(a.copy == 0);
	auto p2 = read_at<mailbox_msg_port_descriptor>(msg, 56);
	CHECK(p2.name == 0x205);
	CHECK(p2.disposition == MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
	CHECK(read_at<std::uint64_t>(msg, 72) == 0x1122334455667788ull);

	SECTION("the view walks them and reads the data after them")
	{
		MessageView v(as_received(msg));
		REQUIRE(v.valid());
		CHECK(v.complex());
		REQUIRE(v.descriptor_count() == 3);
		std::vector<Descriptor> seen(v.descriptors().begin(), v.descriptors().end());
		REQUIRE(seen.size() == 3);
		CHECK(seen[0].is_port());
		CHECK(seen[0].name == 0x105);
		CHECK(seen[1].is_port_array());
		CHECK(seen[1].count == 3);
		CHECK(seen[1].names.empty()); // the names are not inside the viewed bytes
		CHECK(seen[2].name == 0x205);
		CHECK(v.descriptor(2)->name == 0x205);
		CHECK_FALSE(v.descriptor(3));
		CHECK(v.payload().size() == msg.size() - 68);
		auto r = v.reader();
		CHECK(r.get<std::uint64_t>() == 0x1122334455667788ull);
		CHECK(r.get<std::uint8_t>() == 9);
	}
}

TEST_CASE("A descriptor after inline data is refused", "[descriptor][builder]")
{
	MessageBuffer<128> buf;
	MessageBuilder b(buf, 1);
	b.put<std::uint32_t>(1).port(0x105, Disposition::copy_send);
	CHECK(b.misordered());
	CHECK_FALSE(b.overflowed());
	CHECK(b.failed());
	CHECK(b.finish().empty());

	SECTION("also between descriptors")
	{
		MessageBuilder c(buf, 1);
		c.port(0x105, Disposition::copy_send).put<std::uint32_t>(1).port(0x205,
										 Disposition::copy_send);
		CHECK(c.misordered());
		CHECK(c.finish().empty());
	}
}

TEST_CASE("A descriptor that does not fit overflows", "[descriptor][builder]")
{
	MessageBuffer<36> small; // header + count + 8: no room for 12
	MessageBuilder b(small, 1);
	b.port(0x105, Disposition::copy_send);
	CHECK(b.overflowed());
	CHECK(b.finish().empty());
	MessageBuffer<40> exact; // header + count + 12
	MessageBuilder e(exact, 1);
	e.port(0x105, Disposition::copy_send);
	CHECK_FALSE(e.failed());
	CHECK(e.finish().size() == 40);
}

TEST_CASE("A received port array's names are read from the receive buffer",
	  "[descriptor][view]")
{
	// As the kernel writes it: message, then the names at header.size.
	alignas(8) std::array<std::byte, 128> buf{};
	mailbox_msg_header h{};
	h.bits = MAILBOX_MSGH_COMPLEX;
	h.size = 24 + 4 + 16;
	std::memcpy(buf.data(), &h, sizeof(h));
	std::uint32_t one = 1;
	std::memcpy(buf.data() + 24, &one, 4);
	mailbox_msg_ool_ports_descriptor d{};
	d.address = reinterpret_cast<std::uintptr_t>(buf.data() + h.size);
	d.count = 2;
	d.disposition = MAILBOX_MSG_TYPE_PORT_SEND;
	d.type = MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
	std::memcpy(buf.data() + 28, &d, sizeof(d));
	std::uint32_t names[2] = {0x401, 0x501};
	std::memcpy(buf.data() + h.size, names, sizeof(names));

	MessageView v(std::span<const std::byte>(buf.data(), h.size + sizeof(names)));
	REQUIRE(v.valid());
	auto got = v.descriptor(0);
	REQUIRE(got);
	REQUIRE(got->names.size() == 2);
	CHECK(got->names[0] == 0x401);
	CHECK(got->names[1] == 0x501);
	CHECK(v.payload().empty());

	SECTION("names running past the viewed bytes are not exposed")
	{
		MessageView cut(std::span<const std::byte>(buf.data(), h.size + 4));
		REQUIRE(cut.valid());
		CHECK(cut.descriptor(0)->names.empty());
		CHECK(cut.descriptor(0)->count == 2);
	}
}

TEST_CASE("A complex message whose descriptors do not fit is invalid", "[descriptor][view]")
{
	MessageBuffer<128> buf;
	MessageBuilder b(buf, 1);
	b.port(0x105, Disposition::copy_send).port(0x205, Disposition::copy_send);
	auto msg = b.finish();
	REQUIRE(msg.size() == 52);

	SECTION("a count larger than the body")
	{
		std::uint32_t many = 5;
		std::memcpy(msg.data() + 24, &many, 4);
		CHECK_FALSE(MessageView(as_received(msg)).valid());
	}
	SECTION("an unknown descriptor type")
	{
		msg[28 + 11] = std::byte{9};
		CHECK_FALSE(MessageView(as_received(msg)).valid());
	}
	SECTION("no room for the count")
	{
		mailbox_msg_header h{};
		h.bits = MAILBOX_MSGH_COMPLEX;
		h.size = 24;
		std::memcpy(msg.data(), &h, sizeof(h));
		MessageView v(msg.first(24));
		CHECK_FALSE(v.valid());
		CHECK(v.descriptor_count() == 0);
	}
	SECTION("the well-formed message is valid")
	{
		MessageView v(as_received(msg));
		CHECK(v.valid());
		CHECK(v.descriptor_count() == 2);
	}
}

TEST_CASE("adopt takes only the right type a descriptor carries", "[descriptor][adopt]")
{
	Space none; // fd -1: adopted rights are released() before destruction
	Descriptor d;
	d.type = MAILBOX_MSG_PORT_DESCRIPTOR;
	d.disposition = MAILBOX_MSG_TYPE_PORT_RECEIVE;
	d.name = 0x105;
	auto r = adopt<ReceiveRight>(none, d);
	REQUIRE(r);
	CHECK(r->get() == 0x105);
	(void)r->release();
	CHECK_FALSE(adopt<SendRight>(none, d));
	CHECK_FALSE(adopt<SendOnceRight>(none, d));
	d.name = MAILBOX_PORT_DEAD;
	CHECK_FALSE(adopt<ReceiveRight>(none, d));
	d.type = MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
	d.name = 0x105;
	CHECK_FALSE(adopt<ReceiveRight>(none, d));
}

namespace {

template <typename T>
std::span<const std::byte> notification(std::array<std::byte, 64> &buf, const T &n)
{
	std::memcpy(buf.data(), &n, sizeof(n));
	return std::span<const std::byte>(buf.data(), sizeof(n));
}

mailbox_msg_header notify_header(std::int32_t id, std::uint32_t size)
{
	mailbox_msg_header h{};
	h.bits = MAILBOX_MSGH_BITS(0, MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
	h.size = size;
	h.local_port = 0x905;
	h.id = id;
	return h;
}

} // namespace

TEST_CASE("Notifications parse into their typed form", "[notify][parse]")
{
	alignas(8) std::array<std::byte, 64> buf{};
	mailbox_notify_name n{};
	n.ndr[4] = 1;
	n.name = 0x1234;

	SECTION("dead name, port deleted, send possible carry the name")
	{
		n.header = notify_header(MAILBOX_NOTIFY_DEAD_NAME, sizeof(n));
		CHECK(parse_notification(MessageView(notification(buf, n))) ==
		      Notification(DeadNameNotification{0x1234}));
		n.header.id = MAILBOX_NOTIFY_PORT_DELETED;
		CHECK(parse_notification(MessageView(notification(buf, n))) ==
		      Notification(PortDeletedNotification{0x1234}));
		n.header.id = MAILBOX_NOTIFY_SEND_POSSIBLE;
		CHECK(parse_notification(MessageView(notification(buf, n))) ==
		      Notification(SendPossibleNotification{0x1234}));
	}
	SECTION("no senders carries the make-send count")
	{
		mailbox_notify_no_senders ns{};
		ns.header = notify_header(MAILBOX_NOTIFY_NO_SENDERS, sizeof(ns));
		ns.mscount = 3;
		CHECK(parse_notification(MessageView(notification(buf, ns))) ==
		      Notification(NoSendersNotification{3}));
	}
	SECTION("send once is a bare header")
	{
		auto h = notify_header(MAILBOX_NOTIFY_SEND_ONCE, sizeof(mailbox_msg_header));
		CHECK(parse_notification(MessageView(notification(buf, h))) ==
		      Notification(SendOnceNotification{}));
	}
	SECTION("port destroyed carries a receive right")
	{
		mailbox_notify_port_destroyed pd{};
		pd.header = notify_header(MAILBOX_NOTIFY_PORT_DESTROYED, sizeof(pd));
		pd.header.bits |= MAILBOX_MSGH_COMPLEX;
		pd.body.descriptor_count = 1;
		pd.rcv_right.name = 0x777;
		pd.rcv_right.disposition = MAILBOX_MSG_TYPE_PORT_RECEIVE;
		pd.rcv_right.type = MAILBOX_MSG_PORT_DESCRIPTOR;
		CHECK(parse_notification(MessageView(notification(buf, pd))) ==
		      Notification(PortDestroyedNotification{0x777}));
		pd.rcv_right.disposition = MAILBOX_MSG_TYPE_PORT_SEND;
		CHECK_FALSE(parse_notification(MessageView(notification(buf, pd))));
	}
	SECTION("malformed ones are not notifications")
	{
		n.header = notify_header(MAILBOX_NOTIFY_DEAD_NAME, sizeof(n));
		auto ok = notification(buf, n);
		CHECK(parse_notification(MessageView(ok)));
		// wrong size
		auto h = notify_header(MAILBOX_NOTIFY_DEAD_NAME, sizeof(n) - 4);
		std::memcpy(buf.data(), &h, sizeof(h));
		CHECK_FALSE(parse_notification(MessageView(ok)));
		// a user message with a notification id but a reply port
		h = notify_header(MAILBOX_NOTIFY_DEAD_NAME, sizeof(n));
		h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND_ONCE,
					   MAILBOX_MSG_TYPE_PORT_SEND);
		h.remote_port = 0x105;
		std::memcpy(buf.data(), &h, sizeof(h));
		CHECK_FALSE(parse_notification(MessageView(ok)));
		// not a notification id
		h = notify_header(1234, sizeof(n));
		std::memcpy(buf.data(), &h, sizeof(h));
		CHECK_FALSE(parse_notification(MessageView(ok)));
		CHECK_FALSE(parse_notification(MessageView()));
	}
}
