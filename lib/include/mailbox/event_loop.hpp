// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::EventLoop: an epoll loop over readiness fds (and any other fd),
// on top of the thin layer in mailbox.hpp.
//
//     mailbox::EventLoop loop;                       // epoll_create1
//     loop.watch_port(space, port.get(), [&](const mailbox::MessageView &m) {
//         ...                                        // one call per message
//     });
//     loop.watch_fd(timer_fd, EPOLLIN, [&](std::uint32_t events) { ... });
//     loop.run();                                    // until stop()
//
// watch_port() makes a ReadyFd for a receive right or port set and, when it
// reports EPOLLIN, receives what is queued (at most batch messages per
// wake-up, each with a zero timeout, so a message another thread took
// first is not waited for) into a buffer allocated once by watch_port().
// EPOLLHUP (the port died, the set was destroyed) or a receive error other
// than EAGAIN calls the error handler, if any, and ends the watch.
//
// Ownership: the loop owns its epoll fd and the ReadyFds it made; watch_fd()
// borrows the caller's fd (unwatch it before closing it). Callbacks may
// watch, unwatch (their own watch included) and stop(). watch_*() allocate
// (once per watch); run_once() does not. Single-threaded: one thread runs
// the loop and calls its methods.
#ifndef MAILBOX_EVENT_LOOP_HPP
#define MAILBOX_EVENT_LOOP_HPP

#include <mailbox/mailbox.hpp>

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace mailbox {

class EventLoop final {
public:
	// Identifies a watch; 0 is never used.
	using WatchId = std::uint64_t;
	using FdHandler = std::function<void(std::uint32_t events)>;
	using MessageHandler = std::function<void(const MessageView &message)>;
	using ErrorHandler = std::function<void(std::error_code error)>;

	// Most messages received per port per wake-up (fairness between
	// watches; level-triggered epoll reports the rest next time).
	static constexpr unsigned batch = 32;

	// Creates the epoll fd (EPOLL_CLOEXEC); check valid() or use create().
	EventLoop() noexcept;
	[[nodiscard]] static result<EventLoop> create() noexcept;
	EventLoop(const EventLoop &) = delete;
	EventLoop &operator=(const EventLoop &) = delete;
	EventLoop(EventLoop &&) noexcept;
	EventLoop &operator=(EventLoop &&) noexcept;
	~EventLoop();

	[[nodiscard]] bool valid() const noexcept { return epfd_ >= 0; }
	[[nodiscard]] int epoll_fd() const noexcept { return epfd_; }
	// Number of active watches.
	[[nodiscard]] std::size_t size() const noexcept;

	// Calls @handler with the epoll events of borrowed fd @fd (level
	// triggered) whenever any of @events is reported.
	[[nodiscard]] result<WatchId> watch_fd(int fd, std::uint32_t events, FdHandler handler);

	// Watches receive right or port set @name of @space, whose messages
	// fit in @buffer_size bytes (a larger one: the error handler gets
	// EMSGSIZE and the watch ends; pass MAILBOX_MSG_RCV_LARGE in
	// @options to keep it queued instead). @options: extra receive
	// options (e.g. MAILBOX_MSG_RCV_TRAILER). @space must outlive the
	// watch.
	[[nodiscard]] result<WatchId> watch_port(const Space &space, std::uint32_t name,
						 MessageHandler on_message,
						 ErrorHandler on_error = {},
						 std::size_t buffer_size = 4096,
						 std::uint32_t options = 0);

	// Ends a watch (its ReadyFd is closed); ENOENT if there is none.
	[[nodiscard]] result<void> unwatch(WatchId id) noexcept;

	// Waits up to @wait for events and dispatches them; returns how many
	// fds were ready (0 on timeout). EINTR is returned as an error.
	[[nodiscard]] result<unsigned> run_once(timeout wait = std::nullopt) noexcept;

	// Dispatches until stop() or an error of run_once(), or until no
	// watch is left. stop() from a callback ends the current batch.
	[[nodiscard]] result<void> run() noexcept;
	void stop() noexcept { stopping_ = true; }

private:
	struct Watch;
	void dispatch(Watch &w, std::uint32_t events) noexcept;

	int epfd_ = -1;
	bool stopping_ = false;
	bool dispatching_ = false;
	bool sweep_ = false;
	WatchId next_id_ = 1;
	std::map<WatchId, std::unique_ptr<Watch>> watches_;
};

} // namespace mailbox

#endif // MAILBOX_EVENT_LOOP_HPP
