// SPDX-License-Identifier: LGPL-2.1-or-later
// MessageBuffer, MessageBuilder, MessageReader and MessageView without a
// device: layout, alignment, bounds and round trips.
#include <catch2/catch.hpp>

#include <mailbox/message.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

using namespace mailbox;

namespace {

struct Point {
	std::int32_t x;
	std::int32_t y;
	double weight;
};

// Appends a trailer after a finished message, as a receive would.
template <std::size_t N>
std::span<const std::byte> with_trailer(MessageBuffer<N> &buf, std::span<std::byte> msg,
					const mailbox_msg_trailer &t)
{
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.size = static_cast<std::uint32_t>(msg.size());
	std::memcpy(msg.data(), &h, sizeof(h));
	std::memcpy(buf.data() + msg.size(), &t, sizeof(t));
	return std::span<const std::byte>(buf.data(), msg.size() + sizeof(t));
}

// Marks the header size as a receive would, without a trailer.
std::span<const std::byte> as_received(std::span<std::byte> msg)
{
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.size = static_cast<std::uint32_t>(msg.size());
	std::memcpy(msg.data(), &h, sizeof(h));
	return msg;
}

} // namespace

TEST_CASE("The uapi header and trailer have the Mach layout", "[message][layout]")
{
	STATIC_REQUIRE(sizeof(mailbox_msg_header) == 24);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, bits) == 0);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, size) == 4);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, remote_port) == 8);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, local_port) == 12);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, voucher_port) == 16);
	STATIC_REQUIRE(offsetof(mailbox_msg_header, id) == 20);
	STATIC_REQUIRE(sizeof(mailbox_msg_trailer) == 24);
	STATIC_REQUIRE(sizeof(mailbox_msg) == 72);
	STATIC_REQUIRE(MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE) ==
		       (19u | (21u << 8)));
	STATIC_REQUIRE(MAILBOX_MSGH_REMOTE(MAILBOX_MSGH_BITS(18, 17)) == 18);
	STATIC_REQUIRE(MAILBOX_MSGH_LOCAL(MAILBOX_MSGH_BITS(18, 17)) == 17);
}

TEST_CASE("A message buffer is aligned fixed storage of its capacity", "[message][layout]")
{
	MessageBuffer<256> buf;
	STATIC_REQUIRE(MessageBuffer<256>::capacity() == 256);
	STATIC_REQUIRE(sizeof(MessageBuffer<256>) == 256);
	STATIC_REQUIRE(alignof(MessageBuffer<256>) >= 8);
	CHECK(reinterpret_cast<std::uintptr_t>(buf.data()) % 8 == 0);
	CHECK(buf.span().size() == 256);
}

TEST_CASE("A message with only a header is 24 bytes and keeps its id", "[message][builder]")
{
	MessageBuffer<64> buf;
	MessageBuilder b(buf, 1234);
	auto msg = b.finish();
	REQUIRE(msg.size() == header_size);
	auto h = b.header();
	CHECK(h.id == 1234);
	CHECK(h.bits == 0);
	CHECK(h.remote_port == 0);
	CHECK(h.local_port == 0);
	CHECK(h.voucher_port == 0);

	MessageView v(as_received(msg));
	REQUIRE(v.valid());
	CHECK(v.id() == 1234);
	CHECK(v.body().empty());
	CHECK_FALSE(v.trailer());
}

TEST_CASE("Typed values round trip through builder and reader", "[message][builder][reader]")
{
	MessageBuffer<256> buf;
	MessageBuilder b(buf, 7);
	Point p{-3, 4, 2.5};
	b.put<std::uint8_t>(0xab).put<std::uint64_t>(0x1122334455667788ull).put(p).put<std::int16_t>(-2);
	auto msg = b.finish();
	REQUIRE_FALSE(b.overflowed());

	SECTION("each value sits at an offset aligned to its type")
	{
		// header 24, u8 at 24, u64 at 32, Point (align 8) at 40, i16 at 56.
		CHECK(std::to_integer<int>(msg[24]) == 0xab);
		for (int i = 25; i < 32; i++)
			CHECK(std::to_integer<int>(msg[i]) == 0);
		std::uint64_t u;
		std::memcpy(&u, msg.data() + 32, 8);
		CHECK(u == 0x1122334455667788ull);
		Point q;
		std::memcpy(&q, msg.data() + 40, sizeof(q));
		CHECK(q.x == -3);
		CHECK(msg.size() == 60); // 58 rounded up to a multiple of 4
	}

	SECTION("the reader returns the same values in the same order")
	{
		MessageView v(as_received(msg));
		REQUIRE(v.valid());
		auto r = v.reader();
		CHECK(r.get<std::uint8_t>() == std::uint8_t{0xab});
		CHECK(r.get<std::uint64_t>() == 0x1122334455667788ull);
		auto q = r.get<Point>();
		REQUIRE(q);
		CHECK(q->x == -3);
		CHECK(q->y == 4);
		CHECK(q->weight == 2.5);
		CHECK(r.get<std::int16_t>() == std::int16_t{-2});
		CHECK_FALSE(r.failed());
		CHECK(r.remaining() == 2); // padding to a multiple of 4
	}
}

