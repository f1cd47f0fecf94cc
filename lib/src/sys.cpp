// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::sys: one function per MAILBOX_IOC_* command. Each fills the
// argument structure (flags and reserved fields zero), issues the ioctl once
// and maps a failure to mailbox::make_error().
#include <mailbox/mailbox.hpp>

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace mailbox::sys {
namespace {

template <typename Arg>
result<void> do_ioctl(int fd, unsigned long cmd, Arg &arg) noexcept
{
	if (::ioctl(fd, cmd, &arg) < 0)
		return std::unexpected(make_error(errno));
	return {};
}

} // namespace

result<mailbox_version> version(int fd) noexcept
{
	mailbox_version v{};
	if (auto r = do_ioctl(fd, MAILBOX_IOC_VERSION, v); !r)
		return std::unexpected(r.error());
	return v;
}

result<std::uint32_t> port_allocate(int fd, std::uint32_t right) noexcept
{
	mailbox_port_allocate a{};
	a.right = right;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_ALLOCATE, a); !r)
		return std::unexpected(r.error());
	return a.name;
}

result<void> port_deallocate(int fd, std::uint32_t name) noexcept
{
	mailbox_port_name_op op{};
	op.name = name;
	return do_ioctl(fd, MAILBOX_IOC_PORT_DEALLOCATE, op);
}

result<void> port_destroy(int fd, std::uint32_t name) noexcept
{
	mailbox_port_name_op op{};
	op.name = name;
	return do_ioctl(fd, MAILBOX_IOC_PORT_DESTROY, op);
}

result<void> port_mod_refs(int fd, std::uint32_t name, std::uint32_t right,
			   std::int32_t delta) noexcept
{
	mailbox_port_mod_refs m{};
	m.name = name;
	m.right = right;
	m.delta = delta;
	return do_ioctl(fd, MAILBOX_IOC_PORT_MOD_REFS, m);
}

result<std::uint32_t> port_insert_right(int fd, int space_fd, std::uint32_t name,
					std::uint32_t poly, std::uint32_t disposition) noexcept
{
	mailbox_port_insert_right ins{};
	ins.space_fd = space_fd;
	ins.name = name;
	ins.poly = poly;
	ins.disposition = disposition;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_INSERT_RIGHT, ins); !r)
		return std::unexpected(r.error());
	return ins.name;
}

result<PortType> port_type(int fd, std::uint32_t name) noexcept
{
	mailbox_port_type t{};
	t.name = name;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_TYPE, t); !r)
		return std::unexpected(r.error());
	return PortType{t.type, t.send_urefs, t.dead_urefs};
}

result<std::uint32_t> port_names(int fd, std::span<std::uint32_t> names,
				 std::span<std::uint32_t> types, std::uint32_t *needed) noexcept
{
	if (names.size() != types.size())
		return std::unexpected(make_error(EINVAL));
	mailbox_port_names n{};
	n.names = reinterpret_cast<std::uintptr_t>(names.data());
	n.types = reinterpret_cast<std::uintptr_t>(types.data());
	n.count = static_cast<std::uint32_t>(names.size());
	auto r = do_ioctl(fd, MAILBOX_IOC_PORT_NAMES, n);
	if (needed)
		*needed = n.count;
	if (!r)
		return std::unexpected(r.error());
	return n.count;
}

result<mailbox_port_attr> port_get_attr(int fd, std::uint32_t name) noexcept
{
	mailbox_port_attr a{};
	a.name = name;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_GET_ATTR, a); !r)
		return std::unexpected(r.error());
	return a;
}

result<void> port_set_attr(int fd, std::uint32_t name, std::uint32_t mask,
			   const mailbox_port_attr &attr) noexcept
{
	mailbox_port_attr a{};
	a.name = name;
	a.flags = mask;
	a.qlimit = attr.qlimit;
	a.seqno = attr.seqno;
	a.mscount = attr.mscount;
	a.port_flags = attr.port_flags;
	a.spin_us = attr.spin_us;
	return do_ioctl(fd, MAILBOX_IOC_PORT_SET_ATTR, a);
}

