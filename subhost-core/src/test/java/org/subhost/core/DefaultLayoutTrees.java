package org.subhost.core;

import java.nio.file.Path;
import java.util.List;
import org.subhost.config.Share;

/** Test entries of the tree index for subhosts of the default layout (BASE/live, BASE/root, BASE/work over {@code /}). */
final class DefaultLayoutTrees {
    private DefaultLayoutTrees() {}

    /**
     * The active entry of subhost {@code name}, numbered {@code seq} (0: not registered yet),
     * whose BASE is {@code base} and LOG {@code log}, with {@code shares}.
     */
    static SubhostTrees of(String name, long seq, Path base, Path log, List<Share> shares) {
        return new SubhostTrees(name, seq, SubhostTrees.Phase.ACTIVE, List.of(
                new SubhostTrees.Tree(SubhostTrees.Role.BASE, base, 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LIVE, base.resolve("live"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.UPPER, base.resolve("root"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.WORK, base.resolve("work"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LOWER, Path.of("/"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LOG, log, 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LOG_ROTATED, LogFile.rotated(log), 0)), shares, List.of());
    }
}
