package insole;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A query planner step mongo-java-server 1.47 lacks: it uses an index only when the query names
 * exactly the keys of a unique index, so {@code {_id: x, expiresAt: {$gt: now}}} (every oidc-provider
 * read, since the dev server ignores TTL) or a job claim on {@code {state, run_after}} read the whole
 * collection, and got slower with every sign-in stored. Here an index gives candidates and the whole
 * query then filters them, as MongoDB's planner does:
 * - a unique index whose every key is pinned (one value, or {@code $in});
 * - a non-unique index (SecondaryIndex): equality or {@code $in} on a prefix of its keys, then a range
 *   on the next key;
 * - a top-level {@code $or} whose every branch (with the rest of the query) can use an index: the union.
 * Only strings, booleans, dates, ObjectIds and UUIDs are pinned: their equality in the matcher is the
 * index's ordering; numbers (1 == 1.0 == 1L), null (also matches a missing field), documents, arrays
 * and patterns match more widely, and such queries scan as before. Candidates come back in the order
 * a scan reads documents, so results without a sort (or with ties) do not change.
 */
final class IndexedQueries {

    private IndexedQueries() {
    }

    /** A range on one index key; a null bound is open. */
    record Range(Object lower, boolean lowerInclusive, Object upper, boolean upperInclusive) {
    }

    /** How much of the query an index pins (more is narrower), and how to get its candidates. */
    private record Choice<P>(int score, Supplier<Collection<P>> positions) {
    }

    private static final int UNIQUE_SCORE = 1000;
    /** Cartesian products of $in lists past this are not worth building: scan. */
    private static final int MAX_PREFIXES = 1000;

    /** Candidate positions in scan order (a superset of the matches), or null when no index narrows the query. */
    static <P> List<P> candidates(List<Index<P>> indexes, Document query, Document orderBy, Comparator<? super P> scanOrder) {
        if (orderBy != null && orderBy.containsKey("$natural")) {
            return null; // the backends read in reverse for $natural: -1; leave that to them
        }
        Document rest = new Document(query);
        Object or = rest.remove("$or");
        Choice<P> best = best(indexes, rest);
        if (or instanceof List<?> branches && !branches.isEmpty()) {
            Choice<P> union = union(indexes, rest, branches);
            if (union != null && (best == null || union.score() > best.score())) {
                best = union;
            }
        }
        if (best == null) {
            return null;
        }
        List<P> positions = new ArrayList<>(best.positions().get());
        positions.sort(scanOrder);
        return positions;
    }

    private static <P> Choice<P> union(List<Index<P>> indexes, Document rest, List<?> branches) {
        List<Choice<P>> choices = new ArrayList<>();
        for (Object branch : branches) {
            if (!(branch instanceof Document conditions)) {
                return null;
            }
            // A match satisfies the rest of the query and this branch: either may narrow it.
            Document both = new Document(conditions);
            rest.forEach(both::putIfAbsent);
            Choice<P> choice = best(indexes, both);
            if (choice == null) {
                return null;
            }
            choices.add(choice);
        }
        int score = choices.stream().mapToInt(Choice::score).min().orElse(0);
        return new Choice<>(score, () -> {
            Set<P> all = new HashSet<>();
            choices.forEach(choice -> all.addAll(choice.positions().get()));
            return all;
        });
    }

    private static <P> Choice<P> best(List<Index<P>> indexes, Document conditions) {
        Document query = withElemMatchFields(conditions);
        Choice<P> best = null;
        for (Index<P> index : indexes) {
            Choice<P> choice = index instanceof SecondaryIndex<P> secondary ? secondary(secondary, query)
                : index.isUnique() ? unique(index, query) : null;
            if (choice != null && (best == null || choice.score() > best.score())) {
                best = choice;
            }
        }
        return best;
    }

    /**
     * {@code {identities: {$elemMatch: {provider: p, user_id: u}}}} also pins {@code identities.provider}
     * and {@code identities.user_id} (an element matching both is a document matching each), so the
     * compound index on those paths can narrow it. Fields the query names itself are kept as they are.
     */
    private static Document withElemMatchFields(Document query) {
        Document widened = null;
        for (String key : query.keySet()) {
            if (query.get(key) instanceof Document condition && condition.size() == 1
                && condition.get("$elemMatch") instanceof Document element) {
                for (String field : element.keySet()) {
                    if (!field.startsWith("$") && !query.containsKey(key + "." + field)) {
                        widened = widened == null ? new Document(query) : widened;
                        widened.put(key + "." + field, element.get(field));
                    }
                }
            }
        }
        return widened == null ? query : widened;
    }

    private static <P> Choice<P> unique(Index<P> index, Document query) {
        Document pinned = new Document();
        for (IndexKey key : index.getKeys()) {
            if (!query.containsKey(key.getKey()) || !isUniqueValue(query.get(key.getKey()))) {
                return null;
            }
            pinned.put(key.getKey(), query.get(key.getKey()));
        }
        if (!index.canHandle(pinned)) {
            return null;
        }
        return new Choice<>(UNIQUE_SCORE, () -> {
            List<P> positions = new ArrayList<>();
            index.getPositions(pinned).forEach(position -> {
                if (position != null) {
                    positions.add(position);
                }
            });
            return positions;
        });
    }

