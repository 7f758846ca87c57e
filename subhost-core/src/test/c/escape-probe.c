/*
 * escape-probe: tries, harmlessly, each way a subhost's root could act on the whole host
 * (docs/security.md), and prints one line per way:
 *
 *   WAY open|blocked|absent DETAIL
 *
 * "open" means the call got past every check that guards it (proven by a harmless answer:
 * a bad argument's EINVAL, EBADF or E2BIG, a read, an open for writing without a write);
 * "blocked" means EPERM, EACCES or EROFS, or an empty masked file; "absent" means this
 * kernel or machine lacks the thing (ENOENT, ENOSYS, EPROTONOSUPPORT), so the way cannot
 * be taken here at all.
 *
 *   escape-probe [--host] [--out FILE] HANDLE_FILE [start]
 *
 * HANDLE_FILE is a file on a host filesystem (a SHARE inside a subhost) for the
 * open_by_handle_at way. --host: run on the host for the baseline, in a mount namespace of
 * its own (so that its test mounts never touch the host's). --out: print to FILE (as a
 * START service, whose output goes to LOG). Nothing is written, loaded or changed: files
 * are opened for writing and closed, mounts are made in the subhost's (or the probe's own)
 * mount namespace and unmounted, a device node is made and removed at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/fs.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <sys/timex.h>
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static FILE *out;

static const char *verdict(int error)
{
	switch (error) {
	case EPERM:
	case EACCES:
	case EROFS:
		return "blocked";
	case ENOENT:
	case ENOSYS:
	case EPROTONOSUPPORT:
	case ENODEV:
		return "absent";
	default:
		return "open";
	}
}

/* A call's result: 0 or a harmless errno is "open", EPERM & co "blocked". */
static void report(const char *way, long rc, int error, const char *call)
{
	if (rc >= 0)
		fprintf(out, "%s open %s succeeded\n", way, call);
	else
		fprintf(out, "%s %s %s: %s\n", way, verdict(error), call, strerror(error));
}

/* Opening for writing checks the permission; nothing is written. */
static void open_for_writing(const char *way, const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int error = errno;
	if (fd >= 0)
		close(fd);
	char call[256];
	snprintf(call, sizeof call, "open(%s, O_WRONLY)", path);
	report(way, fd, error, call);
}

/* A masked file reads empty; the real one has content. */
static void read_secret(const char *way, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int error = errno;
		fprintf(out, "%s %s open(%s): %s\n", way, verdict(error), path, strerror(error));
		return;
	}
	char buffer[64];
	ssize_t n = read(fd, buffer, sizeof buffer);
	int error = errno;
	close(fd);
	if (n < 0)
		fprintf(out, "%s %s read(%s): %s\n", way, verdict(error), path, strerror(error));
	else if (n == 0)
		fprintf(out, "%s blocked %s reads empty (masked)\n", way, path);
	else
		fprintf(out, "%s open %s reads %zd bytes\n", way, path, n);
}

static void probe_module(void)
{
	/* CAP_SYS_MODULE is checked before the descriptor: EBADF means the load could go on. */
	long rc = syscall(SYS_finit_module, -1, "", 0);
	report("module", rc, errno, "finit_module(-1)");
}

static void probe_kexec(void)
{
	/* The capability and lockdown come before the segment count: EINVAL means past them. */
	long rc = syscall(SYS_kexec_load, 0UL, 17UL /* > KEXEC_SEGMENT_MAX */, NULL, 0UL);
	report("kexec", rc, errno, "kexec_load(17 segments)");
}

static void probe_clock(void)
{
	/* CAP_SYS_TIME is checked for any mode, before the tick's range: EINVAL means past it. */
	struct timex t = { 0 };
	t.modes = ADJ_TICK;
	t.tick = 0;
	long rc = syscall(SYS_adjtimex, &t);
	report("clock", rc, errno, "adjtimex(ADJ_TICK, tick 0)");
}

static void probe_swap(const char *file)
{
	/* CAP_SYS_ADMIN is checked first; then the file (no swap area) is not found among the
	 * host's swaps: EINVAL means swapoff (and swapon, its twin) would act on the host's swap. */
	long rc = swapoff(file);
	report("swap", rc, errno, "swapoff(a regular file)");
}

