// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared helpers of the device tests.
#ifndef MAILBOX_DEVICE_FIXTURE_HPP
#define MAILBOX_DEVICE_FIXTURE_HPP

#include <catch2/catch.hpp>

#include <mailbox/mailbox.hpp>

#include <cstring>
#include <string_view>
#include <vector>

namespace mbtest {

// Opens a space and, on destruction, checks that every name the test
// created is gone again (the owning types gave back what they held).
struct SpaceFixture {
	mailbox::Space space;
	std::vector<mailbox::NameEntry> before;

	SpaceFixture()
	{
		auto s = mailbox::Space::open();
		if (!s)
			FAIL("cannot open /dev/mailbox: " << s.error().message());
		space = std::move(*s);
		auto n = space.names();
		REQUIRE(n);
		before = *n;
	}

	// Call at the end of a test, after the rights went out of scope.
	void check_no_names_left() const
	{
		auto n = space.names();
		REQUIRE(n);
		CHECK(*n == before);
	}
};

inline std::uint32_t types_of(const mailbox::Space &s, std::uint32_t name)
{
	auto t = s.type(name);
	return t ? t->type : 0;
}

// A finished message with id @id and a string body.
template <std::size_t N>
std::span<std::byte> text_message(mailbox::MessageBuffer<N> &buf, std::int32_t id,
				  std::string_view text)
{
	mailbox::MessageBuilder b(buf, id);
	b.put_string(text);
	auto msg = b.finish();
	REQUIRE_FALSE(b.overflowed());
	return msg;
}

} // namespace mbtest

#endif