TEST_CASE("Strings and raw bytes round trip", "[message][builder][reader]")
{
	MessageBuffer<128> buf;
	MessageBuilder b(buf, 1);
	b.put_string("hello, mailbox").put_bytes("xyz", 3).put_string("");
	auto msg = b.finish();
	REQUIRE_FALSE(b.overflowed());
	CHECK(msg.size() % 4 == 0);

	MessageView v(as_received(msg));
	auto r = v.reader();
	CHECK(r.get_string() == std::string_view("hello, mailbox"));
	auto raw = r.get_bytes(3);
	REQUIRE(raw.size() == 3);
	CHECK(std::memcmp(raw.data(), "xyz", 3) == 0);
	CHECK(r.get_string() == std::string_view(""));
	CHECK_FALSE(r.failed());
}

TEST_CASE("A put that does not fit overflows the builder and finish reports it",
	  "[message][builder][bounds]")
{
	MessageBuffer<32> buf;
	MessageBuilder b(buf, 1);

	SECTION("a value that fits exactly is accepted")
	{
		b.put<std::uint64_t>(1);
		CHECK_FALSE(b.overflowed());
		CHECK(b.finish().size() == 32);
	}
	SECTION("one byte more overflows")
	{
		b.put<std::uint64_t>(1).put<std::uint8_t>(2);
		CHECK(b.overflowed());
		CHECK(b.finish().empty());
	}
	SECTION("padding that would exceed the capacity overflows too")
	{
		b.put<std::uint8_t>(1).put<std::uint64_t>(2);
		CHECK(b.overflowed());
		CHECK(b.finish().empty());
	}
	SECTION("storage smaller than a header overflows at once")
	{
		std::array<std::byte, 16> small{};
		MessageBuilder s(small, 1);
		CHECK(s.overflowed());
		CHECK(s.finish().empty());
		CHECK(s.header().id == 0);
	}
}

TEST_CASE("A reader fails instead of reading past the body", "[message][reader][bounds]")
{
	MessageBuffer<64> buf;
	MessageBuilder b(buf, 1);
	b.put<std::uint32_t>(5);
	MessageView v(as_received(b.finish()));
	auto r = v.reader();
	CHECK(r.get<std::uint64_t>() == std::nullopt);
	CHECK(r.failed());
	CHECK(r.get<std::uint8_t>() == std::nullopt); // stays failed

	MessageBuilder s(buf, 2);
	s.put<std::uint32_t>(100).put_bytes("ab", 2); // length says 100, body has 2
	MessageView sv(as_received(s.finish()));
	auto sr = sv.reader();
	CHECK(sr.get_string() == std::nullopt);
}

TEST_CASE("A view exposes the trailer written after header.size", "[message][view][trailer]")
{
	MessageBuffer<128> buf;
	MessageBuilder b(buf, 99);
	b.put<std::uint32_t>(42);
	auto msg = b.finish();
	mailbox_msg_trailer t{MAILBOX_TRAILER_FORMAT_0, sizeof(mailbox_msg_trailer), 17, 1234, 1000,
			      1001};
	MessageView v(with_trailer(buf, msg, t));
	REQUIRE(v.valid());
	CHECK(v.size() == 28);
	CHECK(v.body().size() == 4);
	auto got = v.trailer();
	REQUIRE(got);
	CHECK(got->type == MAILBOX_TRAILER_FORMAT_0);
	CHECK(got->size == 24);
	CHECK(got->seqno == 17);
	CHECK(got->sender_pid == 1234);
	CHECK(got->sender_uid == 1000);
	CHECK(got->sender_gid == 1001);
}

TEST_CASE("A view of malformed bytes is invalid and reads as empty", "[message][view][bounds]")
{
	SECTION("fewer bytes than a header")
	{
		std::array<std::byte, 10> bytes{};
		MessageView v(bytes);
		CHECK_FALSE(v.valid());
		CHECK(v.body().empty());
		CHECK_FALSE(v.trailer());
	}
	SECTION("header.size larger than the bytes")
	{
		MessageBuffer<64> buf;
		MessageBuilder b(buf, 1);
		auto msg = b.finish();
		mailbox_msg_header h;
		std::memcpy(&h, msg.data(), sizeof(h));
		h.size = 1000;
		std::memcpy(msg.data(), &h, sizeof(h));
		MessageView v(msg);
		CHECK_FALSE(v.valid());
		CHECK(v.id() == 0);
	}
	SECTION("header.size smaller than a header")
	{
		MessageBuffer<64> buf;
		MessageBuilder b(buf, 1);
		auto msg = b.finish();
		mailbox_msg_header h;
		std::memcpy(&h, msg.data(), sizeof(h));
		h.size = 8;
		std::memcpy(msg.data(), &h, sizeof(h));
		CHECK_FALSE(MessageView(msg).valid());
	}
}

TEST_CASE("A view reports the reply right and the local port from the header",
	  "[message][view]")
{
	MessageBuffer<64> buf;
	MessageBuilder b(buf, 5);
	auto msg = b.finish();
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.bits = MAILBOX_MSGH_BITS(MAILBOX_MSG_TYPE_PORT_SEND_ONCE, MAILBOX_MSG_TYPE_PORT_SEND);
	h.size = 24;
	h.remote_port = 0x201;
	h.local_port = 0x101;
	std::memcpy(msg.data(), &h, sizeof(h));
	MessageView v(msg);
	CHECK(v.reply_port() == 0x201);
	CHECK(v.reply_type() == MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
	CHECK(v.local_port() == 0x101);
}
