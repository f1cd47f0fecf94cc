// SPDX-License-Identifier: LGPL-2.1-or-later
// Ownership of Space and the right types without a device: a stand-in fd
// (/dev/null) shows what is closed and when; ioctls on it fail with ENOTTY,
// which reset() ignores.
#include <catch2/catch.hpp>

#include <mailbox/mailbox.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <string_view>
#include <type_traits>

using namespace mailbox;

namespace {

int fake_fd()
{
	int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0);
	return fd;
}

bool fd_open(int fd)
{
	return ::fcntl(fd, F_GETFD) != -1;
}

template <typename T>
constexpr bool move_only_v = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
			     std::is_nothrow_move_constructible_v<T> &&
			     std::is_nothrow_move_assignable_v<T> &&
			     std::is_nothrow_destructible_v<T> && std::is_final_v<T>;

} // namespace

TEST_CASE("Every owning type is final, move-only and never throws on move or destruction",
	  "[raii]")
{
	STATIC_REQUIRE(move_only_v<Space>);
	STATIC_REQUIRE(move_only_v<ReceiveRight>);
	STATIC_REQUIRE(move_only_v<SendRight>);
	STATIC_REQUIRE(move_only_v<SendOnceRight>);
	STATIC_REQUIRE(move_only_v<DeadName>);
	STATIC_REQUIRE(move_only_v<PortSet>);
	STATIC_REQUIRE(move_only_v<ReadyFd>);
	STATIC_REQUIRE(move_only_v<RightFd>);
	STATIC_REQUIRE_FALSE(std::is_convertible_v<ReadyFd, bool>);
	STATIC_REQUIRE_FALSE(std::is_convertible_v<ReceiveRight, PortSet>);
	STATIC_REQUIRE_FALSE(std::is_convertible_v<Space, bool>);
	STATIC_REQUIRE_FALSE(std::is_convertible_v<SendRight, bool>);
	STATIC_REQUIRE_FALSE(std::is_convertible_v<SendRight, ReceiveRight>);
}

TEST_CASE("A space closes its fd when destroyed", "[raii][space]")
{
	int fd = fake_fd();
	{
		Space s(fd);
		CHECK(s);
		CHECK(s.fd() == fd);
	}
	CHECK_FALSE(fd_open(fd));
}

TEST_CASE("A moved-from space is empty and only the new owner closes the fd", "[raii][space]")
{
	int fd = fake_fd();
	Space a(fd);

	SECTION("move construction")
	{
		Space b(std::move(a));
		CHECK_FALSE(a);
		CHECK(a.fd() == -1);
		CHECK(b.fd() == fd);
		a.reset(); // no-op
		CHECK(fd_open(fd));
	}
	SECTION("move assignment closes the target's previous fd")
	{
		int other = fake_fd();
		Space b(other);
		b = std::move(a);
		CHECK_FALSE(fd_open(other));
		CHECK(b.fd() == fd);
		CHECK_FALSE(a);
		b.reset();
		CHECK_FALSE(fd_open(fd));
	}
}

TEST_CASE("Releasing a space leaves nothing to close", "[raii][space]")
{
	int fd = fake_fd();
	{
		Space s(fd);
		int got = s.release();
		CHECK(got == fd);
		CHECK_FALSE(s);
	}
	CHECK(fd_open(fd));
	::close(fd);
}

