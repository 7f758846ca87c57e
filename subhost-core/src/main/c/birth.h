/*
 * Birth in the subhost's control groups (birth.c): a process of the subhost, or its log
 * relay, starts in its groups instead of being moved there after it started.
 *
 * A move of a running process (a pid written to cgroup.procs) takes the kernel's global
 * cgroup_threadgroup_rwsem for writing, and the first writer after a quiet spell waits for
 * an RCU grace period first: 10 to 30 ms on a small VM, for every boot that finds the lock
 * quiet. Neither way here takes it:
 *  - the v2 group is given to clone3 (CLONE_INTO_CGROUP, Linux 5.7): the child is born there;
 *  - a v1 hierarchy lets a thread move itself alone, by writing 0 to its group's `tasks`
 *    (Linux 5.16 skips the lock for the writer's own thread): the child, single-threaded,
 *    does so first thing, before it runs anything else.
 *
 * The SDK opens the descriptors (the v2 group's directory, each v1 group's tasks file) on
 * the host, where it made the groups, and passes them by number:
 *   --cgroup-fd N   the v2 group's directory, for CLONE_INTO_CGROUP
 *   --tasks-fd N    a v1 group's tasks file (repeated, one per hierarchy)
 */
#ifndef SUBHOST_BIRTH_H
#define SUBHOST_BIRTH_H

#include <stdbool.h>
#include <sys/types.h>

/* At most one group per v1 hierarchy: the kernel has fewer than 16 controllers. */
#define BIRTH_MAX_TASKS 16

struct birth {
	int cgroup_fd;                    /* the v2 group's directory; -1 for none */
	int tasks_fd[BIRTH_MAX_TASKS];    /* the v1 groups' tasks files */
	int ntasks;
	int report_fd;                    /* where a failure is told (see birth_clone); -1 for none */
};

#define BIRTH_NONE { .cgroup_fd = -1, .ntasks = 0, .report_fd = -1 }

/*
 * Takes argv[i] (and its value argv[i + 1]) when it is --cgroup-fd or --tasks-fd; returns
 * how many words it took: 2, or 0 when argv[i] is another option.
 */
int birth_option(struct birth *b, int argc, char **argv, int i);

/*
 * Clones the calling process into the v2 group with `flags` (CLONE_PARENT, CLONE_NEWPID,
 * ...) added; the child moves itself into the v1 groups before it returns. Returns as
 * fork(2) does: the child's pid in the parent, 0 in the child, -1 on failure. A refusal is
 * said on standard error and, when report_fd is set, written there as "!FD ERRNO\n" (the
 * descriptor whose group refused, and the errno), for the SDK's message; a child refused
 * by a v1 group exits 1. The report descriptor's end of file therefore comes once the child
 * is in every group (or gone) and has closed it.
 */
pid_t birth_clone(const struct birth *b, unsigned long flags);

/* Closes the descriptors of `b`: the child holds nothing of the host's cgroup tree. */
void birth_close(const struct birth *b);

/*
 * The launch mode, when argv[1] is "--launch": pid 1's launcher.
 *
 *   subhost-init --launch --program-fd N --report-fd N [--cgroup-fd N] [--tasks-fd N]...
 *                -- PID-1-OPTIONS...
 *
 * Clones pid 1 into the subhost's groups and a new pid namespace, as a child of the
 * launcher's own parent (CLONE_PARENT: the SDK, which waits for it as for any child),
 * writes pid 1's pid (in the launcher's pid namespace, the host's) to the report descriptor,
 * a line, and exits. pid 1 leads a session of its own and execs this program (--program-fd, the
 * SDK's sealed copy) with its own command line: argv[0] and what follows "--". Never
 * returns.
 */
void launch_main(int argc, char **argv) __attribute__((noreturn));

#endif
