package org.subhost.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Which namespaces a {@link NamespaceThread} enters and which it creates, before it runs
 * its task.
 *
 * <p>Example: a new mount namespace inside the network namespace {@code ex1}:
 * <pre>{@code
 * NamespaceRequest.builder()
 *         .unshare(CLONE_NEWNS)
 *         .enterNetns(Path.of("/run/netns/ex1"))
 *         .build();
 * }</pre>
 *
 * <p>The thread applies the request in this order: unshare(CLONE_FS); then every entry, in
 * the order added (setns); then unshare of the flags given to {@link Builder#unshare}, so
 * that new namespaces are made inside the entered ones (a private mount namespace copied
 * from a subhost's, a pid namespace below the subhost's). Whether the namespace files
 * exist and have the right type is left to the kernel.
 */
public final class NamespaceRequest {
    private static final int NAMESPACE_FLAGS = Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWNET
            | Namespaces.CLONE_NEWPID | Namespaces.CLONE_NEWIPC | Namespaces.CLONE_NEWUTS
            | Namespaces.CLONE_NEWTIME | Namespaces.CLONE_NEWCGROUP;

    private final List<Entry> entries;
    private final int unshareFlags;

    /** One namespace (or, for a pidfd, several) to enter with setns(2). */
    record Entry(String label, Path path, int fd, int nstype) {}

    private NamespaceRequest(Builder builder) {
        this.entries = List.copyOf(builder.entries);
        this.unshareFlags = builder.unshareFlags;
    }

    /**
     * {@return a request that neither enters nor creates a namespace (the thread only unshares CLONE_FS)}
     */
    public static NamespaceRequest none() {
        return builder().build();
    }

    /** {@return an empty builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder holding this request's parts} */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.entries.addAll(entries);
        builder.unshareFlags = unshareFlags;
        return builder;
    }

    /** {@return the CLONE_NEW* flags of the namespaces the thread creates} */
    public int unshareFlags() {
        return unshareFlags;
    }

    List<Entry> entries() {
        return entries;
    }

    /** The request in words: {@code enter /run/netns/ex1 (CLONE_NEWNET), unshare CLONE_NEWNS}. */
    @Override
    public String toString() {
        StringJoiner out = new StringJoiner(", ");
        for (Entry entry : entries) {
            out.add("enter " + entry.label() + " (" + Namespaces.describe(entry.nstype()) + ")");
        }
        if (unshareFlags != 0) {
            out.add("unshare " + Namespaces.describe(unshareFlags));
        }
        return out.length() == 0 ? "no namespaces" : out.toString();
    }

    /** Collects the parts of a {@link NamespaceRequest}; each setter checks its argument at once. */
    public static final class Builder {
        private final List<Entry> entries = new ArrayList<>();
        private int unshareFlags;

        private Builder() {}

        /**
         * Creates new namespaces of the kinds in {@code flags} (CLONE_NEWNS, CLONE_NEWNET,
         * CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWTIME, CLONE_NEWCGROUP), added to
         * those given before.
         *
         * @param flags CLONE_NEW* flags, or-ed
         * @return this builder
         * @throws IllegalArgumentException for any other flag (CLONE_NEWUSER: the kernel
         *     refuses it to a multi-threaded process such as the JVM)
         */
        public Builder unshare(int flags) {
            if ((flags & ~NAMESPACE_FLAGS) != 0) {
                throw new IllegalArgumentException("unshare flags (" + Namespaces.describe(flags & ~NAMESPACE_FLAGS)
                        + ") must be CLONE_NEW* flags other than CLONE_NEWUSER");
            }
            unshareFlags |= flags;
            return this;
        }

        /**
         * Enters the network namespace at {@code netns}, such as {@code /run/netns/ex1}, like {@code ip netns exec}.
         *
         * @param netns the namespace file
         * @return this builder
         */
        public Builder enterNetns(Path netns) {
            return enter(netns, Namespaces.CLONE_NEWNET);
        }

        /**
         * Enters the namespace at {@code nsFile} ({@code /proc/PID/ns/mnt}, a bind mount of
         * one), which must be of the kind {@code nstype} (one CLONE_NEW* flag).
         *
         * @param nsFile the namespace file
         * @param nstype the CLONE_NEW* flag of its kind
         * @return this builder
         */
        public Builder enter(Path nsFile, int nstype) {
            requireNonNull(nsFile, "nsFile");
            requireOneKind(nstype);
            entries.add(new Entry(nsFile.toString(), nsFile, -1, nstype));
            return this;
        }

        /**
         * Enters the namespace that the open descriptor {@code fd} refers to, of the kind
         * {@code nstype} (one CLONE_NEW* flag). The descriptor stays the caller's.
         *
         * @param fd an open namespace descriptor
         * @param nstype the CLONE_NEW* flag of its kind
         * @return this builder
         */
        public Builder enterFd(int fd, int nstype) {
            requireDescriptor(fd);
            requireOneKind(nstype);
            entries.add(new Entry("fd " + fd, null, fd, nstype));
            return this;
        }

        /**
         * Enters the namespaces of the kinds in {@code flags} of the process that the pidfd
         * {@code pidfd} refers to, all at once (setns(2) with a pidfd, Linux 5.8), like
         * {@code nsenter --target PID}. The descriptor stays the caller's. The time namespace
         * cannot be entered by a JVM (EUSERS: the process must be single-threaded).
         *
         * @param pidfd an open pidfd of the process
         * @param flags the CLONE_NEW* flags of the namespaces to enter, or-ed
         * @return this builder
         */
        public Builder enterPidfd(int pidfd, int flags) {
            requireDescriptor(pidfd);
            if (flags == 0 || (flags & ~NAMESPACE_FLAGS) != 0) {
                throw new IllegalArgumentException("setns flags (" + Namespaces.describe(flags)
                        + ") must be one or more CLONE_NEW* flags other than CLONE_NEWUSER");
            }
            entries.add(new Entry("pidfd " + pidfd, null, pidfd, flags));
            return this;
        }

        /**
         * Enters the namespaces of the kinds in {@code flags} of the process behind {@code
         * pidfd}; as {@link #enterPidfd(int, int)}. The pidfd must stay open while a
         * {@link NamespaceThread} uses the request.
         *
         * @param pidfd the process's pidfd
         * @param flags the CLONE_NEW* flags of the namespaces to enter, or-ed
         * @return this builder
         */
        public Builder enterPidfd(Pidfd pidfd, int flags) {
            requireNonNull(pidfd, "pidfd");
            enterPidfd(pidfd.fd(), flags);
            Entry last = entries.remove(entries.size() - 1);
            entries.add(new Entry("pidfd of pid " + pidfd.pid(), null, last.fd(), last.nstype()));
            return this;
        }

        /**
         * The request.
         *
         * @return the immutable request
         */
        public NamespaceRequest build() {
            return new NamespaceRequest(this);
        }

        private static void requireOneKind(int nstype) {
            if (Integer.bitCount(nstype) != 1 || (nstype & NAMESPACE_FLAGS) == 0) {
                throw new IllegalArgumentException("nstype (" + Namespaces.describe(nstype)
                        + ") must be one CLONE_NEW* flag other than CLONE_NEWUSER");
            }
        }

        private static void requireDescriptor(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("fd (" + fd + ") must not be negative");
            }
        }
    }
}
