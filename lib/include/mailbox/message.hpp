// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox messages: fixed-capacity buffers, a builder that writes a
// header and inline payload, and a view that reads a received message.
//
// Layout (see uapi/linux/mailbox.h): a message is a struct
// mailbox_msg_header (24 bytes) followed by an inline body; its size is a
// multiple of 4. A received message may be followed by a struct
// mailbox_msg_trailer at offset header.size.
//
// A complex message (MAILBOX_MSGH_COMPLEX) carries rights and out-of-line
// memory: its body starts with struct mailbox_msg_body (the descriptor
// count) and the descriptors, then the inline data. The builder writes
// descriptors first (port(), port_array(), ool()) and data after; the view
// walks them and reads the data after them.
//
// put<T>() and get<T>() place each value at the next offset aligned to
// alignof(T) (padding bytes are zero), so a reader that gets the same
// sequence of types as the writer put reads the same values back. Nothing
// here allocates or throws.
#ifndef MAILBOX_MESSAGE_HPP
#define MAILBOX_MESSAGE_HPP

#include <linux/mailbox.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace mailbox {

inline constexpr std::size_t header_size = sizeof(mailbox_msg_header);
inline constexpr std::size_t trailer_size = sizeof(mailbox_msg_trailer);
// Alignment of message storage; enough for any put<T>() with alignof(T) <= 8.
inline constexpr std::size_t message_alignment = 8;

static_assert(header_size == 24, "mailbox_msg_header is 24 bytes (mach_msg_header_t)");
static_assert(trailer_size == 24, "mailbox_msg_trailer format 0 is 24 bytes");

// How a right is sent (mach_msg_type_name_t). On receive a descriptor's
// disposition is the right received: move_receive (PORT_RECEIVE),
// move_send (PORT_SEND) or move_send_once (PORT_SEND_ONCE).
enum class Disposition : std::uint8_t {
	move_receive = MAILBOX_MSG_TYPE_MOVE_RECEIVE,
	move_send = MAILBOX_MSG_TYPE_MOVE_SEND,
	move_send_once = MAILBOX_MSG_TYPE_MOVE_SEND_ONCE,
	copy_send = MAILBOX_MSG_TYPE_COPY_SEND,
	make_send = MAILBOX_MSG_TYPE_MAKE_SEND,
	make_send_once = MAILBOX_MSG_TYPE_MAKE_SEND_ONCE,
};

[[nodiscard]] constexpr bool valid_disposition(std::uint32_t d) noexcept
{
	return d >= MAILBOX_MSG_TYPE_MOVE_RECEIVE && d <= MAILBOX_MSG_TYPE_MAKE_SEND_ONCE;
}

// Whether an owning right type R may be sent with disposition D
// (specialised in mailbox.hpp for ReceiveRight, SendRight, SendOnceRight);
// MessageBuilder::port<D>(right) checks it at compile time.
template <typename R, Disposition D>
struct sendable_as : std::false_type {};

// Rounds n up to a multiple of a (a power of two).
[[nodiscard]] constexpr std::size_t align_up(std::size_t n, std::size_t a) noexcept
{
	return (n + a - 1) & ~(a - 1);
}

// Fixed-capacity, suitably aligned storage for one message of at most N
// bytes (header + body, plus trailer when receiving). No allocation.
template <std::size_t N>
class MessageBuffer final {
	static_assert(N >= header_size, "a message buffer holds at least a header");
	static_assert(N % 4 == 0, "message sizes are multiples of 4");

public:
	MessageBuffer() noexcept = default;

