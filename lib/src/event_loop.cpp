// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::EventLoop: epoll over readiness fds (event_loop.hpp).
#include <mailbox/event_loop.hpp>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>

namespace mailbox {

struct EventLoop::Watch {
	WatchId id = 0;
	int fd = -1;		// the fd in the epoll set
	bool removed = false;	// unwatched during a dispatch: erased afterwards
	FdHandler on_fd;	// watch_fd()
	// watch_port():
	const Space *space = nullptr;
	std::uint32_t name = MAILBOX_PORT_NULL;
	std::uint32_t options = 0;
	ReadyFd ready;
	std::vector<std::byte> buffer;
	MessageHandler on_message;
	ErrorHandler on_error;
};

EventLoop::EventLoop() noexcept : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {}

result<EventLoop> EventLoop::create() noexcept
{
	EventLoop loop;
	if (!loop.valid())
		return std::unexpected(make_error(errno));
	return loop;
}

EventLoop::EventLoop(EventLoop &&o) noexcept
	: epfd_(o.epfd_), stopping_(o.stopping_), next_id_(o.next_id_),
	  watches_(std::move(o.watches_))
{
	o.epfd_ = -1;
}

EventLoop &EventLoop::operator=(EventLoop &&o) noexcept
{
	if (this != &o) {
		watches_.clear();
		if (epfd_ >= 0)
			::close(epfd_);
		epfd_ = o.epfd_;
		stopping_ = o.stopping_;
		next_id_ = o.next_id_;
		watches_ = std::move(o.watches_);
		o.epfd_ = -1;
	}
	return *this;
}

EventLoop::~EventLoop()
{
	watches_.clear(); // closes the ReadyFds
	if (epfd_ >= 0)
		::close(epfd_);
}

std::size_t EventLoop::size() const noexcept
{
	std::size_t n = 0;
	for (const auto &entry : watches_)
		n += !entry.second->removed;
	return n;
}

result<EventLoop::WatchId> EventLoop::watch_fd(int fd, std::uint32_t events, FdHandler handler)
{
	if (epfd_ < 0)
		return std::unexpected(make_error(EBADF));
	auto w = std::make_unique<Watch>();
	w->id = next_id_++;
	w->fd = fd;
	w->on_fd = std::move(handler);
	epoll_event ev{};
	ev.events = events;
	ev.data.u64 = w->id;
	if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0)
		return std::unexpected(make_error(errno));
	WatchId id = w->id;
	watches_.emplace(id, std::move(w));
	return id;
}

result<EventLoop::WatchId> EventLoop::watch_port(const Space &space, std::uint32_t name,
						 MessageHandler on_message, ErrorHandler on_error,
						 std::size_t buffer_size, std::uint32_t options)
{
	if (epfd_ < 0)
		return std::unexpected(make_error(EBADF));
	if (buffer_size < header_size)
		return std::unexpected(make_error(EINVAL));
	auto ready = space.ready_fd(name);
	if (!ready)
		return std::unexpected(ready.error());
	auto w = std::make_unique<Watch>();
	w->id = next_id_++;
	w->fd = ready->get();
	w->space = &space;
	w->name = name;
	w->options = options;
	w->ready = std::move(*ready);
	w->buffer.resize(align_up(buffer_size, 4));
	w->on_message = std::move(on_message);
	w->on_error = std::move(on_error);
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.u64 = w->id;
	if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return std::unexpected(make_error(errno));
	WatchId id = w->id;
	watches_.emplace(id, std::move(w));
	return id;
}

result<void> EventLoop::unwatch(WatchId id) noexcept
{
	auto it = watches_.find(id);
	if (it == watches_.end() || it->second->removed)
		return std::unexpected(make_error(ENOENT));
	// A borrowed fd may be closed already: that removed it from the set.
	(void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, it->second->fd, nullptr);
	if (dispatching_) {
		// Its handler may be running: erased at the end of run_once().
		it->second->removed = true;
		sweep_ = true;
	} else {
		watches_.erase(it);
	}
	return {};
}

void EventLoop::dispatch(Watch &w, std::uint32_t events) noexcept
{
	if (w.on_fd) {
		w.on_fd(events);
		return;
	}
	if (events & EPOLLIN) {
		for (unsigned i = 0; i < batch && !w.removed; i++) {
			auto m = detail::receive(w.space->fd(), w.name, w.buffer,
						 std::chrono::nanoseconds(0), w.options);
			if (m) {
				if (w.on_message)
					w.on_message(*m);
				continue;
			}
			if (m.error() == std::errc::resource_unavailable_try_again)
				return; // someone else took it, or drained
			if (w.on_error)
				w.on_error(m.error());
			(void)unwatch(w.id);
			return;
		}
		if (w.removed || !(events & (EPOLLHUP | EPOLLERR)))
			return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		if (w.on_error)
			w.on_error(make_error(EPIPE, MAILBOX_RCV_PORT_DIED));
		(void)unwatch(w.id);
	}
}

result<unsigned> EventLoop::run_once(timeout wait) noexcept
{
	if (epfd_ < 0)
		return std::unexpected(make_error(EBADF));
	int ms = -1;
	if (wait) {
		auto c = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
		ms = c <= 0 ? 0 : c > INT_MAX ? INT_MAX : static_cast<int>(c);
	}
	epoll_event events[16];
	int n = ::epoll_wait(epfd_, events, 16, ms);
	if (n < 0)
		return std::unexpected(make_error(errno));
	dispatching_ = true;
	for (int i = 0; i < n && !stopping_; i++) {
		auto it = watches_.find(events[i].data.u64);
		if (it == watches_.end() || it->second->removed)
			continue; // unwatched by an earlier callback of this batch
		dispatch(*it->second, events[i].events);
	}
	dispatching_ = false;
	// Erase what callbacks unwatched (never while one of them runs).
	if (sweep_) {
		sweep_ = false;
		for (auto it = watches_.begin(); it != watches_.end();) {
			if (it->second->removed)
				it = watches_.erase(it);
			else
				++it;
		}
	}
	return static_cast<unsigned>(n);
}

result<void> EventLoop::run() noexcept
{
	stopping_ = false;
	while (!stopping_ && size() != 0) {
		if (auto r = run_once(); !r)
			return std::unexpected(r.error());
	}
	return {};
}

} // namespace mailbox
