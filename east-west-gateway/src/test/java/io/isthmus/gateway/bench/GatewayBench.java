package io.isthmus.gateway.bench;

import io.isthmus.gateway.TestPki;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives {@code bench/gateway.sh}: one mTLS server (BoringSSL, client certificate required), reached
 * directly, through HAProxy in TCP mode routing on {@code req.ssl_sni}, and through the gateway's
 * passthrough listener (a child JVM); measures long-stream throughput and new TLS connections per
 * second with their connect+handshake latency, and prints a Markdown table.
 *
 * <p>Arguments: {@code <seconds per measurement> <rounds> <streams> <connection workers> <haproxy binary>
 * [<warm-up seconds of connection load per path>]}. System properties: {@code bench.baseline} = the
 * classes directory of another build of the gateway, run as one more path (auto relay) ahead of this
 * build's; {@code bench.modes} = relay modes of this build to run (default {@code AUTO,SPLICE,COPY});
 * {@code bench.paths} = a regular expression the path names must match; the gateway processes run with
 * the proxy's shipped JVM options ({@link io.isthmus.sidecar.Sidecar#jvmOptions()}, what {@code isthmus
 * gateway} gets in the image and from the launcher); {@code bench.gatewayJvmArgs} = extra JVM options
 * after them ({@code {mode}} is replaced by the mode, e.g. for a JFR file name); {@code bench.altJvmOptions}
 * = one more gateway of this build per mode in {@code bench.altModes} (default {@code AUTO}) with these JVM options
 * instead of the shipped ones (an A/B of options in the same run); {@code bench.rounds=true} prints every round on stderr. The proxy CPU columns are the proxy
 * process's user + system CPU during the connection measurement divided by the connections made, and during the
 * throughput measurement divided by the gigabytes (10^9 bytes) the server received; the machine column is every
 * core's busy time during the throughput measurement per gigabyte: client, server and proxy share this machine's cores,
 * so a relay that saves its own CPU by moving work onto the endpoints shows there.
 */
public final class GatewayBench {

    private static final String SNI = "outbound_.9080_._.bench.default.svc.cluster.local";
    private static final int CHUNK = 64 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    private final AtomicLong received = new AtomicLong();
    private SslContext serverTls;
    private SslContext clientTls;

