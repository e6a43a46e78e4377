package insole;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

import java.util.List;

/**
 * An aggregate whose pipeline starts with {@code $match} reads its documents through the
 * collection's query path, so the index a find with the same filter would use (IndexedQueries)
 * narrows the aggregate too, as MongoDB's planner does. mongo-java-server 1.47 feeds every pipeline
 * the whole collection: the driver's countDocuments ({@code $match} then {@code $group}) read every
 * document, under the collection's lock, however few matched, and took longer with every document
 * stored. The pipeline still runs whole, its {@code $match} included, over the candidates.
 */
final class IndexedAggregation {

    private IndexedAggregation() {
    }

    /** The answer to an aggregate that starts with $match; null for any other command or pipeline (the server's own path runs those). */
    static Document answer(MongoDatabase database, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
        if (!command.equalsIgnoreCase("aggregate") || !(query.get(command) instanceof String name)
            || !(query.get("pipeline") instanceof List<?> stages) || stages.isEmpty()
            || !(stages.get(0) instanceof Document first) || !(first.get("$match") instanceof Document match) || match.isEmpty()) {
            return null;
        }
        MongoCollection<?> collection = database.resolveCollection(name, false);
        if (collection == null) {
            return null;
        }
        List<Document> pipeline = Aggregation.parse(stages);
        Aggregation aggregation = Aggregation.fromPipeline(pipeline, databaseResolver, database, collection, oplog);
        aggregation.validate(query);
        List<Document> results = aggregation.runStages(collection.handleQueryAsStream(match));
        // The server's own answer to an aggregate: every result in the first batch, no cursor left open.
        Document cursor = new Document("id", 0L);
        cursor.put("ns", database.getDatabaseName() + "." + name);
        cursor.put("firstBatch", results);
        Document response = new Document("cursor", cursor);
        response.put("ok", 1.0);
        return response;
    }
}
