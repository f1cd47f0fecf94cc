// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox notifications: typed parsing of the notification messages the
// module sends (XNU's ids and layouts, Documentation/
// descriptors-and-notifications.rst). Requesting them is
// Space::request_notification() (mailbox.hpp).
//
//     auto v = notify_port.receive(buf.span());
//     if (auto n = mailbox::parse_notification(*v)) {
//         if (auto *dead = std::get_if<mailbox::DeadNameNotification>(&*n))
//             ... dead->name is a dead name with one extra uref: release it
//     }
//
// Parsing checks the id, the exact size, the header bits (sent through a
// send-once right, no reply port) and, for port-destroyed, the descriptor;
// anything else is not a notification (std::nullopt). Nothing allocates.
#ifndef MAILBOX_NOTIFY_HPP
#define MAILBOX_NOTIFY_HPP

#include <linux/mailbox.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>

#include <mailbox/message.hpp>

namespace mailbox {

// The port named @name died. The receiver owns one more user reference of
// the dead name @name (release it with Space::deallocate() or adopt it as a
// DeadName).
struct DeadNameNotification {
	std::uint32_t name;
	friend bool operator==(const DeadNameNotification &, const DeadNameNotification &) = default;
};
// A dead-name or send-possible request's name went away before the port
// died. No right comes with it.
struct PortDeletedNotification {
	std::uint32_t name;
	friend bool operator==(const PortDeletedNotification &,
			       const PortDeletedNotification &) = default;
};
// The port of send right @name has room again.
struct SendPossibleNotification {
	std::uint32_t name;
	friend bool operator==(const SendPossibleNotification &,
			       const SendPossibleNotification &) = default;
};
// The port has no senders left; @mscount is its make-send count then
// (compare with the port's current mscount to detect a racing MAKE_SEND).
struct NoSendersNotification {
	std::uint32_t mscount;
	friend bool operator==(const NoSendersNotification &,
			       const NoSendersNotification &) = default;
};
// A send-once right to the port the message arrived on was destroyed
// unused (header.local_port says which port).
struct SendOnceNotification {
	friend bool operator==(const SendOnceNotification &, const SendOnceNotification &) = default;
};
// The receive right of a port whose port-destroyed request fired; it now
// belongs to the receiver under @receive_right (adopt it as a
// ReceiveRight).
struct PortDestroyedNotification {
	std::uint32_t receive_right;
	friend bool operator==(const PortDestroyedNotification &,
			       const PortDestroyedNotification &) = default;
};

using Notification =
	std::variant<DeadNameNotification, PortDeletedNotification, SendPossibleNotification,
		     NoSendersNotification, SendOnceNotification, PortDestroyedNotification>;

// True if @id is one of the notification ids (0101..0110).
[[nodiscard]] constexpr bool is_notification_id(std::int32_t id) noexcept
{
	switch (id) {
	case MAILBOX_NOTIFY_PORT_DELETED:
	case MAILBOX_NOTIFY_SEND_POSSIBLE:
	case MAILBOX_NOTIFY_PORT_DESTROYED:
	case MAILBOX_NOTIFY_NO_SENDERS:
	case MAILBOX_NOTIFY_SEND_ONCE:
	case MAILBOX_NOTIFY_DEAD_NAME:
		return true;
	default:
		return false;
	}
}

// The notification @v carries, or std::nullopt if @v is not a well-formed
// notification.
[[nodiscard]] inline std::optional<Notification> parse_notification(const MessageView &v) noexcept
{
	if (!v.valid() || !is_notification_id(v.id()))
		return std::nullopt;
	const mailbox_msg_header &h = v.header();
	if (MAILBOX_MSGH_REMOTE(h.bits) != 0 ||
	    MAILBOX_MSGH_LOCAL(h.bits) != MAILBOX_MSG_TYPE_PORT_SEND_ONCE ||
	    h.remote_port != MAILBOX_PORT_NULL)
		return std::nullopt;
	auto bytes = v.bytes();
	bool is_complex = v.complex();

	switch (v.id()) {
	case MAILBOX_NOTIFY_SEND_ONCE:
		if (h.size != header_size || is_complex)
			return std::nullopt;
		return SendOnceNotification{};
	case MAILBOX_NOTIFY_PORT_DESTROYED: {
		if (h.size != sizeof(mailbox_notify_port_destroyed) || !is_complex ||
		    v.descriptor_count() != 1)
			return std::nullopt;
		auto d = v.descriptor(0);
		if (!d || !d->is_port() || d->disposition != MAILBOX_MSG_TYPE_PORT_RECEIVE)
			return std::nullopt;
		return PortDestroyedNotification{d->name};
	}
	default:
		break;
	}

	// The three name notifications and no-senders: header, NDR, one word.
	static_assert(sizeof(mailbox_notify_name) == sizeof(mailbox_notify_no_senders));
	if (h.size != sizeof(mailbox_notify_name) || is_complex)
		return std::nullopt;
	std::uint32_t word;
	std::memcpy(&word, bytes.data() + offsetof(mailbox_notify_name, name), sizeof(word));
	switch (v.id()) {
	case MAILBOX_NOTIFY_DEAD_NAME:
		return DeadNameNotification{word};
	case MAILBOX_NOTIFY_PORT_DELETED:
		return PortDeletedNotification{word};
	case MAILBOX_NOTIFY_SEND_POSSIBLE:
		return SendPossibleNotification{word};
	default:
		return NoSendersNotification{word};
	}
}

} // namespace mailbox

#endif // MAILBOX_NOTIFY_HPP
