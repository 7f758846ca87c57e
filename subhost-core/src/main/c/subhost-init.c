/*
 * subhost-init: pid 1 of a subhost, a tiny reaper in the manner of tini.
 *
 *   /.reaper [--timens] [--sync-fd N] [--ready-fd N] [--grace SECONDS] [--name NAME]
 *            [--caps HEX] [--seccomp on|off] [--files on|off] [--status-fd N] [--exec]
 *            [--notify-socket @NAME] [--control-fd N]
 *            {--service-limit SECONDS [--service S... | --services-fd N] | --script-fd N
 *             | -- PROGRAM [ARGS...]}
 *   /.reaper --limit SECONDS [--name NAME] -- PROGRAM [ARGS...]
 *   subhost-init --enter ...       (enter.c: a process entering a running subhost)
 *   subhost-init --log-relay ...   (relay.c: the host side of a subhost's output)
 *   subhost-init --launch ...      (birth.c: pid 1's launcher, which clones it into its groups)
 *
 * Started by the SDK's launcher (birth.h) as the first process of a new pid namespace, born
 * in the subhost's control groups, inside
 * the subhost's mount namespace with its root already pivoted, with the subhost's own
 * /dev/null as input and a pipe to the log relay as output. It mounts /proc for its
 * pid namespace, enters a new time namespace (--timens), enters a cgroup namespace of its
 * own, confines itself and everything it starts (--caps, --seccomp, --files: see
 * confine.h), waits for the SDK to finish the boot (--sync-fd), runs the init in a
 * session of its own, says so (--ready-fd: one byte 's', so the SDK returns from the boot
 * without polling), then reaps every orphan of the subhost and stays alive, even with no
 * process left, until SIGTERM, SIGINT or SIGPWR: then every process gets SIGTERM, after
 * the grace period SIGKILL, and pid 1 exits 0. The grace period is --grace, unless the
 * stop that sent the signal from the host gave its own: the SDK queues its SIGTERM with the
 * caller's grace in seconds as the signal's value (SI_QUEUE), so that pid 1 and the stop
 * keep one deadline.
 *
 * The init is one of: the built-in one (--service-limit, services.h), which pid 1 runs
 * itself: it starts START's services in order (each --service as an init.d script, or the
 * table of init.d scripts and systemd units in the sealed memfd of --services-fd, which the
 * SDK checked on the host side), supervises the units' services (Restart=), tells their
 * states on --status-fd, a descriptor that only pid 1 holds, and keeps --ready-fd open
 * until every START service has started or failed, writing a line "NAME STATE" for each;
 * it keeps the host's end of its control channel at --control-fd, on which the host asks for
 * the start, stop or restart of one service (services.h);
 * a script read from --script-fd (a sealed memfd) and run by /bin/sh -c, so that the
 * script is not in pid 1's command line, which ps shows; or PROGRAM. At SIGTERM the
 * built-in init stops every START service in reverse START order, whatever its kind
 * (services_stop_all), before every process gets SIGTERM, all within the grace.
 *
 * With --exec, pid 1 does not stay: once confined, it sets up what an init system needs
 * (init-system.h: cgroup2 on /sys/fs/cgroup, a console of its own), says that the init runs,
 * and execs the init (the script by /bin/sh -c, or PROGRAM) itself, as the old tool's pid 1
 * was the shell of the init script: a script that ends with "exec /lib/systemd/systemd"
 * makes systemd pid 1 of the subhost.
 *
 * With --limit it is not pid 1 but a time limit for one command: PROGRAM runs in a session of its own; when it
 * has not exited after SECONDS, its whole process group gets SIGKILL and the exit status
 * is 124, as timeout(1) gives. Otherwise the status is PROGRAM's (128 + signal for a
 * signal). A service that daemonised in time keeps running: only a late start is killed.
 *
 * Every line it prints starts with "subhost-init[NAME]: " and names the call and the
 * reason when something fails. Exit status: 0 after a clean shutdown, 1 when a boot step
 * fails or the SDK aborts the boot, 2 for a wrong command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "birth.h"
#include "confine.h"
#include "init-system.h"
#include "services.h"
#include "subhost-init.h"
#include "util.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6; older libc headers lack it */
#endif

#define EXIT_BOOT_FAILED 1
/* An upper bound on each wait, like tini's: the loop wakes up for SIGCHLD anyway. */
#define WAIT_SECONDS 1
/* The longest grace period: one day, as for --grace. */
#define MAX_GRACE 86400

