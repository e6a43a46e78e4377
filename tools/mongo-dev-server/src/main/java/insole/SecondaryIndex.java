package insole;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A non-unique (possibly compound) index. mongo-java-server 1.47 keeps nothing for these (its
 * EmptyIndex), so every query not pinned by a unique index read the whole collection. Entries live in
 * memory in both backends: the file backend rebuilds them when it opens its indexes (addIndex fills an
 * empty index from every stored document), which costs one pass per index at start-up.
 *
 * The index only ever gives candidates; the caller filters them with the whole query. So a lookup may
 * return too much, never too little: a document with an array gets one entry per element, and one
 * whose keys cannot be listed (parallel arrays, too many combinations) makes the index unusable.
 * Every method runs under the collection's lock (mongo-java-server synchronizes writes and queries on
 * the collection; our backends add addIndex, dropIndex and count); {@code synchronized} here is a guard.
 */
final class SecondaryIndex<P> extends Index<P> {

    /** Past this many entries for one document (cartesian product of array keys) the index gives up. */
    private static final int MAX_KEYS_PER_DOCUMENT = 64;

    private final NavigableMap<List<Object>, Set<P>> entries = new TreeMap<>(SecondaryIndex::compareKeys);
    /** What each document (by _id) was indexed under, to undo it on update and delete. */
    private final NavigableMap<Object, Indexed<P>> byId = new TreeMap<>(SecondaryIndex::compareValues);
    private boolean multikey;
    private boolean usable = true;

    private record Indexed<P>(P position, List<List<Object>> keys) {
    }

    SecondaryIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    /** Whether lookups can be trusted (see keysOf). */
    synchronized boolean isUsable() {
        return usable;
    }

    /** Whether some document has two values for a key: then two bounds may hold for different values, and IndexedQueries uses no range. */
    synchronized boolean isMultikey() {
        return multikey;
    }

    /**
     * Positions whose key starts with one of {@code prefixes} and, if {@code range} is given, whose next
     * key is in it. A range matches values of its bound's type only ({@code $lt} on a date never matches
     * a string or a missing field, in MongoDB and in mongo-java-server's matcher), so keys of other types
     * are skipped: {@code {"pending_logs.0.date": {$lt: t}}} would otherwise return, from its open lower
     * side, every document without the field (Missing sorts first), and read each of them to match it.
     */
    synchronized Set<P> positions(List<List<Object>> prefixes, IndexedQueries.Range range) {
        Set<P> found = new HashSet<>();
        Class<?> rangeType = range == null ? null : (range.lower() != null ? range.lower() : range.upper()).getClass();
        for (List<Object> prefix : prefixes) {
            List<Object> low = new ArrayList<>(prefix);
            List<Object> high = new ArrayList<>(prefix);
            boolean lowInclusive = true;
            boolean highInclusive = true;
            if (range != null) {
                low.add(range.lower() == null ? Bound.MIN : range.lower());
                high.add(range.upper() == null ? Bound.MAX : range.upper());
                lowInclusive = range.lower() == null || range.lowerInclusive();
                highInclusive = range.upper() == null || range.upperInclusive();
            }
            // A bound shorter than the key covers every longer key under it (MIN/MAX sort before/after anything).
            if (low.size() < getKeys().size()) {
                low.add(lowInclusive ? Bound.MIN : Bound.MAX);
                lowInclusive = true;
            }
            if (high.size() < getKeys().size()) {
                high.add(highInclusive ? Bound.MAX : Bound.MIN);
                highInclusive = true;
            }
            if (compareKeys(low, high) > 0) {
                continue;
            }
            int rangeKey = prefix.size();
            entries.subMap(low, lowInclusive, high, highInclusive).forEach((key, positions) -> {
                if (rangeType == null || rangeType.isInstance(key.get(rangeKey))) {
                    found.addAll(positions);
                }
            });
        }
        return found;
    }

    @Override
    public synchronized void add(Document document, P position, MongoCollection<P> collection) {
        List<List<Object>> keys = keysOf(document);
        byId.put(idOf(document), new Indexed<>(position, keys));
        for (List<Object> key : keys) {
            entries.computeIfAbsent(key, k -> new HashSet<>()).add(position);
        }
    }

