// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox: a thin C++ layer over /dev/mailbox (uapi/linux/mailbox.h).
//
// Objects and ownership:
//  - Space owns one open file description of /dev/mailbox, that is one IPC
//    space. It is move-only; closing it destroys every right in the space
//    (unless another fd, e.g. after fork(), still refers to it).
//  - ReceiveRight, SendRight, SendOnceRight, DeadName and PortSet each own
//    one right (one user reference for send rights and dead names) under a
//    name in a space. They hold the space's fd and the name, not a pointer to the
//    Space object, so moving the Space does not invalidate them; they must
//    not outlive the space's fd. Destroying or reset()ing one gives the
//    right back to the kernel; release() hands the name to the caller.
//  - ReadyFd and RightFd each own one file descriptor the module created
//    (a readiness fd, an exported right); closing it is reset().
//
// Rules: one method per ioctl with parameters in uapi order; no hidden
// threads or retries; nothing on the message path throws or allocates.
// Every fallible call returns std::expected<T, std::error_code> whose
// error is in mailbox::category() (see error.hpp).
#ifndef MAILBOX_MAILBOX_HPP
#define MAILBOX_MAILBOX_HPP

#include <linux/mailbox.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <mailbox/error.hpp>
#include <mailbox/message.hpp>

namespace mailbox {

template <typename T>
using result = std::expected<T, std::error_code>;

// A wait bound: std::nullopt waits forever, zero does not wait.
using timeout = std::optional<std::chrono::nanoseconds>;

inline constexpr const char *device_path = "/dev/mailbox";

// A selective-receive filter (MAILBOX_MSG_RCV_FILTER): every condition set
// must hold; no condition matches every message.
class ReceiveFilter final {
public:
	constexpr ReceiveFilter() noexcept = default;
	// (id & mask) == value (value must have no bit outside mask: EINVAL).
	constexpr ReceiveFilter &id(std::uint32_t mask, std::int32_t value) noexcept
	{
		f_.flags |= MAILBOX_FILTER_ID;
		f_.id_mask = mask;
		f_.id_value = value;
		return *this;
	}
	// Exactly this id.
	constexpr ReceiveFilter &id(std::int32_t value) noexcept
	{
		return id(0xffffffffU, value);
	}
	// lo <= id <= hi (signed).
	constexpr ReceiveFilter &id_range(std::int32_t lo, std::int32_t hi) noexcept
	{
		f_.flags |= MAILBOX_FILTER_RANGE;
		f_.id_min = lo;
		f_.id_max = hi;
		return *this;
	}
	// The sender's thread-group id as seen in the receiver's pid namespace.
	constexpr ReceiveFilter &sender(std::int32_t pid) noexcept
	{
		f_.flags |= MAILBOX_FILTER_SENDER;
		f_.sender_pid = pid;
		return *this;
	}
	[[nodiscard]] constexpr const mailbox_rcv_filter &raw() const noexcept { return f_; }

private:
	mailbox_rcv_filter f_{};
};

// Options of Space::send() (and of the send half of call()).
struct SendOptions {
	std::uint32_t reply = MAILBOX_PORT_NULL;	// reply right's name
	std::uint32_t reply_disposition = 0;		// 0: no reply right
	timeout send_timeout = std::nullopt;
	std::uint32_t priority = 0;			// 0 .. MAILBOX_PRIO_MAX
};

// Options of a receive.
struct ReceiveOptions {
	timeout rcv_timeout = std::nullopt;
	// Extra MAILBOX_MSG_* bits: RCV_LARGE, RCV_TRAILER.
	std::uint32_t options = 0;
	// Receive the first queued message that matches (RCV_FILTER); must
	// outlive the call.
	const ReceiveFilter *filter = nullptr;
	// Copy the message out without dequeuing it (RCV_PEEK): rights it
	// carries are not moved and read as MAILBOX_PORT_NULL.
	bool peek = false;
};

// What a scattered receive (receive_scatter()) got.
struct ScatterReceived {
	std::size_t size = 0;		// bytes written (message + trailer + arrays)
	mailbox_msg_header header{};	// gathered from the first 24 bytes
	std::uint32_t priority = 0;
};

// What MAILBOX_IOC_PORT_TYPE reports about a name.
struct PortType {
	std::uint32_t type = 0;		// MAILBOX_PORT_TYPE_* bits
	std::uint32_t send_urefs = 0;
	std::uint32_t dead_urefs = 0;