struct options {
	bool timens;
	int sync_fd;      /* -1: none */
	int ready_fd;     /* -1: none */
	long grace;       /* seconds between SIGTERM and SIGKILL at shutdown */
	long limit;       /* --limit SECONDS; -1: run as pid 1 */
	bool exec;        /* --exec: pid 1 becomes the init, which execs an init system */
	struct confinement confinement; /* pid 1's, applied before PROGRAM runs */
	int status_fd;    /* --status-fd: where the built-in init tells service states; -1: none */
	int script_fd;    /* --script-fd: the init script, run by /bin/sh -c; -1: none */
	long service_limit; /* --service-limit: the built-in init (services.c); -1: not it */
	char **services;  /* --service S, in order, NULL-terminated */
	int services_fd;  /* --services-fd: the checked table of START services (services.h); -1: none */
	const char *notify_socket; /* --notify-socket: NOTIFY_SOCKET of an init system (--exec); NULL: none */
	int control_fd;   /* --control-fd: where the host's end of the control channel goes; -1: none */
	bool start_services; /* --start-services: the built-in init in this process, for tests */
	char **program;
};

/* pid 1's command line, which usage() prints after the problem. */
static const char USAGE[] = "usage: subhost-init [--timens] [--sync-fd N] [--ready-fd N] [--grace SECONDS] [--name NAME]"
	" [--caps HEX] [--seccomp on|off] [--files on|off] [--status-fd N] [--exec] [--notify-socket @NAME]"
	" [--control-fd N]"
	" {--service-limit SECONDS [--service S... | --services-fd N] | --script-fd N | -- PROGRAM [ARGS...]},"
	" or subhost-init --limit SECONDS [--name NAME] -- PROGRAM [ARGS...]";

#ifndef __GLIBC__
/*
 * Built against musl (statically, see subhost-core/pom.xml), which lacks glibc's
 * sigabbrev_np: the names of the signals this program can meet; "?" for others.
 * (strerrorname_np's stand-in is in util.c.)
 */
