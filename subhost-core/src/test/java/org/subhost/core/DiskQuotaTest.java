package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;
import org.subhost.linux.SyscallException;

/** How DISK_MAX is kept, per UPPER's filesystem, with the kernel's answers faked. */
class DiskQuotaTest {
    private static final Path UPPER = Path.of("/srv/ex1/root");
    private static final String WAYS = "; put UPPER on an image of its own with overlay-diskfile, whose size bounds"
            + " it; make UPPER a btrfs subvolume (btrfs subvolume create); or put it on ext4 or XFS mounted with"
            + " prjquota (ext4 made with mkfs.ext4 -O quota,project) by a kernel with quota support (CONFIG_QUOTA"
            + " and CONFIG_QFMT_V2, or CONFIG_XFS_QUOTA)";

    /** A filesystem of type {@code magic}, a subvolume or not, whose Q_GETINFO PRJQUOTA answers {@code refusal}. */
    private record Fake(long magic, boolean subvolume, Optional<SyscallException> refusal)
            implements DiskQuota.Filesystems {
        @Override
        public long type(Path dir) {
            return magic;
        }

        @Override
        public boolean isSubvolume(Path dir) {
            return subvolume;
        }

        @Override
        public Optional<SyscallException> projectQuotaRefusal(Path dir) {
            return refusal;
        }
    }

    private static SyscallException getinfo(int errno) {
        return new SyscallException("quotactl_fd", UPPER + ", Q_GETINFO PRJQUOTA", errno);
    }

    @Test
    void aBtrfsSubvolumeIsKeptByItsQuotaGroup() throws IOException {
        assertThat(DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0x9123683EL, true, Optional.empty())))
                .isEqualTo(DiskQuota.Keeper.BTRFS_QGROUP);
    }

    @Test
    void aDirectoryOfABtrfsSubvolumeIsRefusedSayingToMakeItASubvolume() {
        assertThatThrownBy(() -> DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0x9123683EL, false,
                Optional.empty()))).isInstanceOf(IOException.class).hasMessage("DISK_MAX (16M) cannot be applied to"
                        + " UPPER (/srv/ex1/root): it is a directory of a btrfs subvolume, not a subvolume of its"
                        + " own, and a quota group limits whole subvolumes; make UPPER a subvolume (btrfs subvolume"
                        + " create /srv/ex1/root, with its files moved in)");
    }

    @Test
    void ext4AndXfsWithProjectQuotasOnAreKeptByAProjectQuota() throws IOException {
        assertThat(DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0xEF53L, false, Optional.empty())))
                .isEqualTo(DiskQuota.Keeper.PROJECT_QUOTA);
        assertThat(DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0x58465342L, false, Optional.empty())))
                .isEqualTo(DiskQuota.Keeper.PROJECT_QUOTA);
    }

    @Test
    void ext4WithoutProjectQuotasIsRefusedNamingTheKernelsAnswerAndTheThreeWays() {
        assertThatThrownBy(() -> DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0xEF53L, false,
                Optional.of(getinfo(Errno.ESRCH))))).isInstanceOf(IOException.class).hasMessage("DISK_MAX (16M)"
                        + " cannot be applied to UPPER (/srv/ex1/root), which is on ext2/3/4: project quotas are off"
                        + " for that filesystem (it is not mounted with prjquota, or the kernel has no quota support)"
                        + " (" + getinfo(Errno.ESRCH).getMessage() + ")" + WAYS);
    }

    @Test
    void xfsOnAKernelWithoutQuotactlFdIsRefusedSayingSo() {
        assertThatThrownBy(() -> DiskQuota.choose(UPPER, "DISK_MAX (1G)", new Fake(0x58465342L, false,
                Optional.of(getinfo(Errno.ENOSYS))))).isInstanceOf(IOException.class).hasMessage("DISK_MAX (1G)"
                        + " cannot be applied to UPPER (/srv/ex1/root), which is on XFS: this kernel has no"
                        + " quotactl_fd (Linux 5.14 and CONFIG_QUOTACTL) (" + getinfo(Errno.ENOSYS).getMessage()
                        + ")" + WAYS);
    }

    @Test
    void anotherFilesystemIsRefusedNamingTheThreeWays() {
        assertThatThrownBy(() -> DiskQuota.choose(UPPER, "DISK_MAX (16M)", new Fake(0x01021994L, false,
                Optional.empty()))).isInstanceOf(IOException.class).hasMessage("DISK_MAX (16M) cannot be applied to"
                        + " UPPER (/srv/ex1/root), which is on tmpfs: DISK_MAX is kept by a btrfs quota group or an"
                        + " ext4/XFS project quota" + WAYS);
    }
}
