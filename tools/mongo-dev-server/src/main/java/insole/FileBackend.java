package insole;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The H2 MVStore backend of {@code npm start} (data under ./data), with queries that use a unique
 * index for what it pins down (IndexedQueries) instead of reading every stored document.
 */
final class FileBackend extends H2Backend {

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

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedDatabase(databaseName, getMvStore(), getCursorRegistry());
    }

    static final class IndexedDatabase extends H2Database {
        IndexedDatabase(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
            super(databaseName, store, cursorRegistry);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = mvStore().openMap("databases." + fullName);
            MVMap<String, Object> metaMap = mvStore().openMap("meta." + fullName);
            return new IndexedCollection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        private static MVStore mvStore() {
            return store;
        }
    }

    static final class IndexedCollection extends H2Collection {
        IndexedCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                          MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize, Document fieldSelector) {
            IndexedQueries.Narrowed<Object> narrowed = IndexedQueries.narrow(getIndexes(), query);
            if (narrowed == null) {
                IndexedQueries.scanning(getFullName(), count(), query);
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            }
            return matchDocuments(query, narrowed.index().getPositions(narrowed.pinned()), orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }
    }
}
