package insole;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.stream.Stream;

/** The BSON size of documents, as collStats reports it (mongo-java-server's own helper is package-private). */
final class DocumentSizes {

    private DocumentSizes() {
    }

    static int sum(Stream<Document> documents) {
        ByteBuf buffer = Unpooled.buffer(4096);
        return documents.mapToInt(document -> {
            BsonEncoder.encodeDocument(document, buffer.clear());
            return buffer.readableBytes();
        }).sum();
    }
}
