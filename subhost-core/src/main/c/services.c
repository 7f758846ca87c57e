/*
 * The built-in init's services, run by pid 1 itself (see services.h for the calls).
 *
 * Each START service is started in order; the next one's start begins when the one before
 * has started or failed. Its kind says when it has started: an init.d script when `service
 * NAME start` (or `PATH start`) exits 0 within the limit; a unit by its Type=: simple and
 * exec once its program was exec'd, forking when the started process exits 0 (and PIDFile=,
 * when set, names a live main process), oneshot when every ExecStart= exited 0, notify when
 * the main process sends READY=1 to NOTIFY_SOCKET, an abstract socket of pid 1's. Then
 * ExecStartPost= runs. Every state is told twice: as a line in LOG for people ("service S
 * started"), and as a line "S STATE" on the status descriptor, which only pid 1 holds
 * (close-on-exec: no service inherits it), which the SDK's status reads on the host.
 *
 * Supervision is pid 1's, since nothing of ours stays on the host: a unit's main process
 * that ends is restarted as Restart= says, after RestartSec=, at most StartLimitBurst= starts
 * within StartLimitIntervalSec=. Every command runs in a session (and process group) of its
 * own; KillMode=control-group signals the groups of the service's start and of its main
 * process: a process that leaves both (a daemon's own setsid child) is reached only by pid
 * 1's SIGTERM to everyone at the end.
 *
 * A stop is pid 1's too, for both kinds: an init.d script's `service NAME stop` (or `PATH
 * stop`), a unit's ExecStop=, KillSignal= and SIGKILL after TimeoutStopSec=. It runs as a
 * state of the service (P_STOPPING), driven by the loop as a start is, so that pid 1 goes on
 * reaping, supervising the others and answering while one service stops. At the shutdown
 * every START service is stopped in reverse START order, whatever its kind.
 *
 * The host asks for a start, stop or restart of one service on the control channel: a
 * SOCK_SEQPACKET socketpair whose other end pid 1 keeps at --control-fd for the host alone,
 * which takes a copy of it with pidfd_getfd(2). That call needs the right to ptrace pid 1,
 * which is not dumpable: only the host's root has it (and a subhost's root that kept
 * CAP_SYS_PTRACE, who could make pid 1 do anything by ptrace anyway). No process of the
 * subhost can send a byte on it otherwise: it has no name and no process of the subhost
 * holds it. A request is one record "ID VERB NAME"; the answer is one record "ID NAME
 * STATE", with the state that the request led to (the same line as on the status channel),
 * or "ID ! REASON" when it was refused.
 *
 * pid 1 is small: the table is one allocation of the memfd's size plus the arrays of
 * pointers into it; nothing grows while the services run but each service's last state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services.h"
#include "util.h"

extern char **environ;

#define TABLE_LIMIT (1 << 20)
#define MAX_SERVICES 256
/* The start times kept for the start limit; a larger StartLimitBurst= counts up to this. */
#define START_HISTORY 32
/* How often a forking service's PIDFile= is looked for while its start may still run. */
#define PIDFILE_POLL_MILLIS 100

enum { CMD_PRE, CMD_START, CMD_POST, CMD_RELOAD, CMD_STOP, CMD_KINDS };
enum type { T_SIMPLE, T_EXEC, T_FORKING, T_ONESHOT, T_NOTIFY };
enum restart { R_NO, R_ON_FAILURE, R_ALWAYS };
enum kill_mode { K_CONTROL_GROUP, K_PROCESS, K_MIXED, K_NONE };
enum phase {
	P_IDLE,          /* not started yet */
	P_PRE,           /* ExecStartPre= number `index` runs */
	P_START,         /* ExecStart= runs (oneshot: number `index`), or the main process is not ready yet */
	P_PIDFILE,       /* forking: the start exited 0; PIDFile= is awaited */
	P_POST,          /* ExecStartPost= number `index` runs */
	P_RUNNING,       /* started; the main process (if known) runs */
	P_RESTART_WAIT,  /* RestartSec= passes */
	P_STOPPING,      /* its stop runs (stop_step says how far) */
	P_DONE           /* ended: failed, stopped, skipped; nothing more happens */
};
/* How far a stop is. */
enum stop_step {
	S_COMMANDS,      /* ExecStop= (an init.d script's stop) number `index` runs */
	S_SIGNAL,        /* KillSignal= is due */
	S_WAIT,          /* KillSignal= sent: the main and control processes are awaited */
	S_KILLED         /* SIGKILL sent: their end is awaited, a second at most */
};

#define F_IGNORE 1    /* "-": a status other than 0 counts as success */
#define F_PRIVILEGED 2 /* "+": runs as root */

struct command {
	int flags;
	char *program;
	char **argv;
};

struct service {
	char *name;
	char *source;
	char *settled_state; /* "settled": told at its turn, nothing is run */
	bool unit;
	enum type type;
	struct command *commands[CMD_KINDS];
	size_t counts[CMD_KINDS];
	bool has_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t group_count;
	char **env;   /* NULL: pid 1's environment (init.d) */
	size_t env_count;
	char *cwd;
	mode_t rundir_mode;
	char **rundirs;
	char *pidfile;
	mode_t umask;
	enum restart restart;
	long restart_millis, burst, interval_millis, start_millis, stop_millis;
	enum kill_mode kill_mode;
	int kill_signal;
	bool remain, notify_all;

	/* What happens now. */
	enum phase phase;
	size_t index;
	pid_t main_pid, control_pid, group; /* group: the process group of the start (its pid) */
	long deadline;                      /* of the phase; 0: none */
	int restarts;
	long starts[START_HISTORY];
	size_t start_count;
	bool settled;                       /* started or failed once: the boot need not wait for it */
	bool up;                            /* a start has run and no stop since: the shutdown stops it */
	enum stop_step stop_step;
	int stop_status;                    /* the first failed stop command's status (init.d), -1: none */
	bool start_after_stop;              /* a restart: the start follows the stop */
	unsigned long request;              /* the host's request that the next settled state answers; 0: none */
	char *last;                         /* the last state told, for a request that changes nothing */
};

