package org.example.embedder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Boots one subhost per NAME argument under DIR, each from a virtual thread; runs a
 * command in each, lists them, and stops them again from virtual threads. Prints one
 * line per step; exits with 1 on the first failure.
 *
 * <p>Usage: {@code Main DIR NAME...}
 */
public final class Main {
    private Main() {
    }

    /**
     * Runs the program.
     *
     * @param args DIR, then the NAMEs
     * @throws Exception when a step fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        List<String> names = List.of(args).subList(1, args.length);
        Subhosts subhosts = Subhosts.linux();
        System.out.println("module: " + Main.class.getModule().getName() + ", api module: "
                + Subhosts.class.getModule().getName());
        List<Subhost> booted = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Subhost>> boots = new ArrayList<>();
            for (String name : names) {
                Path base = Files.createDirectories(dir.resolve(name));
                for (String sub : List.of("root", "work", "live")) {
                    Files.createDirectories(base.resolve(sub));
                }
                SubhostConfig config = SubhostConfig.builder(name, base)
                        .start(List.of()).log(base.resolve("log")).build();
                boots.add(threads.submit(() -> {
                    if (!Thread.currentThread().isVirtual()) {
                        throw new IllegalStateException("not on a virtual thread");
                    }
                    return subhosts.boot(config);
                }));
            }
            try {
                for (Future<Subhost> boot : boots) {
                    booted.add(boot.get());
                }
                List<Future<ExecResult>> execs = new ArrayList<>();
                for (Subhost subhost : booted) {
                    execs.add(threads.submit(() -> subhost.exec(List.of("hostname"), Duration.ofSeconds(10))));
                }
                for (int i = 0; i < booted.size(); i++) {
                    ExecResult r = execs.get(i).get();
                    System.out.println("exec in " + booted.get(i).name() + ": status " + r.status()
                            + ", hostname " + r.stdout().strip());
                }
                List<String> listed = subhosts.list().stream().map(SubhostStatus::name).toList();
                System.out.println("listed: " + listed.stream().filter(names::contains).sorted().toList());
            } finally {
                List<Future<?>> stops = new ArrayList<>();
                for (Subhost subhost : booted) {
                    stops.add(threads.submit(() -> {
                        subhost.stop(Duration.ofSeconds(5));
                        return null;
                    }));
                }
                for (Future<?> stop : stops) {
                    stop.get();
                }
            }
        }
        for (String name : names) {
            System.out.println("after stop, " + name + " found: " + subhosts.find(name).isPresent());
        }
    }
}
