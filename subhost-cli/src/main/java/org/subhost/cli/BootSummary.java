package org.subhost.cli;

import java.nio.file.Path;
import java.util.List;
import org.subhost.ProgressListener;
import org.subhost.SubhostStatus;

/**
 * The line {@code overlay-boot} ends a successful boot with, and the count of the warnings
 * it reports: a listener of the boot's LOG lines that counts those of warning severity and
 * passes every line on.
 *
 * <p>Example: {@code ex1 booted: pid 1 is 41233; LOG /tmp/oly-ex1.log; services: networking
 * started, ssh failed (status 1); 1 warning}. A service is shown with the state its status
 * has (docs/configuration.md, START); one the init has not reached yet is {@code starting}.
 * Not thread-safe beyond what the boot needs: the boot calls {@link #line} on its threads
 * one line at a time, and the summary is read after the boot returned.
 */
final class BootSummary implements ProgressListener {
    private final ProgressListener next;
    private volatile int warnings;

    /**
     * A summary that counts the warnings among the boot's lines (the configuration's
     * warnings are among them: the boot writes them to LOG) and passes each line on to
     * {@code next}.
     */
    BootSummary(ProgressListener next) {
        this.next = next;
    }

    @Override
    public synchronized void line(Severity severity, String text) {
        if (severity == Severity.WARNING) {
            warnings++;
        }
        next.line(severity, text);
    }

    /** {@return the warnings counted so far} */
    int warnings() {
        return warnings;
    }

    /**
     * The summary line of a subhost that booted.
     *
     * @param name its NAME
     * @param pid1 the host pid of its pid 1
     * @param log its LOG
     * @param services its START services with their states
     * @param warnings how many warnings the boot gave
     */
    static String line(String name, int pid1, Path log, List<SubhostStatus.ServiceStatus> services, int warnings) {
        StringBuilder b = new StringBuilder(name).append(" booted: pid 1 is ").append(pid1)
                .append("; LOG ").append(log).append("; services: ");
        if (services.isEmpty()) {
            b.append("none");
        }
        for (int i = 0; i < services.size(); i++) {
            SubhostStatus.ServiceStatus service = services.get(i);
            b.append(i == 0 ? "" : ", ").append(service.name()).append(' ')
                    .append(service.state().equals("unknown") ? "starting" : service.state());
        }
        b.append("; ").append(warnings == 0 ? "no" : Integer.toString(warnings))
                .append(warnings == 1 ? " warning" : " warnings");
        return b.toString();
    }
}
