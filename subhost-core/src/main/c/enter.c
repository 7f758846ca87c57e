/*
 * The enter mode of subhost-init: how every process that enters a running subhost later
 * (overlay-go, Subhost.exec and execInteractive, the services' stops run by overlay-stop)
 * gets in.
 *
 *   subhost-init --enter --pidfd N [--cgroup DIR]... [--pty | --pipes | --null-stdin] [--name NAME]
 *                [--caps HEX] [--seccomp on|off] -- PROGRAM [ARGS...]
 *
 * The SDK starts it on the host, from its own copy of this program (never the subhost's
 * /.reaper, which the subhost's root can replace), with a pidfd of the subhost's pid 1 as
 * descriptor N. It runs as two processes:
 *
 * - The parent stays in the host's namespaces. It enters only the subhost's pid namespace
 *   for its children (setns of CLONE_NEWPID changes pid_for_children, never the caller), forks
 *   the child, moves the child into each of the subhost's control groups DIR (its v2 group
 *   and its group in each v1 hierarchy) by writing the child's pid to DIR/cgroup.procs
 *   (opened here, on the host, after the fork: the child never holds a descriptor of the
 *   host's cgroup tree), and lets it go on. It then waits for the child,
 *   passes SIGTERM, SIGINT, SIGHUP and SIGQUIT on to it, and exits with its status (128 +
 *   signal when it was killed). With --pty it also relays the terminal (see below).
 * - The child never has the caller's terminal as its controlling one (/dev/tty inside says
 *   ENXIO): from the fork on it leads a session of its own, unless the parent already leads
 *   one that has no terminal (as the SDK's exec spawns it: the child then stays in the
 *   parent's process group, which a time-out kills whole). It waits
 *   for that go, enters the subhost's other namespaces with one setns on
 *   the pidfd (mount, network, ipc, uts, cgroup and time: the cgroup namespace after the move,
 *   so that its view is rooted at the subhost's group), closes the pidfd, takes / as its
 *   working directory, and replaces its descriptors by the subhost's own: its /dev/null as
 *   input (--null-stdin), a terminal of the subhost's devpts (--pty), or pipes (--pipes)
 *   that the parent copies to and from the caller's descriptors, whatever they are (a file of
 *   the host given as input or output never reaches the subhost's side). /dev/null and
 *   /dev/pts/ptmx are opened as device.h says: no symbolic link followed, the device
 *   numbers checked before the open (a planted link or node is refused, never opened).
 *   Without --pty or --pipes none of the caller's descriptors that reach the program may be
 *   a terminal: enter refuses. Last it takes
 *   on the same confinement as pid 1 (confine.h: the system call filter, then the
 *   capabilities; --caps and --seccomp as pid 1 reads them, the defaults otherwise), and
 *   execs PROGRAM, found on the PATH inside. Nothing of the subhost runs before that.
 *
 * With --pty the child opens the subhost's /dev/pts/ptmx, takes the terminal's other end by
 * TIOCGPTPEER (no path lookup that the subhost could redirect), sends the master to the
 * parent over a socket (SCM_RIGHTS), makes that terminal the controlling one of its session
 * (TIOCSCTTY), and has it as descriptors 0, 1 and 2.
 * The parent puts the caller's terminal into raw mode (restored at the end), gives the
 * subhost's terminal the caller's window size (again at each SIGWINCH) and copies bytes both
 * ways; keys such as ^C reach the subhost's line discipline as bytes and become signals
 * there. So no process of the subhost ever holds the caller's terminal: a TIOCSTI inside
 * pushes input into the subhost's own terminal only, and `tty` inside prints /dev/pts/N.
 *
 * Exit status: PROGRAM's; 125 when entering failed (a message says which step and why);
 * 126 when PROGRAM cannot be run, 127 when it is not found; 2 for a wrong command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "confine.h"
#include "device.h"
#include "subhost-init.h"
#include "util.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif
#ifndef SYS_close_range
#define SYS_close_range 436 /* Linux 5.9, the same number on every architecture */
#endif

#define EXIT_ENTER_FAILED 125
/* The relay's buffers: one terminal read at a time, in each direction. */
#define RELAY_BUFFER 4096
/* The most control groups a subhost has: its v2 group and one per v1 hierarchy. */
#define MAX_CGROUPS 16

