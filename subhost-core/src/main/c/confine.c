/*
 * confine: see confine.h for the API and docs/security.md for what it blocks and why.
 *
 * Built against musl, which ships no kernel headers: the few seccomp, BPF, audit and
 * capability definitions needed are written out below, with their values from the kernel's
 * uapi headers. System call numbers come from the C library's <sys/syscall.h> for the
 * native architecture.
 */
#define _GNU_SOURCE
#include "confine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* linux/filter.h */
struct sock_filter {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};
struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};
#define BPF_LD 0x00
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_W 0x00
#define BPF_ABS 0x20
#define BPF_JEQ 0x10
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_K 0x00

/* linux/seccomp.h */
#define SECCOMP_MODE_FILTER 2
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
/* struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; */
#define DATA_NR 0
#define DATA_ARCH 4
#define DATA_ARG0_LOW 16 /* both architectures are little-endian */

/* linux/audit.h: EM_X86_64, EM_386, EM_AARCH64 with __AUDIT_ARCH_64BIT and _LE */
#define AUDIT_ARCH_X86_64 0xc000003eU
#define AUDIT_ARCH_I386 0x40000003U
#define AUDIT_ARCH_AARCH64 0xc00000b7U
#define X32_SYSCALL_BIT 0x40000000U

/* linux/capability.h */
#define LINUX_CAPABILITY_VERSION_3 0x20080522
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_SYS_MODULE 16
#define CAP_SYS_RAWIO 17
#define CAP_SYS_PTRACE 19
#define CAP_SYS_PACCT 20
#define CAP_SYS_ADMIN 21
#define CAP_SYS_BOOT 22
#define CAP_SYS_TIME 25
#define CAP_SYSLOG 34
#define CAP_PERFMON 38
#define CAP_BPF 39
#define NEVER 0 /* a call refused whatever capabilities are kept */

#ifndef __NR_clone3
#define __NR_clone3 435 /* Linux 5.3, the same number on x86_64 and aarch64 */
#endif

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

int confine_option(struct confinement *confinement, const char *option, const char *value, char *error,
		   size_t size)
{
	bool *flag = NULL;
	if (strcmp(option, "--caps") == 0) {
		char *end;
		errno = 0;
		unsigned long long mask = value ? strtoull(value, &end, 16) : 0;
		if (value == NULL || *value == '\0' || *value == '-' || errno != 0 || *end != '\0')
			return fail(error, size, EINVAL, "--caps (%s) must be a hexadecimal mask of capabilities",
				    value ? value : "missing");
		confinement->caps = mask;
		return 1;
	}
	if (strcmp(option, "--seccomp") == 0)
		flag = &confinement->seccomp;
	else if (strcmp(option, "--files") == 0)
		flag = &confinement->files;
	else
		return 0;
	if (value && strcmp(value, "on") == 0)
		*flag = true;
	else if (value && strcmp(value, "off") == 0)
		*flag = false;
	else
		return fail(error, size, EINVAL, "%s (%s) must be on or off", option, value ? value : "missing");
	return 1;
}

void confine_describe(const struct confinement *confinement, char *text, size_t size)
{
	snprintf(text, size, "--caps %llx --seccomp %s --files %s", (unsigned long long)confinement->caps,
		 confinement->seccomp ? "on" : "off", confinement->files ? "on" : "off");
}

/* ---- the filesystem part ---- */

/* The flags that a remount must repeat, or it would clear them (statvfs's ST_ are MS_). */
static unsigned long mount_flags(const char *path)
{
	struct statvfs info;
	if (statvfs(path, &info) != 0)
		return MS_NOSUID | MS_NODEV | MS_NOEXEC;
	return info.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
}

/* A bind of `path` on itself, then a remount of that bind read-only or read-write: the
 * read-only flag of a bind mount is its own, the filesystem below stays as it was. */
static int bind_self(const char *path, bool read_only, char *error, size_t size)
{
	if (mount(path, path, NULL, MS_BIND, NULL) != 0)
		return fail(error, size, errno, "mount --bind %s %s", path, path);
	unsigned long flags = MS_BIND | MS_REMOUNT | mount_flags(path) | (read_only ? MS_RDONLY : 0);
	if (mount(NULL, path, NULL, flags, NULL) != 0)
		return fail(error, size, errno, "mount -o remount,bind,%s %s", read_only ? "ro" : "rw", path);
	return 0;
}

