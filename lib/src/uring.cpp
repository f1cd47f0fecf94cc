// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox: io_uring commands (mailbox/uring.hpp).
#include <mailbox/uring.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace mailbox::uring {
namespace {

void set_timeout(const timeout &t, std::uint32_t option, std::uint32_t &options,
		 __u64 &value) noexcept
{
	if (!t)
		return;
	options |= option;
	auto ns = t->count();
	value = ns <= 0 ? 0 : static_cast<__u64>(ns);
}

bool fill_header(std::span<std::byte> msg, std::uint32_t dest, std::uint32_t disposition,
		 std::uint32_t reply, std::uint32_t reply_disposition) noexcept
{
	if (msg.size() < header_size || msg.size() > std::numeric_limits<std::uint32_t>::max())
		return false;
	mailbox_msg_header h;
	std::memcpy(&h, msg.data(), sizeof(h));
	h.bits = (h.bits & MAILBOX_MSGH_COMPLEX) | MAILBOX_MSGH_BITS(disposition, reply_disposition);
	h.remote_port = dest;
	h.local_port = reply;
	std::memcpy(msg.data(), &h, sizeof(h));
	return true;
}

void fill_receive(mailbox_msg &m, std::span<std::byte> buffer, std::uint32_t rcv,
		 const ReceiveOptions &o) noexcept
{
	m.rcv_msg = reinterpret_cast<std::uintptr_t>(buffer.data());
	m.rcv_size = static_cast<std::uint32_t>(
		std::min<std::size_t>(buffer.size(), std::numeric_limits<std::uint32_t>::max()));
	m.rcv_name = rcv;
	m.options |= MAILBOX_MSG_RCV | o.options;
	if (o.peek)
		m.options |= MAILBOX_MSG_RCV_PEEK;
	if (o.filter) {
		m.options |= MAILBOX_MSG_RCV_FILTER;
		m.rcv_filter = reinterpret_cast<std::uintptr_t>(&o.filter->raw());
	}
	set_timeout(o.rcv_timeout, MAILBOX_MSG_RCV_TIMEOUT, m.options, m.rcv_timeout);
}

} // namespace

result<void> AsyncMsg::set_send(std::uint32_t dest, std::span<std::byte> msg,
				std::uint32_t disposition, const SendOptions &o) noexcept
{
	if (!fill_header(msg, dest, disposition, o.reply, o.reply_disposition))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	m_ = mailbox_msg{};
	buffer_ = {};
	m_.send_msg = reinterpret_cast<std::uintptr_t>(msg.data());
	m_.options = MAILBOX_MSG_SEND;
	m_.send_size = static_cast<std::uint32_t>(msg.size());
	m_.priority = o.priority;
	set_timeout(o.send_timeout, MAILBOX_MSG_SEND_TIMEOUT, m_.options, m_.send_timeout);
	return {};
}

void AsyncMsg::set_receive(std::uint32_t rcv, std::span<std::byte> buffer,
			   const ReceiveOptions &o) noexcept
{
	m_ = mailbox_msg{};
	buffer_ = buffer;
	fill_receive(m_, buffer, rcv, o);
}

result<void> AsyncMsg::set_call(std::uint32_t dest, std::span<std::byte> msg,
				std::uint32_t disposition, std::uint32_t reply,
				std::span<std::byte> buffer, const SendOptions &so,
				const ReceiveOptions &ro) noexcept
{
	if (!fill_header(msg, dest, disposition, reply, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	m_ = mailbox_msg{};
	buffer_ = buffer;
	m_.send_msg = reinterpret_cast<std::uintptr_t>(msg.data());
	m_.options = MAILBOX_MSG_SEND;
	m_.send_size = static_cast<std::uint32_t>(msg.size());
	m_.priority = so.priority;
	set_timeout(so.send_timeout, MAILBOX_MSG_SEND_TIMEOUT, m_.options, m_.send_timeout);
	ReceiveOptions r = ro;
	r.filter = nullptr;
	r.peek = false;
	fill_receive(m_, buffer, reply, r);
	return {};
}

void AsyncMsg::prepare(io_uring_sqe &sqe, int fd, std::uint64_t user_data) noexcept
{
	mailbox_uring_msg c{};
	c.msg = reinterpret_cast<std::uintptr_t>(&m_);

	std::memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_URING_CMD;
	sqe.fd = fd;
	sqe.cmd_op = MAILBOX_URING_CMD_MSG;
	sqe.user_data = user_data;
	static_assert(sizeof(c) <= 16, "payload fits a 64-byte SQE");
	std::memcpy(sqe.cmd, &c, sizeof(c));
}

result<void> AsyncMsg::queue(io_uring &ring, int fd, std::uint64_t user_data) noexcept
{
	io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		return std::unexpected(make_error(EBUSY));
	prepare(*sqe, fd, user_data);
	return {};
}

result<void> AsyncMsg::sent(int res) const noexcept
{
	if (res < 0)
		return std::unexpected(make_error(-res, m_.status));
	return {};
}

result<MessageView> AsyncMsg::received(int res) const noexcept
{
	if (res < 0)
		return std::unexpected(make_error(-res, m_.status));
	return MessageView(buffer_.first(std::min<std::size_t>(m_.rcv_size, buffer_.size())),
			   m_.priority);
}

std::size_t reap(io_uring &ring, std::span<Completion> out) noexcept
{
	std::size_t n = 0;
	io_uring_cqe *cqe;

	while (n < out.size() && io_uring_peek_cqe(&ring, &cqe) == 0) {
		out[n].user_data = cqe->user_data;
		out[n].res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		n++;
	}
	return n;
}

result<std::size_t> wait(io_uring &ring, std::span<Completion> out, timeout limit) noexcept
{
	io_uring_cqe *cqe;
	int err;

	if (out.empty())
		return std::unexpected(make_error(EINVAL));
	if (limit) {
		auto ns = std::max<std::int64_t>(limit->count(), 0);
		__kernel_timespec ts{};
		ts.tv_sec = ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		err = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	} else {
		err = io_uring_wait_cqe(&ring, &cqe);
	}
	if (err < 0)
		return std::unexpected(make_error(-err));
	return reap(ring, out);
}

result<Ring> Ring::create(unsigned entries, unsigned flags) noexcept
{
	Ring r;
	int err = io_uring_queue_init(entries, &r.ring_, flags);
	if (err < 0)
		return std::unexpected(make_error(-err));
	r.up_ = true;
	return r;
}

Ring &Ring::operator=(Ring &&other) noexcept
{
	if (this != &other) {
		reset();
		ring_ = other.ring_;
		up_ = std::exchange(other.up_, false);
	}
	return *this;
}

void Ring::reset() noexcept
{
	if (up_)
		io_uring_queue_exit(&ring_);
	up_ = false;
}

result<unsigned> Ring::submit() noexcept
{
	int n = io_uring_submit(&ring_);
	if (n < 0)
		return std::unexpected(make_error(-n));
	return static_cast<unsigned>(n);
}

} // namespace mailbox::uring
