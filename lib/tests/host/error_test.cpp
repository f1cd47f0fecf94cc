// SPDX-License-Identifier: LGPL-2.1-or-later
// mailbox::category(): messages, errno and status round trips.
#include <catch2/catch.hpp>

#include <mailbox/error.hpp>

#include <linux/mailbox.h>

#include <cerrno>
#include <string>

using namespace mailbox;

TEST_CASE("An error carries its errno and its status", "[error]")
{
	auto ec = make_error(EPIPE, MAILBOX_SEND_INVALID_DEST);
	CHECK(ec.category() == category());
	CHECK(errno_of(ec) == EPIPE);
	CHECK(status_of(ec) == MAILBOX_SEND_INVALID_DEST);
	CHECK(std::string(category().name()) == "mailbox");
}

TEST_CASE("The message names the status and what the errno means", "[error][message]")
{
	CHECK(make_error(EPIPE, MAILBOX_SEND_INVALID_DEST).message() ==
	      "send: invalid destination (port dead)");
	CHECK(make_error(ENOENT, MAILBOX_SEND_INVALID_REPLY).message() ==
	      "send: invalid reply port (no such name)");
	CHECK(make_error(ETIMEDOUT, MAILBOX_RCV_TIMED_OUT).message() ==
	      "receive: timed out (timed out)");
	CHECK(make_error(EMSGSIZE, MAILBOX_RCV_TOO_LARGE).message() ==
	      "receive: message too large for buffer (message size out of range)");
	CHECK(make_error(EPIPE, MAILBOX_RCV_PORT_DIED).message() ==
	      "receive: port died (port dead)");
}

TEST_CASE("An error without a status reads as the errno's meaning", "[error][message]")
{
	CHECK(make_error(EPERM).message() == "name lacks the right");
	CHECK(make_error(EOVERFLOW).message() == "user references overflow");
	CHECK(make_error(EALREADY).message() ==
	      "port already has another name in the target space");
	CHECK(make_error(ENOBUFS).message() == "per-user queued message or byte limit reached");
	CHECK(make_error(EMFILE).message() ==
	      "per-user port limit or file descriptor limit reached");
	CHECK(status_of(make_error(EPERM)) == MAILBOX_MSG_SUCCESS);

	SECTION("an errno the device does not use falls back to strerror wording")
	{
		CHECK(make_error(EACCES).message() == std::generic_category().message(EACCES));
	}
	SECTION("an unknown status is dropped and the errno kept")
	{
		auto ec = make_error(EINVAL, 0x12345678);
		CHECK(errno_of(ec) == EINVAL);
		CHECK(status_of(ec) == MAILBOX_MSG_SUCCESS);
		CHECK(ec.message() == "invalid argument");
	}
}

TEST_CASE("Errors compare equal to the std::errc of their errno", "[error][errno]")
{
	CHECK(make_error(EPIPE, MAILBOX_SEND_INVALID_DEST) == std::errc::broken_pipe);
	CHECK(make_error(ENOENT) == std::errc::no_such_file_or_directory);
	CHECK(make_error(EAGAIN, MAILBOX_RCV_TIMED_OUT) == std::errc::resource_unavailable_try_again);
	CHECK(make_error(ETIMEDOUT, MAILBOX_SEND_TIMED_OUT) == std::errc::timed_out);
	CHECK(make_error(EMSGSIZE) == std::errc::message_size);
	CHECK(make_error(ENOSPC) == std::errc::no_space_on_device);
	CHECK_FALSE(make_error(EPIPE) == std::errc::invalid_argument);
	CHECK(make_error(EPIPE).default_error_condition() ==
	      std::error_condition(EPIPE, std::generic_category()));
}

TEST_CASE("Every uapi status has a name and a phase-prefixed description", "[error][status]")
{
	const std::uint32_t send[] = {
		MAILBOX_SEND_INVALID_DATA,   MAILBOX_SEND_INVALID_DEST,  MAILBOX_SEND_TIMED_OUT,
		MAILBOX_SEND_INTERRUPTED,    MAILBOX_SEND_MSG_TOO_SMALL, MAILBOX_SEND_INVALID_REPLY,
		MAILBOX_SEND_NO_BUFFER,	     MAILBOX_SEND_TOO_LARGE,	 MAILBOX_SEND_INVALID_HEADER,
		MAILBOX_SEND_INVALID_OPTIONS, MAILBOX_SEND_INVALID_RIGHT, MAILBOX_SEND_INVALID_TYPE,
	};
	const std::uint32_t rcv[] = {
		MAILBOX_RCV_INVALID_NAME, MAILBOX_RCV_TIMED_OUT,    MAILBOX_RCV_TOO_LARGE,
		MAILBOX_RCV_INTERRUPTED,  MAILBOX_RCV_INVALID_DATA, MAILBOX_RCV_PORT_DIED,
		MAILBOX_RCV_HEADER_ERROR, MAILBOX_RCV_PORT_CHANGED, MAILBOX_RCV_BODY_ERROR,
	};
	for (auto s : send) {
		INFO("status " << std::hex << s);
		REQUIRE(status_name(s));
		CHECK(std::string(status_name(s)).rfind("MAILBOX_SEND_", 0) == 0);
		CHECK(std::string(status_description(s)).rfind("send: ", 0) == 0);
		CHECK(status_of(make_error(EINVAL, s)) == s);
	}
	for (auto s : rcv) {
		INFO("status " << std::hex << s);
		REQUIRE(status_name(s));
		CHECK(std::string(status_name(s)).rfind("MAILBOX_RCV_", 0) == 0);
		CHECK(std::string(status_description(s)).rfind("receive: ", 0) == 0);
		CHECK(status_of(make_error(EINVAL, s)) == s);
	}
	CHECK(std::string(status_name(MAILBOX_MSG_SUCCESS)) == "MAILBOX_MSG_SUCCESS");
	CHECK(status_name(0x10000001) == nullptr);
	CHECK(status_description(0x10000001) == nullptr);
}

TEST_CASE("errno_of and status_of accept errors of other categories", "[error][errno]")
{
	auto sys = std::error_code(EBADF, std::system_category());
	CHECK(errno_of(sys) == EBADF);
	CHECK(status_of(sys) == MAILBOX_MSG_SUCCESS);
	auto gen = std::make_error_code(std::errc::broken_pipe);
	CHECK(errno_of(gen) == EPIPE);
	CHECK(errno_of(std::make_error_code(std::io_errc::stream)) == 0);
}
