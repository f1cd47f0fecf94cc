// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox: io_uring commands (mailbox/uring.hpp).
#include <mailbox/uring.hpp>

#include "msg_args.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace mailbox::uring {
namespace {

using detail::fill_receive;

} // namespace

result<void> AsyncMsg::set_send(std::uint32_t dest, std::span<std::byte> msg,
				std::uint32_t disposition, const SendOptions &o) noexcept
{
	mailbox_msg m{};
	if (!detail::set_send(m, msg, dest, disposition, o.reply, o.reply_disposition, o))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	m_ = m;
	buffer_ = {};
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
	mailbox_msg m{};
	if (!detail::set_send(m, msg, dest, disposition, reply, MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
			      so))
		return std::unexpected(make_error(EINVAL, MAILBOX_SEND_MSG_TOO_SMALL));
	m_ = m;
	buffer_ = buffer;
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