    @Override
    public synchronized P remove(Document document) {
        Indexed<P> indexed = byId.remove(idOf(document));
        if (indexed == null) {
            return null;
        }
        unlink(indexed);
        return indexed.position();
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) {
        Indexed<P> indexed = byId.remove(idOf(oldDocument));
        if (indexed != null) {
            unlink(indexed);
        }
        add(newDocument, position, collection);
    }

    private void unlink(Indexed<P> indexed) {
        for (List<Object> key : indexed.keys()) {
            Set<P> positions = entries.get(key);
            if (positions != null && positions.remove(indexed.position()) && positions.isEmpty()) {
                entries.remove(key);
            }
        }
    }

    private static Object idOf(Document document) {
        return Missing.ofNullable(document.get("_id"));
    }

    /** Every key the document is found under: one value per index key, arrays expanded element by element. */
    private List<List<Object>> keysOf(Document document) {
        List<List<Object>> keys = new ArrayList<>();
        keys.add(List.of());
        for (IndexKey indexKey : getKeys()) {
            List<Object> values = new ArrayList<>();
            collect(document, indexKey.getKey().split("\\."), 0, values);
            if (values.isEmpty()) {
                values.add(Missing.getInstance()); // so other keys of a compound index still find it
            }
            if (values.stream().filter(Missing::isNeitherNullNorMissing).count() > 1) {
                multikey = true; // two bounds could now hold for two different values
            }
            keys = IndexedQueries.extend(keys, values);
            if (keys.size() > MAX_KEYS_PER_DOCUMENT) {
                usable = false; // stays off: entries no longer describe every document
                return List.of();
            }
        }
        return keys;
    }

    /**
     * The values a dotted path can reach, as the query matcher may read it: through a document's field,
     * an array's element by position ({@code pending_events.0.at}) and every element's field. (Not
     * Utils.getSubdocumentValueCollectionAware: below an array it reads only elements' fields, so it
     * misses {@code a.0.b}.) More values than the matcher would use only widen the candidates.
     */
    private void collect(Object value, String[] path, int depth, List<Object> into) {
        if (depth == path.length) {
            flatten(value, into);
        } else if (value instanceof Document document) {
            collect(document.getOrMissing(path[depth]), path, depth + 1, into);
        } else if (value instanceof List<?> list) {
            if (path[depth].matches("\\d+") && path[depth].length() < 9 && Integer.parseInt(path[depth]) < list.size()) {
                collect(list.get(Integer.parseInt(path[depth])), path, depth + 1, into);
            }
            for (Object element : list) {
                collect(element, path, depth, into);
            }
        }
    }

    private void flatten(Object value, List<Object> into) {
        if (value instanceof Collection<?> values) {
            if (values.isEmpty()) {
                into.add(Missing.getInstance());
            }
            for (Object element : values) {
                flatten(element, into);
            }
        } else {
            into.add(value == null ? Missing.getInstance() : value);
        }
    }

    /** Before or after every value, to turn a key prefix into a range of full keys. */
    enum Bound { MIN, MAX }

    /**
     * Keys in order, element by element. Numbers compare as doubles: ValueComparator mixes long and
     * double comparisons, which is not a total order, and a TreeMap needs one.
     */
    static int compareKeys(List<Object> a, List<Object> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int cmp = compareValues(a.get(i), b.get(i));
            if (cmp != 0) {
                return cmp;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int compareValues(Object a, Object b) {
        if (a instanceof Bound || b instanceof Bound) {
            return Integer.compare(boundRank(a), boundRank(b));
        }
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        return ValueComparator.asc().compare(a, b);
    }

    private static int boundRank(Object value) {
        return value == Bound.MIN ? -1 : value == Bound.MAX ? 1 : 0;
    }

    @Override
    public P getPosition(Document document) {
        return null; // the unique _id index gives the position; null is skipped by the caller
    }

    @Override
    protected boolean isSparse() {
        // Lets the collection accept a null from remove(): true only for a document never indexed.
        return true;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        // nothing to refuse: not unique
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        // nothing to refuse: not unique
    }

    @Override
    public boolean canHandle(Document query) {
        return false; // used through IndexedQueries, not by mongo-java-server's own exact-match lookup
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        throw new UnsupportedOperationException();
    }

    @Override
    public synchronized long getCount() {
        return byId.size();
    }

    @Override
    public long getDataSize() {
        return 0;
    }

    @Override
    public synchronized void drop() {
        entries.clear();
        byId.clear();
    }
}
