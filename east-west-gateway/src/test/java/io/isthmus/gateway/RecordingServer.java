package io.isthmus.gateway;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain TCP endpoint that records what each connection sends and answers every read with
 * {@code ack:<total bytes so far>} once the connection has sent at least {@code expect} bytes.
 */
public final class RecordingServer implements AutoCloseable {

    private final ServerSocket server;
    private final int expect;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-server");
        t.setDaemon(true);
        return t;
    });
    public final CopyOnWriteArrayList<ByteArrayOutputStream> connections = new CopyOnWriteArrayList<>();

    public RecordingServer(String bindAddress, int expect) throws Exception {
        this.expect = expect;
        server = new ServerSocket(0, 100, InetAddress.getByName(bindAddress));
        threads.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    threads.execute(() -> serve(s));
                } catch (Exception e) {
                    return;
                }
            }
        });
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void serve(Socket s) {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        connections.add(seen);
        try (s) {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            int n;
            boolean acked = false;
            while ((n = in.read(buf)) > 0) {
                synchronized (seen) {
                    seen.write(buf, 0, n);
                }
                if (!acked && seen.size() >= expect) {
                    acked = true;
                    s.getOutputStream().write(("ack:" + seen.size()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                }
            }
        } catch (Exception e) {
            // gone
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
        threads.shutdownNow();
    }
}
