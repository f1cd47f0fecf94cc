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
// put<T>() and get<T>() place each value at the next offset aligned to
// alignof(T) (padding bytes are zero), so a reader that gets the same
// sequence of types as the writer put reads the same values back. Nothing
// here allocates or throws.
#ifndef MAILBOX_MESSAGE_HPP
#define MAILBOX_MESSAGE_HPP

#include <linux/mailbox.h>

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

	// Bytes written so far (header + body, not yet padded).
	[[nodiscard]] std::size_t size() const noexcept { return size_; }

	// The finished message (padded with zeroes to a multiple of 4), or an
	// empty span if something did not fit.
	[[nodiscard]] std::span<std::byte> finish() noexcept
	{
		if (overflow_)
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
	bool overflow_ = false;
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

// A view of a received message: header, body and (if requested with
// MAILBOX_MSG_RCV_TRAILER) trailer. It does not own the bytes.
class MessageView final {
public:
	MessageView() noexcept = default;

	// @bytes: what the receive wrote (rcv_size bytes). A view whose bytes
	// are shorter than a header, or whose header.size is out of range, is
	// invalid (valid() false; header() then reads as zeroes).
	explicit MessageView(std::span<const std::byte> bytes) noexcept : bytes_(bytes)
	{
		if (bytes_.size() < header_size)
			return;
		std::memcpy(&header_, bytes_.data(), sizeof(header_));
		if (header_.size < header_size || header_.size > bytes_.size()) {
			header_ = {};
			return;
		}
		valid_ = true;
	}

	[[nodiscard]] bool valid() const noexcept { return valid_; }
	[[nodiscard]] const mailbox_msg_header &header() const noexcept { return header_; }
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

	[[nodiscard]] std::span<const std::byte> body() const noexcept
	{
		if (!valid_)
			return {};
		return bytes_.subspan(header_size, header_.size - header_size);
	}

	[[nodiscard]] MessageReader reader() const noexcept { return MessageReader(body()); }

	// The trailer, if the receive wrote one.
	[[nodiscard]] std::optional<mailbox_msg_trailer> trailer() const noexcept
	{
		if (!valid_ || bytes_.size() - header_.size < trailer_size)
			return std::nullopt;
		mailbox_msg_trailer t;
		std::memcpy(&t, bytes_.data() + header_.size, sizeof(t));
		return t;
	}

private:
	std::span<const std::byte> bytes_;
	mailbox_msg_header header_{};
	bool valid_ = false;
};

} // namespace mailbox

#endif // MAILBOX_MESSAGE_HPP
