/**
 * Linux system calls through the Foreign Function and Memory API, with errno captured per
 * call; a raw layer without policy.
 *
 * <p>Main types: {@link org.subhost.linux.NamespaceThread} (namespace work on a fresh
 * thread of its own, configured by a {@link org.subhost.linux.NamespaceRequest}), {@link
 * org.subhost.linux.Mounts} (mount, umount2, pivot_root, open_tree, move_mount, mknod),
 * {@link org.subhost.linux.Namespaces} (unshare, setns, sethostname), {@link
 * org.subhost.linux.Spawn} (posix_spawn, reaping), {@link org.subhost.linux.Pidfd}
 * (signals and waits by pidfd), {@link org.subhost.linux.Fds}, {@link
 * org.subhost.linux.Flock}, {@link org.subhost.linux.Prctl}, {@link
 * org.subhost.linux.Credentials}; {@link
 * org.subhost.linux.SyscallException} (a kernel refusal, naming the call, its arguments and
 * the errno) and {@link org.subhost.linux.Errno}.
 *
 * <p>Paths are strings in the system-call classes, passed to the kernel as they are and
 * resolved against the calling thread's root and working directory.
 */
package org.subhost.linux;