TEST_CASE("Opening a path that does not exist reports ENOENT", "[raii][space][errno]")
{
	auto s = Space::open("/nonexistent/mailbox");
	REQUIRE_FALSE(s);
	CHECK(s.error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("A space opened with the library has close-on-exec set", "[raii][space]")
{
	auto s = Space::open("/dev/null");
	REQUIRE(s);
	CHECK((::fcntl(s->fd(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("An ioctl on a file that is not a mailbox fails with ENOTTY", "[raii][errno]")
{
	Space s(fake_fd());
	auto v = s.version();
	REQUIRE_FALSE(v);
	CHECK(v.error() == std::errc::inappropriate_io_control_operation);
	CHECK(v.error().category() == category());
	CHECK(v.error().message() == "not a mailbox command");
	auto r = s.allocate_receive();
	REQUIRE_FALSE(r);
	CHECK(errno_of(r.error()) == ENOTTY);
}

TEMPLATE_TEST_CASE("A right moves its name and leaves the source empty", "[raii][right]",
		   ReceiveRight, SendRight, SendOnceRight, DeadName, PortSet)
{
	Space s(fake_fd());
	TestType a(s, 0x105);
	CHECK(a);
	CHECK(a.get() == 0x105);
	CHECK(a.space_fd() == s.fd());

	SECTION("move construction")
	{
		TestType b(std::move(a));
		CHECK_FALSE(a);
		CHECK(a.get() == MAILBOX_PORT_NULL);
		CHECK(a.space_fd() == -1);
		CHECK(b.get() == 0x105);
	}
	SECTION("move assignment")
	{
		TestType b(s, 0x206);
		b = std::move(a);
		CHECK_FALSE(a);
		CHECK(b.get() == 0x105);
	}
	SECTION("self move assignment keeps the name")
	{
		TestType &alias = a;
		a = std::move(alias);
		CHECK(a.get() == 0x105);
	}
	SECTION("release hands the name over and leaves nothing to reset")
	{
		auto n = a.release();
		CHECK(n == 0x105);
		CHECK_FALSE(a);
		a.reset();
		CHECK_FALSE(a);
	}
	SECTION("reset forgets the name even when the kernel call fails")
	{
		a.reset();
		CHECK_FALSE(a);
		CHECK(a.get() == MAILBOX_PORT_NULL);
	}
}

TEMPLATE_TEST_CASE("A default-constructed right is empty", "[raii][right]", ReceiveRight,
		   SendRight, SendOnceRight, DeadName, PortSet)
{
	TestType r;
	CHECK_FALSE(r);
	CHECK(r.get() == MAILBOX_PORT_NULL);
	r.reset();
	CHECK(r.release() == MAILBOX_PORT_NULL);
}

TEST_CASE("A failed send through a send-once right keeps the right", "[raii][right]")
{
	Space s(fake_fd());
	SendOnceRight so(s, 0x301);
	MessageBuffer<64> buf;
	MessageBuilder b(buf, 1);
	auto r = so.send(b.finish());
	REQUIRE_FALSE(r);
	CHECK(so.get() == 0x301);
	CHECK(fd_open(s.fd())); // the borrowed fd was not closed
}

TEST_CASE("Sending less than a header is rejected before any ioctl", "[raii][errno]")
{
	Space s(fake_fd());
	std::array<std::byte, 8> tiny{};
	auto r = s.send(0x101, tiny, MAILBOX_MSG_TYPE_COPY_SEND);
	REQUIRE_FALSE(r);
	CHECK(r.error() == std::errc::invalid_argument);
	CHECK(status_of(r.error()) == MAILBOX_SEND_MSG_TOO_SMALL);
}

TEMPLATE_TEST_CASE("An owned fd is closed by its destructor, by reset and by move assignment",
		   "[raii][fd]", ReadyFd, RightFd)
{
	int fd = fake_fd();
	SECTION("destructor")
	{
		{
			TestType f(fd);
			CHECK(f.get() == fd);
			CHECK(f);
		}
		CHECK_FALSE(fd_open(fd));
	}
	SECTION("reset")
	{
		TestType f(fd);
		f.reset();
		CHECK_FALSE(f);
		CHECK_FALSE(fd_open(fd));
		f.reset(); // twice is harmless
	}
	SECTION("move construction hands the fd over")
	{
		TestType a(fd);
		TestType b(std::move(a));
		CHECK_FALSE(a);
		CHECK(b.get() == fd);
		a.reset();
		CHECK(fd_open(fd));
	}
	SECTION("move assignment closes the target's previous fd")
	{
		int other = fake_fd();
		TestType a(fd);
		TestType b(other);
		b = std::move(a);
		CHECK_FALSE(fd_open(other));
		CHECK(fd_open(fd));
		CHECK(b.get() == fd);
	}
	SECTION("release leaves the fd open and the owner empty")
	{
		TestType a(fd);
		CHECK(a.release() == fd);
		CHECK_FALSE(a);
		CHECK(fd_open(fd));
		::close(fd);
	}
}

TEST_CASE("A right fd remembers which kind of right it holds", "[raii][fd]")
{
	RightFd none;
	CHECK(none.kind() == RightFd::Kind::unknown);
	RightFd a(fake_fd(), RightFd::Kind::send_once);
	RightFd b(std::move(a));
	CHECK(b.kind() == RightFd::Kind::send_once);
	RightFd c;
	c = std::move(b);
	CHECK(c.kind() == RightFd::Kind::send_once);
}

TEST_CASE("Typed imports refuse a right fd of the other kind before any ioctl", "[raii][fd][errno]")
{
	Space s(fake_fd());
	RightFd once(fake_fd(), RightFd::Kind::send_once);
	RightFd send(fake_fd(), RightFd::Kind::send);
	auto a = s.import_send(once);
	REQUIRE_FALSE(a);
	CHECK(a.error() == std::errc::invalid_argument);
	auto b = s.import_send_once(send);
	REQUIRE_FALSE(b);
	CHECK(b.error() == std::errc::invalid_argument);
	// The right kind reaches the (fake) device.
	auto c = s.import_send(send);
	REQUIRE_FALSE(c);
	CHECK(errno_of(c.error()) == ENOTTY);
}

TEST_CASE("Service names are checked before any ioctl", "[raii][registry][errno]")
{
	Space s(fake_fd());
	std::string long_name(MAILBOX_SERVICE_NAME_MAX, 'x');
	std::string max_name(MAILBOX_SERVICE_NAME_MAX - 1, 'x');
	using namespace std::string_view_literals;
	CHECK(s.register_service("", 0x101).error() == std::errc::invalid_argument);
	CHECK(s.register_service(long_name, 0x101).error() == std::errc::invalid_argument);
	CHECK(s.register_service("a\0b"sv, 0x101).error() == std::errc::invalid_argument);
	CHECK(s.lookup("").error() == std::errc::invalid_argument);
	CHECK(s.unregister_service(long_name).error() == std::errc::invalid_argument);
	// The longest valid name reaches the (fake) device.
	CHECK(errno_of(s.register_service(max_name, 0x101).error()) == ENOTTY);
	CHECK(errno_of(s.lookup(max_name).error()) == ENOTTY);
	CHECK(errno_of(s.unregister_service(max_name).error()) == ENOTTY);
}