	[[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
	[[nodiscard]] std::byte *data() noexcept { return storage_; }
	[[nodiscard]] const std::byte *data() const noexcept { return storage_; }
	[[nodiscard]] std::span<std::byte> span() noexcept { return {storage_, N}; }
	[[nodiscard]] std::span<const std::byte> span() const noexcept { return {storage_, N}; }

private:
	alignas(message_alignment) std::byte storage_[N] = {};
};

class OolRegion;

// Writes a message into caller-provided storage. Every put is bounds
// checked; once something did not fit the builder is "overflowed" and
// finish() reports it (so a chain of puts needs one check at the end).
class MessageBuilder final {
public:
	// Starts a message with id @id in @storage: the header is zeroed
	// except id; send() fills in bits, remote_port and local_port.
	MessageBuilder(std::span<std::byte> storage, std::int32_t id) noexcept
		: buf_(storage)
	{
		if (buf_.size() < header_size) {
			overflow_ = true;
			return;
		}
		mailbox_msg_header h{};
		h.id = id;
		std::memcpy(buf_.data(), &h, sizeof(h));
		size_ = header_size;
	}

	template <std::size_t N>
	MessageBuilder(MessageBuffer<N> &buffer, std::int32_t id) noexcept
		: MessageBuilder(buffer.span(), id)
	{
	}

	// Appends @value at the next offset aligned to alignof(T).
	template <typename T>
	MessageBuilder &put(const T &value) noexcept
	{
		static_assert(std::is_trivially_copyable_v<T>,
			      "only trivially copyable types travel inline");
		static_assert(!std::is_pointer_v<T>,
			      "pointers mean nothing in another address space");
		static_assert(alignof(T) <= message_alignment,
			      "over-aligned types cannot be placed in a message");
		return put_aligned(&value, sizeof(T), alignof(T));
	}

	// Appends a port descriptor carrying the right @name per @disposition
	// (any Disposition; MOVE_* take the right out of the sender's space
	// when the send succeeds: release() the owning object then).
	// Descriptors must come before any put(): one after data marks the
	// builder misordered() and finish() fails.
	MessageBuilder &port(std::uint32_t name, Disposition disposition) noexcept
	{
		mailbox_msg_port_descriptor d{};
		d.name = name;
		d.disposition = static_cast<std::uint8_t>(disposition);
		d.type = MAILBOX_MSG_PORT_DESCRIPTOR;
		return put_descriptor(&d, sizeof(d));
	}

	// The same with the right's owning object, checked at compile time:
	// a ReceiveRight goes as make_send, make_send_once or move_receive, a
	// SendRight as copy_send or move_send, a SendOnceRight as
	// move_send_once.
	template <Disposition D, typename R>
		requires sendable_as<R, D>::value
	MessageBuilder &port(const R &right) noexcept
	{
		return port(right.get(), D);
	}

	// Appends a port-array descriptor: every name of @names, all with
	// @disposition. The names are read by the send: @names must stay valid
	// (and unchanged) until then.
	MessageBuilder &port_array(std::span<const std::uint32_t> names,
				   Disposition disposition) noexcept
	{
		if (names.size() > UINT32_MAX) {
			overflow_ = true;
			return *this;
		}
		mailbox_msg_ool_ports_descriptor d{};
		d.address = reinterpret_cast<std::uintptr_t>(names.data());
		d.disposition = static_cast<std::uint8_t>(disposition);
		d.type = MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
		d.count = static_cast<std::uint32_t>(names.size());
		return put_descriptor(&d, sizeof(d));
	}

	// Appends an out-of-line memory descriptor: the kernel copies @data
	// at send time and the receiver gets it in a new mapping (OolRegion).
	// @data must stay valid until the send. @deallocate: unmap the whole
	// pages of @data from the sender once the message is queued.
	// @copy: MAILBOX_PHYSICAL_COPY or MAILBOX_VIRTUAL_COPY (both copy once).
	MessageBuilder &ool(std::span<const std::byte> data, bool deallocate = false,
			    std::uint8_t copy = MAILBOX_PHYSICAL_COPY) noexcept
	{
		if (data.size() > UINT32_MAX) {
			overflow_ = true;
			return *this;
		}
		mailbox_msg_ool_descriptor d{};
		d.address = reinterpret_cast<std::uintptr_t>(data.data());
		d.deallocate = deallocate ? 1 : 0;
		d.copy = copy;
		d.type = MAILBOX_MSG_OOL_DESCRIPTOR;
		d.size = static_cast<std::uint32_t>(data.size());
		return put_descriptor(&d, sizeof(d));
	}

	// Appends @region (a buffer of Space::ool_buffer(), or a region a
	// moved buffer arrived in) with deallocate and MAILBOX_VIRTUAL_COPY:
	// the kernel moves its pages to the receiver instead of copying them
	// and, once the send succeeded, the range is gone from the sender:
	// call region.release() then (a failed send leaves it in place). Any
	// other region is copied and its whole pages unmapped, as ool(..., true).
	MessageBuilder &give(const OolRegion &region) noexcept;

	// Descriptors written so far.
	[[nodiscard]] std::uint32_t descriptor_count() const noexcept { return ndesc_; }

	// Appends raw bytes with no alignment.
	MessageBuilder &put_bytes(const void *data, std::size_t len) noexcept
	{
		return put_aligned(data, len, 1);
	}

	// Appends a length-prefixed string: a std::uint32_t length, then the
	// bytes (no terminating NUL).
	MessageBuilder &put_string(std::string_view s) noexcept
	{
		if (s.size() > UINT32_MAX) {
			overflow_ = true;
			return *this;
		}
		put(static_cast<std::uint32_t>(s.size()));
		return put_bytes(s.data(), s.size());
	}

	// Sets the message id (the constructor's @id).
	MessageBuilder &id(std::int32_t id) noexcept
	{
		if (size_ >= header_size)
			std::memcpy(buf_.data() + offsetof(mailbox_msg_header, id), &id, sizeof(id));
		return *this;
	}

	// True once a put did not fit.
	[[nodiscard]] bool overflowed() const noexcept { return overflow_; }
	// True once a descriptor was added after inline data.
	[[nodiscard]] bool misordered() const noexcept { return misordered_; }
	// overflowed() or misordered(): finish() returns an empty span.
	[[nodiscard]] bool failed() const noexcept { return overflow_ || misordered_; }

	// Bytes written so far (header + body, not yet padded).
	[[nodiscard]] std::size_t size() const noexcept { return size_; }

	// The finished message (padded with zeroes to a multiple of 4), or an
	// empty span if something did not fit or was misordered.
	[[nodiscard]] std::span<std::byte> finish() noexcept
	{
		if (overflow_ || misordered_)
			return {};
		std::size_t padded = align_up(size_, 4);
		if (padded > buf_.size()) {
			overflow_ = true;
			return {};
		}
		std::fill(buf_.begin() + size_, buf_.begin() + padded, std::byte{0});
		size_ = padded;
		return buf_.first(size_);
	}

	// The header being built (a zero header if the storage is smaller
	// than one).
	[[nodiscard]] mailbox_msg_header header() const noexcept
	{
		mailbox_msg_header h{};
		if (size_ >= header_size)
			std::memcpy(&h, buf_.data(), sizeof(h));
		return h;
	}

private:
	static constexpr std::size_t body_offset = header_size;
	static constexpr std::size_t first_descriptor = header_size + sizeof(mailbox_msg_body);

	MessageBuilder &put_descriptor(const void *d, std::size_t len) noexcept
	{
		if (overflow_ || misordered_)
			return *this;
		if (ndesc_ == 0) {
			if (size_ != header_size) { // data came first
				misordered_ = true;
				return *this;
			}
			if (buf_.size() < first_descriptor + len) {
				overflow_ = true;
				return *this;
			}
			std::uint32_t bits;
			std::memcpy(&bits, buf_.data(), sizeof(bits));
			bits |= MAILBOX_MSGH_COMPLEX;
			std::memcpy(buf_.data(), &bits, sizeof(bits));
			size_ = first_descriptor;
		} else if (size_ != desc_end_) {
			misordered_ = true;
			return *this;
		}
		if (len > buf_.size() - size_) {
			overflow_ = true;
			return *this;
		}
		std::memcpy(buf_.data() + size_, d, len);
		size_ += len;
		desc_end_ = size_;
		ndesc_++;
		std::memcpy(buf_.data() + body_offset, &ndesc_, sizeof(ndesc_));
		return *this;
	}

	MessageBuilder &put_aligned(const void *data, std::size_t len, std::size_t align) noexcept
	{
		if (overflow_)
			return *this;
		std::size_t at = align_up(size_, align);
		if (at > buf_.size() || len > buf_.size() - at) {
			overflow_ = true;
			return *this;
		}
		std::fill(buf_.begin() + size_, buf_.begin() + at, std::byte{0});
		if (len)
			std::memcpy(buf_.data() + at, data, len);
		size_ = at + len;
		return *this;
	}

	std::span<std::byte> buf_;
	std::size_t size_ = 0;
	std::size_t desc_end_ = 0;
	std::uint32_t ndesc_ = 0;
	bool overflow_ = false;
	bool misordered_ = false;
};

// Reads a message body in the order it was built. get<T>() returns
// std::nullopt (and marks the reader failed) when the body is too short.
class MessageReader final {
public:
	// @body: the message body; @base_offset: offset of the body in the
	// message (header_size), so alignment matches the builder's.
	explicit MessageReader(std::span<const std::byte> body,
			       std::size_t base_offset = header_size) noexcept
		: body_(body), base_(base_offset)
	{
	}

	template <typename T>
	[[nodiscard]] std::optional<T> get() noexcept
	{
		static_assert(std::is_trivially_copyable_v<T>,
			      "only trivially copyable types travel inline");
		static_assert(std::is_default_constructible_v<T>,
			      "get<T>() needs a default-constructible T");
		static_assert(alignof(T) <= message_alignment,
			      "over-aligned types cannot be placed in a message");
		T value{};
		if (!take(&value, sizeof(T), alignof(T)))
			return std::nullopt;
		return value;
	}

	// The next @len raw bytes (no alignment), or an empty span (and the
	// reader failed) if fewer remain.
	[[nodiscard]] std::span<const std::byte> get_bytes(std::size_t len) noexcept
	{
		if (failed_ || len > body_.size() - pos_) {
			failed_ = true;
			return {};
		}
		auto s = body_.subspan(pos_, len);
		pos_ += len;
		return s;
	}

	// A string written by put_string(), viewing the message storage.
	[[nodiscard]] std::optional<std::string_view> get_string() noexcept
	{
		auto len = get<std::uint32_t>();
		if (!len)
			return std::nullopt;
		auto bytes = get_bytes(*len);
		if (failed_)
			return std::nullopt;
		return std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size());
	}

	[[nodiscard]] bool failed() const noexcept { return failed_; }
	[[nodiscard]] std::size_t remaining() const noexcept { return body_.size() - pos_; }

private:
	bool take(void *out, std::size_t len, std::size_t align) noexcept
	{
		if (failed_)
			return false;
		std::size_t at = align_up(base_ + pos_, align) - base_;
		if (at > body_.size() || len > body_.size() - at) {
			failed_ = true;
			return false;
		}
		std::memcpy(out, body_.data() + at, len);
		pos_ = at + len;
		return true;
	}

	std::span<const std::byte> body_;
	std::size_t base_;
	std::size_t pos_ = 0;
	bool failed_ = false;
};

// One descriptor of a received (or built) complex message.
struct Descriptor {
	std::uint8_t type = 0;		// MAILBOX_MSG_*_DESCRIPTOR
	std::uint8_t disposition = 0;	// received: MAILBOX_MSG_TYPE_PORT_*
	// Port: the right's name (MAILBOX_PORT_NULL / _DEAD carry no right).
	std::uint32_t name = MAILBOX_PORT_NULL;
	// Port array: the names, viewing the receive buffer (empty if the
	// descriptor's address does not lie inside the viewed bytes, e.g. for
	// a message that was built, not received); address and count as sent.
	std::span<const std::uint32_t> names;
	std::uint64_t address = 0;
	std::uint32_t count = 0;
	// Out-of-line memory: address (above) and size in bytes. Received: a
	// mapping the receiver owns (adopt_ool()), or address 0 for size 0.
	std::uint32_t size = 0;
	std::uint8_t deallocate = 0;
	std::uint8_t copy = 0;

