package org.subhost.core;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.config.SubhostConfig;

/**
 * Which kind runs each START name (docs/spec.md §5.2): its init.d script or its systemd unit.
 *
 * <p>Example: on Debian 12, {@code START=rsyslog ssh cron} runs {@code rsyslog} as the unit
 * {@code rsyslog.service} (there is no {@code /etc/init.d/rsyslog}), {@code ssh} and {@code
 * cron} as {@code service ssh start} and {@code service cron start}, as START always ran
 * them; with {@code START_PREFER=unit}, all three as their units.
 *
 * <p>The rule: an absolute path is a script ({@code PATH start}); a name ending in {@code
 * .service} is a unit; any other name is {@code /etc/init.d/NAME} where that exists (unless
 * START_PREFER=unit and the unit exists too), else the unit {@code NAME.service} where
 * systemd looks, else {@code service NAME start} as before, which then fails and says why.
 * SUPERVISE= makes pid 1 restart an init.d script's daemon, known by its PID file.
 */
final class StartServices {
    private StartServices() {}

    /**
     * Reads what runs each START name of {@code config}, in START order.
     *
     * @param tree the subhost's root (LIVE once mounted)
     * @param start START's names
     * @param preferUnits START_PREFER=unit
     * @param supervise SUPERVISE: init.d names and their PID files
     * @param limit the .conf's service timeout
     * @return one reading per name, with its warnings
     */
    static List<UnitReader.Reading> read(TreeReader tree, List<String> start, boolean preferUnits,
            Map<String, String> supervise, Duration limit) throws IOException {
        List<UnitReader.Reading> readings = new ArrayList<>();
        for (String name : start) {
            readings.add(readOne(tree, name, preferUnits, supervise, limit));
        }
        return readings;
    }

    /** As {@link #read(TreeReader, List, boolean, Map, Duration)}, with the values of {@code config}. */
    static List<UnitReader.Reading> read(TreeReader tree, SubhostConfig config) throws IOException {
        return read(tree, config.start(), config.preferUnits(), config.supervise(), config.serviceTimeout());
    }

    private static UnitReader.Reading readOne(TreeReader tree, String name, boolean preferUnits,
            Map<String, String> supervise, Duration limit) throws IOException {
        if (name.startsWith("/")) {
            return initScript(name, supervise, limit, List.of());
        }
        if (name.endsWith(".service")) {
            return UnitReader.read(tree, name, limit);
        }
        boolean script = tree.typeName("/etc/init.d/" + name).isPresent();
        boolean unit = UnitReader.find(tree, name + ".service").isPresent();
        if (unit && (!script || preferUnits)) {
            return UnitReader.read(tree, name, limit);
        }
        List<String> warnings = script ? List.of() : List.of("START: " + name + " has no /etc/init.d/" + name
                + " and no " + name + ".service in " + String.join(", ", UnitReader.SEARCH_PATH)
                + "; it runs as service " + name + " start");
        return initScript(name, supervise, limit, warnings);
    }

    private static UnitReader.Reading initScript(String name, Map<String, String> supervise, Duration limit,
            List<String> warnings) {
        ServiceSpec spec = ServiceSpec.initScript(name, limit);
        String pidFile = supervise.get(name);
        if (pidFile != null) {
            ServiceSpec.Builder b = ServiceSpec.builder(name, ServiceSpec.Kind.INIT_D, spec.source())
                    .type(ServiceSpec.Type.FORKING).start(spec.start()).stop(spec.stop()).startTimeout(limit)
                    .stopTimeout(limit)
                    .killMode(ServiceSpec.KillMode.NONE).restart(ServiceSpec.Restart.ON_FAILURE).pidFile(pidFile);
            spec = b.build();
        }
        return new UnitReader.Reading(name, Optional.of(spec), Optional.empty(), warnings);
    }
}
