// SPDX-License-Identifier: LGPL-2.1-or-later
//
// calc: the guide's calculator RPC (Example 2) on libmailbox's C++ API.
//
// The server process allocates a port, registers it in the module's
// registry as "org.mailbox.example.calc" and serves it with mailbox::Server:
// one handler per operation (message id), each reading two int64 operands
// and writing a status and a result into the reply, which the loop sends
// through the send-once right the request carried. Division by zero (and
// overflow: INT64_MIN / -1) is answered with an error status, not a crash.
//
// The client process looks the service up and makes each request with
// Space::call(): send + wait for the reply on its reply port, one ioctl.
// An id the server has no handler for is answered with mailbox::bad_id
// (MIG_BAD_ID) by the loop itself.
#include <mailbox/mailbox.hpp>
#include <mailbox/server.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace {

constexpr const char *service = "org.mailbox.example.calc";

enum : std::int32_t {
	op_add = 100,
	op_sub,
	op_mul,
	op_div,
	op_quit = 199,
	op_unknown = 150,	// no handler: answered with mailbox::bad_id
};

enum : std::int32_t { calc_ok = 0, calc_div_by_zero = 1, calc_overflow = 2 };

[[noreturn]] void fail(const char *what, const std::error_code &ec)
{
	std::fprintf(stderr, "calc: %s: %s\n", what, ec.message().c_str());
	std::exit(1);
}

char op_char(std::int32_t op)
{
	switch (op) {
	case op_add:
		return '+';
	case op_sub:
		return '-';
	case op_mul:
		return '*';
	case op_div:
		return '/';
	default:
		return '?';
	}
}

// Registers one arithmetic handler: reads a and b, replies {status, value}.
template <typename F>
void on_op(mailbox::Server<256> &server, std::int32_t op, F compute)
{
	server.on(op, [compute](const mailbox::MessageView &req, mailbox::MessageBuilder &out) {
		auto r = req.reader();
		auto a = r.get<std::int64_t>();
		auto b = r.get<std::int64_t>();
		if (!a || !b)
			return false;	// malformed: no reply, the right is dropped
		std::int64_t value = 0;
		std::int32_t status = compute(*a, *b, value);
		out.put(status).put(value);
		return true;
	});
}

std::uint64_t serve(mailbox::Space &space)
{
	auto port = space.allocate_receive();
	if (!port)
		fail("server: allocate port", port.error());
	// Printed first so the line comes before any of the client's.
	std::printf("server: registering %s\n", service);
	if (auto r = space.register_service(service, port->get()); !r)
		fail("server: register", r.error());

	mailbox::Server<256> server(space, *port);
	on_op(server, op_add, [](std::int64_t a, std::int64_t b, std::int64_t &v) {
		return __builtin_add_overflow(a, b, &v) ? calc_overflow : calc_ok;
	});
	on_op(server, op_sub, [](std::int64_t a, std::int64_t b, std::int64_t &v) {
		return __builtin_sub_overflow(a, b, &v) ? calc_overflow : calc_ok;
	});
	on_op(server, op_mul, [](std::int64_t a, std::int64_t b, std::int64_t &v) {
		return __builtin_mul_overflow(a, b, &v) ? calc_overflow : calc_ok;
	});
	on_op(server, op_div, [](std::int64_t a, std::int64_t b, std::int64_t &v) {
		if (b == 0)
			return calc_div_by_zero;
		if (a == std::numeric_limits<std::int64_t>::min() && b == -1)
			return calc_overflow;
		v = a / b;
		return calc_ok;
	});
	server.on(op_quit, [&](const mailbox::MessageView &, mailbox::MessageBuilder &) {
		server.stop();
		return true;	// an empty reply: the client knows we stopped
	});
	if (auto r = server.run(); !r)
		fail("server: receive", r.error());
	// Destroying the port (ReceiveRight's destructor) also removes the
	// service from the registry.
	return server.handled();
}

struct Reply {
	std::int32_t id;
	std::int32_t status;
	std::int64_t value;
};

Reply call(mailbox::Space &space, const mailbox::SendRight &server,
	   const mailbox::ReceiveRight &reply_port, std::int32_t op, std::int64_t a,
	   std::int64_t b)
{
	mailbox::MessageBuffer<256> request, reply;
	mailbox::MessageBuilder m(request, op);
	m.put(a).put(b);
	auto answer = space.call(server.get(), m.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				 reply_port.get(), reply.span());
	if (!answer)
		fail("client: call", answer.error());
	Reply out{answer->id(), -1, 0};
	auto r = answer->reader();
	if (auto s = r.get<std::int32_t>())
		out.status = *s;
	if (auto v = r.get<std::int64_t>())
		out.value = *v;
	return out;
}

int client()
{
	auto space = mailbox::Space::open();
	if (!space)
		fail("client: open /dev/mailbox", space.error());
	// The server may not have registered yet: retry the look-up briefly.
	auto server = space->lookup(service);
	for (int i = 0; !server && i < 200; i++) {
		usleep(10000);
		server = space->lookup(service);
	}
	if (!server)
		fail("client: look up the service", server.error());
	auto reply_port = space->allocate_receive();
	if (!reply_port)
		fail("client: allocate reply port", reply_port.error());

	struct {
		std::int32_t op;
		std::int64_t a, b;
	} const requests[] = {
		{op_add, 7, 5}, {op_sub, 7, 5}, {op_mul, 7, 5}, {op_div, 7, 5}, {op_div, 7, 0},
		{op_mul, std::numeric_limits<std::int64_t>::max(), 2},
	};
	int failures = 0;
	for (const auto &q : requests) {
		Reply r = call(*space, *server, *reply_port, q.op, q.a, q.b);
		if (r.id != q.op) {
			std::printf("client: unexpected reply id %d\n", r.id);
			failures++;
		} else if (r.status == calc_ok) {
			std::printf("client: %lld %c %lld = %lld\n", static_cast<long long>(q.a),
				    op_char(q.op), static_cast<long long>(q.b),
				    static_cast<long long>(r.value));
		} else {
			std::printf("client: %lld %c %lld: error %s\n", static_cast<long long>(q.a),
				    op_char(q.op), static_cast<long long>(q.b),
				    r.status == calc_div_by_zero ? "division by zero" : "overflow");
		}
	}
	Reply bad = call(*space, *server, *reply_port, op_unknown, 1, 1);
	std::printf("client: unknown operation answered with id %d (%s)\n", bad.id,
		    bad.id == mailbox::bad_id ? "MIG_BAD_ID" : "unexpected");
	if (bad.id != mailbox::bad_id)
		failures++;
	Reply q = call(*space, *server, *reply_port, op_quit, 0, 0);
	std::printf("client: server stopped (reply id %d)\n", q.id);
	return failures == 0 && q.id == op_quit ? 0 : 1;
}

} // namespace

int main()
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	pid_t pid = fork();
	if (pid < 0) {
		std::perror("fork");
		return 1;
	}
	if (pid == 0)
		std::exit(client());

	auto space = mailbox::Space::open();
	if (!space)
		fail("server: open /dev/mailbox", space.error());
	std::uint64_t handled = serve(*space);
	int status = 0;
	if (waitpid(pid, &status, 0) < 0) {
		std::perror("waitpid");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	// After waitpid, so the line follows all of the client's.
	std::printf("server: handled %llu requests, client exited with status %d\n",
		    static_cast<unsigned long long>(handled), code);
	return handled == 8 && code == 0 ? 0 : 1;
}