	[[nodiscard]] bool has(std::uint32_t bits) const noexcept { return (type & bits) == bits; }
	friend bool operator==(const PortType &, const PortType &) = default;
};

// One entry of MAILBOX_IOC_PORT_NAMES.
struct NameEntry {
	std::uint32_t name = 0;
	std::uint32_t type = 0;
	friend bool operator==(const NameEntry &, const NameEntry &) = default;
};

// The raw ioctls on a space fd, one function per command, parameters in
// uapi order. Space and the right types are built on these.
namespace sys {
[[nodiscard]] result<mailbox_version> version(int fd) noexcept;
[[nodiscard]] result<std::uint32_t> port_allocate(int fd, std::uint32_t right) noexcept;
[[nodiscard]] result<void> port_deallocate(int fd, std::uint32_t name) noexcept;
[[nodiscard]] result<void> port_destroy(int fd, std::uint32_t name) noexcept;
[[nodiscard]] result<void> port_mod_refs(int fd, std::uint32_t name, std::uint32_t right,
					 std::int32_t delta) noexcept;
// Returns the name in the target space.
[[nodiscard]] result<std::uint32_t> port_insert_right(int fd, int space_fd, std::uint32_t name,
						      std::uint32_t poly,
						      std::uint32_t disposition) noexcept;
[[nodiscard]] result<PortType> port_type(int fd, std::uint32_t name) noexcept;
// Fills @names/@types (either may be empty only if both are) and returns
// the number of names; ENOSPC with the needed count in *@needed.
[[nodiscard]] result<std::uint32_t> port_names(int fd, std::span<std::uint32_t> names,
					       std::span<std::uint32_t> types,
					       std::uint32_t *needed = nullptr) noexcept;
[[nodiscard]] result<mailbox_port_attr> port_get_attr(int fd, std::uint32_t name) noexcept;
// @attr.name and @attr.flags are ignored: @name and @mask are used.
[[nodiscard]] result<void> port_set_attr(int fd, std::uint32_t name, std::uint32_t mask,
					 const mailbox_port_attr &attr) noexcept;
// MAILBOX_IOC_MSG as is. On failure @arg.status and @arg.rcv_size hold
// what the kernel wrote and the error carries errno and status.
[[nodiscard]] result<void> msg(int fd, mailbox_msg &arg) noexcept;
// MAILBOX_IOC_MSG_BATCH on @msgs (1..MAILBOX_BATCH_MAX sends or receives). Returns
// the number received; on failure (none received) msgs[0] holds the status.
[[nodiscard]] result<std::uint32_t> msg_batch(int fd, std::span<mailbox_msg> msgs) noexcept;
[[nodiscard]] result<void> port_move_member(int fd, std::uint32_t member,
					    std::uint32_t after) noexcept;
// Returns @previous (MAILBOX_PORT_NULL, MAILBOX_PORT_DEAD or a send-once
// right's name now owned by the caller).
[[nodiscard]] result<std::uint32_t> port_request_notification(int fd, std::uint32_t name,
							      std::uint32_t variant,
							      std::uint32_t sync,
							      std::uint32_t notify,
							      std::uint32_t disposition) noexcept;
// Each returns a new O_CLOEXEC fd owned by the caller.
[[nodiscard]] result<int> port_ready_fd(int fd, std::uint32_t name) noexcept;
[[nodiscard]] result<int> port_export(int fd, std::uint32_t name,
				      std::uint32_t disposition) noexcept;
// Returns the name the right got (@name: wanted name or MAILBOX_PORT_NULL).
[[nodiscard]] result<std::uint32_t> port_import(int fd, int right_fd,
						std::uint32_t name) noexcept;
// @service: 1..MAILBOX_SERVICE_NAME_MAX - 1 bytes, no NUL (else EINVAL
// before any ioctl).
[[nodiscard]] result<void> service_register(int fd, std::string_view service, std::uint32_t name,
					    std::uint32_t flags) noexcept;
[[nodiscard]] result<std::uint32_t> service_lookup(int fd, std::string_view service) noexcept;
[[nodiscard]] result<void> service_unregister(int fd, std::string_view service) noexcept;
// MAILBOX_IOC_PULSE through send right @name (not consumed).
[[nodiscard]] result<void> pulse(int fd, std::uint32_t name, std::int32_t code, std::uint64_t value,
				 std::uint32_t priority) noexcept;
} // namespace sys

// The notification variants that can be requested
// (MAILBOX_IOC_PORT_REQUEST_NOTIFICATION); see notify.hpp for parsing them.
enum class NotifyVariant : std::uint32_t {
	dead_name = MAILBOX_NOTIFY_DEAD_NAME,
	no_senders = MAILBOX_NOTIFY_NO_SENDERS,
	port_destroyed = MAILBOX_NOTIFY_PORT_DESTROYED,
	send_possible = MAILBOX_NOTIFY_SEND_POSSIBLE,
};

class ReceiveRight;
class SendRight;
class SendOnceRight;
class DeadName;
class PortSet;
class ReadyFd;
class RightFd;

// Which owning right may travel with which disposition (checked by
// MessageBuilder::port<D>(right) at compile time).
template <> struct sendable_as<ReceiveRight, Disposition::make_send> : std::true_type {};
template <> struct sendable_as<ReceiveRight, Disposition::make_send_once> : std::true_type {};
template <> struct sendable_as<ReceiveRight, Disposition::move_receive> : std::true_type {};
template <> struct sendable_as<SendRight, Disposition::copy_send> : std::true_type {};
template <> struct sendable_as<SendRight, Disposition::move_send> : std::true_type {};
template <> struct sendable_as<SendOnceRight, Disposition::move_send_once> : std::true_type {};

// An IPC space: an owning fd of /dev/mailbox.
class Space final {
public:
	// Opens @path O_RDWR | O_CLOEXEC | @extra_flags (e.g. O_NONBLOCK).
	[[nodiscard]] static result<Space> open(const char *path = device_path,
						int extra_flags = 0) noexcept;

