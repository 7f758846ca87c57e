package org.subhost.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.util.List;
import java.util.stream.Stream;
import org.subhost.linux.internal.Downcall;

/**
 * The C functions that this module calls, as a whole.
 *
 * <p>Each binding is linked when it is first called (see the module's internal {@code
 * Downcall}: all of them share two or three downcall handles). {@link #linkAll()} links
 * them all at once: for the training run of an
 * ahead-of-time cache ({@code -XX:AOTCacheOutput}), which should see the JDK's
 * foreign-function machinery at work, or to find a missing C function at start-up rather
 * than at first use.
 */
public final class Bindings {
    private Bindings() {}

    /**
     * Initialises every class of this module, looks up every C function it binds and makes
     * the downcall handles they share.
     *
     * @return how many C functions are bound
     * @throws LinkageError naming the function when the C library lacks one
     */
    public static int linkAll() {
        Module module = Bindings.class.getModule();
        if (module.isNamed()) {
            initialiseAll(module);
        } else {
            // On the class path (tests): the binding classes, by name.
            for (Class<?> c : List.of(Bpf.class, Fds.class, Flock.class, Inotify.class, Mounts.class, Namespaces.class,
                    Pidfd.class, Prctl.class, Signals.class, Spawn.class, UnixDatagram.class, WallClock.class,
                    org.subhost.linux.netlink.RtNetlink.class)) {
                initialise(c.getName(), c.getClassLoader());
            }
            initialise("org.subhost.linux.netlink.NetlinkSocketCalls", Bindings.class.getClassLoader());
        }
        List<Downcall> all = Downcall.all();
        all.forEach(Downcall::link);
        return all.size();
    }

    /**
     * Starts linking the downcall handle that every binding shares on a daemon thread of
     * its own, and returns at once: a short-lived program (a CLI command) calls this
     * first, so that the JDK's work of linking (some tens of milliseconds in a cold JVM)
     * overlaps with its own start-up, such as reading a configuration file. The first
     * system call waits for it if it is not done yet. Calling it again does nothing more.
     */
    public static void prelinkInBackground() {
        if (PRELINK_STARTED.compareAndSet(false, true)) {
            // A class, not a method reference, and the classic constructor, not a thread
            // builder: a lambda's class and the builder's are made at run time unless the
            // start-up cache's training used them, which cost 5-8 ms of a cold command.
            Thread prelink = new Thread(new Prelink(), "subhost-prelink");
            prelink.setDaemon(true);
            prelink.start();
        }
    }

    /** The work of the prelinking thread. */
    private static final class Prelink implements Runnable {
        @Override
        public void run() {
            Downcall.prelink();
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean PRELINK_STARTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private static void initialiseAll(Module module) {
        var reference = module.getLayer().configuration().findModule(module.getName()).orElseThrow().reference();
        try (ModuleReader reader = reference.open(); Stream<String> entries = reader.list()) {
            entries.filter(e -> e.endsWith(".class") && !e.equals("module-info.class"))
                    .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
                    .forEach(name -> initialise(name, module.getClassLoader()));
        } catch (IOException e) {
            throw new UncheckedIOException("listing the classes of module " + module.getName(), e);
        }
    }

    private static void initialise(String className, ClassLoader loader) {
        try {
            Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("class " + className + " of this module is missing", e);
        }
    }
}