    private GatewayBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int streams = Integer.parseInt(args[2]);
        int workers = Integer.parseInt(args[3]);
        String haproxy = args[4];
        int warmupSeconds = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        GatewayBench bench = new GatewayBench();
        try {
            bench.run(seconds, rounds, streams, workers, haproxy, warmupSeconds);
        } finally {
            bench.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    private void run(int seconds, int rounds, int streams, int workers, String haproxyBin, int warmupSeconds) throws Exception {
        TestPki pki = TestPki.create();
        TestPki.Workload server = pki.material("spiffe://cluster.local/ns/default/sa/bench-server");
        TestPki.Workload client = pki.material("spiffe://cluster.local/ns/default/sa/bench-client");
        serverTls = SslContextBuilder.forServer(server.keys()).trustManager(server.trust()).sslProvider(SslProvider.OPENSSL)
                .clientAuth(ClientAuth.REQUIRE).build();
        clientTls = SslContextBuilder.forClient().keyManager(client.keys()).trustManager(client.trust())
                .sslProvider(SslProvider.OPENSSL).endpointIdentificationAlgorithm(null).build();
        Channel backend = startServer();
        int backendPort = ((InetSocketAddress) backend.localAddress()).getPort();

        Map<String, InetSocketAddress> targets = new LinkedHashMap<>();
        targets.put("direct (no gateway)", new InetSocketAddress("127.0.0.3", backendPort));
        List<Process> children = new ArrayList<>();
        Map<String, Long> pids = new LinkedHashMap<>();
        try {
            for (boolean splice : new boolean[] {false, true}) {
                Path cfg = Files.createTempFile("haproxy", ".cfg");
                int haproxyPort = freePort();
                Files.writeString(cfg, """
                        global
                          maxconn 4096
                          nbthread 2
                        defaults
                          mode tcp
                          timeout connect 5s
                          timeout client 1h
                          timeout server 1h
                          %s
                        frontend passthrough
                          bind 127.0.0.1:%d
                          tcp-request inspect-delay 10s
                          tcp-request content accept if { req.ssl_hello_type 1 }
                          use_backend mesh if { req.ssl_sni -i %s }
                        backend mesh
                          server s1 127.0.0.3:%d
                        """.formatted(splice ? "option splice-auto" : "", haproxyPort, SNI, backendPort));
                Process hp = new ProcessBuilder(haproxyBin, "-f", cfg.toString(), "-db").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                children.add(hp);
                InetSocketAddress address = new InetSocketAddress("127.0.0.1", haproxyPort);
                String name = splice ? "HAProxy 2.6 (tcp, req.ssl_sni, option splice-auto)" : "HAProxy 2.6 (tcp, req.ssl_sni)";
                targets.put(name, address);
                pids.put(name, hp.pid());
                waitForPort(address);
            }
            List<String[]> gateways = new ArrayList<>();
            String baseline = System.getProperty("bench.baseline", "");
            if (!baseline.isEmpty()) {
                gateways.add(new String[] {"AUTO", baseline});
            }
            for (String mode : System.getProperty("bench.modes", "AUTO,SPLICE,COPY").split(",")) {
                gateways.add(new String[] {mode, null});
            }
            String alt = System.getProperty("bench.altJvmOptions", "").trim();
            if (!alt.isEmpty()) {
                for (String mode : System.getProperty("bench.altModes", "AUTO").split(",")) {
                    gateways.add(new String[] {mode, null, alt});
                }
            }
            for (String[] g : gateways) {
                String mode = g[0];
                String cp = g[1] == null ? System.getProperty("java.class.path")
                        : g[1] + java.io.File.pathSeparator + System.getProperty("java.class.path");
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", cp));
                cmd.addAll(g.length > 2 ? List.of(g[2].split("\\s+")) : io.isthmus.sidecar.Sidecar.jvmOptions());
                String extra = System.getProperty("bench.gatewayJvmArgs", "").trim();
                if (!extra.isEmpty()) {
                    cmd.addAll(List.of(extra.replace("{mode}", mode + (g[1] == null ? "" : "-baseline")).split("\\s+")));
                }
                cmd.addAll(List.of(PassthroughBenchServer.class.getName(), SNI, "127.0.0.3", Integer.toString(backendPort), mode));
                Process gw = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                children.add(gw);
                BufferedReader out = new BufferedReader(new InputStreamReader(gw.getInputStream()));
                String line;
                int port = -1;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("port ")) {
                        port = Integer.parseInt(line.substring(5).trim());
                        break;
                    }
                }
                String name = "Isthmus gateway (" + switch (mode) {
                    case "AUTO" -> "auto: copy, then splice after 1 MiB";
                    case "SPLICE" -> "splice from the first byte";
                    default -> "copy only";
                } + ")" + (g[1] == null ? "" : ", previous build") + (g.length > 2 ? ", JVM options " + g[2] : "");
                targets.put(name, new InetSocketAddress("127.0.0.1", port));
                pids.put(name, gw.pid());
                Thread drain = new Thread(() -> {
                    try {
                        out.transferTo(java.io.Writer.nullWriter());
                    } catch (Exception e) {
                        // gone
                    }
                });
                drain.setDaemon(true);
                drain.start();
            }
            String only = System.getProperty("bench.paths", "");
            if (!only.isEmpty()) {
                targets.keySet().removeIf(k -> !k.matches(only));
            }

            // Rounds alternate over the paths so that load from elsewhere on the machine hits them alike; medians are reported.
            // Warm-up: every path (HAProxy too) carries the connection load for warmupSeconds first, so that
            // the proxies' JIT has compiled the connection path and measurements see the steady state.
            for (InetSocketAddress t : targets.values()) {
                connections(t, workers, warmupSeconds);
                throughput(t, streams, 1);
            }
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, InetSocketAddress> t : targets.entrySet()) {
                    long pid = pids.getOrDefault(t.getKey(), -1L);
                    long stream0 = cpuTicks(pid);
                    long machine0 = machineBusyTicks();
                    double gbps = throughput(t.getValue(), streams, seconds);
                    long machine1 = machineBusyTicks();
                    long stream1 = cpuTicks(pid);
                    // CPU seconds per GB (10^9 bytes) the server received, i.e. that the proxy relayed.
                    double gigabytes = gbps * seconds / 8;
                    double cpuPerGigabyte = pid < 0 || gigabytes == 0 ? Double.NaN : (stream1 - stream0) / TICKS_PER_SECOND / gigabytes;
                    // Every core's busy time (client, server, proxy, kernel, anything else running) per GB.
                    double machinePerGigabyte = gigabytes == 0 ? Double.NaN : (machine1 - machine0) / TICKS_PER_SECOND / gigabytes;
                    long cpu0 = cpuTicks(pid);
                    double[] rate = connections(t.getValue(), workers, seconds);
                    long cpu1 = cpuTicks(pid);
                    double cpuPerConnection = pid < 0 || rate[3] == 0 ? Double.NaN : (cpu1 - cpu0) * 1e6 / TICKS_PER_SECOND / rate[3];
                    results.computeIfAbsent(t.getKey(), k -> new ArrayList<>())
                            .add(new double[] {gbps, rate[0], rate[1], rate[2], cpuPerConnection, cpuPerGigabyte,
                                    machinePerGigabyte});
                }
            }
            System.out.println("| path | throughput, " + streams + " TLS streams (Gbit/s) | new mTLS connections/s (" + workers
                    + " concurrent) | connect+handshake p50 (ms) | p99 (ms) | proxy CPU per connection (µs) | proxy CPU per GB streamed (s)"
                    + " | machine CPU per GB streamed (s) |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
            for (Map.Entry<String, List<double[]>> r : results.entrySet()) {
                double cpu = median(r.getValue(), 4);
                double perGigabyte = median(r.getValue(), 5);
                System.out.printf("| %s | %.2f | %.0f | %.2f | %.2f | %s | %s | %.3f |%n", r.getKey(), median(r.getValue(), 0),
                        median(r.getValue(), 1), median(r.getValue(), 2), median(r.getValue(), 3),
                        Double.isNaN(cpu) ? "—" : String.format("%.0f", cpu),
                        Double.isNaN(perGigabyte) ? "—" : String.format("%.3f", perGigabyte), median(r.getValue(), 6));
            }
            printPairedRatios(results);
            if (Boolean.getBoolean("bench.rounds")) {
                for (Map.Entry<String, List<double[]>> r : results.entrySet()) {
                    StringBuilder sb = new StringBuilder(r.getKey()).append(':');
                    for (double[] row : r.getValue()) {
                        sb.append(String.format(" [%.2f Gbit/s, %.0f conn/s, %.0f µs, %.3f s/GB, machine %.3f s/GB]", row[0], row[1], row[4],
                                row[5], row[6]));
                    }
                    System.err.println(sb);
                }
            }
        } finally {
            for (Process p : children) {
                p.destroy();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            backend.close();
        }
    }

    /** Clock ticks per second of /proc/&lt;pid&gt;/stat's utime and stime (USER_HZ, 100 on Linux). */
    private static final double TICKS_PER_SECOND = 100;

    /** User + system CPU of a process and all its threads so far, in clock ticks; 0 for no process. */
    private static long cpuTicks(long pid) {
        if (pid < 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Busy clock ticks of all cores so far (the first line of /proc/stat: user, nice, system, irq, softirq, steal;
     * not idle or iowait); 0 when it cannot be read.
     */
    private static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7])
                    + Long.parseLong(f[8]);
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Each gateway path against each HAProxy path, round by round: the rounds alternate over the paths, so a
     * round's two measurements are seconds apart and share the machine's load of the moment. Prints the median
     * and range of the per-round ratios and in how many rounds the gateway was at least HAProxy's equal.
     */
    private static void printPairedRatios(Map<String, List<double[]>> results) {
        List<String> haproxies = results.keySet().stream().filter(k -> k.startsWith("HAProxy")).toList();
        List<String> gateways = results.keySet().stream().filter(k -> k.startsWith("Isthmus")).toList();
        if (haproxies.isEmpty() || gateways.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("Paired round by round with HAProxy (gateway / HAProxy; for p99 lower is better): median (lowest-highest)"
                + ", and the rounds in which the gateway was at least HAProxy's equal.");
        System.out.println();
        System.out.println("| path | against | throughput | connections/s | connect+handshake p99 |");
        System.out.println("|---|---|---:|---:|---:|");
        for (String g : gateways) {
            for (String h : haproxies) {
                List<double[]> a = results.get(g);
                List<double[]> b = results.get(h);
                System.out.printf("| %s | %s | %s | %s | %s |%n", g, h, ratios(a, b, 0, true), ratios(a, b, 1, true), ratios(a, b, 3, false));
            }
        }
    }

    /** The per-round ratios of one column as {@code 1.02x (0.95-1.08), 3/5 rounds}. */
    private static String ratios(List<double[]> gateway, List<double[]> haproxy, int column, boolean higherIsBetter) {
        int n = Math.min(gateway.size(), haproxy.size());
        double[] r = new double[n];
        int equalOrBetter = 0;
        for (int i = 0; i < n; i++) {
            r[i] = gateway.get(i)[column] / haproxy.get(i)[column];
            if (higherIsBetter ? r[i] >= 1 : r[i] <= 1) {
                equalOrBetter++;
            }
        }
        java.util.Arrays.sort(r);
        return String.format("%.2fx (%.2f-%.2f), %d/%d rounds", r[n / 2], r[0], r[n - 1], equalOrBetter, n);
    }

    private static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
        return v[v.length / 2];
    }

    private Channel startServer() throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(serverTls.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                            private boolean first = true;
                            private boolean echo;

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                if (first && b.isReadable()) {
                                    first = false;
                                    echo = b.getByte(b.readerIndex()) == 'E';
                                }
                                if (echo) {
                                    ctx.writeAndFlush(b);
                                } else {
                                    received.addAndGet(b.readableBytes());
                                    b.release();
                                }
                            }
                        });
                    }
                }).bind("127.0.0.3", 0).sync().channel();
    }

    private Bootstrap client(ChannelInboundHandlerAdapter handler) {
        return new Bootstrap().group(group).channel(EpollSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler tls = clientTls.newHandler(ch.alloc());
                        SSL.setTlsExtHostName(((ReferenceCountedOpenSslEngine) tls.engine()).sslPointer(), SNI);
                        ch.pipeline().addLast(tls, handler);
                    }
                });
    }

    /** Gbit/s received by the server from {@code streams} connections writing as fast as they can. */
    private double throughput(InetSocketAddress to, int streams, int seconds) throws Exception {
        ByteBuf chunk = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[CHUNK]));
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            Channel ch = client(new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                        pump(ctx.channel(), chunk);
                    }
                }

                @Override
                public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                    pump(ctx.channel(), chunk);
                }
            }).connect(to).sync().channel();
            channels.add(ch);
        }
        Thread.sleep(300);
        long start = received.get();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long bytes = received.get() - start;
        double secs = (System.nanoTime() - t0) / 1e9;
        for (Channel ch : channels) {
            ch.close().sync();
        }
        return bytes * 8 / secs / 1e9;
    }

    private static void pump(Channel ch, ByteBuf chunk) {
        while (ch.isActive() && ch.isWritable()) {
            ch.write(chunk.duplicate());
        }
        ch.flush();
    }

    /** New mTLS connections per second and the p50/p99 of connect+handshake, in ms. */
    private double[] connections(InetSocketAddress to, int workers, int seconds) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(workers);
        for (int i = 0; i < workers; i++) {
            new Worker(to, latencies, done, deadline, finished).next();
        }
        finished.await(seconds + 30L, TimeUnit.SECONDS);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double p50 = sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1e6;
        double p99 = sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] / 1e6;
        return new double[] {done.get() / (double) seconds, p50, p99, done.get()};
    }

    /** One connection after the other: connect, handshake, one echoed byte, close. */
    private final class Worker {
        private final InetSocketAddress to;
        private final ConcurrentLinkedQueue<Long> latencies;
        private final AtomicLong done;
        private final long deadline;
        private final java.util.concurrent.CountDownLatch finished;

        Worker(InetSocketAddress to, ConcurrentLinkedQueue<Long> latencies, AtomicLong done, long deadline,
                java.util.concurrent.CountDownLatch finished) {
            this.to = to;
            this.latencies = latencies;
            this.done = done;
            this.deadline = deadline;
            this.finished = finished;
        }

        void next() {
            if (System.nanoTime() > deadline) {
                finished.countDown();
                return;
            }
            long t0 = System.nanoTime();
            client(new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof SslHandshakeCompletionEvent e) {
                        if (e.isSuccess()) {
                            latencies.add(System.nanoTime() - t0);
                            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'E'}));
                        } else {
                            ctx.close();
                        }
                    }
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ((ByteBuf) msg).release();
                    done.incrementAndGet();
                    ctx.close();
                }
            }).connect(to).addListener(f -> {
                if (!f.isSuccess()) {
                    group.next().schedule(this::next, 10, TimeUnit.MILLISECONDS);
                } else {
                    ((io.netty.channel.ChannelFuture) f).channel().closeFuture().addListener(c -> next());
                }
            });
        }
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(InetSocketAddress a) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (java.net.Socket s = new java.net.Socket(a.getAddress(), a.getPort())) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on " + a);
    }
}