	Space() noexcept = default;
	// Adopts @fd (closed by the destructor).
	explicit Space(int fd) noexcept : fd_(fd) {}
	Space(const Space &) = delete;
	Space &operator=(const Space &) = delete;
	Space(Space &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
	Space &operator=(Space &&other) noexcept;
	~Space() { reset(); }

	[[nodiscard]] int fd() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return fd_ >= 0; }
	// Closes the fd (if any).
	void reset() noexcept;
	// Gives up ownership of the fd and returns it.
	[[nodiscard]] int release() noexcept
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}

	// MAILBOX_IOC_VERSION
	[[nodiscard]] result<mailbox_version> version() const noexcept { return sys::version(fd_); }

	// A new out-of-line buffer of @size bytes (1..MAILBOX_OOL_MAX), zero
	// filled: mmap(MAP_SHARED) of this fd; it belongs to no space. Sent
	// with MessageBuilder::give() it moves to the receiver without a copy
	// (MAILBOX_FEATURE_OOL_MOVE); after that successful send, release()
	// the region: the range is no longer the sender's.
	[[nodiscard]] result<OolRegion> ool_buffer(std::size_t size) const noexcept;

	// MAILBOX_IOC_PORT_ALLOCATE with MAILBOX_RIGHT_RECEIVE / _DEAD_NAME /
	// _PORT_SET.
	[[nodiscard]] result<ReceiveRight> allocate_receive() const noexcept;
	[[nodiscard]] result<DeadName> allocate_dead_name() const noexcept;
	[[nodiscard]] result<PortSet> allocate_port_set() const noexcept;

	// MAILBOX_IOC_PORT_MOVE_MEMBER: receive right @member into port set
	// @after, or out of its set with MAILBOX_PORT_NULL (ENXIO if in none).
	[[nodiscard]] result<void> move_member(std::uint32_t member,
					       std::uint32_t after) const noexcept
	{
		return sys::port_move_member(fd_, member, after);
	}

	// MAILBOX_IOC_PORT_REQUEST_NOTIFICATION: notifications about @name go
	// to the port of receive right @notify (a send-once right is made).
	// @sync: NO_SENDERS: fire once mscount >= sync; DEAD_NAME and
	// SEND_POSSIBLE: non-zero fires at once if the condition holds;
	// PORT_DESTROYED: must be 0. Returns the send-once right of the request
	// this one replaced (empty if there was none or its port died):
	// resetting it unused sends a send-once notification to its port.
	[[nodiscard]] result<SendOnceRight>
	request_notification(std::uint32_t name, NotifyVariant variant,
			     const ReceiveRight &notify, std::uint32_t sync = 0) const noexcept;
	// Likewise through an existing send-once right (MOVE_SEND_ONCE): on
	// success @notify is consumed (left empty); on failure it is kept.
	[[nodiscard]] result<SendOnceRight>
	request_notification(std::uint32_t name, NotifyVariant variant, SendOnceRight &notify,
			     std::uint32_t sync = 0) const noexcept;
	// Cancels the request of @variant on @name; returns its send-once right
	// as above.
	[[nodiscard]] result<SendOnceRight> cancel_notification(std::uint32_t name,
								NotifyVariant variant) const noexcept;

	// MAILBOX_IOC_PORT_READY_FD: a poll-only fd for a receive right or
	// port set (EPOLLIN: a message waits; EPOLLOUT: a port's queue has
	// room; EPOLLHUP: the object died).
	[[nodiscard]] result<ReadyFd> ready_fd(std::uint32_t name) const noexcept;

	// MAILBOX_IOC_PORT_EXPORT: the right @name (per @disposition: MAKE_SEND,
	// COPY_SEND, MOVE_SEND, MAKE_SEND_ONCE or MOVE_SEND_ONCE) in a new fd.
	// A MOVE takes the right (one uref) out of the space on success.
	[[nodiscard]] result<RightFd> export_right(std::uint32_t name,
						   std::uint32_t disposition) const noexcept;
	// MAILBOX_IOC_PORT_IMPORT: the right in fd @right_fd, named @name (or a
	// name the kernel chooses); returns the name. The fd stays open.
	[[nodiscard]] result<std::uint32_t> import_right(int right_fd,
							 std::uint32_t name = MAILBOX_PORT_NULL) const noexcept
	{
		return sys::port_import(fd_, right_fd, name);
	}
	// Typed imports: the RightFd must hold that kind of right (EINVAL
	// before any ioctl otherwise; an adopted fd of unknown kind is tried).
	[[nodiscard]] result<SendRight> import_send(const RightFd &right) const noexcept;
	[[nodiscard]] result<SendOnceRight> import_send_once(const RightFd &right) const noexcept;