static bool exists(const char *path)
{
	struct stat info;
	return lstat(path, &info) == 0;
}

/* Host-wide or secret files of /proc and /sys, hidden behind the (read-only) null device as
 * the OCI runtimes' maskedPaths and systemd-nspawn do: reads give nothing, writes EROFS. */
static const char *const masked_files[] = {
	"/proc/kcore",          /* the host's physical memory as an ELF core */
	"/proc/kallsyms",       /* kernel addresses, for exploits */
	"/proc/keys",           /* the keyrings, which are not namespaced */
	"/proc/key-users",
	"/proc/kmsg",           /* the kernel log */
	"/proc/sysrq-trigger",  /* its write checks no capability: one echo reboots the host */
	"/proc/timer_list",     /* the host's timers and processes */
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/latency_stats",
	"/proc/kpagecount",     /* physical page maps */
	"/proc/kpageflags",
	"/proc/kpagecgroup",
	"/proc/config.gz",
};

/* Directories of hardware and firmware state, covered by an empty read-only tmpfs. */
static const char *const masked_dirs[] = {
	"/proc/acpi", "/proc/asound", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};

/* Directories of host-wide settings, made read-only (/proc/sys apart: see below). */
static const char *const read_only_dirs[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/driver",
};

static int mask_file(const char *path, char *error, size_t size)
{
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0)
		return fail(error, size, errno, "mount --bind /dev/null %s", path);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) != 0)
		return fail(error, size, errno, "mount -o remount,bind,ro %s", path);
	return 0;
}

static int mask_dir(const char *path, char *error, size_t size)
{
	if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=555,size=0") != 0)
		return fail(error, size, errno, "mount -t tmpfs -o ro tmpfs %s", path);
	return 0;
}

/* Whether `path` is the root of a mount: its device differs from its parent's. */
static bool is_mount_point(const char *path, const char *parent)
{
	struct stat self, above;
	return stat(path, &self) == 0 && stat(parent, &above) == 0 && self.st_dev != above.st_dev;
}

