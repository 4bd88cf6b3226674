package io.isthmus.e2e.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A JVM the runner starts (controller, gateway, pod): {@code [prefix] java <lean flags> -cp
 * <this JVM's classpath> <main> <args>}, output appended to {@code <logDir>/<name>.log}.
 */
public final class ChildProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    /** Flags of every child: small heap, serial GC, C1 only, class-data sharing, and what Hazelcast and Netty ask for. */
    public static final List<String> LEAN_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:-UsePerfData", "-Xss512k", "-XX:CICompilerCount=1",
            "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.management/sun.management=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Flags every child of the running federation gets besides {@link #LEAN_FLAGS} (loopback mode: its marker). */
    private static volatile List<String> runFlags = List.of();

    /** Sets the flags every child started from now on gets (empty = none). */
    static void runFlags(List<String> flags) {
        runFlags = List.copyOf(flags);
    }

    /** Starts {@code mainClass} with {@code args} in a child JVM, after {@code prefix} (e.g. {@code ip netns exec ns}). */
    public static ChildProcess startJava(String name, List<String> prefix, String heap, String mainClass, List<String> args,
                                         Path logDir) {
        return startJava(name, prefix, List.of(), heap, mainClass, args, logDir);
    }

    /** As {@link #startJava(String, List, String, String, List, Path)}, with JVM options of this child ({@code -D...}). */
    public static ChildProcess startJava(String name, List<String> prefix, List<String> jvmOptions, String heap, String mainClass,
                                         List<String> args, Path logDir) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(javaBinary());
        cmd.add("-Xmx" + heap);
        cmd.addAll(LEAN_FLAGS);
        cmd.addAll(runFlags);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass);
        cmd.addAll(args);
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Files.writeString(log, "# " + String.join(" ", cmd).replace(classpath(), "<classpath>") + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            p.getOutputStream().close();
            LOG.info("started [{}] pid={} log={}", name, p.pid(), log);
            return new ChildProcess(name, p, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code mainClass} with {@code args} in a child JVM after {@code prefix} to completion (a
     * set-up step), output appended to {@code <logDir>/<name>.log}; returns its exit code (-1 when it
     * did not end within {@code timeout}, then it is killed).
     */
    public static int runJava(String name, List<String> prefix, String mainClass, List<String> args, Path logDir,
                              java.time.Duration timeout) {
        ChildProcess p = startJava(name, prefix, "64m", mainClass, args, logDir);
        try {
            if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.process.destroyForcibly();
                p.waitGone();
                return -1;
            }
            return p.process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.process.destroyForcibly();
            return -1;
        }
    }

    /** The java binary of this JVM. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }

    private static volatile String classpath;

    /**
     * This JVM's classpath as a list of files; a manifest-only jar (surefire's booter) is expanded
     * into its {@code Class-Path} entries.
     */
    public static String classpath() {
        String cp = classpath;
        return cp != null ? cp : originalClasspath();
    }

    private static volatile String original;

    /** This JVM's own classpath, expanded, never a snapshot. */
    private static synchronized String originalClasspath() {
        if (original != null) {
            return original;
        }
        String raw = System.getProperty("java.class.path");
        String[] parts = raw.split(File.pathSeparator);
        if (parts.length == 1 && parts[0].endsWith(".jar")) {
            try (JarFile jar = new JarFile(parts[0])) {
                Manifest mf = jar.getManifest();
                String entries = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
                if (entries != null && !entries.isBlank()) {
                    List<String> files = new ArrayList<>();
                    Path base = Path.of(parts[0]).toAbsolutePath().getParent();
                    for (String e : entries.trim().split("\\s+")) {
                        files.add(e.startsWith("file:") ? Path.of(URI.create(e)).toString() : base.resolve(e).toString());
                    }
                    raw = String.join(File.pathSeparator, files);
                }
            } catch (IOException e) {
                LOG.warn("cannot read the manifest of {}: {}", parts[0], e.getMessage());
            }
        }
        original = raw;
        return raw;
    }

    /**
     * Copies the classpath's jars to {@code libDir} and makes children use the copies, so a jar
     * rewritten in the local repository while the federation runs (another build installing)
     * cannot break a child that starts later. Directories stay as they are.
     */
    public static synchronized void snapshotClasspath(Path libDir) {
        String current = originalClasspath();
        List<String> out = new ArrayList<>();
        try {
            Files.createDirectories(libDir);
            int i = 0;
            for (String e : current.split(File.pathSeparator)) {
                Path p = Path.of(e);
                if (e.endsWith(".jar") && Files.isRegularFile(p)) {
                    Path copy = libDir.resolve(String.format("%03d-%s", i++, p.getFileName()));
                    Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    out.add(copy.toAbsolutePath().toString());
                } else {
                    out.add(e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the classpath to " + libDir, e);
        }
        classpath = String.join(File.pathSeparator, out);
        LOG.info("children run from a copy of the classpath in {} ({} entries)", libDir, out.size());
    }

    /** The child's name. */
    public String name() {
        return name;
    }

    /** Its log file. */
    public Path log() {
        return log;
    }

    /** Whether it still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** Its exit code once it has ended, else empty. */
    public java.util.OptionalInt exitCode() {
        return process.isAlive() ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(process.exitValue());
    }

    /** Its pid. */
    public long pid() {
        return process.pid();
    }

    /** The last lines of its log, for error messages. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Kills it at once (SIGKILL), as a crashing pod dies, and waits for it to be gone. */
    public void kill() {
        process.destroyForcibly();
        waitGone();
        LOG.info("killed [{}] pid={}", name, process.pid());
    }

    /** Stops it politely (SIGTERM), then by force after 5 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                waitGone();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void waitGone() {
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
