package dev.phasegate.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;

/** A socketFactory a hostile jdbcUrl could name: counts how often pgjdbc instantiated it. */
public final class TrapSocketFactory extends SocketFactory {
    private static final AtomicInteger CREATED = new AtomicInteger();

    public TrapSocketFactory() {
        CREATED.incrementAndGet();
    }

    public static int created() {
        return CREATED.get();
    }

    @Override
    public Socket createSocket() {
        return new Socket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return new Socket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return new Socket(address, port, localAddress, localPort);
    }
}
