// SPDX-License-Identifier: LGPL-2.1-or-later
//
// echo: an RPC server and its client in two processes over /dev/mailbox.
//
// The parent opens two spaces: its own, where it allocates the server port,
// and one for the child, into which it inserts a send right to that port
// (MAILBOX_IOC_PORT_INSERT_RIGHT with a foreign space fd: the only way the
// child gets to talk to the server is the capability it was handed). After
// fork() each process closes the space that is not its own.
//
// The child allocates a reply port and makes N calls: each sends a string
// with a send-once right to the reply port (MAKE_SEND_ONCE) and waits for
// the answer on it, in one ioctl. The server (mailbox::Server) answers with
// the string uppercased, under the same message id, through that send-once
// right. Then the child sends "quit" and exits; the parent reports.
#include <mailbox/mailbox.hpp>
#include <mailbox/server.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

constexpr std::int32_t msg_echo = 1;
constexpr std::int32_t msg_quit = 2;
constexpr int calls = 5;

[[noreturn]] void fail(const char *what, const std::error_code &ec)
{
	std::fprintf(stderr, "echo: %s: %s\n", what, ec.message().c_str());
	std::exit(1);
}

int client(mailbox::Space space, mailbox::SendRight server)
{
	auto reply_port = space.allocate_receive();
	if (!reply_port)
		fail("client: allocate reply port", reply_port.error());

	mailbox::MessageBuffer<256> request, reply;
	int ok = 0;
	for (int i = 1; i <= calls; i++) {
		char text[64];
		int len = std::snprintf(text, sizeof(text), "hello, mailbox #%d", i);
		mailbox::MessageBuilder b(request, msg_echo);
		b.put_string(std::string_view(text, len));
		std::printf("client: call %d: %s\n", i, text);

		auto answer = space.call(server.get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
					 reply_port->get(), reply.span());
		if (!answer)
			fail("client: call", answer.error());
		auto r = answer->reader();
		auto s = r.get_string();
		if (answer->id() != msg_echo || !s) {
			std::printf("client: reply %d: malformed (id %d)\n", i, answer->id());
			continue;
		}
		std::printf("client: reply %d: %.*s\n", i, static_cast<int>(s->size()), s->data());
		ok++;
	}

	mailbox::MessageBuilder quit(request, msg_quit);
	if (auto r = space.send(server.get(), quit.finish(), MAILBOX_MSG_TYPE_COPY_SEND); !r)
		fail("client: send quit", r.error());
	std::printf("client: %d/%d replies ok\n", ok, calls);
	return ok == calls ? 0 : 1;
}

} // namespace

int main()
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);

	auto server_space = mailbox::Space::open();
	if (!server_space)
		fail("open /dev/mailbox", server_space.error());
	auto client_space = mailbox::Space::open();
	if (!client_space)
		fail("open /dev/mailbox", client_space.error());

	auto port = server_space->allocate_receive();
	if (!port)
		fail("allocate server port", port.error());
	auto send = port->make_send_in(*client_space);
	if (!send)
		fail("insert send right into the client's space", send.error());
	std::printf("server: port ready, client space holds a send right\n");

	pid_t pid = fork();
	if (pid < 0) {
		std::perror("fork");
		return 1;
	}
	if (pid == 0) {
		// The child keeps only its own space; the server's receive right
		// is not ours to destroy.
		(void)port->release();
		server_space->reset();
		std::exit(client(std::move(*client_space), std::move(*send)));
	}

	// The parent gives the client's space to the child.
	(void)send->release();
	client_space->reset();

	mailbox::Server<256> server(*server_space, *port);
	int echoed = 0;
	server.on(msg_echo, [&](const mailbox::MessageView &req, mailbox::MessageBuilder &out) {
		auto r = req.reader();
		auto s = r.get_string();
		if (!s)
			return false;
		char upper[256];
		std::size_t n = std::min(s->size(), sizeof(upper));
		for (std::size_t i = 0; i < n; i++)
			upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>((*s)[i])));
		std::printf("server: echo \"%.*s\"\n", static_cast<int>(n), s->data());
		out.put_string(std::string_view(upper, n));
		echoed++;
		return true;
	});
	server.on(msg_quit, [&](const mailbox::MessageView &, mailbox::MessageBuilder &) {
		server.stop();
		return false;
	});
	if (auto r = server.run(); !r)
		fail("server: receive", r.error());

	int status = 0;
	if (waitpid(pid, &status, 0) < 0) {
		std::perror("waitpid");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	std::printf("server: echoed %d messages, client exited with status %d\n", echoed, code);
	return (echoed == calls && code == 0) ? 0 : 1;
}