    private static <P> Choice<P> secondary(SecondaryIndex<P> index, Document query) {
        if (!index.isUsable()) {
            return null;
        }
        List<List<Object>> prefixes = new ArrayList<>();
        prefixes.add(List.of());
        Range range = null;
        for (IndexKey key : index.getKeys()) {
            List<Object> values = values(query.get(key.getKey()));
            if (values == null) {
                // On an array field two bounds may hold for different elements: no range there.
                range = index.isMultikey() ? null : range(query.get(key.getKey()));
                break;
            }
            if (values.isEmpty()) {
                return new Choice<>(UNIQUE_SCORE, List::of); // {$in: []} matches nothing
            }
            prefixes = extend(prefixes, values);
            if (prefixes.size() > MAX_PREFIXES) {
                return null;
            }
        }
        int pinnedKeys = prefixes.get(0).size();
        if (pinnedKeys == 0 && range == null) {
            return null;
        }
        List<List<Object>> probes = prefixes;
        Range bounds = range;
        return new Choice<>(2 * pinnedKeys + (range == null ? 0 : 1), () -> index.positions(probes, bounds));
    }

    /** Each prefix followed by each value: the keys a document is under, or the probes a query makes. */
    static List<List<Object>> extend(List<List<Object>> prefixes, List<Object> values) {
        List<List<Object>> longer = new ArrayList<>();
        for (List<Object> prefix : prefixes) {
            for (Object value : values) {
                List<Object> next = new ArrayList<>(prefix);
                next.add(value);
                longer.add(next);
            }
        }
        return longer;
    }

    /** The values a condition pins the field to ({@code v}, {@code {$eq: v}}, {@code {$in: [...]}}), or null. */
    private static List<Object> values(Object condition) {
        if (isPinnable(condition)) {
            return List.of(condition);
        }
        if (!(condition instanceof Document operators) || operators.isEmpty()
            || !operators.keySet().stream().allMatch(key -> key.startsWith("$"))) {
            return null;
        }
        if (isPinnable(operators.get("$eq"))) {
            return List.of(operators.get("$eq"));
        }
        if (operators.get("$in") instanceof Collection<?> in && in.stream().allMatch(IndexedQueries::isPinnable)) {
            return new ArrayList<>(in);
        }
        return null;
    }

    /** {@code {$gt|$gte: a, $lt|$lte: b}} (one bound or both) on a pinnable value, or null. */
    private static Range range(Object condition) {
        if (!(condition instanceof Document operators)) {
            return null;
        }
        Object lower = bound(operators, "$gt", "$gte");
        Object upper = bound(operators, "$lt", "$lte");
        if (lower == null && upper == null) {
            return null;
        }
        return new Range(lower, !operators.containsKey("$gt"), upper, !operators.containsKey("$lt"));
    }

    private static Object bound(Document operators, String exclusive, String inclusive) {
        if (operators.containsKey(exclusive) && operators.containsKey(inclusive)) {
            return null; // both given: rare; leaving the side open is still a superset
        }
        Object value = operators.containsKey(exclusive) ? operators.get(exclusive) : operators.get(inclusive);
        return isPinnable(value) && !(value instanceof Boolean) ? value : null;
    }

    /**
     * For a unique index, whose own lookup decides equality: one value (not an operator, a pattern or
     * an array, whose matching is wider than equality), or {@code {$in: [...]}}.
     */
    private static boolean isUniqueValue(Object value) {
        if (value == null || value instanceof Collection || BsonRegularExpression.isRegularExpression(value)) {
            return false;
        }
        if (value instanceof Document document) {
            return document.size() == 1 && document.get("$in") instanceof Collection;
        }
        return true;
    }

    private static boolean isPinnable(Object value) {
        return value instanceof String || value instanceof Boolean || value instanceof Instant
            || value instanceof ObjectId || value instanceof UUID;
    }

    /** {@code INSOLE_DEV_DB_SCANS=1}: say (once per collection and query shape) which queries read a whole large collection. */
    private static final boolean REPORT_SCANS = Settings.REPORT_SCANS;
    private static final java.util.Set<String> REPORTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void scanning(String collection, int size, Document query) {
        if (!REPORT_SCANS || size < 1000) {
            return;
        }
        String shape = collection + " " + shape(query);
        if (REPORTED.add(shape)) {
            String what = query.isEmpty() ? "no filter (an aggregate reads every document, then applies its $match)" : "a query on " + shape(query);
            System.err.println("dev database: full scan of " + collection + " (" + size + " documents) for " + what);
        }
    }

    /**
     * {@code INSOLE_DEV_DB_SCANS=1}: also say (once per shape) when an index leaves 1,000 candidates or
     * more. Each is read and matched, so a query that narrows little costs as much as a scan.
     */
    static void narrowing(String collection, int candidates, Document query) {
        if (!REPORT_SCANS || candidates < 1000) {
            return;
        }
        if (REPORTED.add("narrowing " + collection + " " + shape(query))) {
            System.err.println("dev database: an index leaves " + candidates + " candidates in " + collection + " for a query on " + shape(query));
        }
    }

    /** Field names and operators, not values: {@code {state, run_after: {$lte}}}. */
    private static String shape(Object value) {
        if (value instanceof Document document) {
            List<String> parts = new ArrayList<>();
            document.forEach((key, inner) -> parts.add(inner instanceof Document || inner instanceof List<?> ? key + ": " + shape(inner) : key));
            return "{" + String.join(", ", parts) + "}";
        }
        if (value instanceof List<?> list) {
            Set<String> shapes = new java.util.LinkedHashSet<>();
            list.forEach(element -> shapes.add(element instanceof Document ? shape(element) : "…"));
            return "[" + String.join(", ", shapes) + "]";
        }
        return "…";
    }
}
