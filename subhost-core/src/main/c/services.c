/*
 * The built-in init of subhost-init: START's services, each started in order under a time
 * limit, each outcome told twice: as a line in LOG for people ("service S started"), and
 * as a line "S STATE" on the status descriptor, which only pid 1 holds (close-on-exec, so
 * no service inherits it). The SDK's status reads the states from the far end of that
 * descriptor (a pipe to the host side), never from LOG, where any process of the subhost
 * can write what it likes.
 *
 * pid 1 runs this in a child of its own (--service-limit and --service), so that pid 1 goes
 * on reaping; `subhost-init --start-services ...` runs it in the calling process, for tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "subhost-init.h"
#include "util.h"

/* One line "SERVICE STATE\n" in one write; a service has no blank in its name (START is a
 * list separated by blanks). */
static void tell(int status_fd, const char *service, const char *state)
{
	if (status_fd < 0)
		return;
	char line[512];
	int n = snprintf(line, sizeof line, "%s %s\n", service, state);
	if (n < 0 || n >= (int)sizeof line) {
		say("service %s: name too long for the status channel", service);
		return;
	}
	ssize_t written;
	do {
		written = write(status_fd, line, (size_t)n);
	} while (written < 0 && errno == EINTR);
	if (written != n)
		say("status channel (fd %d): %s", status_fd, written < 0 ? reason(errno) : "short write");
}

int start_services(char *const *services, long limit, int status_fd)
{
	for (size_t i = 0; services[i] != NULL; i++) {
		char *service = services[i];
		char *argv[4] = { NULL, NULL, NULL, NULL };
		if (service[0] == '/') {
			argv[0] = service;
			argv[1] = "start";
		} else {
			argv[0] = "service";
			argv[1] = service;
			argv[2] = "start";
		}
		say("starting service %s", service);
		int status = run_limited(limit, argv);
		char state[64];
		if (status == 0)
			snprintf(state, sizeof state, "started");
		else if (status == EXIT_TIMED_OUT)
			snprintf(state, sizeof state, "timed out (killed after %ld s)", limit);
		else
			snprintf(state, sizeof state, "failed (status %d)", status);
		say("service %s %s", service, state);
		tell(status_fd, service, state);
	}
	return 0;
}