int confine_files(const struct confinement *confinement, char *error, size_t size)
{
	if (!confinement->files)
		return 0;
	int rc;
	/* The masks are binds of /dev/null: it must be the null device, not a file or a link
	 * that the subhost's layers put there. */
	struct stat null;
	if (stat("/dev/null", &null) != 0 || !S_ISCHR(null.st_mode) || null.st_rdev != makedev(1, 3))
		return fail(error, size, ENODEV,
			    "/dev/null is missing or not the null device (1:3): cannot mask /proc's kernel files");
	/* /proc/sys read-only but its net part, which belongs to the subhost's own network
	 * namespace. A bind copies the read-only flag of its source: so net is bound after
	 * the read-only bind of /proc/sys, then remounted read-write on its own. */
	if (exists("/proc/sys")) {
		if ((rc = bind_self("/proc/sys", true, error, size)) != 0)
			return rc;
		if (exists("/proc/sys/net") && (rc = bind_self("/proc/sys/net", false, error, size)) != 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof read_only_dirs / sizeof *read_only_dirs; i++)
		if (exists(read_only_dirs[i]) && (rc = bind_self(read_only_dirs[i], true, error, size)) != 0)
			return rc;
	for (size_t i = 0; i < sizeof masked_files / sizeof *masked_files; i++)
		if (exists(masked_files[i]) && (rc = mask_file(masked_files[i], error, size)) != 0)
			return rc;
	for (size_t i = 0; i < sizeof masked_dirs / sizeof *masked_dirs; i++)
		if (exists(masked_dirs[i]) && (rc = mask_dir(masked_dirs[i], error, size)) != 0)
			return rc;
	/* The host's console (5:1), which a POSTMOUNT of the user's may have made: the
	 * subhost would read what is typed there and could show a fake login. */
	struct stat console;
	if (stat("/dev/console", &console) == 0 && S_ISCHR(console.st_mode) && console.st_rdev == makedev(5, 1)
	    && (rc = mask_file("/dev/console", error, size)) != 0)
		return rc;
	/* /sys read-only, when a sysfs is mounted there (the built-in POSTMOUNT mounts one). */
	if (is_mount_point("/sys", "/")) {
		unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags("/sys");
		if (mount(NULL, "/sys", NULL, flags, NULL) != 0)
			return fail(error, size, errno, "mount -o remount,bind,ro /sys");
	}
	return 0;
}

/* ---- the system call filter ---- */

/* A call refused with EPERM unless one of `unless` (capability bits) is kept: so that
 * CAPABILITIES=+sys_time really lets an NTP server set the clock, as in systemd-nspawn. */
struct refusal {
	long nr;
	uint64_t unless;
};

#define REFUSE(name, unless) { __NR_##name, unless }
#define C CONFINE_CAP

/* Refused at every level but all: calls whose capability the admin level keeps for the
 * subhost's own use (SYS_BOOT for reboot(2), which ends its pid namespace; SYS_ADMIN for
 * mounts), while the call itself acts on the whole host (a new kernel, the host's swap). */
#define ALL_ONLY CONFINE_LEVEL_ALL

/* The native architecture's calls (systemd-nspawn's and Docker's default lists, where a
 * call acts on the whole host and no service of a subhost needs it). A call gated on a
 * capability passes only where that capability is kept, which no level but all does
 * unless the .conf names it (+sys_time for an NTP server, +sys_module). */
static const struct refusal native_refusals[] = {
	REFUSE(kexec_load, ALL_ONLY),
#ifdef __NR_kexec_file_load
	REFUSE(kexec_file_load, ALL_ONLY),
#endif
	REFUSE(init_module, C(CAP_SYS_MODULE)),
	REFUSE(finit_module, C(CAP_SYS_MODULE)),
	REFUSE(delete_module, C(CAP_SYS_MODULE)),
#ifdef __NR_create_module
	REFUSE(create_module, C(CAP_SYS_MODULE)),
	REFUSE(query_module, C(CAP_SYS_MODULE)),
	REFUSE(get_kernel_syms, C(CAP_SYS_MODULE)),
#endif
	REFUSE(swapon, ALL_ONLY),
	REFUSE(swapoff, ALL_ONLY),
	REFUSE(acct, C(CAP_SYS_PACCT)),
	/* The keyrings are not namespaced: a subhost would read and change the host's. */
	REFUSE(add_key, NEVER),
	REFUSE(request_key, NEVER),
	REFUSE(keyctl, NEVER),
	/* The "shocker" escape: a handle opens any inode of a filesystem past the overlay. */
	REFUSE(open_by_handle_at, NEVER),
#ifdef __NR_iopl
	REFUSE(iopl, C(CAP_SYS_RAWIO)),
	REFUSE(ioperm, C(CAP_SYS_RAWIO)),
#endif
	REFUSE(clock_settime, C(CAP_SYS_TIME)),
	REFUSE(settimeofday, C(CAP_SYS_TIME)),
	REFUSE(adjtimex, C(CAP_SYS_TIME)),
	REFUSE(clock_adjtime, C(CAP_SYS_TIME)),
	REFUSE(syslog, C(CAP_SYSLOG)),
	REFUSE(bpf, C(CAP_BPF)), /* not SYS_ADMIN: the admin level must ask for it */
	REFUSE(perf_event_open, C(CAP_PERFMON)),
	/* A helper of kernel exploits (it stalls the kernel inside a copy); no service needs it. */
	REFUSE(userfaultfd, NEVER),
#ifdef __NR_lookup_dcookie
	REFUSE(lookup_dcookie, C(CAP_SYS_ADMIN)),
#endif
#ifdef __NR_uselib
	REFUSE(uselib, NEVER),
#endif
#ifdef __NR_ustat
	REFUSE(ustat, NEVER),
#endif
#ifdef __NR_sysfs
	REFUSE(sysfs, NEVER),
#endif
#ifdef __NR__sysctl
	REFUSE(_sysctl, NEVER),
#endif
#ifdef __NR_nfsservctl
	REFUSE(nfsservctl, NEVER),
#endif
};

#ifdef __x86_64__
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
/* 32-bit programs on an x86_64 host enter by int 0x80 with i386 numbers (from the
 * kernel's arch/x86/entry/syscalls/syscall_32.tbl), which the native list does not catch. */
static const struct refusal i386_refusals[] = {
	{283, ALL_ONLY} /* kexec_load */,
	{128, C(CAP_SYS_MODULE)} /* init_module */, {350, C(CAP_SYS_MODULE)} /* finit_module */,
	{129, C(CAP_SYS_MODULE)} /* delete_module */, {127, C(CAP_SYS_MODULE)} /* create_module */,
	{167, C(CAP_SYS_MODULE)} /* query_module */, {130, C(CAP_SYS_MODULE)} /* get_kernel_syms */,
	{87, ALL_ONLY} /* swapon */, {115, ALL_ONLY} /* swapoff */,
	{51, C(CAP_SYS_PACCT)} /* acct */,
	{286, NEVER} /* add_key */, {287, NEVER} /* request_key */, {288, NEVER} /* keyctl */,
	{342, NEVER} /* open_by_handle_at */,
	{110, C(CAP_SYS_RAWIO)} /* iopl */, {101, C(CAP_SYS_RAWIO)} /* ioperm */,
	{264, C(CAP_SYS_TIME)} /* clock_settime */, {404, C(CAP_SYS_TIME)} /* clock_settime64 */,
	{79, C(CAP_SYS_TIME)} /* settimeofday */, {25, C(CAP_SYS_TIME)} /* stime */,
	{124, C(CAP_SYS_TIME)} /* adjtimex */, {343, C(CAP_SYS_TIME)} /* clock_adjtime */,
	{405, C(CAP_SYS_TIME)} /* clock_adjtime64 */,
	{103, C(CAP_SYSLOG)} /* syslog */,
	{357, C(CAP_BPF)} /* bpf */,
	{336, C(CAP_PERFMON)} /* perf_event_open */,
	{374, NEVER} /* userfaultfd */,
	{253, C(CAP_SYS_ADMIN)} /* lookup_dcookie */,
	{166, NEVER} /* vm86 */, {113, NEVER} /* vm86old */, {86, NEVER} /* uselib */,
	{62, NEVER} /* ustat */, {135, NEVER} /* sysfs */, {149, NEVER} /* _sysctl */,
	{169, NEVER} /* nfsservctl */,
};
#define I386_UNSHARE 310
#define I386_CLONE 120
#define I386_CLONE3 435
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "confine.c knows the system calls of x86_64 and aarch64 only"
#endif

#undef C

struct program {
	struct sock_filter code[256];
	size_t length;
	bool overflow;
};

static void emit(struct program *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->length == sizeof p->code / sizeof *p->code) {
		p->overflow = true;
		return;
	}
	p->code[p->length++] = (struct sock_filter){ code, jt, jf, k };
}

