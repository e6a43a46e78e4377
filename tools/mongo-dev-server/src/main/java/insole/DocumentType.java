package insole;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import java.nio.ByteBuffer;

/**
 * The stored documents of the file backend, written as BSON. H2's default ObjectDataType writes a
 * Document with Java serialization, and H2 writes every value of a page again whenever one of them
 * changes: profiled under the soak's load, those serializations were the largest part of the dev
 * database's CPU. A value written before (Java-serialized, ObjectDataType's tag 19) is still read
 * through ObjectDataType, so an existing ./data file opens as it is and is rewritten as BSON page by
 * page; a document BSON cannot hold (none that came over the wire) is written the old way.
 */
final class DocumentType extends BasicDataType<Object> {

    /** Outside every tag ObjectDataType writes (0–119). */
    private static final byte BSON = (byte) 0xB5;

    private final ObjectDataType legacy = new ObjectDataType();
    private final ThreadLocal<ByteBuf> scratch = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    /**
     * For H2's cache accounting (it samples a few values per page): what the decoded document takes
     * on the heap. Counted as BSON's length, as before, a "256 MB" cache held about 1.4 GB: a decoded
     * document takes 5–6.5 times its BSON (measured for every collection of a soak's database).
     */
    @Override
    public int getMemory(Object value) {
        return DocumentHeap.size(value);
    }

    @Override
    public void write(WriteBuffer buff, Object value) {
        if (!(value instanceof Document document)) {
            legacy.write(buff, value);
            return;
        }
        ByteBuf bson = scratch.get().clear();
        try {
            BsonEncoder.encodeDocument(document, bson);
        } catch (RuntimeException notBson) {
            legacy.write(buff, value);
            return;
        }
        int length = bson.readableBytes();
        buff.put(BSON).put(bson.array(), bson.arrayOffset() + bson.readerIndex(), length);
    }

    @Override
    public Object read(ByteBuffer buff) {
        if (buff.get(buff.position()) != BSON) {
            return legacy.read(buff);
        }
        buff.get();
        int at = buff.position();
        int length = (buff.get(at) & 0xff) | (buff.get(at + 1) & 0xff) << 8 | (buff.get(at + 2) & 0xff) << 16 | (buff.get(at + 3) & 0xff) << 24; // BSON's own length, little-endian
        ByteBuf bson = Unpooled.wrappedBuffer(buff.slice(buff.position(), length));
        buff.position(buff.position() + length);
        return BsonDecoder.decodeBson(bson);
    }

    @Override
    public Object[] createStorage(int size) {
        return new Object[size];
    }
}