static void probe_kernel_log(void)
{
	long rc = syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	report("kernel-log", rc, errno, "syslog(SIZE_BUFFER)");
}

static void probe_raw_io(const char *file)
{
	/* FIBMAP asks CAP_SYS_RAWIO before anything else. */
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "raw-io absent open(%s): %s\n", file, strerror(errno));
		return;
	}
	int block = 0;
	long rc = ioctl(fd, FIBMAP, &block);
	int error = errno;
	close(fd);
	report("raw-io", rc, error, "ioctl(FIBMAP)");
}

static void probe_audit(void)
{
	/* Reading the audit log: joining its multicast group needs CAP_AUDIT_READ. */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) {
		report("audit", fd, errno, "socket(NETLINK_AUDIT)");
		return;
	}
	struct sockaddr_nl address = { .nl_family = AF_NETLINK, .nl_groups = 1 /* AUDIT_NLGRP_READLOG */ };
	long rc = bind(fd, (struct sockaddr *)&address, sizeof address);
	int error = errno;
	close(fd);
	report("audit", rc, error, "bind(NETLINK_AUDIT, AUDIT_NLGRP_READLOG)");
}

static void probe_bpf(void)
{
	/* Without CAP_BPF (and with unprivileged BPF off) EPERM; past it, no instructions: E2BIG
	 * or EINVAL. Nothing is loaded. */
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insn_cnt = 0;
	long rc = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	int error = errno;
	if (rc >= 0)
		close((int)rc);
	report("bpf", rc, error, "bpf(BPF_PROG_LOAD, no instructions)");
}

static void probe_keyring(void)
{
	long rc = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
	report("keyring", rc, errno, "keyctl(GET_KEYRING_ID, user keyring)");
}

static void probe_handle(const char *file)
{
	/* The "shocker" way: a handle of a file on a host filesystem, opened past the mounts. */
	struct {
		struct file_handle handle;
		unsigned char bytes[128];
	} h;
	h.handle.handle_bytes = sizeof h.bytes;
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, file, &h.handle, &mount_id, 0) != 0) {
		int error = errno;
		fprintf(out, "handle %s name_to_handle_at(%s): %s\n", error == EOPNOTSUPP ? "absent" : verdict(error),
			file, strerror(error));
		return;
	}
	int mount_fd = open(file, O_RDONLY | O_CLOEXEC);
	if (mount_fd < 0) {
		fprintf(out, "handle absent open(%s): %s\n", file, strerror(errno));
		return;
	}
	int fd = open_by_handle_at(mount_fd, &h.handle, O_RDONLY | O_CLOEXEC);
	int error = errno;
	if (fd >= 0)
		close(fd);
	close(mount_fd);
	report("handle", fd, error, "open_by_handle_at(O_RDONLY)");
}

/* Mounts a fresh filesystem of `type` on a directory of our own, then unmounts it. */
static void probe_fresh_mount(const char *way, const char *type, const char *dir, const char *writable)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(out, "%s absent mkdir(%s): %s\n", way, dir, strerror(errno));
		return;
	}
	if (mount(type, dir, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		int error = errno;
		fprintf(out, "%s %s mount -t %s: %s\n", way, verdict(error), type, strerror(error));
		rmdir(dir);
		return;
	}
	/* Through the fresh mount, the file that the confinement made read-only. */
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, writable);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int error = errno;
	if (fd >= 0)
		close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	if (fd >= 0)
		fprintf(out, "%s open mount -t %s, then open(%s, O_WRONLY) succeeded\n", way, type, writable);
	else
		fprintf(out, "%s open mount -t %s succeeded (open %s: %s)\n", way, type, writable, strerror(error));
}

