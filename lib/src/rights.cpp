// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The owning right types. Each holds one right (or one uref) under a name;
// reset() hands it back to the kernel and ignores errors: the name is
// forgotten either way, and a destructor has nobody to report to.
#include <mailbox/mailbox.hpp>

namespace mailbox {

void ReceiveRight::reset() noexcept
{
	if (name_ != MAILBOX_PORT_NULL)
		(void)sys::port_mod_refs(fd_, name_, MAILBOX_RIGHT_RECEIVE, -1);
	(void)release();
}

result<SendRight> ReceiveRight::make_send() const noexcept
{
	auto n = sys::port_insert_right(fd_, MAILBOX_SPACE_SELF, name_, name_,
					MAILBOX_MSG_TYPE_MAKE_SEND);
	if (!n)
		return std::unexpected(n.error());
	return SendRight(fd_, *n);
}

result<SendOnceRight> ReceiveRight::make_send_once() const noexcept
{
	auto n = sys::port_insert_right(fd_, MAILBOX_SPACE_SELF, MAILBOX_PORT_NULL, name_,
					MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
	if (!n)
		return std::unexpected(n.error());
	return SendOnceRight(fd_, *n);
}

result<SendRight> ReceiveRight::make_send_in(const Space &target) const noexcept
{
	auto n = sys::port_insert_right(fd_, target.fd(), MAILBOX_PORT_NULL, name_,
					MAILBOX_MSG_TYPE_MAKE_SEND);
	if (!n)
		return std::unexpected(n.error());
	return SendRight(target.fd(), *n);
}

result<void> ReceiveRight::set_qlimit(std::uint32_t qlimit) const noexcept
{
	mailbox_port_attr a{};
	a.qlimit = qlimit;
	return sys::port_set_attr(fd_, name_, MAILBOX_ATTR_QLIMIT, a);
}

result<void> ReceiveRight::set_port_flags(std::uint32_t port_flags) const noexcept
{
	mailbox_port_attr a{};
	a.port_flags = port_flags;
	return sys::port_set_attr(fd_, name_, MAILBOX_ATTR_FLAGS, a);
}

namespace {
// MAILBOX_ATTR_SPIN takes whole microseconds in 32 bits.
result<void> set_spin_of(int fd, std::uint32_t name, std::chrono::microseconds budget) noexcept
{
	if (budget.count() < 0 || budget.count() > UINT32_MAX)
		return std::unexpected(make_error(EINVAL));
	mailbox_port_attr a{};
	a.spin_us = static_cast<std::uint32_t>(budget.count());
	return sys::port_set_attr(fd, name, MAILBOX_ATTR_SPIN, a);
}
} // namespace

result<void> ReceiveRight::set_spin(std::chrono::microseconds budget) const noexcept
{
	return set_spin_of(fd_, name_, budget);
}

result<ReadyFd> ReceiveRight::ready_fd() const noexcept
{
	auto fd = sys::port_ready_fd(fd_, name_);
	if (!fd)
		return std::unexpected(fd.error());
	return ReadyFd(*fd);
}

void SendRight::reset() noexcept
{
	if (name_ != MAILBOX_PORT_NULL)
		(void)sys::port_deallocate(fd_, name_);
	(void)release();
}

result<SendRight> SendRight::copy() const noexcept
{
	if (auto r = sys::port_mod_refs(fd_, name_, MAILBOX_RIGHT_SEND, 1); !r)
		return std::unexpected(r.error());
	return SendRight(fd_, name_);
}

result<SendRight> SendRight::copy_into(const Space &target) const noexcept
{
	auto n = sys::port_insert_right(fd_, target.fd(), MAILBOX_PORT_NULL, name_,
					MAILBOX_MSG_TYPE_COPY_SEND);
	if (!n)
		return std::unexpected(n.error());
	return SendRight(target.fd(), *n);
}

void SendOnceRight::reset() noexcept
{
	if (name_ != MAILBOX_PORT_NULL)
		(void)sys::port_deallocate(fd_, name_);
	(void)release();
}

result<void> SendOnceRight::send(std::span<std::byte> msg, timeout send_timeout) noexcept
{
	Space borrowed(fd_);
	auto r = borrowed.send(name_, msg, MAILBOX_MSG_TYPE_MOVE_SEND_ONCE, MAILBOX_PORT_NULL, 0,
			       send_timeout);
	(void)borrowed.release(); // not ours to close
	if (r)
		(void)release();
	return r;
}

void DeadName::reset() noexcept
{
	if (name_ != MAILBOX_PORT_NULL)
		(void)sys::port_deallocate(fd_, name_);
	(void)release();
}

void PortSet::reset() noexcept
{
	if (name_ != MAILBOX_PORT_NULL)
		(void)sys::port_mod_refs(fd_, name_, MAILBOX_RIGHT_PORT_SET, -1);
	(void)release();
}

result<void> PortSet::set_spin(std::chrono::microseconds budget) const noexcept
{
	return set_spin_of(fd_, name_, budget);
}

result<std::chrono::microseconds> PortSet::spin() const noexcept
{
	auto a = sys::port_get_attr(fd_, name_);
	if (!a)
		return std::unexpected(a.error());
	return std::chrono::microseconds(a->spin_us);
}

result<ReadyFd> PortSet::ready_fd() const noexcept
{
	auto fd = sys::port_ready_fd(fd_, name_);
	if (!fd)
		return std::unexpected(fd.error());
	return ReadyFd(*fd);
}

} // namespace mailbox
