package insole;

import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.stream.Stream;

/**
 * The BSON size of a collection's documents, as collStats reports it, computed when asked. Both backends
 * turn off mongo-java-server's bookkeeping of it, which encoded the old and the new document at every
 * write (about 8 % of the dev database's CPU under the soak's load); its own helper is package-private.
 */
final class DocumentSizes {

    private DocumentSizes() {
    }

    static int sum(Stream<? extends DocumentWithPosition<?>> documents) {
        ByteBuf buffer = Unpooled.buffer(4096);
        return documents.mapToInt(stored -> {
            BsonEncoder.encodeDocument(stored.getDocument(), buffer.clear());
            return buffer.readableBytes();
        }).sum();
    }
}