	// Service registry (MAILBOX_IOC_REGISTER / _LOOKUP / _UNREGISTER).
	// register_service: a send right copied from @name (or made from a
	// receive right); @replace: MAILBOX_REGISTER_REPLACE.
	[[nodiscard]] result<void> register_service(std::string_view service, std::uint32_t name,
						    bool replace = false) const noexcept
	{
		return sys::service_register(fd_, service, name,
					     replace ? MAILBOX_REGISTER_REPLACE : 0);
	}
	// A send right to the service's port (ENOENT if none or dead).
	[[nodiscard]] result<SendRight> lookup(std::string_view service) const noexcept;
	[[nodiscard]] result<void> unregister_service(std::string_view service) const noexcept
	{
		return sys::service_unregister(fd_, service);
	}

	// The raw name operations, for names not held by an owning object.
	[[nodiscard]] result<void> deallocate(std::uint32_t name) const noexcept
	{
		return sys::port_deallocate(fd_, name);
	}
	[[nodiscard]] result<void> destroy(std::uint32_t name) const noexcept
	{
		return sys::port_destroy(fd_, name);
	}
	[[nodiscard]] result<void> mod_refs(std::uint32_t name, std::uint32_t right,
					    std::int32_t delta) const noexcept
	{
		return sys::port_mod_refs(fd_, name, right, delta);
	}
	// MAILBOX_IOC_PORT_INSERT_RIGHT: @target is MAILBOX_SPACE_SELF or the
	// fd of another space; returns the name in the target space.
	[[nodiscard]] result<std::uint32_t> insert_right(int target, std::uint32_t name,
							 std::uint32_t poly,
							 std::uint32_t disposition) const noexcept
	{
		return sys::port_insert_right(fd_, target, name, poly, disposition);
	}

	// MAILBOX_IOC_PORT_TYPE
	[[nodiscard]] result<PortType> type(std::uint32_t name) const noexcept
	{
		return sys::port_type(fd_, name);
	}

	// MAILBOX_IOC_PORT_NAMES: every name in the space, ascending. This one
	// allocates (it is not on the message path) and retries on ENOSPC
	// when the space grew between the two calls.
	[[nodiscard]] result<std::vector<NameEntry>> names() const;

	// MAILBOX_IOC_PORT_GET_ATTR / _SET_ATTR (a receive right's name).
	[[nodiscard]] result<mailbox_port_attr> get_attributes(std::uint32_t name) const noexcept
	{
		return sys::port_get_attr(fd_, name);
	}
	[[nodiscard]] result<void> set_attributes(std::uint32_t name, std::uint32_t mask,
						  const mailbox_port_attr &attr) const noexcept
	{
		return sys::port_set_attr(fd_, name, mask, attr);
	}

	// MAILBOX_IOC_MSG, send only. Fills the header of @msg (bits,
	// remote_port = @dest, local_port = @reply) and sends it; @msg is a
	// finished message (MessageBuilder::finish()). @reply_disposition 0
	// means no reply right. MOVE dispositions consume the sender's right
	// on success only: then release() the owning object.
	[[nodiscard]] result<void> send(std::uint32_t dest, std::span<std::byte> msg,
					std::uint32_t disposition,
					std::uint32_t reply = MAILBOX_PORT_NULL,
					std::uint32_t reply_disposition = 0,
					timeout send_timeout = std::nullopt) const noexcept;

	// send() with priority and the other options in one struct.
	[[nodiscard]] result<void> send(std::uint32_t dest, std::span<std::byte> msg,
					std::uint32_t disposition,
					const SendOptions &options) const noexcept;

	// MAILBOX_MSG_SEND_IOV: sends the concatenation of @segments (1 ..
	// MAILBOX_IOV_MAX - 1 of them, the header within the first 24 bytes
	// gathered; the segments are not modified: the header is sent from a
	// copy with bits, remote_port and local_port filled in).
	[[nodiscard]] result<void> send_gather(std::uint32_t dest,
					       std::span<const std::span<const std::byte>> segments,
					       std::uint32_t disposition,
					       const SendOptions &options = {}) const noexcept;