/* Reserved at the first service (add_service): see there. */
static struct service *services;
static size_t service_count;
static size_t cursor;          /* the service whose start is under way, or the next one */
static int status_out = -1;
static int ready_out = -1;
static int notify_fd = -1;
static char notify_name[32];   /* "@xxxxx" */
static sigset_t child_mask;
static bool holding;           /* services_hold or the shutdown: nothing restarts */
static bool shutting_down;     /* services_stop_all: no start, no request any more */
static int control_fd = -1;    /* pid 1's end of the control channel */

static void stop_timed_out(struct service *s);
static void read_control(void);
static bool supervised(const struct service *s);

/* ---- the table ---- */

static char *table, *table_end, *table_at;

static void malformed(const char *what)
{
	say("the services' table (--services-fd): %s", what);
	exit(1);
}

/*
 * The next service's entry. The MAX_SERVICES entries (some 150 kB) are reserved by mmap at
 * the first service, not a static array: the kernel gives a page only when an entry on it is
 * written, so a pid 1 with a few services has the pages of those few and one without any has
 * none; and a static array would part the program's small variables from libc's in .bss,
 * which costs every process of this program a page more (pid 1 and the log relay run once
 * per subhost).
 */
static struct service *add_service(void)
{
	if (service_count == MAX_SERVICES)
		malformed("too many services");
	if (services == NULL) {
		void *entries = mmap(NULL, MAX_SERVICES * sizeof *services, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (entries == MAP_FAILED)
			malformed("out of memory");
		services = entries;
	}
	return &services[service_count++];
}

static char *token(void)
{
	if (table_at >= table_end)
		malformed("ends in the middle of a field");
	char *t = table_at;
	char *nul = memchr(t, '\0', (size_t)(table_end - t));
	if (nul == NULL)
		malformed("a string without its NUL");
	table_at = nul + 1;
	return t;
}

static long number(const char *text, long max)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > max)
		malformed("a number out of range");
	return v;
}

static void *array(size_t count, size_t size)
{
	void *p = calloc(count + 1, size);
	if (p == NULL)
		malformed("out of memory");
	return p;
}

static void add_command(struct service *s, int kind, char **values, size_t n)
{
	if (n < 3)
		malformed("a command needs prefixes, program and argv[0]");
	struct command *grown = realloc(s->commands[kind], (s->counts[kind] + 1) * sizeof *grown);
	if (grown == NULL)
		malformed("out of memory");
	s->commands[kind] = grown;
	struct command *c = &grown[s->counts[kind]++];
	c->flags = (strchr(values[0], '-') ? F_IGNORE : 0) | (strchr(values[0], '+') ? F_PRIVILEGED : 0);
	c->program = values[1];
	c->argv = array(n - 2, sizeof(char *));
	for (size_t i = 2; i < n; i++)
		c->argv[i - 2] = values[i];
}

static void defaults(struct service *s, char *name)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->source = name;
	s->type = T_ONESHOT;
	s->umask = 022;
	s->restart_millis = 100;
	s->burst = 5;
	s->interval_millis = 10000;
	s->start_millis = 90000;
	s->stop_millis = 90000;
	s->kill_mode = K_NONE;
	s->kill_signal = SIGTERM;
	s->remain = true;
	s->stop_status = -1;
}

static void field(struct service *s, const char *key, char **v, size_t n)
{
#define WANT(count) do { if (n != (count)) malformed(key); } while (0)
	if (strcmp(key, "settled") == 0) {
		WANT(1);
		s->settled_state = v[0];
	} else if (strcmp(key, "source") == 0) {
		WANT(1);
		s->source = v[0];
	} else if (strcmp(key, "kind") == 0) {
		WANT(1);
		s->unit = strcmp(v[0], "unit") == 0;
		if (s->unit)
			s->kill_mode = K_CONTROL_GROUP, s->remain = false, s->type = T_SIMPLE;
	} else if (strcmp(key, "type") == 0) {
		WANT(1);
		const char *names[] = { "simple", "exec", "forking", "oneshot", "notify" };
		size_t i = 0;
		while (i < 5 && strcmp(v[0], names[i]) != 0)
			i++;
		if (i == 5)
			malformed("an unknown type");
		s->type = (enum type)i;
	} else if (strcmp(key, "pre") == 0) {
		add_command(s, CMD_PRE, v, n);
	} else if (strcmp(key, "start") == 0) {
		add_command(s, CMD_START, v, n);
	} else if (strcmp(key, "post") == 0) {
		add_command(s, CMD_POST, v, n);
	} else if (strcmp(key, "reload") == 0) {
		add_command(s, CMD_RELOAD, v, n);
	} else if (strcmp(key, "stop") == 0) {
		add_command(s, CMD_STOP, v, n);
	} else if (strcmp(key, "user") == 0) {
		if (n < 2)
			malformed(key);
		s->has_user = true;
		s->uid = (uid_t)number(v[0], 0x7fffffff);
		s->gid = (gid_t)number(v[1], 0x7fffffff);
		s->group_count = n - 2;
		s->groups = array(n - 2, sizeof(gid_t));
		for (size_t i = 2; i < n; i++)
			s->groups[i - 2] = (gid_t)number(v[i], 0x7fffffff);
	} else if (strcmp(key, "env") == 0) {
		s->env = array(n + 2, sizeof(char *)); /* room for NOTIFY_SOCKET and MAINPID */
		memcpy(s->env, v, n * sizeof(char *));
		s->env_count = n;
	} else if (strcmp(key, "cwd") == 0) {
		WANT(1);
		s->cwd = v[0];
	} else if (strcmp(key, "rundir") == 0) {
		if (n < 2)
			malformed(key);
		s->rundir_mode = (mode_t)strtol(v[0], NULL, 8) & 07777;
		s->rundirs = array(n - 1, sizeof(char *));
		memcpy(s->rundirs, v + 1, (n - 1) * sizeof(char *));
	} else if (strcmp(key, "pidfile") == 0) {
		WANT(1);
		s->pidfile = v[0];
	} else if (strcmp(key, "umask") == 0) {
		WANT(1);
		s->umask = (mode_t)strtol(v[0], NULL, 8) & 0777;
	} else if (strcmp(key, "restart") == 0) {
		WANT(4);
		s->restart = strcmp(v[0], "always") == 0 ? R_ALWAYS : strcmp(v[0], "on-failure") == 0 ? R_ON_FAILURE : R_NO;
		s->restart_millis = number(v[1], 1L << 40);
		s->burst = number(v[2], 1000000);
		s->interval_millis = number(v[3], 1L << 40);
	} else if (strcmp(key, "timeout") == 0) {
		WANT(2);
		s->start_millis = number(v[0], 1L << 40);
		s->stop_millis = number(v[1], 1L << 40);
	} else if (strcmp(key, "kill") == 0) {
		WANT(2);
		s->kill_mode = strcmp(v[0], "process") == 0 ? K_PROCESS : strcmp(v[0], "mixed") == 0 ? K_MIXED
			: strcmp(v[0], "none") == 0 ? K_NONE : K_CONTROL_GROUP;
		s->kill_signal = (int)number(v[1], 64);
	} else if (strcmp(key, "remain") == 0) {
		WANT(1);
		s->remain = strcmp(v[0], "1") == 0;
	} else if (strcmp(key, "notify") == 0) {
		WANT(1);
		s->notify_all = strcmp(v[0], "all") == 0;
	} else {
		malformed("an unknown key");
	}
#undef WANT
}