	[[nodiscard]] bool is_port() const noexcept { return type == MAILBOX_MSG_PORT_DESCRIPTOR; }
	[[nodiscard]] bool is_ool() const noexcept { return type == MAILBOX_MSG_OOL_DESCRIPTOR; }
	[[nodiscard]] bool is_port_array() const noexcept
	{
		return type == MAILBOX_MSG_OOL_PORTS_DESCRIPTOR;
	}
};

// A view of a received message: header, descriptors, inline data and (if
// requested with MAILBOX_MSG_RCV_TRAILER) trailer. It does not own the
// bytes, nor the rights the descriptors and the reply port name (they are
// the receiver's: adopt them, see mailbox.hpp, or deallocate them).
class MessageView final {
public:
	MessageView() noexcept = default;

	// @bytes: what the receive wrote (rcv_size bytes). A view whose bytes
	// are shorter than a header, whose header.size is out of range, or
	// whose descriptors do not fit in header.size, is invalid (valid()
	// false; header() then reads as zeroes).
	explicit MessageView(std::span<const std::byte> bytes, std::uint32_t priority = 0) noexcept
		: bytes_(bytes), priority_(priority)
	{
		if (bytes_.size() < header_size)
			return;
		std::memcpy(&header_, bytes_.data(), sizeof(header_));
		if (header_.size < header_size || header_.size > bytes_.size() ||
		    !walk_descriptors()) {
			header_ = {};
			ndesc_ = 0;
			return;
		}
		valid_ = true;
	}

