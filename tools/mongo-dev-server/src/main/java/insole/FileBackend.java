package insole;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.DataType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The H2 MVStore backend of {@code npm start} (data under ./data), with entries for non-unique indexes
 * and unique ones (SecondaryIndex, MemoryUniqueIndex: in memory, rebuilt from the documents when the
 * store opens), and queries that use an index for what it pins down (IndexedQueries)
 * instead of reading every stored document.
 */
final class FileBackend extends H2Backend implements TtlMonitor.Databases {

    @Override
    public Collection<MongoDatabase> databases() {
        return listDatabaseNames().stream().map(this::resolveDatabase).toList();
    }

    /**
     * The one store of this process. H2Database keeps its own private, and opens collections from
     * its constructor, before a subclass's fields are set: they reach the store through here.
     */
    private static volatile MVStore store;

    private FileBackend(MVStore opened) {
        super(opened);
    }

    static FileBackend open(MVStore opened) {
        store = opened;
        return new FileBackend(opened);
    }

    /** Timed when INSOLE_DEV_DB_SLOW_MS is set (SlowCommands). */
    @Override
    public Document handleMessage(MongoMessage message) {
        return SlowCommands.handle(message, super::handleMessage);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedDatabase(databaseName, getMvStore(), getCursorRegistry());
    }

    /** Keys as H2Database stores them (ObjectDataType, H2's default); values as BSON (DocumentType). A builder per map, as openMap(name) makes. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static MVMap.Builder<Object, Document> documents() {
        return (MVMap.Builder) new MVMap.Builder<Object, Object>().valueType(new DocumentType());
    }

    static final class IndexedDatabase extends H2Database {
        IndexedDatabase(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
            super(databaseName, store, cursorRegistry);
        }

        /** An aggregate that starts with $match is narrowed by an index (IndexedAggregation). */
        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
            Document answer = IndexedAggregation.answer(this, command, query, databaseResolver, oplog);
            return answer != null ? answer : super.handleCommand(channel, command, query, databaseResolver, oplog);
        }

        /** In memory; the map H2Database stored it in, in a file written before, is removed (its dropIndex removes it by this name too). */
        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            mvStore().removeMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName); // a no-op when absent
            return new MemoryUniqueIndex(indexName, keys, sparse);
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            return new SecondaryIndex<>(indexName, keys, sparse);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = mvStore().openMap("databases." + fullName, documents());
            MVMap<String, Object> metaMap = mvStore().openMap("meta." + fullName);
            return new IndexedCollection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        private static MVStore mvStore() {
            return store;
        }
    }

    /** Index changes and counts under the collection's lock, as SafeMemoryBackend explains. */
    static final class IndexedCollection extends H2Collection {
        /** A scan reads documents in the data map's key order; candidates are put in the same order. */
        private final Comparator<Object> scanOrder;

        IndexedCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                          MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
            DataType<Object> keyType = dataMap.getKeyType();
            this.scanOrder = keyType::compare;
        }

        @Override
        public synchronized void addIndex(Index<Object> index) {
            super.addIndex(index);
        }

        @Override
        public synchronized void dropIndex(String indexName) {
            super.dropIndex(indexName);
        }

        /** A copy, so a caller iterating it cannot collide with an index being added. */
        @Override
        public synchronized List<Index<Object>> getIndexes() {
            return new ArrayList<>(super.getIndexes());
        }

        /** collStats' size, summed when asked (DocumentSizes says why); here it also cost a meta-map write per write. */
        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        protected synchronized int getDataSize() {
            return DocumentSizes.sum(streamAllDocumentsWithPosition());
        }

        /** mongo-java-server leaves count unsynchronized; index lookups must not run beside a write. */
        @Override
        public synchronized int count(Document query, int skip, int limit) {
            return super.count(query, skip, limit);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize, Document fieldSelector) {
            List<Object> candidates = IndexedQueries.candidates(getIndexes(), query, orderBy, scanOrder);
            if (candidates == null) {
                IndexedQueries.scanning(getFullName(), count(), query);
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            }
            IndexedQueries.narrowing(getFullName(), candidates.size(), query);
            return matchDocuments(query, candidates, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }
    }
}