static const char *sigabbrev_np(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
		[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
		[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
		[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGCHLD] = "CHLD",
		[SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP", [SIGTTIN] = "TTIN",
		[SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU", [SIGXFSZ] = "XFSZ",
		[SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH", [SIGIO] = "IO",
		[SIGPWR] = "PWR", [SIGSYS] = "SYS",
	};
	if (sig > 0 && (size_t)sig < sizeof names / sizeof names[0] && names[sig])
		return names[sig];
	return "?";
}
#endif

static struct options parse_options(int argc, char **argv)
{
	struct options options = { false, -1, -1, 5, -1, false, CONFINE_DEFAULTS, -1, -1, -1, NULL, -1, NULL, -1, false,
				   NULL };
	/* Allocated at the first --service only: malloc's first call costs pid 1 two pages (its
	 * heap and its bookkeeping), which a subhost without --service need not have. */
	static char *no_services[] = { NULL };
	options.services = no_services;
	size_t services = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		char error[160];
		int confinement = confine_option(&options.confinement, arg, argv[i + 1], error, sizeof error);
		if (confinement < 0) {
			say("%s", error);
			usage("bad command line");
		} else if (confinement > 0) {
			i++;
		} else if (strcmp(arg, "--") == 0) {
			options.program = argv + i + 1;
			break;
		} else if (strcmp(arg, "--timens") == 0) {
			options.timens = true;
		} else if (strcmp(arg, "--exec") == 0) {
			options.exec = true;
		} else if (strcmp(arg, "--sync-fd") == 0) {
			options.sync_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--ready-fd") == 0) {
			options.ready_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--grace") == 0) {
			options.grace = parse_number(arg, argv[++i], MAX_GRACE);
		} else if (strcmp(arg, "--limit") == 0) {
			options.limit = parse_number(arg, argv[++i], 86400);
		} else if (strcmp(arg, "--name") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
			log_name = argv[++i];
		} else if (strcmp(arg, "--status-fd") == 0) {
			options.status_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--script-fd") == 0) {
			options.script_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--service-limit") == 0) {
			options.service_limit = parse_number(arg, argv[++i], 86400);
		} else if (strcmp(arg, "--service") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
			if (options.services == no_services && (options.services = calloc((size_t)argc, sizeof(char *))) == NULL) {
				say("--service %s: out of memory", argv[i + 1]);
				exit(EXIT_BOOT_FAILED);
			}
			options.services[services++] = argv[++i];
		} else if (strcmp(arg, "--notify-socket") == 0 && i + 1 < argc && argv[i + 1][0] == '@') {
			options.notify_socket = argv[++i];
		} else if (strcmp(arg, "--control-fd") == 0) {
			options.control_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--services-fd") == 0) {
			options.services_fd = (int)parse_number(arg, argv[++i], 1023);
		} else if (strcmp(arg, "--start-services") == 0) {
			options.start_services = true;
		} else {
			say("option (%s) is not known or lacks its value", arg);
			usage("bad command line");
		}
	}
	/* The built-in init and an init script need no PROGRAM. */
	bool builtin = options.service_limit >= 0;
	bool program = options.program != NULL && options.program[0] != NULL;
	if (!program && !builtin && options.script_fd < 0)
		usage("PROGRAM is missing after --");
	if (builtin + (options.script_fd >= 0) + program > 1)
		usage("give one of --service-limit (with --service), --script-fd or -- PROGRAM");
	if ((services > 0 || options.start_services || options.services_fd >= 0 || options.control_fd >= 0) && !builtin)
		usage("--service, --services-fd, --control-fd and --start-services need --service-limit");
	if (options.notify_socket != NULL && !options.exec)
		usage("--notify-socket needs --exec");
	if (services > 0 && options.services_fd >= 0)
		usage("give START's services by --service or by --services-fd, not both");
	return options;
}

/*
 * The JVM cannot put its child into a new time namespace: posix_spawn clones with CLONE_VM,
 * which the kernel refuses once time_for_children differs from the caller's, and setns into
 * a time namespace needs a single-threaded caller. pid 1 is one: it unshares, which sets
 * only its time_for_children, and then enters that namespace itself with setns on
 * /proc/self/ns/time_for_children (no re-exec, which would cost a second program load).
 * So this comes after mount_proc.
 */
static void enter_time_namespace(void)
{
	if (unshare(CLONE_NEWTIME) != 0) {
		int error = errno;
		if (error == EINVAL || error == ENOSYS) {
			/* A kernel without time namespaces (before 5.6 or CONFIG_TIME_NS=n). */
			say("unshare(CLONE_NEWTIME): %s; staying in the host's time namespace",
			    reason(error));
			return;
		}
		say("unshare(CLONE_NEWTIME): %s", reason(error));
		exit(EXIT_BOOT_FAILED);
	}
	int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("open /proc/self/ns/time_for_children: %s", reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
	if (setns(fd, CLONE_NEWTIME) != 0) {
		say("setns(/proc/self/ns/time_for_children, CLONE_NEWTIME): %s", reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
	close(fd);
}

/*
 * Blocks every signal so that they queue up for sigtimedwait. A pid namespace's init gets
 * no signal whose disposition is SIG_DFL, but a blocked one is always queued. Faults stay
 * unblocked: the kernel kills a task that faults with the signal blocked anyway.
 */
static void block_signals(sigset_t *blocked, sigset_t *original)
{
	sigfillset(blocked);
	int faults[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS };
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		sigdelset(blocked, faults[i]);
	if (sigprocmask(SIG_SETMASK, blocked, original) != 0) {
		say("sigprocmask(SIG_SETMASK): %s", reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
}

/* The kernel takes the mounter's pid namespace for a proc mount: only a process inside
 * the subhost's pid namespace can mount the /proc that shows it. */
static void mount_proc(void)
{
	if (mkdir("/proc", 0555) != 0 && errno != EEXIST) {
		say("mkdir /proc: %s", reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		say("mount proc on /proc: %s", reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
}

/* Confines pid 1 and, by inheritance, everything it starts; see confine.h for the order. */
static void confine(const struct confinement *confinement, bool files)
{
	char error[256];
	int rc = files ? confine_files(confinement, error, sizeof error) : confine_apply(confinement, error, sizeof error);
	if (rc != 0) {
		say("confinement: %s: %s", error, reason(-rc));
		exit(EXIT_BOOT_FAILED);
	}
}

/* A cgroup namespace rooted at the subhost's group, so that the subhost sees its group as
 * "/" and nothing of the host's tree above it: pid 1 was born in that group (birth.h), and
 * the namespace takes the group pid 1 is in as its root. */
static void enter_cgroup_namespace(void)
{
	if (unshare(CLONE_NEWCGROUP) != 0) {
		int error = errno;
		if (error == EINVAL) {
			/* A kernel without cgroup namespaces (before 4.6 or CONFIG_CGROUPS=n). */
			say("unshare(CLONE_NEWCGROUP): %s; staying in the host's cgroup namespace", reason(error));
			return;
		}
		say("unshare(CLONE_NEWCGROUP): %s", reason(error));
		exit(EXIT_BOOT_FAILED);
	}
}

static void say_started(int fd, bool close_it);

/* --exec: the Container Interface's mounts and console, while pid 1 may still mount. */
static void prepare_init_system(void)
{
	char error[256];
	int rc = init_system_cgroup(error, sizeof error);
	if (rc == 0)
		rc = init_system_console(error, sizeof error);
	if (rc != 0) {
		say("init system: %s: %s", error, reason(-rc));
		exit(EXIT_BOOT_FAILED);
	}
}

/* --exec: says that the init runs (the ready pipe is close-on-exec), then becomes it. */
static void exec_init_system(char **program, const sigset_t *original, int ready_fd)
{
	say("pid 1 execs %s, which makes an init system pid 1", program[0]);
	if (ready_fd >= 0)
		say_started(ready_fd, true);
	char error[256];
	int rc = init_system_exec(program, original, error, sizeof error);
	say("%s: %s", error, reason(-rc));
	exit(EXIT_BOOT_FAILED);
}

/* The SDK writes 'g' once pid 1 is in the subhost's cgroup and recorded, so that every
 * process forked later is accounted there and can be found by a stop. End of file means the
 * booting process died (or gave up) before that: nothing records this pid 1, so it must not
 * start anything; it exits, and the namespaces go with it. */
static void wait_for_sync(int fd)
{
	char byte;
	ssize_t n;
	do {
		n = read(fd, &byte, 1);
	} while (n < 0 && errno == EINTR); /* EINTR: only from a stop/continue; read again */
	if (n < 0) {
		say("read sync fd %d: %s", fd, reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
	if (n == 0) {
		say("boot aborted: the booting process closed sync fd %d without a go", fd);
		exit(EXIT_BOOT_FAILED);
	}
	if (byte != 'g') {
		say("read sync fd %d: unexpected byte 0x%02x instead of 'g'", fd, (unsigned char)byte);
		exit(EXIT_BOOT_FAILED);
	}
	close(fd);
}

/* Tells the SDK that the init script runs: one byte 's' once it is forked, /proc being
 * mounted before. The SDK waits for it (or for end of file: pid 1 ended) instead of polling
 * /proc. The descriptor is close-on-exec from the start, so the script never inherits it. */
static void say_started(int fd, bool close_it)
{
	ssize_t n;
	do {
		n = write(fd, "s", 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		say("write ready fd %d: %s", fd, reason(errno));
	if (close_it)
		close(fd);
}

/* The init script of --script-fd, read whole (at most 1 MiB) before anything runs. */
static char *read_script(int fd)
{
	size_t size = 0, capacity = 4096;
	char *script = malloc(capacity);
	lseek(fd, 0, SEEK_SET); /* a memfd, written by the SDK up to its end; a pipe says ESPIPE */
	for (;;) {
		if (script == NULL) {
			say("read the init script (fd %d): out of memory", fd);
			exit(EXIT_BOOT_FAILED);
		}
		ssize_t n = read(fd, script + size, capacity - size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			say("read the init script (fd %d): %s", fd, reason(errno));
			exit(EXIT_BOOT_FAILED);
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size + 1 == capacity) {
			if (capacity >= (1 << 20)) {
				say("the init script (fd %d) is longer than 1 MiB", fd);
				exit(EXIT_BOOT_FAILED);
			}
			capacity *= 2;
			script = realloc(script, capacity);
		}
	}
	script[size] = '\0';
	close(fd);
	return script;
}

/* What pid 1 runs besides the built-in init's services: PROGRAM or the init script. */
static pid_t spawn_init(const struct options *options, char *script, const sigset_t *original_mask)
{
	char *sh[] = { "/bin/sh", "-c", script, NULL };
	char **program = script != NULL ? sh : options->program;
	pid_t pid = fork();
	if (pid < 0) {
		say("fork for %s: %s", program[0], reason(errno));
		exit(EXIT_BOOT_FAILED);
	}
	if (pid > 0)
		return pid;
	/* The script and its services must see the signal state of an ordinary process. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* SIGKILL, SIGSTOP and libc's own fail: nothing to reset */
	sigprocmask(SIG_SETMASK, original_mask, NULL);
	if (setsid() < 0)
		say("setsid for %s: %s", program[0], reason(errno));
	execvp(program[0], program);
	int error = errno;
	say("execvp %s: %s", program[0], reason(error));
	_exit(error == ENOENT ? 127 : 126);
}

static void log_script_end(int status)
{
	if (WIFEXITED(status))
		say("init script exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		say("init script killed by signal %d (SIG%s)", WTERMSIG(status),
		    sigabbrev_np(WTERMSIG(status)));
}

/* Reaps every zombie; returns false when pid 1 has no child left. */
static bool reap_zombies(pid_t *script)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (pid == *script) {
				log_script_end(status);
				*script = -1;
			} else {
				services_reaped(pid, status);
			}
		} else if (pid == 0) {
			return true; /* children left, none of them exited */
		} else if (errno == ECHILD) {
			return false; /* no child: the subhost is empty */
		} else if (errno != EINTR) {
			say("waitpid: %s", reason(errno));
			return true;
		}
	}
}

static bool is_shutdown(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGPWR;
}

/*
 * The grace of a stop: the value a shutdown signal was queued with from outside this pid
 * namespace (the kernel shows such a sender as si_pid 0), else --grace. A process of the
 * subhost that forges both (rt_sigqueueinfo lets it set si_pid) only sets the grace of a
 * shutdown it could start anyway; the host's stop kills pid 1 after its own grace in any
 * case.
 */
static long grace_of(int sig, const siginfo_t *info, long grace)
{
	if (is_shutdown(sig) && info->si_code == SI_QUEUE && info->si_pid == 0
	    && info->si_value.sival_int >= 0 && info->si_value.sival_int <= MAX_GRACE)
		return info->si_value.sival_int;
	return grace;
}

/* kill(-1) from a namespace's init reaches every other process of that namespace. */
static bool signal_everyone(int sig)
{
	if (kill(-1, sig) == 0)
		return true;
	if (errno != ESRCH) /* ESRCH: no process left to signal */
		say("kill(-1, SIG%s): %s", sigabbrev_np(sig), reason(errno));
	return false;
}

static void shut_down(int sig, long grace, const sigset_t *blocked, pid_t *script)
{
	long deadline = now_millis() + grace * 1000;
	/* START's services first, in reverse order, each as its kind says, within the grace. */
	if (services_any()) {
		say("SIG%s received; stopping the services in reverse START order, then SIGTERM to every process,"
		    " SIGKILL after %ld s in all", sigabbrev_np(sig), grace);
		services_stop_all(blocked, deadline);
	} else {
		say("SIG%s received; sending SIGTERM to every process, SIGKILL after %ld s",
		    sigabbrev_np(sig), grace);
	}
	signal_everyone(SIGTERM);
	long left;
	while (reap_zombies(script) && (left = deadline - now_millis()) > 0)
		wait_for_signal(blocked, left); /* further TERMs change nothing: already stopping */
	if (signal_everyone(SIGKILL))
		say("grace period (%ld s) over; sent SIGKILL to the processes left", grace);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid > 0 && pid == *script)
			log_script_end(status);
		else if (pid > 0)
			services_reaped(pid, status);
		if (pid < 0 && errno == ECHILD)
			break; /* every child reaped */
		if (pid < 0 && errno != EINTR) {
			say("waitpid: %s", reason(errno));
			break; /* the kernel kills what is left when pid 1 exits */
		}
	}
	say("stopped");
	exit(0);
}

int main(int argc, char **argv)
{
	/* The SDK runs this program from a memfd (as /proc/self/fd/N, or as pid 1 from inside
	 * the directory of its own descriptors): its name is the descriptor's number until it
	 * says otherwise. And pid 1 starts in that directory, a host's one: out of it first. */
	prctl(PR_SET_NAME, "subhost-init", 0, 0, 0);
	if (chdir("/") != 0) {
		say("chdir /: %s", reason(errno));
		return EXIT_BOOT_FAILED;
	}
	/* Every mode's bad number ends with pid 1's usage, as it always has (see util.h). */
	usage_line = USAGE;
	if (argc > 1 && strcmp(argv[1], "--launch") == 0)
		launch_main(argc, argv); /* birth.c: pid 1's launcher */
	if (argc > 1 && strcmp(argv[1], "--enter") == 0)
		enter_main(argc, argv); /* enter.c */
	if (argc > 1 && strcmp(argv[1], "--log-relay") == 0)
		relay_main(argc, argv); /* relay.c */
	struct options options = parse_options(argc, argv);
	if (options.limit >= 0)
		return run_limited(options.limit, options.program);
	bool builtin = options.service_limit >= 0;
	if (builtin && options.services_fd >= 0)
		services_load_table(options.services_fd);
	else if (builtin)
		services_load_names(options.services, options.service_limit);
	if (options.start_services) {
		if (options.control_fd >= 0 && services_any())
			services_control_open(options.control_fd);
		return services_test_main(options.status_fd);
	}
	if (getpid() != 1) {
		/* kill(-1) outside a pid namespace would reach every process of the host. */
		say("must be pid 1 of a new pid namespace (pid %d)", (int)getpid());
		return EXIT_USAGE;
	}
	if (options.ready_fd >= 0 && fcntl(options.ready_fd, F_SETFD, FD_CLOEXEC) != 0) {
		say("ready fd %d: %s", options.ready_fd, reason(errno));
		return EXIT_BOOT_FAILED;
	}
	/* Only pid 1 and its built-in init hold the status channel: no program inherits it. */
	if (options.status_fd >= 0 && fcntl(options.status_fd, F_SETFD, FD_CLOEXEC) != 0) {
		say("status fd %d: %s", options.status_fd, reason(errno));
		return EXIT_BOOT_FAILED;
	}
	char *init_script = options.script_fd >= 0 ? read_script(options.script_fd) : NULL;

	sigset_t blocked, original;
	block_signals(&blocked, &original);
	mount_proc();
	if (options.timens)
		enter_time_namespace();
	confine(&options.confinement, true);
	/* pid 1 was born in its control groups (birth.h), so nothing the host does before the go
	 * changes what follows: the cgroup namespace and the confinement are made while the host
	 * records pid 1, and the go finds pid 1 confined, with only the init left to run. */
	enter_cgroup_namespace();
	if (options.exec)
		prepare_init_system();
	confine(&options.confinement, false);
	if (options.sync_fd >= 0)
		wait_for_sync(options.sync_fd);
	if (options.exec) {
		char *sh[] = { "/bin/sh", "-c", init_script, NULL };
		/* Where the init system says READY=1 (sd_notify): the SDK's socket, an abstract name in
		 * the subhost's network namespace, as systemd-nspawn's --notify-ready gives one. */
		if (options.notify_socket != NULL && setenv("NOTIFY_SOCKET", options.notify_socket, 1) != 0)
			say("setenv NOTIFY_SOCKET: %s", reason(errno));
		exec_init_system(init_script != NULL ? sh : options.program, &original, options.ready_fd);
	}

	pid_t script = -1;
	if (builtin && !services_any()) {
		/* START=none: nothing to tell, and pid 1 stays as open to look at as any reaper. */
		if (options.status_fd >= 0)
			close(options.status_fd);
		options.status_fd = -1;
	} else if (builtin) {
		/* Not dumpable while it holds the status and ready channels: without CAP_SYS_PTRACE
		 * no process of the subhost can reach pid 1's descriptors (/proc/1/fd) or memory to
		 * write a state of its own there. Each service's exec makes its own process
		 * dumpable again. */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	if (builtin) {
		/* Only with services: START=none has nothing to start or stop. */
		if (options.control_fd >= 0 && services_any())
			services_control_open(options.control_fd);
		if (options.ready_fd >= 0)
			say_started(options.ready_fd, false);
		/* The ready channel stays open until every START service has started or failed. */
		services_begin(options.status_fd, options.ready_fd, &original);
	} else {
		script = spawn_init(&options, init_script, &original);
		if (options.status_fd >= 0)
			close(options.status_fd);
		if (options.ready_fd >= 0)
			say_started(options.ready_fd, true);
	}
	bool busy = true;
	for (;;) {
		bool had_children = busy;
		busy = reap_zombies(&script);
		if (had_children && !busy && !services_supervising())
			say("no service running; keeping the subhost alive");
		long wait = builtin ? services_tick(WAIT_SECONDS * 1000L) : WAIT_SECONDS * 1000L;
		siginfo_t info;
		int sig = wait_for_signal_info(&blocked, wait, &info);
		if (is_shutdown(sig))
			shut_down(sig, grace_of(sig, &info, options.grace), &blocked, &script);
		if (sig == SIGUSR2 && builtin)
			services_hold();
		/* SIGCHLD: reaped at the top of the loop; any other signal is ignored. */
	}
}