	[[nodiscard]] bool valid() const noexcept { return valid_; }
	[[nodiscard]] const mailbox_msg_header &header() const noexcept { return header_; }
	// The priority the message was sent with (as the receive reported it;
	// 0 for a view made from bytes alone).
	[[nodiscard]] std::uint32_t priority() const noexcept { return priority_; }
	// True for a pulse (struct mailbox_pulse; see as_pulse()).
	[[nodiscard]] bool is_pulse() const noexcept
	{
		return (header_.bits & MAILBOX_MSGH_PULSE) != 0;
	}
	[[nodiscard]] std::int32_t id() const noexcept { return header_.id; }
	[[nodiscard]] std::size_t size() const noexcept { return header_.size; }

	// The reply right's name in the receiver's space (MAILBOX_PORT_NULL if
	// none) and its type (MAILBOX_MSG_TYPE_PORT_SEND[_ONCE], or 0).
	[[nodiscard]] std::uint32_t reply_port() const noexcept { return header_.remote_port; }
	[[nodiscard]] std::uint32_t reply_type() const noexcept
	{
		return MAILBOX_MSGH_REMOTE(header_.bits);
	}
	// The name of the receive right the message arrived on.
	[[nodiscard]] std::uint32_t local_port() const noexcept { return header_.local_port; }

