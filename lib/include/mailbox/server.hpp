// SPDX-License-Identifier: LGPL-2.1-or-later
//
// mailbox::Server: a minimal RPC loop on top of mailbox.hpp.
//
// It receives on one receive right, dispatches by message id to a handler,
// and sends the reply the handler built through the send-once right the
// request carried (MOVE_SEND_ONCE to header.remote_port). A request without
// a reply right gets no reply. A request whose id has no handler is answered
// with an empty message of id mailbox::bad_id (MIG_BAD_ID), so a client
// blocked in call() does not wait forever.
//
// Handlers are registered up front (that may allocate); the loop itself
// does not allocate. Runs on the calling thread; no hidden threads.
#ifndef MAILBOX_SERVER_HPP
#define MAILBOX_SERVER_HPP

#include <mailbox/mailbox.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

namespace mailbox {

// Reply id for a request nobody handles (MIG_BAD_ID).
inline constexpr std::int32_t bad_id = -303;

template <std::size_t N = 4096>
class Server final {
public:
	// A handler reads @request and writes the reply body into @reply
	// (whose id is preset to the request's id). Return false to send no
	// reply (the reply right is then deallocated).
	using Handler = std::function<bool(const MessageView &request, MessageBuilder &reply)>;

	// @space and @port must outlive the server.
	Server(const Space &space, const ReceiveRight &port) noexcept : space_(space), port_(port) {}

	Server &on(std::int32_t id, Handler handler)
	{
		handlers_[id] = std::move(handler);
		return *this;
	}

	// Makes run() return after the current message (callable from a
	// handler).
	void stop() noexcept { stopping_ = true; }

	// Messages handled so far.
	[[nodiscard]] std::uint64_t handled() const noexcept { return handled_; }

	// Receives and handles one message. Errors are the receive's; a
	// reply that cannot be delivered (the client died: EPIPE, ENOENT) is
	// not an error of the server and is dropped.
	[[nodiscard]] result<void> run_once(timeout rcv_timeout = std::nullopt) noexcept
	{
		auto req = space_.receive(port_.get(), request_.span(), rcv_timeout);
		if (!req)
			return std::unexpected(req.error());
		handled_++;

		SendOnceRight reply_right;
		SendRight reply_send;
		if (req->reply_type() == MAILBOX_MSG_TYPE_PORT_SEND_ONCE)
			reply_right = SendOnceRight(space_, req->reply_port());
		else if (req->reply_type() == MAILBOX_MSG_TYPE_PORT_SEND)
			reply_send = SendRight(space_, req->reply_port());

		MessageBuilder reply(reply_.span(), req->id());
		bool answer;
		auto it = handlers_.find(req->id());
		if (it != handlers_.end()) {
			answer = it->second(*req, reply);
		} else {
			reply.id(bad_id);
			answer = true;
		}
		if (!answer)
			return {};
		auto msg = reply.finish();
		if (msg.empty())
			return std::unexpected(make_error(EMSGSIZE, MAILBOX_SEND_TOO_LARGE));
		if (reply_right)
			(void)reply_right.send(msg);
		else if (reply_send)
			(void)space_.send(reply_send.get(), msg, MAILBOX_MSG_TYPE_COPY_SEND);
		return {};
	}

	// Handles messages until stop() or a receive error (returned; e.g.
	// EPIPE when the port is destroyed, ETIMEDOUT with a timeout).
	[[nodiscard]] result<void> run(timeout rcv_timeout = std::nullopt) noexcept
	{
		stopping_ = false;
		while (!stopping_) {
			if (auto r = run_once(rcv_timeout); !r)
				return r;
		}
		return {};
	}

private:
	const Space &space_;
	const ReceiveRight &port_;
	std::map<std::int32_t, Handler> handlers_;
	MessageBuffer<N> request_;
	MessageBuffer<N> reply_;
	std::uint64_t handled_ = 0;
	bool stopping_ = false;
};

} // namespace mailbox

#endif // MAILBOX_SERVER_HPP
