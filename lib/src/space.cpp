// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::Space: the owning fd of one IPC space and the message path.
#include <mailbox/mailbox.hpp>

#include "msg_args.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace mailbox {
using detail::set_send;
using detail::set_timeout;

result<Space> Space::open(const char *path, int extra_flags) noexcept
{
	int fd = ::open(path, O_RDWR | O_CLOEXEC | extra_flags);
	if (fd < 0)
		return std::unexpected(make_error(errno));
	return Space(fd);
}

Space &Space::operator=(Space &&other) noexcept
{
	if (this != &other) {
		reset();
		fd_ = other.fd_;
		other.fd_ = -1;
	}
	return *this;
}

void Space::reset() noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

result<OolRegion> Space::ool_buffer(std::size_t size) const noexcept
{
	if (size == 0)
		return std::unexpected(make_error(EINVAL));
	void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
	if (p == MAP_FAILED)
		return std::unexpected(make_error(errno));
	return OolRegion(p, size);
}

result<ReceiveRight> Space::allocate_receive() const noexcept
{
	auto name = sys::port_allocate(fd_, MAILBOX_RIGHT_RECEIVE);
	if (!name)
		return std::unexpected(name.error());
	return ReceiveRight(fd_, *name);
}

result<DeadName> Space::allocate_dead_name() const noexcept
{
	auto name = sys::port_allocate(fd_, MAILBOX_RIGHT_DEAD_NAME);
	if (!name)
		return std::unexpected(name.error());
	return DeadName(fd_, *name);
}

result<PortSet> Space::allocate_port_set() const noexcept
{
	auto name = sys::port_allocate(fd_, MAILBOX_RIGHT_PORT_SET);
	if (!name)
		return std::unexpected(name.error());
	return PortSet(fd_, *name);
}

namespace {

// The previous request's right: a name the caller now owns, unless the
// kernel says there was none (NULL) or its port died (DEAD).
result<SendOnceRight> previous_right(int fd, result<std::uint32_t> prev) noexcept
{
	if (!prev)
		return std::unexpected(prev.error());
	if (*prev == MAILBOX_PORT_NULL || *prev == MAILBOX_PORT_DEAD)
		return SendOnceRight();
	return SendOnceRight(fd, *prev);
}

} // namespace

