package dev.phasegate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a database that can be black-holed: once {@link #blackHole()} is called it keeps every
 * connection open, old and new, and passes no byte either way, as a dropped route or a frozen host does. Nothing is
 * refused or reset, so only a client's own timeouts can end its wait.
 */
public final class BlackHoleProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean blackHoled;
    private volatile boolean closed;

    public BlackHoleProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        daemon(this::accept, "black-hole-accept").start();
    }

    /** jdbc:postgresql://127.0.0.1:port/database through the proxy. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + server.getLocalPort() + "/" + database;
    }

    /** From now on no byte passes, and new connections are accepted but never answered. */
    public void blackHole() {
        blackHoled = true;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                if (blackHoled) {
                    continue; // accepted, never answered
                }
                Socket upstream = new Socket(targetHost, targetPort);
                sockets.add(upstream);
                daemon(() -> pump(client, upstream), "black-hole-up").start();
                daemon(() -> pump(upstream, client), "black-hole-down").start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                while (blackHoled && !closed) {
                    Thread.sleep(50); // hold the bytes: the other side waits for an answer that never comes
                }
                if (closed) {
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the connection is gone
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