	// MAILBOX_IOC_MSG_BATCH with sends: sends @msgs (1..MAILBOX_BATCH_MAX,
	// else EINVAL before any ioctl) to @dest in order in one call, each
	// header filled as send() fills it; each send waits for room as
	// @options say. Returns the number sent (at least 1) or the first
	// send's error; a later failure (a full queue and a timeout) ends the
	// batch early: the messages from there on are not sent and any right
	// they name stays with the caller. Needs MAILBOX_FEATURE_BATCH_SEND.
	[[nodiscard]] result<std::size_t> send_batch(std::uint32_t dest,
						     std::span<const std::span<std::byte>> msgs,
						     std::uint32_t disposition,
						     const SendOptions &options = {}) const noexcept;

	// MAILBOX_IOC_PULSE: a small message that never blocks, through send
	// right @name (not consumed); the receiver sees header.id = @code
	// (as_pulse()).
	[[nodiscard]] result<void> pulse(std::uint32_t name, std::int32_t code, std::uint64_t value,
					 std::uint32_t priority = 0) const noexcept
	{
		return sys::pulse(fd_, name, code, value, priority);
	}

	// MAILBOX_IOC_MSG, receive only, on receive right or port set @rcv
	// into @buffer.
	// @options: extra MAILBOX_MSG_RCV_LARGE / _RCV_TRAILER bits. The view
	// refers to @buffer. A reply right in the message now belongs to the
	// caller (name in view.reply_port()).
	[[nodiscard]] result<MessageView> receive(std::uint32_t rcv, std::span<std::byte> buffer,
						  timeout rcv_timeout = std::nullopt,
						  std::uint32_t options = 0) const noexcept;

	// receive() with a filter, peek and the other options in one struct.
	// view.priority() is the message's priority.
	[[nodiscard]] result<MessageView> receive(std::uint32_t rcv, std::span<std::byte> buffer,
						  const ReceiveOptions &options) const noexcept;
	// receive() with RCV_PEEK: the next (or first matching) message, left
	// queued.
	[[nodiscard]] result<MessageView> peek(std::uint32_t rcv, std::span<std::byte> buffer,
					       ReceiveOptions options = {}) const noexcept
	{
		options.peek = true;
		return receive(rcv, buffer, options);
	}
	// MAILBOX_IOC_MSG_BATCH: up to n = min(buffers.size(), views.size())
	// receives on @rcv in one call (n 1..MAILBOX_BATCH_MAX, else EINVAL
	// before any ioctl): the first waits as @options say, the others take
	// only messages queued already. views[i] refers to buffers[i]. Returns
	// the number received (at least 1), or the first receive's error. A
	// later failure (a message too large for its buffer) ends the batch
	// early; the message is then dropped, or kept with RCV_LARGE, as by
	// receive().
	[[nodiscard]] result<std::size_t> receive_batch(std::uint32_t rcv,
							std::span<const std::span<std::byte>> buffers,
							std::span<MessageView> views,
							const ReceiveOptions &options = {}) const noexcept;
	// MAILBOX_MSG_RCV_IOV: receives into the concatenation of @segments
	// (1 .. MAILBOX_IOV_MAX).
	[[nodiscard]] result<ScatterReceived>
	receive_scatter(std::uint32_t rcv, std::span<const std::span<std::byte>> segments,
			const ReceiveOptions &options = {}) const noexcept;

	// MAILBOX_IOC_MSG with SEND | RCV: sends @msg to @dest with a
	// MAKE_SEND_ONCE right to receive right @reply, then receives the
	// answer on @reply into @buffer (which may not overlap @msg). A send
	// failure returns a MAILBOX_SEND_* status and nothing was received.
	[[nodiscard]] result<MessageView> call(std::uint32_t dest, std::span<std::byte> msg,
					       std::uint32_t disposition, std::uint32_t reply,
					       std::span<std::byte> buffer,
					       timeout send_timeout = std::nullopt,
					       timeout rcv_timeout = std::nullopt,
					       std::uint32_t options = 0) const noexcept;

	// call() with a send priority (and SendOptions' timeout; its reply
	// fields are ignored: the reply is a MAKE_SEND_ONCE right to @reply)
	// and receive options (filter, peek: ignored).
	[[nodiscard]] result<MessageView> call(std::uint32_t dest, std::span<std::byte> msg,
					       std::uint32_t disposition, std::uint32_t reply,
					       std::span<std::byte> buffer,
					       const SendOptions &send_options,
					       const ReceiveOptions &rcv_options = {}) const noexcept;

private:
	int fd_ = -1;
};

