// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox: asynchronous send, receive and call through io_uring
// (IORING_OP_URING_CMD, MAILBOX_URING_CMD_MSG; Documentation/io_uring.rst).
//
// Objects and ownership:
//  - AsyncMsg holds the struct mailbox_msg one command reads and writes.
//    The kernel keeps its address (and those of the buffers it names) until
//    the command's completion, so an AsyncMsg is neither copyable nor
//    movable and must outlive its completion; so must its buffers.
//  - The ring is the caller's (struct io_uring from liburing): AsyncMsg only
//    fills SQEs and decodes completions, so mailbox commands mix with any
//    other io_uring work. Ring is an optional owner for callers without one.
//
// Rules as in mailbox.hpp: nothing throws or allocates on the message
// path; results are std::expected with errors in mailbox::category(). A
// completion's cqe->res is what MAILBOX_IOC_MSG would return (0 or
// -errno); -ECANCELED means the command was cancelled (IORING_OP_ASYNC_CANCEL,
// the ring's or the process's end, or the close of the space's last fd).
#ifndef MAILBOX_URING_HPP
#define MAILBOX_URING_HPP

#include <liburing.h>

#include <cstdint>
#include <span>

#include <mailbox/mailbox.hpp>

namespace mailbox::uring {

// One asynchronous MAILBOX_IOC_MSG.
class AsyncMsg final {
public:
	AsyncMsg() noexcept = default;
	AsyncMsg(const AsyncMsg &) = delete;
	AsyncMsg &operator=(const AsyncMsg &) = delete;

	// What to do (no system call), as Space::send(), receive() and
	// call(); the header of @msg is filled in now. A send or call whose
	// MOVE disposition succeeds consumes the right: release() its owner
	// once sent() / received() succeeds.
	[[nodiscard]] result<void> set_send(std::uint32_t dest, std::span<std::byte> msg,
					    std::uint32_t disposition,
					    const SendOptions &options = {}) noexcept;
	void set_receive(std::uint32_t rcv, std::span<std::byte> buffer,
			 const ReceiveOptions &options = {}) noexcept;
	[[nodiscard]] result<void> set_call(std::uint32_t dest, std::span<std::byte> msg,
					    std::uint32_t disposition, std::uint32_t reply,
					    std::span<std::byte> buffer,
					    const SendOptions &send_options = {},
					    const ReceiveOptions &rcv_options = {}) noexcept;

	// Fills @sqe: IORING_OP_URING_CMD on space fd @fd, with @user_data.
	void prepare(io_uring_sqe &sqe, int fd, std::uint64_t user_data) noexcept;
	// Takes an SQE of @ring and prepare()s it; not submitted. EBUSY when
	// the submission queue is full.
	[[nodiscard]] result<void> queue(io_uring &ring, int fd, std::uint64_t user_data) noexcept;

	// Decode the completion (cqe->res @res) of a send, or of a receive or
	// call (the view refers to the receive buffer).
	[[nodiscard]] result<void> sent(int res) const noexcept;
	[[nodiscard]] result<MessageView> received(int res) const noexcept;

	[[nodiscard]] const mailbox_msg &args() const noexcept { return m_; }

private:
	mailbox_msg m_{};
	std::span<std::byte> buffer_{};
};

// One completion taken off the CQ ring.
struct Completion {
	std::uint64_t user_data = 0;
	int res = 0;
};

// Takes up to out.size() completions off @ring without waiting.
[[nodiscard]] std::size_t reap(io_uring &ring, std::span<Completion> out) noexcept;
// Waits up to @limit (nullopt: forever) for one completion, then reap()s.
// ETIME when none came in time.
[[nodiscard]] result<std::size_t> wait(io_uring &ring, std::span<Completion> out,
				       timeout limit = std::nullopt) noexcept;

// Owns a struct io_uring (io_uring_queue_init() .. io_uring_queue_exit()).
// Destroying it cancels every command still pending on it, asynchronously:
// a receive may still take a message until io_uring's exit work gets to
// it, so cancel and reap first if that matters.
class Ring final {
public:
	// ENOSYS when the kernel has no io_uring.
	[[nodiscard]] static result<Ring> create(unsigned entries, unsigned flags = 0) noexcept;

	Ring() noexcept = default;
	Ring(const Ring &) = delete;
	Ring &operator=(const Ring &) = delete;
	Ring(Ring &&other) noexcept : ring_(other.ring_), up_(other.up_) { other.up_ = false; }
	Ring &operator=(Ring &&other) noexcept;
	~Ring() { reset(); }

	explicit operator bool() const noexcept { return up_; }
	[[nodiscard]] io_uring &get() noexcept { return ring_; }
	void reset() noexcept;
	// io_uring_submit(): the number of SQEs submitted.
	[[nodiscard]] result<unsigned> submit() noexcept;

private:
	io_uring ring_{};
	bool up_ = false;
};

} // namespace mailbox::uring

#endif // MAILBOX_URING_HPP