	// Everything after the header (descriptors included).
	[[nodiscard]] std::span<const std::byte> body() const noexcept
	{
		if (!valid_)
			return {};
		return bytes_.subspan(header_size, header_.size - header_size);
	}

	// True for a message carrying descriptors (MAILBOX_MSGH_COMPLEX).
	[[nodiscard]] bool complex() const noexcept
	{
		return (header_.bits & MAILBOX_MSGH_COMPLEX) != 0;
	}
	[[nodiscard]] std::uint32_t descriptor_count() const noexcept { return ndesc_; }

	// Descriptor @index (0-based), or std::nullopt if out of range.
	[[nodiscard]] std::optional<Descriptor> descriptor(std::uint32_t index) const noexcept
	{
		if (!valid_ || index >= ndesc_)
			return std::nullopt;
		std::size_t at = header_size + sizeof(mailbox_msg_body);
		for (std::uint32_t i = 0; i < index; i++)
			at += descriptor_size(at);
		return read_descriptor(at);
	}

	// Iterates over the descriptors: for (const Descriptor &d : view.descriptors()).
	class DescriptorRange {
	public:
		class iterator {
		public:
			using value_type = Descriptor;
			using difference_type = std::ptrdiff_t;
			iterator() noexcept = default;
			iterator(const MessageView *v, std::uint32_t i, std::size_t at) noexcept
				: v_(v), i_(i), at_(at)
			{
			}
			Descriptor operator*() const noexcept { return v_->read_descriptor(at_); }
			iterator &operator++() noexcept
			{
				at_ += v_->descriptor_size(at_);
				i_++;
				return *this;
			}
			iterator operator++(int) noexcept
			{
				iterator t = *this;
				++*this;
				return t;
			}
			bool operator==(const iterator &o) const noexcept { return i_ == o.i_; }

		private:
			const MessageView *v_ = nullptr;
			std::uint32_t i_ = 0;
			std::size_t at_ = 0;
		};
		explicit DescriptorRange(const MessageView *v) noexcept : v_(v) {}
		iterator begin() const noexcept
		{
			return iterator(v_, 0, header_size + sizeof(mailbox_msg_body));
		}
		iterator end() const noexcept { return iterator(v_, v_->ndesc_, 0); }
		std::size_t size() const noexcept { return v_->ndesc_; }

