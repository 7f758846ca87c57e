/*
 * The log relay of subhost-init: the host side of a subhost's output.
 *
 *   subhost-init --log-relay [--name NAME] [--status-fd N --status-file-fd M] [--pid-fd P]
 *
 * The SDK starts it on the host, in the host's namespaces, from its own copy of this
 * program, with the read end of the pipe that pid 1's output (and so every service's)
 * goes to as descriptor 0 and LOG as descriptor 1; with --status-fd, the read end of pid
 * 1's status channel (services.c) and the file that keeps the states. It copies each to its
 * file until every writer has closed its pipe (the subhost has ended), then exits. So no
 * process of the subhost holds LOG, or any file of the host: they hold pipes only.
 *
 * It forks once at the start and the parent exits, so that the SDK reaps the parent at
 * once and the relay itself, a child of the host's init from then on, never waits as a
 * zombie of a long-lived JVM. With --pid-fd the parent first writes the relay's pid there
 * (the SDK puts it into the subhost's control group, where its memory is the subhost's). It holds nothing but its four descriptors: a static program
 * of some 50 kB, no heap to speak of. The status file is kept to STATUS_LIMIT bytes: pid 1
 * writes a line per service and state, and nothing else can write there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subhost-init.h"
#include "util.h"

#define STATUS_LIMIT 65536

/* Copies what `from` has to `to` (at most `room` bytes of it, the rest is dropped); false at
 * end of file or on an error of `from`. */
static bool copy(int from, int to, long *room)
{
	char buffer[8192];
	ssize_t n;
	do {
		n = read(from, buffer, sizeof buffer);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	size_t keep = (size_t)n;
	if (room != NULL) {
		keep = *room < (long)keep ? (size_t)*room : keep;
		*room -= (long)keep;
	}
	for (size_t done = 0; done < keep;) {
		ssize_t w = write(to, buffer + done, keep - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* LOG full or gone: the subhost must not block on it */
		done += (size_t)w;
	}
	return true;
}

int relay_main(int argc, char **argv)
{
	int status_fd = -1, status_file = -1, pid_fd = -1;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
			log_name = argv[++i];
		} else if (strcmp(argv[i], "--status-fd") == 0) {
			status_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--pid-fd") == 0) {
			pid_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--status-file-fd") == 0) {
			status_file = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else {
			say("option (%s) is not known; usage: subhost-init --log-relay [--name NAME]"
			    " [--status-fd N --status-file-fd M] [--pid-fd P]", argv[i]);
			exit(2);
		}
	}
	if ((status_fd < 0) != (status_file < 0)) {
		say("--status-fd and --status-file-fd go together");
		exit(2);
	}
	pid_t pid = fork();
	if (pid < 0) {
		say("fork of the log relay: %s", reason(errno));
		exit(1);
	}
	if (pid > 0) {
		if (pid_fd >= 0) {
			char text[16];
			int n = snprintf(text, sizeof text, "%d", (int)pid);
			if (write(pid_fd, text, (size_t)n) != n) {
				say("log relay: write its pid to fd %d: %s", pid_fd, reason(errno));
				kill(pid, SIGKILL);
				_exit(1);
			}
		}
		_exit(0);
	}
	if (pid_fd >= 0)
		close(pid_fd);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	bool output = true, status = status_fd >= 0;
	long room = STATUS_LIMIT;
	while (output || status) {
		struct pollfd p[2] = { { output ? 0 : -1, POLLIN, 0 }, { status ? status_fd : -1, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			say("log relay: poll: %s", reason(errno));
			exit(1);
		}
		if (p[0].revents && !copy(0, 1, NULL))
			output = false;
		if (p[1].revents && !copy(status_fd, status_file, &room))
			status = false;
	}
	exit(0);
}
