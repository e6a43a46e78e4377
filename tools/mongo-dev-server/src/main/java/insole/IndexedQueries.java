package insole;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

import java.util.Collection;
import java.util.List;

/**
 * A query planner step mongo-java-server 1.47 lacks: it uses an index only when the query names
 * exactly the index's keys, so {@code {_id: x, expiresAt: {$gt: now}}} (every oidc-provider read,
 * since the dev server ignores TTL) or {@code {user_id: u, 'facts.rev': 3}} (every profile write)
 * scanned the whole collection, and got slower with every sign-in stored. Here a unique index whose
 * every key is pinned by the query (one value, or {@code $in}) gives the candidates, and the whole
 * query then filters them, as MongoDB's planner does.
 */
final class IndexedQueries {

    private IndexedQueries() {
    }

    /** The part of {@code query} an index can answer, with that index; null when none can narrow it. */
    static <P> Narrowed<P> narrow(List<Index<P>> indexes, Document query) {
        for (Index<P> index : indexes) {
            if (!index.isUnique()) {
                continue; // mongo-java-server keeps no entries for other indexes
            }
            Document pinned = new Document();
            for (IndexKey key : index.getKeys()) {
                Object value = query.get(key.getKey());
                if (!query.containsKey(key.getKey()) || !isPinned(value)) {
                    pinned = null;
                    break;
                }
                pinned.put(key.getKey(), value);
            }
            if (pinned != null && index.canHandle(pinned)) {
                return new Narrowed<>(index, pinned);
            }
        }
        return null;
    }

    /** One value (not an operator, a pattern or an array, whose matching is wider than equality), or {@code {$in: [...]}}. */
    private static boolean isPinned(Object value) {
        if (value == null || value instanceof Collection || BsonRegularExpression.isRegularExpression(value)) {
            return false;
        }
        if (value instanceof Document document) {
            return document.size() == 1 && document.get("$in") instanceof Collection;
        }
        return true;
    }

    record Narrowed<P>(Index<P> index, Document pinned) {
    }

    /** {@code INSOLE_DEV_DB_SCANS=1}: say (once per collection and query shape) which queries read a whole large collection. */
    private static final boolean REPORT_SCANS = "1".equals(System.getenv("INSOLE_DEV_DB_SCANS"));
    private static final java.util.Set<String> REPORTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void scanning(String collection, int size, Document query) {
        if (!REPORT_SCANS || size < 1000) {
            return;
        }
        String shape = collection + " " + query.keySet();
        if (REPORTED.add(shape)) {
            System.err.println("dev database: full scan of " + collection + " (" + size + " documents) for a query on " + query.keySet());
        }
    }
}
