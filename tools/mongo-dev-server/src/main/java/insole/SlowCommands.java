package insole;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.function.Function;

/**
 * {@code INSOLE_DEV_DB_SLOW_MS=n}: mongod's slow-operation log (its {@code slowms}) for the dev
 * database. Each command that took n ms or more is printed with where its thread's time went: CPU,
 * blocked on a collection's monitor, parked (H2's store lock), the rest (descheduled, GC, safepoints).
 * Commands of all connections on one Netty worker run one after another, so a slow one delays the others.
 */
final class SlowCommands {
    private static final long SLOW_MS = Settings.SLOW_MS;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    static {
        if (SLOW_MS >= 0 && THREADS.isThreadContentionMonitoringSupported()) {
            THREADS.setThreadContentionMonitoringEnabled(true);
        }
    }

    private SlowCommands() {
    }

    static Document handle(MongoMessage message, Function<MongoMessage, Document> handler) {
        if (SLOW_MS < 0) {
            return handler.apply(message);
        }
        long threadId = Thread.currentThread().getId();
        ThreadInfo before = THREADS.getThreadInfo(threadId);
        long cpuBefore = THREADS.getCurrentThreadCpuTime();
        long started = System.nanoTime();
        try {
            return handler.apply(message);
        } finally {
            long ms = (System.nanoTime() - started) / 1_000_000;
            if (ms >= SLOW_MS) {
                ThreadInfo after = THREADS.getThreadInfo(threadId);
                long cpu = (THREADS.getCurrentThreadCpuTime() - cpuBefore) / 1_000_000;
                long blocked = after.getBlockedTime() - before.getBlockedTime();
                long waited = after.getWaitedTime() - before.getWaitedTime();
                Document query = message.getDocument();
                String command = query.keySet().iterator().next();
                Object collection = query.get(command);
                System.err.println("dev database: slow " + command + " " + message.getDatabaseName()
                    + (collection instanceof String name ? "." + name : "") + " " + ms + " ms (cpu " + cpu
                    + ", blocked " + blocked + ", parked " + waited + ", other " + Math.max(0, ms - cpu - blocked - waited)
                    + ") on " + Thread.currentThread().getName() + " ended " + Instant.now());
            }
        }
    }
}
