// SPDX-License-Identifier: LGPL-2.1-or-later
//
// libmailbox errors: one std::error_category for everything the mailbox
// device can report.
//
// An ioctl on /dev/mailbox fails with an errno. MAILBOX_IOC_MSG also
// reports a status (MAILBOX_SEND_* / MAILBOX_RCV_*) that says exactly what
// failed and in which phase. A mailbox::error_code carries both, so that
//
//     ec.message()                  == "send: invalid destination (port dead)"
//     ec == std::errc::broken_pipe  (compares by errno)
//     mailbox::status_of(ec)        == MAILBOX_SEND_INVALID_DEST
//     mailbox::errno_of(ec)         == EPIPE
//
// Encoding of the error_code value: bits 0..15 the errno, bits 16..23 the
// index of the status in the status table (0: no status). Use the accessors
// below; the encoding is not part of the API.
#ifndef MAILBOX_ERROR_HPP
#define MAILBOX_ERROR_HPP

#include <cstdint>
#include <system_error>

namespace mailbox {

// The category of every error_code this library returns.
[[nodiscard]] const std::error_category &category() noexcept;

// Builds an error_code from an errno and an optional MSG status. An unknown
// status is dropped (the errno is kept).
[[nodiscard]] std::error_code make_error(int err, std::uint32_t status = 0) noexcept;

// The errno of a mailbox error_code (for other categories: ec.value() if the
// category is std::generic_category() or std::system_category(), else 0).
[[nodiscard]] int errno_of(const std::error_code &ec) noexcept;

// The MAILBOX_SEND_* / MAILBOX_RCV_* status of a mailbox error_code, or
// MAILBOX_MSG_SUCCESS (0) if it carries none.
[[nodiscard]] std::uint32_t status_of(const std::error_code &ec) noexcept;

// Name of a status, e.g. "MAILBOX_SEND_INVALID_DEST"; nullptr if unknown.
[[nodiscard]] const char *status_name(std::uint32_t status) noexcept;

// Human description of a status, e.g. "send: invalid destination";
// nullptr if unknown.
[[nodiscard]] const char *status_description(std::uint32_t status) noexcept;

// What an errno means for the mailbox device, e.g. EPIPE -> "port dead";
// nullptr for an errno the device does not report.
[[nodiscard]] const char *errno_description(int err) noexcept;

} // namespace mailbox

#endif // MAILBOX_ERROR_HPP