struct enter_options {
	int pidfd;
	const char *cgroups[MAX_CGROUPS]; /* the subhost's groups (v2 first, then v1) to join */
	int ncgroups;
	bool pty;
	bool null_stdin;
	bool pipes;
	struct confinement confinement;
	char **program;
};

static void enter_usage(const char *problem)
{
	say("%s; usage: subhost-init --enter --pidfd N [--cgroup DIR]... [--pty | --pipes | --null-stdin] [--name NAME]"
	    " -- PROGRAM [ARGS...]", problem);
	exit(EXIT_USAGE);
}

static struct enter_options parse_enter(int argc, char **argv)
{
	struct enter_options o = { -1, { NULL }, 0, false, false, false, CONFINE_DEFAULTS, NULL };
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			o.program = argv + i + 1;
			break;
		} else if (strcmp(arg, "--pidfd") == 0) {
			o.pidfd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--cgroup") == 0 && i + 1 < argc && argv[i + 1][0] == '/') {
			if (o.ncgroups == MAX_CGROUPS)
				enter_usage("more than 16 --cgroup");
			o.cgroups[o.ncgroups++] = argv[++i];
		} else if (strcmp(arg, "--pty") == 0) {
			o.pty = true;
		} else if (strcmp(arg, "--pipes") == 0) {
			o.pipes = true;
		} else if (strcmp(arg, "--null-stdin") == 0) {
			o.null_stdin = true;
		} else if (strcmp(arg, "--name") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
			log_name = argv[++i];
		} else {
			char error[256];
			int known = confine_option(&o.confinement, arg, i + 1 < argc ? argv[i + 1] : NULL, error,
						   sizeof error);
			if (known < 0) {
				say("%s", error);
				enter_usage("bad command line");
			}
			if (known == 0) {
				say("option (%s) is not known or lacks its value (--cgroup takes an absolute path)", arg);
				enter_usage("bad command line");
			}
			i++;
		}
	}
	if (o.pidfd < 3)
		enter_usage("--pidfd N (3 or more) is missing");
	if (o.pty + o.pipes + o.null_stdin > 1)
		enter_usage("give one of --pty, --pipes and --null-stdin");
	if (o.program == NULL || o.program[0] == NULL)
		enter_usage("PROGRAM is missing after --");
	return o;
}

/* Every descriptor from 3 on but keep: what the SDK passed for the spawn alone (its copy of
 * this program among them) goes before anything else happens. */
static void close_all_but(int keep)
{
	if (keep > 3)
		syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u);
	syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u);
}

static bool write_all(int fd, const char *bytes, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, bytes, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		bytes += n;
		length -= (size_t)n;
	}
	return true;
}

/* The parent's part of the control group: the child's pid (as the host sees it) into
 * DIR/cgroup.procs. O_NOFOLLOW: DIR is the SDK's, on one of the host's cgroup mounts. */
static bool join_cgroup(const char *dir, pid_t child)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int)sizeof path) {
		say("control group path (%s) is too long", dir);
		return false;
	}
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		say("open %s: %s", path, reason(errno));
		return false;
	}
	char pid[16];
	int n = snprintf(pid, sizeof pid, "%d", (int)child);
	bool ok = write(fd, pid, (size_t)n) == n;
	if (!ok)
		say("write pid %d to %s: %s", (int)child, path, reason(errno));
	close(fd);
	return ok;
}

static void send_fd(int socket, int fd)
{
	char byte = 'm';
	struct iovec data = { &byte, 1 };
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr message = { 0 };
	message.msg_iov = &data;
	message.msg_iovlen = 1;
	message.msg_control = control.space;
	message.msg_controllen = sizeof control.space;
	struct cmsghdr *c = CMSG_FIRSTHDR(&message);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
		say("send the terminal to the relay: %s", reason(errno));
		_exit(EXIT_ENTER_FAILED);
	}
}