	private:
		const MessageView *v_;
	};
	[[nodiscard]] DescriptorRange descriptors() const noexcept { return DescriptorRange(this); }

	// The inline data: the body after the descriptors (the whole body of
	// a simple message).
	[[nodiscard]] std::span<const std::byte> payload() const noexcept
	{
		if (!valid_)
			return {};
		return bytes_.subspan(payload_at_, header_.size - payload_at_);
	}

	// Reads payload() in the order the builder put it.
	[[nodiscard]] MessageReader reader() const noexcept
	{
		return MessageReader(payload(), payload_at_);
	}

	// The trailer, if the receive wrote one.
	[[nodiscard]] std::optional<mailbox_msg_trailer> trailer() const noexcept
	{
		if (!valid_ || bytes_.size() - header_.size < trailer_size)
			return std::nullopt;
		mailbox_msg_trailer t;
		std::memcpy(&t, bytes_.data() + header_.size, sizeof(t));
		return t;
	}

	// The bytes the view was made from (message, trailer, port arrays).
	[[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }

private:
	// Every descriptor type sits at byte 11 of its descriptor (XNU's
	// 64-bit user layout); 0 for an unknown type.
	std::size_t descriptor_size_of(std::uint8_t type) const noexcept
	{
		switch (type) {
		case MAILBOX_MSG_PORT_DESCRIPTOR:
			return sizeof(mailbox_msg_port_descriptor);
		case MAILBOX_MSG_OOL_PORTS_DESCRIPTOR:
			return sizeof(mailbox_msg_ool_ports_descriptor);
		case MAILBOX_MSG_OOL_DESCRIPTOR:
			return sizeof(mailbox_msg_ool_descriptor);
		default:
			return 0;
		}
	}
	std::uint8_t type_at(std::size_t at) const noexcept
	{
		return static_cast<std::uint8_t>(bytes_[at + 11]);
	}
	// Size of the descriptor at offset @at (walked already: in range).
	std::size_t descriptor_size(std::size_t at) const noexcept
	{
		return descriptor_size_of(type_at(at));
	}

	// Checks that every descriptor lies inside header.size and has a known
	// type; sets ndesc_ and payload_at_.
	bool walk_descriptors() noexcept
	{
		payload_at_ = header_size;
		if (!(header_.bits & MAILBOX_MSGH_COMPLEX))
			return true;
		std::size_t end = header_.size;
		std::size_t at = header_size + sizeof(mailbox_msg_body);
		if (at > end)
			return false;
		std::uint32_t count;
		std::memcpy(&count, bytes_.data() + header_size, sizeof(count));
		for (std::uint32_t i = 0; i < count; i++) {
			if (end - at < 12)
				return false;
			std::size_t len = descriptor_size(at);
			if (len == 0 || end - at < len)
				return false;
			at += len;
		}
		ndesc_ = count;
		payload_at_ = at;
		return true;
	}

	Descriptor read_descriptor(std::size_t at) const noexcept
	{
		Descriptor d;
		if (type_at(at) == MAILBOX_MSG_PORT_DESCRIPTOR) {
			mailbox_msg_port_descriptor p;
			std::memcpy(&p, bytes_.data() + at, sizeof(p));
			d.type = p.type;
			d.disposition = p.disposition;
			d.name = p.name;
			return d;
		}
		if (type_at(at) == MAILBOX_MSG_OOL_DESCRIPTOR) {
			mailbox_msg_ool_descriptor o;
			std::memcpy(&o, bytes_.data() + at, sizeof(o));
			d.type = o.type;
			d.address = o.address;
			d.size = o.size;
			d.deallocate = o.deallocate;
			d.copy = o.copy;
			return d;
		}
		mailbox_msg_ool_ports_descriptor a;
		std::memcpy(&a, bytes_.data() + at, sizeof(a));
		d.type = a.type;
		d.disposition = a.disposition;
		d.address = a.address;
		d.count = a.count;
		// The kernel writes the names into the receive buffer.
		auto base = reinterpret_cast<std::uintptr_t>(bytes_.data());
		std::size_t len = std::size_t{a.count} * sizeof(std::uint32_t);
		if (a.count && a.address >= base && a.address % alignof(std::uint32_t) == 0 &&
		    a.address - base <= bytes_.size() && len <= bytes_.size() - (a.address - base))
			d.names = std::span<const std::uint32_t>(
				reinterpret_cast<const std::uint32_t *>(
					static_cast<std::uintptr_t>(a.address)),
				a.count);
		return d;
	}

	std::span<const std::byte> bytes_;
	std::uint32_t priority_ = 0;
	mailbox_msg_header header_{};
	std::uint32_t ndesc_ = 0;
	std::size_t payload_at_ = header_size;
	bool valid_ = false;
};

// A received pulse (MAILBOX_IOC_PULSE): header.id is the code.
struct Pulse {
	std::int32_t code = 0;
	std::uint32_t priority = 0;
	std::uint64_t value = 0;	// the newest, when pulses were coalesced
	std::uint32_t count = 0;	// pulses coalesced into this one, >= 1
	std::uint32_t dropped = 0;	// pulses the port dropped before this one
	friend bool operator==(const Pulse &, const Pulse &) = default;
};

// The pulse @v carries, or std::nullopt if @v is not a well-formed pulse.
[[nodiscard]] inline std::optional<Pulse> as_pulse(const MessageView &v) noexcept
{
	if (!v.valid() || !v.is_pulse() || v.complex() || v.size() != sizeof(mailbox_pulse))
		return std::nullopt;
	mailbox_pulse p;
	std::memcpy(&p, v.bytes().data(), sizeof(p));
	if (p.code != p.header.id)
		return std::nullopt;
	return Pulse{p.code, p.priority, p.value, p.count, p.dropped};
}

// Owns the mapping of a received out-of-line memory descriptor and unmaps
// it (munmap) on destruction or reset(). Move-only.
class OolRegion final {
public:
	OolRegion() noexcept = default;
	// Adopts @size bytes mapped at @address.
	OolRegion(void *address, std::size_t size) noexcept : addr_(address), size_(size) {}
	OolRegion(const OolRegion &) = delete;
	OolRegion &operator=(const OolRegion &) = delete;
	OolRegion(OolRegion &&o) noexcept : addr_(o.addr_), size_(o.size_)
	{
		o.addr_ = nullptr;
		o.size_ = 0;
	}
	OolRegion &operator=(OolRegion &&o) noexcept
	{
		if (this != &o) {
			reset();
			addr_ = o.addr_;
			size_ = o.size_;
			o.addr_ = nullptr;
			o.size_ = 0;
		}
		return *this;
	}
	~OolRegion() { reset(); }

