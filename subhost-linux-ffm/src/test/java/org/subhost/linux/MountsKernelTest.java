package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.KernelTests.isMountPoint;
import static org.subhost.linux.Mounts.MS_NODEV;
import static org.subhost.linux.Mounts.MS_NOSUID;
import static org.subhost.linux.Namespaces.CLONE_NEWNS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mounts made on a {@link NamespaceThread}, on the real kernel, checked through
 * /proc/TID/mountinfo (the thread's view), /proc/self/mountinfo (the rest of the JVM) and
 * /proc/1/mountinfo (the host).
 */
class MountsKernelTest {
    private static final NamespaceRequest NEW_MOUNT_NS = NamespaceRequest.builder().unshare(CLONE_NEWNS).build();

    private Path dir;

    @BeforeEach
    void makeDirectory() throws Exception {
        KernelTests.requireRoot();
        dir = Files.createTempDirectory(KernelTests.uniqueName());
    }

    @AfterEach
    void removeDirectory() throws Exception {
        // The mounts went with the thread's mount namespace; only the directories are left.
        KernelTests.deleteTree(dir);
        if (dir != null) {
            assertThat(isMountPoint("self", dir)).isFalse();
        }
    }

    @Test
    void tmpfsMountedOnNamespaceThreadIsVisibleOnlyThere() throws Exception {
        Path target = Files.createDirectory(dir.resolve("run"));
        String name = KernelTests.uniqueName();
        NamespaceThread.run("mount " + name, NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount(name, target.toString(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1M,mode=700");
            String tid = Integer.toString(Fds.gettid());
            assertThat(Files.readAllLines(Path.of("/proc", tid, "mountinfo")))
                    .filteredOn(line -> line.split(" ")[4].equals(target.toString()))
                    .singleElement().asString()
                    .contains(" - tmpfs " + name + " ").contains("nosuid,nodev").contains("mode=700");
            assertThat(isMountPoint("self", target)).as("seen by the JVM's main thread").isFalse();
            assertThat(isMountPoint("1", target)).as("seen by the host").isFalse();
            Files.writeString(target.resolve("file"), "in tmpfs");

            Mounts.umount2(target.toString(), 0);
            assertThat(isMountPoint(tid, target)).isFalse();
            assertThat(target.resolve("file")).doesNotExist();
            return null;
        });
        assertThat(target.resolve("file")).doesNotExist();
    }

    @Test
    void listmountAndStatmountShowAMountItsPlaceAndItsAttributes() throws Exception {
        Path target = Files.createDirectory(dir.resolve("run"));
        Path below = Files.createDirectory(target.resolve("below"));
        NamespaceThread.run("statmount", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("tmpfs", target.toString(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1M");
            Files.createDirectory(below);
            Mounts.mount("tmpfs", below.toString(), "tmpfs", 0, "size=1M");
            long id = Mounts.uniqueMountId(target.toString()).orElseThrow();
            long belowId = Mounts.uniqueMountId(below.toString()).orElseThrow();
            long parentId = Mounts.uniqueMountId(dir.toString()).orElseThrow();

            MountStatus status = Mounts.statMount(id);
            assertThat(status.id()).isEqualTo(id);
            assertThat(status.parentId()).isEqualTo(parentId);
            assertThat(status.mountPoint()).isEqualTo(target.toString());
            assertThat(status.attributes()).isEqualTo(Mounts.MOUNT_ATTR_NOSUID | Mounts.MOUNT_ATTR_NODEV);
            assertThat(status.propagation()).isEqualTo(Mounts.MS_PRIVATE);
            assertThat(Mounts.listMounts(id)).containsExactly(belowId);
            assertThat(Mounts.listMounts(Mounts.LSMT_ROOT)).contains(id, belowId, parentId);

            Mounts.mount(null, target.toString(), null, Mounts.MS_REMOUNT | Mounts.MS_BIND | Mounts.MS_RDONLY, null);
            assertThat(Mounts.statMount(id).attributes()).isEqualTo(Mounts.MOUNT_ATTR_RDONLY);
            Mounts.umount2(below.toString(), 0);
            assertThat(Mounts.listMounts(id)).isEmpty();
            assertThatThrownBy(() -> Mounts.statMount(belowId)).isInstanceOf(SyscallException.class)
                    .hasMessage("statmount(mount " + belowId + "): ENOENT (No such file or directory)");
            return null;
        });
    }

    @Test
    void statxSaysWhereAMountsRootIsAsTheThreadSeesIt() throws Exception {
        Path target = Files.createDirectory(dir.resolve("run"));
        Path inside = Files.createDirectory(target.resolve("below"));
        assertThat(Mounts.isMountRoot("/")).contains(true);
        String procLine = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(line -> line.split(" ")[4].equals("/proc")).findFirst().orElseThrow();
        assertThat(Mounts.mountId("/proc/self")).hasValue(Long.parseLong(procLine.split(" ")[0]));
        assertThat(Mounts.isMountRoot("/proc")).contains(true);
        assertThat(Mounts.isMountRoot(target.toString())).contains(false);
        boolean[] seen = NamespaceThread.run("statx", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("tmpfs", target.toString(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1M");
            Files.createDirectory(inside);
            return new boolean[] {Mounts.isMountRoot(target.toString()).orElseThrow(),
                    Mounts.isMountRoot(inside.toString()).orElseThrow()};
        });
        assertThat(seen).containsExactly(true, false);
        // The rest of the JVM never saw the mount.
        assertThat(Mounts.isMountRoot(target.toString())).contains(false);
        assertThatThrownBy(() -> Mounts.isMountRoot(dir.resolve("missing").toString()))
                .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.is(Errno.ENOENT)).isTrue())
                .hasMessageContaining("statx").hasMessageContaining("missing");
    }

    @Test
    void statfsTellsTheFilesystemType() throws Exception {
        assertThat(Mounts.filesystemType("/proc")).isEqualTo(0x9fa0L); // PROC_SUPER_MAGIC
        long tmpfs = NamespaceThread.run("statfs", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("tmpfs", dir.toString(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1M");
            return Mounts.filesystemType(dir.toString());
        });
        assertThat(tmpfs).isEqualTo(0x01021994L); // TMPFS_MAGIC
        assertThatThrownBy(() -> Mounts.filesystemType(dir.resolve("missing").toString()))
                .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.is(Errno.ENOENT)).isTrue());
    }

    @Test
    void mountOfUnknownFilesystemTypeIsENODEV() throws Exception {
        Path target = Files.createDirectory(dir.resolve("live"));
        assertThatThrownBy(() -> NamespaceThread.run("enodev", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("none", target.toString(), "shtnosuchfs", MS_NOSUID, null);
            return null;
        })).isInstanceOf(SyscallException.class)
                .hasMessage("mount(none on " + target + ", type shtnosuchfs, MS_NOSUID): ENODEV (No such device)")
                .satisfies(e -> assertThat(((SyscallException) e).is(Errno.ENODEV)).isTrue());
    }

    @Test
    void umountOfPlainDirectoryIsEINVAL() throws Exception {
        assertThatThrownBy(() -> NamespaceThread.run("einval", NEW_MOUNT_NS, () -> {
            Mounts.umount2(dir.toString(), Mounts.MNT_DETACH);
            return null;
        })).isInstanceOf(SyscallException.class)
                .hasMessage("umount2(" + dir + ", MNT_DETACH): EINVAL (Invalid argument)");
    }

    @Test
    void pivotRootOntoNonMountPointIsEINVAL() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("mnt"));
        assertThatThrownBy(() -> NamespaceThread.run("pivot", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("shtpivot", mount.toString(), "tmpfs", 0, "size=1M");
            Path newRoot = Files.createDirectories(mount.resolve("root"));
            Path putOld = Files.createDirectories(newRoot.resolve("old"));
            // newRoot is a directory inside the tmpfs, not a mount point of its own.
            Mounts.pivotRoot(newRoot.toString(), putOld.toString());
            return null;
        })).isInstanceOf(SyscallException.class)
                .hasMessage("pivot_root(" + mount + "/root, " + mount + "/root/old): EINVAL (Invalid argument)");
    }

    @Test
    void pivotRootSwitchesTheThreadsRootOnly() throws Exception {
        Path live = Files.createDirectory(dir.resolve("live"));
        String hostRoot = Files.readString(Path.of("/proc/self/mountinfo"));
        String seen = NamespaceThread.run("pivot", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("shtroot", live.toString(), "tmpfs", 0, "size=1M");
            Files.writeString(live.resolve("marker"), "new root");
            Files.createDirectory(live.resolve("old"));
            Mounts.pivotRoot(live.toString(), live.resolve("old").toString());
            Mounts.detach("/old");
            // Read through an absolute path: it resolves against the new root.
            return new String(readAll("/marker"));
        });
        assertThat(seen).isEqualTo("new root");
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).isEqualTo(hostRoot);
        assertThat(live.resolve("marker")).doesNotExist();
    }

    @Test
    void mknodMakesCharacterDeviceWithGivenNumbers() throws Exception {
        Path dev = Files.createDirectory(dir.resolve("dev"));
        Object rdev = NamespaceThread.run("mknod", NEW_MOUNT_NS, () -> {
            Mounts.makeRprivate("/");
            Mounts.mount("shtdev", dev.toString(), "tmpfs", MS_NOSUID, "size=1M");
            Path nul = dev.resolve("null");
            Mounts.mknod(nul.toString(), Mounts.S_IFCHR | 0666, 1, 3);
            Files.setPosixFilePermissions(nul, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.writeString(nul, "swallowed");
            assertThat(Files.isRegularFile(nul)).isFalse();
            assertThatThrownBy(() -> Mounts.mknod(nul.toString(), Mounts.S_IFCHR | 0666, 1, 3))
                    .hasMessage("mknod(" + nul + ", S_IFCHR 0666, 1:3): EEXIST (File exists)");
            return Files.getAttribute(nul, "unix:rdev");
        });
        assertThat(rdev).isEqualTo(Mounts.makedev(1, 3));
    }

    @Test
    void openTreeCloneMovedIntoAnotherMountNamespace() throws Exception {
        Path source = Files.createDirectory(dir.resolve("share"));
        Files.writeString(source.resolve("hello"), "from the host");
        Path target = Files.createDirectory(dir.resolve("target"));
        // Opened on the caller's (host) side; a detached copy that belongs to no namespace.
        int tree = Mounts.openTree(source.toString(),
                Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC | Mounts.AT_RECURSIVE);
        try {
            String seen = NamespaceThread.run("share", NEW_MOUNT_NS, () -> {
                Mounts.makeRprivate("/");
                Mounts.moveMount(tree, "", Mounts.AT_FDCWD, target.toString(), Mounts.MOVE_MOUNT_F_EMPTY_PATH);
                assertThat(isMountPoint(Integer.toString(Fds.gettid()), target)).isTrue();
                assertThat(isMountPoint("self", target)).isFalse();
                return Files.readString(target.resolve("hello"));
            });
            assertThat(seen).isEqualTo("from the host");
            assertThat(target.resolve("hello")).doesNotExist();
        } finally {
            Fds.close(tree);
        }
    }

    @Test
    void moveMountOntoMissingTargetIsENOENT() throws Exception {
        int tree = Mounts.openTree(dir.toString(), Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC);
        try {
            Path missing = dir.resolve("missing");
            assertThatThrownBy(() -> NamespaceThread.run("share", NEW_MOUNT_NS, () -> {
                Mounts.makeRprivate("/");
                Mounts.moveMount(tree, "", Mounts.AT_FDCWD, missing.toString(), Mounts.MOVE_MOUNT_F_EMPTY_PATH);
                return null;
            })).hasMessage("move_mount(fd " + tree + " onto " + missing
                    + ", MOVE_MOUNT_F_EMPTY_PATH): ENOENT (No such file or directory)");
        } finally {
            Fds.close(tree);
        }
    }

    private static byte[] readAll(String path) throws SyscallException {
        int fd = Fds.open(path, Fds.O_RDONLY | Fds.O_CLOEXEC);
        try {
            return Fds.read(fd, 4096);
        } finally {
            Fds.close(fd);
        }
    }
}
