// SPDX-License-Identifier: LGPL-2.1-or-later
// The QNX-style API without the device: argument errors are found before
// /dev/mailbox is touched, so they are the same everywhere.
#include <catch2/catch.hpp>

#include <mailbox/qnx.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <unistd.h>

TEST_CASE("qnx: bad arguments fail with QNX's errnos before any ioctl", "[qnx]")
{
	char b[4] = {};

	errno = 0;
	CHECK(ChannelCreate(0x2) == -1);
	CHECK(errno == EINVAL);
	CHECK(ConnectAttach(ND_LOCAL_NODE, 0, 1, 0, 0x1) == -1);
	CHECK(errno == EINVAL);
	CHECK(ConnectAttach(7, 0, 1, 0, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectAttach(ND_LOCAL_NODE, getpid() + 1, 1, 0, 0) == -1);
	CHECK(errno == ESRCH);
	CHECK(ConnectDetach(0) == -1);
	CHECK(errno == EINVAL);
	CHECK(ConnectDetach(-1) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgSend(1, nullptr, 4, b, 4) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgSend(1, b, 4, nullptr, 4) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReceive(1, nullptr, 4, nullptr) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReply(1, 0, nullptr, 4) == -1);
	CHECK(errno == EFAULT);
	CHECK(name_attach(b, "x", 0) == nullptr);
	CHECK(errno == EINVAL);
	CHECK(name_attach(nullptr, "x", 1) == nullptr);
	CHECK(errno == EINVAL);
	CHECK(name_attach(nullptr, "", 0) == nullptr);
	CHECK(errno == EINVAL);
	CHECK(name_attach(nullptr, nullptr, 0) == nullptr);
	CHECK(errno == EINVAL);
	CHECK(name_open(std::string(200, 'n').c_str(), 0) == -1);
	CHECK(errno == EINVAL);
	CHECK(name_open("x", 1) == -1);
	CHECK(errno == EINVAL);
	CHECK(name_detach(nullptr, 0) == -1);
	CHECK(errno == EINVAL);
}

TEST_CASE("qnx: bad iov arrays fail before any ioctl", "[qnx]")
{
	char b[4] = {};
	iov_t ok, null_base;

	SETIOV(&ok, b, sizeof(b));
	SETIOV(&null_base, nullptr, 4);
	CHECK(GETIOVBASE(&ok) == b);
	CHECK(GETIOVLEN(&ok) == 4);
	errno = 0;
	CHECK(MsgSendv(1, &ok, -1, &ok, 1) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgSendv(1, &ok, 1, &ok, 1025) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgSendv(1, nullptr, 1, &ok, 1) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgSendv(1, &ok, 1, &null_base, 1) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReceivev(1, &null_base, 1, nullptr) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReceivev(1, &ok, -2, nullptr) == -1);
	CHECK(errno == EINVAL);
	CHECK(MsgReplyv(1, 0, &null_base, 1) == -1);
	CHECK(errno == EFAULT);
	CHECK(MsgReplyv(1, 0, nullptr, 3) == -1);
	CHECK(errno == EFAULT);
	iov_t huge[2];
	SETIOV(&huge[0], b, SIZE_MAX);
	SETIOV(&huge[1], b, 2);
	CHECK(MsgReplyv(1, 0, huge, 2) == -1);
	CHECK(errno == EINVAL);
}

TEST_CASE("qnx: constants", "[qnx]")
{
	CHECK(ND_LOCAL_NODE == 0);
	CHECK(EOK == 0);
	CHECK(_NTO_CHF_FIXED_PRIORITY != 0);
}