namespace detail {
// The receive of Space::receive() on space fd @fd. Not part of the API.
[[nodiscard]] result<MessageView> receive(int fd, std::uint32_t rcv, std::span<std::byte> buffer,
					  timeout rcv_timeout, std::uint32_t options) noexcept;
[[nodiscard]] result<MessageView> receive(int fd, std::uint32_t rcv, std::span<std::byte> buffer,
					  const ReceiveOptions &options) noexcept;

// Shared state of the owning right types: (space fd, name). Not part of
// the API.
class NameHandle {
public:
	[[nodiscard]] std::uint32_t get() const noexcept { return name_; }
	[[nodiscard]] int space_fd() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return name_ != MAILBOX_PORT_NULL; }
	// Gives up ownership: the caller now owns the name's reference.
	[[nodiscard]] std::uint32_t release() noexcept
	{
		std::uint32_t n = name_;
		name_ = MAILBOX_PORT_NULL;
		fd_ = -1;
		return n;
	}
	// The name's type (MAILBOX_IOC_PORT_TYPE).
	[[nodiscard]] result<PortType> type() const noexcept { return sys::port_type(fd_, name_); }

protected:
	NameHandle() noexcept = default;
	NameHandle(int fd, std::uint32_t name) noexcept : fd_(fd), name_(name) {}
	NameHandle(const NameHandle &) = delete;
	NameHandle &operator=(const NameHandle &) = delete;
	NameHandle(NameHandle &&o) noexcept : fd_(o.fd_), name_(o.name_)
	{
		o.fd_ = -1;
		o.name_ = MAILBOX_PORT_NULL;
	}
	~NameHandle() = default;
	void take(NameHandle &o) noexcept
	{
		fd_ = o.fd_;
		name_ = o.name_;
		o.fd_ = -1;
		o.name_ = MAILBOX_PORT_NULL;
	}

	int fd_ = -1;
	std::uint32_t name_ = MAILBOX_PORT_NULL;
};
} // namespace detail

// The receive right of a port. Destroying it destroys the port.
class ReceiveRight final : public detail::NameHandle {
public:
	ReceiveRight() noexcept = default;
	// Adopts the receive right named @name in space @space_fd.
	ReceiveRight(int space_fd, std::uint32_t name) noexcept : NameHandle(space_fd, name) {}
	ReceiveRight(const Space &space, std::uint32_t name) noexcept : NameHandle(space.fd(), name) {}
	ReceiveRight(ReceiveRight &&) noexcept = default;
	ReceiveRight &operator=(ReceiveRight &&o) noexcept
	{
		if (this != &o) {
			reset();
			take(o);
		}
		return *this;
	}
	~ReceiveRight() { reset(); }

	// MOD_REFS(RECEIVE, -1): the port dies. A send right sharing the name
	// stays (as a dead name).
	void reset() noexcept;

	// INSERT_RIGHT(SELF, name, name, MAKE_SEND): a send right under the
	// same name (one more uref if there is one already).
	[[nodiscard]] result<SendRight> make_send() const noexcept;
	// INSERT_RIGHT(SELF, NULL, name, MAKE_SEND_ONCE): a new send-once name.
	[[nodiscard]] result<SendOnceRight> make_send_once() const noexcept;
	// INSERT_RIGHT(target, NULL, name, MAKE_SEND): a send right in another
	// space; the returned object refers to the target's fd.
	[[nodiscard]] result<SendRight> make_send_in(const Space &target) const noexcept;

	[[nodiscard]] result<mailbox_port_attr> attributes() const noexcept
	{
		return sys::port_get_attr(fd_, name_);
	}
	[[nodiscard]] result<void> set_qlimit(std::uint32_t qlimit) const noexcept;
	// PORT_SET_ATTR(MAILBOX_ATTR_FLAGS): all of the port's
	// MAILBOX_PORT_FLAG_* bits (PRIO_INHERIT, BATCH_WAKE) at once.
	[[nodiscard]] result<void> set_port_flags(std::uint32_t port_flags) const noexcept;
	// PORT_SET_ATTR(MAILBOX_ATTR_SPIN): a receive on this port that finds
	// nothing polls for up to @budget (whole microseconds, at most the
	// module's spin_max_us: else EINVAL) before it sleeps, while nothing
	// else wants its CPU. 0 turns it off (the default).
	[[nodiscard]] result<void> set_spin(std::chrono::microseconds budget) const noexcept;

	// Space::receive() on this port.
	[[nodiscard]] result<MessageView> receive(std::span<std::byte> buffer,
						  timeout rcv_timeout = std::nullopt,
						  std::uint32_t options = 0) const noexcept
	{
		return detail::receive(fd_, name_, buffer, rcv_timeout, options);
	}
	[[nodiscard]] result<MessageView> receive(std::span<std::byte> buffer,
						  const ReceiveOptions &options) const noexcept
	{
		return detail::receive(fd_, name_, buffer, options);
	}
	// MAILBOX_IOC_PORT_READY_FD on this port.
	[[nodiscard]] result<ReadyFd> ready_fd() const noexcept;
};

// One user reference of a send right.
class SendRight final : public detail::NameHandle {
public:
	SendRight() noexcept = default;
	SendRight(int space_fd, std::uint32_t name) noexcept : NameHandle(space_fd, name) {}
	SendRight(const Space &space, std::uint32_t name) noexcept : NameHandle(space.fd(), name) {}
	SendRight(SendRight &&) noexcept = default;
	SendRight &operator=(SendRight &&o) noexcept
	{
		if (this != &o) {
			reset();
			take(o);
		}
		return *this;
	}
	~SendRight() { reset(); }