static void refuse_if(struct program *p, uint32_t nr, uint32_t action)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, nr);
	emit(p, BPF_RET | BPF_K, 0, 0, action);
}

/* unshare and clone with CLONE_NEWUSER: a user namespace gives its creator every
 * capability over it and opens much of the kernel to it; refused unless SYS_ADMIN is kept.
 * The accumulator holds nr on entry and on the way out. */
static void refuse_new_user_ns(struct program *p, uint32_t nr)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, DATA_ARG0_LOW);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, CLONE_NEWUSER);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | EPERM);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static void refusals(struct program *p, const struct refusal *list, size_t count, uint64_t caps)
{
	for (size_t i = 0; i < count; i++)
		if ((list[i].unless & caps) == 0)
			refuse_if(p, (uint32_t)list[i].nr, SECCOMP_RET_ERRNO | EPERM);
}

/* One architecture's part: the accumulator holds nr. clone3 passes its flags in a struct
 * that a filter cannot read, so it answers ENOSYS, on which the C libraries use clone. */
static void arch_part(struct program *p, const struct refusal *list, size_t count, uint64_t caps, uint32_t unshare,
		      uint32_t clone, uint32_t clone3)
{
	refusals(p, list, count, caps);
	if ((caps & CONFINE_CAP(CAP_SYS_ADMIN)) == 0) {
		refuse_if(p, clone3, SECCOMP_RET_ERRNO | ENOSYS);
		refuse_new_user_ns(p, unshare);
		refuse_new_user_ns(p, clone);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

/* Patches the false branch of the jump at `at` to land on the next instruction to come. */
static void land_here(struct program *p, size_t at)
{
	size_t offset = p->length - at - 1;
	if (offset > 255)
		p->overflow = true;
	else if (at < p->length)
		p->code[at].jf = (uint8_t)offset;
}

/*
 * The program: check the architecture first (a system call number means another call on
 * another one), then compare the number with each refused call. Calls of an architecture
 * the filter does not know (x32, 32-bit ARM) kill the process rather than pass unchecked.
 */
static void build_filter(struct program *p, uint64_t caps)
{
	p->length = 0;
	p->overflow = false;
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, DATA_ARCH);
	size_t not_native = p->length;
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, AUDIT_ARCH_NATIVE);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, DATA_NR);
#ifdef __x86_64__
	/* x32 calls share the x86_64 audit arch, with this bit in their number. */
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
#endif
	arch_part(p, native_refusals, sizeof native_refusals / sizeof *native_refusals, caps, __NR_unshare,
		  __NR_clone, __NR_clone3);
	land_here(p, not_native);