/* One field of /proc/PID/status ("Seccomp", "CapEff") as a number; false when it is missing. */
static bool status_field(const char *pid, const char *field, int base, uint64_t *value)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%s/status", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	bool found = false;
	size_t length = strlen(field);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, field, length) == 0 && line[length] == ':') {
			*value = strtoull(line + length + 1, NULL, base);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * A process that another one of the same root could take over (ptrace, /proc/PID/mem) to
 * act beyond its own confinement: one without the system call filter, or with a capability
 * the probe lacks (the console relay of an init system was both, forked before the
 * confinement). Every process the probe can see is looked at; its own pid namespace hides
 * the host's.
 */
static void probe_unconfined(void)
{
	uint64_t own_caps = 0;
	if (!status_field("self", "CapEff", 16, &own_caps)) {
		fprintf(out, "unconfined absent /proc/self/status has no CapEff\n");
		return;
	}
	DIR *proc = opendir("/proc");
	if (proc == NULL) {
		fprintf(out, "unconfined absent opendir(/proc): %s\n", strerror(errno));
		return;
	}
	char self[16];
	snprintf(self, sizeof self, "%d", (int)getpid());
	int seen = 0;
	struct dirent *entry;
	while ((entry = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)entry->d_name[0]) || strcmp(entry->d_name, self) == 0)
			continue;
		uint64_t seccomp, caps;
		if (!status_field(entry->d_name, "Seccomp", 10, &seccomp) ||
		    !status_field(entry->d_name, "CapEff", 16, &caps))
			continue; /* ended meanwhile, or a kernel thread's */
		seen++;
		if (seccomp == 0 || (caps & ~own_caps) != 0) {
			fprintf(out, "unconfined open pid %s has Seccomp %" PRIu64 ", CapEff %016" PRIx64
				" (ours %016" PRIx64 ")\n", entry->d_name, seccomp, caps, own_caps);
			closedir(proc);
			return;
		}
	}
	closedir(proc);
	fprintf(out, "unconfined blocked each of %d other processes has the filter and no capability beyond ours\n",
		seen);
}

static void probe_mknod(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/escape-probe-blk", dir);
	unlink(path);
	long rc = mknod(path, S_IFBLK | 0600, makedev(7, 0)); /* a loop device's number: never opened */
	int error = errno;
	if (rc == 0)
		unlink(path);
	report("mknod", rc, error, "mknod(block 7:0)");
}

int main(int argc, char **argv)
{
	bool host = false;
	const char *file = NULL;
	const char *output = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host") == 0)
			host = true;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			output = argv[++i];
		else if (strcmp(argv[i], "start") == 0)
			continue; /* as a START service: SCRIPT start */
		else
			file = argv[i];
	}
	if (file == NULL) {
		fprintf(stderr, "usage: escape-probe [--host] [--out FILE] HANDLE_FILE [start]\n");
		return 2;
	}
	out = stdout;
	if (output && (out = fopen(output, "we")) == NULL) {
		perror(output);
		return 1;
	}
	const char *scratch = "/tmp";
	if (host) {
		/* The host's own mounts are never touched: a private mount namespace for ours. */
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
			perror("unshare(CLONE_NEWNS)");
			return 1;
		}
	} else {
		mkdir(scratch, 01777);
	}
	char proc_dir[128], sys_dir[128];
	snprintf(proc_dir, sizeof proc_dir, "%s/escape-probe-proc.%d", scratch, (int)getpid());
	snprintf(sys_dir, sizeof sys_dir, "%s/escape-probe-sys.%d", scratch, (int)getpid());

	open_for_writing("core-pattern", "/proc/sys/kernel/core_pattern");
	open_for_writing("sysctl", "/proc/sys/vm/overcommit_memory");
	open_for_writing("sysrq", "/proc/sysrq-trigger");
	open_for_writing("sys-write", "/sys/kernel/mm/transparent_hugepage/enabled");
	read_secret("kallsyms", "/proc/kallsyms");
	read_secret("kcore", "/proc/kcore");
	probe_kernel_log();
	probe_clock();
	probe_module();
	probe_raw_io(file);
	probe_kexec();
	probe_swap(file);
	probe_audit();
	probe_bpf();
	probe_keyring();
	probe_handle(file);
	probe_fresh_mount("fresh-procfs", "proc", proc_dir, "sys/kernel/core_pattern");
	probe_fresh_mount("fresh-sysfs", "sysfs", sys_dir, "kernel/mm/transparent_hugepage/enabled");
	probe_mknod(scratch);
	probe_unconfined();
	fprintf(out, "done\n");
	if (out != stdout)
		fclose(out);
	return 0;
}