	explicit operator bool() const noexcept { return addr_ != nullptr; }
	[[nodiscard]] std::span<std::byte> data() const noexcept
	{
		return {static_cast<std::byte *>(addr_), size_};
	}
	[[nodiscard]] std::size_t size() const noexcept { return size_; }
	// Unmaps the region (if any).
	void reset() noexcept
	{
		if (addr_ && size_)
			(void)::munmap(addr_, size_);
		addr_ = nullptr;
		size_ = 0;
	}
	// Gives up ownership: the caller unmaps.
	[[nodiscard]] void *release() noexcept
	{
		void *a = addr_;
		addr_ = nullptr;
		size_ = 0;
		return a;
	}

private:
	void *addr_ = nullptr;
	std::size_t size_ = 0;
};

inline MessageBuilder &MessageBuilder::give(const OolRegion &region) noexcept
{
	return ool(region.data(), true, MAILBOX_VIRTUAL_COPY);
}

// Takes ownership of the mapping a *received* out-of-line descriptor
// carries (empty for size 0 or another descriptor type). Never use it on a
// message that was built: it would unmap the sender's memory.
[[nodiscard]] inline OolRegion adopt_ool(const Descriptor &d) noexcept
{
	if (!d.is_ool() || d.address == 0 || d.size == 0)
		return {};
	return OolRegion(reinterpret_cast<void *>(static_cast<std::uintptr_t>(d.address)), d.size);
}

} // namespace mailbox

#endif // MAILBOX_MESSAGE_HPP