result<SendOnceRight> Space::request_notification(std::uint32_t name, NotifyVariant variant,
						  const ReceiveRight &notify,
						  std::uint32_t sync) const noexcept
{
	return previous_right(fd_, sys::port_request_notification(
					   fd_, name, static_cast<std::uint32_t>(variant), sync,
					   notify.get(), MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
}

result<SendOnceRight> Space::request_notification(std::uint32_t name, NotifyVariant variant,
						  SendOnceRight &notify,
						  std::uint32_t sync) const noexcept
{
	auto prev = sys::port_request_notification(fd_, name, static_cast<std::uint32_t>(variant),
						   sync, notify.get(),
						   MAILBOX_MSG_TYPE_MOVE_SEND_ONCE);
	if (prev)
		(void)notify.release(); // moved into the request
	return previous_right(fd_, prev);
}

result<SendOnceRight> Space::cancel_notification(std::uint32_t name,
						 NotifyVariant variant) const noexcept
{
	return previous_right(fd_, sys::port_request_notification(
					   fd_, name, static_cast<std::uint32_t>(variant), 0,
					   MAILBOX_PORT_NULL, 0));
}

result<ReadyFd> Space::ready_fd(std::uint32_t name) const noexcept
{
	auto fd = sys::port_ready_fd(fd_, name);
	if (!fd)
		return std::unexpected(fd.error());
	return ReadyFd(*fd);
}

result<RightFd> Space::export_right(std::uint32_t name, std::uint32_t disposition) const noexcept
{
	auto fd = sys::port_export(fd_, name, disposition);
	if (!fd)
		return std::unexpected(fd.error());
	bool once = disposition == MAILBOX_MSG_TYPE_MAKE_SEND_ONCE ||
		    disposition == MAILBOX_MSG_TYPE_MOVE_SEND_ONCE;
	return RightFd(*fd, once ? RightFd::Kind::send_once : RightFd::Kind::send);
}

result<SendRight> Space::import_send(const RightFd &right) const noexcept
{
	if (right.kind() == RightFd::Kind::send_once)
		return std::unexpected(make_error(EINVAL));
	auto name = sys::port_import(fd_, right.get(), MAILBOX_PORT_NULL);
	if (!name)
		return std::unexpected(name.error());
	return SendRight(fd_, *name);
}

result<SendOnceRight> Space::import_send_once(const RightFd &right) const noexcept
{
	if (right.kind() == RightFd::Kind::send)
		return std::unexpected(make_error(EINVAL));
	auto name = sys::port_import(fd_, right.get(), MAILBOX_PORT_NULL);
	if (!name)
		return std::unexpected(name.error());
	return SendOnceRight(fd_, *name);
}

result<SendRight> Space::lookup(std::string_view service) const noexcept
{
	auto name = sys::service_lookup(fd_, service);
	if (!name)
		return std::unexpected(name.error());
	return SendRight(fd_, *name);
}

result<std::vector<NameEntry>> Space::names() const
{
	for (;;) {
		std::uint32_t needed = 0;
		auto probe = sys::port_names(fd_, {}, {}, &needed);
		if (!probe && probe.error() != std::errc::no_space_on_device)
			return std::unexpected(probe.error());
		if (probe && needed == 0)
			return std::vector<NameEntry>{};

		std::vector<std::uint32_t> names(needed), types(needed);
		auto r = sys::port_names(fd_, names, types, &needed);
		if (!r) {
			if (r.error() == std::errc::no_space_on_device)
				continue; // the space grew in between
			return std::unexpected(r.error());
		}
		std::vector<NameEntry> out(*r);
		for (std::uint32_t i = 0; i < *r; i++)
			out[i] = NameEntry{names[i], types[i]};
		return out;
	}
}

result<void> Space::send(std::uint32_t dest, std::span<std::byte> msg, std::uint32_t disposition,
			 std::uint32_t reply, std::uint32_t reply_disposition,
			 timeout send_timeout) const noexcept
{
	SendOptions o;
	o.reply = reply;
	o.reply_disposition = reply_disposition;
	o.send_timeout = send_timeout;
	return send(dest, msg, disposition, o);
}

result<void> Space::send(std::uint32_t dest, std::span<std::byte> msg, std::uint32_t disposition,
			 const SendOptions &o) const noexcept
{
	mailbox_msg m{};
	if (!set_send(m, msg, dest, disposition, o.reply, o.reply_disposition, o))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	return sys::msg(fd_, m);
}

result<std::size_t> Space::send_batch(std::uint32_t dest,
				      std::span<const std::span<std::byte>> msgs,
				      std::uint32_t disposition, const SendOptions &o) const noexcept
{
	mailbox_msg m[MAILBOX_BATCH_MAX];
	if (msgs.empty() || msgs.size() > MAILBOX_BATCH_MAX)
		return std::unexpected(make_error(EINVAL));
	for (std::size_t i = 0; i < msgs.size(); i++) {
		m[i] = mailbox_msg{};
		if (!set_send(m[i], msgs[i], dest, disposition, o.reply, o.reply_disposition, o))
			return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	}
	auto sent = sys::msg_batch(fd_, std::span<mailbox_msg>(m, msgs.size()));
	if (!sent)
		return std::unexpected(sent.error());
	return *sent;
}

result<void> Space::send_gather(std::uint32_t dest,
				std::span<const std::span<const std::byte>> segments,
				std::uint32_t disposition, const SendOptions &o) const noexcept
{
	// The header goes from a local copy (the segments are const): the
	// first header_size gathered bytes are replaced by it.
	mailbox_msg_header h;
	auto *hb = reinterpret_cast<std::byte *>(&h);
	mailbox_iov iov[MAILBOX_IOV_MAX];
	std::size_t n = 1, got = 0;

	if (segments.empty() || segments.size() > MAILBOX_IOV_MAX)
		return std::unexpected(make_error(EINVAL));
	for (const auto &seg : segments) {
		std::size_t off = 0;
		if (got < header_size) {
			off = std::min(seg.size(), header_size - got);
			std::memcpy(hb + got, seg.data(), off);
			got += off;
		}
		if (off == seg.size())
			continue;
		if (n == MAILBOX_IOV_MAX)
			return std::unexpected(make_error(EINVAL));
		iov[n].base = reinterpret_cast<std::uintptr_t>(seg.data() + off);
		iov[n].len = seg.size() - off;
		n++;
	}
	if (got < header_size)
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	h.bits = (h.bits & MAILBOX_MSGH_COMPLEX) | MAILBOX_MSGH_BITS(disposition, o.reply_disposition);
	h.remote_port = dest;
	h.local_port = o.reply;
	iov[0].base = reinterpret_cast<std::uintptr_t>(&h);
	iov[0].len = header_size;

	mailbox_msg m{};
	m.send_msg = reinterpret_cast<std::uintptr_t>(iov);
	m.options = MAILBOX_MSG_SEND | MAILBOX_MSG_SEND_IOV;
	m.send_size = static_cast<std::uint32_t>(n);
	m.priority = o.priority;
	set_timeout(o.send_timeout, MAILBOX_MSG_SEND_TIMEOUT, m.options, m.send_timeout);
	return sys::msg(fd_, m);
}

result<MessageView> Space::receive(std::uint32_t rcv, std::span<std::byte> buffer,
				   timeout rcv_timeout, std::uint32_t options) const noexcept
{
	return detail::receive(fd_, rcv, buffer, rcv_timeout, options);
}

result<MessageView> Space::receive(std::uint32_t rcv, std::span<std::byte> buffer,
				   const ReceiveOptions &options) const noexcept
{
	return detail::receive(fd_, rcv, buffer, options);
}

using detail::fill_receive;
using detail::set_receive;

result<MessageView> detail::receive(int fd, std::uint32_t rcv, std::span<std::byte> buffer,
				    timeout rcv_timeout, std::uint32_t options) noexcept
{
	ReceiveOptions o;
	o.rcv_timeout = rcv_timeout;
	o.options = options;
	return receive(fd, rcv, buffer, o);
}

result<MessageView> detail::receive(int fd, std::uint32_t rcv, std::span<std::byte> buffer,
				    const ReceiveOptions &o) noexcept
{
	mailbox_msg m{};
	fill_receive(m, buffer, rcv, o);
	if (auto r = sys::msg(fd, m); !r)
		return std::unexpected(r.error());
	return MessageView(buffer.first(std::min<std::size_t>(m.rcv_size, buffer.size())),
			   m.priority);
}

result<std::size_t> Space::receive_batch(std::uint32_t rcv,
					 std::span<const std::span<std::byte>> buffers,
					 std::span<MessageView> views,
					 const ReceiveOptions &o) const noexcept
{
	mailbox_msg m[MAILBOX_BATCH_MAX];
	std::size_t n = std::min(buffers.size(), views.size());
	if (n == 0 || n > MAILBOX_BATCH_MAX)
		return std::unexpected(make_error(EINVAL));
	for (std::size_t i = 0; i < n; i++) {
		m[i] = mailbox_msg{};
		fill_receive(m[i], buffers[i], rcv, o);
	}
	auto got = sys::msg_batch(fd_, std::span<mailbox_msg>(m, n));
	if (!got)
		return std::unexpected(got.error());
	for (std::uint32_t i = 0; i < *got; i++)
		views[i] = MessageView(buffers[i].first(std::min<std::size_t>(m[i].rcv_size,
									     buffers[i].size())),
				       m[i].priority);
	return *got;
}

result<ScatterReceived> Space::receive_scatter(std::uint32_t rcv,
					       std::span<const std::span<std::byte>> segments,
					       const ReceiveOptions &o) const noexcept
{
	mailbox_iov iov[MAILBOX_IOV_MAX];
	if (segments.empty() || segments.size() > MAILBOX_IOV_MAX)
		return std::unexpected(make_error(EINVAL));
	for (std::size_t i = 0; i < segments.size(); i++) {
		iov[i].base = reinterpret_cast<std::uintptr_t>(segments[i].data());
		iov[i].len = segments[i].size();
	}
	mailbox_msg m{};
	m.rcv_msg = reinterpret_cast<std::uintptr_t>(iov);
	m.rcv_size = static_cast<std::uint32_t>(segments.size());
	m.rcv_name = rcv;
	set_receive(m, o);
	m.options |= MAILBOX_MSG_RCV_IOV;
	if (auto r = sys::msg(fd_, m); !r)
		return std::unexpected(r.error());

	ScatterReceived out;
	out.size = m.rcv_size;
	out.priority = m.priority;
	auto *hb = reinterpret_cast<std::byte *>(&out.header);
	std::size_t got = 0;
	for (const auto &seg : segments) {
		if (got == header_size || got == out.size)
			break;
		std::size_t n = std::min({seg.size(), header_size - got, out.size - got});
		std::memcpy(hb + got, seg.data(), n);
		got += n;
	}
	return out;
}

result<MessageView> Space::call(std::uint32_t dest, std::span<std::byte> msg,
				std::uint32_t disposition, std::uint32_t reply,
				std::span<std::byte> buffer, timeout send_timeout,
				timeout rcv_timeout, std::uint32_t options) const noexcept
{
	SendOptions so;
	so.send_timeout = send_timeout;
	ReceiveOptions ro;
	ro.rcv_timeout = rcv_timeout;
	ro.options = options;
	return call(dest, msg, disposition, reply, buffer, so, ro);
}

result<MessageView> Space::call(std::uint32_t dest, std::span<std::byte> msg,
				std::uint32_t disposition, std::uint32_t reply,
				std::span<std::byte> buffer, const SendOptions &so,
				const ReceiveOptions &ro) const noexcept
{
	mailbox_msg m{};
	if (!set_send(m, msg, dest, disposition, reply, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE, so))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	ReceiveOptions r = ro;
	r.filter = nullptr;
	r.peek = false;
	fill_receive(m, buffer, reply, r);
	if (auto e = sys::msg(fd_, m); !e)
		return std::unexpected(e.error());
	return MessageView(buffer.first(std::min<std::size_t>(m.rcv_size, buffer.size())),
			   m.priority);
}

result<short> ReadyFd::poll(short events, timeout wait) const noexcept
{
	int ms = -1;
	if (wait) {
		auto c = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
		ms = c <= 0 ? 0 : c > INT32_MAX ? INT32_MAX : static_cast<int>(c);
	}
	pollfd p{fd_, events, 0};
	int n = ::poll(&p, 1, ms);
	if (n < 0)
		return std::unexpected(make_error(errno));
	return n == 0 ? short{0} : p.revents;
}

void detail::FdHandle::reset() noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

} // namespace mailbox
