package insole;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.bson.Document;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * mongod's TTL monitor, which mongo-java-server leaves out (it accepts {@code expireAfterSeconds} and
 * ignores it): every minute, each document whose indexed date is more than the index's
 * expireAfterSeconds in the past is deleted (with 0, oidc-provider's {@code expiresAt}, at that
 * date). Without it, a developer's ./data keeps every expired code, interaction and ticket, and
 * every look-up gets slower as the file grows. The delete goes through the collection, so the TTL
 * index itself (SecondaryIndex) finds the expired documents.
 */
final class TtlMonitor {
    private static final String INDEXES = "system.indexes";

    /** A backend that says which databases it holds. */
    interface Databases {
        Collection<MongoDatabase> databases();
    }

    private TtlMonitor() {
    }

    /** A daemon thread that runs a pass every {@code seconds}, as mongod does every 60 s. */
    static ScheduledExecutorService start(Databases backend, long seconds) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ttl-monitor");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                expire(backend.databases(), Instant.now());
            } catch (RuntimeException e) {
                System.err.println("dev database: a TTL pass failed (the next one retries): " + e);
            }
        }, seconds, seconds, TimeUnit.SECONDS);
        return timer;
    }

    /** One pass: deletes what has expired at {@code now}, and says how many documents that was. */
    static int expire(Collection<MongoDatabase> databases, Instant now) {
        int deleted = 0;
        for (MongoDatabase database : databases) {
            MongoCollection<?> indexes = database.resolveCollection(INDEXES, false);
            if (indexes == null) {
                continue;
            }
            List<Document> descriptions = new ArrayList<>();
            synchronized (indexes) {
                indexes.queryAll().forEach(descriptions::add);
            }
            for (Document index : descriptions) {
                if (!(index.get("expireAfterSeconds") instanceof Number seconds)
                        || !(index.get("key") instanceof Document key) || key.size() != 1
                        || !(index.get("ns") instanceof String ns)) {
                    continue; // mongod ignores expireAfterSeconds on a compound index too
                }
                MongoCollection<?> collection = database.resolveCollection(ns.substring(database.getDatabaseName().length() + 1), false);
                if (collection == null) {
                    continue;
                }
                // $lte on a date matches dates only (and arrays holding one), as mongod's TTL does.
                Instant cutoff = now.minusSeconds(seconds.longValue());
                deleted += collection.deleteDocuments(new Document(key.keySet().iterator().next(), new Document("$lte", cutoff)), 0);
            }
        }
        return deleted;
    }
}
