/* See init-system.h. */
#define _GNU_SOURCE
#include "init-system.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int fail(char *error, size_t size, int errnum, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *error, size_t size, int errnum, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(error, size, format, args);
	va_end(args);
	return -errnum;
}

int init_system_cgroup(char *error, size_t size)
{
	if (mkdir("/sys/fs/cgroup", 0755) != 0 && errno != EEXIST)
		return fail(error, size, errno, "mkdir /sys/fs/cgroup");
	/* In a cgroup namespace the kernel shows the namespace's root group as the root of
	 * the hierarchy: the subhost sees its own group, and nothing of the host's above it. */
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return fail(error, size, errno, "mount -t cgroup2 cgroup2 /sys/fs/cgroup");
	return 0;
}

/* Copies the console's master to standard output until the subhost ends. */
static void relay(int master)
{
	prctl(PR_SET_NAME, "console-relay");
	/* An ordinary process: pid 1 blocked every signal, and the init system's shutdown
	 * must be able to end this one with SIGTERM. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char buffer[4096];
	for (;;) {
		ssize_t n = read(master, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(STDOUT_FILENO, buffer + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* LOG gone: what the console says is lost, the init goes on */
			done += w;
		}
	}
}

int init_system_console(char *error, size_t size)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return fail(error, size, errno, "open /dev/ptmx");
	int number;
	if (ioctl(master, TIOCSPTLCK, &(int){0}) != 0 || ioctl(master, TIOCGPTN, &number) != 0) {
		int e = errno;
		close(master);
		return fail(error, size, e, "unlock the pseudo-terminal of /dev/ptmx");
	}
	char slave_path[64];
	snprintf(slave_path, sizeof slave_path, "/dev/pts/%d", number);
	int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		int e = errno;
		close(master);
		return fail(error, size, e, "open %s", slave_path);
	}
	/* Raw output: the console's lines reach LOG as they were written. */
	struct termios mode;
	if (tcgetattr(slave, &mode) == 0) {
		mode.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &mode);
	}
	/* The built-in /dev has a console node to bind on; a user's POSTMOUNT may have none. */
	int node = open("/dev/console", O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (node < 0 && errno != ENXIO && errno != EIO && errno != ENODEV && errno != EACCES) {
		int e = errno;
		close(master);
		close(slave);
		return fail(error, size, e, "make /dev/console");
	}
	if (node >= 0)
		close(node);
	if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) != 0) {
		int e = errno;
		close(master);
		close(slave);
		return fail(error, size, e, "mount --bind %s /dev/console", slave_path);
	}
	pid_t child = fork();
	if (child < 0) {
		int e = errno;
		close(master);
		close(slave);
		return fail(error, size, e, "fork the console relay");
	}
	if (child == 0)
		relay(master); /* keeps the slave open, so that reading the master never ends */
	close(master);
	close(slave);
	return 0;
}

int init_system_exec(char **program, const sigset_t *original_mask, char *error, size_t size)
{
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* SIGKILL, SIGSTOP and libc's own fail: nothing to reset */
	sigprocmask(SIG_SETMASK, original_mask, NULL);
	setenv("container", INIT_SYSTEM_CONTAINER, 1);
	execvp(program[0], program);
	return fail(error, size, errno, "execvp %s", program[0]);
}