void services_load_table(int fd)
{
	/* One allocation of the table's own size (the SDK's memfd is sealed): pid 1 stays small. */
	struct stat st;
	if (fstat(fd, &st) != 0) {
		say("fstat the services' table (fd %d): %s", fd, reason(errno));
		exit(1);
	}
	if (st.st_size > TABLE_LIMIT)
		malformed("longer than 1 MiB");
	size_t size = 0, capacity = (size_t)st.st_size;
	table = malloc(capacity + 1);
	if (table == NULL)
		malformed("out of memory");
	lseek(fd, 0, SEEK_SET);
	while (size < capacity) {
		ssize_t n = read(fd, table + size, capacity - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			say("read the services' table (fd %d): %s", fd, reason(errno));
			exit(1);
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	table_at = table;
	table_end = table + size;
	struct service *s = NULL;
	while (table_at < table_end) {
		char *key = token();
		size_t n = (size_t)number(token(), 4096);
		/* The field's values, for the moment it is read: a field keeps what it needs. */
		char **values = array(n, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			values[i] = token();
		if (strcmp(key, "subhost-services") == 0) {
			if (n != 1 || strcmp(values[0], "1") != 0)
				malformed("of another version than 1");
		} else if (strcmp(key, "service") == 0) {
			if (n != 1)
				malformed("too many services");
			s = add_service();
			defaults(s, values[0]);
		} else if (s == NULL) {
			malformed("a field before the first service");
		} else {
			field(s, key, values, n);
		}
		free(values);
	}
}

void services_load_names(char *const *names, long seconds)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		struct service *s = add_service();
		defaults(s, names[i]);
		char *service_argv[] = { "", "service", "service", names[i], "start" };
		char *path_argv[] = { "", names[i], names[i], "start" };
		char *service_stop[] = { "", "service", "service", names[i], "stop" };
		char *path_stop[] = { "", names[i], names[i], "stop" };
		if (names[i][0] == '/') {
			add_command(s, CMD_START, path_argv, 4);
			add_command(s, CMD_STOP, path_stop, 4);
		} else {
			add_command(s, CMD_START, service_argv, 5);
			add_command(s, CMD_STOP, service_stop, 5);
		}
		s->start_millis = s->stop_millis = seconds * 1000;
	}
}

/* ---- states ---- */

static void write_line(int fd, const char *line, size_t n)
{
	ssize_t written;
	do {
		written = write(fd, line, n);
	} while (written < 0 && errno == EINTR);
	if (written != (ssize_t)n && fd == status_out)
		say("status channel (fd %d): %s", fd, written < 0 ? reason(errno) : "short write");
}

/* One record "ID TEXT" to the host on the control channel; dropped when the host reads
 * no more (it gave up waiting): pid 1 never blocks on it. */
static void answer(unsigned long id, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void answer(unsigned long id, const char *format, ...)
{
	if (control_fd < 0)
		return;
	char text[512];
	int n = snprintf(text, sizeof text, "%lu ", id);
	va_list args;
	va_start(args, format);
	int m = vsnprintf(text + n, sizeof text - (size_t)n, format, args);
	va_end(args);
	size_t length = m < 0 ? (size_t)n : (size_t)n + (size_t)m < sizeof text ? (size_t)(n + m) : sizeof text - 1;
	if (send(control_fd, text, length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		say("control channel: send the answer to request %lu: %s", id, reason(errno));
}

/* One line "SERVICE STATE\n" in one write, in LOG as "service SERVICE STATE" too; the
 * answer to the host's request on the service, when this state settles it. */
static void tell(struct service *s, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void tell(struct service *s, const char *format, ...)
{
	char state[400];
	va_list args;
	va_start(args, format);
	vsnprintf(state, sizeof state, format, args);
	va_end(args);
	say("service %s %s", s->name, state);
	char *last = strdup(state);
	if (last != NULL) {
		free(s->last);
		s->last = last;
	}
	if (status_out >= 0) {
		char line[512];
		int n = snprintf(line, sizeof line, "%s %s\n", s->name, state);
		if (n < 0 || n >= (int)sizeof line)
			say("service %s: name too long for the status channel", s->name);
		else
			write_line(status_out, line, (size_t)n);
	}
	/* A request is answered by the first state it led to that is not a step on the way;
	 * after the status line, so that the host never has an answer that its status lacks. */
	if (s->request != 0 && !s->start_after_stop && strncmp(state, "starting", 8) != 0
	    && strncmp(state, "stopping", 8) != 0) {
		answer(s->request, "%s %s", s->name, state);
		s->request = 0;
	}
}

/* The boot waits for this: the first "started" or "failed" of each START service. */
static void settle(struct service *s, const char *state)
{
	if (s->settled)
		return;
	s->settled = true;
	if (ready_out >= 0) {
		char line[512];
		int n = snprintf(line, sizeof line, "%s %s\n", s->name, state);
		if (n > 0 && n < (int)sizeof line)
			write_line(ready_out, line, (size_t)n);
	}
}

static const char *signal_name(int sig)
{
	static char text[32];
	snprintf(text, sizeof text, "signal %d", sig);
	return text;
}

/* "status 3", "signal 9": how a process ended. */
static const char *ending(int status)
{
	static char text[48];
	if (WIFSIGNALED(status))
		snprintf(text, sizeof text, "%s", signal_name(WTERMSIG(status)));
	else
		snprintf(text, sizeof text, "status %d", WEXITSTATUS(status));
	return text;
}

/* ---- processes ---- */

static void exec_child(struct service *s, const struct command *c, bool control, int report, const sigset_t *original)
{
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, original, NULL);
	if (setsid() < 0)
		say("service %s: setsid: %s", s->name, reason(errno));
	umask(s->umask);
	const char *dir = s->cwd ? s->cwd : "/";
	bool optional = dir[0] == '-';
	if (chdir(optional ? dir + 1 : dir) != 0 && !optional) {
		int error = errno;
		say("service %s: chdir %s: %s", s->name, dir, reason(error));
		if (write(report, &error, sizeof error) < 0) {
			/* the parent sees the exit status anyway */
		}
		_exit(200);
	}
	if (s->has_user && !(c->flags & F_PRIVILEGED)) {
		if (setgroups(s->group_count, s->groups) != 0 || setgid(s->gid) != 0 || setuid(s->uid) != 0) {
			int error = errno;
			say("service %s: setgroups, setgid %d or setuid %d: %s", s->name, (int)s->gid, (int)s->uid,
			    reason(error));
			if (write(report, &error, sizeof error) < 0) {
			/* the parent sees the exit status anyway */
		}
			_exit(216);
		}
	}
	if (s->env != NULL) {
		char notify[64], mainpid[32];
		size_t n = s->env_count;
		if (s->type == T_NOTIFY && notify_fd >= 0) {
			snprintf(notify, sizeof notify, "NOTIFY_SOCKET=%s", notify_name);
			s->env[n++] = notify;
		}
		if (control && s->main_pid > 0) {
			snprintf(mainpid, sizeof mainpid, "MAINPID=%d", (int)s->main_pid);
			s->env[n++] = mainpid;
		}
		s->env[n] = NULL;
		environ = s->env;
	}
	execvp(c->program, c->argv);
	int error = errno;
	say("service %s: execvp %s: %s", s->name, c->program, reason(error));
	if (write(report, &error, sizeof error) < 0) {
		/* the parent sees the exit status anyway */
	}
	_exit(error == ENOENT ? 127 : 126);
}

static sigset_t service_mask;

/* Forks and execs one command; returns its pid once it has exec'd (or failed to: then its
 * exit is reaped as any other, with status 126, 127 or 2xx), -1 when no fork was made. */
static pid_t launch(struct service *s, const struct command *c, bool control)
{
	int report[2];
	if (pipe2(report, O_CLOEXEC) != 0) {
		say("service %s: pipe2: %s", s->name, reason(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		say("service %s: fork for %s: %s", s->name, c->program, reason(errno));
		close(report[0]);
		close(report[1]);
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		exec_child(s, c, control, report[1], &service_mask);
	}
	close(report[1]);
	/* Until the exec: the pipe's write end is close-on-exec. A few milliseconds at most. */
	int error;
	ssize_t n;
	do {
		n = read(report[0], &error, sizeof error);
	} while (n < 0 && errno == EINTR);
	close(report[0]);
	return pid;
}

/* Signals the process group of `pid`, never pid 1's nor the whole namespace. */
static void kill_group(pid_t pid, int sig)
{
	if (pid <= 1)
		return;
	pid_t group = getpgid(pid);
	if (group > 1)
		kill(-group, sig);
}

static void kill_service(struct service *s, int sig, bool everything)
{
	if (s->main_pid > 0)
		kill(s->main_pid, sig);
	if (s->control_pid > 0)
		kill(s->control_pid, sig);
	if (everything) {
		kill_group(s->main_pid, sig);
		kill_group(s->control_pid, sig);
		if (s->group > 1)
			kill(-s->group, sig);
	}
}

/* ---- the start ---- */

static void run_next(struct service *s);
static void begin_start(struct service *s);

static bool start_limit_hit(struct service *s, long now)
{
	size_t kept = s->start_count < START_HISTORY ? s->start_count : START_HISTORY;
	long within = 0;
	for (size_t i = 0; i < kept; i++)
		if (now - s->starts[i] < s->interval_millis)
			within++;
	return s->interval_millis > 0 && s->burst > 0 && within >= (s->burst < START_HISTORY ? s->burst : START_HISTORY);
}

static void finish(struct service *s, const char *state)
{
	s->phase = P_DONE;
	s->deadline = 0;
	settle(s, state);
}

/* The start failed or the main process ended: restart as Restart= says, or stay failed. */
static void ended(struct service *s, bool failure, const char *why)
{
	bool restart = supervised(s) && !holding && (s->restart == R_ALWAYS || (s->restart == R_ON_FAILURE && failure));
	if (restart && start_limit_hit(s, now_millis())) {
		tell(s, "failed (%s; start limit: %ld starts within %ld ms, restarts %d)", why, s->burst,
		     s->interval_millis, s->restarts);
		finish(s, "failed");
		return;
	}
	if (restart) {
		s->restarts++;
		s->phase = P_RESTART_WAIT;
		s->deadline = now_millis() + s->restart_millis;
		tell(s, "restarting (%s; restarts %d)", why, s->restarts);
		if (!s->settled) {
			char state[128];
			snprintf(state, sizeof state, "failed (%s), restarting", why);
			settle(s, state);
		}
		return;
	}
	char state[160];
	if (failure)
		snprintf(state, sizeof state, "failed (%s)", why);
	else
		snprintf(state, sizeof state, "stopped (%s)", why);
	if (s->unit && s->restarts > 0)
		tell(s, "%s (restarts %d)", state, s->restarts);
	else
		tell(s, "%s", state);
	finish(s, state);
}

static void started(struct service *s)
{
	s->phase = P_RUNNING;
	s->deadline = 0;
	if (!s->unit && s->pidfile == NULL) {
		tell(s, "started");
		settle(s, "started");
		s->phase = P_DONE;
		return;
	}
	if (s->main_pid > 0)
		tell(s, "running (pid %d, restarts %d)", (int)s->main_pid, s->restarts);
	else if (s->type == T_ONESHOT && !s->remain)
		tell(s, "exited (restarts %d)", s->restarts);
	else
		tell(s, "started (restarts %d)", s->restarts);
	settle(s, "started");
	if (s->type == T_ONESHOT && !s->remain)
		s->phase = P_DONE;
}

static void make_runtime_directories(struct service *s)
{
	for (size_t i = 0; s->rundirs && s->rundirs[i]; i++) {
		char path[512];
		if (snprintf(path, sizeof path, "/run/%s", s->rundirs[i]) >= (int)sizeof path) {
			say("service %s: RuntimeDirectory %s: too long", s->name, s->rundirs[i]);
			continue;
		}
		/* Each component below /run, as mkdir -p; the last gets the mode and the owner. */
		for (char *slash = path + 5; (slash = strchr(slash, '/')) != NULL; slash++) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		if (mkdir(path, s->rundir_mode) != 0 && errno != EEXIST) {
			say("service %s: mkdir %s: %s", s->name, path, reason(errno));
			continue;
		}
		if (chmod(path, s->rundir_mode) != 0 || (s->has_user && chown(path, s->uid, s->gid) != 0))
			say("service %s: chmod or chown %s: %s", s->name, path, reason(errno));
	}
}

static void begin_start(struct service *s)
{
	long now = now_millis();
	if (s->settled_state != NULL) {
		if (s->unit) /* the host's stop leaves a unit to pid 1, which has nothing to stop here */
			tell(s, "starting (unit %s)", s->source);
		tell(s, "%s", s->settled_state);
		finish(s, s->settled_state);
		return;
	}
	if (s->unit && !s->settled)
		tell(s, "starting (unit %s)", s->source);
	else if (!s->unit)
		say("starting service %s", s->name);
	s->starts[s->start_count++ % START_HISTORY] = now;
	s->main_pid = s->control_pid = s->group = 0;
	s->up = true;
	make_runtime_directories(s);
	s->deadline = s->start_millis > 0 ? now + s->start_millis : 0;
	s->phase = P_PRE;
	s->index = 0;
	run_next(s);
}

/* Reads PIDFile=: a live pid, or 0. */
static pid_t read_pidfile(const struct service *s)
{
	int fd = open(s->pidfile, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	char text[32];
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	char *end;
	long pid = strtol(text, &end, 10);
	if (end == text || pid <= 1 || pid > 0x3fffffff || kill((pid_t)pid, 0) != 0)
		return 0;
	return (pid_t)pid;
}

static void run_next(struct service *s)
{
	for (;;) {
		switch (s->phase) {
		case P_PRE:
		case P_POST: {
			int kind = s->phase == P_PRE ? CMD_PRE : CMD_POST;
			if (s->index < s->counts[kind]) {
				s->control_pid = launch(s, &s->commands[kind][s->index], true);
				if (s->control_pid < 0) {
					s->control_pid = 0;
					ended(s, true, "no fork");
				}
				return;
			}
			if (s->phase == P_POST) {
				started(s);
				return;
			}
			s->phase = P_START;
			s->index = 0;
			if (s->type != T_ONESHOT) {
				pid_t pid = launch(s, &s->commands[CMD_START][0], false);
				if (pid < 0) {
					ended(s, true, "no fork");
					return;
				}
				s->group = pid;
				if (s->type == T_FORKING) {
					s->control_pid = pid;
					return; /* its exit says */
				}
				s->main_pid = pid;
				if (s->type == T_NOTIFY)
					return; /* READY=1 says */
				s->phase = P_POST;
			}
			continue;
		}
		case P_START:
			/* oneshot: ExecStart= one after the other */
			if (s->index < s->counts[CMD_START]) {
				s->control_pid = launch(s, &s->commands[CMD_START][s->index], false);
				if (s->control_pid < 0) {
					s->control_pid = 0;
					ended(s, true, "no fork");
					return;
				}
				if (s->index == 0)
					s->group = s->control_pid;
				return;
			}
			s->phase = P_POST;
			s->index = 0;
			continue;
		default:
			return;
		}
	}
}

/* The start took too long: everything of it is killed. */
static void start_timed_out(struct service *s)
{
	long limit = s->start_millis;
	if (!s->unit) {
		/* As run_limited did: the script's whole process group. */
		if (s->control_pid > 0) {
			if (kill(-s->control_pid, SIGKILL) < 0)
				kill(s->control_pid, SIGKILL);
		}
		say("time limit (%ld s) passed: killed %s and its process group", limit / 1000, s->name);
		s->control_pid = 0;
		s->phase = P_DONE;
		char state[64];
		snprintf(state, sizeof state, "timed out (killed after %ld s)", limit / 1000);
		tell(s, "%s", state);
		finish(s, state);
		return;
	}
	kill_service(s, SIGKILL, true);
	s->main_pid = s->control_pid = 0;
	char why[64];
	snprintf(why, sizeof why, "start timed out after %ld ms", limit);
	ended(s, true, why);
}

static bool is_clean(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0;
	int sig = WTERMSIG(status);
	return sig == SIGHUP || sig == SIGINT || sig == SIGTERM || sig == SIGPIPE;
}

static void stop_next(struct service *s);

static void control_exited(struct service *s, int status)
{
	s->control_pid = 0;
	if (s->phase == P_STOPPING) {
		if (s->stop_step == S_COMMANDS) {
			const struct command *c = &s->commands[CMD_STOP][s->index];
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !(c->flags & F_IGNORE) && s->stop_status < 0)
				s->stop_status = status;
			s->index++;
		}
		stop_next(s);
		return;
	}
	const struct command *c = NULL;
	if (s->phase == P_PRE)
		c = &s->commands[CMD_PRE][s->index];
	else if (s->phase == P_POST)
		c = &s->commands[CMD_POST][s->index];
	else if (s->phase == P_START)
		c = &s->commands[CMD_START][s->type == T_ONESHOT ? s->index : 0];
	bool ok = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || (c && (c->flags & F_IGNORE));
	if (!ok) {
		if (!s->unit) {
			char state[64];
			snprintf(state, sizeof state, "failed (status %d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			tell(s, "%s", state);
			finish(s, state);
			return;
		}
		kill_service(s, SIGKILL, true);
		s->main_pid = 0;
		char why[96];
		snprintf(why, sizeof why, "%s %s", c ? c->program : "command", ending(status));
		ended(s, true, why);
		return;
	}
	if (s->phase == P_START && s->type == T_FORKING) {
		s->phase = P_PIDFILE;
		if (s->pidfile == NULL) {
			s->phase = P_POST;
			s->index = 0;
			run_next(s);
			return;
		}
		s->main_pid = read_pidfile(s);
		if (s->main_pid > 0) {
			s->phase = P_POST;
			s->index = 0;
			run_next(s);
		}
		return; /* services_tick looks again */
	}
	s->index++;
	run_next(s);
}

static void main_exited(struct service *s, int status)
{
	s->main_pid = 0;
	if (s->phase == P_STOPPING) {
		if (s->stop_step != S_COMMANDS)
			stop_next(s);
		return;
	}
	if (s->control_pid > 0)
		kill_service(s, SIGKILL, true);
	s->control_pid = 0;
	ended(s, !is_clean(status), ending(status));
}

bool services_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < service_count; i++) {
		struct service *s = &services[i];
		if (pid == s->control_pid) {
			control_exited(s, status);
			return true;
		}
		if (pid == s->main_pid) {
			main_exited(s, status);
			return true;
		}
	}
	return false;
}

/* ---- notifications ---- */

static void open_notify_socket(void)
{
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (notify_fd < 0) {
		say("notify socket: socket(AF_UNIX, SOCK_DGRAM): %s; Type=notify services cannot say READY=1",
		    reason(errno));
		return;
	}
	int on = 1;
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	socklen_t length = sizeof(sa_family_t); /* autobind: the kernel picks a free abstract name */
	if (setsockopt(notify_fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0
	    || bind(notify_fd, (struct sockaddr *)&address, length) != 0
	    || getsockname(notify_fd, (struct sockaddr *)&address, &(socklen_t){ sizeof address }) != 0) {
		say("notify socket: setsockopt, bind or getsockname: %s; Type=notify services cannot say READY=1",
		    reason(errno));
		close(notify_fd);
		notify_fd = -1;
		return;
	}
	/* The name is "\0" and five hex digits; NOTIFY_SOCKET writes the NUL as "@". */
	snprintf(notify_name, sizeof notify_name, "@%.5s", address.sun_path + 1);
	/* SIGIO wakes pid 1's wait (it is blocked, so it queues) when a datagram comes. */
	if (fcntl(notify_fd, F_SETOWN, getpid()) != 0 || fcntl(notify_fd, F_SETFL, O_ASYNC | O_NONBLOCK) != 0)
		say("notify socket: fcntl O_ASYNC: %s; READY=1 is seen within a second", reason(errno));
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void read_notifications(void)
{
	if (notify_fd < 0)
		return;
	for (;;) {
		char text[1024]; /* READY=1, MAINPID=: a longer STATUS= is cut (MSG_TRUNC), which is harmless */
		union {
			struct cmsghdr header;
			char space[CMSG_SPACE(sizeof(struct ucred))];
		} control;
		struct iovec io = { text, sizeof text - 1 };
		struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = &control,
					  .msg_controllen = sizeof control };
		ssize_t n = recvmsg(notify_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return; /* EAGAIN: none left */
		text[n] = '\0';
		struct cmsghdr *c = CMSG_FIRSTHDR(&message);
		if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS)
			continue;
		struct ucred credentials;
		memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
		pid_t sender = credentials.pid;
		for (size_t i = 0; i < service_count; i++) {
			struct service *s = &services[i];
			bool main = sender > 0 && sender == s->main_pid;
			bool member = s->notify_all && sender > 0 && s->group > 1 && getsid(sender) == s->group;
			if (!s->unit || s->type != T_NOTIFY || !(main || member))
				continue;
			char *mainpid = strstr(text, "MAINPID=");
			if (mainpid != NULL && (mainpid == text || mainpid[-1] == '\n')) {
				long pid = strtol(mainpid + 8, NULL, 10);
				if (pid > 1 && pid < 0x3fffffff && kill((pid_t)pid, 0) == 0)
					s->main_pid = (pid_t)pid;
			}
			if (has_line(text, "READY=1") && s->phase == P_START) {
				s->phase = P_POST;
				s->index = 0;
				run_next(s);
			}
			break;
		}
	}
}

/* ---- the loop's calls ---- */

void services_begin(int status_fd, int ready_fd, const sigset_t *original)
{
	status_out = status_fd;
	ready_out = ready_fd;
	service_mask = *original;
	sigemptyset(&child_mask);
	sigaddset(&child_mask, SIGCHLD);
	for (size_t i = 0; i < service_count; i++)
		if (services[i].unit && services[i].type == T_NOTIFY && notify_fd < 0)
			open_notify_socket();
	cursor = 0;
	services_tick(0);
}

bool services_any(void)
{
	return service_count > 0;
}

bool services_settled(void)
{
	return cursor >= service_count;
}

bool services_supervising(void)
{
	for (size_t i = 0; i < service_count; i++) {
		const struct service *s = &services[i];
		if ((supervised(s) && s->phase != P_DONE && s->phase != P_IDLE) || s->phase == P_STOPPING)
			return true;
	}
	return false;
}

void services_hold(void)
{
	if (holding)
		return;
	holding = true;
	say("the host stops the services: none is restarted from now on");
	for (size_t i = 0; i < service_count; i++)
		if (services[i].phase == P_RESTART_WAIT) {
			tell(&services[i], "stopped (while waiting to restart; restarts %d)", services[i].restarts);
			services[i].phase = P_DONE;
		}
}

long services_tick(long cap)
{
	read_notifications();
	read_control();
	long now = now_millis();
	long next = cap;
	for (size_t i = 0; i < service_count; i++) {
		struct service *s = &services[i];
		if (s->phase == P_RESTART_WAIT && now >= s->deadline && !holding) {
			begin_start(s);
		} else if (s->phase == P_PIDFILE) {
			s->main_pid = read_pidfile(s);
			if (s->main_pid > 0) {
				s->phase = P_POST;
				s->index = 0;
				run_next(s);
			} else if (next > PIDFILE_POLL_MILLIS) {
				next = PIDFILE_POLL_MILLIS;
			}
		}
		if (s->deadline > 0 && s->phase >= P_PRE && s->phase <= P_POST && now >= s->deadline)
			start_timed_out(s);
		else if (s->deadline > 0 && s->phase == P_STOPPING && now >= s->deadline)
			stop_timed_out(s);
	}
	/* START's order: the next start begins when the one before has started or failed. */
	while (cursor < service_count && !shutting_down) {
		struct service *s = &services[cursor];
		if (s->phase == P_IDLE)
			begin_start(s);
		if (!s->settled)
			break;
		cursor++;
	}
	if (cursor >= service_count && ready_out >= 0) {
		close(ready_out); /* the boot's wait ends */
		ready_out = -1;
	}
	now = now_millis();
	for (size_t i = 0; i < service_count; i++) {
		const struct service *s = &services[i];
		if (s->deadline > 0 && s->phase != P_DONE && s->deadline - now < next)
			next = s->deadline - now < 0 ? 0 : s->deadline - now;
	}
	return next;
}

/* Reaps every child that has ended, giving each to its service. */
static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		services_reaped(pid, status);
}

/* ---- the stop ---- */

static bool quiet(const struct service *s)
{
	return s->main_pid <= 0 && s->control_pid <= 0;
}

static bool supervised(const struct service *s)
{
	return s->unit || s->pidfile != NULL; /* an init.d script with SUPERVISE= */
}

/* A start that the host asked for, now: the restarts before it do not count against it. */
static void start_again(struct service *s)
{
	s->start_count = 0;
	s->phase = P_DONE;
	s->deadline = 0;
	tell(s, "starting");
	begin_start(s);
}

static void stop_done(struct service *s)
{
	s->main_pid = s->control_pid = 0;
	s->phase = P_DONE;
	s->deadline = 0;
	s->up = false;
	settle(s, "stopped"); /* a start that the stop cut off: the next service has its turn */
	if (s->stop_status >= 0)
		tell(s, "stopped (its stop: %s)", ending(s->stop_status));
	else if (supervised(s))
		tell(s, "stopped (restarts %d)", s->restarts);
	else
		tell(s, "stopped");
	if (s->start_after_stop) {
		s->start_after_stop = false;
		if (shutting_down) {
			if (s->request != 0)
				answer(s->request, "! %s: the subhost is stopping; not started again", s->name);
			s->request = 0;
			return;
		}
		start_again(s);
	}
}

/* SIGKILL to whatever of the stop is left, then a second for it to end. */
static void stop_timed_out(struct service *s)
{
	if (s->stop_step == S_KILLED) {
		say("service %s: a process of it outlived SIGKILL by a second; left to the end", s->name);
		stop_done(s);
		return;
	}
	say("service %s: still running after its stop time; SIGKILL", s->name);
	if (s->control_pid > 0) {
		kill_group(s->control_pid, SIGKILL);
		kill(s->control_pid, SIGKILL);
	}
	if (s->kill_mode == K_PROCESS && s->main_pid > 0)
		kill(s->main_pid, SIGKILL);
	else if (s->kill_mode != K_NONE && s->kill_mode != K_PROCESS)
		kill_service(s, SIGKILL, true);
	s->stop_step = S_KILLED;
	s->deadline = now_millis() + 1000;
	if (quiet(s))
		stop_done(s);
}

/* Takes the stop as far as it goes without waiting: each command, then the signals. */
static void stop_next(struct service *s)
{
	for (;;) {
		switch (s->stop_step) {
		case S_COMMANDS:
			if (s->index < s->counts[CMD_STOP] && now_millis() < s->deadline) {
				pid_t pid = launch(s, &s->commands[CMD_STOP][s->index], true);
				if (pid > 0) {
					s->control_pid = pid;
					return; /* its exit says */
				}
			}
			s->stop_step = S_SIGNAL;
			continue;
		case S_SIGNAL:
			if (s->kill_mode == K_NONE) {
				stop_done(s);
				return;
			}
			kill_service(s, s->kill_signal, s->kill_mode == K_CONTROL_GROUP);
			if (s->kill_signal != SIGKILL && s->kill_signal != SIGCONT)
				kill_service(s, SIGCONT, s->kill_mode == K_CONTROL_GROUP);
			s->stop_step = S_WAIT;
			continue;
		case S_WAIT:
			if (!quiet(s))
				return; /* its end, or the deadline, says */
			/* What is left of its process groups (a daemon's helpers) goes now. */
			if (s->kill_mode != K_PROCESS)
				kill_service(s, SIGKILL, true);
			s->stop_step = S_KILLED;
			s->deadline = now_millis() + 1000;
			continue;
		case S_KILLED:
			if (quiet(s))
				stop_done(s);
			return;
		}
	}
}

/*
 * Begins the stop of `s`, to be done by `deadline` (CLOCK_MONOTONIC milliseconds; 0: its
 * own TimeoutStopSec= alone). A service with nothing to stop is told so at once: a unit
 * that is not running, an init.d script whose start has not run since its last stop.
 */
static void begin_stop(struct service *s, long deadline)
{
	enum phase was = s->phase;
	if (was == P_STOPPING)
		return;
	if (was == P_RESTART_WAIT) {
		s->phase = P_DONE;
		s->deadline = 0;
		tell(s, "stopped (while waiting to restart; restarts %d)", s->restarts);
		return;
	}
	if (was == P_IDLE || (was == P_DONE && (supervised(s) || !s->up))) {
		if (s->request != 0 && !s->start_after_stop) {
			answer(s->request, "%s %s", s->name, s->last ? s->last : "unknown");
			s->request = 0;
		}
		if (s->start_after_stop) {
			s->start_after_stop = false;
			start_again(s);
		}
		return;
	}
	s->phase = P_STOPPING;
	tell(s, "stopping");
	long now = now_millis();
	s->deadline = s->stop_millis > 0 ? now + s->stop_millis : now + 90000;
	if (deadline > 0 && deadline < s->deadline)
		s->deadline = deadline;
	s->stop_step = S_COMMANDS;
	s->stop_status = -1;
	s->index = 0;
	if (s->control_pid > 0) {
		/* A start still under way: killed, and its end no step of the stop's (pid 1 reaps it). */
		kill_service(s, SIGKILL, false);
		s->control_pid = 0;
	}
	stop_next(s);
}

void services_stop_all(const sigset_t *blocked, long deadline)
{
	holding = true;
	shutting_down = true;
	for (size_t i = service_count; i-- > 0;) {
		struct service *s = &services[i];
		bool work = (s->phase != P_DONE && s->phase != P_IDLE) || (s->phase == P_DONE && !supervised(s) && s->up);
		if (work && now_millis() >= deadline) {
			/* The grace is over: pid 1's SIGKILL to every process follows at once. */
			s->main_pid = s->control_pid = 0;
			s->phase = P_DONE;
			s->deadline = 0;
			s->up = s->start_after_stop = false;
			tell(s, "stopped (the grace was over: SIGKILL with every process)");
			continue;
		}
		if (s->phase == P_STOPPING && s->deadline > deadline)
			s->deadline = deadline; /* a stop that the host asked for is under way */
		begin_stop(s, deadline);
		while (s->phase == P_STOPPING) {
			reap();
			long wait = services_tick(100);
			if (s->phase != P_STOPPING)
				break;
			wait_for_signal(blocked, wait < 1 ? 1 : wait); /* further TERMs change nothing */
		}
	}
}

/* ---- the host's requests ---- */

void services_control_open(int number)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		say("control channel: socketpair(AF_UNIX, SOCK_SEQPACKET): %s; the host cannot start or stop a service",
		    reason(errno));
		return;
	}
	/* The host's end where the host looks for it (pidfd_getfd), and nowhere else. */
	if (fcntl(number, F_GETFD) >= 0 || dup3(pair[1], number, O_CLOEXEC) < 0) {
		say("control channel: fd %d is taken or dup3 fails; the host cannot start or stop a service", number);
		close(pair[0]);
		close(pair[1]);
		return;
	}
	close(pair[1]);
	control_fd = pair[0];
	/* SIGIO wakes pid 1's wait (it is blocked, so it queues) when a request comes. */
	if (fcntl(control_fd, F_SETOWN, getpid()) != 0 || fcntl(control_fd, F_SETFL, O_ASYNC | O_NONBLOCK) != 0)
		say("control channel: fcntl O_ASYNC: %s; a request is seen within a second", reason(errno));
}

/* A start that the host asked for: run it again unless it runs (a unit, a supervised script). */
static void request_start(struct service *s)
{
	switch (s->phase) {
	case P_STOPPING:
		s->start_after_stop = true; /* after the stop under way */
		return;
	case P_PRE:
	case P_START:
	case P_PIDFILE:
	case P_POST:
		return; /* its start is under way: its outcome answers */
	case P_RUNNING:
		answer(s->request, "%s %s", s->name, s->last ? s->last : "unknown");
		s->request = 0;
		return;
	default:
		/* Ended, or waiting to restart; an init.d script's start runs again in any case,
		 * since its daemon may have died since. */
		start_again(s);
	}
}

/* One request "ID VERB NAME" of the host. */
static void request(char *text)
{
	char *end;
	unsigned long id = strtoul(text, &end, 10);
	if (end == text || *end != ' ' || id == 0)
		return; /* no ID to answer to: only the host writes here, and it always gives one */
	char *verb = end + 1;
	char *name = strchr(verb, ' ');
	if (name == NULL) {
		answer(id, "! a request is ID VERB NAME");
		return;
	}
	*name++ = '\0';
	struct service *s = NULL;
	for (size_t i = 0; i < service_count && s == NULL; i++)
		if (strcmp(services[i].name, name) == 0)
			s = &services[i];
	bool start = strcmp(verb, "start") == 0, stop = strcmp(verb, "stop") == 0;
	bool restart = strcmp(verb, "restart") == 0;
	if (!start && !stop && !restart)
		answer(id, "! %s: no such request (start, stop, restart)", verb);
	else if (s == NULL)
		answer(id, "! %s is no START service", name);
	else if (shutting_down)
		answer(id, "! %s: the subhost is stopping", name);
	else if (s->phase == P_IDLE)
		answer(id, "! %s has not had its turn in START yet", name);
	else if (s->request != 0)
		answer(id, "! %s: another request is under way", name);
	else if (start) {
		s->request = id;
		request_start(s);
	} else {
		s->request = id;
		s->start_after_stop = restart;
		if (s->phase == P_STOPPING && !restart)
			return; /* its stop's end answers */
		begin_stop(s, 0);
	}
}

static void read_control(void)
{
	for (int i = 0; control_fd >= 0 && i < 16; i++) { /* a few at a time: the services come first */
		char text[512];
		ssize_t n = recv(control_fd, text, sizeof text - 1, MSG_DONTWAIT);
		if (n <= 0)
			return; /* EAGAIN: none left */
		text[n] = '\0';
		request(text);
	}
}

int services_test_main(int status_fd)
{
	sigset_t blocked, original;
	sigfillset(&blocked);
	sigprocmask(SIG_SETMASK, &blocked, &original);
	/* Like pid 1: the orphans of the services come back here. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (status_fd >= 0)
		fcntl(status_fd, F_SETFD, FD_CLOEXEC);
	services_begin(status_fd, -1, &original);
	for (;;) {
		reap();
		long wait = services_tick(1000);
		if (services_settled() && !services_supervising() && control_fd < 0)
			break;
		int sig = wait_for_signal(&blocked, wait);
		if (sig == SIGUSR2)
			services_hold();
		if (sig == SIGTERM || sig == SIGINT) {
			services_stop_all(&blocked, now_millis() + 10000);
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &original, NULL);
	return 0;
}