	// DEALLOCATE: one uref released (of the dead name if the port died).
	void reset() noexcept;

	// MOD_REFS(SEND, +1): another reference under the same name.
	[[nodiscard]] result<SendRight> copy() const noexcept;
	// INSERT_RIGHT(target, NULL, name, COPY_SEND).
	[[nodiscard]] result<SendRight> copy_into(const Space &target) const noexcept;
	// MAILBOX_IOC_PULSE through this right.
	[[nodiscard]] result<void> pulse(std::int32_t code, std::uint64_t value,
					 std::uint32_t priority = 0) const noexcept
	{
		return sys::pulse(fd_, name_, code, value, priority);
	}
};

// A send-once right: one message, then it is gone.
class SendOnceRight final : public detail::NameHandle {
public:
	SendOnceRight() noexcept = default;
	SendOnceRight(int space_fd, std::uint32_t name) noexcept : NameHandle(space_fd, name) {}
	SendOnceRight(const Space &space, std::uint32_t name) noexcept
		: NameHandle(space.fd(), name)
	{
	}
	SendOnceRight(SendOnceRight &&) noexcept = default;
	SendOnceRight &operator=(SendOnceRight &&o) noexcept
	{
		if (this != &o) {
			reset();
			take(o);
		}
		return *this;
	}
	~SendOnceRight() { reset(); }

	// DEALLOCATE: the right is destroyed unused.
	void reset() noexcept;

	// Sends @msg through this right (MOVE_SEND_ONCE) and, on success,
	// gives it up. On failure the right is kept.
	[[nodiscard]] result<void> send(std::span<std::byte> msg,
					timeout send_timeout = std::nullopt) noexcept;
};

// One user reference of a dead name.
class DeadName final : public detail::NameHandle {
public:
	DeadName() noexcept = default;
	DeadName(int space_fd, std::uint32_t name) noexcept : NameHandle(space_fd, name) {}
	DeadName(const Space &space, std::uint32_t name) noexcept : NameHandle(space.fd(), name) {}
	DeadName(DeadName &&) noexcept = default;
	DeadName &operator=(DeadName &&o) noexcept
	{
		if (this != &o) {
			reset();
			take(o);
		}
		return *this;
	}
	~DeadName() { reset(); }

	// DEALLOCATE: one uref released.
	void reset() noexcept;
};

// A port set: one receive waits on all of its member ports. Destroying it
// takes the members out (they keep their messages) and wakes its
// receivers with EPIPE.
class PortSet final : public detail::NameHandle {
public:
	PortSet() noexcept = default;
	PortSet(int space_fd, std::uint32_t name) noexcept : NameHandle(space_fd, name) {}
	PortSet(const Space &space, std::uint32_t name) noexcept : NameHandle(space.fd(), name) {}
	PortSet(PortSet &&) noexcept = default;
	PortSet &operator=(PortSet &&o) noexcept
	{
		if (this != &o) {
			reset();
			take(o);
		}
		return *this;
	}
	~PortSet() { reset(); }

	// MOD_REFS(PORT_SET, -1): the set is destroyed.
	void reset() noexcept;

	// MOVE_MEMBER(member, set): @member leaves any other set and joins.
	[[nodiscard]] result<void> add(const ReceiveRight &member) const noexcept
	{
		return sys::port_move_member(fd_, member.get(), name_);
	}
	[[nodiscard]] result<void> add(std::uint32_t member) const noexcept
	{
		return sys::port_move_member(fd_, member, name_);
	}
	// MOVE_MEMBER(member, NULL): ENXIO if @member is in no set. (It does
	// not check that the set @member is in is this one.)
	[[nodiscard]] result<void> remove(const ReceiveRight &member) const noexcept
	{
		return sys::port_move_member(fd_, member.get(), MAILBOX_PORT_NULL);
	}

	// Receives the next message of the member that became ready first;
	// view.local_port() names the member.
	[[nodiscard]] result<MessageView> receive(std::span<std::byte> buffer,
						  timeout rcv_timeout = std::nullopt,
						  std::uint32_t options = 0) const noexcept
	{
		return detail::receive(fd_, name_, buffer, rcv_timeout, options);
	}
	[[nodiscard]] result<MessageView> receive(std::span<std::byte> buffer,
						  const ReceiveOptions &options) const noexcept
	{
		return detail::receive(fd_, name_, buffer, options);
	}
	// MAILBOX_IOC_PORT_READY_FD on the set (EPOLLIN: a member has one).
	[[nodiscard]] result<ReadyFd> ready_fd() const noexcept;
	// PORT_SET_ATTR(MAILBOX_ATTR_SPIN) on the set: receives on the set
	// poll as ReceiveRight::set_spin() says (the members' own budgets
	// apply to receives on the members).
	[[nodiscard]] result<void> set_spin(std::chrono::microseconds budget) const noexcept;
	// PORT_GET_ATTR on the set: its spin budget.
	[[nodiscard]] result<std::chrono::microseconds> spin() const noexcept;
};

