package insole;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import org.h2.mvstore.MVMap;

import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A unique index of the file backend, stored as H2UniqueIndex stores it (same map, same file format),
 * with its look-ups answered from a hash map in memory. The stored map's keys (KeyValue) are not
 * Comparable, so H2's ObjectDataType compares them by Java-serializing both at every step of a
 * B-tree search: profiled on a grown file (bench:login --db file --grow), those serializations in
 * checkAdd and getPosition were most of the dev database's CPU per sign-in, and grew with the
 * collections. Inserts still write the stored map; reads never search it.
 */
final class MirroredUniqueIndex extends AbstractUniqueIndex<Object> {

    private final MVMap<KeyValue, Object> stored;
    /** Rebuilt from the stored map when the store opens; ConcurrentHashMap since getPosition runs unlocked. */
    private final Map<KeyValue, Object> mirror = new ConcurrentHashMap<>();

    MirroredUniqueIndex(MVMap<KeyValue, Object> stored, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.stored = stored;
        for (Entry<KeyValue, Object> entry : stored.entrySet()) {
            mirror.put(entry.getKey(), entry.getValue());
        }
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        mirror.remove(keyValue);
        return stored.remove(keyValue);
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        if (mirror.containsKey(keyValue)) {
            return false;
        }
        Object value = Missing.ofNullable(position);
        if (stored.putIfAbsent(keyValue, value) != null) {
            return false;
        }
        mirror.put(keyValue, value);
        return true;
    }

    /** Range and pattern look-ups iterate in the stored map's order, as before. */
    @Override
    protected Iterable<Entry<KeyValue, Object>> getIterable() {
        return stored.entrySet();
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        return mirror.get(keyValue);
    }

    @Override
    public long getCount() {
        return stored.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return stored.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        super.drop();
        mirror.clear();
    }
}