/* -1 when the child ended (or failed) before it sent one. */
static int receive_fd(int socket)
{
	char byte;
	struct iovec data = { &byte, 1 };
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr message = { 0 };
	message.msg_iov = &data;
	message.msg_iovlen = 1;
	message.msg_control = control.space;
	message.msg_controllen = sizeof control.space;
	ssize_t n;
	do {
		n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&message);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The child: everything between the fork and PROGRAM; see the head of this file. */
static void child(const struct enter_options *o, int go, int terminal_socket, const sigset_t *original)
{
	char byte;
	ssize_t n;
	do {
		n = read(go, &byte, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_ENTER_FAILED); /* the parent said why */
	close(go);
	int namespaces = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (setns(o->pidfd, namespaces | CLONE_NEWTIME) != 0) {
		/* EINVAL: a kernel without time namespaces; the clocks are the host's anyway. */
		if (errno != EINVAL || setns(o->pidfd, namespaces) != 0) {
			say("setns(pidfd of pid 1, mount|net|ipc|uts|cgroup|time): %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
	}
	close(o->pidfd);
	if (chdir("/") != 0) {
		say("chdir / inside: %s", reason(errno));
		_exit(EXIT_ENTER_FAILED);
	}
	if (o->pty) {
		char failed[256];
		int master = device_open_ptmx(failed, sizeof failed);
		if (master < 0) {
			say("the subhost's terminal: %s: %s", failed, reason(-master));
			_exit(EXIT_ENTER_FAILED);
		}
		int unlock = 0;
		if (ioctl(master, TIOCSPTLCK, &unlock) != 0) {
			say("unlock the subhost's terminal (TIOCSPTLCK): %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
		int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
		if (slave < 0) {
			say("open the subhost's terminal (TIOCGPTPEER): %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
		send_fd(terminal_socket, master);
		close(master);
		close(terminal_socket);
		/* The session of its own began at the fork: the subhost's terminal becomes its
		 * controlling one. */
		if (ioctl(slave, TIOCSCTTY, 0) != 0) {
			say("make the subhost's terminal a controlling one (TIOCSCTTY): %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
		for (int fd = 0; fd <= 2; fd++)
			if (dup2(slave, fd) < 0)
				_exit(EXIT_ENTER_FAILED);
		if (slave > 2)
			close(slave);
	} else if (o->null_stdin) {
		char failed[256];
		int null = device_open_null(failed, sizeof failed);
		if (null < 0) {
			say("the subhost's /dev/null: %s: %s", failed, reason(-null));
			_exit(EXIT_ENTER_FAILED);
		}
		if (dup2(null, 0) < 0) {
			say("dup2 the subhost's /dev/null to 0: %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
		if (null > 2)
			close(null);
	}
	char failed[256];
	int rc = confine_apply(&o->confinement, failed, sizeof failed);
	if (rc != 0) {
		say("confinement: %s: %s", failed, reason(-rc));
		_exit(EXIT_ENTER_FAILED);
	}
	signal(SIGPIPE, SIG_DFL); /* the parent ignores it; PROGRAM must not */
	sigprocmask(SIG_SETMASK, original, NULL);
	execvp(o->program[0], o->program);
	int error = errno;
	say("execvp %s: %s", o->program[0], reason(error));
	_exit(error == ENOENT ? 127 : 126);
}

/* Whether the child left our session (and so leads a process group of its own). */
static bool child_detached;

/* A signal for the program: to its whole process group when it leads one, as the caller's
 * terminal would have sent ^C to every process of its foreground group. */
static void pass_signal(pid_t pid, int sig)
{
	if (!child_detached || kill(-pid, sig) != 0)
		kill(pid, sig); /* ESRCH: not its group's leader yet (before its setsid) */
}

/* Whether this process leads its session and that session has no controlling terminal
 * (/dev/tty of the host's, opened here before any setns, says ENXIO then). */
static bool leads_session_without_terminal(void)
{
	if (getsid(0) != getpid())
		return false;
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (tty < 0)
		return errno == ENXIO;
	close(tty);
	return false;
}

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static struct termios saved_termios;
static bool terminal_raw;

static void restore_terminal(void)
{
	if (terminal_raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
	terminal_raw = false;
}

static void copy_window_size(int master)
{
	struct winsize size;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
		ioctl(master, TIOCSWINSZ, &size);
}

/* Signals for the parent: a signal it gets goes on to the child, SIGCHLD ends the wait. */
static bool pass_on(int signals, pid_t pid, int *status)
{
	struct signalfd_siginfo info;
	while (read(signals, &info, sizeof info) == sizeof info) {
		int sig = (int)info.ssi_signo;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT)
			pass_signal(pid, sig);
	}
	pid_t done = waitpid(pid, status, WNOHANG);
	return done == pid;
}

/* The parent's wait without a terminal. */
static int wait_plain(int signals, pid_t pid)
{
	int status;
	for (;;) {
		if (pass_on(signals, pid, &status))
			return exit_status(status);
		struct pollfd p = { signals, POLLIN, 0 };
		poll(&p, 1, 1000);
	}
}

struct buffer {
	char bytes[RELAY_BUFFER];
	size_t start, end;
};

/* Moves what is pending in b to `to`; false when `to` is gone. */
static bool flush_buffer(struct buffer *b, int to)
{
	while (b->start < b->end) {
		ssize_t n = write(to, b->bytes + b->start, b->end - b->start);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		b->start += (size_t)n;
	}
	b->start = b->end = 0;
	return true;
}

/* Reads into an empty b; false at end of file or error (EIO: the terminal's last holder
 * closed it). */
static bool fill_buffer(struct buffer *b, int from)
{
	ssize_t n;
	do {
		n = read(from, b->bytes, sizeof b->bytes);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0)
		return false;
	b->start = 0;
	b->end = (size_t)n;
	return true;
}

/* The relay of --pty: see the head of this file. Returns the child's exit status. */
static int relay(int signals, pid_t pid, int master)
{
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		struct termios raw = saved_termios;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) {
			terminal_raw = true;
			atexit(restore_terminal);
		}
	}
	copy_window_size(master);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	/* Caller to subhost, subhost to caller. On the stack, not static: see pump. */
	struct buffer in, out;
	in.start = in.end = out.start = out.end = 0;
	bool input_open = true, master_open = true;
	int status;
	for (;;) {
		struct signalfd_siginfo info;
		bool resized = false, ended = false;
		while (read(signals, &info, sizeof info) == sizeof info) {
			int sig = (int)info.ssi_signo;
			if (sig == SIGWINCH)
				resized = true;
			else if (sig != SIGCHLD)
				pass_signal(pid, sig);
		}
		if (resized)
			copy_window_size(master);
		if (waitpid(pid, &status, WNOHANG) == pid)
			ended = true;
		if (ended) {
			/* What the program printed last is still in the terminal: pass it on. */
			while (master_open && flush_buffer(&out, STDOUT_FILENO) && out.end == 0
			       && fill_buffer(&out, master) && out.end > 0)
				;
			flush_buffer(&out, STDOUT_FILENO);
			restore_terminal();
			return exit_status(status);
		}
		struct pollfd p[3];
		int n = 0;
		p[n++] = (struct pollfd){ signals, POLLIN, 0 };
		int at_in = -1, at_master = -1, at_out = -1;
		if (input_open && in.end == 0) {
			at_in = n;
			p[n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		}
		if (master_open) {
			short events = (out.end == 0 ? POLLIN : 0) | (in.end > 0 ? POLLOUT : 0);
			if (events) {
				at_master = n;
				p[n++] = (struct pollfd){ master, events, 0 };
			}
		}
		if (out.end > 0) {
			at_out = n;
			p[n++] = (struct pollfd){ STDOUT_FILENO, POLLOUT, 0 };
		}
		if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR) {
			say("poll: %s", reason(errno));
			return EXIT_ENTER_FAILED;
		}
		if (at_in >= 0 && p[at_in].revents) {
			if (!fill_buffer(&in, STDIN_FILENO))
				input_open = false; /* no more input: the subhost keeps its terminal */
		}
		if (at_master >= 0 && p[at_master].revents) {
			if ((p[at_master].revents & POLLOUT) && !flush_buffer(&in, master))
				master_open = false;
			if (master_open && (p[at_master].revents & (POLLIN | POLLHUP | POLLERR)) && out.end == 0
			    && !fill_buffer(&out, master))
				master_open = false; /* EIO: nothing holds the subhost's terminal any more */
		}
		if (at_out >= 0 && p[at_out].revents && !flush_buffer(&out, STDOUT_FILENO))
			out.start = out.end = 0; /* the caller's terminal is gone: drop the output */
		if (!master_open)
			in.start = in.end = 0;
	}
}

/* One direction of --pipes: from -> buffer -> to. */
struct channel {
	int from, to;
	bool open;
	struct buffer b;
};

/*
 * The parent's copy of --pipes: the caller's input into the child's, the child's output
 * and errors to the caller's, until the child has ended and its pipes are drained (or stay
 * quiet for a moment: a daemon it left may hold them for ever). Returns its exit status.
 */
static int pump(int signals, pid_t pid, int in, int out, int err)
{
	/* On the stack, and only their ends set: static buffers would sit in .bss between the
	 * program's small variables and libc's, a page more in every process of this program
	 * (pid 1 and the log relay too); a whole zeroed struct would touch all 12 kB. */
	struct channel c[3];
	const int ends[3][2] = { { STDIN_FILENO, in }, { out, STDOUT_FILENO }, { err, STDERR_FILENO } };
	for (int i = 0; i < 3; i++) {
		c[i].from = ends[i][0];
		c[i].to = ends[i][1];
		c[i].open = true;
		c[i].b.start = c[i].b.end = 0;
	}
	for (int i = 0; i < 3; i++)
		fcntl(i == 0 ? in : c[i].from, F_SETFL, fcntl(i == 0 ? in : c[i].from, F_GETFL) | O_NONBLOCK);
	int status = 0;
	bool ended = false;
	int quiet = 0; /* polls in a row with nothing to do, after the end */
	for (;;) {
		struct signalfd_siginfo info;
		while (read(signals, &info, sizeof info) == sizeof info) {
			int sig = (int)info.ssi_signo;
			if (sig != SIGCHLD && sig != SIGWINCH)
				pass_signal(pid, sig);
		}
		if (!ended && waitpid(pid, &status, WNOHANG) == pid) {
			ended = true;
			if (c[0].open)
				close(in); /* nobody reads it any more */
			c[0].open = false;
		}
		if (ended && ((!c[1].open && !c[2].open) || quiet >= 2))
			return exit_status(status);
		struct pollfd p[4];
		int at[3] = { -1, -1, -1 }, n = 0;
		p[n++] = (struct pollfd){ signals, POLLIN, 0 };
		for (int i = 0; i < 3; i++) {
			if (!c[i].open)
				continue;
			at[i] = n;
			p[n++] = c[i].b.end == 0 ? (struct pollfd){ c[i].from, POLLIN, 0 }
						 : (struct pollfd){ c[i].to, POLLOUT, 0 };
		}
		int ready = poll(p, (nfds_t)n, ended ? 50 : 1000);
		if (ready < 0 && errno != EINTR) {
			say("poll: %s", reason(errno));
			return EXIT_ENTER_FAILED;
		}
		quiet = ready == 0 && ended ? quiet + 1 : 0;
		for (int i = 0; i < 3; i++) {
			if (at[i] < 0 || p[at[i]].revents == 0)
				continue;
			if (c[i].b.end == 0) {
				if (!fill_buffer(&c[i].b, c[i].from)) {
					c[i].open = false; /* end of file: the input's end goes on to the child */
					close(i == 0 ? in : c[i].from);
				}
			} else if (!flush_buffer(&c[i].b, c[i].to)) {
				c[i].b.start = c[i].b.end = 0; /* the reader is gone: drop it */
				if (i == 0) {
					c[0].open = false;
					close(in);
				}
			}
		}
	}
}

/* What the child said before it had the subhost's terminal, to the caller's errors. */
static void copy_errors(int from)
{
	fcntl(from, F_SETFL, fcntl(from, F_GETFL) | O_NONBLOCK);
	char text[1024];
	ssize_t n;
	while ((n = read(from, text, sizeof text)) > 0)
		write_all(STDERR_FILENO, text, (size_t)n);
	close(from);
}

int enter_main(int argc, char **argv)
{
	struct enter_options o = parse_enter(argc, argv);
	close_all_but(o.pidfd);
	/* Without --pty or --pipes the caller's descriptors reach the program as they are: none
	 * of them may be a terminal of the host's, whose keys it could read or push (TIOCSTI). */
	if (!o.pty && !o.pipes) {
		for (int fd = o.null_stdin ? 1 : 0; fd <= 2; fd++) {
			if (isatty(fd)) {
				say("descriptor %d is a terminal of the host's, which the subhost must never hold;"
				    " give --pty or --pipes", fd);
				exit(EXIT_ENTER_FAILED);
			}
		}
	}
	sigset_t handled, original;
	sigemptyset(&handled);
	int passed[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	for (size_t i = 0; i < sizeof passed / sizeof *passed; i++)
		sigaddset(&handled, passed[i]);
	/* Blocked before the fork, so that the child's end is queued for the signalfd. */
	sigprocmask(SIG_BLOCK, &handled, &original);
	int signals = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
	int go[2], terminal[2] = { -1, -1 }, errors[2] = { -1, -1 }, in[2], out[2], err[2];
	if (signals < 0 || pipe2(go, O_CLOEXEC) != 0
	    || (o.pipes && (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0))
	    || (o.pty && (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, terminal) != 0
			  || pipe2(errors, O_CLOEXEC) != 0))) {
		say("signalfd, pipe or socketpair: %s", reason(errno));
		exit(EXIT_ENTER_FAILED);
	}
	/* The child leaves this session unless this process leads one of its own that has no
	 * controlling terminal (the SDK's exec and the services' stops spawn it so): there it
	 * stays in our process group, so that a time-out that kills the group reaches the
	 * program and what it started. With --pty it always leads its terminal's session. */
	bool detach = o.pty || !leads_session_without_terminal();
	child_detached = detach;
	/* Only the children's pid namespace changes: this process stays where it is. */
	if (setns(o.pidfd, CLONE_NEWPID) != 0) {
		say("setns(pidfd of pid 1, pid): %s", reason(errno));
		exit(EXIT_ENTER_FAILED);
	}
	pid_t pid = fork();
	if (pid < 0) {
		say("fork: %s", reason(errno));
		exit(EXIT_ENTER_FAILED);
	}
	if (pid == 0) {
		/* Until PROGRAM's exec (which makes it dumpable again), no process of the subhost
		 * may reach this one's descriptors or memory without CAP_SYS_PTRACE. */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		/* A session of its own at once, before anything of the subhost can see this
		 * process: the caller's session may have the caller's terminal as its controlling
		 * one, which /dev/tty inside would open (and TIOCSTI push keys into). Without a
		 * controlling terminal /dev/tty says ENXIO. */
		if (detach && setsid() < 0) {
			say("setsid for the entering process: %s", reason(errno));
			_exit(EXIT_ENTER_FAILED);
		}
		close(signals);
		close(go[1]);
		if (o.pty) {
			/* The caller's terminal goes at once: this process is in the subhost's pid
			 * namespace from now on, where its root may look at our descriptors. Until the
			 * subhost's terminal replaces them: the go pipe as 0 and 1, errors through a pipe
			 * that the parent copies to the caller. */
			close(terminal[0]);
			close(errors[0]);
			if (dup2(go[0], 0) < 0 || dup2(go[0], 1) < 0 || dup2(errors[1], 2) < 0)
				_exit(EXIT_ENTER_FAILED);
			close(errors[1]);
		}
		if (o.pipes) {
			/* The caller's descriptors go at once, as for a terminal. */
			if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
				_exit(EXIT_ENTER_FAILED);
			for (int i = 0; i < 2; i++) {
				close(in[i]);
				close(out[i]);
				close(err[i]);
			}
		}
		child(&o, go[0], terminal[1], &original);
	}
	signal(SIGPIPE, SIG_IGN); /* a reader that went away is an error of write(2) here */
	if (o.pipes) {
		close(in[0]);
		close(out[1]);
		close(err[1]);
	}
	if (o.pty)
		close(errors[1]);
	close(go[0]);
	close(o.pidfd);
	if (o.pty)
		close(terminal[1]);
	/* Every group before the go: the child runs nothing of its own until it is counted
	 * and limited with the subhost in each hierarchy. */
	for (int i = 0; i < o.ncgroups; i++) {
		if (!join_cgroup(o.cgroups[i], pid)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			exit(EXIT_ENTER_FAILED);
		}
	}
	if (!write_all(go[1], "g", 1)) {
		say("write the go to the child: %s", reason(errno));
		exit(EXIT_ENTER_FAILED);
	}
	close(go[1]);
	if (o.pipes)
		exit(pump(signals, pid, in[1], out[0], err[0]));
	if (!o.pty)
		exit(wait_plain(signals, pid));
	int master = receive_fd(terminal[0]);
	close(terminal[0]);
	int status = master < 0 ? wait_plain(signals, pid) : relay(signals, pid, master);
	copy_errors(errors[0]);
	exit(status);
}