namespace detail {
// An owning file descriptor. Not part of the API.
class FdHandle {
public:
	[[nodiscard]] int get() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return fd_ >= 0; }
	// Gives up ownership: the caller closes the fd.
	[[nodiscard]] int release() noexcept
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}
	// Closes the fd (if any).
	void reset() noexcept;

protected:
	FdHandle() noexcept = default;
	explicit FdHandle(int fd) noexcept : fd_(fd) {}
	FdHandle(const FdHandle &) = delete;
	FdHandle &operator=(const FdHandle &) = delete;
	FdHandle(FdHandle &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
	FdHandle &operator=(FdHandle &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = o.fd_;
			o.fd_ = -1;
		}
		return *this;
	}
	~FdHandle() { reset(); }

	int fd_ = -1;
};
} // namespace detail

// A readiness fd (MAILBOX_IOC_PORT_READY_FD): poll/epoll/io_uring only. It
// watches the port or set itself, not the name, and outlives both.
class ReadyFd final : public detail::FdHandle {
public:
	ReadyFd() noexcept = default;
	// Adopts @fd.
	explicit ReadyFd(int fd) noexcept : FdHandle(fd) {}
	ReadyFd(ReadyFd &&) noexcept = default;
	ReadyFd &operator=(ReadyFd &&) noexcept = default;
	~ReadyFd() = default;

	// poll(2) on the fd for @events (POLLIN, POLLOUT); returns the
	// revents (0 on timeout). std::nullopt waits forever.
	[[nodiscard]] result<short> poll(short events, timeout wait = std::nullopt) const noexcept;
};

// An exported right (MAILBOX_IOC_PORT_EXPORT): one send or send-once right
// in an fd that travels like any fd (SCM_RIGHTS, fork, exec without
// O_CLOEXEC). Closing the last fd of the file releases the right.
class RightFd final : public detail::FdHandle {
public:
	enum class Kind : std::uint8_t { unknown, send, send_once };

	RightFd() noexcept = default;
	// Adopts @fd holding a right of kind @kind (e.g. received by
	// SCM_RIGHTS).
	explicit RightFd(int fd, Kind kind = Kind::unknown) noexcept : FdHandle(fd), kind_(kind) {}
	RightFd(RightFd &&o) noexcept : FdHandle(std::move(o)), kind_(o.kind_) {}
	RightFd &operator=(RightFd &&o) noexcept
	{
		FdHandle::operator=(std::move(o));
		kind_ = o.kind_;
		return *this;
	}
	~RightFd() = default;

	[[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
	Kind kind_ = Kind::unknown;
};

// Takes ownership of the right a received port descriptor carries, in
// space @space: R must match the right received (ReceiveRight for
// PORT_RECEIVE, SendRight for PORT_SEND, SendOnceRight for PORT_SEND_ONCE);
// std::nullopt if it does not, or if the descriptor carries no right
// (MAILBOX_PORT_NULL / _DEAD, a port array).
template <typename R>
[[nodiscard]] std::optional<R> adopt(const Space &space, const Descriptor &d) noexcept
{
	static_assert(std::is_same_v<R, ReceiveRight> || std::is_same_v<R, SendRight> ||
			      std::is_same_v<R, SendOnceRight>,
		      "a descriptor carries a receive, send or send-once right");
	std::uint8_t want = std::is_same_v<R, ReceiveRight> ? MAILBOX_MSG_TYPE_PORT_RECEIVE
			    : std::is_same_v<R, SendRight>  ? MAILBOX_MSG_TYPE_PORT_SEND
							    : MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
	if (!d.is_port() || d.disposition != want || d.name == MAILBOX_PORT_NULL ||
	    d.name == MAILBOX_PORT_DEAD)
		return std::nullopt;
	return R(space, d.name);
}

// Takes ownership of the reply right of a received message (a send-once
// right, or a send right for a MAKE_SEND/COPY_SEND reply); std::nullopt if
// it has none or R does not match.
template <typename R>
[[nodiscard]] std::optional<R> adopt_reply(const Space &space, const MessageView &v) noexcept
{
	static_assert(std::is_same_v<R, SendRight> || std::is_same_v<R, SendOnceRight>,
		      "a reply right is a send or send-once right");
	std::uint32_t want = std::is_same_v<R, SendRight> ? MAILBOX_MSG_TYPE_PORT_SEND
							  : MAILBOX_MSG_TYPE_PORT_SEND_ONCE;
	if (v.reply_type() != want || v.reply_port() == MAILBOX_PORT_NULL ||
	    v.reply_port() == MAILBOX_PORT_DEAD)
		return std::nullopt;
	return R(space, v.reply_port());
}

} // namespace mailbox

#endif // MAILBOX_MAILBOX_HPP
