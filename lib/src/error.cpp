// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::category(): errno + MAILBOX_IOC_MSG status in one error_code.
#include <mailbox/error.hpp>

#include <linux/mailbox.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace mailbox {
namespace {

struct StatusInfo {
	std::uint32_t status;
	const char *name;
	const char *description;
};

// Index 0 is "no status"; error_code values store the index in bits 16..23.
constexpr StatusInfo statuses[] = {
	{MAILBOX_MSG_SUCCESS, "MAILBOX_MSG_SUCCESS", "success"},
	{MAILBOX_SEND_INVALID_DATA, "MAILBOX_SEND_INVALID_DATA", "send: invalid message data"},
	{MAILBOX_SEND_INVALID_DEST, "MAILBOX_SEND_INVALID_DEST", "send: invalid destination"},
	{MAILBOX_SEND_TIMED_OUT, "MAILBOX_SEND_TIMED_OUT", "send: timed out"},
	{MAILBOX_SEND_INTERRUPTED, "MAILBOX_SEND_INTERRUPTED", "send: interrupted"},
	{MAILBOX_SEND_MSG_TOO_SMALL, "MAILBOX_SEND_MSG_TOO_SMALL", "send: message too small"},
	{MAILBOX_SEND_INVALID_REPLY, "MAILBOX_SEND_INVALID_REPLY", "send: invalid reply port"},
	{MAILBOX_SEND_INVALID_RIGHT, "MAILBOX_SEND_INVALID_RIGHT", "send: invalid right in a descriptor"},
	{MAILBOX_SEND_NO_BUFFER, "MAILBOX_SEND_NO_BUFFER", "send: no kernel buffer"},
	{MAILBOX_SEND_TOO_LARGE, "MAILBOX_SEND_TOO_LARGE", "send: message too large"},
	{MAILBOX_SEND_INVALID_TYPE, "MAILBOX_SEND_INVALID_TYPE", "send: invalid descriptor"},
	{MAILBOX_SEND_INVALID_HEADER, "MAILBOX_SEND_INVALID_HEADER", "send: invalid header"},
	{MAILBOX_SEND_INVALID_OPTIONS, "MAILBOX_SEND_INVALID_OPTIONS", "send: invalid options"},
	{MAILBOX_RCV_INVALID_NAME, "MAILBOX_RCV_INVALID_NAME", "receive: invalid name"},
	{MAILBOX_RCV_TIMED_OUT, "MAILBOX_RCV_TIMED_OUT", "receive: timed out"},
	{MAILBOX_RCV_TOO_LARGE, "MAILBOX_RCV_TOO_LARGE", "receive: message too large for buffer"},
	{MAILBOX_RCV_INTERRUPTED, "MAILBOX_RCV_INTERRUPTED", "receive: interrupted"},
	{MAILBOX_RCV_PORT_CHANGED, "MAILBOX_RCV_PORT_CHANGED", "receive: port moved to another space"},
	{MAILBOX_RCV_INVALID_DATA, "MAILBOX_RCV_INVALID_DATA", "receive: invalid buffer"},
	{MAILBOX_RCV_PORT_DIED, "MAILBOX_RCV_PORT_DIED", "receive: port died"},
	{MAILBOX_RCV_HEADER_ERROR, "MAILBOX_RCV_HEADER_ERROR", "receive: header error"},
	{MAILBOX_RCV_BODY_ERROR, "MAILBOX_RCV_BODY_ERROR", "receive: a carried right could not be named"},
};

constexpr int errno_mask = 0xffff;
constexpr int status_shift = 16;

int status_index(std::uint32_t status) noexcept
{
	for (std::size_t i = 1; i < std::size(statuses); i++)
		if (statuses[i].status == status)
			return static_cast<int>(i);
	return 0;
}

class Category final : public std::error_category {
public:
	const char *name() const noexcept override { return "mailbox"; }

	std::string message(int value) const override
	{
		int err = value & errno_mask;
		int idx = (value >> status_shift) & 0xff;
		const char *what = errno_description(err);
		std::string e = what ? what : std::generic_category().message(err);
		if (idx <= 0 || idx >= static_cast<int>(std::size(statuses)))
			return e;
		return std::string(statuses[idx].description) + " (" + e + ")";
	}

	std::error_condition default_error_condition(int value) const noexcept override
	{
		return std::error_condition(value & errno_mask, std::generic_category());
	}
};

} // namespace

const std::error_category &category() noexcept
{
	static const Category instance;
	return instance;
}

std::error_code make_error(int err, std::uint32_t status) noexcept
{
	int value = (err & errno_mask) | (status_index(status) << status_shift);
	return std::error_code(value, category());
}

int errno_of(const std::error_code &ec) noexcept
{
	if (ec.category() == category())
		return ec.value() & errno_mask;
	if (ec.category() == std::generic_category() || ec.category() == std::system_category())
		return ec.value();
	return 0;
}

std::uint32_t status_of(const std::error_code &ec) noexcept
{
	if (ec.category() != category())
		return MAILBOX_MSG_SUCCESS;
	int idx = (ec.value() >> status_shift) & 0xff;
	if (idx <= 0 || idx >= static_cast<int>(std::size(statuses)))
		return MAILBOX_MSG_SUCCESS;
	return statuses[idx].status;
}

const char *status_name(std::uint32_t status) noexcept
{
	if (status == MAILBOX_MSG_SUCCESS)
		return statuses[0].name;
	int idx = status_index(status);
	return idx ? statuses[idx].name : nullptr;
}

const char *status_description(std::uint32_t status) noexcept
{
	if (status == MAILBOX_MSG_SUCCESS)
		return statuses[0].description;
	int idx = status_index(status);
	return idx ? statuses[idx].description : nullptr;
}

const char *errno_description(int err) noexcept
{
	switch (err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such name";
	case EPERM:
		return "name lacks the right";
	case EPIPE:
		return "port dead";
	case EINVAL:
		return "invalid argument";
	case EOVERFLOW:
		return "user references overflow";
	case EEXIST:
		return "name already in use";
	case EALREADY:
		return "port already has another name in the target space";
	case ENOSPC:
		return "space full";
	case ENOMEM:
		return "out of memory";
	case EAGAIN:
		return "would block";
	case ETIMEDOUT:
		return "timed out";
	case EINTR:
		return "interrupted by a signal";
	case EMSGSIZE:
		return "message size out of range";
	case EFAULT:
		return "bad user address";
	case EBADF:
		return "bad file descriptor";
	case ENOTTY:
		return "not a mailbox command";
	case ELOOP:
		return "receive right would be in transit inside its own queue";
	case EIDRM:
		return "port moved to another space";
	case ENXIO:
		return "port is in no set";
	case ENODATA:
		return "right fd already imported";
	case EMFILE:
		return "per-user port limit or file descriptor limit reached";
	case ENOBUFS:
		return "per-user queued message or byte limit reached";
	default:
		return nullptr;
	}
}

} // namespace mailbox