#ifdef __x86_64__
	size_t not_i386 = p->length;
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, AUDIT_ARCH_I386);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, DATA_NR);
	arch_part(p, i386_refusals, sizeof i386_refusals / sizeof *i386_refusals, caps, I386_UNSHARE, I386_CLONE,
		  I386_CLONE3);
	land_here(p, not_i386);
#endif
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

static int install_filter(uint64_t caps, char *error, size_t size)
{
	/* On the stack, not static: the kernel keeps its own copy of the filter, and a static
	 * one would keep 2 kB of .bss dirty in pid 1 for its life. */
	struct program program;
	build_filter(&program, caps);
	if (program.overflow)
		return fail(error, size, E2BIG, "seccomp filter: more than %zu instructions or a jump too far",
			    sizeof program.code / sizeof *program.code);
	struct sock_fprog fprog = { (unsigned short)program.length, program.code };
	/* Without no_new_privs the kernel accepts a filter only from a holder of CAP_SYS_ADMIN:
	 * so this comes before the capabilities are dropped. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
		return fail(error, size, errno, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) with %zu instructions",
			    program.length);
	return 0;
}

/* ---- the capabilities ---- */

static int drop_capabilities(uint64_t keep, char *error, size_t size)
{
	/* From the bounding set: what no execve can give any more. The kernel says EINVAL for
	 * numbers past its last capability: there the loop ends. */
	for (int cap = 0; cap < 64; cap++) {
		if (keep & CONFINE_CAP(cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return fail(error, size, errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
	}
	/* Ambient capabilities survive an execve of a program without file capabilities.
	 * EINVAL: a kernel before 4.3, which has none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(error, size, errno, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
	/* The process's own sets: a process of the subhost that may ptrace this one (or read
	 * its memory) must not find more capabilities here than it has itself. */
	struct cap_header header = { LINUX_CAPABILITY_VERSION_3, 0 };
	struct cap_data data[2];
	if (syscall(SYS_capget, &header, data) != 0)
		return fail(error, size, errno, "capget");
	for (int i = 0; i < 2; i++) {
		uint32_t word = (uint32_t)(keep >> (32 * i));
		data[i].effective &= word;
		data[i].permitted &= word;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &header, data) != 0)
		return fail(error, size, errno, "capset (keeping %llx)", (unsigned long long)keep);
	return 0;
}

int confine_helper(char *error, size_t size)
{
	/* no_new_privs: it never execs, and so the filter needs no CAP_SYS_ADMIN either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(error, size, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	int rc = install_filter(0, error, size);
	if (rc != 0)
		return rc;
	return drop_capabilities(0, error, size);
}

int confine_apply(const struct confinement *confinement, char *error, size_t size)
{
	int rc;
	if (confinement->seccomp && (rc = install_filter(confinement->caps, error, size)) != 0)
		return rc;
	return drop_capabilities(confinement->caps, error, size);
}
