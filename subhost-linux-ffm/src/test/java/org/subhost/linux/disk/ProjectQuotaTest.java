package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The numbers and structures of project quotas against the kernel's uapi headers
 * (linux/quota.h, linux/fs.h, asm/unistd_64.h and asm-generic/unistd.h), as a C program
 * compiled against them printed: sizeof(struct if_dqblk) 72 with dqb_curspace at 16 and
 * dqb_valid at 64, sizeof(struct if_dqinfo) 24, sizeof(struct fsxattr) 28 with fsx_projid at
 * 12, FS_IOC_FSGETXATTR 0x801c581f, FS_IOC_FSSETXATTR 0x401c5820, QCMD(Q_SETQUOTA, PRJQUOTA)
 * 0x80000802, QCMD(Q_GETQUOTA, PRJQUOTA) 0x80000702, QCMD(Q_GETINFO, PRJQUOTA) 0x80000502.
 */
class ProjectQuotaTest {
    /** _IOC(dir, type, nr, size) of asm-generic/ioctl.h. */
    private static long ioc(long dir, char type, int nr, int size) {
        return (dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    @Test
    void theCommandsAreTheKernelsQcmdOfPrjquota() {
        assertThat(ProjectQuota.PRJQUOTA).isEqualTo(2);
        assertThat(ProjectQuota.command(ProjectQuota.Q_SETQUOTA)).isEqualTo(0x80000802);
        assertThat(ProjectQuota.command(ProjectQuota.Q_GETQUOTA)).isEqualTo(0x80000702);
        assertThat(ProjectQuota.command(ProjectQuota.Q_GETINFO)).isEqualTo(0x80000502);
        assertThat(ProjectQuota.SYS_QUOTACTL_FD).isEqualTo(443);
        assertThat(ProjectQuota.QIF_BLIMITS).isEqualTo(1);
    }

    @Test
    void theFsxattrIoctlsAreTheKernelsNumbers() {
        assertThat(ProjectQuota.FS_IOC_FSGETXATTR).isEqualTo(ioc(2, 'X', 31, 28)).isEqualTo(0x801C581FL);
        assertThat(ProjectQuota.FS_IOC_FSSETXATTR).isEqualTo(ioc(1, 'X', 32, 28)).isEqualTo(0x401C5820L);
        assertThat(ProjectQuota.FSXATTR_SIZE).isEqualTo(28);
        assertThat(ProjectQuota.FS_XFLAG_PROJINHERIT).isEqualTo(0x200);
    }

    @Test
    void theMagicNumbersAreThoseOfExt4AndXfs() {
        assertThat(ProjectQuota.isProjectQuotaFilesystem(0xEF53L)).isTrue();
        assertThat(ProjectQuota.isProjectQuotaFilesystem(0x58465342L)).isTrue();
        assertThat(ProjectQuota.isProjectQuotaFilesystem(Btrfs.SUPER_MAGIC)).isFalse();
        assertThat(ProjectQuota.isProjectQuotaFilesystem(0x01021994L)).isFalse(); // tmpfs
    }

    @Test
    void aBlockLimitIsAnIfDqblkWithTheHardLimitInKibibytesRoundedUpAndQifBlimits() {
        byte[] limit = ProjectQuota.blockLimit(OptionalLong.of(16L * 1024 * 1024 + 1));
        assertThat(limit).hasSize(72);
        assertThat(HexFormat.of().formatHex(limit)).isEqualTo("0140000000000000" // bhardlimit 16385
                + "0000000000000000".repeat(7) // bsoftlimit, curspace, ihardlimit, isoftlimit, curinodes, btime, itime
                + "01000000" + "00000000"); // dqb_valid QIF_BLIMITS, padding
    }

    @Test
    void liftingTheLimitSetsAHardLimitOfZeroWithQifBlimits() {
        ByteBuffer b = ByteBuffer.wrap(ProjectQuota.blockLimit(OptionalLong.empty())).order(ByteOrder.nativeOrder());
        assertThat(b.getLong(0)).isZero();
        assertThat(b.getLong(8)).isZero();
        assertThat(b.getInt(64)).isEqualTo(1);
    }

    @Test
    void settingAProjectKeepsTheOtherFieldsOfFsxattr() {
        ByteBuffer before = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
        before.putInt(0, 0x8 | 0x800); // FS_XFLAG_APPEND | FS_XFLAG_EXTSZINHERIT
        before.putInt(4, 65536); // fsx_extsize
        before.putInt(8, 3); // fsx_nextents
        before.putInt(12, 7); // fsx_projid
        before.putInt(16, 4096); // fsx_cowextsize
        byte[] set = ProjectQuota.withProject(before.array(), new ProjectQuota.Project(0xC0FFEE01L, true));
        assertThat(HexFormat.of().formatHex(set)).isEqualTo("080a0000" + "00000100" + "03000000" + "01eeffc0"
                + "00100000" + "0000000000000000");
        assertThat(ProjectQuota.decode(set)).isEqualTo(new ProjectQuota.Project(0xC0FFEE01L, true));
        byte[] cleared = ProjectQuota.withProject(set, new ProjectQuota.Project(0xC0FFEE01L, false));
        assertThat(HexFormat.of().formatHex(cleared)).startsWith("08080000");
        assertThat(ProjectQuota.decode(cleared)).isEqualTo(new ProjectQuota.Project(0xC0FFEE01L, false));
    }
}
