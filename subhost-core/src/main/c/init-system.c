/* See init-system.h. */
#define _GNU_SOURCE
#include "init-system.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "confine.h"
#include "device.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif
/* linux/mount.h (Linux 5.2), which musl does not ship. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#endif

/* The bounds that the host side wrote on the subhost's group, which is the root of this
 * mount: read-only binds of the files, so that the init system cannot raise them (a host
 * whose cgroup2 is mounted with nsdelegate refuses that write anyway; without it, root
 * inside could, and at the admin level it can still unmount the binds: a guard against
 * accidents, as that level is). A kernel before 4.14 has neither file. */
static const char *const cgroup_bounds[] = { "/sys/fs/cgroup/cgroup.max.depth", "/sys/fs/cgroup/cgroup.max.descendants" };

int init_system_cgroup(char *error, size_t size)
{
	if (mkdir("/sys/fs/cgroup", 0755) != 0 && errno != EEXIST)
		return fail(error, size, errno, "mkdir /sys/fs/cgroup");
	/* In a cgroup namespace the kernel shows the namespace's root group as the root of
	 * the hierarchy: the subhost sees its own group, and nothing of the host's above it. */
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return fail(error, size, errno, "mount -t cgroup2 cgroup2 /sys/fs/cgroup");
	for (size_t i = 0; i < sizeof cgroup_bounds / sizeof *cgroup_bounds; i++) {
		const char *path = cgroup_bounds[i];
		if (access(path, F_OK) != 0)
			continue;
		if (mount(path, path, NULL, MS_BIND, NULL) != 0)
			return fail(error, size, errno, "mount --bind %s %s", path, path);
		if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			return fail(error, size, errno, "mount -o remount,bind,ro %s", path);
	}
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

/*
 * The relay runs inside the subhost for as long as it lives, and pid 1 forks it while it
 * still holds every capability: so the child confines itself before anything else, as a
 * helper that keeps nothing (confine_helper), and says on `report` whether it could (an
 * empty report: it could; else the reason). Root inside that may trace it (SYS_PTRACE at
 * the admin level) finds a process with less than its own.
 */
static void start_relay(int master, int slave, int report)
{
	char error[256];
	int rc = confine_helper(error, sizeof error);
	if (rc != 0) {
		char text[320];
		int n = snprintf(text, sizeof text, "confine the console relay: %s: %s", error, strerror(-rc));
		if (write(report, text, (size_t)(n < 0 ? 0 : n)) < 0) {
			/* the boot fails anyway: pid 1 reads end of file without a report */
		}
		_exit(1);
	}
	close(report);
	(void)slave; /* kept open, so that reading the master never ends */
	relay(master);
}

/* The console's mount point: /dev/console when it is there (a link is refused), else a new
 * empty file, made by name in /dev (itself no link) and never through a link. */
static int console_target(char *error, size_t size)
{
	int target = device_path("/dev/console", error, size);
	if (target != -ENOENT)
		return target;
	int dev = device_path("/dev", error, size);
	if (dev < 0)
		return dev;
	int node = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	int e = errno;
	close(dev);
	if (node < 0 && e != EEXIST)
		return fail(error, size, e, "make /dev/console");
	if (node >= 0)
		close(node);
	return device_path("/dev/console", error, size);
}

int init_system_console(char *error, size_t size)
{
	int master = device_open_ptmx(error, size);
	if (master < 0)
		return master;
	int slave = -1, target = -1, tree = -1, report[2] = { -1, -1 };
	int rc = 0;
	if (ioctl(master, TIOCSPTLCK, &(int){0}) != 0) {
		rc = fail(error, size, errno, "unlock the pseudo-terminal of /dev/pts/ptmx (TIOCSPTLCK)");
		goto out;
	}
	/* The other end by the master itself: no path that the subhost's tree could redirect. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		rc = fail(error, size, errno, "open the console's terminal (TIOCGPTPEER)");
		goto out;
	}
	/* Raw output: the console's lines reach LOG as they were written. */
	struct termios mode;
	if (tcgetattr(slave, &mode) == 0) {
		mode.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &mode);
	}
	if ((target = console_target(error, size)) < 0) {
		rc = target;
		goto out;
	}
	tree = (int)syscall(SYS_open_tree, slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0) {
		rc = fail(error, size, errno, "open_tree(the console's terminal, OPEN_TREE_CLONE)");
		goto out;
	}
	if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
		rc = fail(error, size, errno, "move_mount(the console's terminal, /dev/console)");
		goto out;
	}
	if (pipe2(report, O_CLOEXEC) != 0) {
		rc = fail(error, size, errno, "pipe2 for the console relay");
		goto out;
	}
	pid_t child = fork();
	if (child < 0) {
		rc = fail(error, size, errno, "fork the console relay");
		goto out;
	}
	if (child == 0) {
		close(report[0]);
		start_relay(master, slave, report[1]);
	}
	close(report[1]);
	report[1] = -1;
	char said[320];
	ssize_t n;
	do {
		n = read(report[0], said, sizeof said - 1);
	} while (n < 0 && errno == EINTR);
	if (n != 0) {
		said[n > 0 ? n : 0] = '\0';
		kill(child, SIGKILL);
		rc = fail(error, size, EPERM, "%s", n > 0 ? said : "the console relay said nothing");
	}
out:
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (tree >= 0)
		close(tree);
	if (target >= 0)
		close(target);
	if (slave >= 0)
		close(slave);
	close(master);
	return rc;
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
