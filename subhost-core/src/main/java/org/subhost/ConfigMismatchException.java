package org.subhost;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A stop was refused: a subhost of the configuration's NAME runs, but it was booted from
 * another {@code .conf} file than the one the stop was given (or from a configuration made
 * in code). Two files may name the same NAME; stopping by NAME alone would stop the other
 * one's subhost without a word. Nothing was done.
 *
 * <p>The message is {@code NAME was booted from /opt/nw3/nw3.conf, not from
 * /opt/other/other.conf}. To stop it all the same, use {@link Subhosts#forceStop}, as
 * {@code overlay-stop --force} does.
 */
public final class ConfigMismatchException extends SubhostException {
    private static final long serialVersionUID = 1L;

    // Strings rather than Path and Optional: those are not serializable.
    /** The NAME of the running subhost. */
    private final String name;
    /** The file it was booted from, or null when it was booted from a configuration made in code. */
    private final String bootedFrom;
    /** The file the stop was given. */
    private final String given;

    /**
     * For the running subhost {@code name}, booted from {@code bootedFrom} (empty: from a
     * configuration made in code), and a stop given {@code given}.
     *
     * @param name the subhost's NAME
     * @param bootedFrom the configuration file it was booted from, if any
     * @param given the configuration file the stop was given
     */
    public ConfigMismatchException(String name, Optional<Path> bootedFrom, Path given) {
        super(name + " was booted from " + bootedFrom.map(Path::toString).orElse("a configuration made in code")
                + ", not from " + given);
        this.name = Objects.requireNonNull(name, "name");
        this.bootedFrom = bootedFrom.map(Path::toString).orElse(null);
        this.given = given.toString();
    }

    /** {@return the NAME of the running subhost} */
    public String name() {
        return name;
    }

    /** {@return the configuration file the running subhost was booted from; empty when it was made in code} */
    public Optional<Path> bootedFrom() {
        return Optional.ofNullable(bootedFrom).map(Path::of);
    }

    /** {@return the configuration file the refused stop was given} */
    public Path given() {
        return Path.of(given);
    }
}
