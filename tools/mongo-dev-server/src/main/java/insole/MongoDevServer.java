package insole;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Starts mongo-java-server on a chosen host and port with either the memory backend (tests) or
 * the H2 MVStore file backend (the embedded default of `npm start`), prints one line
 * {@code READY mongodb://host:port} once it listens, and stops when its standard input closes, so it
 * never outlives the Node process that started it.
 *
 * Usage: java -jar mongo-dev-server.jar [--host 127.0.0.1] [--port 0] [--data FILE.mv]
 */
public final class MongoDevServer {

    /**
     * mongo-java-server advertises wire version 8 by default; the Node driver 7 (mongoose 9)
     * refuses anything below 9. We advertise MongoDB 7.0, wire version 21, the release insole
     * targets in production.
     */
    static final MongoVersion MONGO_7_0 = new MongoVersion() {
        @Override public List<Integer> getVersionArray() { return List.of(7, 0, 0); }
        @Override public int getWireVersion() { return 21; }
    };

    /** Exit status when the data file is locked by another process: the launcher explains it in one line. */
    static final int EXIT_FILE_LOCKED = 3;

    public static void main(String[] args) throws Exception {
        Settings.class.getName(); // Settings' check of the environment, before anything starts
        String host = "127.0.0.1";
        int port = 0;
        String data = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--data" -> data = args[++i];
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }

        MongoBackend backend;
        try {
            backend = data == null ? new SafeMemoryBackend() : openFileBackend(data);
        } catch (MVStoreException e) {
            // Another dev server has the file (a second `npm start` in the same folder): a usage
            // mistake, not a crash, so no stack trace.
            if (e.getErrorCode() != DataUtils.ERROR_FILE_LOCKED) throw e;
            System.exit(EXIT_FILE_LOCKED);
            return;
        }
        backend.version(MONGO_7_0);
        TtlMonitor.start((TtlMonitor.Databases) backend, Settings.TTL_SECONDS);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        int boundPort = server.getLocalAddress().getPort();

        Runnable stop = () -> {
            server.shutdownNow();
            backend.close();
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop));

        System.out.println("READY mongodb://" + host + ":" + boundPort);
        System.out.flush();

        waitForStdinToClose(System.in);
        System.exit(0);
    }

    private static MongoBackend openFileBackend(String path) {
        File file = new File(path).getAbsoluteFile();
        File dir = file.getParentFile();
        if (dir != null && !dir.isDirectory() && !dir.mkdirs()) {
            throw new IllegalStateException("cannot create data folder " + dir);
        }
        // H2 rewrites chunks in the background until 90 % of the file is live data: under a steady load
        // that is most of its work (serializing every key it compares, under the store lock), and
        // it grows with the file. At 40 % the file holds at most about 2.5 times its live data.
        return FileBackend.open(new MVStore.Builder().fileName(file.getPath()).cacheSize((int) Settings.CACHE_MB).autoCompactFillRate(40).open());
    }

    private static void waitForStdinToClose(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) != -1) {
                // input is ignored; only its end matters
            }
        } catch (IOException ignored) {
            // a broken pipe means the parent is gone: stop as well
        }
    }
}
