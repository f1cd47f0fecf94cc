// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Internal to libmailbox: filling struct mailbox_msg and a message header,
// shared by the ioctl path (space.cpp) and the io_uring path (uring.cpp) so
// both build the same arguments from the same options.
#ifndef MAILBOX_SRC_MSG_ARGS_HPP
#define MAILBOX_SRC_MSG_ARGS_HPP

#include <mailbox/mailbox.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace mailbox::detail {

// Adds the timeout option bit and value for @t; nullopt waits forever.
inline void set_timeout(const timeout &t, std::uint32_t option, std::uint32_t &options,
			__u64 &value) noexcept
{
	if (!t)
		return;
	options |= option;
	auto ns = t->count();
	value = ns <= 0 ? 0 : static_cast<__u64>(ns);
}

// True if @msg can be sent: a header and at most 4 GiB - 1.
inline bool sendable_size(std::span<const std::byte> msg) noexcept
{
	return msg.size() >= header_size && msg.size() <= std::numeric_limits<std::uint32_t>::max();
}

// Writes bits, remote_port and local_port into the header of @msg (which
// must be sendable_size()).
inline void fill_header(std::span<std::byte> msg, std::uint32_t dest, std::uint32_t disposition,
			std::uint32_t reply, std::uint32_t reply_disposition) noexcept
{
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	// The builder sets MAILBOX_MSGH_COMPLEX when it wrote descriptors.
	h.bits = (h.bits & MAILBOX_MSGH_COMPLEX) | MAILBOX_MSGH_BITS(disposition, reply_disposition);
	h.remote_port = dest;
	h.local_port = reply;
	std::memcpy(msg.data(), &h, sizeof(h));
}

// The send half of @m (zeroed by the caller, or holding only a receive
// half) for @msg to @dest: the header filled as fill_header() does, then
// the message, priority and timeout of @o. False, and @m untouched, if @msg
// is not sendable_size().
inline bool set_send(mailbox_msg &m, std::span<std::byte> msg, std::uint32_t dest,
		     std::uint32_t disposition, std::uint32_t reply,
		     std::uint32_t reply_disposition, const SendOptions &o) noexcept
{
	if (!sendable_size(msg))
		return false;
	fill_header(msg, dest, disposition, reply, reply_disposition);
	m.send_msg = reinterpret_cast<std::uintptr_t>(msg.data());
	m.options |= MAILBOX_MSG_SEND;
	m.send_size = static_cast<std::uint32_t>(msg.size());
	m.priority = o.priority;
	set_timeout(o.send_timeout, MAILBOX_MSG_SEND_TIMEOUT, m.options, m.send_timeout);
	return true;
}

// A receive buffer's size as the ioctl takes it (capped at 4 GiB - 1).
inline std::uint32_t capacity(std::span<std::byte> buffer) noexcept
{
	return static_cast<std::uint32_t>(
		std::min<std::size_t>(buffer.size(), std::numeric_limits<std::uint32_t>::max()));
}

// The receive half of @m from @o (options, timeout, filter, peek).
inline void set_receive(mailbox_msg &m, const ReceiveOptions &o) noexcept
{
	m.options |= MAILBOX_MSG_RCV | o.options;
	if (o.peek)
		m.options |= MAILBOX_MSG_RCV_PEEK;
	if (o.filter) {
		m.options |= MAILBOX_MSG_RCV_FILTER;
		m.rcv_filter = reinterpret_cast<std::uintptr_t>(&o.filter->raw());
	}
	set_timeout(o.rcv_timeout, MAILBOX_MSG_RCV_TIMEOUT, m.options, m.rcv_timeout);
}

// The receive half of @m into @buffer on @rcv, with @o.
inline void fill_receive(mailbox_msg &m, std::span<std::byte> buffer, std::uint32_t rcv,
			 const ReceiveOptions &o) noexcept
{
	m.rcv_msg = reinterpret_cast<std::uintptr_t>(buffer.data());
	m.rcv_size = capacity(buffer);
	m.rcv_name = rcv;
	set_receive(m, o);
}

} // namespace mailbox::detail

#endif // MAILBOX_SRC_MSG_ARGS_HPP
