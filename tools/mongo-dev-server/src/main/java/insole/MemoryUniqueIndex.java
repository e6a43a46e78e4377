package insole;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;

import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A unique index of the file backend, kept in memory only and rebuilt from the stored documents when
 * the store opens (addIndex fills an empty index, as for SecondaryIndex). H2UniqueIndex stored it
 * as an MVMap whose keys (KeyValue) are not Comparable, so H2 compared them by Java-serializing both
 * at every step of a B-tree search, and rewrote its pages at every commit: profiled under the soak's
 * load, that was part of the Java serialization that took about 30 % of the dev database's CPU
 * (the compares alone 6 %; the rest was writing pages, of documents and of these maps). The memory
 * backend's index of the same name in mongo-java-server is this one for Integer positions only; the
 * file backend's positions are the documents' keys. A file written before keeps its old
 * index maps until FileBackend removes them at open.
 */
final class MemoryUniqueIndex extends AbstractUniqueIndex<Object> {

    /** ConcurrentHashMap since getPosition runs outside the collection's lock. */
    private final Map<KeyValue, Object> positions = new ConcurrentHashMap<>();

    MemoryUniqueIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        return positions.remove(keyValue);
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        return positions.putIfAbsent(keyValue, Missing.ofNullable(position)) == null;
    }

    /** Range and pattern look-ups test every entry; H2's order (of serialized bytes) meant nothing to them either. */
    @Override
    protected Iterable<Entry<KeyValue, Object>> getIterable() {
        return positions.entrySet();
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        return positions.get(keyValue);
    }

    @Override
    public long getCount() {
        return positions.size();
    }

    @Override
    public boolean isEmpty() {
        return positions.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        super.drop();
        positions.clear();
    }
}