result<void> msg(int fd, mailbox_msg &arg) noexcept
{
	if (::ioctl(fd, MAILBOX_IOC_MSG, &arg) < 0)
		return std::unexpected(make_error(errno, arg.status));
	return {};
}

result<std::uint32_t> msg_batch(int fd, std::span<mailbox_msg> msgs) noexcept
{
	mailbox_msg_batch b{};
	b.msgs = reinterpret_cast<std::uintptr_t>(msgs.data());
	b.count = static_cast<std::uint32_t>(
		std::min<std::size_t>(msgs.size(), std::numeric_limits<std::uint32_t>::max()));
	if (::ioctl(fd, MAILBOX_IOC_MSG_BATCH, &b) < 0)
		return std::unexpected(make_error(errno, msgs.empty() ? 0 : msgs[0].status));
	return b.count;
}

result<void> port_move_member(int fd, std::uint32_t member, std::uint32_t after) noexcept
{
	mailbox_port_move_member m{};
	m.member = member;
	m.after = after;
	return do_ioctl(fd, MAILBOX_IOC_PORT_MOVE_MEMBER, m);
}

result<std::uint32_t> port_request_notification(int fd, std::uint32_t name, std::uint32_t variant,
						std::uint32_t sync, std::uint32_t notify,
						std::uint32_t disposition) noexcept
{
	mailbox_port_request_notification r{};
	r.name = name;
	r.variant = variant;
	r.sync = sync;
	r.notify = notify;
	r.disposition = disposition;
	if (auto e = do_ioctl(fd, MAILBOX_IOC_PORT_REQUEST_NOTIFICATION, r); !e)
		return std::unexpected(e.error());
	return r.previous;
}

result<int> port_ready_fd(int fd, std::uint32_t name) noexcept
{
	mailbox_port_fd f{};
	f.name = name;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_READY_FD, f); !r)
		return std::unexpected(r.error());
	return f.fd;
}

result<int> port_export(int fd, std::uint32_t name, std::uint32_t disposition) noexcept
{
	mailbox_port_fd f{};
	f.name = name;
	f.disposition = disposition;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_EXPORT, f); !r)
		return std::unexpected(r.error());
	return f.fd;
}

result<std::uint32_t> port_import(int fd, int right_fd, std::uint32_t name) noexcept
{
	mailbox_port_fd f{};
	f.name = name;
	f.fd = right_fd;
	if (auto r = do_ioctl(fd, MAILBOX_IOC_PORT_IMPORT, f); !r)
		return std::unexpected(r.error());
	return f.name;
}

namespace {

// Fills @s.service; false if @service is empty, too long or holds a NUL.
bool set_service(mailbox_service &s, std::string_view service) noexcept
{
	if (service.empty() || service.size() >= sizeof(s.service) ||
	    service.find('\0') != std::string_view::npos)
		return false;
	std::memcpy(s.service, service.data(), service.size());
	return true;
}

} // namespace

result<void> service_register(int fd, std::string_view service, std::uint32_t name,
			      std::uint32_t flags) noexcept
{
	mailbox_service s{};
	if (!set_service(s, service))
		return std::unexpected(make_error(EINVAL));
	s.name = name;
	s.flags = flags;
	return do_ioctl(fd, MAILBOX_IOC_REGISTER, s);
}

result<std::uint32_t> service_lookup(int fd, std::string_view service) noexcept
{
	mailbox_service s{};
	if (!set_service(s, service))
		return std::unexpected(make_error(EINVAL));
	if (auto r = do_ioctl(fd, MAILBOX_IOC_LOOKUP, s); !r)
		return std::unexpected(r.error());
	return s.name;
}

result<void> service_unregister(int fd, std::string_view service) noexcept
{
	mailbox_service s{};
	if (!set_service(s, service))
		return std::unexpected(make_error(EINVAL));
	return do_ioctl(fd, MAILBOX_IOC_UNREGISTER, s);
}

result<void> pulse(int fd, std::uint32_t name, std::int32_t code, std::uint64_t value,
		   std::uint32_t priority) noexcept
{
	mailbox_pulse_send p{};
	p.name = name;
	p.code = code;
	p.value = value;
	p.priority = priority;
	return do_ioctl(fd, MAILBOX_IOC_PULSE, p);
}

} // namespace mailbox::sys
