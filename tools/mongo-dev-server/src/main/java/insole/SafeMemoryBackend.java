package insole;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The memory backend with index changes under the collection's lock. mongo-java-server 1.47
 * synchronizes document writes and queries on the collection, but not {@code addIndex}: an insert
 * iterating the index list while another connection creates an index fails with a
 * ConcurrentModificationException (the driver sees "Unknown error: null"). Tests do exactly that:
 * one connection seeds documents while insole's start-up creates its indexes. Non-unique indexes keep
 * entries (SecondaryIndex), and queries use an index for what it pins down (IndexedQueries).
 */
final class SafeMemoryBackend extends MemoryBackend implements TtlMonitor.Databases {

    @Override
    public Collection<MongoDatabase> databases() {
        return listDatabaseNames().stream().map(this::resolveDatabase).toList();
    }

    /** Timed when INSOLE_DEV_DB_SLOW_MS is set (SlowCommands). */
    @Override
    public Document handleMessage(MongoMessage message) {
        return SlowCommands.handle(message, super::handleMessage);
    }

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new SafeMemoryDatabase(databaseName, getCursorRegistry());
    }

    static final class SafeMemoryDatabase extends MemoryDatabase {
        SafeMemoryDatabase(String databaseName, CursorRegistry cursorRegistry) {
            super(databaseName, cursorRegistry);
        }

        /** An aggregate that starts with $match is narrowed by an index (IndexedAggregation). */
        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
            Document answer = IndexedAggregation.answer(this, command, query, databaseResolver, oplog);
            return answer != null ? answer : super.handleCommand(channel, command, query, databaseResolver, oplog);
        }

        @Override
        protected Index<Integer> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            return new SecondaryIndex<>(indexName, keys, sparse);
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new SafeMemoryCollection(this, collectionName, options, cursorRegistry);
        }
    }

    static final class SafeMemoryCollection extends MemoryCollection {
        SafeMemoryCollection(MongoDatabase database, String collectionName, CollectionOptions options, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
        }

        @Override
        public synchronized void addIndex(Index<Integer> index) {
            super.addIndex(index);
        }

        @Override
        public synchronized void dropIndex(String indexName) {
            super.dropIndex(indexName);
        }

        /** collStats' size, summed when asked (DocumentSizes says why). */
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

        /** A scan reads documents by position (ascending); candidates are put in the same order. */
        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize, Document fieldSelector) {
            List<Integer> candidates = IndexedQueries.candidates(getIndexes(), query, orderBy, Comparator.naturalOrder());
            if (candidates == null) {
                IndexedQueries.scanning(getFullName(), count(), query);
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            }
            IndexedQueries.narrowing(getFullName(), candidates.size(), query);
            return matchDocuments(query, candidates, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /** A copy, so a caller iterating it cannot collide with an index being added. */
        @Override
        public synchronized List<Index<Integer>> getIndexes() {
            return new ArrayList<>(super.getIndexes());
        }
    }
}
